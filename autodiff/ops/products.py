"""Products: matmul."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import BINARY
from .core import Op, _shape, register, sum_to


def _mT(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _rows(x: Any) -> Any:
    """A stack of matrices (..., n, k) as one (rows, k) matrix."""
    return x.reshape(-1, x.shape[-1])


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # (batch..., n, k) @ (k, m) as one (rows, k) @ (k, m) product: numpy would run one
    # small product per matrix of the stack (a Linear layer on (B, T, C) inputs, 3-6x
    # slower at makemore's sizes).
    if b.ndim == 2 and a.ndim > 2:
        return (_rows(a) @ b).reshape(*a.shape[:-1], b.shape[1])  # type: ignore[no-any-return]
    return np.matmul(a, b)  # type: ignore[no-any-return]


def _vjp_matmul_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = a.ndim, b.ndim  # arrays and Tensors alike (matmul has no scalar operands)
    if a_nd == 2 and b_nd == 2:  # the common case first
        return g @ b.T
    if b_nd == 2:  # a stack times one matrix: one product over all rows (see _matmul)
        return (_rows(g) @ b.T).reshape(a.shape)
    if b_nd == 1:  # (..., n) @ (n,) -> (...): outer product with g
        return g[..., None] * b
    if a_nd == 1:  # (n,) @ (..., n, m) -> (..., m)
        return sum_to((g[..., None, :] @ _mT(b))[..., 0, :], _shape(a))
    return g @ _mT(b)


def _vjp_matmul_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = a.ndim, b.ndim
    if a_nd == 2 and b_nd == 2:
        return a.T @ g
    if b_nd == 2 and a_nd > 2:  # summed over the stack: one product over all rows
        return _rows(a).T @ _rows(g)
    if a_nd == 1 and b_nd == 1:  # dot product
        return g * a
    if a_nd == 1:  # (n,) @ (..., n, m): outer product of a and g
        return a[:, None] * g[..., None, :]
    if b_nd == 1:  # (..., k, n) @ (n,) -> (..., k)
        return sum_to((_mT(a) @ g[..., None])[..., 0], _shape(b))
    return _mT(a) @ g


MATMUL = register(Op("@", BINARY, _vjp_matmul_a, array=_matmul, vjp_b=_vjp_matmul_b, symbol="@"))
