"""Products beyond the registry's cases (``op_cases/products.py`` checks forward, order 1
and 2 gradients and PyTorch on generated shapes): constants, numpy's sublist form,
implicit outputs, float32, and the errors."""

import numpy as np
import pytest

from autodiff import Tensor
from autodiff.numpy import dot, einsum, inner, kron, matmul, outer, tensordot
from autodiff.ops.products import parse_subscripts


def test_einsum_with_constant_operands_and_sublists():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    t = Tensor(a, requires_grad=True)
    out = einsum(t, [0, 1], b, [1, 2], [2, 0])
    np.testing.assert_allclose(out.data, np.einsum(a, [0, 1], b, [1, 2], [2, 0]))
    out.sum().backward()
    np.testing.assert_allclose(t.grad, np.ones((2, 4)) @ b.T)
    assert isinstance(einsum("ij->j", a), np.ndarray)  # no Tensor in: numpy's result


def test_einsum_errors_name_the_problem():
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match="name 2 operand"):
        einsum("ij,jk", x)
    with pytest.raises(ValueError, match="does not match its subscripts"):
        einsum("ijk", x)
    with pytest.raises(ValueError, match="output subscripts"):
        einsum("ij->iz", x)
    with pytest.raises(ValueError, match="einsum 'ij,ij'"):
        einsum("ij,ij", x, np.ones((3, 2)))
    with pytest.raises(TypeError, match="does not take dtype"):
        einsum("ij", x, dtype=np.float32)
    with pytest.raises(ValueError, match="invalid subscripts"):
        einsum("i1", x)


def test_parse_subscripts_makes_the_output_explicit():
    assert parse_subscripts("ba", [(2, 3)]).spec == "ba->ab"
    assert parse_subscripts("...i,i", [(2, 3, 4), (4,)]).spec == "abi,i->ab"
    assert parse_subscripts("ii", [(2, 2)]).spec == "ii->"


# --- dot, inner, outer, tensordot, kron, matmul ----------------------------------------------


def test_products_take_arrays_on_either_side_and_keep_float32():
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    t = Tensor(a, requires_grad=True, dtype=np.float32)
    for fn, right, left in ((dot, a.T, a.T), (inner, a, a), (outer, a, a), (kron, a, a)):
        for out, expected in (
            (fn(t, right), getattr(np, fn.__name__)(a, right)),
            (fn(left, t), getattr(np, fn.__name__)(left, a)),
        ):
            assert out.dtype == np.float32
            np.testing.assert_allclose(out.data, expected, rtol=1e-6)
            out.sum().backward()
            assert t.grad.dtype == np.float32
            t.grad = None
    assert np.array_equal(matmul(a.T, t).data, a.T @ a)
    assert np.array_equal(dot(2.0, t).data, 2 * a)  # a 0-d operand scales


def test_product_shape_errors_name_the_shapes():
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(2, 3\) do not fit"):
        dot(t, np.ones((2, 3)))
    with pytest.raises(ValueError, match="tensordot"):
        tensordot(t, np.ones((2, 3)), axes=1)
    with pytest.raises(TypeError, match="real numbers"):
        dot(t, "abc")


# --- against PyTorch ----------------------------------------------------------------------
