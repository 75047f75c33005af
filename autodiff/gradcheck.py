"""Gradient checking: every partial derivative from backward against a central difference.

The analytic gradients come from the one backward pass of :mod:`autodiff.engine`, asked
for the inputs' gradients directly (``backpropagate(..., inputs=...)``), so no ``.grad``
is read or written. The numeric ones come from perturbing each input element in place,
``(f(x + eps) - f(x - eps)) / (2 eps)``, with recording off; every element is restored
to its exact original value afterwards, also when ``f`` raises.

Inputs are graph leaves: Values, or Tensors (each element of ``.data`` is checked).
With ``mode="forward"`` the analytic derivatives come from forward mode instead (one
Jacobian-vector product per input element, :mod:`autodiff.functional`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import Node, backpropagate, enable_grad, no_grad
from .functional import _Linearized

_MAX_ROWS = 20  # failing elements listed in a report; the rest are counted


class GradcheckError(AssertionError):
    """Analytic and numeric gradients disagree; the message lists where and by how much.

    An ``AssertionError``, so a failing ``gradcheck`` inside a test reads as a failed
    assertion.

    >>> issubclass(GradcheckError, AssertionError)
    True
    """


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    *,
    order: int = 1,
    mode: str = "reverse",
) -> bool:
    """Check every partial derivative of ``f(*inputs)`` against a central difference.

    ``f(*inputs)`` must return a Value or a one-element Tensor. Each element of each
    input passes when ``|analytic - numeric| <= atol + rtol * |numeric|``; a nan or
    infinite analytic gradient never passes. Returns True, or raises
    :class:`GradcheckError` listing, per failing input and element, the analytic value,
    the numeric value and the absolute error. Users' ``.grad`` and ``.data`` are left as
    they were. Use float64 Tensors: float32 cannot resolve a step of ``eps = 1e-6``.

    ``order=2`` checks second derivatives instead: every element of every first
    derivative, computed by ``backward(create_graph=True)``, is differentiated again and
    compared with central differences of the first derivatives.

    ``mode="forward"`` takes the analytic derivatives from forward mode (a
    Jacobian-vector product along each input element) instead of a backward pass;
    with ``order=2`` that is forward-over-reverse. ``mode="both"`` checks the two.

    >>> from autodiff import Value
    >>> x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    >>> gradcheck(lambda x, w: (x * w).tanh() + x.exp(), [x, w])
    True
    >>> gradcheck(lambda x, w: (x * w).tanh() + x.exp(), [x, w], order=2, mode="both")
    True
    """
    if order not in (1, 2):
        raise ValueError(f"gradcheck: order must be 1 or 2, got {order!r}")
    if mode not in ("reverse", "forward", "both"):
        raise ValueError(f"gradcheck: mode must be 'reverse', 'forward' or 'both', got {mode!r}")
    modes = ("reverse", "forward") if mode == "both" else (mode,)
    leaves = _check_inputs(inputs)
    _check_tolerances(eps, atol, rtol)

    rows: list[str] = []
    failures = checked = 0
    if order == 1:
        targets: list[tuple[Callable[..., Any], str]] = [(f, "")]
    else:
        # Second derivatives: each element of each first derivative, itself computed by
        # a backward pass with create_graph, is checked as a function in its own right:
        # its analytic gradient (the Hessian's row) against central differences of it.
        with enable_grad():
            grads = backpropagate(
                _call(f, leaves), _seed(_call(f, leaves), node=True), inputs=tuple(leaves)
            )
        assert grads is not None
        targets = [
            (_gradient_element(f, i, k), f"d/dx of d(f)/d({_element(i, leaf, k)}): ")
            for i, leaf in enumerate(leaves)
            for k in range(int(np.size(leaf.data)))  # type: ignore[attr-defined]
        ]
    for (target, prefix), how in ((t, m) for t in targets for m in modes):
        if len(modes) > 1 or how == "forward":
            prefix = f"{how} mode, {prefix}"
        found, count, n = _compare(target, leaves, eps, atol, rtol, prefix, how)
        failures += count
        checked += n
        rows.extend(found[: _MAX_ROWS - len(rows)])
    if failures:
        raise GradcheckError(_report(rows, failures, checked, eps, atol, rtol))
    return True


def _compare(
    f: Callable[..., Any],
    leaves: list[Node],
    eps: float,
    atol: float,
    rtol: float,
    prefix: str,
    mode: str = "reverse",
) -> tuple[list[str], int, int]:
    """Failing rows, their count and the number of partials checked for one function."""
    # Recording is forced on: gradcheck inside a user's no_grad block still has a graph.
    with enable_grad():
        out = _call(f, leaves)
        if mode == "forward":
            analytic = _forward_gradients(out, leaves)
        else:
            analytic = backpropagate(out, _seed(out), inputs=tuple(leaves))  # type: ignore[assignment]
    assert analytic is not None  # backpropagate returns a list when inputs are given
    rows: list[str] = []
    failures = checked = 0
    for position, (leaf, grad) in enumerate(zip(leaves, analytic, strict=True)):
        expected = _as_array(grad, leaf)
        numeric = _numeric_gradient(f, leaves, leaf, eps)
        for k in range(numeric.size):
            checked += 1
            a, n = float(expected.flat[k]), float(numeric.flat[k])
            # Written so that nan on either side fails (every comparison with nan is False).
            if abs(a - n) <= atol + rtol * abs(n):
                continue
            failures += 1
            if len(rows) < _MAX_ROWS:
                rows.append(prefix + _row(position, leaf, numeric.shape, k, a, n).lstrip())
    return ["  " + r for r in rows], failures, checked


def _forward_gradients(out: Node, leaves: list[Node]) -> list[Any]:
    """d out / d(each element of each leaf) by forward mode: one tangent per element."""
    linear = _Linearized(out, tuple(leaves), False)
    grads: list[Any] = []
    for i, leaf in enumerate(leaves):
        data = leaf.data  # type: ignore[attr-defined]
        if not isinstance(data, np.ndarray):
            grads.append(linear.column(i, None))
            continue
        column = [linear.column(i, k) for k in range(data.size)]
        grads.append(
            np.array([0.0 if c is None else float(np.sum(c)) for c in column]).reshape(data.shape)
        )
    return grads


def _gradient_element(f: Callable[..., Any], i: int, k: int) -> Callable[..., Any]:
    """The function x -> d f(x) / d(input i, element k), differentiable (create_graph)."""

    def element(*xs: Any) -> Any:
        with enable_grad():
            out = _call(f, list(xs))
            grads = backpropagate(out, _seed(out, node=True), create_graph=True, inputs=xs)
        assert grads is not None
        g = grads[i]
        if g is None:  # f does not depend on this input: the derivative is a constant 0
            return type(out)(0.0)  # type: ignore[call-arg]
        if isinstance(g, Node) and isinstance(g.data, np.ndarray):  # type: ignore[attr-defined]
            return g.reshape(-1)[k]  # type: ignore[attr-defined]
        if isinstance(g, Node):
            return g
        return type(out)(float(np.asarray(g).reshape(-1)[k]))  # type: ignore[call-arg]

    return element


def _element(i: int, leaf: Any, k: int) -> str:
    shape = np.shape(leaf.data)
    if not shape:
        return f"input {i}"
    return f"input {i} element {tuple(int(j) for j in np.unravel_index(k, shape))}"


# --- arguments ------------------------------------------------------------------------


def _check_inputs(inputs: Any) -> list[Node]:
    """The inputs as a list of leaves that require grad, or a clear error."""
    if isinstance(inputs, Node):
        inputs = [inputs]  # one leaf given bare, as torch.autograd.gradcheck allows
    if isinstance(inputs, (str, bytes)) or not isinstance(inputs, Sequence):
        raise TypeError(
            "gradcheck: inputs must be a list or tuple of Values or Tensors, "
            f"got {type(inputs).__name__}"
        )
    if len(inputs) == 0:
        raise ValueError("gradcheck: inputs is empty; pass the leaves to differentiate")
    for position, x in enumerate(inputs):
        if not isinstance(x, Node):
            raise TypeError(
                f"gradcheck: input {position} is a {type(x).__name__}, not a Value or "
                "Tensor; wrap numbers as Value(x) (or Tensor(x, requires_grad=True))"
            )
        name = _name(position, x)
        if x._op is not None:  # type: ignore[attr-defined]
            raise ValueError(
                f"gradcheck: {name} is the output of op {x._op.name!r}, not a leaf; "  # type: ignore[attr-defined]
                "pass leaves (x.detach() makes one)"
            )
        if not getattr(x, "requires_grad", True):
            raise ValueError(
                f"gradcheck: {name} does not require grad, so nothing flows back to it; "
                "create it with requires_grad=True"
            )
    return list(inputs)


def _check_tolerances(eps: float, atol: float, rtol: float) -> None:
    if not (isinstance(eps, (int, float)) and math.isfinite(eps) and eps > 0):
        raise ValueError(f"gradcheck: eps must be a positive finite number, got {eps!r}")
    for what, tol in (("atol", atol), ("rtol", rtol)):
        if not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol >= 0):
            raise ValueError(f"gradcheck: {what} must be a finite number >= 0, got {tol!r}")


def _call(f: Callable[..., Any], leaves: list[Node]) -> Node:
    """``f(*leaves)``, checked to be a one-element node."""
    out = f(*leaves)
    if not isinstance(out, Node):
        raise TypeError(
            f"gradcheck: f must return a Value or a one-element Tensor, got {type(out).__name__}"
        )
    data = out.data  # type: ignore[attr-defined]
    if np.size(data) != 1:
        raise ValueError(
            f"gradcheck: f must return one element, got a Tensor of shape {np.shape(data)}; "
            "reduce it first (e.g. .sum())"
        )
    return out


def _seed(out: Node, node: bool = False) -> Any:
    """d(out)/d(out): 1.0 for a Value, ones for a Tensor; as a graph leaf when ``node``
    (what a create_graph pass starts from)."""
    data = out.data  # type: ignore[attr-defined]
    if isinstance(data, np.ndarray):
        ones = np.ones(data.shape, dtype=data.dtype)
        return type(out)(ones, dtype=data.dtype) if node else ones  # type: ignore[call-arg]
    return type(out)(1.0) if node else 1.0  # type: ignore[call-arg]


# --- the two gradients ------------------------------------------------------------------


def _as_array(grad: Any, leaf: Node) -> np.ndarray:
    """An analytic gradient as a float64 array of the leaf's shape (None: zeros)."""
    shape = np.shape(leaf.data)  # type: ignore[attr-defined]
    if grad is None:  # the output does not depend on this leaf
        return np.zeros(shape)
    if isinstance(grad, Node):
        grad = grad.data  # type: ignore[attr-defined]
    return np.broadcast_to(np.asarray(grad, dtype=np.float64), shape)


