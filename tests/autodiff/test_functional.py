"""grad, value_and_grad, jacobian, hessian and hvp against closed forms, and every op's
second derivative (its vjp run through create_graph) against differences of gradients."""

import math
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autodiff import Tensor, Value, grad, hessian, hvp, jacobian, no_grad, value_and_grad
from autodiff.testing import OP_CASES, arrays, finite_floats, op_case_ids


def polynomial(coefficients):
    """p(x) = Σ c_k x^k, built from the ops (x ** k with a constant exponent)."""
    return lambda x: sum((c * x**k for k, c in enumerate(coefficients)), Value(0.0) * 0.0)


def derivative(coefficients, order, x):
    """The closed form of p's derivative of the given order at x."""
    total = 0.0
    for k, c in enumerate(coefficients):
        if k >= order:
            total += c * math.perm(k, order) * x ** (k - order)
    return total


def tanh_derivatives(x):
    t = math.tanh(x)
    s = 1 - t * t  # tanh' = 1 − tanh²
    return s, -2 * t * s, -2 * s * s + 4 * t * t * s


# --- third derivatives: nested transforms and create_graph ---------------------------------


@given(
    st.lists(finite_floats(-3, 3), min_size=1, max_size=6),
    finite_floats(-2, 2),
)
def test_nested_grad_gives_polynomial_derivatives_up_to_the_fourth(coefficients, x):
    p = polynomial(coefficients)
    d = p
    for order in range(1, 5):
        d = grad(d)
        result = d(x)
        assert isinstance(result, float)
        assert result == pytest.approx(derivative(coefficients, order, x), rel=1e-9, abs=1e-9)


def test_polynomial_third_derivative_through_create_graph():
    coefficients = [0.5, 1.0, -3.0, 2.0, 0.25]
    x = Value(1.3)
    y = polynomial(coefficients)(x)
    found = []
    for create_graph in (True, True, False):
        y.backward(create_graph=create_graph)
        y, x.grad = x.grad, 0.0  # differentiate the gradient next
        found.append(y.data if isinstance(y, Value) else y)
    expected = [derivative(coefficients, k, 1.3) for k in (1, 2, 3)]
    assert found == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("x", [-1.2, 0.0, 0.4, 2.5])
def test_third_derivative_of_tanh_nested_and_through_create_graph(x):
    expected = tanh_derivatives(x)
    f = lambda v: v.tanh()
    assert [grad(f)(x), grad(grad(f))(x), grad(grad(grad(f)))(x)] == pytest.approx(expected)
    # the same three through Value.backward(create_graph=True), as a user would
    leaf = Value(x)
    y = f(leaf)
    found = []
    for create_graph in (True, True, False):
        y.backward(create_graph=create_graph)
        y, leaf.grad = leaf.grad, 0.0
        found.append(y.data if isinstance(y, Value) else y)
    assert found == pytest.approx(expected)
    # on a Value input every level is a node with a graph of its own
    d3 = grad(grad(grad(f)))(Value(x))
    assert isinstance(d3, Value) and d3.data == pytest.approx(expected[2])


def test_third_derivative_of_tanh_on_arrays():
    x = np.array([-1.0, 0.2, 0.9])
    f = lambda t: t.tanh().sum()
    # elementwise f: the gradient of sum(f'(x)) is f''(x), elementwise
    d2 = grad(lambda t: grad(f)(t).sum())
    d3 = grad(lambda t: d2(t).sum())(x)
    expected = np.array([tanh_derivatives(v)[2] for v in x])
    assert isinstance(d3, np.ndarray) and np.allclose(d3, expected)


def test_inner_transform_records_when_f_closes_over_an_outer_variable():
    # d/dy [d/dx (x y)] = d/dy y = 1: the inner grad sees a plain 1.0 but must still
    # return a node, because its result depends on the outer leaf y
    assert grad(lambda y: grad(lambda x: x * y)(1.0))(3.0) == 1.0
    # mixed partial of x² y³ = 6 x y²
    mixed = grad(lambda y: grad(lambda x: x * x * y**3)(2.0))(3.0)
    assert mixed == pytest.approx(6 * 2.0 * 9.0)
    # an inner result that does not depend on the outer variable stays plain
    assert grad(lambda y: grad(lambda x: x * x)(2.0) * y)(3.0) == 4.0


