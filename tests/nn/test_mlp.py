"""nn.mlp: MLP construction, default initializers by activation, forward against numpy,
and the validation of sizes and activations."""

import numpy as np
import pytest

from nn import MLP, LeakyReLU
from nn.layers import ReLU, Tanh
from nn.mlp import check_sizes, default_init


def _rng(seed=0):
    return np.random.default_rng(seed)


# --- MLP ----------------------------------------------------------------------------------


def test_mlp_structure_names_and_default_inits():
    model = MLP([784, 30, 10], rng=_rng())
    assert [type(m).__name__ for m in model.layers] == ["Linear", "ReLU", "Linear"]
    assert model.sizes == [784, 30, 10]
    # He uniform for the ReLU layer, Glorot uniform for the linear output layer
    assert np.abs(model.layers[0].weight.data).max() <= np.sqrt(6 / 784)
    assert np.abs(model.layers[0].weight.data).max() > np.sqrt(6 / 814)
    assert np.abs(model.layers[2].weight.data).max() <= np.sqrt(6 / 40)
    assert all(np.array_equal(m.bias.data, 0 * m.bias.data) for m in model.layers[::2])


def test_mlp_activations_by_name_class_or_instance():
    model = MLP([2, 3, 3, 1], activation="sigmoid", out_activation="sigmoid", rng=_rng())
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Sigmoid", "Linear", "Sigmoid", "Linear", "Sigmoid"]
    linear = MLP([2, 3, 1], activation=None, rng=_rng())
    assert [type(m).__name__ for m in linear.layers] == ["Linear", "Linear"]
    assert len(MLP([2, 3, 1], activation="linear", rng=_rng()).layers) == 2
    by_class = MLP([2, 3, 3, 1], activation=LeakyReLU, rng=_rng())
    assert by_class.layers[1] is not by_class.layers[3]
    shared = LeakyReLU(0.2)
    by_instance = MLP([2, 3, 3, 1], activation=shared, rng=_rng())
    assert by_instance.layers[1] is shared and by_instance.layers[3] is shared
    soft = MLP([2, 3], out_activation="softmax", rng=_rng())
    np.testing.assert_allclose(soft(np.ones((4, 2))).data.sum(axis=1), 1.0)


def test_mlp_forward_matches_numpy():
    model = MLP([3, 5, 2], activation="tanh", rng=_rng())
    for layer in model.layers[::2]:
        layer.bias.data[:] = _rng(7).normal(size=layer.bias.shape)
    x = _rng(1).normal(size=(4, 3))
    w0, b0 = model.layers[0].weight.data, model.layers[0].bias.data
    w1, b1 = model.layers[2].weight.data, model.layers[2].bias.data
    np.testing.assert_allclose(model(x).data, np.tanh(x @ w0 + b0) @ w1 + b1, rtol=1e-13)


def test_mlp_init_and_dtype_apply_to_every_layer():
    model = MLP([3, 4, 2], init="zeros", dtype=np.float32, rng=_rng())
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert all(not p.data.any() for p in model.parameters())


@pytest.mark.parametrize(
    ("sizes", "error", "match"),
    [
        ([784], ValueError, "at least two widths"),
        ([], ValueError, "at least two widths"),
        ([3, 0, 2], ValueError, r"sizes\[1\] must be positive"),
        ([3, -1], ValueError, r"sizes\[1\] must be positive"),
        ([3, 2.0], TypeError, r"sizes\[1\] must be an int"),
        ([True, 2], TypeError, r"sizes\[0\] must be an int"),
        (784, TypeError, "list of layer widths"),
        ("784", TypeError, "list of layer widths"),
    ],
)
def test_mlp_validates_sizes(sizes, error, match):
    with pytest.raises(error, match=match):
        MLP(sizes)


def test_mlp_validates_activations():
    with pytest.raises(ValueError, match="unknown activation 'gelu'; valid names: relu"):
        MLP([2, 2], activation="gelu")
    with pytest.raises(TypeError, match="an activation is a name"):
        MLP([2, 3, 2], activation=np.tanh)
    with pytest.raises(ValueError, match="out_activation: unknown activation"):
        MLP([2, 2], out_activation="soft-max")


def test_check_sizes_and_default_init():
    assert check_sizes(np.array([3, 2])) == [3, 2]
    assert default_init(ReLU()) == default_init(LeakyReLU()) == "he_uniform"
    assert default_init(Tanh()) == default_init(None) == "glorot_uniform"
