"""Gradient clipping, as ``torch.nn.utils``: ``clip_grad_norm_`` and ``clip_grad_value_``.

Both change the parameters' ``.grad`` in place (Tensors' arrays, Values' floats) and
skip parameters without a gradient. Call them between ``backward()`` and
``optimizer.step()``; optimizers also take Keras' ``clipnorm``, ``clipvalue`` and
``global_clipnorm``, which clip what the update sees and leave ``.grad`` alone.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from autodiff import Tensor, Value


def _params(parameters: Any) -> list[Any]:
    if isinstance(parameters, (Tensor, Value)):
        return [parameters]
    return list(parameters)


def _grad_array(p: Any) -> np.ndarray | None:
    g = p.grad
    if g is None:
        return None
    return np.asarray(g.data if isinstance(g, (Tensor, Value)) else g, dtype=np.float64)


def _positive(name: str, x: Any, owner: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not float(x) >= 0:
        raise ValueError(f"{owner}: {name} must be a number >= 0, got {x!r}")
    return float(x)


def total_norm(grads: Iterable[np.ndarray], norm_type: float = 2.0) -> float:
    """The norm of all ``grads`` taken as one vector: the norm of their norms, as torch.

    >>> total_norm([np.array([3.0]), np.array([4.0])])
    5.0
    """
    norms = [
        float(np.max(np.abs(g)))
        if norm_type == math.inf
        else float(np.linalg.norm(g.reshape(-1), norm_type))
        for g in grads
        if g.size
    ]
    if not norms:
        return 0.0
    if norm_type == math.inf:
        return max(norms)
    return float(np.linalg.norm(np.array(norms), norm_type))


def clip_factor(norm: float, max_norm: float) -> float:
    """What torch multiplies the gradients by: min(1, max_norm / (norm + 1e-6)).

    >>> clip_factor(10.0, 1.0) < 0.1
    True
    """
    return min(1.0, max_norm / (norm + 1e-6))


def clip_grad_norm_(
    parameters: Any,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale every gradient by ``min(1, max_norm / (total_norm + 1e-6))``, as PyTorch;
    returns the total norm before clipping.

    >>> from autodiff import Tensor
    >>> w = Tensor([1.0, 1.0], requires_grad=True)
    >>> (w * 3).sum().backward()
    >>> round(clip_grad_norm_([w], max_norm=1.0), 4), w.grad.round(4)
    (4.2426, array([0.7071, 0.7071]))
    """
    max_norm = _positive("max_norm", max_norm, "clip_grad_norm_")
    norm_type = _positive("norm_type", norm_type, "clip_grad_norm_")
    if norm_type == 0:
        raise ValueError("clip_grad_norm_: norm_type must be > 0")
    params = [p for p in _params(parameters) if p.grad is not None]
    grads = [g for g in (_grad_array(p) for p in params) if g is not None]
    norm = total_norm(grads, norm_type)
    if error_if_nonfinite and not math.isfinite(norm):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of the gradients is {norm}, so they cannot be "
            "clipped (error_if_nonfinite=False to clip anyway)"
        )
    factor = clip_factor(norm, max_norm)
    for p in params:
        _scale(p, factor)
    return norm


def _scale(p: Any, factor: float) -> None:
    g = p.grad
    if isinstance(p, Value):
        p.grad = g * factor
    elif isinstance(g, np.ndarray):
        g *= factor
    else:
        p.grad = g * factor


def clip_grad_value_(parameters: Any, clip_value: float) -> None:
    """Clip every gradient element into [-clip_value, clip_value], as PyTorch.

    >>> from autodiff import Tensor
    >>> w = Tensor([1.0, 1.0], requires_grad=True)
    >>> (w * Tensor([3.0, -0.5])).sum().backward()
    >>> clip_grad_value_([w], 1.0); w.grad
    array([ 1. , -0.5])
    """
    c = _positive("clip_value", clip_value, "clip_grad_value_")
    for p in _params(parameters):
        g = p.grad
        if g is None:
            continue
        if isinstance(p, Value):
            p.grad = min(max(float(getattr(g, "data", g)), -c), c)
        elif isinstance(g, np.ndarray):
            np.clip(g, -c, c, out=g)
        else:
            p.grad = np.clip(np.asarray(g.data), -c, c)


__all__ = ["clip_factor", "clip_grad_norm_", "clip_grad_value_", "total_norm"]