def _numeric_gradient(f: Callable[..., Any], leaves: list[Node], leaf: Node, eps: float) -> Any:
    """Central differences of ``f`` in each element of ``leaf``, as a float64 array."""
    data = leaf.data  # type: ignore[attr-defined]
    if isinstance(data, np.ndarray):
        numeric = np.empty(data.shape)
        for k in range(data.size):
            original = data.flat[k]  # .flat writes through, contiguous or not
            try:
                data.flat[k] = original + eps
                hi, x_hi = _evaluate(f, leaves), float(data.flat[k])
                data.flat[k] = original - eps
                lo, x_lo = _evaluate(f, leaves), float(data.flat[k])
            finally:
                data.flat[k] = original
            numeric.flat[k] = _difference(hi, lo, x_hi, x_lo)
        return numeric
    original = data
    try:
        leaf.data = original + eps  # type: ignore[attr-defined]
        hi = _evaluate(f, leaves)
        leaf.data = original - eps  # type: ignore[attr-defined]
        lo = _evaluate(f, leaves)
    finally:
        leaf.data = original  # type: ignore[attr-defined]
    return np.array(_difference(hi, lo, original + eps, original - eps))


def _difference(hi: float, lo: float, x_hi: float, x_lo: float) -> float:
    # Divide by the step actually stored: in float32 ``x ± eps`` rounds, and the true
    # spacing of the two points is what the difference of f is over.
    step = x_hi - x_lo
    return (hi - lo) / step if step != 0 else math.nan


