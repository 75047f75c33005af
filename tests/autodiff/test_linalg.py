"""np.linalg on Tensors beyond the registry's cases (``op_cases/linalg.py`` checks
forward, order 1 and 2 gradients and PyTorch on generated batches): a constant side,
slogdet's sign, the norm's gradient at 0, float32, and the errors."""

import math

import numpy as np
import pytest

from autodiff import Tensor, gradcheck
from autodiff.numpy import linalg


def weighted(out, seed=1):
    w = np.random.default_rng(seed).normal(size=np.shape(out.data))
    return (out * w).sum()


def test_solve_with_a_constant_side():
    a = np.array([[3.0, 1.0], [1.0, 2.0]])
    b = Tensor([1.0, 2.0], requires_grad=True)
    linalg.solve(a, b).sum().backward()
    np.testing.assert_allclose(b.grad, np.linalg.solve(a.T, np.ones(2)))
    ta = Tensor(a, requires_grad=True)
    x = linalg.solve(ta, [1.0, 2.0])
    x.sum().backward()
    gb = np.linalg.solve(a.T, np.ones(2))
    np.testing.assert_allclose(ta.grad, -np.outer(gb, x.data))


def test_slogdet_sign_is_a_constant_and_negative_determinants_work():
    a = np.array([[0.0, 2.0], [1.0, 0.5]])  # det -2
    x = Tensor(a, requires_grad=True)
    sign, logdet = linalg.slogdet(x)
    assert float(sign.data) == -1.0 and not sign.requires_grad
    assert math.isclose(float(logdet.data), math.log(2.0))
    assert gradcheck(lambda t: linalg.slogdet(t).logabsdet, [x])
    assert gradcheck(lambda t: linalg.det(t), [x], order=2)
    assert isinstance(linalg.slogdet(a), linalg.SlogdetResult)


# --- norm ----------------------------------------------------------------------------------


def test_norm_of_zero_has_gradient_zero_as_torch():
    x = Tensor(np.zeros(3), requires_grad=True)
    linalg.norm(x).backward()
    assert np.array_equal(x.grad, np.zeros(3))
    y = Tensor(np.array([[0.0, 0.0], [3.0, 4.0]]), requires_grad=True)
    linalg.norm(y, axis=1).sum().backward()
    np.testing.assert_allclose(y.grad, [[0.0, 0.0], [0.6, 0.8]])
    zero_count = linalg.norm(Tensor([0.0, 2.0], requires_grad=True), 0)
    assert float(zero_count.data) == 1.0 and not zero_count.requires_grad


def test_norm_errors_name_the_problem():
    x = Tensor(np.ones((2, 2, 2)), requires_grad=True)
    with pytest.raises(NotImplementedError, match="singular values"):
        linalg.norm(x, "nuc", axis=(0, 1))
    with pytest.raises(ValueError, match="needs axis"):
        linalg.norm(x, 1)
    with pytest.raises(ValueError, match="not a vector norm"):
        linalg.norm(x, "fro", axis=0)
    with pytest.raises(ValueError, match="give one"):
        linalg.norm(x, axis=(0, 1, 2))
    with pytest.raises(ValueError, match="out of range"):
        linalg.norm(x, axis=3)


def test_matrix_ops_reject_what_numpy_rejects():
    with pytest.raises(np.linalg.LinAlgError, match=r"square.*\(2, 3\)"):
        linalg.inv(Tensor(np.ones((2, 3)), requires_grad=True))
    with pytest.raises(np.linalg.LinAlgError):
        linalg.inv(Tensor(np.ones((2, 2)), requires_grad=True))  # singular
    with pytest.raises(np.linalg.LinAlgError):
        linalg.cholesky(Tensor(-np.eye(2), requires_grad=True))  # not positive definite
    with pytest.raises(ValueError, match="solve: a of shape"):
        linalg.solve(Tensor(np.eye(2), requires_grad=True), np.ones(3))


# --- float32 --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "solve", "norm"])
def test_float32_in_float32_out_close_to_float64(name):
    rng = np.random.default_rng(0)
    m = rng.normal(size=(2, 3, 3))
    a = m @ np.swapaxes(m, -1, -2) + 3 * np.eye(3)
    b = rng.normal(size=(2, 3, 2))
    fns = {
        "inv": lambda t: linalg.inv(t),
        "det": lambda t: linalg.det(t),
        "slogdet": lambda t: linalg.slogdet(t).logabsdet,
        "cholesky": lambda t: linalg.cholesky(t),
        "solve": lambda t: linalg.solve(t, b.astype(t.dtype)),
        "norm": lambda t: linalg.norm(t, axis=(1, 2)),
    }
    results = {}
    for dtype in (np.float32, np.float64):
        x = Tensor(a, requires_grad=True, dtype=dtype)
        out = fns[name](x)
        weighted(out).backward()
        assert out.dtype == dtype and x.grad.dtype == dtype
        results[dtype] = out.data, x.grad
    for single, double in zip(results[np.float32], results[np.float64], strict=True):
        np.testing.assert_allclose(single, double, rtol=2e-4, atol=1e-5)


# --- against PyTorch ------------------------------------------------------------------------
