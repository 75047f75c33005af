"""Shape ops: reshape, transpose, broadcast, indexing, joining."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import NARY, PARAM, Node
from .core import Op, _plain, _shape, register, sum_to

RESHAPE = register(
    Op("reshape", PARAM, lambda g, out, x, shape: g.reshape(_shape(x)), array=np.reshape)
)
TRANSPOSE = register(
    Op(
        "transpose",
        PARAM,
        lambda g, out, x, axes: g.transpose(tuple(np.argsort(axes))),
        array=np.transpose,
    )
)
BROADCAST_TO = register(
    Op(
        "broadcast_to",
        PARAM,
        lambda g, out, x, shape: sum_to(g, _shape(x)),
        array=np.broadcast_to,
    )
)


def _getitem(x: np.ndarray, index: Any) -> np.ndarray:
    return x[index]


def _scatter(g: np.ndarray, param: Any) -> np.ndarray:
    index, shape = param
    out = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(index):
        np.add.at(out, index, g)  # repeated indices accumulate
    else:
        out[index] = g  # basic indexing never repeats an element: plain assignment
    return out


def _is_advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (np.ndarray, list)) for i in items)


GETITEM = register(
    Op("getitem", PARAM, lambda g, out, x, index: scatter(g, index, _shape(x)), array=_getitem)
)
SCATTER = register(Op("scatter", PARAM, lambda g, out, x, param: g[param[0]], array=_scatter))


def scatter(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """A zero array of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
    if isinstance(g, Node):
        return g._param_op(SCATTER, (index, shape))  # type: ignore[attr-defined]
    return _scatter(g, (index, shape))


def _split_along(g: Any, axis: int, sizes: list[int]) -> list[Any]:
    pieces, start = [], 0
    lead = (slice(None),) * axis
    for n in sizes:
        pieces.append(g[(*lead, slice(start, start + n))])
        start += n
    return pieces


def _concatenate(axis: int, *xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def _vjp_concatenate(g: Any, out: Any, axis: int, *xs: Any) -> tuple[Any, ...]:
    axis = axis % np.ndim(_plain(out))
    return (None, *_split_along(g, axis, [_shape(x)[axis] for x in xs]))


def _stack(axis: int, *xs: np.ndarray) -> np.ndarray:
    return np.stack(xs, axis=axis)


def _vjp_stack(g: Any, out: Any, axis: int, *xs: Any) -> tuple[Any, ...]:
    axis = axis % np.ndim(_plain(out))
    lead = (slice(None),) * axis
    return (None, *(g[(*lead, i)] for i in range(len(xs))))


CONCATENATE = register(Op("concatenate", NARY, _vjp_concatenate, array=_concatenate))
STACK = register(Op("stack", NARY, _vjp_stack, array=_stack))


def _pad(x: np.ndarray, param: Any) -> np.ndarray:
    widths, value = param
    return np.pad(x, widths, constant_values=value)


def _vjp_pad(g: Any, out: Any, x: Any, param: Any) -> Any:
    # the padding is constant: the gradient is g cut back to the original window
    widths = param[0]
    return g[
        tuple(slice(before, n - after) for (before, after), n in zip(widths, g.shape, strict=True))
    ]


def _astype(x: np.ndarray, dtype: Any) -> np.ndarray:
    return x.astype(dtype)


def _vjp_astype(g: Any, out: Any, x: Any, dtype: Any) -> Any:
    return g.astype(_plain(x).dtype)  # back to the operand's precision


PAD = register(Op("pad", PARAM, _vjp_pad, array=_pad))
ASTYPE = register(Op("astype", PARAM, _vjp_astype, array=_astype))
