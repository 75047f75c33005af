"""Array cases of the shape family: numpy's arrangements of elements, on Tensors."""

import numpy as np
from hypothesis import strategies as st

from autodiff.testing import ArrayCase, Drawn, arrays, shapes


def _torch():
    import torch

    return torch


def _case(name, op, make, min_dims=0, min_side=0, count=1, torch=None, max_dims=3):
    """``make(draw, shape)`` -> (numpy call, torch call or None) over ``count`` arrays."""

    def draw(side):
        @st.composite
        def drawn(draw_):
            shape = draw_(
                shapes(min_dims=min_dims, max_dims=max_dims, max_side=side, min_side=min_side)
            )
            inputs = [draw_(arrays(shape, -2, 2)) for _ in range(count)]
            numpy_call, torch_call = make(draw_, shape)
            return Drawn(inputs, numpy_call, torch_call)

        return drawn()

    return ArrayCase(name, op, draw, torch=torch)


def _axis(draw, shape):
    return draw(st.integers(-len(shape), len(shape) - 1))


def _ravel(draw, shape):
    return np.ravel, lambda t: t.reshape(-1)


def _moveaxis(draw, shape):
    s, d = _axis(draw, shape), _axis(draw, shape)
    return (lambda a: np.moveaxis(a, s, d)), (lambda t: _torch().movedim(t, s, d))


def _swapaxes(draw, shape):
    s, d = _axis(draw, shape), _axis(draw, shape)
    return (lambda a: np.swapaxes(a, s, d)), (lambda t: t.swapaxes(s, d))


def _expand_dims(draw, shape):
    ax = draw(st.integers(-len(shape) - 1, len(shape)))
    return (lambda a: np.expand_dims(a, ax)), (lambda t: t.unsqueeze(ax))


def _flip(draw, shape):
    ax = _axis(draw, shape)
    return (lambda a: np.flip(a, ax)), (lambda t: t.flip(ax))


def _rot90(draw, shape):
    k = draw(st.integers(-1, 4))
    return (lambda a: np.rot90(a, k)), (lambda t: _torch().rot90(t, k, (0, 1)))


def _roll(draw, shape):
    shift, ax = draw(st.integers(-3, 3)), _axis(draw, shape)
    return (lambda a: np.roll(a, shift, ax)), (lambda t: _torch().roll(t, shift, ax))


def _repeat(draw, shape):
    reps, ax = draw(st.integers(0, 2)), _axis(draw, shape)
    return (lambda a: np.repeat(a, reps, ax)), (lambda t: t.repeat_interleave(reps, ax))


def _tile(draw, shape):
    reps = tuple(draw(st.lists(st.integers(1, 2), min_size=1, max_size=3)))
    return (lambda a: np.tile(a, reps)), (lambda t: _torch().tile(t, reps))


def _pad(draw, shape):
    widths = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in shape]
    value = draw(st.sampled_from([0.0, 1.5]))

    def torch_pad(t):
        flat = [w for pair in reversed(widths) for w in pair]
        return _torch().nn.functional.pad(t, flat, value=value)

    return (lambda a: np.pad(a, widths, constant_values=value)), torch_pad


def _split(name):
    def make(draw, shape):
        ax = draw(st.integers(0, len(shape) - 1))
        n = shape[ax]
        if name == "split":
            parts = draw(st.sampled_from([k for k in (1, 2, 3) if n % k == 0]))
        else:
            parts = draw(st.integers(1, 3))
        return (lambda a: getattr(np, name)(a, parts, ax)), None

    return make


def _joined(name):
    def make(draw, shape):
        return (lambda *xs: getattr(np, name)(list(xs))), None

    return make


def _concatenate(draw, shape):
    ax = _axis(draw, shape)
    return (lambda *xs: np.concatenate(xs, ax)), (lambda *ts: _torch().cat(ts, ax))


def _stack(draw, shape):
    ax = draw(st.integers(-len(shape) - 1, len(shape)))
    return (lambda *xs: np.stack(xs, ax)), (lambda *ts: _torch().stack(ts, ax))


def _append(draw, shape):
    return (lambda a, b: np.append(a, b)), (
        lambda a, b: _torch().cat([a.reshape(-1), b.reshape(-1)])
    )


def _diag(draw, shape):
    k = draw(st.integers(-2, 2))
    return (lambda a: np.diag(a, k)), (lambda t: _torch().diag(t, k))


def _diagonal(draw, shape):
    k = draw(st.integers(-2, 2))
    a1, a2 = draw(st.permutations(range(len(shape))))[:2]
    return (lambda a: np.diagonal(a, k, a1, a2)), (lambda t: _torch().diagonal(t, k, a1, a2))


def _triangle(name):
    def make(draw, shape):
        k = draw(st.integers(-2, 2))
        return (lambda a: getattr(np, name)(a, k)), (lambda t: getattr(_torch(), name)(t, k))

    return make


def _take(draw, shape):
    ax = _axis(draw, shape)
    n = shape[ax]
    picks = np.array(draw(st.lists(st.integers(0, n - 1), max_size=4)), dtype=np.int64)
    return (lambda a: np.take(a, picks, ax)), (
        lambda t: _torch().index_select(t, ax % len(shape), _torch().tensor(picks))
    )


