"""numpy's shape functions on Tensors: reshape, transpose, joins, splits, flips, ...

Most are arrangements of a few ops (reshape, transpose, getitem, concatenate,
stack, pad), so their gradients come from those ops' vjps.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import ops
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


def ravel(a: Any) -> Tensor:
    """All elements in one axis (numpy.ravel).

    >>> ravel(Tensor(np.zeros((2, 3)))).shape
    (6,)
    """
    return _tensor(a).reshape(-1)


def moveaxis(a: Any, source: Any, destination: Any) -> Tensor:
    """Axes moved to new positions, the others kept in order (numpy.moveaxis).

    >>> moveaxis(Tensor(np.zeros((2, 3, 4))), 0, -1).shape
    (3, 4, 2)
    """
    t = _tensor(a)
    return t.transpose(_moved(t.ndim, source, destination))


def _moved(ndim: int, source: Any, destination: Any) -> tuple[int, ...]:
    src = [int(s) % ndim for s in np.atleast_1d(source)]
    dst = [int(d) % ndim for d in np.atleast_1d(destination)]
    rest = [i for i in range(ndim) if i not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        rest.insert(d, s)
    return tuple(rest)


def _index_along(t: Tensor, axis: int, index: Any) -> Tensor:
    return t[(slice(None),) * axis + (index,)]


def flip(m: Any, axis: Any = None) -> Tensor:
    """Elements in reverse order along ``axis`` (numpy.flip; None: every axis).

    >>> flip(Tensor([1.0, 2.0, 3.0])).data
    array([3., 2., 1.])
    """
    t = _tensor(m)
    axes = range(t.ndim) if axis is None else np.atleast_1d(axis)
    index = [slice(None)] * t.ndim
    for ax in axes:
        index[int(ax) % t.ndim] = slice(None, None, -1)
    return t[tuple(index)]


def fliplr(m: Any) -> Tensor:
    """Columns reversed (numpy.fliplr).

    >>> fliplr(Tensor([[1.0, 2.0]])).data
    array([[2., 1.]])
    """
    return flip(m, 1)


def flipud(m: Any) -> Tensor:
    """Rows reversed (numpy.flipud).

    >>> flipud(Tensor([1.0, 2.0])).data
    array([2., 1.])
    """
    return flip(m, 0)


def rot90(m: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> Tensor:
    """Rotation by 90° ``k`` times in the plane ``axes`` (numpy.rot90).

    >>> rot90(Tensor([[1.0, 2.0], [3.0, 4.0]])).data
    array([[2., 4.],
           [1., 3.]])
    """
    t = _tensor(m)
    k %= 4
    a, b = axes
    if k == 0:
        return t.reshape(t.shape)
    if k == 2:
        return flip(flip(t, a), b)
    perm = list(range(t.ndim))
    perm[a], perm[b] = perm[b], perm[a]
    return flip(t, b).transpose(perm) if k == 1 else flip(t.transpose(perm), b)


def roll(a: Any, shift: Any, axis: Any = None) -> Tensor:
    """Elements shifted cyclically along ``axis`` (numpy.roll; None: flattened).

    >>> roll(Tensor([1.0, 2.0, 3.0]), 1).data
    array([3., 1., 2.])
    """
    t = _tensor(a)
    if axis is None:
        return roll(t.reshape(-1), shift, 0).reshape(t.shape)
    shifts, axes = np.broadcast_arrays(np.atleast_1d(shift), np.atleast_1d(axis))
    for s, ax in zip(shifts, axes, strict=True):
        ax = int(ax) % t.ndim
        n = t.shape[ax]
        t = _index_along(t, ax, (np.arange(n) - int(s)) % max(n, 1))
    return t


def repeat(a: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Each element repeated along ``axis`` (numpy.repeat; None: flattened).

    >>> repeat(Tensor([1.0, 2.0]), [1, 2]).data
    array([1., 2., 2.])
    """
    t = _tensor(a)
    if axis is None:
        t, axis = t.reshape(-1), 0
    ax = int(axis) % max(t.ndim, 1)
    picks = np.repeat(np.arange(t.shape[ax]), _t._data(repeats))
    return _index_along(t, ax, picks)


def tile(A: Any, reps: Any) -> Tensor:
    """``A`` repeated ``reps`` times along each axis (numpy.tile).

    >>> tile(Tensor([1.0, 2.0]), 2).data
    array([1., 2., 1., 2.])
    """
    t = _tensor(A)
    reps = tuple(int(r) for r in np.atleast_1d(reps))
    ndim = max(len(reps), t.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - t.ndim) + t.shape
    # (r0, n0, r1, n1, ...) by broadcasting, then merged pairwise
    spread = t.reshape(tuple(x for n in shape for x in (1, n)))
    big = spread.broadcast_to(tuple(x for r, n in zip(reps, shape, strict=True) for x in (r, n)))
    return big.reshape(tuple(r * n for r, n in zip(reps, shape, strict=True)))


def pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: Any = 0) -> Tensor:
    """Padded with a constant (numpy.pad, mode "constant").

    >>> pad(Tensor([1.0]), 1).data
    array([0., 1., 0.])
    """
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is differentiable here, got {mode!r}")
    t = _tensor(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (t.ndim, 2))
    value = float(np.asarray(constant_values).ravel()[0]) if np.size(constant_values) else 0.0
    if np.size(constant_values) > 1 and len(set(np.ravel(constant_values))) > 1:
        raise ValueError("pad: one constant value for every side is supported")
    param = (tuple((int(lo), int(hi)) for lo, hi in widths), value)
    return t._param_op(ops.PAD, param)


def _split_points(n: int, sections: Any, even: bool, what: str) -> list[int]:
    if np.ndim(sections) == 0:
        k = int(sections)
        if k <= 0:
            raise ValueError(f"{what}: the number of sections must be > 0, got {k}")
        if even and n % k:
            raise ValueError(f"{what}: an axis of {n} does not split into {k} equal parts")
        size, extra = divmod(n, k)
        sizes = [size + 1] * extra + [size] * (k - extra)
        return list(np.cumsum(sizes)[:-1])
    return [int(i) for i in sections]


def _split(ary: Any, sections: Any, axis: int, even: bool, what: str) -> list[Tensor]:
    t = _tensor(ary)
    ax = int(axis) % max(t.ndim, 1)
    bounds = [0, *_split_points(t.shape[ax], sections, even, what), t.shape[ax]]
    return [_index_along(t, ax, slice(lo, hi)) for lo, hi in itertools.pairwise(bounds)]


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Pieces along ``axis``: equal ones, or cut at indices (numpy.split).

    >>> [p.shape for p in split(Tensor(np.zeros(4)), 2)]
    [(2,), (2,)]
    """
    return _split(ary, indices_or_sections, axis, True, "split")


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """Like split, the first pieces one longer where they cannot be equal.

    >>> [p.shape for p in array_split(Tensor(np.zeros(5)), 2)]
    [(3,), (2,)]
    """
    return _split(ary, indices_or_sections, axis, False, "array_split")


def hsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """split along axis 1 (axis 0 for 1-d), numpy.hsplit.

    >>> len(hsplit(Tensor(np.zeros((2, 4))), 2))
    2
    """
    return split(ary, indices_or_sections, 1 if np.ndim(_t._data(ary)) > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """split along axis 0, numpy.vsplit.

    >>> len(vsplit(Tensor(np.zeros((2, 4))), 2))
    2
    """
    return split(ary, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """split along axis 2, numpy.dsplit.

    >>> len(dsplit(Tensor(np.zeros((1, 1, 4))), 2))
    2
    """
    return split(ary, indices_or_sections, 2)


def atleast_1d(*arys: Any) -> Any:
    """Each array with at least one axis (numpy.atleast_1d).

    >>> atleast_1d(Tensor(1.0)).shape
    (1,)
    """
    out = [_tensor(a).reshape(np.atleast_1d(_t._data(a)).shape) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys: Any) -> Any:
    """Each array with at least two axes (numpy.atleast_2d).

    >>> atleast_2d(Tensor([1.0])).shape
    (1, 1)
    """
    out = [_tensor(a).reshape(np.atleast_2d(_t._data(a)).shape) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys: Any) -> Any:
    """Each array with at least three axes (numpy.atleast_3d).

    >>> atleast_3d(Tensor([1.0])).shape
    (1, 1, 1)
    """
    out = [_tensor(a).reshape(np.atleast_3d(_t._data(a)).shape) for a in arys]
    return out[0] if len(out) == 1 else out


def hstack(tup: Sequence[Any]) -> Tensor:
    """Join along axis 1 (axis 0 for 1-d), numpy.hstack.

    >>> hstack([Tensor([1.0]), Tensor([2.0])]).data
    array([1., 2.])
    """
    arrs = [atleast_1d(a) for a in tup]
    return _t.concatenate(arrs, axis=0 if arrs and arrs[0].ndim == 1 else 1)


def vstack(tup: Sequence[Any]) -> Tensor:
    """Join along axis 0 after making each at least 2-d, numpy.vstack.

    >>> vstack([Tensor([1.0]), Tensor([2.0])]).shape
    (2, 1)
    """
    return _t.concatenate([atleast_2d(a) for a in tup], axis=0)


row_stack = vstack


def dstack(tup: Sequence[Any]) -> Tensor:
    """Join along axis 2 after making each at least 3-d, numpy.dstack.

    >>> dstack([Tensor([1.0]), Tensor([2.0])]).shape
    (1, 1, 2)
    """
    return _t.concatenate([atleast_3d(a) for a in tup], axis=2)


def column_stack(tup: Sequence[Any]) -> Tensor:
    """1-d arrays as columns, 2-d ones as they are, joined along axis 1.

    >>> column_stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])]).shape
    (2, 2)
    """
    cols = [_tensor(a) for a in tup]
    return _t.concatenate([c.reshape(-1, 1) if c.ndim < 2 else c for c in cols], axis=1)


def append(arr: Any, values: Any, axis: int | None = None) -> Tensor:
    """``values`` joined after ``arr`` (numpy.append; None: both flattened).

    >>> append(Tensor([1.0]), [2.0, 3.0]).data
    array([1., 2., 3.])
    """
    return concatenate([arr, values], axis=axis)


def _diagonal_index(shape: tuple[int, ...], offset: int, axis1: int, axis2: int) -> Any:
    n1, n2 = shape[axis1], shape[axis2]
    rows = np.arange(max(0, -offset), min(n1, n2 - offset)) if n2 - offset > 0 else np.arange(0)
    return rows, rows + offset


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the plane (axis1, axis2) as a last axis (numpy.diagonal).

    >>> diagonal(Tensor([[1.0, 2.0], [3.0, 4.0]]), 1).data
    array([2.])
    """
    t = _tensor(a)
    if t.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 axes, got a tensor of shape {t.shape}")
    ax1, ax2 = int(axis1) % t.ndim, int(axis2) % t.ndim
    if ax1 == ax2:
        raise ValueError("diagonal: axis1 and axis2 must differ")
    rest = [i for i in range(t.ndim) if i not in (ax1, ax2)]
    moved = t.transpose((*rest, ax1, ax2))
    rows, cols = _diagonal_index(t.shape, int(offset), ax1, ax2)
    return moved[(..., rows, cols)]