def _evaluate(f: Callable[..., Any], leaves: list[Node]) -> float:
    with no_grad():
        out = f(*leaves)
    return float(np.asarray(out.data).reshape(-1)[0])


# --- the report -------------------------------------------------------------------------


def _name(position: int, leaf: Any) -> str:
    label = getattr(leaf, "label", "")
    return f"input {position} (label {label!r})" if label else f"input {position} (no label)"


def _row(position: int, leaf: Node, shape: tuple[int, ...], k: int, a: float, n: float) -> str:
    where = _name(position, leaf)
    if shape:  # a Tensor: name the element; a Value has just the one
        index = tuple(int(i) for i in np.unravel_index(k, shape))
        where += f", element {index}"
    return f"  {where}: analytic {a:.10g}, numeric {n:.10g}, abs error {abs(a - n):.3g}"


def _report(
    rows: list[str], failures: int, checked: int, eps: float, atol: float, rtol: float
) -> str:
    head = (
        f"gradcheck failed: {failures} of {checked} partial derivatives differ from "
        f"central differences (eps={eps:g}; passing needs "
        f"|analytic - numeric| <= {atol:g} + {rtol:g} * |numeric|)"
    )
    more = failures - len(rows)
    tail = [f"  ... and {more} more"] if more else []
    return "\n".join([head, *rows, *tail])


__all__ = ["GradcheckError", "gradcheck"]
