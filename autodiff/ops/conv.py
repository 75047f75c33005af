"""Convolution and pooling: ops over sliding windows of ``(N, C, *spatial)`` arrays.

Every op here is linear in each operand, and each op's vjp is another op of this file,
so the family is closed under differentiation and ``create_graph`` works to any order:

- ``conv`` (x, w) → y; its vjps are ``conv_dx`` (g, w) → dx and ``conv_dw`` (x, g) → dw,
  whose own vjps are ``conv`` and each other again;
- ``max_pool`` gathers the largest element of each window (the positions are kept), and
  ``max_unpool`` puts gradients back there: each is the other's vjp;
- ``avg_pool`` and ``avg_unpool`` likewise.

Windows are strided views (no copy) of the padded input: ``[n, c, *k, *o]`` is the
element ``o * stride + k * dilation`` of the padded image. A convolution copies them
once into the im2col matrix and multiplies it by the weight (one BLAS call per sample
and group); the adjoint "fold" adds back one kernel offset at a time (a loop over the
kernel's few offsets, never over elements).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..engine import NARY, PARAM, Node
from .core import Op, register

Ints = tuple[int, ...]


class ConvSpec:
    """The fixed part of a convolution: geometry, the shapes it maps between, which
    operands need gradients, and the im2col matrix the forward made (kept for dw)."""

    __slots__ = (
        "stride",
        "padding",
        "dilation",
        "groups",
        "x_shape",
        "w_shape",
        "out_size",
        "needs",
        "cols",
    )

    def __init__(
        self,
        x_shape: Ints,
        w_shape: Ints,
        stride: Ints,
        padding: tuple[tuple[int, int], ...],
        dilation: Ints,
        groups: int,
        needs: tuple[bool, ...] = (True, True, True),
    ) -> None:
        self.x_shape = x_shape
        self.w_shape = w_shape
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.out_size = _out_size(x_shape[2:], w_shape[2:], stride, padding, dilation)
        self.needs = needs  # x, w, bias: which ones a plain backward must compute
        self.cols: np.ndarray | None = None

    @property
    def kernel(self) -> Ints:
        return self.w_shape[2:]


def _out_size(
    size: Ints, kernel: Ints, stride: Ints, padding: tuple[tuple[int, int], ...], dilation: Ints
) -> Ints:
    return tuple(
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, s, (lo, hi), d in zip(size, kernel, stride, padding, dilation, strict=True)
    )


def _padded(x: np.ndarray, padding: tuple[tuple[int, int], ...], value: float = 0.0) -> np.ndarray:
    if not any(lo or hi for lo, hi in padding):
        return x
    shape = x.shape[:2] + tuple(
        n + lo + hi for n, (lo, hi) in zip(x.shape[2:], padding, strict=True)
    )
    out = np.full(shape, value, dtype=x.dtype)
    out[_interior(x.shape[2:], padding)] = x
    return out


def _interior(size: Ints, padding: tuple[tuple[int, int], ...]) -> tuple[Any, ...]:
    """The index of the unpadded part of a padded array."""
    return (Ellipsis, *(slice(lo, lo + n) for n, (lo, _) in zip(size, padding, strict=True)))


def _unpadded(xp: np.ndarray, size: Ints, padding: tuple[tuple[int, int], ...]) -> np.ndarray:
    if not any(lo or hi for lo, hi in padding):
        return xp
    return xp[_interior(size, padding)]


def _windows(xp: np.ndarray, kernel: Ints, stride: Ints, dilation: Ints, out: Ints) -> np.ndarray:
    """A read-only view (N, C, *kernel, *out) of the windows of the padded ``xp``."""
    s = xp.strides
    nd = len(kernel)
    strides = (
        s[:2]
        + tuple(s[2 + a] * dilation[a] for a in range(nd))
        + tuple(s[2 + a] * stride[a] for a in range(nd))
    )
    return as_strided(xp, xp.shape[:2] + kernel + out, strides, writeable=False)


def _fold(
    cols: np.ndarray, shape: Ints, kernel: Ints, stride: Ints, dilation: Ints, out: Ints
) -> np.ndarray:
    """The adjoint of ``_windows``: each window element added back where it came from
    (overlapping windows accumulate). ``cols`` is (N, C, *kernel, *out)."""
    xp = np.zeros(shape, dtype=cols.dtype)
    lead = (slice(None), slice(None))
    for offset in np.ndindex(*kernel):
        target = tuple(
            slice(i * d, i * d + s * (o - 1) + 1, s)
            for i, d, s, o in zip(offset, dilation, stride, out, strict=True)
        )
        xp[lead + target] += cols[lead + offset]
    return xp


# --- convolution ---------------------------------------------------------------------


def _im2col(spec: ConvSpec, x: np.ndarray) -> np.ndarray:
    """(N, groups, C/groups · K, L): each output position's window, as a column."""
    xp = _padded(x, spec.padding)
    win = _windows(xp, spec.kernel, spec.stride, spec.dilation, spec.out_size)
    return win.reshape(x.shape[0], spec.groups, -1, math.prod(spec.out_size))


