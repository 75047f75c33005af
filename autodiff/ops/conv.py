"""Convolution and pooling: ops over sliding windows of ``(N, C, *spatial)`` arrays.

Every op here is linear in each operand, and each op's vjp is another op of this file,
so the family is closed under differentiation and ``create_graph`` works to any order:

- ``conv`` (x, w) → y; its vjps are ``conv_dx`` (g, w) → dx and ``conv_dw`` (x, g) → dw,
  whose own vjps are ``conv`` and each other again;
- ``max_pool`` gathers the largest element of each window (the positions are kept), and
  ``max_unpool`` puts gradients back there: each is the other's vjp;
- ``avg_pool`` and ``avg_unpool`` likewise.

Windows are strided views (no copy) of the padded input. A convolution copies them
once into the im2col matrix, channels-last: a row per (sample, output position), its
window's kernel offsets times channels along it; one BLAS product with the weight gives
the output, channels-last too, and one more gives dw. dx takes one product per kernel
offset and adds each back where its windows read (a loop over the kernel's few offsets,
never over elements).
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..engine import NARY, PARAM, Node
from .core import Op, _ones, register

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
# Convolutions compute in the channels-last layout, (N, *S, C) in memory. The im2col
# matrix is then (N·L, K·C), a row per output position holding its window (kernel
# offset-major, channel-minor), every product runs in the orientation OpenBLAS does
# fastest at these sizes (1.5x the other at 16→32 channels on 8×8 images), and its
# result is already channels-last. Outputs are (N, C, *S) views of channels-last
# memory (as PyTorch's ``channels_last``): elementwise ops keep that layout, so the
# next convolution or pooling reads its input, and the backward its output gradient,
# without a transpose.


_SCRATCH = threading.local()


def _work() -> dict[Any, Any]:
    """This thread's reusable arrays, by (slot, shape, dtype)."""
    arrays = getattr(_SCRATCH, "arrays", None)
    if arrays is None:
        arrays = _SCRATCH.arrays = {}
    return arrays  # type: ignore[no-any-return]


def _scratch(slot: Hashable, shape: Ints, dtype: Any) -> np.ndarray:
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
    """Hand back an array from :func:`_take` (or a view of one) that nothing refers to
    any more."""
    if work.base is not None:
        work = work.base
    free = _work().setdefault(("free", work.shape, work.dtype), [])
    if len(free) < 4:
        free.append(work)


def _last(x: np.ndarray) -> np.ndarray:
    """(N, C, *S) → its (N, *S, C) view: free to read when ``x`` is channels-last."""
    return x.transpose(_channels_to_last(x.ndim))


def _first(x: np.ndarray) -> np.ndarray:
    """(N, *S, C) → its (N, C, *S) view."""
    return x.transpose(_channels_to_first(x.ndim))


@functools.cache
def _channels_to_last(ndim: int) -> Ints:  # np.moveaxis costs 5 µs a call
    return (0, *range(2, ndim), 1)


@functools.cache
def _channels_to_first(ndim: int) -> Ints:
    return (0, ndim - 1, *range(1, ndim - 1))


