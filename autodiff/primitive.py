"""User-defined primitives: a forward and its vjp that join the op table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import NARY
from .ops import Op, register
from .tensor import Tensor
from .tensor import _apply as apply_to_tensors
from .value import _apply


def primitive(
    forward: Callable[..., Any],
    vjp: Callable[..., Any],
    name: str,
) -> Callable[..., Any]:
    """Make a new differentiable op from a forward function and its vjp.

    ``forward(*xs)`` computes on plain floats (for Values) or arrays (for Tensors);
    ``vjp(g, out, *xs)`` returns the gradient of each input given ``g``, the gradient
    of the output (one value when there is one input). The op joins the same table as
    the built-in ones: it is drawn with ``name``, respects ``no_grad`` and
    ``detect_anomaly``, and supports ``create_graph`` when ``vjp`` uses
    differentiable operations. ``gradcheck`` tells whether ``vjp`` is right.

    >>> import numpy as np
    >>> from autodiff import Value, primitive
    >>> softplus = primitive(lambda x: np.logaddexp(0, x),
    ...                      lambda g, out, x: g * -np.expm1(-out), "softplus")
    >>> y = softplus(Value(0.0))
    >>> y.backward()
    >>> round(y.data, 4), y.op
    (0.6931, 'softplus')
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"primitive needs a non-empty str name, got {name!r}")
    if not callable(forward) or not callable(vjp):
        raise TypeError(f"primitive {name!r}: forward and vjp must be callable")

    def op_vjp(g: Any, out: Any, *xs: Any) -> tuple[Any, ...]:
        grads = vjp(g, out, *xs)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        if len(grads) != len(xs):
            raise ValueError(
                f"vjp of primitive {name!r} returned {len(grads)} gradient(s) "
                f"for {len(xs)} input(s)"
            )
        return tuple(_plain_number(gr, x) for gr, x in zip(grads, xs, strict=True))

    op = register(Op(name, NARY, op_vjp, forward, forward, builtin=False))

    def apply(*args: Any) -> Any:
        if len(args) == 0:
            raise TypeError(f"primitive {name!r} needs at least one input")
        if any(isinstance(a, Tensor) for a in args):
            return apply_to_tensors(op, args)
        return _apply(op, args)

    apply.__name__ = name
    apply.__qualname__ = name
    apply.__doc__ = f"User primitive {name!r} (see autodiff.primitive)."
    apply.op = op  # type: ignore[attr-defined]
    return apply


def _plain_number(g: Any, x: Any) -> Any:
    """Keep Value gradients plain floats when a user vjp returns numpy scalars."""
    if isinstance(x, float) and isinstance(g, (np.generic, np.ndarray)) and np.ndim(g) == 0:
        return float(g)
    return g
