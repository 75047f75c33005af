"""A product with concatenated embedding rows is computed in the cheaper order
(autodiff/tensor.py ``_lookup_product``, autodiff/ops/nn.py ``embedding_matmul``):
the same values and gradients as the product with the gathered rows, when it applies."""

import numpy as np
import pytest

import nn.functional as F
from autodiff import Tensor, jvp, no_grad


def _both(table, w, indices, shape, padding_idx=None):
    """(result, table grad, w grad) through the lookup product and through the plain one."""
    out = []
    for fused in (True, False):
        t = Tensor(table, requires_grad=True) if table is not None else None
        ww = Tensor(w, requires_grad=True)
        rows = F.embedding(indices, t, padding_idx=padding_idx)
        x = rows.reshape(*shape) if shape else rows
        if not fused:  # a copy of x is not an embedding's output: the plain product
            x = x * 1.0
        y = x @ ww
        assert y.op == ("embedding_matmul" if fused else "@")
        weights = np.random.default_rng(3).normal(size=y.shape)
        ((y * weights).sum() + (y * y).sum()).backward()
        out.append((y.data, t.grad, ww.grad))
    return out


@pytest.mark.parametrize(
    ("indices_shape", "shape"),
    [
        ((32, 4), (32, 12)),
        ((4, 8, 4), (4, 8, 12)),
        ((4, 8, 4), (32, 12)),
        ((128,), (32, 12)),
        ((4, 8), None),  # the embedding's output itself: one row per lookup
    ],
)
def test_same_values_and_gradients_as_the_plain_product(indices_shape, shape):
    rng = np.random.default_rng(0)
    table, w = rng.normal(size=(7, 3)), rng.normal(size=(12 if shape else 3, 5))
    indices = rng.integers(0, 7, indices_shape)
    (y, dt, dw), (y0, dt0, dw0) = _both(table, w, indices, shape)
    np.testing.assert_allclose(y, y0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dt, dt0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, dw0, rtol=1e-12, atol=1e-12)


def test_the_padding_row_gets_no_gradient():
    rng = np.random.default_rng(1)
    indices = rng.integers(0, 5, (40, 2))
    (_, dt, dw), (_, dt0, dw0) = _both(
        rng.normal(size=(5, 3)), rng.normal(size=(6, 2)), indices, (40, 6), padding_idx=4
    )
    assert (dt[4] == 0).all()
    np.testing.assert_allclose(dt, dt0, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, dw0, rtol=1e-12, atol=1e-12)


def test_float32_stays_float32():
    rng = np.random.default_rng(2)
    table = Tensor(rng.normal(size=(4, 2)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.normal(size=(6, 3)).astype(np.float32), requires_grad=True)
    y = F.embedding(rng.integers(0, 4, (20, 3)), table).reshape(20, 6) @ w
    assert y.op == "embedding_matmul"
    y.sum().backward()
    assert y.dtype == table.grad.dtype == w.grad.dtype == np.float32


def test_the_plain_product_where_the_lookup_order_does_not_apply():
    rng = np.random.default_rng(3)
    big = Tensor(rng.normal(size=(50, 2)), requires_grad=True)  # 50 rows for 20 lookups
    w = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    assert (F.embedding(rng.integers(0, 50, (20, 2)), big).reshape(20, 4) @ w).op == "@"
    small = Tensor(rng.normal(size=(4, 2)), requires_grad=True)
    rows = F.embedding(rng.integers(0, 4, (20, 3)), small)  # (20, 3, 2)
    assert (rows.reshape(40, 3) @ w[:3]).op == "@"  # rows split across lines
    assert (rows.reshape(20, 6) @ np.ones((2, 6, 3))).op == "@"  # a stack of matrices


def test_a_constant_weight_or_table_and_no_grad():
    rng = np.random.default_rng(4)
    table, w = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    indices = rng.integers(0, 3, (10, 2))
    t = Tensor(table, requires_grad=True)
    y = F.embedding(indices, t).reshape(10, 4) @ w  # w a plain array
    assert y.op == "embedding_matmul"
    y.sum().backward()
    np.testing.assert_allclose(t.grad, _table_grad(indices, w), rtol=1e-12)
    with no_grad():
        z = F.embedding(indices, t).reshape(10, 4) @ w
    np.testing.assert_allclose(z.data, table[indices].reshape(10, 4) @ w, rtol=1e-12)


def _table_grad(indices, w):
    """d sum(table[indices].reshape(n, k·e) @ w) / d table, written out."""
    k = indices.shape[1]
    e = w.shape[0] // k
    per_position = w.sum(axis=1).reshape(k, e)
    grad = np.zeros((indices.max() + 1, e))
    for p in range(k):
        np.add.at(grad, indices[:, p], per_position[p])
    return grad


def test_forward_mode_through_the_lookup_product():
    rng = np.random.default_rng(5)
    table, w = rng.normal(size=(3, 2)), rng.normal(size=(4, 2))
    indices = rng.integers(0, 3, (10, 2))
    dt, dw = rng.normal(size=table.shape), rng.normal(size=w.shape)
    _, tangent = jvp(
        lambda t, ww: F.embedding(indices, t).reshape(10, 4) @ ww, (table, w), (dt, dw)
    )
    expected = dt[indices].reshape(10, 4) @ w + table[indices].reshape(10, 4) @ dw
    np.testing.assert_allclose(np.asarray(getattr(tangent, "data", tangent)), expected, rtol=1e-12)