def _rows(a: np.ndarray, groups: int) -> np.ndarray:
    """(N, C, *S) as (groups, N·S, C/groups): a row per sample and position (a view
    when ``a`` is channels-last, else a copy)."""
    c = a.shape[1]
    return _last(a).reshape(-1, groups, c // groups).swapaxes(0, 1)


def _filters(spec: ConvSpec, w: np.ndarray) -> np.ndarray:
    """The weight (O, C/G, *K) as (G, O/G, K · C/G): a row per filter, in the im2col
    matrix's order (kernel offset-major, channel-minor)."""
    g, o, cg = spec.groups, w.shape[0], w.shape[1]
    return w.reshape(g, o // g, cg, -1).swapaxes(2, 3).reshape(g, o // g, -1)


def _offsets(spec: ConvSpec) -> list[tuple[Any, ...]]:
    """For each kernel offset, the slices of a (N, *padded, C) array its window reads."""
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


def _inside(spec: ConvSpec) -> tuple[Any, ...]:
    """The index of the unpadded part of a padded (N, *S, C) array."""
    return (slice(None), *_interior(spec.x_shape[2:], spec.padding)[1:], slice(None))


def _is_padded(spec: ConvSpec) -> bool:
    return any(lo or hi for lo, hi in spec.padding)


def _im2col(spec: ConvSpec, x: np.ndarray) -> np.ndarray:
    """(G, N·L, K · C/G): row (sample, position) holds its window, offset-major."""
    n, c = x.shape[:2]
    g, kernel, out = spec.groups, spec.kernel, spec.out_size
    nd = len(kernel)
    windows = None
    if _is_padded(spec):
        xp, windows = _padded_windows(spec, x.dtype)
        xp[_inside(spec)] = _last(x)
    else:
        xp = _last(x)
    length, k = n * math.prod(out), math.prod(kernel)
    if c // g < 4:
        # Few channels: the matrix is stored transposed, (G, K · C/G, N·L), and each
        # offset's windows are copied as whole images; in (N·L, K·C) each run would be
        # a few elements. (BLAS takes either orientation: the products are as fast.)
        cols = _take((g, k, c // g, length), x.dtype)
        into = cols.reshape(g, k, c // g, n, *out)
        channels_first = (nd + 1, nd + 2, *range(nd + 1))  # (N, *out, G, C/G) → (G, C/G, N, *out)
        for i, window in enumerate(_offsets(spec)):
            into[:, i] = xp[window].reshape(n, *out, g, c // g).transpose(channels_first)
        return cols.reshape(g, -1, length).swapaxes(1, 2)
    if windows is None:
        windows = _windows_last(xp, spec)
    cols = _take((length, c * k), x.dtype)
    # each group's offsets and channels together: (N, *out, G, *K, C/G) in memory
    groups_after_kernel = (*range(1 + nd), *range(2 + nd, 2 + 2 * nd), 1 + nd, 2 + 2 * nd)
    into = cols.reshape(n, *out, g, *kernel, c // g).transpose(groups_after_kernel)
    np.copyto(into, windows.reshape(n, *out, *kernel, g, c // g))
    return cols.reshape(length, g, -1).swapaxes(0, 1)


def _windows_last(xp: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """A read-only view (N, *out, *kernel, C) of the windows of the padded channels-last
    ``xp``."""
    s, nd = xp.strides, len(spec.kernel)
    strides = (
        s[0],
        *(s[1 + a] * spec.stride[a] for a in range(nd)),
        *(s[1 + a] * spec.dilation[a] for a in range(nd)),
        s[-1],
    )
    shape = (xp.shape[0], *spec.out_size, *spec.kernel, xp.shape[-1])
    return as_strided(xp, shape, strides, writeable=False)


def _padded_windows(spec: ConvSpec, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """A reused padded (N, *padded, C) work array, its borders 0, and its windows view
    (made once: ``as_strided`` costs as much as a small convolution's copy)."""
    n, c = spec.x_shape[:2]
    # one per padding, not just per padded size: (0, 2) would leave data where (1, 1)
    # expects a 0 border
    xp = _scratch(("padded", spec.padding), (n, *_padded_size(spec), c), dtype)
    cache = _work()
    key = ("windows", spec.padding, xp.shape, xp.dtype, spec.kernel, spec.stride, spec.dilation)
    made = cache.get(key)
    if made is None or made[0] is not xp:  # none yet, or the work array was replaced
        made = cache[key] = (xp, _windows_last(xp, spec))
    return made  # type: ignore[no-any-return]


def _conv_cols(spec: ConvSpec, cols: np.ndarray, w: np.ndarray, b: Any) -> np.ndarray:
    g, o = spec.groups, w.shape[0]
    out = np.empty((spec.x_shape[0], *spec.out_size, o), np.result_type(w, cols))
    _products(cols, _filters(spec, w).swapaxes(1, 2), _rows(_first(out), g))
    if b is not None:
        out += b
    return _first(out)


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


def _conv_dx(spec: ConvSpec, g: np.ndarray, w: np.ndarray, grows: Any = None) -> np.ndarray:
    """dL/dx of ``conv`` for the output gradient ``g``: the transposed convolution.
    ``grows``: ``g`` as :func:`_rows` gives it, when the caller has it already.

    One product per kernel offset, each giving that offset's share of dx for every
    window as a contiguous (N, *out, C) block, added back where the window read it.
    (One product for all offsets would interleave them by channel, and the adds of
    C-element runs cost 3x these.) A few samples at a time, so that the shares are
    still in the core's cache when they are added: 1.2x faster on a 16→32 channel
    convolution of 32 8×8 images than all samples at once."""
    groups, o = spec.groups, w.shape[0]
    n, c = spec.x_shape[:2]
    cg = c // groups
    if grows is None:
        grows = _rows(g, groups)
    k = len(_offsets(spec))
    filters = _filters(spec, w).reshape(groups, o // groups, k, cg).swapaxes(1, 2)
    dtype = np.result_type(w, grows)
    length = math.prod(spec.out_size)
    per_sample = k * length * c * dtype.itemsize
    chunks = -(-n * per_sample // _CACHED_BYTES)
    batch = -(-n // chunks)
    shares = _scratch("dx shares", (k, batch * length, c), dtype)
    pairs, cover = _fold_slices(
        spec.x_shape[2:], spec.kernel, spec.stride, spec.padding, spec.dilation, spec.out_size
    )
    dx = np.empty((n, *spec.x_shape[2:], c), dtype)
    if cover is None:
        dx.fill(0)
    for first in range(0, n, batch):
        m = min(batch, n - first)
        part = shares[:, : m * length]
        np.matmul(  # (G, 1, m·L, O/G) @ (G, K, O/G, C/G) → (G, K, m·L, C/G)
            grows[:, None, first * length : (first + m) * length],
            filters,
            out=part.reshape(k, -1, groups, cg).transpose(2, 0, 1, 3),
        )
        _add_shares(part.reshape(k, m, *spec.out_size, c), dx[first : first + m], pairs, cover)
    return _first(dx)


# Bytes of work that a core's cache keeps between a product and the adds that use it:
# three quarters of a 1 MiB level-2 cache (measured on the 16→32 conv above: shares of
# 0.6 MB beat 0.4 MB, whose extra chunk's Python costs more than it saves, and 1.2 MB).
_CACHED_BYTES = 3 * 2**18


def _add_shares(
    shares: np.ndarray, dx: np.ndarray, pairs: list[tuple[Any, Any]], cover: int | None
) -> None:
    """Each offset's share added to ``dx`` where its windows read (see :func:`_fold_slices`);
    the covering offset's, if any, assigned first (``dx`` is then not zeroed)."""
    if cover is not None:
        into, share = pairs[cover]
        dx[into] = shares[(cover, *share)]
    for k, (into, share) in enumerate(pairs):
        if k != cover and into is not None:
            part = dx[into]
            np.add(part, shares[(k, *share)], out=part)  # `dx[into] +=` also assigns back


@functools.lru_cache(maxsize=256)
def _fold_slices(
    size: Ints,
    kernel: Ints,
    stride: Ints,
    padding: tuple[tuple[int, int], ...],
    dilation: Ints,
    out: Ints,
) -> tuple[list[tuple[Any, Any]], int | None]:
    """For each kernel offset, the slices of (N, *S, C) dx that its windows read inside
    the unpadded input and the matching slices of its (N, *out, C) share (``None``s when
    they read only padding); and an offset whose windows read each element once, if any
    (then dx starts as its share: no zero fill)."""
    pairs: list[tuple[Any, Any]] = []
    cover = None
    for k, offset in enumerate(np.ndindex(*kernel)):
        axes = [
            _fold_axis(i * d - lo, n, s, o)
            for i, n, s, (lo, _), d, o in zip(
                offset, size, stride, padding, dilation, out, strict=True
            )
        ]
        if any(a is None for a in axes):
            pairs.append((None, None))
            continue
        into = tuple(a[0] for a in axes if a is not None)
        share = tuple(a[1] for a in axes if a is not None)
        pairs.append(((slice(None), *into), (slice(None), *share)))
        if cover is None and all(
            s == 1 and i.start == 0 and i.stop == n
            for i, s, n in zip(into, stride, size, strict=True)
        ):
            cover = k
    return pairs, cover


def _fold_axis(start: int, n: int, s: int, o: int) -> tuple[slice, slice] | None:
    """Along one axis, where output ``j`` of a window offset reads ``start + j·s`` of an
    input of ``n``: the input slice of the outputs inside it and the slice of those
    outputs, or None when there are none."""
    first = max(0, -(start // s))  # the first output whose element is at ≥ 0: ⌈-start/s⌉
    last = min(o - 1, (n - 1 - start) // s)
    if last < first:
        return None
    return slice(start + first * s, start + last * s + 1, s), slice(first, last + 1)


def _conv_dw(
    spec: ConvSpec, x: np.ndarray, g: np.ndarray, cols: Any = None, grows: Any = None
) -> np.ndarray:
    """dL/dw of ``conv`` for the output gradient ``g``: windows of x times g, summed."""
    made = cols is None
    if made:
        cols = _im2col(spec, x)
    if grows is None:
        grows = _rows(g, spec.groups)
    groups, o, cg = spec.groups, spec.w_shape[0], spec.w_shape[1]
    dw = np.empty((groups, cols.shape[2], grows.shape[2]), np.result_type(cols, grows))
    _products(cols.swapaxes(1, 2), grows, dw)  # (G, K·C/G, O/G)
    if made:
        _give(cols)
    # (G, K, C/G, O/G) → (G, O/G, C/G, K), copied into the weight's layout
    dw = dw.reshape(groups, -1, cg, o // groups).transpose(0, 3, 2, 1)
    return np.ascontiguousarray(dw).reshape(spec.w_shape)


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
    grows = None
    if _recording(g, x, w):
        dx = record(CONV_DX, (spec, g, w)) if isinstance(x, Node) else None
        dw = record(CONV_DW, (spec, x, g)) if isinstance(w, Node) else None
    else:
        grows = _rows(g, spec.groups)
        dx = _conv_dx(spec, g, w, grows) if spec.needs[0] else None
        dw = None
        if spec.needs[1]:
            cols, spec.cols = spec.cols, None  # used once: a second pass recomputes it
            dw = _conv_dw(spec, x, g, cols, grows)
            if cols is not None:
                _give(cols)
    grads = (None, dx, dw)
    if not b or b[0] is None:
        return grads
    if isinstance(g, Node):
        return (*grads, _bias_grad(g, len(spec.out_size)))
    if grows is None:
        grows = _rows(g, spec.groups)
    # a product with ones: numpy's sum over the long axis of (N·L, C) costs 10x
    return (*grads, (_ones(grows.shape[1], grows.dtype) @ grows).reshape(-1))


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
    kept in ``spec`` (as flat indices into the channels-last (N, *S, C) order, the
    layout convolutions leave), and once they are, the op gathers ``x`` at them (its
    use as the vjp of ``max_unpool``)."""
    if spec.index is not None:
        return _last(x).reshape(-1)[spec.index]  # type: ignore[no-any-return]
    if spec.tiles():
        return _max_pool_tiles(x, spec)
    n, c = x.shape[:2]
    nd = len(spec.kernel)
    win = spec.windows(x, -np.inf).reshape(n, c, math.prod(spec.kernel), *spec.out_size)
    best = win.argmax(axis=2)
    out = np.take_along_axis(win, best[:, :, None], 2)[:, :, 0]
    # flat index of each chosen element: row-major over (n, *spatial, c)
    offsets = np.unravel_index(best, spec.kernel)
    flat = np.arange(n).reshape((n,) + (1,) * (nd + 1))
    for a in range(nd):
        o = np.arange(spec.out_size[a]).reshape((-1,) + (1,) * (nd - 1 - a))
        coord = o * spec.stride[a] + offsets[a] * spec.dilation[a] - spec.padding[a][0]
        flat = flat * spec.x_shape[2 + a] + coord
    spec.index = flat * c + np.arange(c).reshape((c,) + (1,) * nd)
    return out  # type: ignore[no-any-return]


def _max_pool_tiles(x: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """``_max_pool`` for windows that tile the image (2-D, stride = kernel, no padding or
    dilation), in the channels-last layout, where each window offset is a view with
    runs of C elements (in (N, C, H, W) a 2×2 window's runs are 2 elements). Offsets
    are taken in row-major order and only a strictly greater element replaces the best
    so far: the first of equal elements wins, as in PyTorch. Which offset won is kept
    without branches (a max of 0/k bytes: a masked copy stalls on the coin-flip masks
    of random data, 3x slower)."""
    n, c, h, w = x.shape
    (kh, kw), (ho, wo) = spec.kernel, spec.out_size
    moved = _last(x)  # (N, H, W, C)
    best = moved[:, : kh * ho : kh, : kw * wo : kw].copy()
    kind = np.uint8 if kh * kw < 256 else np.intp
    won = np.zeros(best.shape, dtype=kind)  # the offset i·kw + j of the best so far
    greater = np.empty(best.shape, dtype=bool)
    step = np.empty(best.shape, dtype=kind)
    for k in range(1, kh * kw):
        i, j = divmod(k, kw)
        candidate = moved[:, i : kh * ho : kh, j : kw * wo : kw]
        np.greater(candidate, best, out=greater)
        np.multiply(greater.view(np.uint8), kind(k), out=step)  # k where greater, else 0
        np.maximum(won, step, out=won)  # the offsets come in increasing order
        np.maximum(best, candidate, out=best)
    geometry = (n, c, h, w, spec.kernel, spec.out_size)
    # the starts of a small batch are kept (building them is a fifth of the pooling);
    # a big one's would hold megabytes for a saving that is small beside its pooling
    small = best.size <= 2**16
    starts, steps = _tile_index_kept(*geometry) if small else _tile_index(*geometry)
    spec.index = _first(starts + np.take(steps, won))
    return _first(best)


def _tile_index(
    n: int, c: int, h: int, w: int, kernel: Ints, out: Ints
) -> tuple[np.ndarray, np.ndarray]:
    """For tiling windows over channels-last (N, H, W, C): the flat index of each
    window's first element, (N, Ho, Wo, C), and the step from there to each offset."""
    (kh, kw), (ho, wo) = kernel, out
    starts = (
        np.arange(n).reshape(-1, 1, 1, 1) * (h * w * c)
        + np.arange(ho).reshape(-1, 1, 1) * (kh * w * c)
        + np.arange(wo).reshape(-1, 1) * (kw * c)
        + np.arange(c)
    )
    steps = np.array([(i * w + j) * c for i, j in np.ndindex(kh, kw)])
    starts.flags.writeable = steps.flags.writeable = False
    return starts, steps


_tile_index_kept = functools.lru_cache(maxsize=16)(_tile_index)


def _max_unpool(g: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """Each output gradient added at the input element its window took."""
    index = spec.index
    assert index is not None  # set by the forward, which made this op's node
    n, c, *size = spec.x_shape
    index, g = _last(index).reshape(-1), _last(g).reshape(-1)
    if not spec.overlapping():  # each input element is taken at most once: assignment
        dx = np.zeros(math.prod(spec.x_shape), dtype=g.dtype)
        dx[index] = g
    else:
        dx = np.bincount(index, g, math.prod(spec.x_shape)).astype(g.dtype, copy=False)
    return _first(dx.reshape(n, *size, c))


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


__all__ = [
    "CONV",
    "CONV_DW",
    "CONV_DX",
    "ConvSpec",
    "Ints",
    "PoolSpec",
    "conv_forward",
    "record",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
