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

import functools
import math
import threading
from collections.abc import Callable
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

    def __repr__(self) -> str:
        return (
            f"conv(kernel={self.kernel}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, groups={self.groups})"
        )


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
# Convolutions work in a (channels, *spatial, batch) layout: shifting a window then
# moves whole runs of (a row of) samples, and every copy and add below runs over long
# contiguous stretches. In the (batch, channels, *spatial) layout a run is one image
# row, 8 elements on an 8×8 image, and numpy's per-run overhead would be most of the
# cost (the im2col copy and the fold were ~10x slower that way).


_SCRATCH = threading.local()


def _work() -> dict[Any, Any]:
    """This thread's reusable arrays, by (slot, shape, dtype)."""
    arrays = getattr(_SCRATCH, "arrays", None)
    if arrays is None:
        arrays = _SCRATCH.arrays = {}
    return arrays  # type: ignore[no-any-return]


def _scratch(slot: str, shape: Ints, dtype: Any) -> np.ndarray:
    """A work array of ``shape`` reused from call to call (per thread and slot), for
    temporaries that never leave the function using them. Megabyte-sized arrays are
    mapped fresh from the OS each time they are allocated, and their page faults
    cost more than the arithmetic on them at these sizes (2x on a 16→32 channel conv)."""
    cache = _work()
    key = (slot, shape, np.dtype(dtype))
    work = cache.get(key)
    if work is None:
        if len(cache) > 64:  # many geometries: start over rather than grow without bound
            cache.clear()
        work = cache[key] = np.zeros(shape, dtype=dtype)
    return work  # type: ignore[no-any-return]


def _take(shape: Ints, dtype: Any) -> np.ndarray:
    """An uninitialized array of ``shape``, from the arrays :func:`_give` returned when
    there is one (the im2col matrix outlives its call: the backward uses it)."""
    free = _work().get(("free", shape, np.dtype(dtype)))
    return free.pop() if free else np.empty(shape, dtype=dtype)


def _give(work: np.ndarray) -> None:
    """Hand back an array from :func:`_take` that nothing refers to any more."""
    free = _work().setdefault(("free", work.shape, work.dtype), [])
    if len(free) < 4:
        free.append(work)


def _to_back(x: np.ndarray, slot: str) -> np.ndarray:
    """(N, C, *S) → (C, *S, N) in a work array. In two steps, (C, N, S) then (C, S, N):
    each then reads from nearby memory, 10x faster at these sizes than numpy's one-step
    copy, whose every element of a run comes from another page."""
    n, c = x.shape[:2]
    size = math.prod(x.shape[2:])
    step = _scratch(slot + "/step", (c, n, size), x.dtype)
    step[...] = x.reshape(n, c, size).swapaxes(0, 1)
    out = _scratch(slot, (c, size, n), x.dtype)
    out[...] = step.swapaxes(1, 2)
    return out.reshape(c, *x.shape[2:], n)


def _to_front(x: np.ndarray) -> np.ndarray:
    """(C, *S, N) → a fresh contiguous (N, C, *S) array."""
    out = np.empty((x.shape[-1], *x.shape[:-1]), dtype=x.dtype)
    out[...] = x.transpose(x.ndim - 1, *range(x.ndim - 1))
    return out


def _offsets(spec: ConvSpec) -> list[tuple[Any, ...]]:
    """For each kernel offset, the slices of a (C, *padded, N) array its window reads."""
    return _window_slices(spec.kernel, spec.dilation, spec.stride, spec.out_size)


@functools.lru_cache(maxsize=256)
def _window_slices(kernel: Ints, dilation: Ints, stride: Ints, out: Ints) -> list[tuple[Any, ...]]:
    return [
        (
            slice(None),
            *(
                slice(i * d, i * d + s * (o - 1) + 1, s)
                for i, d, s, o in zip(offset, dilation, stride, out, strict=True)
            ),
        )
        for offset in np.ndindex(*kernel)
    ]


def _padded_size(spec: ConvSpec) -> Ints:
    return tuple(n + lo + hi for n, (lo, hi) in zip(spec.x_shape[2:], spec.padding, strict=True))


