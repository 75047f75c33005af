"""Products: matmul."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import BINARY
from .core import Op, _shape, register, sum_to


def _mT(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _vjp_matmul_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = a.ndim, b.ndim  # arrays and Tensors alike (matmul has no scalar operands)
    if a_nd == 2 and b_nd == 2:  # the common case first
        return g @ b.T
    if b_nd == 1:  # (..., n) @ (n,) -> (...): outer product with g
        return g[..., None] * b
    if a_nd == 1:  # (n,) @ (..., n, m) -> (..., m)
        return sum_to((g[..., None, :] @ _mT(b))[..., 0, :], _shape(a))
    return g @ _mT(b)


def _vjp_matmul_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = a.ndim, b.ndim
    if a_nd == 2 and b_nd == 2:
        return a.T @ g
    if a_nd == 1 and b_nd == 1:  # dot product
        return g * a
    if a_nd == 1:  # (n,) @ (..., n, m): outer product of a and g
        return a[:, None] * g[..., None, :]
    if b_nd == 1:  # (..., k, n) @ (n,) -> (..., k)
        return sum_to((_mT(a) @ g[..., None])[..., 0], _shape(b))
    return _mT(a) @ g


MATMUL = register(Op("@", BINARY, _vjp_matmul_a, array=np.matmul, vjp_b=_vjp_matmul_b, symbol="@"))


__all__ = [
    "MATMUL",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
