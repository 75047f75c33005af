"""The conv, pooling, norm, embedding, flatten and activation layers against torch.nn:
same constructor arguments, parameter names and shapes; with the same weights, equal
outputs and gradients (float64), through train and eval modes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autodiff import Tensor

torch = pytest.importorskip("torch")
tnn = torch.nn


def _copy_into_torch(ours: nn.Module, theirs) -> None:
    """Our parameters and buffers into the torch module of the same names."""
    state = ours.state_dict()
    theirs_state = theirs.state_dict()
    assert set(state) == set(theirs_state), "parameter and buffer names differ"
    for name, value in state.items():
        assert value.shape == tuple(theirs_state[name].shape), name
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})


def _check(ours: nn.Module, theirs, x: np.ndarray, steps: int = 2) -> None:
    theirs.double()
    _copy_into_torch(ours, theirs)
    for step in range(steps):
        xt = torch.tensor(x, requires_grad=True)
        mine_x = Tensor(x, requires_grad=True)
        out, ref = ours(mine_x), theirs(xt)
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = np.random.default_rng(step).standard_normal(out.shape)
        ours.zero_grad()
        theirs.zero_grad()
        out.backward(g)
        ref.backward(torch.tensor(g))
        np.testing.assert_allclose(mine_x.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
        named = dict(theirs.named_parameters())
        for name, p in ours.named_parameters():
            np.testing.assert_allclose(p.grad, named[name].grad.numpy(), rtol=1e-10, atol=1e-12)
        buffers = dict(theirs.named_buffers())
        for name, b in ours.named_buffers():
            np.testing.assert_allclose(b, buffers[name].numpy(), rtol=1e-10, atol=1e-12)


@settings(max_examples=10)
@given(
    groups=st.integers(1, 2),
    k=st.integers(1, 3),
    stride=st.integers(1, 2),
    padding=st.integers(0, 2),
    bias=st.booleans(),
    seed=st.integers(0, 99),
)
def test_conv_layers(groups, k, stride, padding, bias, seed):
    rng = np.random.default_rng(seed)
    cin, cout = 2 * groups, 3 * groups
    for ours_cls, theirs_cls, shape in (
        (nn.Conv2d, tnn.Conv2d, (2, cin, 5, 6)),
        (nn.Conv1d, tnn.Conv1d, (2, cin, 7)),
    ):
        args = (cin, cout, k)
        kw = dict(stride=stride, padding=padding, groups=groups, bias=bias)
        ours = ours_cls(*args, **kw, rng=seed)
        _check(ours, theirs_cls(*args, **kw), rng.standard_normal(shape))


def test_conv_init_follows_torch_bounds():
    conv = nn.Conv2d(4, 8, (3, 2), groups=2, rng=0)
    bound = 1 / np.sqrt(2 * 3 * 2)  # fan_in = in/groups · kh · kw
    assert conv.weight.shape == (8, 2, 3, 2) and conv.bias.shape == (8,)
    for p in (conv.weight.data, conv.bias.data):
        assert np.abs(p).max() <= bound and np.abs(p).max() > bound * 0.5
    torch_conv = tnn.Conv2d(4, 8, (3, 2), groups=2)
    assert np.abs(torch_conv.weight.detach().numpy()).max() <= bound


def test_pooling_layers():
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 6))
    _check(nn.MaxPool2d(3, stride=2, padding=1), tnn.MaxPool2d(3, stride=2, padding=1), x)
    _check(nn.MaxPool2d(2), tnn.MaxPool2d(2), x)
    _check(
        nn.AvgPool2d(3, 2, 1, count_include_pad=False),
        tnn.AvgPool2d(3, 2, 1, count_include_pad=False),
        x,
    )


def test_flatten_and_activations():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 2)) * 3
    _check(nn.Flatten(), tnn.Flatten(), x)
    _check(nn.Flatten(0, 2), tnn.Flatten(0, 2), x)
    _check(nn.GELU(), tnn.GELU(), x)
    _check(nn.GELU("tanh"), tnn.GELU("tanh"), x)
    _check(nn.SiLU(), tnn.SiLU(), x)
    _check(nn.Softplus(2.0, 1.0), tnn.Softplus(2.0, 1.0), x)


@pytest.mark.parametrize("affine", [True, False])
def test_layer_norm(affine):
    x = np.random.default_rng(0).standard_normal((2, 3, 4)) * 2 + 1
    ours = nn.LayerNorm((3, 4), elementwise_affine=affine)
    if affine:
        ours.weight.data[:] = np.random.default_rng(1).standard_normal((3, 4))
    _check(ours, tnn.LayerNorm((3, 4), elementwise_affine=affine), x)
    ours = nn.LayerNorm(4, eps=1e-3, bias=False)
    _check(ours, tnn.LayerNorm(4, eps=1e-3, bias=False), x)


@pytest.mark.parametrize(
    ("momentum", "affine", "track"),
    [(0.1, True, True), (None, True, True), (0.3, False, True), (0.1, True, False)],
)
def test_batch_norm_train_then_eval(momentum, affine, track):
    rng = np.random.default_rng(0)
    for ours_cls, theirs_cls, shape in (
        (nn.BatchNorm2d, tnn.BatchNorm2d, (4, 3, 2, 3)),
        (nn.BatchNorm1d, tnn.BatchNorm1d, (5, 3)),
        (nn.BatchNorm1d, tnn.BatchNorm1d, (4, 3, 6)),
    ):
        kw = dict(momentum=momentum, affine=affine, track_running_stats=track)
        ours, theirs = ours_cls(3, **kw), theirs_cls(3, **kw)
        x = rng.standard_normal(shape) * 2 + 1
        _check(ours, theirs, x, steps=3)  # running estimates follow torch's, step by step
        ours.eval()
        theirs.eval()
        _check(ours, theirs, x * 0.5 - 1)
        ours.train()
        theirs.train()
        _check(ours, theirs, x)
        if track:
            assert int(ours.num_batches_tracked) == 5


def test_embedding():
    ours, theirs = nn.Embedding(10, 4, padding_idx=3, rng=0), tnn.Embedding(10, 4, padding_idx=3)
    assert np.all(ours.weight.data[3] == 0)
    theirs.double()
    _copy_into_torch(ours, theirs)
    idx = np.array([[1, 3, 1], [9, 0, 1]])
    out, ref = ours(idx), theirs(torch.tensor(idx))
    np.testing.assert_allclose(out.data, ref.detach().numpy())
    g = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(g)
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad, theirs.weight.grad.numpy(), rtol=1e-12)


def test_small_cnn_in_float32_matches_torch():
    rng = np.random.default_rng(0)
    ours = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, dtype=np.float32, rng=0),
        nn.BatchNorm2d(8, dtype=np.float32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 4, 3, dtype=np.float32, rng=1),
        nn.GELU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
    )
    theirs = tnn.Sequential(
        tnn.Conv2d(1, 8, 3, padding=1),
        tnn.BatchNorm2d(8),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(8, 4, 3),
        tnn.GELU(),
        tnn.AvgPool2d(2),
        tnn.Flatten(),
    )
    state = {k.replace("layers.", ""): torch.tensor(v) for k, v in ours.state_dict().items()}
    theirs.load_state_dict(state)
    x = rng.standard_normal((5, 1, 8, 8)).astype(np.float32)
    out = ours(x)
    assert out.dtype == np.float32 and out.shape == (5, 4)
    ref = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-4, atol=1e-5)
    out.sum().backward()
    ref.sum().backward()
    conv = ours[0]
    assert conv.weight.grad.dtype == np.float32
    np.testing.assert_allclose(
        conv.weight.grad, theirs[0].weight.grad.numpy(), rtol=1e-3, atol=1e-4
    )
