"""numpy's shape functions on Tensors: reshape, transpose, joins, splits, flips, ...

Most are arrangements of a few ops (reshape, transpose, getitem, concatenate,
stack, pad), so their gradients come from those ops' vjps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import tensor as _t
from ..tensor import Tensor


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def reshape(a: Any, shape: Any, order: str = "C") -> Tensor:
    """The same elements in a new shape (numpy.reshape); C order only.

    >>> reshape(Tensor([1.0, 2.0, 3.0, 4.0]), (2, 2)).shape
    (2, 2)
    """
    if order != "C":
        raise ValueError(f"reshape: only order='C' is supported, got {order!r}")
    return _tensor(a).reshape(shape)


def transpose(a: Any, axes: Any = None) -> Tensor:
    """Axes permuted (numpy.transpose): reversed, or as ``axes`` says.

    >>> transpose(Tensor([[1.0, 2.0]])).shape
    (2, 1)
    """
    return _tensor(a).transpose(axes)


def swapaxes(a: Any, axis1: int, axis2: int) -> Tensor:
    """Two axes exchanged (numpy.swapaxes).

    >>> swapaxes(Tensor(np.zeros((2, 3))), 0, 1).shape
    (3, 2)
    """
    return _tensor(a).swapaxes(axis1, axis2)


def squeeze(a: Any, axis: Any = None) -> Tensor:
    """Size-1 axes removed (numpy.squeeze).

    >>> squeeze(Tensor(np.zeros((1, 3)))).shape
    (3,)
    """
    return _tensor(a).squeeze(axis)


def expand_dims(a: Any, axis: Any) -> Tensor:
    """A size-1 axis inserted at ``axis`` (numpy.expand_dims; a tuple inserts several).

    >>> expand_dims(Tensor([1.0, 2.0]), 0).shape
    (1, 2)
    """
    t = _tensor(a)
    shape = np.expand_dims(np.empty(t.shape, dtype=bool), axis).shape
    return t.reshape(shape)


def broadcast_to(array: Any, shape: Any) -> Tensor:
    """``array`` repeated along new or size-1 axes to ``shape`` (numpy.broadcast_to).

    >>> broadcast_to(Tensor([1.0, 2.0]), (3, 2)).shape
    (3, 2)
    """
    return _tensor(array).broadcast_to(tuple(np.atleast_1d(shape)) if np.ndim(shape) else (shape,))


def concatenate(arrays: Sequence[Any], axis: int | None = 0) -> Tensor:
    """Join along an existing axis (numpy.concatenate; ``axis=None`` flattens first).

    >>> concatenate([Tensor([1.0]), np.array([2.0])]).data
    array([1., 2.])
    """
    if axis is None:
        return _t.concatenate([_tensor(x).reshape(-1) for x in arrays], axis=0)
    return _t.concatenate(list(arrays), axis=axis)


def stack(arrays: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shaped arrays along a new axis (numpy.stack).

    >>> stack([Tensor([1.0]), Tensor([2.0])], axis=1).shape
    (1, 2)
    """
    return _t.stack(list(arrays), axis=axis)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``x`` where ``condition`` holds, else ``y`` (numpy.where); with the condition
    alone, the indices where it holds (integers: no gradient).

    >>> where(np.array([True, False]), Tensor([1.0, 2.0]), 0.0).data
    array([1., 0.])
    """
    if x is None and y is None:
        return np.nonzero(_t._data(condition))
    if x is None or y is None:
        raise ValueError("where: give both x and y, or neither")
    return _t.where(condition, x, y)


def clip(a: Any, a_min: Any = None, a_max: Any = None) -> Tensor:
    """Values limited to [a_min, a_max] (numpy.clip).

    >>> clip(Tensor([-2.0, 0.5, 3.0]), -1, 1).data
    array([-1. ,  0.5,  1. ])
    """
    return _tensor(a).clip(_t._data(a_min), _t._data(a_max))


__all__ = [
    "broadcast_to",
    "clip",
    "concatenate",
    "expand_dims",
    "reshape",
    "squeeze",
    "stack",
    "swapaxes",
    "transpose",
    "where",
]
