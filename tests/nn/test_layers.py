"""Layers: Linear's shapes and arithmetic against numpy, Sequential, activations,
Dropout's statistics, eval identity and seeding (the MLP: tests/nn/test_mlp.py)."""

import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn
from autodiff import Tensor, Value
from nn import Dropout, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh


def _rng(seed=0):
    return np.random.default_rng(seed)


# --- Linear -------------------------------------------------------------------------------


def test_linear_computes_x_at_weight_plus_bias_and_its_gradients():
    layer = Linear(4, 3, rng=_rng())
    layer.bias.data[:] = [0.5, -1.0, 2.0]
    x = _rng(1).normal(size=(5, 4))
    out = layer(x)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(out.data, x @ layer.weight.data + layer.bias.data, rtol=1e-14)
    g = _rng(2).normal(size=(5, 3))
    out.backward(g)
    np.testing.assert_allclose(layer.weight.grad, x.T @ g, rtol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, g.sum(axis=0), rtol=1e-12)


@given(
    n_in=st.integers(1, 8),
    n_out=st.integers(1, 8),
    batch=st.lists(st.integers(1, 4), max_size=2),
    seed=st.integers(0, 2**16),
)
def test_linear_matches_numpy_for_any_shapes(n_in, n_out, batch, seed):
    rng = _rng(seed)
    layer = Linear(n_in, n_out, rng=rng)
    layer.bias.data[:] = rng.normal(size=n_out)
    x = rng.normal(size=(*batch, n_in))
    out = layer(x)
    assert out.shape == (*batch, n_out)
    np.testing.assert_allclose(out.data, x @ layer.weight.data + layer.bias.data, rtol=1e-12)


def test_linear_layout_bias_and_single_samples():
    layer = Linear(784, 30, rng=_rng())
    assert layer.weight.shape == (784, 30) and layer.bias.shape == (30,)
    assert np.array_equal(layer.bias.data, np.zeros(30))
    assert layer(np.ones(784)).shape == (30,)
    no_bias = Linear(3, 2, bias=False, rng=_rng())
    assert no_bias.bias is None and len(no_bias.parameters()) == 1
    x = np.ones((2, 3))
    np.testing.assert_allclose(no_bias(x).data, x @ no_bias.weight.data)


def test_linear_input_gradient_flows_through_a_tensor():
    layer = Linear(3, 2, rng=_rng())
    x = Tensor(_rng(1).normal(size=(4, 3)), requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad, np.tile(layer.weight.data.sum(axis=1), (4, 1)))


def test_linear_float32_stays_float32():
    layer = Linear(3, 2, dtype=np.float32, rng=_rng())
    assert layer.weight.dtype == layer.bias.dtype == np.float32
    out = layer(np.ones((2, 3)))  # a float64 array is taken at the layer's dtype
    assert out.dtype == np.float32
    out.sum().backward()
    assert layer.weight.grad.dtype == np.float32


def test_linear_init_by_name_or_callable():
    ones = Linear(2, 3, init="ones")
    assert np.array_equal(ones.weight.data, np.ones((2, 3)))
    small = Linear(50, 40, init=functools.partial(nn.init.random_normal, stddev=1e-3), rng=_rng())
    assert abs(small.weight.data.std() - 1e-3) < 1e-4
    limit = np.sqrt(6 / (50 + 40))
    assert np.abs(Linear(50, 40, rng=_rng()).weight.data).max() <= limit  # glorot_uniform


def test_linear_rejects_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="in_features must be a positive int"):
        Linear(0, 3)
    with pytest.raises(TypeError, match="out_features"):
        Linear(3, 2.5)
    with pytest.raises(ValueError, match=r"unknown initializer 'glorot'.*glorot_uniform"):
        Linear(3, 2, init="glorot")
    with pytest.raises(TypeError, match="floating-point"):
        Linear(3, 2, dtype=np.int32)
    with pytest.raises(TypeError, match="bias must be True or False"):
        Linear(3, 2, bias="yes")
    with pytest.raises(ValueError, match="returned shape"):
        Linear(3, 2, init=lambda shape, rng, dtype: np.zeros((2, 3)))
    expected = r"Linear\(3, 2\): expected inputs with 3 features.*\(4, 5\)"
    with pytest.raises(ValueError, match=expected):
        Linear(3, 2, rng=_rng())(np.ones((4, 5)))
    with pytest.raises(TypeError, match="rng must be a numpy Generator"):
        Linear(3, 2, rng="seed")


# --- Sequential ---------------------------------------------------------------------------


