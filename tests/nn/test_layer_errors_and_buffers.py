"""The new layers' bad-input errors (naming the layer and the shapes), buffers through
state_dict/save/load, train/eval switching, and dtypes kept."""

import re

import numpy as np
import pytest

import nn
import nn.functional as F
from autodiff import Tensor


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: nn.Conv2d(3, 8, 3, rng=0)(np.ones((4, 5, 8, 8))),
            ValueError,
            "Conv2d(3, 8, 3): expected input (N, 3, H, W), got (4, 5, 8, 8)",
        ),
        (
            lambda: nn.Conv2d(3, 8, 5, padding=1, rng=0)(np.ones((1, 3, 2, 2))),
            ValueError,
            "Conv2d(3, 8, 5, padding=1): kernel (5, 5) (dilation (1, 1)) is bigger than the "
            "padded input (4, 4)",
        ),
        (
            lambda: nn.Conv1d(2, 4, 3, rng=0)(np.ones((2, 3, 5))),
            ValueError,
            "Conv1d(2, 4, 3): expected input (N, 2, L), got (2, 3, 5)",
        ),
        (lambda: nn.Conv2d(3, 8, 3, groups=2), ValueError, "divisible by groups=2"),
        (lambda: nn.Conv2d(3, 8, 0), ValueError, "kernel_size must be a positive int"),
        (
            lambda: nn.Conv2d(3, 8, 3, stride=2, padding="same"),
            ValueError,
            "padding='same' needs stride 1",
        ),
        (
            lambda: nn.Embedding(5, 2, rng=0)(np.array([[0, 1], [4, 7]])),
            IndexError,
            "Embedding(5, 2): index 7 at position (1, 1) is out of range for 5 embeddings",
        ),
        (lambda: nn.Embedding(5, 2)(np.array([0.5])), TypeError, "indices must be integers"),
        (
            lambda: nn.MaxPool2d(3)(np.ones((1, 1, 2, 2))),
            ValueError,
            "MaxPool2d(3): kernel (3, 3) (dilation (1, 1)) is bigger than the padded input (2, 2)",
        ),
        (lambda: nn.MaxPool2d(2, padding=2)(np.ones((1, 1, 4, 4))), ValueError, "at most half"),
        (
            lambda: nn.AvgPool2d(2)(np.ones((3, 4))),
            ValueError,
            "AvgPool2d(2): expected input (N, C, H, W) (or without N), got (3, 4)",
        ),
        (
            lambda: nn.BatchNorm2d(3)(np.ones((2, 4, 5, 5))),
            ValueError,
            "BatchNorm2d(3): expected input (N, 3, H, W), got (2, 4, 5, 5)",
        ),
        (
            lambda: nn.BatchNorm1d(3)(np.ones((1, 3))),
            ValueError,
            "expected more than 1 value per channel when training",
        ),
        (
            lambda: nn.LayerNorm(4)(np.ones((2, 5))),
            ValueError,
            "LayerNorm(4): expected input (*, 4), got (2, 5)",
        ),
        (lambda: nn.GELU("fast"), ValueError, "approximate must be 'none' or 'tanh'"),
        (
            lambda: F.scaled_dot_product_attention(
                np.ones((2, 3)), np.ones((4, 2)), np.ones((4, 1))
            ),
            ValueError,
            "do not fit",
        ),
        (
            lambda: F.scaled_dot_product_attention(
                np.ones((2, 3)),
                np.ones((2, 3)),
                np.ones((2, 3)),
                np.ones((2, 2), bool),
                is_causal=True,
            ),
            ValueError,
            "not both",
        ),
        (lambda: F.conv2d(np.ones((1, 2, 4, 4)), np.ones((3, 2, 2))), ValueError, "weight must be"),
    ],
)
def test_errors_name_the_layer_and_shapes(call, error, message):
    with pytest.raises(error, match=re.escape(message)):
        call()


def test_unbatched_inputs():
    conv = nn.Conv2d(2, 3, 3, padding=1, rng=0)
    x = np.random.default_rng(0).standard_normal((2, 5, 5))
    np.testing.assert_allclose(conv(x).data, conv(x[None]).data[0])
    np.testing.assert_allclose(nn.MaxPool2d(2)(x).data, nn.MaxPool2d(2)(x[None]).data[0])


def test_buffers_go_through_state_dict_save_and_load(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3, rng=0), nn.BatchNorm2d(2), nn.Flatten())
    model(np.random.default_rng(0).standard_normal((4, 1, 5, 5)))
    state = model.state_dict()
    assert set(state) == {
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "layers.1.running_mean",
        "layers.1.running_var",
        "layers.1.num_batches_tracked",
    }
    assert state["layers.1.num_batches_tracked"].dtype == np.int64
    assert int(state["layers.1.num_batches_tracked"]) == 1
    path = tmp_path / "model.npz"
    model.save(path)
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3, rng=1), nn.BatchNorm2d(2), nn.Flatten())
    fresh.load(path)
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, state[name], err_msg=name)
    # a wrong buffer shape is refused before anything changes
    bad = dict(state)
    bad["layers.1.running_var"] = np.ones(3)
    before = fresh.state_dict()
    with pytest.raises(ValueError, match="running_var"):
        fresh.load_state_dict(bad)
    for name, value in fresh.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    missing = {k: v for k, v in state.items() if k != "layers.1.running_mean"}
    with pytest.raises(KeyError, match="running_mean"):
        fresh.load_state_dict(missing)


def test_eval_uses_running_estimates_and_leaves_them_alone():
    bn = nn.BatchNorm1d(2)
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    bn(x)
    mean, var = bn.running_mean.copy(), bn.running_var.copy()
    out = bn.eval()(x).data
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-5))
    np.testing.assert_array_equal(bn.running_mean, mean)
    assert int(bn.num_batches_tracked) == 1


def test_float32_is_kept_through_layers_and_gradients():
    rng = np.random.default_rng(0)
    emb = nn.Embedding(5, 8, dtype=np.float32, rng=0)
    ln = nn.LayerNorm(8, dtype=np.float32)
    h = ln(emb(np.array([[0, 1, 2]])))
    q = Tensor(rng.standard_normal((1, 3, 8)), requires_grad=True, dtype=np.float32)
    y = F.scaled_dot_product_attention(q, h, h, is_causal=True)
    y = F.gelu(F.silu(F.softplus(y)))
    assert y.dtype == np.float32
    y.sum().backward()
    for p in (emb.weight, ln.weight, ln.bias, q):
        assert p.grad.dtype == np.float32