def test_third_derivatives_through_hvp_and_hessian():
    f = lambda x: x.tanh()
    assert grad(lambda x: hvp(f)(x, 1.0))(0.4) == pytest.approx(tanh_derivatives(0.4)[2])
    x = np.array([0.5, -1.0])
    cube = lambda t: (t**3).sum()
    assert np.allclose(grad(lambda t: hessian(cube)(t)[0, 0])(x), [6.0, 0.0])
    # jacobian of a jacobian: the third-order tensor of an elementwise map is diagonal
    T = jacobian(jacobian(lambda t: t.tanh()))(x)
    expected = np.zeros((2, 2, 2))
    for i, v in enumerate(x):
        expected[i, i, i] = tanh_derivatives(v)[1]
    assert np.allclose(T, expected)


# --- what comes back --------------------------------------------------------------------------


def test_results_are_the_callers_kind_of_value():
    square_sum = lambda x: (x * x).sum()
    assert isinstance(grad(lambda x: x * x)(3), float)
    g = grad(square_sum)(np.array([1.0, 2.0], dtype=np.float32))
    assert isinstance(g, np.ndarray) and g.dtype == np.float32 and g.tolist() == [2.0, 4.0]
    assert grad(square_sum)(np.array([1, 2])).tolist() == [2.0, 4.0]  # integers: float64
    t = grad(square_sum)(Tensor([1.0, 2.0]))
    assert isinstance(t, Tensor) and not t.requires_grad and t.data.tolist() == [2.0, 4.0]


def test_node_inputs_give_nodes_and_leave_grad_alone():
    x = Value(2.0)
    g = grad(lambda x: x * x * x)(x)
    assert isinstance(g, Value) and g.data == 12.0 and g.parents
    assert x.grad == 0.0
    t = Tensor([1.0, 2.0], requires_grad=True)
    gt = grad(lambda t: (t * t * t).sum())(t)
    assert isinstance(gt, Tensor) and gt.requires_grad and gt.data.tolist() == [3.0, 12.0]
    assert t.grad is None
    # and a .grad the user already has is not added to
    x.grad = 5.0
    grad(lambda x: x * x)(x)
    assert x.grad == 5.0


def test_tuples_lists_dicts_and_namedtuples_as_arguments():
    Params = namedtuple("Params", "w b")
    f = lambda p: p[0] * p[1] + p[1]
    assert grad(f)((2.0, 3.0)) == (3.0, 3.0)
    assert grad(f)([2.0, 3.0]) == [3.0, 3.0]
    assert grad(f)(Params(2.0, 3.0)) == Params(3.0, 3.0)
    g = grad(lambda p: (p["w"] * p["x"]["v"]).sum())({"w": np.ones(2), "x": {"v": np.arange(2.0)}})
    assert g["w"].tolist() == [0.0, 1.0] and g["x"]["v"].tolist() == [1.0, 1.0]


def test_argnums_tuples_and_negative_indices():
    f = lambda x, y, z: x * y + y * z
    assert grad(f, argnums=(0, 2))(3.0, 4.0, 5.0) == (4.0, 4.0)
    assert grad(f, argnums=-1)(3.0, 4.0, 5.0) == 4.0
    assert grad(f, argnums=(1,))(3.0, 4.0, 5.0) == (8.0,)
    # arguments not differentiated are passed through untouched
    assert grad(lambda x, s: x * x if s == "square" else x, argnums=0)(3.0, "square") == 6.0


