"""The nn ops' vjps against finite differences, first and second order (the second
runs each vjp on graph nodes: backward(create_graph=True) must record it correctly)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn.functional as F
from autodiff import Tensor, gradcheck, ops, toposort
from autodiff.ops import OPS
from autodiff.ops.nn import erf_series
from autodiff.tensor import _nary


def _t(rng, *shape, scale=1.0):
    return Tensor(rng.standard_normal(shape) * scale, requires_grad=True)


def _weighted(y, rng):
    """A scalar that depends on every element of ``y`` differently (a random weighting),
    squared in part, so second derivatives of linear ops are not all zero."""
    w = rng.standard_normal(y.shape)
    return (y * w).sum() + (y * y).sum() * 0.5


def _gru(op, *operands):
    """The fused GRU ops (used by nn.GRUCell and nn.GRU) applied to Tensors directly."""
    operands = (ops.GRUSpec(), *operands)
    return _nary(op, operands, op.array(*(getattr(x, "data", x) for x in operands)))


CASES = {
    "conv2d": (
        lambda r: [_t(r, 1, 2, 3, 5), _t(r, 2, 1, 2, 2), _t(r, 2)],
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
    ),
    "conv1d": (
        lambda r: [_t(r, 1, 2, 5), _t(r, 2, 2, 3)],
        lambda x, w: F.conv1d(x, w, padding="same", dilation=2),
    ),
    "max_pool2d": (
        lambda r: [_t(r, 1, 1, 5, 5)],
        lambda x: F.max_pool2d(x, 3, stride=2, padding=1),
    ),
    "avg_pool2d": (
        lambda r: [_t(r, 1, 1, 4, 5)],
        lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False),
    ),
    "embedding": (
        lambda r: [_t(r, 4, 3)],
        lambda w: F.embedding(np.array([[1, 2], [1, 1]]), w, padding_idx=3),  # unused: its
        # gradient is zero by design, which finite differences would not see,
    ),
    "embedding_matmul": (  # 3 rows of a 2-row table per output row: the lookup product
        lambda r: [_t(r, 2, 3), _t(r, 9, 2)],
        lambda t, w: F.embedding(np.array([[[0, 1, 1], [1, 0, 0]]] * 3), t).reshape(3, 2, 9) @ w,
    ),
    "layer_norm": (
        lambda r: [_t(r, 3, 4), _t(r, 4), _t(r, 4)],
        lambda x, w, b: F.layer_norm(x, (4,), w, b) * x,
    ),
    "batch_norm_train": (
        lambda r: [_t(r, 3, 2, 3), _t(r, 2), _t(r, 2)],
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True) * x,
    ),
    "batch_norm_eval": (
        lambda r: [_t(r, 3, 2, 3), _t(r, 2), _t(r, 2)],
        lambda x, w, b: F.batch_norm(x, np.array([0.3, -1.0]), np.array([2.0, 0.5]), w, b) * x,
    ),
    "gelu": (lambda r: [_t(r, 6, scale=2)], F.gelu),
    "gelu_tanh": (lambda r: [_t(r, 6, scale=2)], lambda x: F.gelu(x, "tanh")),
    "silu": (lambda r: [_t(r, 6, scale=2)], F.silu),
    "softplus": (lambda r: [_t(r, 6, scale=2)], lambda x: F.softplus(x, beta=2.0, threshold=3.0)),
    "attention": (
        lambda r: [_t(r, 1, 3, 2), _t(r, 1, 3, 2), _t(r, 1, 3, 2)],
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
    ),
    "self_attention": (  # 2 heads of 2 over 3 steps, causal
        lambda r: [_t(r, 2, 3, 12)],
        lambda qkv: F._self_attention(qkv, 2, F._causal_mask(3, 3, np.float64)),
    ),
    "self_attention_padding": (  # a mask per batch row, one head
        lambda r: [_t(r, 2, 3, 6)],
        lambda qkv: F._self_attention(
            qkv, 1, np.array([0.0, 0.0, -np.inf, 0.0, 0.0, 0.0]).reshape(2, 1, 1, 3)
        ),
    ),
    "gru_cell": (
        lambda r: [_t(r, 2, 6), _t(r, 2, 2), _t(r, 6, 2), _t(r, 6)],
        lambda gi, h, w, b: _gru(ops.GRU_CELL, gi, h, w, b),
    ),
    "gru_sequence": (
        lambda r: [_t(r, 3, 1, 6), _t(r, 1, 2), _t(r, 6, 2)],
        lambda gi, h, w: _gru(ops.GRU_SEQUENCE, gi, h, w),
    ),
    "attention_mask": (
        lambda r: [_t(r, 3, 2), _t(r, 3, 2), _t(r, 3, 2)],
        lambda q, k, v: F.scaled_dot_product_attention(
            q, k, v, attn_mask=np.array([[1, 0, 1], [1, 1, 0], [0, 1, 1]], bool), scale=0.7
        ),
    ),
}


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("name", sorted(CASES))
def test_gradcheck(name, order):
    make, op = CASES[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    inputs = make(rng)
    assert gradcheck(lambda *xs: _weighted(op(*xs), np.random.default_rng(1)), inputs, order=order)


NN_OPS = {
    "conv",
    "conv_dx",
    "conv_dw",
    "max_pool",
    "max_unpool",
    "avg_pool",
    "avg_unpool",
    "embedding",
    "embedding_matmul",
    "layer_norm",
    "batch_norm",
    "gelu",
    "gelu_grad",
    "silu",
    "softplus_beta",
    "scaled_dot_product_attention",
    "self_attention",
    "gru_cell",
    "gru_sequence",
}


def test_the_cases_reach_every_nn_op_forward_and_backward():
    # tests/autodiff/test_tensor_properties.py leaves these ops to the cases above
    seen = set()
    for make, op in CASES.values():
        inputs = make(np.random.default_rng(0))
        out = _weighted(op(*inputs), np.random.default_rng(1))
        out.backward(create_graph=True)
        for x in inputs:
            seen |= {node.op for node in toposort(x.grad)}
        seen |= {node.op for node in toposort(out)}
    conv_ops = {n for n, op in OPS.items() if op.vjp.__module__ == "autodiff.ops.conv"}
    assert conv_ops <= NN_OPS <= seen, (conv_ops | NN_OPS) - seen


def test_second_derivative_of_a_linear_op_is_recorded_as_ops_of_the_family():
    # conv's gradient with create_graph is a conv_dx / conv_dw node: the family is closed
    rng = np.random.default_rng(0)
    x, w = _t(rng, 1, 1, 4, 4), _t(rng, 1, 1, 2, 2)
    (F.conv2d(x, w) ** 2).sum().backward(create_graph=True)
    assert x.grad.op == "conv_dx" and w.grad.op == "conv_dw"


@settings(max_examples=20)
@given(st.lists(st.floats(-30, 30), min_size=1, max_size=20))
def test_erf_series_matches_scipy(xs):
    erf = pytest.importorskip("scipy.special").erf
    x = np.array(xs)
    np.testing.assert_allclose(erf_series(x), erf(x), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm_on_rows_matches_the_general_normalization(affine):
    # ops/nn.py runs a layer norm on (rows, width) matrices (_layer_normalize,
    # _vjp_layer_normalize) when its spec has a width; the general code (_normalize,
    # _vjp_normalize_arrays, what batch norm takes) must give the same values and gradients
    rng = np.random.default_rng(7)
    x, g = rng.standard_normal((4, 3, 5)), rng.standard_normal((4, 3, 5))
    w, b = (rng.standard_normal(5), rng.standard_normal(5)) if affine else (None, None)
    results = []
    for rows in (True, False):
        spec = ops.NormSpec((2,), (1, 1, 5), 1e-5)
        assert spec.width == 5
        if not rows:
            spec.width = 0  # the general path
        y = ops.LAYER_NORM.array(spec, x, w, b)
        _, dx, dw, db = ops.LAYER_NORM.vjp(g, y, spec, x, w, b)
        results.append([y, dx] + ([dw, db] if affine else []))
    for on_rows, general in zip(*results, strict=True):
        np.testing.assert_allclose(on_rows, general, rtol=1e-12, atol=1e-12)
