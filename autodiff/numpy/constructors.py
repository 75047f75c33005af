"""numpy's array constructors, making Tensor leaves (float64 unless ``dtype`` says).

``requires_grad=True`` makes a leaf to differentiate with respect to; ``*_like`` take
the shape (and a floating dtype) of a Tensor or an array.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor, _data


def _leaf(data: np.ndarray, requires_grad: bool) -> Tensor:
    return Tensor(data, requires_grad=requires_grad, dtype=data.dtype)


def _float(dtype: Any) -> Any:
    return np.float64 if dtype is None else dtype


def _like_dtype(a: Any, dtype: Any) -> Any:
    if dtype is not None:
        return dtype
    dt = np.asarray(_data(a)).dtype
    return dt if dt.kind == "f" else np.float64


def zeros(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of zeros (numpy.zeros).

    >>> zeros((2, 3)).shape
    (2, 3)
    """
    return _leaf(np.zeros(shape, dtype=_float(dtype)), requires_grad)


def ones(shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ones (numpy.ones).

    >>> ones(2).data
    array([1., 1.])
    """
    return _leaf(np.ones(shape, dtype=_float(dtype)), requires_grad)


def full(shape: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A Tensor of ``fill_value`` (numpy.full).

    >>> full(2, 7).data
    array([7., 7.])
    """
    return _leaf(np.full(shape, _data(fill_value), dtype=_float(dtype)), requires_grad)


def eye(
    N: int, M: int | None = None, k: int = 0, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """The identity (ones on the ``k``-th diagonal), numpy.eye.

    >>> eye(2).data
    array([[1., 0.],
           [0., 1.]])
    """
    return _leaf(np.eye(N, M, k, dtype=_float(dtype)), requires_grad)


identity = eye


def arange(*args: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Evenly spaced values in [start, stop) (numpy.arange), float64 unless ``dtype``.

    >>> arange(3).data
    array([0., 1., 2.])
    """
    return _leaf(np.arange(*args, dtype=_float(dtype)), requires_grad)


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    dtype: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``num`` evenly spaced values from start to stop (numpy.linspace).

    >>> linspace(0, 1, 3).data
    array([0. , 0.5, 1. ])
    """
    data = np.linspace(_data(start), _data(stop), num, endpoint=endpoint, dtype=_float(dtype))
    return _leaf(data, requires_grad)


def zeros_like(a: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``a``'s shape (numpy.zeros_like).

    >>> zeros_like(Tensor([1.0, 2.0])).data
    array([0., 0.])
    """
    return _leaf(np.zeros(np.shape(_data(a)), dtype=_like_dtype(a, dtype)), requires_grad)


def ones_like(a: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones of ``a``'s shape (numpy.ones_like).

    >>> ones_like(Tensor([1.0, 2.0])).data
    array([1., 1.])
    """
    return _leaf(np.ones(np.shape(_data(a)), dtype=_like_dtype(a, dtype)), requires_grad)


def full_like(a: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``a``'s shape (numpy.full_like).

    >>> full_like(Tensor([1.0, 2.0]), 3).data
    array([3., 3.])
    """
    shape = np.shape(_data(a))
    return _leaf(np.full(shape, _data(fill_value), dtype=_like_dtype(a, dtype)), requires_grad)


def empty_like(a: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``a``'s shape: numpy's uninitialised memory would only hide bugs here.

    >>> empty_like(Tensor([1.0])).shape
    (1,)
    """
    return zeros_like(a, dtype, requires_grad)


__all__ = [
    "arange",
    "empty_like",
    "eye",
    "full",
    "full_like",
    "identity",
    "linspace",
    "ones",
    "ones_like",
    "zeros",
    "zeros_like",
]