def diag(v: Any, k: int = 0) -> Tensor:
    """A 1-d array on the ``k``-th diagonal of a square matrix, or a matrix's diagonal.

    >>> diag(Tensor([1.0, 2.0])).data
    array([[1., 0.],
           [0., 2.]])
    """
    t = _tensor(v)
    if t.ndim == 2:
        return diagonal(t, k)
    if t.ndim != 1:
        raise ValueError(f"diag: takes a 1-d or 2-d tensor, got shape {t.shape}")
    n = t.shape[0] + abs(int(k))
    rows = np.arange(t.shape[0]) + max(0, -int(k))
    index = (rows, rows + int(k))
    return _scatter(t, index, (n, n))


def _scatter(t: Tensor, index: Any, shape: tuple[int, ...]) -> Tensor:
    return t._param_op(ops.SCATTER, (index, shape))


def tril(m: Any, k: int = 0) -> Tensor:
    """The lower triangle (below the ``k``-th diagonal: zeros), numpy.tril.

    >>> tril(Tensor(np.ones((2, 2)))).data
    array([[1., 0.],
           [1., 1.]])
    """
    t = _tensor(m)
    keep = np.tri(t.shape[-2], t.shape[-1], k, dtype=bool)
    return _t.where(keep, t, 0.0)


def triu(m: Any, k: int = 0) -> Tensor:
    """The upper triangle (above the ``k``-th diagonal: zeros), numpy.triu.

    >>> triu(Tensor(np.ones((2, 2)))).data
    array([[1., 1.],
           [0., 1.]])
    """
    t = _tensor(m)
    keep = ~np.tri(t.shape[-2], t.shape[-1], k - 1, dtype=bool)
    return _t.where(keep, t, 0.0)