def _im2col(spec: ConvSpec, x: np.ndarray) -> np.ndarray:
    """(groups, C/groups · K, L · N): column (position, sample) holds its window."""
    n, c = x.shape[:2]
    moved = _to_back(x, "x")
    if any(lo or hi for lo, hi in spec.padding):
        xp = _scratch("padded", (c, *_padded_size(spec), n), x.dtype)  # borders stay 0
        xp[(*_interior(x.shape[2:], spec.padding), slice(None))] = moved
    else:
        xp = moved
    offsets = _offsets(spec)
    cols = _take(
        (spec.groups, c // spec.groups * len(offsets), math.prod(spec.out_size) * n), x.dtype
    )
    windows = cols.reshape(c, len(offsets), *spec.out_size, n)
    for k, window in enumerate(offsets):
        windows[:, k] = xp[window]
    return cols


def _conv_cols(spec: ConvSpec, cols: np.ndarray, w: np.ndarray, b: Any) -> np.ndarray:
    g, o = spec.groups, w.shape[0]
    y = _scratch("y", (g, o // g, cols.shape[-1]), np.result_type(w, cols))
    _products(w.reshape(g, o // g, -1), cols, y)  # (G, O/G, L·N)
    out = _to_front(y.reshape(o, *spec.out_size, -1))
    if b is not None:
        out += b.reshape((-1,) + (1,) * len(spec.out_size))
    return out


def _conv(spec: ConvSpec, x: np.ndarray, w: np.ndarray, b: Any = None) -> np.ndarray:
    cols = _im2col(spec, x)
    out = _conv_cols(spec, cols, w, b)
    _give(cols)
    return out


def conv_forward(spec: ConvSpec, x: np.ndarray, w: np.ndarray, b: Any = None) -> np.ndarray:
    """The convolution, keeping the im2col matrix in ``spec`` when ``w`` needs a gradient
    (the backward's dw is then one product, with no second im2col)."""
    cols = _im2col(spec, x)
    out = _conv_cols(spec, cols, w, b)
    if spec.needs[1]:
        spec.cols = cols
    else:
        _give(cols)
    return out


def _products(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[i] = a[i] @ b[i]`` for each group; one group (the usual case) as a plain
    2-D product, which numpy always hands to BLAS, transposed operand or not."""
    if a.shape[0] == 1:
        np.matmul(a[0], b[0], out=out[0])
    else:
        np.matmul(a, b, out=out)


def _grad_cols(spec: ConvSpec, g: np.ndarray) -> np.ndarray:
    """The output gradient as (groups, O/groups, L · N)."""
    moved = _to_back(g, "g")
    return moved.reshape(spec.groups, g.shape[1] // spec.groups, -1)


def _conv_dx(spec: ConvSpec, g: np.ndarray, w: np.ndarray, gcols: Any = None) -> np.ndarray:
    """dL/dx of ``conv`` for the output gradient ``g``: the transposed convolution.
    ``gcols``: ``g`` as :func:`_grad_cols` gives it, when the caller has it already."""
    groups, o = spec.groups, w.shape[0]
    n, c = spec.x_shape[:2]
    if gcols is None:
        gcols = _grad_cols(spec, g)
    wm = w.reshape(groups, o // groups, -1)
    dtype = np.result_type(w, gcols)
    dcols = _scratch("dcols", (groups, wm.shape[2], gcols.shape[2]), dtype)
    _products(wm.swapaxes(-1, -2), gcols, dcols)  # (G, C/G·K, L·N)
    offsets = _offsets(spec)
    dcols = dcols.reshape(c, len(offsets), *spec.out_size, n)
    dxp = _scratch("dxp", (c, *_padded_size(spec), n), dtype)
    dxp.fill(0)
    for k, window in enumerate(offsets):
        dxp[window] += dcols[:, k]
    return _to_front(dxp[(*_interior(spec.x_shape[2:], spec.padding), slice(None))])


def _conv_dw(
    spec: ConvSpec, x: np.ndarray, g: np.ndarray, cols: Any = None, gcols: Any = None
) -> np.ndarray:
    """dL/dw of ``conv`` for the output gradient ``g``: windows of x times g, summed."""
    made = cols is None
    if made:
        cols = _im2col(spec, x)
    if gcols is None:
        gcols = _grad_cols(spec, g)
    # (cols @ gᵀ)ᵀ: OpenBLAS runs this orientation several times faster than g @ colsᵀ
    dw = np.empty((spec.groups, cols.shape[1], gcols.shape[1]), np.result_type(cols, gcols))
    _products(cols, gcols.swapaxes(-1, -2), dw)
    dw = dw.swapaxes(-1, -2)  # (G, O/G, C/G·K)
    if made:
        _give(cols)
    return dw.reshape(spec.w_shape)  # type: ignore[no-any-return]


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
        gcols = _grad_cols(spec, g)
        dx = _conv_dx(spec, g, w, gcols) if spec.needs[0] else None
        dw = None
        if spec.needs[1]:
            cols, spec.cols = spec.cols, None  # used once: a second pass recomputes it
            dw = _conv_dw(spec, x, g, cols, gcols)
            if cols is not None:
                _give(cols)
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

    def __repr__(self) -> str:
        pads = tuple(p for p, _ in self.padding)
        return f"pool(kernel={self.kernel}, stride={self.stride}, padding={pads})"

    def tiles(self) -> bool:
        """Whether the windows tile the (2-D) image: stride = kernel, no padding or dilation."""
        return (
            len(self.kernel) == 2
            and self.stride == self.kernel
            and not any(p for p, _ in self.padding)
            and all(d == 1 for d in self.dilation)
        )

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
    if spec.tiles():
        return _max_pool_tiles(x, spec)
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


def _max_pool_tiles(x: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """``_max_pool`` for windows that tile the image (2-D, stride = kernel, no padding or
    dilation), in the (C, H, W, N) layout where each window offset is a view with long
    runs (in (N, C, H, W) a 2×2 window's runs are 2 elements). Offsets are taken in
    row-major order and only a strictly greater element replaces the best so far: the
    first of equal elements wins, as in PyTorch."""
    n, c, h, w = x.shape
    (kh, kw), (ho, wo) = spec.kernel, spec.out_size
    moved = _to_back(x, "pool")  # (C, H, W, N)
    best = moved[:, : kh * ho : kh, : kw * wo : kw].copy()
    at = np.zeros(best.shape, dtype=np.intp)  # offset of the best: i·W + j
    for i, j in np.ndindex(kh, kw):
        if i or j:
            candidate = moved[:, i : kh * ho : kh, j : kw * wo : kw]
            np.copyto(at, i * w + j, where=candidate > best)
            np.maximum(best, candidate, out=best)
    # flat index into x of each window's first element, plus the offset of its best
    first = (
        np.arange(c).reshape(-1, 1, 1, 1) * (h * w)
        + np.arange(ho).reshape(-1, 1, 1) * (kh * w)
        + np.arange(wo).reshape(-1, 1) * kw
        + np.arange(n) * (c * h * w)
    )
    at += first
    spec.index = _to_front(at)
    return _to_front(best)


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


def _adjoint_pair(
    name: str, forward: Callable[..., Any], back_name: str, back: Callable[..., Any]
) -> tuple[Op, Op]:
    """Two ops linear in their operand, each the other's vjp (the transpose of a linear
    map is its vjp), so gradients of gradients of either are the pair again."""
    pair: list[Op] = []

    def vjp_forward(g: Any, out: Any, x: Any, spec: PoolSpec) -> Any:
        return g._param_op(pair[1], spec) if isinstance(g, Node) else back(g, spec)  # type: ignore[attr-defined]

    def vjp_back(u: Any, out: Any, g: Any, spec: PoolSpec) -> Any:
        return u._param_op(pair[0], spec) if isinstance(u, Node) else forward(u, spec)  # type: ignore[attr-defined]

    pair.append(register(Op(name, PARAM, vjp_forward, array=forward)))
    pair.append(register(Op(back_name, PARAM, vjp_back, array=back)))
    return pair[0], pair[1]


MAX_POOL, MAX_UNPOOL = _adjoint_pair("max_pool", _max_pool, "max_unpool", _max_unpool)


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


AVG_POOL, AVG_UNPOOL = _adjoint_pair("avg_pool", _avg_pool, "avg_unpool", _avg_unpool)
