"""grad, value_and_grad, jacobian, hessian and hvp against closed forms."""

import math

import numpy as np
import pytest

from autodiff import Tensor, Value, grad, hessian, hvp, jacobian, value_and_grad


def test_grad_of_numbers_returns_numbers_and_composes_to_third_order():
    def f(x):
        return x**4 - 3 * x**3 + x

    x = 1.7
    assert grad(f)(x) == pytest.approx(4 * x**3 - 9 * x**2 + 1)
    assert grad(grad(f))(x) == pytest.approx(12 * x**2 - 18 * x)
    assert grad(grad(grad(f)))(x) == pytest.approx(24 * x - 18)
    assert isinstance(grad(f)(x), float)


def test_third_derivative_of_tanh():
    t = math.tanh(0.4)
    d3 = grad(grad(grad(lambda x: x.tanh())))(0.4)
    assert d3 == pytest.approx(-2 * (1 - t**2) ** 2 + 4 * t**2 * (1 - t**2))


def test_grad_of_value_inputs_gives_values_with_graphs():
    x = Value(2.0)
    g = grad(lambda x: x * x * x)(x)
    assert isinstance(g, Value) and g.data == 12.0
    assert x.grad == 0.0  # the user's .grad is left alone


def test_argnums_tuple_and_value_and_grad_with_aux():
    f = lambda x, y: x * y + y
    assert grad(f, argnums=(0, 1))(3.0, 4.0) == (4.0, 4.0)
    assert grad(f, argnums=-1)(3.0, 4.0) == 4.0
    (value, aux), g = value_and_grad(lambda x: (x * x, "aux"), has_aux=True)(3.0)
    assert (value, aux, g) == (9.0, "aux", 6.0)


def test_arrays_in_arrays_out():
    x = np.array([1.0, 2.0, 3.0])
    assert np.allclose(grad(lambda x: (x * x).sum())(x), 2 * x)
    assert isinstance(grad(lambda x: (x * x).sum())(x), np.ndarray)


def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    assert np.allclose(hessian(lambda x: x @ (Tensor(A) @ x))(x), A + A.T)


def test_hessian_of_log_sum_exp():
    rng = np.random.default_rng(1)
    x = rng.normal(size=5)
    p = np.exp(x) / np.exp(x).sum()
    H = hessian(lambda x: x.exp().sum().log())(x)
    assert np.allclose(H, np.diag(p) - np.outer(p, p))


def test_jacobian_of_elementwise_and_matmul():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(3, 4))
    x = rng.normal(size=4)
    assert np.allclose(jacobian(lambda x: Tensor(W) @ x)(x), W)
    assert np.allclose(jacobian(lambda x: x.tanh())(x), np.diag(1 - np.tanh(x) ** 2))
    xs = [Value(1.0), Value(2.0)]
    J = jacobian(lambda a, b: [a * b, a + b], argnums=(0, 1))(1.0, 2.0)
    assert np.allclose(J[0], [2.0, 1.0]) and np.allclose(J[1], [1.0, 1.0])
    assert xs[0].grad == 0.0


def test_hvp_equals_hessian_times_v():
    rng = np.random.default_rng(3)
    x, v = rng.normal(size=6), rng.normal(size=6)

    def f(x):
        return (x.sigmoid() * x).sum() + (x * x * x).sum()

    assert np.allclose(hvp(f)(x, v), hessian(f)(x) @ v)
    assert hvp(lambda x: x * x * x)(2.0, 1.5) == pytest.approx(6 * 2.0 * 1.5)


def test_clear_errors():
    with pytest.raises(ValueError, match=r"scalar.*shape \(3,\)"):
        grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(ValueError, match="argnums 2 is out of range"):
        grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="argnums must be an int"):
        grad(lambda x: x, argnums="0")(1.0)
    with pytest.raises(TypeError, match="must return a Value"):
        grad(lambda x: "nope")(1.0)
    with pytest.raises(TypeError, match="has_aux"):
        value_and_grad(lambda x: x * x, has_aux=True)(1.0)
    with pytest.raises(TypeError, match="argument 0 is a str"):
        grad(lambda x: x)("a")
