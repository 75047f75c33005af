"""Reductions: sum, mean, max, min over axes."""

from __future__ import annotations

import warnings
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
    if n == 0:  # as numpy: the mean of nothing is 0/0, nan, with numpy's warning
        warnings.warn("Mean of empty slice", RuntimeWarning, stacklevel=4)
        return total * np.nan  # type: ignore[no-any-return]
    return total * (1.0 / n)  # type: ignore[no-any-return]


SUM = register(Op("sum", PARAM, _vjp_sum, array=_reduce(np.add)))
MEAN = register(Op("mean", PARAM, _vjp_mean, array=_mean))
MAX = register(Op("max", PARAM, _vjp_extreme, array=_reduce(np.maximum)))
MIN = register(Op("min", PARAM, _vjp_extreme, array=_reduce(np.minimum)))


# --- numpy's other reductions and scans --------------------------------------------------


def _vjp_prod(g: Any, out: Any, x: Any, param: Any) -> Any:
    # d prod / dx_i = product of the others. Without zeros that is out / x_i (recorded
    # as such under create_graph). A slice with one zero gives the zero's position the
    # product of the rest and every other position 0; two zeros or more give all 0.
    xd = _plain(x)
    keep = _keep_shape(xd.shape, param[0])
    g_kept = broadcast_to(g.reshape(keep), xd.shape)
    zero = xd == 0
    if not zero.any():
        return g_kept * broadcast_to(_reshape(out, keep), xd.shape) / x
    # zeros: the derivative formed on plain arrays (so not itself differentiated there)
    axis, outd = param[0], np.reshape(_plain(out), keep)
    zeros = zero.sum(axis=axis, keepdims=True)
    nonzero = np.where(zero, 1, xd)
    others = nonzero.prod(axis=axis, keepdims=True)  # the product of the nonzero ones
    with np.errstate(all="ignore"):
        d = np.where(zeros == 0, outd / nonzero, np.where(zero & (zeros == 1), others, 0.0))
    return g_kept * d.astype(xd.dtype)


def _reshape(x: Any, shape: tuple[int, ...]) -> Any:
    return x.reshape(shape) if hasattr(x, "reshape") else np.reshape(x, shape)


def _logsumexp(x: np.ndarray, param: Any) -> np.ndarray:
    axis, keepdims = param
    with np.errstate(all="ignore"):
        top = np.maximum.reduce(x, axis, None, None, True)  # type: ignore[call-overload]
        top = np.where(np.isfinite(top), top, 0.0)  # all -inf, or an inf: no shift
        total = np.add.reduce(np.exp(x - top), axis, None, None, True)  # type: ignore[call-overload]
        out = np.log(total) + top
    return out if keepdims else np.squeeze(out, axis)  # type: ignore[no-any-return]


def _vjp_logsumexp(g: Any, out: Any, x: Any, param: Any) -> Any:
    # d/dx log Σ e^x = softmax(x) = e^(x − out)
    keep = _keep_shape(_shape(x), param[0])
    shape = _shape(x)
    return broadcast_to(g.reshape(keep), shape) * _exp(x - _reshape(out, keep))


def _exp(x: Any) -> Any:
    from .elementwise import EXP, unary  # elementwise imports this module's neighbours

    return unary(EXP, x)


def _flip(x: Any, axis: int) -> Any:
    return x[(slice(None),) * axis + (slice(None, None, -1),)]


def _cumsum(x: np.ndarray, axis: int) -> np.ndarray:
    return np.add.accumulate(x, axis)  # type: ignore[no-any-return]


def _vjp_cumsum(g: Any, out: Any, x: Any, axis: int) -> Any:
    # each x_i reaches every output from i on: the reversed cumulative sum of g
    return _flip(_flip(g, axis).cumsum(axis), axis)


def _cumprod(x: np.ndarray, axis: int) -> np.ndarray:
    return np.multiply.accumulate(x, axis)  # type: ignore[no-any-return]


def _vjp_cumprod(g: Any, out: Any, x: Any, axis: int) -> Any:
    # d out_k / d x_i = out_k / x_i for k ≥ i: the reversed cumulative sum of g·out, / x.
    # With zeros that quotient is undefined: each product of the others is formed
    # exactly instead (n products of n terms per slice, on plain arrays).
    xd = _plain(x)
    if not (xd == 0).any():
        return _vjp_cumsum(g * out, out, x, axis) / x
    n = xd.shape[axis]
    moved = np.moveaxis(xd, axis, -1)
    gd = np.moveaxis(np.asarray(_plain(g)), axis, -1)
    # others[..., i, k] = Π_{j ≤ k, j ≠ i} x_j
    swapped = np.where(np.eye(n, dtype=bool), 1.0, moved[..., None, :])
    others = np.multiply.accumulate(swapped, -1)
    upper = np.triu(np.ones((n, n), dtype=bool))  # k ≥ i
    grad = (np.where(upper, others, 0.0) * gd[..., None, :]).sum(-1)
    return np.moveaxis(grad, -1, axis).astype(xd.dtype)


PROD = register(Op("prod", PARAM, _vjp_prod, array=_reduce(np.multiply)))
LOGSUMEXP = register(Op("logsumexp", PARAM, _vjp_logsumexp, array=_logsumexp))
CUMSUM = register(Op("cumsum", PARAM, _vjp_cumsum, array=_cumsum))
CUMPROD = register(Op("cumprod", PARAM, _vjp_cumprod, array=_cumprod))
