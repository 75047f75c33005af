"""Linear algebra: inv, det, slogdet, solve, cholesky and vector p-norms.

The matrix ops work on the last two axes and batch over any leading ones, as
``np.linalg``. Their vjps are the standard identities, written with matmul and the
ops of this file so that they can be differentiated again:

- ``inv``: Ā = -Xᵀ Ḡ Xᵀ where X = A⁻¹;
- ``det``: Ā = ḡ · det(A) · A⁻ᵀ; ``slogdet`` (log|det|): Ā = ḡ · A⁻ᵀ;
- ``solve`` (X = A⁻¹ B): B̄ = A⁻ᵀ Ḡ, Ā = -B̄ Xᵀ;
- ``cholesky`` (A = L Lᵀ, L lower): with Φ taking the lower triangle and halving the
  diagonal, S = L⁻ᵀ Φ(Lᵀ tril(Ḡ)) L⁻¹ and Ā = (S + Sᵀ) / 2, the gradient within the
  symmetric matrices (A is symmetric, and numpy reads only its lower triangle);
- the p-norm (Σ|x|ᵖ)^(1/p): x̄ = ḡ · sign(x) |x|ᵖ⁻¹ / ‖x‖ᵖ⁻¹, 0 where ‖x‖ = 0 (for
  p = 2, ḡ · x / ‖x‖: the zero vector gets the subgradient 0, as PyTorch).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import NARY, PARAM, UNARY, Node
from .core import Op, _keep_shape, _plain, _shape, register, sum_to


def _mT(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _apply(op: Op, operands: tuple[Any, ...]) -> Any:
    """``op`` (UNARY or NARY) on arrays (an array) or on nodes (a recorded node): what
    the vjps call, so that under ``create_graph`` they record."""
    data = op.array(*(_plain(x) for x in operands))  # type: ignore[misc]
    if not any(isinstance(x, Node) for x in operands):
        return data
    from ..tensor import _nary, _node  # tensor.py imports the op table: import on use

    if op.kind == NARY:
        return _nary(op, operands, data)
    if not operands[0].requires_grad:
        return data
    return _node(op, np.asarray(data), operands[0], None)


def inv(a: Any) -> Any:
    """A⁻¹ of an array or a node."""
    return _apply(INV, (a,))


def solve(a: Any, b: Any) -> Any:
    """A⁻¹ B of arrays or nodes, with numpy's rule: ``b`` 1-d is a vector."""
    return _apply(SOLVE, (a, b))


def _vjp_inv(g: Any, out: Any, a: Any) -> Any:
    t = _mT(out)
    return -(t @ g @ t)


def _vjp_det(g: Any, out: Any, a: Any) -> Any:
    return (g * out)[..., None, None] * _mT(inv(a))


def _vjp_logabsdet(g: Any, out: Any, a: Any) -> Any:
    return g[..., None, None] * _mT(inv(a))


def _vjp_solve(g: Any, out: Any, a: Any, b: Any) -> tuple[Any, Any]:
    vector = len(_shape(b)) == 1
    if vector:  # as matrices of one column, so that batched A works too
        g, out = g[..., None], out[..., None]
    gb = solve(_mT(a), g)
    ga = -(gb @ _mT(out))
    if vector:
        gb = gb[..., 0]
    return sum_to(ga, _shape(a)), sum_to(gb, _shape(b))


def _vjp_cholesky(g: Any, out: Any, a: Any) -> Any:
    n = _shape(out)[-1]
    lower = np.tril(np.ones((n, n), dtype=_plain(out).dtype))
    phi = (_mT(out) @ (g * lower)) * (lower - 0.5 * np.eye(n, dtype=lower.dtype))
    left = solve(_mT(out), phi)  # L⁻ᵀ Φ
    s = _mT(solve(_mT(out), _mT(left)))  # (L⁻ᵀ (L⁻ᵀ Φ)ᵀ)ᵀ = L⁻ᵀ Φ L⁻¹
    return 0.5 * (s + _mT(s))


def _logabsdet(a: np.ndarray) -> np.ndarray:
    return np.asarray(np.linalg.slogdet(a)[1])


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.solve(a, b)


INV = register(Op("inv", UNARY, _vjp_inv, array=np.linalg.inv))
DET = register(Op("det", UNARY, _vjp_det, array=lambda a: np.asarray(np.linalg.det(a))))
LOGABSDET = register(Op("logabsdet", UNARY, _vjp_logabsdet, array=_logabsdet))
SOLVE = register(Op("solve", NARY, _vjp_solve, array=_solve))
CHOLESKY = register(Op("cholesky", UNARY, _vjp_cholesky, array=np.linalg.cholesky))


# --- vector norms --------------------------------------------------------------------


def _pnorm(x: np.ndarray, param: tuple[float, Any, bool]) -> np.ndarray:
    """(Σ|x|ᵖ)^(1/p) over ``axis`` (None or a tuple) for a finite p ≠ 0, as np.linalg.norm."""
    p, axis, keepdims = param
    if p == 2:
        return np.asarray(np.sqrt(np.sum(x * x, axis, keepdims=keepdims)))
    if p == 1:
        return np.asarray(np.sum(np.abs(x), axis, keepdims=keepdims))
    with np.errstate(divide="ignore"):  # 0 to a negative power is inf, as numpy's norm
        return np.asarray(np.sum(np.abs(x) ** p, axis, keepdims=keepdims) ** (1.0 / p))


def _vjp_pnorm(g: Any, out: Any, x: Any, param: tuple[float, Any, bool]) -> Any:
    p, axis, keepdims = param
    if not keepdims:
        kept = _keep_shape(_shape(x), axis)
        g, out = g.reshape(kept), out.reshape(kept)
    safe = out + (_plain(out) == 0)  # 1 where the norm is 0 (and x is 0 there)
    if p == 2:
        return g * x / safe
    sign = np.sign(_plain(x))  # piecewise constant: no derivative of its own
    if p == 1:
        return g * sign
    return g * sign * abs(x) ** (p - 1) / safe ** (p - 1)


PNORM = register(Op("norm", PARAM, _vjp_pnorm, array=_pnorm))
