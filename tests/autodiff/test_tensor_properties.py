"""Tensor properties: every op gradchecked on generated shapes, 0-d and size-1 axes included.

The elementwise ops come from the one registry that drives the Value tests
(``autodiff.testing.OP_CASES``), here on arrays of generated, broadcast-compatible
shapes. The ops only Tensor has (matmul, reductions, shape ops, indexing, softmax,
joins, ...) are drawn by the strategies below, one per op. Each output is reduced
with random weights, ``sum(w * out)``, so a gradient sent to the wrong element fails.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autodiff import (
    Tensor,
    concatenate,
    gradcheck,
    softmax_cross_entropy,
    stack,
    where,
)
from autodiff.testing import (
    OP_CASES,
    arrays,
    broadcastable_shapes,
    finite_floats,
    op_case_ids,
    shapes,
)


def weighted(fn, w):
    """``sum(w * fn(...))``: one element out, every output element weighted differently."""
    return lambda *xs: (fn(*xs) * w).sum()


def leaves(xs):
    return [Tensor(x, requires_grad=True, label=f"x{i}") for i, x in enumerate(xs)]


# --- the registry's elementwise ops on broadcast shapes -------------------------------------


@pytest.mark.parametrize("name", op_case_ids())
@given(data=st.data())
def test_registry_op_gradchecks_on_tensors_of_generated_shapes(name, data):
    case = OP_CASES[name]
    if case.arity == 2:
        in_shapes = data.draw(broadcastable_shapes(), label="shapes")
    else:
        in_shapes = (data.draw(shapes(), label="shape"),)
    xs = data.draw(case.arrays(*in_shapes), label="inputs")
    ts = leaves(xs)
    out = case.fn(*ts)
    assert out.op == case.op
    assert out.shape == np.broadcast_shapes(*in_shapes) and out.dtype == np.float64
    expected = np.vectorize(case.reference, otypes=[float])(*xs)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-300)
    w = data.draw(arrays(out.shape, -2, 2), label="weights")
    assert gradcheck(weighted(case.fn, w), ts)


# --- Tensor-only ops ---------------------------------------------------------------------------


@dataclass
class Drawn:
    """One drawn use of a Tensor-only op.

    ``fn`` works on Tensors, ``reference`` on arrays (numpy's own op); ``moves``: the op
    only moves elements, so ``reference`` applied to element ids gives its exact gradient.
    """

    op: str | None  # the output's .op; None for a composite
    fn: Callable
    reference: Callable
    inputs: list
    moves: bool = False
    rtol: float = field(default=1e-12)


def _elements(low=-2.0, high=2.0):
    return finite_floats(low, high)


def _axis_args(draw, ndim):
    """An ``axis`` for a reduction: None, one axis or a tuple, negative ones included."""
    kind = draw(st.sampled_from(["none", "int", "tuple"] if ndim else ["none"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in axes)


@st.composite
def matmuls(draw, side=4):
    """Every rank combination: vector·vector, vector·matrix, matrix·vector, matrices with
    batch dimensions that broadcast against each other (or against none)."""
    form = draw(st.sampled_from(["vv", "vm", "mv", "mm"]))
    n, k, m = (draw(st.integers(1, side)) for _ in range(3))
    batch_a, batch_b = draw(broadcastable_shapes(max_dims=2, max_side=3))
    if form == "vv":
        left, right = (n,), (n,)
    elif form == "vm":
        left, right = (n,), (*batch_b, n, m)
    elif form == "mv":
        left, right = (*batch_a, k, n), (n,)
    else:
        left, right = (*batch_a, k, n), (*batch_b, n, m)
    a = draw(arrays(left, -2, 2))
    b = draw(arrays(right, -2, 2))
    return Drawn("@", lambda x, y: x @ y, np.matmul, [a, b])


@st.composite
def reductions(draw, name, side=4):
    shape = draw(shapes(max_side=side))
    if name in ("max", "min"):
        # distinct elements, spaced far beyond a finite-difference step: no ties
        order = draw(st.permutations(range(math.prod(shape))))
        x = (np.array(order, dtype=float).reshape(shape) - len(order) / 2) * 0.25
    else:
        x = draw(arrays(shape, -2, 2))
    axis = _axis_args(draw, len(shape))
    keepdims = draw(st.booleans())
    return Drawn(
        name,
        lambda t: getattr(t, name)(axis=axis, keepdims=keepdims),
        lambda a: getattr(np, name)(a, axis=axis, keepdims=keepdims),
        [x],
    )


@st.composite
def variances(draw, side=4):
    shape = draw(shapes(max_side=side))
    x = draw(arrays(shape, -2, 2))
    axis = _axis_args(draw, len(shape))
    keepdims = draw(st.booleans())
    n = x.size // max(np.sum(x, axis=axis, keepdims=True).size, 1)
    ddof = draw(st.integers(0, 1 if n > 1 else 0))
    return Drawn(
        None,  # var is composed of other ops: whichever comes last is its business
        lambda t: t.var(axis=axis, keepdims=keepdims, ddof=ddof),
        lambda a: np.var(a, axis=axis, keepdims=keepdims, ddof=ddof),
        [x],
    )


@st.composite
def reshapes(draw, side=4):
    shape = draw(shapes(max_side=side))
    x = draw(arrays(shape, -2, 2))
    target = draw(st.sampled_from([(-1,), (1, -1), shape[::-1], (*shape, 1), (1, *shape)]))
    as_tuple = draw(st.booleans())
    return Drawn(
        "reshape",
        lambda t: t.reshape(target) if as_tuple else t.reshape(*target),
        lambda a: np.reshape(a, target),
        [x],
        moves=True,
    )


@st.composite
def transposes(draw, side=4):
    shape = draw(shapes(min_dims=1, max_side=side))
    x = draw(arrays(shape, -2, 2))
    perm = draw(st.permutations(range(len(shape))))
    perm = tuple(p - len(shape) if draw(st.booleans()) else p for p in perm)
    as_tuple = draw(st.booleans())
    return Drawn(
        "transpose",
        lambda t: t.transpose(perm) if as_tuple else t.transpose(*perm),
        lambda a: np.transpose(a, perm),
        [x],
        moves=True,
    )


@st.composite
def squeezes(draw, kind, side=4):
    """squeeze (all or one size-1 axis), unsqueeze at any position, flatten."""
    shape = draw(shapes(max_side=side, min_side=1))
    x = draw(arrays(shape, -2, 2))
    ones = [i for i, n in enumerate(shape) if n == 1]
    if kind == "squeeze":
        axis = draw(st.sampled_from([None, *ones, *(i - len(shape) for i in ones)]))
        return Drawn(
            "reshape", lambda t: t.squeeze(axis), lambda a: np.squeeze(a, axis), [x], moves=True
        )
    if kind == "unsqueeze":
        axis = draw(st.integers(-len(shape) - 1, len(shape)))
        return Drawn(
            "reshape",
            lambda t: t.unsqueeze(axis),
            lambda a: np.expand_dims(a, axis),
            [x],
            moves=True,
        )
    return Drawn("reshape", lambda t: t.flatten(), lambda a: np.ravel(a), [x], moves=True)


@st.composite
def broadcasts(draw, side=4):
    shape, other = draw(broadcastable_shapes(max_side=side))
    target = np.broadcast_shapes(shape, other)
    x = draw(arrays(shape, -2, 2))
    return Drawn(
        "broadcast_to",
        lambda t: t.broadcast_to(target),
        lambda a: np.broadcast_to(a, target),
        [x],
        moves=True,
    )


@st.composite
def basic_indexes(draw, shape):
    """Ints (negative too), slices with steps (reversed too), None and Ellipsis."""
    index = []
    for n in shape[: draw(st.integers(0, len(shape)))]:
        kind = draw(st.sampled_from(["int", "slice", "all"]))
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n, n))
            stop = draw(st.none() | st.integers(-n, n))
            index.append(slice(start, stop, draw(st.sampled_from([None, 1, 2, -1, -2]))))
        else:
            index.append(slice(None))
    if draw(st.booleans()):
        index.insert(draw(st.integers(0, len(index))), None)
    if draw(st.booleans()):
        index.append(Ellipsis)
    return tuple(index)


@st.composite
def getitems(draw, side=4):
    shape = draw(shapes(max_side=side))
    x = draw(arrays(shape, -2, 2))
    kind = draw(st.sampled_from(["basic", "ints", "ints2", "mask"] if shape else ["basic"]))
    if kind == "basic":
        index = draw(basic_indexes(shape))
    elif kind == "ints":  # one integer array, repeats included, on some axis
        axis = draw(st.integers(0, len(shape) - 1))
        n = shape[axis]
        picks = draw(st.lists(st.integers(-n, n - 1), min_size=0, max_size=6))
        index = (slice(None),) * axis + (np.array(picks, dtype=np.int64),)
    elif kind == "ints2":  # integer arrays on the first axes, broadcast against each other
        k = min(len(shape), 2)
        length = draw(st.integers(1, 5))
        index = tuple(
            np.array(draw(st.lists(st.integers(0, n - 1), min_size=length, max_size=length)))
            for n in shape[:k]
        )
    else:
        index = draw(hnp.arrays(bool, shape))
    return Drawn("getitem", lambda t: t[index], lambda a: a[index], [x], moves=True)


@st.composite
def softmaxes(draw, name, side=4):
    shape = draw(shapes(min_dims=1, max_side=side))
    x = draw(arrays(shape, -5, 5))
    axis = draw(st.integers(-len(shape), len(shape) - 1))

    def reference(a):
        shifted = a - a.max(axis=axis, keepdims=True)
        log_sum = np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        return np.exp(shifted - log_sum) if name == "softmax" else shifted - log_sum

    return Drawn(name, lambda t: getattr(t, name)(axis=axis), reference, [x])


@st.composite
def joins(draw, name, side=4):
    """concatenate along an axis the pieces differ in, or stack along a new one."""
    shape = draw(shapes(min_dims=1, max_side=side))
    count = draw(st.integers(1, 3))
    if name == "concatenate":
        axis = draw(st.integers(-len(shape), len(shape) - 1))
        pieces = []
        for _ in range(count):
            own = list(shape)
            own[axis] = draw(st.integers(1, side))
            pieces.append(draw(arrays(tuple(own), -2, 2)))
        return Drawn(
            "concatenate",
            lambda *ts: concatenate(list(ts), axis=axis),
            lambda *a: np.concatenate(a, axis=axis),
            pieces,
            moves=True,
        )
    axis = draw(st.integers(-len(shape) - 1, len(shape)))
    pieces = [draw(arrays(shape, -2, 2)) for _ in range(count)]
    return Drawn(
        "stack",
        lambda *ts: stack(list(ts), axis=axis),
        lambda *a: np.stack(a, axis=axis),
        pieces,
        moves=True,
    )


@st.composite
def wheres(draw, side=4):
    (cond_shape, x_shape, y_shape), _ = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=3, max_side=side)
    )
    cond = draw(hnp.arrays(bool, cond_shape))
    x, y = draw(arrays(x_shape, -2, 2)), draw(arrays(y_shape, -2, 2))
    return Drawn(
        "where",
        lambda a, b: where(cond, a, b),
        lambda a, b: np.where(cond, a, b),
        [x, y],
        moves=True,
    )


@st.composite
def clips(draw, side=4):
    low, high = draw(st.sampled_from([(-1.0, 1.0), (None, 0.5), (-0.5, None)]))
    # no element within a finite-difference step of a bound (the kinks)
    away = st.one_of(_elements(-3.0, -1.01), _elements(-0.99, -0.51), _elements(-0.49, 0.49))
    away = st.one_of(away, _elements(0.51, 0.99), _elements(1.01, 3.0))
    x = draw(arrays(draw(shapes(max_side=side)), elements=away))
    return Drawn("clip", lambda t: t.clip(low, high), lambda a: np.clip(a, low, high), [x])


@st.composite
def cross_entropies(draw, side=4):
    shape = draw(shapes(min_dims=1, max_side=side))
    x = draw(arrays(shape, -5, 5))
    labels = draw(hnp.arrays(np.int64, shape[:-1], elements=st.integers(0, shape[-1] - 1)))

    def reference(a):
        shifted = a - a.max(axis=-1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
        return -np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]

    return Drawn(
        "softmax_cross_entropy", lambda t: softmax_cross_entropy(t, labels), reference, [x]
    )


TENSOR_CASES = {
    "matmul": matmuls,
    **{name: partial(reductions, name) for name in ("sum", "mean", "max", "min")},
    "var": variances,
    "reshape": reshapes,
    "transpose": transposes,
    **{name: partial(squeezes, name) for name in ("squeeze", "unsqueeze", "flatten")},
    "broadcast_to": broadcasts,
    "getitem": getitems,
    "softmax": partial(softmaxes, "softmax"),
    "log_softmax": partial(softmaxes, "log_softmax"),
    "concatenate": partial(joins, "concatenate"),
    "stack": partial(joins, "stack"),
    "where": wheres,
    "clip": clips,
    "softmax_cross_entropy": cross_entropies,
}


def _routed(drawn, w):
    """Exact gradients of ``sum(w * op(...))`` for an op that only moves elements."""
    sizes = [x.size for x in drawn.inputs]
    offsets = np.cumsum([0, *sizes])
    ids = [
        np.arange(o, o + x.size).reshape(x.shape)
        for o, x in zip(offsets, drawn.inputs, strict=False)  # offsets has one more
    ]
    picked = np.asarray(drawn.reference(*ids))
    total = np.bincount(picked.ravel(), weights=np.ravel(w), minlength=offsets[-1])
    pieces = zip(offsets, sizes, drawn.inputs, strict=False)
    return [total[o : o + n].reshape(x.shape) for o, n, x in pieces]


@pytest.mark.parametrize("name", list(TENSOR_CASES))
@given(data=st.data())
def test_tensor_op_forward_and_gradcheck(name, data):
    drawn = data.draw(TENSOR_CASES[name](), label="case")
    ts = leaves(drawn.inputs)
    out = drawn.fn(*ts)
    expected = drawn.reference(*drawn.inputs)
    assert out.op == drawn.op or (drawn.op is None and out.requires_grad)
    assert out.shape == np.shape(expected) and out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, rtol=drawn.rtol, atol=1e-14)
    w = data.draw(arrays(out.shape, -2, 2), label="weights")
    assert gradcheck(weighted(drawn.fn, w), ts)
    if drawn.moves:
        (out * w).sum().backward()
        for t, g in zip(ts, _routed(drawn, w), strict=True):
            np.testing.assert_allclose(t.grad, g, rtol=1e-14, atol=0)


@pytest.mark.parametrize("name", list(TENSOR_CASES))
@settings(max_examples=8)
@given(data=st.data())
def test_tensor_op_second_derivatives(name, data):
    # Second order costs a backward pass per element pair: small shapes, few examples.
    drawn = data.draw(TENSOR_CASES[name](side=2), label="case")
    ts = leaves(drawn.inputs)
    w = data.draw(arrays(np.shape(drawn.reference(*drawn.inputs)), -2, 2), label="weights")
    # squared, so that a linear op has a second derivative to check
    assert gradcheck(lambda *xs: (drawn.fn(*xs) * w).sum() ** 2, ts, order=2)