def _conv(spec: ConvSpec, x: np.ndarray, w: np.ndarray, b: Any = None) -> np.ndarray:
    cols = _im2col(spec, x)
    return _conv_cols(spec, cols, w, b)


def _conv_cols(spec: ConvSpec, cols: np.ndarray, w: np.ndarray, b: Any) -> np.ndarray:
    n, g = cols.shape[0], spec.groups
    out = np.matmul(w.reshape(g, w.shape[0] // g, -1), cols)  # (N, G, O/G, L)
    out = out.reshape((n, w.shape[0], *spec.out_size))
    if b is not None:
        out += b.reshape((-1,) + (1,) * len(spec.out_size))
    return out


def conv_forward(spec: ConvSpec, x: np.ndarray, w: np.ndarray, b: Any = None) -> np.ndarray:
    """The convolution, keeping the im2col matrix in ``spec`` when ``w`` needs a gradient
    (the backward's dw is then one product, with no second im2col)."""
    cols = _im2col(spec, x)
    if spec.needs[1]:
        spec.cols = cols
    return _conv_cols(spec, cols, w, b)


def _conv_dx(spec: ConvSpec, g: np.ndarray, w: np.ndarray) -> np.ndarray:
    """dL/dx of ``conv`` for the output gradient ``g``: the transposed convolution."""
    n, groups, o = g.shape[0], spec.groups, w.shape[0]
    gm = g.reshape(n, groups, o // groups, -1)
    wm = w.reshape(groups, o // groups, -1)
    cols = np.matmul(wm.swapaxes(-1, -2), gm)  # (N, G, C/G·K, L)
    cols = cols.reshape(spec.x_shape[:2] + spec.kernel + spec.out_size)
    size = spec.x_shape[2:]
    padded = spec.x_shape[:2] + tuple(
        n + lo + hi for n, (lo, hi) in zip(size, spec.padding, strict=True)
    )
    xp = _fold(cols, padded, spec.kernel, spec.stride, spec.dilation, spec.out_size)
    return _unpadded(xp, size, spec.padding)


def _conv_dw(spec: ConvSpec, x: np.ndarray, g: np.ndarray, cols: Any = None) -> np.ndarray:
    """dL/dw of ``conv`` for the output gradient ``g``: windows of x times g, summed."""
    if cols is None:
        cols = _im2col(spec, x)
    n, groups = g.shape[0], spec.groups
    o = spec.w_shape[0]
    if groups == 1:  # one product over every sample and position
        dw = np.tensordot(g.reshape(n, o, -1), cols[:, 0], axes=([0, 2], [0, 2]))
    else:
        gm = g.reshape(n, groups, o // groups, -1)
        dw = np.einsum("ngol,ngkl->gok", gm, cols, optimize=True)
    return dw.reshape(spec.w_shape)


def _recording(*xs: Any) -> bool:
    return any(isinstance(x, Node) for x in xs)


def record(op: Op, operands: tuple[Any, ...]) -> Any:
    """``op`` applied to ``operands`` (nodes or arrays), recorded when any is a node."""
    from ..tensor import _nary  # the op table is imported by tensor: import at call time

    data = op.array(*(x.data if isinstance(x, Node) else x for x in operands))  # type: ignore[misc]
    return _nary(op, operands, data)


def _bias_grad(g: Any, nd: int) -> Any:
    return g.sum(axis=(0, *range(2, 2 + nd)))


def _vjp_conv(g: Any, out: Any, spec: ConvSpec, x: Any, w: Any, *b: Any) -> tuple[Any, ...]:
    if _recording(g, x, w):
        dx = record(CONV_DX, (spec, g, w)) if isinstance(x, Node) else None
        dw = record(CONV_DW, (spec, x, g)) if isinstance(w, Node) else None
    else:
        dx = _conv_dx(spec, g, w) if spec.needs[0] else None
        dw = None
        if spec.needs[1]:
            cols, spec.cols = spec.cols, None  # used once: a second pass recomputes it
            dw = _conv_dw(spec, x, g, cols)
    grads = (None, dx, dw)
    return (*grads, _bias_grad(g, len(spec.out_size))) if b and b[0] is not None else grads


def _vjp_conv_dx(u: Any, out: Any, spec: ConvSpec, g: Any, w: Any) -> tuple[Any, ...]:
    # conv_dx(g, w) is the adjoint of x ↦ conv(x, w): <conv_dx(g, w), u> = <g, conv(u, w)>
    if _recording(u, g, w):
        return None, record(CONV, (spec, u, w)), record(CONV_DW, (spec, u, g))
    return None, _conv(spec, u, w), _conv_dw(spec, u, g)


def _vjp_conv_dw(v: Any, out: Any, spec: ConvSpec, x: Any, g: Any) -> tuple[Any, ...]:
    # conv_dw(x, g) is the adjoint of w ↦ conv(x, w): <conv_dw(x, g), v> = <g, conv(x, v)>
    if _recording(v, x, g):
        return None, record(CONV_DX, (spec, g, v)), record(CONV, (spec, x, v))
    return None, _conv_dx(spec, g, v), _conv(spec, x, v)


CONV = register(Op("conv", NARY, _vjp_conv, array=_conv))
CONV_DX = register(Op("conv_dx", NARY, _vjp_conv_dx, array=_conv_dx))
CONV_DW = register(Op("conv_dw", NARY, _vjp_conv_dw, array=_conv_dw))


# --- pooling ---------------------------------------------------------------------------


class PoolSpec:
    """A pooling window's geometry and the input shape; max pooling also keeps, per
    output, the flat index of the input element it took; average pooling its divisor."""

    __slots__ = (
        "kernel",
        "stride",
        "padding",
        "dilation",
        "x_shape",
        "out_size",
        "index",
        "divisor",
        "count_include_pad",
    )

    def __init__(
        self,
        x_shape: Ints,
        kernel: Ints,
        stride: Ints,
        padding: Ints,
        dilation: Ints,
        count_include_pad: bool = True,
    ) -> None:
        self.x_shape = x_shape
        self.kernel = kernel
        self.stride = stride
        self.padding = tuple((p, p) for p in padding)
        self.dilation = dilation
        self.out_size = _out_size(x_shape[2:], kernel, stride, self.padding, dilation)
        self.index: np.ndarray | None = None
        self.count_include_pad = count_include_pad
        self.divisor: Any = None

    def overlapping(self) -> bool:
        return any(
            s < d * (k - 1) + 1
            for s, d, k in zip(self.stride, self.dilation, self.kernel, strict=True)
        )

    def windows(self, x: np.ndarray, fill: float) -> np.ndarray:
        xp = _padded(x, self.padding, fill)
        return _windows(xp, self.kernel, self.stride, self.dilation, self.out_size)

    def fold(self, cols: np.ndarray) -> np.ndarray:
        size = self.x_shape[2:]
        padded = self.x_shape[:2] + tuple(
            n + 2 * p for n, (p, _) in zip(size, self.padding, strict=True)
        )
        xp = _fold(cols, padded, self.kernel, self.stride, self.dilation, self.out_size)
        return _unpadded(xp, size, self.padding)


def _max_pool(x: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """Each window's largest element (the first, on ties, as PyTorch); the positions are
    kept in ``spec``, and once they are, the op gathers ``x`` at them (its use as the
    vjp of ``max_unpool``)."""
    if spec.index is not None:
        return x.reshape(-1)[spec.index]  # type: ignore[no-any-return]
    n, c = x.shape[:2]
    nd = len(spec.kernel)
    win = spec.windows(x, -np.inf).reshape(n, c, math.prod(spec.kernel), *spec.out_size)
    best = win.argmax(axis=2)
    out = np.take_along_axis(win, best[:, :, None], 2)[:, :, 0]
    # flat index into x of each chosen element: row-major over (n, c, *spatial)
    offsets = np.unravel_index(best, spec.kernel)
    flat = np.arange(n * c).reshape((n, c) + (1,) * nd)
    for a in range(nd):
        o = np.arange(spec.out_size[a]).reshape((-1,) + (1,) * (nd - 1 - a))
        coord = o * spec.stride[a] + offsets[a] * spec.dilation[a] - spec.padding[a][0]
        flat = flat * spec.x_shape[2 + a] + coord
    spec.index = flat
    return out  # type: ignore[no-any-return]


def _max_unpool(g: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """Each output gradient added at the input element its window took."""
    index = spec.index
    assert index is not None  # set by the forward, which made this op's node
    size = math.prod(spec.x_shape)
    if not spec.overlapping():  # each input element is taken at most once: assignment
        dx = np.zeros(size, dtype=g.dtype)
        dx[index.reshape(-1)] = g.reshape(-1)
    else:
        dx = np.bincount(index.reshape(-1), g.reshape(-1), size).astype(g.dtype, copy=False)
    return dx.reshape(spec.x_shape)


def _vjp_max_pool(g: Any, out: Any, x: Any, spec: PoolSpec) -> Any:
    return g._param_op(MAX_UNPOOL, spec) if isinstance(g, Node) else _max_unpool(g, spec)  # type: ignore[attr-defined]


def _vjp_max_unpool(u: Any, out: Any, g: Any, spec: PoolSpec) -> Any:
    return u._param_op(MAX_POOL, spec) if isinstance(u, Node) else _max_pool(u, spec)  # type: ignore[attr-defined]


MAX_POOL = register(Op("max_pool", PARAM, _vjp_max_pool, array=_max_pool))
MAX_UNPOOL = register(Op("max_unpool", PARAM, _vjp_max_unpool, array=_max_unpool))


def _divisor(spec: PoolSpec, dtype: Any) -> Any:
    if spec.divisor is None:
        if spec.count_include_pad:
            spec.divisor = float(math.prod(spec.kernel))
        else:  # how many real (unpadded) elements each window holds
            ones = np.ones((1, 1, *spec.x_shape[2:]), dtype=np.float64)
            win = spec.windows(ones, 0.0)
            spec.divisor = win.sum(axis=tuple(range(2, 2 + len(spec.kernel))))[0, 0]
    if isinstance(spec.divisor, np.ndarray) and spec.divisor.dtype != dtype:
        return spec.divisor.astype(dtype)
    return spec.divisor


def _avg_pool(x: np.ndarray, spec: PoolSpec) -> np.ndarray:
    win = spec.windows(x, 0.0)
    total = np.add.reduce(win, axis=tuple(range(2, 2 + len(spec.kernel))))
    total /= _divisor(spec, x.dtype)
    return total  # type: ignore[no-any-return]


def _avg_unpool(g: np.ndarray, spec: PoolSpec) -> np.ndarray:
    share = g / _divisor(spec, g.dtype)
    nd = len(spec.kernel)
    cols = np.broadcast_to(
        share.reshape(g.shape[:2] + (1,) * nd + g.shape[2:]),
        g.shape[:2] + spec.kernel + g.shape[2:],
    )
    return spec.fold(cols)


def _vjp_avg_pool(g: Any, out: Any, x: Any, spec: PoolSpec) -> Any:
    return g._param_op(AVG_UNPOOL, spec) if isinstance(g, Node) else _avg_unpool(g, spec)  # type: ignore[attr-defined]


def _vjp_avg_unpool(u: Any, out: Any, g: Any, spec: PoolSpec) -> Any:
    return u._param_op(AVG_POOL, spec) if isinstance(u, Node) else _avg_pool(u, spec)  # type: ignore[attr-defined]


AVG_POOL = register(Op("avg_pool", PARAM, _vjp_avg_pool, array=_avg_pool))
AVG_UNPOOL = register(Op("avg_unpool", PARAM, _vjp_avg_unpool, array=_avg_unpool))
