"""``np.linalg`` on Tensors: inv, det, slogdet, solve, cholesky and norm.

Same signatures and results as numpy's, batched over leading axes, in float64 and
float32; with a Tensor among the arguments the result is a Tensor that records the
graph, otherwise it is numpy's own. The derivatives are in :mod:`autodiff.ops.linalg`.
The matrix norms that need singular values (``ord`` 2, -2 and ``'nuc'``) are not
differentiable here and say so.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..ops import linalg as ops
from ..tensor import Tensor, _leaf, _nary, _node, _norm_axis, _param_op
from .products import _operand


def _square(x: Any, what: str) -> Any:
    """``x`` as a Tensor or an array holding square matrices in its last two axes."""
    x = _operand(x, what)
    shape = np.shape(x.data if isinstance(x, Tensor) else x)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise np.linalg.LinAlgError(
            f"{what}: needs square matrices in the last two axes, got shape {shape}"
        )
    return x


def _unary(op: Any, a: Any, what: str) -> Any:
    a = _square(a, what)
    if not isinstance(a, Tensor):
        return op.array(a)
    data = op.array(a.data)
    return _node(op, data, a, None) if a.requires_grad else _leaf(data)


def inv(a: Any) -> Any:
    """The inverse of each matrix in the last two axes of ``a``.

    >>> a = Tensor([[2.0, 0.0], [0.0, 4.0]], requires_grad=True)
    >>> inv(a).data
    array([[0.5 , 0.  ],
           [0.  , 0.25]])
    """
    return _unary(ops.INV, a, "inv")


def det(a: Any) -> Any:
    """The determinant of each matrix in the last two axes of ``a``.

    >>> a = Tensor([[2.0, 1.0], [1.0, 3.0]], requires_grad=True)
    >>> d = det(a)
    >>> d.backward()
    >>> round(float(d.data), 10), a.grad.round(10).tolist()  # the gradient: det(a) · a⁻ᵀ
    (5.0, [[3.0, -1.0], [-1.0, 2.0]])
    """
    return _unary(ops.DET, a, "det")


class SlogdetResult(NamedTuple):
    """``slogdet``'s pair: the sign (constant) and log|det| (differentiable)."""

    sign: Any
    logabsdet: Any


def slogdet(a: Any) -> SlogdetResult:
    """The sign and the natural log of the absolute determinant, as numpy's ``slogdet``.

    The sign is piecewise constant, so only ``logabsdet`` carries a gradient (A⁻ᵀ).

    >>> sign, logdet = slogdet(Tensor([[-2.0, 0.0], [0.0, 3.0]], requires_grad=True))
    >>> float(sign.data), round(float(logdet.data), 4)
    (-1.0, 1.7918)
    """
    a = _square(a, "slogdet")
    if not isinstance(a, Tensor):
        return SlogdetResult(*np.linalg.slogdet(a))
    sign, logabsdet = np.linalg.slogdet(a.data)
    logabsdet = np.asarray(logabsdet)
    recorded = _node(ops.LOGABSDET, logabsdet, a, None) if a.requires_grad else _leaf(logabsdet)
    return SlogdetResult(_leaf(np.asarray(sign)), recorded)


def solve(a: Any, b: Any) -> Any:
    """X with A X = B for each matrix A in the last two axes of ``a``.

    As numpy 2: ``b`` of one axis is a vector, otherwise a stack of matrices (columns
    of right-hand sides) whose leading axes broadcast with ``a``'s.

    >>> solve(Tensor([[2.0, 0.0], [0.0, 4.0]]), [1.0, 1.0]).data
    array([0.5 , 0.25])
    """
    a, b = _square(a, "solve"), _operand(b, "solve")
    xa, xb = (x.data if isinstance(x, Tensor) else x for x in (a, b))
    try:
        data = np.linalg.solve(xa, xb)
    except ValueError as err:
        raise ValueError(
            f"solve: a of shape {xa.shape} and b of shape {xb.shape} do not fit ({err}); "
            "b is (M,) or (..., M, K)"
        ) from None
    if not any(isinstance(x, Tensor) for x in (a, b)):
        return data
    return _nary(ops.SOLVE, (a, b), data)