def test_constant_and_independent_functions_have_zero_gradient():
    assert grad(lambda x: 3.0)(1.0) == 0.0
    assert value_and_grad(lambda x, y: y * y)(1.0, 2.0) == (4.0, 0.0)
    assert grad(lambda x: Tensor([2.0]).sum())(np.ones(3)).tolist() == [0.0, 0.0, 0.0]
    assert hessian(lambda x: x.sum())(np.ones(2)).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_value_and_grad_with_aux():
    (value, aux), g = value_and_grad(lambda x: (x * x, {"x": x.data}), has_aux=True)(3.0)
    assert (value, aux, g) == (9.0, {"x": 3.0}, 6.0)
    (v2, _), (gx, gy) = value_and_grad(lambda x, y: (x * y, None), (0, 1), has_aux=True)(2.0, 5.0)
    assert (v2, gx, gy) == (10.0, 5.0, 2.0)


def test_transforms_work_inside_no_grad():
    with no_grad():
        assert grad(lambda x: x * x)(3.0) == 6.0
        assert hessian(lambda x: x**3)(2.0) == 12.0


# --- Hessians, Jacobians, Hessian-vector products ----------------------------------------------


def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 4))
    x = rng.normal(size=4)
    assert np.allclose(hessian(lambda x: x @ (Tensor(A) @ x))(x), A + A.T, rtol=1e-12)


def test_hessian_of_log_sum_exp_is_diag_p_minus_p_pt():
    rng = np.random.default_rng(1)
    x = rng.normal(size=5)
    p = np.exp(x) / np.exp(x).sum()
    H = hessian(lambda x: x.exp().sum().log())(x)
    assert np.allclose(H, np.diag(p) - np.outer(p, p), rtol=1e-12, atol=1e-15)


def test_hessian_of_a_matrix_input_and_of_several_arguments():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(2, 3))
    H = hessian(lambda X: (X * X).sum())(X)
    assert H.shape == (2, 3, 2, 3) and np.allclose(H.reshape(6, 6), 2 * np.eye(6))
    # x² y: [[2y, 2x], [2x, 0]], as blocks H[i][j]
    (hxx, hxy), (hyx, hyy) = hessian(lambda x, y: x * x * y, argnums=(0, 1))(3.0, 2.0)
    assert (hxx, hxy, hyx, hyy) == (4.0, 6.0, 6.0, 0.0)


def test_jacobian_of_elementwise_and_matmul_functions():
    rng = np.random.default_rng(2)
    W = rng.normal(size=(3, 4))
    x = rng.normal(size=4)
    assert np.allclose(jacobian(lambda x: Tensor(W) @ x)(x), W)
    assert np.allclose(jacobian(lambda x: x.tanh())(x), np.diag(1 - np.tanh(x) ** 2))
    # matrix input: d(W X)[i, k] / dX[j, l] = W[i, j] δ(k, l)
    X = rng.normal(size=(4, 2))
    J = jacobian(lambda X: Tensor(W) @ X)(X)
    assert J.shape == (3, 2, 4, 2)
    assert np.allclose(J, np.einsum("ij,kl->ikjl", W, np.eye(2)))
    # both operands of a matmul
    (JW, JX) = jacobian(lambda W, X: W @ X, argnums=(0, 1))(W, X)
    assert np.allclose(JW, np.einsum("ij,lk->ikjl", np.eye(3), X))
    assert np.allclose(JX, np.einsum("ij,kl->ikjl", W, np.eye(2)))


def test_jacobian_of_several_outputs_follows_their_structure():
    J = jacobian(lambda a, b: [a * b, a + b], argnums=(0, 1))(2.0, 3.0)
    assert J == [(3.0, 2.0), (1.0, 1.0)]
    J = jacobian(lambda x: {"square": x * x, "sum": x.sum()})(np.array([1.0, 2.0]))
    assert np.allclose(J["square"], np.diag([2.0, 4.0])) and J["sum"].tolist() == [1.0, 1.0]


def test_hvp_equals_hessian_times_v():
    rng = np.random.default_rng(3)
    x, v = rng.normal(size=6), rng.normal(size=6)

    def f(x):
        return (x.sigmoid() * x).sum() + (x * x * x).sum() + x.exp().sum().log()

    assert np.allclose(hvp(f)(x, v), hessian(f)(x) @ v, rtol=1e-12, atol=1e-12)
    assert hvp(lambda x: x * x * x)(2.0, 1.5) == pytest.approx(6 * 2.0 * 1.5)


