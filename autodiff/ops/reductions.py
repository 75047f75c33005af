"""Reductions: sum, mean, max, min over axes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import PARAM
from .core import Op, _count, _keep_shape, _plain, _shape, broadcast_to, register

# --- ops on arrays only (Tensor) ------------------------------------------------------
# Parameters (axes, shapes, indices) ride in the PARAM slot; reductions take
# (axis, keepdims). Every vjp is written with methods that ndarray and Tensor share
# (sum, reshape, transpose, indexing) or with the helpers above, so create_graph works.


def _vjp_sum(g: Any, out: Any, x: Any, param: Any) -> Any:
    shape = _shape(x)
    if param[0] is None:  # every element gets the one output gradient
        return broadcast_to(g, shape)
    return broadcast_to(g.reshape(_keep_shape(shape, param[0])), shape)


def _vjp_mean(g: Any, out: Any, x: Any, param: Any) -> Any:
    shape = _shape(x)
    n = _count(shape, param[0])
    return broadcast_to(g.reshape(_keep_shape(shape, param[0])), shape) * (1.0 / max(n, 1))


def _vjp_extreme(g: Any, out: Any, x: Any, param: Any) -> Any:
    # The gradient is shared equally among the elements that tie for the extreme.
    xd = _plain(x)
    keep = _keep_shape(xd.shape, param[0])
    hit = xd == np.reshape(_plain(out), keep)
    weight = hit / hit.sum(axis=param[0], keepdims=True).astype(xd.dtype)
    return broadcast_to(g.reshape(keep), xd.shape) * weight.astype(xd.dtype)


def _reduce(ufunc: np.ufunc) -> Callable[..., Any]:
    # ufunc.reduce directly: np.sum and friends add microseconds of Python dispatch.
    return lambda x, param: ufunc.reduce(x, param[0], None, None, param[1])  # type: ignore[call-arg]


def _mean(x: np.ndarray, param: Any) -> np.ndarray:
    total = np.add.reduce(x, param[0], None, None, param[1])  # type: ignore[call-overload]
    n = _count(x.shape, param[0])
    return total * (1.0 / n if n else np.nan)  # type: ignore[no-any-return]  # empty: nan, as numpy


SUM = register(Op("sum", PARAM, _vjp_sum, array=_reduce(np.add)))
MEAN = register(Op("mean", PARAM, _vjp_mean, array=_mean))
MAX = register(Op("max", PARAM, _vjp_extreme, array=_reduce(np.maximum)))
MIN = register(Op("min", PARAM, _vjp_extreme, array=_reduce(np.minimum)))


__all__ = [
    "MAX",
    "MEAN",
    "MIN",
    "SUM",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