def cholesky(a: Any, /, *, upper: bool = False) -> Any:
    """The lower-triangular L with L Lᵀ = A (or the upper Lᵀ, with ``upper=True``) of
    each symmetric positive-definite matrix in the last two axes of ``a``.

    As numpy, only the lower triangle of ``a`` is read; the gradient is that of a
    function of symmetric matrices (symmetrized), as PyTorch gives.

    >>> cholesky(Tensor([[4.0, 2.0], [2.0, 5.0]])).data
    array([[2., 0.],
           [1., 2.]])
    """
    lower = _unary(ops.CHOLESKY, a, "cholesky")
    if not upper:
        return lower
    return lower.swapaxes(-1, -2) if isinstance(lower, Tensor) else np.swapaxes(lower, -1, -2)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy's ``linalg.norm``: vector norms of any ``ord`` over one axis (or of the
    whole array flattened, with ``ord`` and ``axis`` None), matrix norms ``'fro'``, 1,
    -1, inf and -inf over two axes.

    The 2-norm's gradient x / ‖x‖ is 0 at the zero vector (as PyTorch); ord inf and
    -inf share the gradient among ties, ord 0 (a count) has none.

    >>> v = Tensor([3.0, 4.0], requires_grad=True)
    >>> n = norm(v)
    >>> n.backward()
    >>> float(n.data), v.grad.tolist()
    (5.0, [0.6, 0.8])
    """
    x = _operand(x, "norm")
    if not isinstance(x, Tensor):
        return np.linalg.norm(x, ord, axis, keepdims)
    if x.dtype.kind != "f":
        x = _leaf(x.data.astype(np.float64))
    if axis is None and ord is None:
        return _pnorm(x, 2.0, None, keepdims)
    if axis is None:
        axes = tuple(range(x.ndim))
        if len(axes) not in (1, 2):
            raise ValueError(f"norm: ord={ord!r} needs axis for an array of {x.ndim} dims")
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        axes = (axis,)
    axes = tuple(_norm_axis(a, x.ndim, "norm") for a in axes)
    if len(axes) == 1:
        return _vector_norm(x, ord, axes[0], keepdims)
    if len(axes) == 2:
        if axes[0] == axes[1]:
            raise ValueError(f"norm: repeated axis in {axis!r}")
        return _matrix_norm(x, ord, axes, keepdims)
    raise ValueError(f"norm: axis names {len(axes)} axes; give one (vector) or two (matrix)")


def _pnorm(x: Tensor, p: float, axis: Any, keepdims: bool) -> Tensor:
    param = (p, axis, bool(keepdims))
    return _param_op(ops.PNORM, x, param, ops.PNORM.array(x.data, param))  # type: ignore[misc]


def _vector_norm(x: Tensor, ord: Any, axis: int, keepdims: bool) -> Tensor:
    if ord is None:
        ord = 2
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        raise ValueError(f"norm: ord={ord!r} is not a vector norm (a number, inf or -inf)")
    p = float(ord)
    if p == math.inf:
        return abs(x).max(axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return abs(x).min(axis=axis, keepdims=keepdims)
    if p == 0:  # the count of non-zeros: piecewise constant, nothing to differentiate
        return _leaf(np.linalg.norm(x.data, 0, axis, keepdims))
    return _pnorm(x, p, (axis,), keepdims)


def _matrix_norm(x: Tensor, ord: Any, axes: tuple[int, int], keepdims: bool) -> Tensor:
    rows, cols = axes
    if ord is None or ord == "fro":
        return _pnorm(x, 2.0, axes, keepdims)
    if ord in (2, -2, "nuc"):
        raise NotImplementedError(
            f"norm: ord={ord!r} needs singular values (an SVD), which is not differentiable "
            "here; use 'fro', 1, -1, inf or -inf"
        )
    if ord not in (1, -1, math.inf, -math.inf):
        raise ValueError(f"norm: ord={ord!r} is not a matrix norm")
    # 1: the largest column sum of |x| (summed over rows); inf: the largest row sum
    summed, over = (rows, cols) if abs(ord) == 1 else (cols, rows)
    sums = abs(x).sum(axis=summed, keepdims=True)
    out = sums.max(axis=over, keepdims=True) if ord > 0 else sums.min(axis=over, keepdims=True)
    return (
        out if keepdims else out.reshape(tuple(n for i, n in enumerate(out.shape) if i not in axes))
    )


__all__ = ["SlogdetResult", "cholesky", "det", "inv", "norm", "slogdet", "solve"]