def test_hvp_with_argnums():
    # f = a x² y: d²/dx² = 2 a y, d²/dxdy = 2 a x, d²/dy² = 0
    f = lambda a, x, y: a * x * x * y
    assert hvp(f, argnums=1)(3.0, 2.0, 5.0, 1.0) == 30.0
    hx, hy = hvp(f, argnums=(1, 2))(3.0, 2.0, 5.0, (1.0, 2.0))
    assert (hx, hy) == (2 * 3 * 5 * 1.0 + 2 * 3 * 2 * 2.0, 2 * 3 * 2 * 1.0)


def test_hvp_of_a_value_input_is_a_node():
    x = Value(0.7)
    h = hvp(lambda x: x.tanh())(x, 1.0)
    assert isinstance(h, Value) and h.data == pytest.approx(tanh_derivatives(0.7)[1])
    assert x.grad == 0.0


# --- clear errors -------------------------------------------------------------------------------


def test_a_non_scalar_output_names_its_shape():
    with pytest.raises(ValueError, match=r"grad: the function must return a scalar.*\(3,\)"):
        grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(ValueError, match=r"hessian: .*scalar.*\(2, 2\)"):
        hessian(lambda x: x.reshape(2, 2))(np.ones(4))


@pytest.mark.parametrize(
    ("argnums", "error", "message"),
    [
        ("0", TypeError, "argnums must be an int or a tuple of ints, got '0'"),
        (1.0, TypeError, "argnums must be an int"),
        (True, TypeError, "argnums must be an int"),
        ((0, "1"), TypeError, "argnums must be an int"),
        ((), ValueError, "empty tuple"),
    ],
)
def test_malformed_argnums_are_rejected_when_the_transform_is_made(argnums, error, message):
    for transform in (grad, value_and_grad, jacobian, hessian, hvp):
        with pytest.raises(error, match=message):
            transform(lambda x: x, argnums=argnums)


def test_argnums_out_of_range_or_repeated():
    f = lambda x, y: x * y
    with pytest.raises(ValueError, match="argnums 2 is out of range for a call with 2"):
        grad(f, argnums=2)(1.0, 2.0)
    with pytest.raises(ValueError, match="argnums -3 is out of range"):
        jacobian(f, argnums=(0, -3))(1.0, 2.0)
    with pytest.raises(ValueError, match="names an argument twice"):
        grad(f, argnums=(1, -1))(1.0, 2.0)


def test_outputs_and_inputs_of_the_wrong_kind():
    with pytest.raises(TypeError, match=r"grad: the function must return a Value.*got str"):
        grad(lambda x: "nope")(1.0)
    with pytest.raises(TypeError, match="got list"):
        grad(lambda x: [x, x])(1.0)
    with pytest.raises(TypeError, match=r"jacobian: the function must return .* got str"):
        jacobian(lambda x: ["a"])(1.0)
    with pytest.raises(TypeError, match="argument 0 holds a str"):
        grad(lambda x: x)("a")
    with pytest.raises(TypeError, match="argument 1 holds a bool"):
        grad(lambda x, y: x, argnums=1)(1.0, True)
    with pytest.raises(TypeError, match="argument 0 holds an array of dtype bool"):
        grad(lambda x: x.sum())(np.array([True]))
    with pytest.raises(TypeError, match="argument 0 holds a NoneType"):
        grad(lambda p: p[0])((1.0, None))


def test_has_aux_misuse():
    with pytest.raises(TypeError, match=r"has_aux=True needs f to return a pair.*got Value"):
        value_and_grad(lambda x: x * x, has_aux=True)(1.0)
    with pytest.raises(TypeError, match=r"got tuple.*use value_and_grad\(f, has_aux=True\)"):
        grad(lambda x: (x * x, "aux"))(1.0)
    with pytest.raises(TypeError, match="has_aux must be True or False"):
        value_and_grad(lambda x: x, has_aux="yes")