def _take_along_axis(draw, shape):
    ax = _axis(draw, shape)
    idx_shape = list(shape)
    idx_shape[ax] = draw(st.integers(0, 3))
    idx = np.asarray(
        draw(
            st.lists(
                st.integers(0, shape[ax] - 1),
                min_size=int(np.prod(idx_shape)),
                max_size=int(np.prod(idx_shape)),
            )
        ),
        dtype=np.int64,
    ).reshape(idx_shape)
    return (lambda a: np.take_along_axis(a, idx, ax)), (
        lambda t: _torch().take_along_dim(t, _torch().tensor(idx), ax)
    )


def _sort(draw, shape):
    ax = _axis(draw, shape)
    return (lambda a: np.sort(a, ax)), (lambda t: _torch().sort(t, dim=ax, stable=True).values)


def _astype(draw, shape):
    return (lambda a: a.astype(np.float64)), (lambda t: t.to(_torch().float64))


def _sorted_distinct(side):
    # sort's gradient is the permutation's: distinct elements, a step apart, no ties
    @st.composite
    def drawn(draw_):
        shape = draw_(shapes(min_dims=1, max_side=side))
        order = draw_(st.permutations(range(int(np.prod(shape)))))
        x = (np.array(order, dtype=float).reshape(shape) - len(order) / 2) * 0.25
        numpy_call, torch_call = _sort(draw_, shape)
        return Drawn([x], numpy_call, torch_call)

    return drawn()


def _matrix_transpose(draw, shape):
    return np.matrix_transpose, (lambda t: t.mT)


def _unstack(draw, shape):
    ax = _axis(draw, shape)
    return (lambda a: np.unstack(a, axis=ax)), (lambda t: _torch().unbind(t, ax))


def _broadcast_arrays(draw, shape):
    other = tuple(1 if draw(st.booleans()) else n for n in shape)
    return (lambda a, b: np.broadcast_arrays(a, b.reshape(other) if b.size else b)), None


def _diagflat(draw, shape):
    k = draw(st.integers(-2, 2))
    return (lambda a: np.diagflat(a, k)), (lambda t: _torch().diagflat(t, k))


def _ediff1d(draw, shape):
    return np.ediff1d, (lambda t: _torch().diff(t.reshape(-1)))


CASES = [
    _case("np.matrix_transpose", "transpose", _matrix_transpose, min_dims=2, torch="mT"),
    _case("np.unstack", "getitem", _unstack, min_dims=1, torch="unbind"),
    _case("np.diagflat", None, _diagflat, torch="diagflat"),
    _case("np.ediff1d", "-", _ediff1d, min_dims=1, torch="diff"),
    _case("np.ravel", "reshape", _ravel, torch="reshape"),
    _case("np.moveaxis", "transpose", _moveaxis, min_dims=1, torch="movedim"),
    _case("np.swapaxes", "transpose", _swapaxes, min_dims=1, torch="swapaxes"),
    _case("np.expand_dims", "reshape", _expand_dims, torch="unsqueeze"),
    _case("np.flip", "getitem", _flip, min_dims=1, torch="flip"),
    _case("np.rot90", None, _rot90, min_dims=2, torch="rot90"),
    _case("np.roll", "getitem", _roll, min_dims=1, torch="roll"),
    _case("np.repeat", "getitem", _repeat, min_dims=1, torch="repeat_interleave"),
    _case("np.tile", "reshape", _tile, torch="tile"),
    _case("np.pad", "pad", _pad, min_dims=1, torch="pad"),
    _case("np.split", "getitem", _split("split"), min_dims=1, min_side=1),
    _case("np.array_split", "getitem", _split("array_split"), min_dims=1, min_side=1),
    _case("np.concatenate", "concatenate", _concatenate, min_dims=1, count=2, torch="cat"),
    _case("np.stack", "stack", _stack, count=2, torch="stack"),
    _case("np.hstack", "concatenate", _joined("hstack"), count=2),
    _case("np.vstack", "concatenate", _joined("vstack"), count=2),
    _case("np.dstack", "concatenate", _joined("dstack"), count=2),
    _case("np.column_stack", "concatenate", _joined("column_stack"), count=2),
    _case("np.append", "concatenate", _append, count=2, torch="cat"),
    _case("np.diag", None, _diag, min_dims=1, max_dims=2, torch="diag"),
    _case("np.diagonal", "getitem", _diagonal, min_dims=2, torch="diagonal"),
    _case("np.tril", "where", _triangle("tril"), min_dims=2, torch="tril"),
    _case("np.triu", "where", _triangle("triu"), min_dims=2, torch="triu"),
    _case("np.take", "getitem", _take, min_dims=1, min_side=1, torch="index_select"),
    _case(
        "np.take_along_axis",
        "getitem",
        _take_along_axis,
        min_dims=1,
        min_side=1,
        torch="take_along_dim",
    ),
    ArrayCase("np.sort", "getitem", _sorted_distinct, torch="sort"),
    _case("astype", "astype", _astype, torch="to"),
]
