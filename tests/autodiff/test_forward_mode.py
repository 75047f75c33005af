"""Forward mode: jvp and jacfwd agree with the reverse-mode Jacobian for every op
(the registry's elementwise ops, the Tensor ops, products and linear algebra), compose
with grad, jacobian and hessian, match torch.func.jvp, and gradcheck checks them."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import (
    Tensor,
    Value,
    grad,
    gradcheck,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jvp,
    primitive,
)
from autodiff.numpy import linalg
from autodiff.numpy.products import einsum, kron
from autodiff.testing import OP_CASES, op_case_ids


@pytest.mark.parametrize("name", op_case_ids())
@settings(max_examples=10)
@given(data=st.data())
def test_every_registry_op_has_forward_mode_on_values(name, data):
    case = OP_CASES[name]
    xs = data.draw(case.floats(), label="inputs")
    vs = data.draw(st.tuples(*[st.floats(-2, 2)] * case.arity), label="tangents")

    def f(*args):
        return case.fn(*args)

    out, tangent = jvp(f, xs, vs)
    gradients = grad(f, argnums=tuple(range(case.arity)))(*xs)
    assert out == pytest.approx(case.reference(*xs), rel=1e-9, abs=1e-12)
    expected = sum(g * v for g, v in zip(gradients, vs, strict=True))
    assert tangent == pytest.approx(expected, rel=1e-9, abs=1e-9)


TENSOR_FUNCTIONS = {  # name: (f, input shapes); every Tensor op family at least once
    "elementwise": (
        lambda x, y: (x * y).tanh() + x.exp() / (1 + y * y) - abs(y).sqrt(),
        [(3,), (2, 3)],
    ),
    "activations": (
        lambda x: x.relu() + x.sigmoid() + x.leaky_relu(0.1) + x.clip(-0.5, 0.5),
        [(4,)],
    ),
    "reductions": (lambda x: x.sum(0) * x.mean(1, keepdims=True) + x.max(0) - x.min(), [(2, 3)]),
    "variance": (lambda x: x.var(axis=1, ddof=1), [(3, 4)]),
    "softmax": (lambda x: x.softmax(axis=0) + x.log_softmax(), [(2, 3)]),
    "shapes": (
        lambda x: x.reshape(3, 2).T[1:, ::-1].broadcast_to((4, 1, 3)) * x[0, [0, 1, 1]],
        [(2, 3)],
    ),
    "matmul": (lambda a, b: a @ b @ b.T, [(2, 3), (3, 3)]),
    "einsum": (lambda a, b: einsum("ij,jk->ki", a, b) + einsum("ii", b), [(2, 3), (3, 3)]),
    "kron": (lambda a, b: kron(a, b), [(2,), (2, 2)]),
    "norm": (lambda a: linalg.norm(a, axis=0) + linalg.norm(a, 3, axis=1).sum(), [(3, 3)]),
}


@pytest.mark.parametrize("name", list(TENSOR_FUNCTIONS))
def test_jacfwd_equals_jacobian_on_tensor_ops(name):
    f, in_shapes = TENSOR_FUNCTIONS[name]
    rng = np.random.default_rng(len(name))
    xs = [rng.uniform(0.3, 1.5, size=s) * rng.choice([-1, 1], size=s) for s in in_shapes]
    argnums = tuple(range(len(xs)))
    forward = jacfwd(f, argnums)(*xs)
    reverse = jacobian(f, argnums)(*xs)
    for a, b in zip(forward, reverse, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    vs = [rng.normal(size=s) for s in in_shapes]
    out, tangent = jvp(f, xs, vs)
    np.testing.assert_allclose(out, f(*(Tensor(x) for x in xs)).data)
    expected = sum(np.tensordot(j, v, v.ndim) for j, v in zip(reverse, vs, strict=True))
    np.testing.assert_allclose(tangent, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "solve", "cholesky"])
def test_forward_mode_of_linear_algebra(name):
    rng = np.random.default_rng(0)
    m = rng.normal(size=(2, 3, 3))
    a = m @ np.swapaxes(m, -1, -2) + 3 * np.eye(3)
    f = {
        "inv": linalg.inv,
        "det": linalg.det,
        "slogdet": lambda t: linalg.slogdet(t).logabsdet,
        "solve": lambda t: linalg.solve(t, np.ones(3)),
        "cholesky": lambda t: linalg.cholesky(t @ t.mT),
    }[name]
    np.testing.assert_allclose(jacfwd(f)(a), jacobian(f)(a), rtol=1e-10, atol=1e-12)
    x = Tensor(a, requires_grad=True)
    assert gradcheck(
        lambda t: (f(t) * np.arange(1.0, f(x).size + 1).reshape(f(x).shape)).sum(),
        [x],
        mode="forward",
    )


@settings(max_examples=20)
@given(
    x=st.lists(st.floats(-2, 2), min_size=1, max_size=4),
    seed=st.integers(0, 2**16),
)
def test_jvp_is_the_jacobian_times_the_tangent(x, seed):
    x = np.array(x)
    v = np.random.default_rng(seed).normal(size=x.shape)

    def f(t):
        return (t[:, None] * t).tanh().sum(1) + t.sigmoid()

    out, tangent = jvp(f, (x,), (v,))
    np.testing.assert_allclose(tangent, jacobian(f)(x) @ v, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out, f(Tensor(x)).data)


def test_compositions_with_reverse_mode():
    def f(x):
        return (x.tanh() * x * x).sum()

    x = np.array([0.3, -0.7, 1.1])
    v = np.array([1.0, 2.0, -1.0])
    h = hessian(f)(x)
    np.testing.assert_allclose(jacfwd(grad(f))(x), h, rtol=1e-12)  # forward over reverse
    np.testing.assert_allclose(jacobian(jacfwd(f))(x), h, rtol=1e-12)  # reverse over forward
    np.testing.assert_allclose(jacfwd(jacfwd(f))(x), h, rtol=1e-12)  # forward over forward
    np.testing.assert_allclose(jvp(grad(f), (x,), (v,))[1], h @ v, rtol=1e-12)
    np.testing.assert_allclose(grad(lambda y: jvp(f, (y,), (v,))[1])(x), h @ v, rtol=1e-12)
    np.testing.assert_allclose(hvp(f)(x, v), h @ v, rtol=1e-12)
    # Values: third derivative of x⁴ by forward over forward over reverse
    assert jacfwd(jacfwd(grad(lambda s: s * s * s * s)))(2.0) == pytest.approx(48.0)
    # a closure over an enclosing transform's variable
    assert grad(lambda y: jvp(lambda s: s * y * y, (1.0,), (3.0,))[1])(2.0) == pytest.approx(12.0)


def test_jvp_on_nodes_records_and_tangents_can_be_differentiated():
    x = Tensor([0.5, -1.0], requires_grad=True)
    out, tangent = jvp(lambda t: (t * t * t).sum(), (x,), (np.array([1.0, 1.0]),))
    assert out.requires_grad and tangent.requires_grad
    tangent.backward()
    np.testing.assert_allclose(x.grad, 6 * x.data)
    # the tangent is linear in v: d tangent / dv = the gradient
    assert grad(lambda v: jvp(lambda s: s * s, (3.0,), (v,))[1])(1.0) == pytest.approx(6.0)


def test_jvp_result_structure_and_kinds():
    out, tangent = jvp(
        lambda x: {"pair": (x, x * 2.0), "const": 1.0}, (Tensor([1.0]),), (np.ones(1),)
    )
    assert isinstance(tangent["pair"][1], Tensor) and tangent["const"] == 0.0
    np.testing.assert_allclose(tangent["pair"][1].data, [2.0])
    out, tangent = jvp(lambda p: p["a"] * p["b"], ({"a": 2.0, "b": 3.0},), ({"a": 1.0, "b": 0.0},))
    assert (out, tangent) == (6.0, 3.0)
    out, tangent = jvp(lambda x, y: x.sum(), (np.ones(2), np.ones(3)), (np.ones(2), np.ones(3)))
    assert tangent == 2.0 and isinstance(tangent, np.ndarray)
    out, tangent = jvp(lambda x, y: y * 2.0, (np.ones(2), np.ones(3)), (np.ones(2), np.zeros(3)))
    assert np.array_equal(tangent, np.zeros(3))
    single = Tensor(np.ones(2), dtype=np.float32)
    _, tangent = jvp(lambda x: x * 3.0, (single,), (np.ones(2),))
    assert tangent.dtype == np.float32


def test_jvp_and_jacfwd_errors_name_the_problem():
    with pytest.raises(TypeError, match="primals must be a tuple"):
        jvp(lambda x: x, 1.0, (1.0,))
    with pytest.raises(ValueError, match="1 primal"):
        jvp(lambda x: x, (1.0,), (1.0, 2.0))
    with pytest.raises(ValueError, match=r"shape \(3,\), its primal has shape \(2,\)"):
        jvp(lambda x: x, (np.ones(2),), (np.ones(3),))
    with pytest.raises(TypeError, match="must be a number"):
        jvp(lambda x: x, (1.0,), (np.ones(2),))
    with pytest.raises(TypeError, match="must return Values, Tensors or numbers"):
        jvp(lambda x: "text", (1.0,), (1.0,))
    with pytest.raises(TypeError, match="argnums"):
        jacfwd(lambda x: x, argnums="0")


def test_gradcheck_forward_mode_finds_a_wrong_vjp_and_passes_right_ones():
    wrong = primitive(lambda x: x * x, lambda g, out, x: g * 3 * x, "wrong_square")
    x = Tensor([0.5, -1.0], requires_grad=True)
    with pytest.raises(AssertionError, match="forward mode, input 0"):
        gradcheck(lambda t: wrong(t).sum(), [x], mode="forward")
    a, b = Value(0.4), Value(-1.3)
    assert gradcheck(lambda a, b: (a * b).tanh() * a.exp(), [a, b], mode="both", order=2)
    assert gradcheck(lambda t: (t.sigmoid() * t).sum(), [x], mode="both", order=2)
    with pytest.raises(ValueError, match="mode must be"):
        gradcheck(lambda t: t.sum(), [x], mode="sideways")


def test_jvp_matches_torch_func_jvp():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    w, x, v = rng.normal(size=(3, 4)), rng.normal(size=(5, 3)), rng.normal(size=(3, 4))

    def ours(w):
        return (Tensor(x) @ w).tanh().log_softmax(axis=1)

    def theirs(w):
        return torch.log_softmax(torch.tanh(torch.tensor(x) @ w), dim=1)

    out, tangent = jvp(ours, (w,), (v,))
    t_out, t_tangent = torch.func.jvp(theirs, (torch.tensor(w),), (torch.tensor(v),))
    np.testing.assert_allclose(out, t_out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent, t_tangent.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        jacfwd(ours)(w), torch.func.jacfwd(theirs)(torch.tensor(w)).numpy(), rtol=1e-10, atol=1e-12
    )


def _registry():
    """The array-op registry of ``op_cases/`` (every op of the numpy set), as
    ``test_op_cases.py`` loads it."""
    path = Path(__file__).parent / "test_op_cases.py"
    spec = importlib.util.spec_from_file_location("forward_mode_op_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.CASES


REGISTRY = _registry()


@pytest.mark.parametrize("name", list(REGISTRY))
@settings(max_examples=3)
@given(data=st.data())
def test_every_array_op_has_forward_mode(name, data):
    """Forward mode transposes each op's vjp: jacfwd must equal jacobian, op by op."""
    drawn = data.draw(REGISTRY[name].draw(2), label="case")
    argnums = tuple(range(len(drawn.inputs)))

    def f(*xs):
        out = drawn.numpy(*xs)
        return list(out) if isinstance(out, (list, tuple)) else out

    forward = jacfwd(f, argnums)(*drawn.inputs)
    reverse = jacobian(f, argnums)(*drawn.inputs)
    for a, b in zip(_flat(forward), _flat(reverse), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def _flat(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _flat(item)]
    return [np.asarray(tree)]