def test_sequential_applies_modules_in_order():
    first, second = Linear(3, 4, rng=_rng()), Linear(4, 2, rng=_rng(1))
    model = Sequential(first, Tanh(), second)
    x = _rng(2).normal(size=(6, 3))
    expected = np.tanh(x @ first.weight.data) @ second.weight.data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-13)
    assert len(model) == 3 and model[0] is first and list(model)[2] is second
    assert isinstance(model[1:], Sequential) and len(model[1:]) == 2
    assert [n for n, _ in model.named_parameters()][:2] == ["layers.0.weight", "layers.0.bias"]


def test_sequential_takes_modules_only():
    with pytest.raises(TypeError, match=r"argument 1 must be a Module, got function"):
        Sequential(Linear(2, 2), lambda x: x)
    with pytest.raises(TypeError, match=r"separate arguments"):
        Sequential([Linear(2, 2)])


# --- activations --------------------------------------------------------------------------


X = np.array([[-3.0, -0.5, 0.0, 0.5, 4.0], [1e3, -1e3, 2.0, -2.0, 0.1]])


def _softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        (ReLU(), np.maximum(X, 0)),
        (LeakyReLU(), np.where(X >= 0, X, 0.01 * X)),
        (LeakyReLU(0.2), np.where(X >= 0, X, 0.2 * X)),
        (Sigmoid(), 0.5 * (1 + np.tanh(X / 2))),
        (Tanh(), np.tanh(X)),
        (Softmax(), _softmax(X, 1)),
        (Softmax(axis=0), _softmax(X, 0)),
    ],
    ids=["relu", "leaky", "leaky0.2", "sigmoid", "tanh", "softmax", "softmax0"],
)
def test_activations_match_numpy(module, expected):
    out = module(Tensor(X))
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-300)


def test_activations_pass_gradients():
    x = Tensor([[-1.0, 2.0]], requires_grad=True)
    ReLU()(x).sum().backward()
    assert np.array_equal(x.grad, [[0.0, 1.0]])
    x.grad = None
    LeakyReLU(0.1)(x).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.1, 1.0]])


def test_activations_work_on_values():
    assert ReLU()(Value(-2.0)).data == 0.0
    assert Sigmoid()(Value(0.0)).data == 0.5
    assert LeakyReLU(0.5)(Value(-2.0)).data == -1.0
    probs = Softmax()([Value(1.0), Value(1.0), Value(1000.0)])
    assert [round(p.data, 12) for p in probs] == [0.0, 0.0, 1.0]
    probs = Softmax()([Value(0.0), Value(np.log(3.0))])
    assert [round(p.data, 12) for p in probs] == [0.25, 0.75]


def test_activation_arguments_are_checked():
    with pytest.raises(TypeError, match="slope must be a real number"):
        LeakyReLU("0.1")
    with pytest.raises(TypeError, match="axis must be an int"):
        Softmax(axis=1.0)


# --- Dropout ------------------------------------------------------------------------------


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_zeroes_about_p_and_keeps_the_mean(p):
    drop = Dropout(p, rng=_rng())
    out = drop(np.ones((200, 500))).data
    zero = out == 0
    assert abs(zero.mean() - p) < 0.01  # 100,000 draws: stddev of the fraction < 0.0016
    np.testing.assert_allclose(out[~zero], 1 / (1 - p))
    assert abs(out.mean() - 1.0) < 0.03


def test_dropout_is_the_identity_in_eval_mode_and_at_p_zero():
    x = Tensor(_rng().normal(size=(4, 5)), requires_grad=True)
    drop = Dropout(0.5, rng=_rng()).eval()
    assert drop(x) is x
    assert Dropout(0.0)(x) is x
    model = Sequential(Linear(5, 5, rng=_rng()), Dropout(0.9, rng=_rng()))
    model.eval()
    np.testing.assert_array_equal(model(x.data).data, model.layers[0](x.data).data)
    model.train()
    assert not np.array_equal(model(x.data).data, model.layers[0](x.data).data)


def test_dropout_gradient_flows_only_through_kept_units():
    x = Tensor(np.ones((50, 40)), requires_grad=True)
    out = Dropout(0.5, rng=_rng())(x)
    out.sum().backward()
    kept = out.data != 0
    assert kept.any() and (~kept).any()
    np.testing.assert_allclose(x.grad[kept], 2.0)
    assert np.all(x.grad[~kept] == 0.0)


def test_dropout_float32_and_values():
    out = Dropout(0.5, rng=_rng())(Tensor(np.ones((3, 3)), dtype=np.float32))
    assert out.dtype == np.float32
    drop = Dropout(0.5, rng=_rng(3))
    assert {drop(Value(1.0)).data for _ in range(50)} == {0.0, 2.0}


def test_dropout_p_is_validated():
    for bad in (1.0, -0.1, 1.5):
        with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
            Dropout(bad)
    with pytest.raises(TypeError, match="p must be a real number"):
        Dropout("0.5")
    with pytest.raises(TypeError, match="p must be a real number"):
        Dropout(True)