def take(a: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Elements at ``indices`` along ``axis`` (numpy.take; None: flattened).

    >>> take(Tensor([[1.0, 2.0], [3.0, 4.0]]), [0, 3]).data
    array([1., 4.])
    """
    t = _tensor(a)
    if axis is None:
        t, axis = t.reshape(-1), 0
    return _index_along(t, int(axis) % max(t.ndim, 1), np.asarray(_t._data(indices)))


def take_along_axis(arr: Any, indices: Any, axis: int | None) -> Tensor:
    """Elements picked by ``indices`` along ``axis``, matched on the other axes.

    >>> take_along_axis(Tensor([[1.0, 2.0]]), np.array([[1, 1]]), 1).data
    array([[2., 2.]])
    """
    t = _tensor(arr)
    idx = np.asarray(_t._data(indices))
    if axis is None:
        t, axis = t.reshape(-1), 0
    ax = int(axis) % t.ndim
    grids = np.ogrid[tuple(slice(n) for n in idx.shape)]
    index = tuple(idx if i == ax else grids[i] for i in range(t.ndim))
    return t[index]


def sort(a: Any, axis: int | None = -1, kind: Any = None) -> Tensor:
    """Sorted along ``axis`` (numpy.sort); the gradient follows the permutation.

    >>> sort(Tensor([3.0, 1.0, 2.0])).data
    array([1., 2., 3.])
    """
    t = _tensor(a)
    if axis is None:
        t, axis = t.reshape(-1), 0
    order = np.argsort(t.data, axis=axis, kind="stable")
    return take_along_axis(t, order, axis)


def astype(x: Any, dtype: Any, copy: bool = True) -> Tensor:
    """The data cast to ``dtype`` (numpy.astype); between floats the gradient is cast back.

    >>> astype(Tensor([1.5]), np.float32).dtype
    dtype('float32')
    """
    t = _tensor(x)
    dt = np.dtype(dtype)
    if dt.kind != "f":  # an integer or boolean result carries no gradient
        return Tensor(t.data.astype(dt), dtype=dt)
    return t._param_op(ops.ASTYPE, dt)


def copy(a: Any) -> Tensor:
    """A copy of the data, still in the graph (numpy.copy).

    >>> copy(Tensor([1.0])).data
    array([1.])
    """
    return astype(a, _tensor(a).dtype)


def matrix_transpose(x: Any, /) -> Tensor:
    """The last two axes swapped (numpy.matrix_transpose).

    >>> matrix_transpose(Tensor(np.zeros((2, 3)))).shape
    (3, 2)
    """
    return _tensor(x).swapaxes(-1, -2)


def unstack(x: Any, /, *, axis: int = 0) -> tuple[Tensor, ...]:
    """The slices along ``axis`` (numpy.unstack).

    >>> [t.shape for t in unstack(Tensor(np.zeros((2, 3))))]
    [(3,), (3,)]
    """
    t = _tensor(x)
    ax = int(axis) % max(t.ndim, 1)
    return tuple(_index_along(t, ax, i) for i in range(t.shape[ax]))


def broadcast_arrays(*args: Any) -> tuple[Tensor, ...]:
    """Every argument broadcast to their common shape (numpy.broadcast_arrays).

    >>> [t.shape for t in broadcast_arrays(Tensor([1.0]), Tensor([[1.0], [2.0]]))]
    [(2, 1), (2, 1)]
    """
    ts = [_tensor(a) for a in args]
    shape = np.broadcast_shapes(*(t.shape for t in ts))
    return tuple(t.broadcast_to(shape) for t in ts)


def diagflat(v: Any, k: int = 0) -> Tensor:
    """The flattened input on the ``k``-th diagonal of a square matrix (numpy.diagflat).

    >>> diagflat(Tensor([[1.0, 2.0]])).shape
    (2, 2)
    """
    return diag(_tensor(v).reshape(-1), k)


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Tensor:
    """Differences of the flattened input, with optional ends (numpy.ediff1d).

    >>> ediff1d(Tensor([1.0, 4.0, 9.0])).data
    array([3., 5.])
    """
    flat = _tensor(ary).reshape(-1)
    parts = [flat[1:] - flat[:-1]]
    if to_begin is not None:
        parts.insert(0, _tensor(to_begin).reshape(-1))
    if to_end is not None:
        parts.append(_tensor(to_end).reshape(-1))
    return _t.concatenate(parts) if len(parts) > 1 else parts[0]


__all__ = [
    "append",
    "array_split",
    "astype",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_arrays",
    "broadcast_to",
    "clip",
    "column_stack",
    "concatenate",
    "copy",
    "diag",
    "diagflat",
    "diagonal",
    "dsplit",
    "dstack",
    "ediff1d",
    "expand_dims",
    "flip",
    "fliplr",
    "flipud",
    "hsplit",
    "hstack",
    "matrix_transpose",
    "moveaxis",
    "pad",
    "ravel",
    "repeat",
    "reshape",
    "roll",
    "rot90",
    "row_stack",
    "sort",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "take",
    "take_along_axis",
    "tile",
    "transpose",
    "tril",
    "triu",
    "unstack",
    "vsplit",
    "vstack",
    "where",
]
