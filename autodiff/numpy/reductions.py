"""numpy's reductions and scans on Tensors: sum, mean, prod, var, std, cumsum, ...

Each takes numpy's arguments (``axis`` None, an int or a tuple; ``keepdims``) and
returns a Tensor recording the op. The ones whose results carry no gradient (``all``,
``any``, ``argmax``, ``argmin``, ``argsort``, ``count_nonzero``) return numpy's
result on the data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..tensor import Tensor, _data, _norm_axis
from ..tensor import where as _where


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def sum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (numpy.sum).

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).data
    array([4., 6.])
    """
    return _tensor(a).sum(axis=axis, keepdims=keepdims)


def mean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (numpy.mean); nan over an empty axis.

    >>> mean(Tensor([1.0, 2.0])).data
    array(1.5)
    """
    return _tensor(a).mean(axis=axis, keepdims=keepdims)


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (numpy.max); ties share the gradient equally.

    >>> max(Tensor([1.0, 3.0, 2.0])).data
    array(3.)
    """
    return _tensor(a).max(axis=axis, keepdims=keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (numpy.min); ties share the gradient equally.

    >>> min(Tensor([1.0, 3.0, 2.0])).data
    array(1.)
    """
    return _tensor(a).min(axis=axis, keepdims=keepdims)


amax, amin = max, min


def var(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance over ``axis`` with ``ddof`` (numpy.var).

    >>> var(Tensor([1.0, 2.0, 3.0, 4.0])).data
    array(1.25)
    """
    return _tensor(a).var(axis=axis, ddof=ddof, keepdims=keepdims)


def std(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation over ``axis`` with ``ddof`` (numpy.std).

    >>> std(Tensor([1.0, 3.0])).data
    array(1.)
    """
    return _tensor(a).std(axis=axis, ddof=ddof, keepdims=keepdims)


def prod(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` (numpy.prod), exact gradients at zeros.

    >>> prod(Tensor([2.0, 0.0, 3.0]), axis=0).data
    array(0.)
    """
    return _tensor(a).prod(axis=axis, keepdims=keepdims)


def logsumexp(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """log Σ e**a over ``axis``, without overflow (as scipy.special.logsumexp).

    >>> round(logsumexp(Tensor([1000.0, 1000.0])).item(), 4)
    1000.6931
    """
    t = _tensor(a)
    param = (_norm_axis(axis, t.ndim, "logsumexp"), bool(keepdims))
    return t._param_op(ops.LOGSUMEXP, param)


def cumsum(a: Any, axis: int | None = None) -> Tensor:
    """Running sum along ``axis`` (numpy.cumsum; None: flattened).

    >>> cumsum(Tensor([1.0, 2.0])).data
    array([1., 3.])
    """
    return _tensor(a).cumsum(axis)


def cumprod(a: Any, axis: int | None = None) -> Tensor:
    """Running product along ``axis`` (numpy.cumprod; None: flattened).

    >>> cumprod(Tensor([2.0, 3.0])).data
    array([2., 6.])
    """
    return _tensor(a).cumprod(axis)


def diff(a: Any, n: int = 1, axis: int = -1) -> Tensor:
    """``n``-th differences along ``axis`` (numpy.diff).

    >>> diff(Tensor([1.0, 4.0, 9.0])).data
    array([3., 5.])
    """
    t = _tensor(a)
    if t.ndim == 0:
        raise ValueError("diff: needs at least one axis (the tensor is 0-d)")
    ax = _norm_axis(axis, t.ndim, "diff")
    lead = (slice(None),) * ax
    for _ in range(n):
        t = t[(*lead, slice(1, None))] - t[(*lead, slice(None, -1))]
    return t


def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum along a diagonal (numpy.trace).

    >>> trace(Tensor(np.eye(3))).data
    array(3.)
    """
    return _tensor(a).trace(offset, axis1, axis2)


def argmax(a: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the maximum (numpy.argmax; an integer result: no gradient).

    >>> int(argmax(Tensor([1.0, 3.0])))
    1
    """
    return np.argmax(_data(a), axis=axis, keepdims=keepdims)


def argmin(a: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """Index of the minimum (numpy.argmin; no gradient).

    >>> int(argmin(Tensor([1.0, 3.0])))
    0
    """
    return np.argmin(_data(a), axis=axis, keepdims=keepdims)


def argsort(a: Any, axis: int | None = -1, kind: Any = None) -> np.ndarray:
    """Indices that sort ``a`` along ``axis`` (numpy.argsort; no gradient).

    >>> argsort(Tensor([3.0, 1.0])).tolist()
    [1, 0]
    """
    return np.argsort(_data(a), axis=axis, kind=kind)


def all(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether every element is nonzero (numpy.all; no gradient).

    >>> bool(all(Tensor([1.0, 0.0])))
    False
    """
    return np.all(_data(a), axis=axis, keepdims=keepdims)


def any(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """Whether some element is nonzero (numpy.any; no gradient).

    >>> bool(any(Tensor([1.0, 0.0])))
    True
    """
    return np.any(_data(a), axis=axis, keepdims=keepdims)


def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Peak to peak, max − min over ``axis`` (numpy.ptp).

    >>> ptp(Tensor([1.0, 4.0, 2.0])).item()
    3.0
    """
    t = _tensor(a)
    return t.max(axis=axis, keepdims=keepdims) - t.min(axis=axis, keepdims=keepdims)


def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, keepdims: bool = False
) -> Any:
    """Weighted mean over ``axis`` (numpy.average); weights may be Tensors too.

    >>> average(Tensor([1.0, 3.0]), weights=[3.0, 1.0]).item()
    1.5
    """
    t = _tensor(a)
    if weights is None:
        out, total = t.mean(axis=axis, keepdims=keepdims), None
    else:
        w = weights if isinstance(weights, Tensor) else Tensor(weights, dtype=t.dtype)
        if w.shape != t.shape:  # numpy: 1-d weights along the one axis
            if w.ndim != 1 or axis is None or isinstance(axis, tuple):
                raise ValueError(f"average: weights of shape {w.shape} do not fit {t.shape}")
            ax = _norm_axis(axis, t.ndim, "average")
            w = w.reshape(tuple(-1 if i == ax else 1 for i in range(t.ndim)))
        total = (w + t * 0).sum(axis=axis, keepdims=keepdims)
        out = (t * w).sum(axis=axis, keepdims=keepdims) / total
    if returned:
        n = total if total is not None else Tensor(np.full(out.shape, t.size / max(out.size, 1)))
        return out, n
    return out


def median(a: Any, axis: int | None = None, keepdims: bool = False) -> Tensor:
    """The middle value (mean of the two middle ones) along ``axis`` (numpy.median);
    the gradient goes to the middle elements.

    >>> median(Tensor([3.0, 1.0, 2.0, 10.0])).item()
    2.5
    """
    from .shape import sort, take

    t = _tensor(a)
    if isinstance(axis, tuple):
        raise TypeError("median: one axis or None (a tuple of axes is not supported)")
    flat = axis is None
    ax = 0 if flat else _norm_axis(axis, t.ndim, "median")
    s = sort(t.reshape(-1) if flat else t, ax)
    n = s.shape[ax]
    if n == 0:
        raise ValueError("median: the axis is empty")
    out = take(s, [(n - 1) // 2, n // 2], ax).mean(axis=ax, keepdims=True)
    if keepdims:
        return out.reshape((1,) * t.ndim) if flat else out
    return out.reshape(()) if flat else out.squeeze(ax)


def _nan_as(a: Any, value: float) -> Tensor:
    t = _tensor(a)
    return _where(np.isnan(t.data), value, t)


def nansum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum with nan taken as 0 (numpy.nansum); no gradient reaches a nan.

    >>> nansum(Tensor([1.0, np.nan])).item()
    1.0
    """
    return _nan_as(a, 0.0).sum(axis=axis, keepdims=keepdims)


def nanmean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean of the elements that are not nan (numpy.nanmean).

    >>> nanmean(Tensor([1.0, np.nan, 3.0])).item()
    2.0
    """
    t = _tensor(a)
    count = (~np.isnan(t.data)).sum(axis=axis, keepdims=keepdims)
    return nansum(t, axis=axis, keepdims=keepdims) / count


def nanmax(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum ignoring nan (numpy.nanmax).

    >>> nanmax(Tensor([1.0, np.nan])).item()
    1.0
    """
    return _nan_as(a, -np.inf).max(axis=axis, keepdims=keepdims)


def nanmin(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum ignoring nan (numpy.nanmin).

    >>> nanmin(Tensor([1.0, np.nan])).item()
    1.0
    """
    return _nan_as(a, np.inf).min(axis=axis, keepdims=keepdims)


__all__ = [
    "all",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "average",
    "cumprod",
    "cumsum",
    "diff",
    "logsumexp",
    "max",
    "mean",
    "median",
    "min",
    "nanmax",
    "nanmean",
    "nanmin",
    "nansum",
    "prod",
    "ptp",
    "std",
    "sum",
    "trace",
    "var",
]