def test_hvp_tangent_errors():
    f = lambda x: (x * x).sum()
    with pytest.raises(ValueError, match=r"v has shape \(3,\) where x has shape \(2,\)"):
        hvp(f)(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="v must be a tuple of 2"):
        hvp(lambda x, y: x * y, argnums=(0, 1))(1.0, 2.0, 1.0)
    with pytest.raises(TypeError, match=r"hvp\(f\)\(\*args, v\)"):
        hvp(f)(np.ones(2))


# --- every op's second derivative --------------------------------------------------------------

EPS = 1e-5


def numeric_hessian(f, xs):
    """Central differences of the gradient: row (i, k) moves element k of input i.

    Float inputs are passed as floats (so the op runs on Values), arrays as arrays.
    """
    n = len(xs)
    gradient = grad(f, argnums=tuple(range(n)))
    arrays_ = [np.array(x, dtype=float) for x in xs]

    def at(moved):
        return gradient(
            *(float(m) if isinstance(x, float) else m for m, x in zip(moved, xs, strict=True))
        )

    rows = []
    for i in range(n):
        for k in range(arrays_[i].size):
            hi = [a.copy() for a in arrays_]
            lo = [a.copy() for a in arrays_]
            hi[i].reshape(-1)[k] += EPS
            lo[i].reshape(-1)[k] -= EPS
            g_hi, g_lo = at(hi), at(lo)
            rows.append(
                np.concatenate(
                    [
                        ((np.asarray(a) - b) / (2 * EPS)).reshape(-1)
                        for a, b in zip(g_hi, g_lo, strict=True)
                    ]
                )
            )
    return np.array(rows)


def assert_second_derivatives(f, xs):
    n = len(xs)
    blocks = hessian(f, argnums=tuple(range(n)))(*xs)
    sizes = [np.size(x) for x in xs]
    analytic = np.block(
        [[np.reshape(blocks[i][j], (sizes[i], sizes[j])) for j in range(n)] for i in range(n)]
    )
    numeric = numeric_hessian(f, xs)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", op_case_ids())
@given(data=st.data())
def test_every_op_has_the_right_second_derivative_on_values(name, data):
    case = OP_CASES[name]
    xs = data.draw(case.floats(), label="inputs")
    weight = data.draw(finite_floats(-2, 2), label="weight")
    # float inputs become Values: hessian runs the op's vjp on Values with recording on
    assert_second_derivatives(lambda *vs: case.fn(*vs) * weight, xs)


@pytest.mark.parametrize("name", op_case_ids())
@given(data=st.data())
def test_every_op_has_the_right_second_derivative_on_tensors(name, data):
    case = OP_CASES[name]
    xs = data.draw(case.arrays((2, 3)), label="inputs")
    w = data.draw(arrays((2, 3), -2, 2), label="weights")
    assert_second_derivatives(lambda *ts: (case.fn(*ts) * w).sum(), xs)


@pytest.mark.parametrize("kind", ["Value", "Tensor"])
def test_mixed_second_derivative_of_pow_at_a_zero_exponent(kind):
    # d²(a ** b)/da db = a ** (b - 1) (1 + b log a): 1/2 at a = 2, b = 0, both ways round
    if kind == "Value":
        (_, h_ab), (h_ba, _) = hessian(lambda a, b: a**b, argnums=(0, 1))(2.0, 0.0)
    else:
        f = lambda a, b: (a**b).sum()
        (_, h_ab), (h_ba, _) = hessian(f, argnums=(0, 1))(np.array([2.0]), np.array([0.0]))
    assert h_ba == pytest.approx(0.5)
    assert h_ab == pytest.approx(0.5)


def test_gradient_of_zero_to_the_zero_on_tensors_is_zero_as_on_values():
    # 0 ** 0 = 1; its gradients are taken as 0 (as PyTorch), and Values already do so
    assert grad(lambda a, b: a**b, argnums=(0, 1))(0.0, 0.0) == (0.0, 0.0)
    ga, gb = grad(lambda a, b: (a**b).sum(), argnums=(0, 1))(np.zeros(1), np.zeros(1))
    assert ga.tolist() == [0.0] and gb.tolist() == [0.0]
