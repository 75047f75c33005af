"""nn.to_torch and nn.from_torch: the same outputs (1e-12 in float64), weights and modes."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from autodiff import Tensor

torch = pytest.importorskip("torch")


def _out(y: Any) -> np.ndarray:
    """The first output of a layer (recurrent layers and attention return pairs)."""
    if isinstance(y, tuple):
        y = y[0]
    return y.detach().numpy() if isinstance(y, torch.Tensor) else y.data


def _check_same(ours: nn.Module, theirs: Any, x: np.ndarray, call: Callable[..., Any]) -> None:
    mine = _out(call(ours, x if x.dtype.kind == "i" else Tensor(x)))
    ref = _out(call(theirs, torch.from_numpy(x)))
    np.testing.assert_allclose(mine, ref, rtol=1e-12, atol=1e-12)
    for (name, a), (_, b) in zip(ours.named_buffers(), theirs.named_buffers(), strict=True):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12, err_msg=name)


def _plain(m: Any, x: Any) -> Any:
    return m(x)


def _attend(m: Any, x: Any) -> Any:
    return m(x, x, x)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


LAYERS: list[tuple[str, Callable[[], nn.Module], tuple[int, ...] | None, Callable[..., Any]]] = [
    ("linear", lambda: nn.Linear(4, 3, rng=_rng()), (5, 4), _plain),
    ("linear_no_bias", lambda: nn.Linear(4, 3, bias=False, rng=_rng()), (5, 4), _plain),
    (
        "mlp",
        lambda: nn.MLP([4, 6, 3], activation="tanh", out_activation="softmax", rng=_rng()),
        (5, 4),
        _plain,
    ),
    (
        "sequential",
        lambda: nn.Sequential(
            nn.Linear(4, 6, rng=_rng()),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(6, 6, rng=_rng(1)),
            nn.ReLU(),
            nn.Linear(6, 2, rng=_rng(2)),
            nn.Sigmoid(),
        ).eval(),
        (5, 4),
        _plain,
    ),
    ("rnn_cell", lambda: nn.RNNCell(4, 3, nonlinearity="relu", rng=_rng()), (5, 4), _plain),
    ("gru_cell", lambda: nn.GRUCell(4, 3, rng=_rng()), (5, 4), _plain),
    ("rnn", lambda: nn.RNN(4, 3, num_layers=2, batch_first=True, rng=_rng()), (2, 5, 4), _plain),
    ("gru", lambda: nn.GRU(4, 3, num_layers=2, bias=False, rng=_rng()), (5, 2, 4), _plain),
    ("embedding", lambda: nn.Embedding(7, 3, padding_idx=2, rng=_rng()), None, _plain),
    ("layer_norm", lambda: _randomised(nn.LayerNorm([3, 4], eps=1e-3)), (2, 3, 4), _plain),
    ("batch_norm1d", lambda: _randomised(nn.BatchNorm1d(3, momentum=0.3)), (4, 3, 5), _plain),
    ("batch_norm2d_eval", lambda: _randomised(nn.BatchNorm2d(3)).eval(), (2, 3, 4, 4), _plain),
    (
        "conv1d",
        lambda: nn.Conv1d(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, rng=_rng()),
        (2, 2, 9),
        _plain,
    ),
    (
        "cnn",
        lambda: nn.Sequential(
            nn.Conv2d(2, 4, (3, 3), padding="same", rng=_rng()),
            nn.GELU(approximate="tanh"),
            nn.MaxPool2d(2, stride=1, padding=1, dilation=2),
            nn.Conv2d(4, 3, 2, stride=2, bias=False, rng=_rng(1)),
            nn.SiLU(),
            nn.AvgPool2d(2, padding=1, count_include_pad=False),
            nn.Softplus(beta=2.0, threshold=5.0),
            nn.Flatten(),
            nn.GELU(),
        ),
        (2, 2, 9, 8),
        _plain,
    ),
    (
        "attention",
        lambda: nn.MultiheadAttention(4, 2, batch_first=True, rng=_rng()),
        (2, 5, 4),
        _attend,
    ),
]


def _randomised(m: nn.Module) -> nn.Module:
    """``m`` with random weights and running statistics (not the 1s and 0s they start at)."""
    rng = _rng(5)
    for p in m.parameters():
        p.data[...] = rng.normal(size=p.shape)
    for _, buffer in m.named_buffers():
        if buffer.dtype.kind == "f":
            buffer[...] = rng.uniform(0.5, 2.0, size=buffer.shape)
        else:
            buffer[...] = 3
    return m


@pytest.mark.parametrize("name, make, shape, call", LAYERS, ids=[c[0] for c in LAYERS])
def test_round_trip_keeps_outputs_and_weights(
    name: str,
    make: Callable[[], nn.Module],
    shape: tuple[int, ...] | None,
    call: Callable[..., Any],
) -> None:
    ours = make()
    theirs = nn.to_torch(ours)
    assert isinstance(theirs, torch.nn.Module)
    assert theirs.training == ours.training
    x = _rng(7).integers(0, 7, size=(3, 4)) if shape is None else _rng(7).normal(size=shape)
    _check_same(ours, theirs, x, call)
    back = nn.from_torch(theirs)
    assert type(back).__name__ == (
        "Sequential" if isinstance(ours, nn.Sequential) else type(ours).__name__
    )
    # the same weights and buffers under the same names (train-mode batch norm has moved
    # ours and torch's running statistics alike, to rounding)
    mine, again = ours.state_dict(), back.state_dict()
    assert list(mine) == list(again)
    for key in mine:
        np.testing.assert_allclose(again[key], mine[key], rtol=1e-14, atol=1e-15, err_msg=key)
    _check_same(back, theirs, x, call)


def test_copies_share_no_memory() -> None:
    ours = nn.Linear(2, 2, rng=_rng())
    theirs = nn.to_torch(ours)
    with torch.no_grad():
        theirs.weight.zero_()
    assert np.abs(ours.weight.data).sum() > 0
    back = nn.from_torch(theirs)
    back.weight.data[...] = 1.0
    assert float(theirs.weight.detach().abs().sum()) == 0.0


@settings(max_examples=10)
@given(
    st.lists(st.integers(1, 5), min_size=2, max_size=4),
    st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"]),
    st.integers(0, 1000),
)
def test_torch_mlps_come_back_equal(sizes: list[int], act: str, seed: int) -> None:
    torch.manual_seed(seed)
    acts = {
        "relu": torch.nn.ReLU,
        "tanh": torch.nn.Tanh,
        "sigmoid": torch.nn.Sigmoid,
        "leaky_relu": torch.nn.LeakyReLU,
    }
    mods: list[Any] = []
    for a, b in itertools.pairwise(sizes):
        mods += [torch.nn.Linear(a, b, dtype=torch.float64), acts[act]()]
    theirs = torch.nn.Sequential(*mods)
    ours = nn.from_torch(theirs)
    x = _rng(seed).normal(size=(3, sizes[0]))
    _check_same(ours, theirs, x, _plain)


def test_float32_stays_float32() -> None:
    ours = nn.GRU(3, 4, dtype=np.float32, rng=_rng())
    theirs = nn.to_torch(ours)
    assert theirs.weight_ih_l0.dtype == torch.float32
    assert nn.from_torch(theirs).weight_ih_l0.dtype == np.float32


def test_containers_convert_child_by_child() -> None:
    ours = nn.ModuleDict({"enc": nn.Linear(2, 3, rng=_rng()), "acts": nn.ModuleList([nn.Tanh()])})
    theirs = nn.to_torch(ours)
    assert isinstance(theirs, torch.nn.ModuleDict)
    assert isinstance(theirs["acts"], torch.nn.ModuleList)
    back = nn.from_torch(theirs)
    assert isinstance(back, nn.ModuleDict) and isinstance(back["acts"], nn.ModuleList)
    np.testing.assert_array_equal(back["enc"].weight.data, ours["enc"].weight.data)


def test_modes_carry_over() -> None:
    ours = nn.Sequential(nn.Dropout(0.5)).eval()
    assert not nn.to_torch(ours).training
    theirs = torch.nn.Sequential(torch.nn.Dropout(0.5))
    assert nn.from_torch(theirs).training and not nn.from_torch(theirs.eval()).training


def test_unknown_modules_are_named() -> None:
    class Custom(nn.Module):
        def forward(self, x: Any) -> Any:
            return x

    with pytest.raises(TypeError, match=r"no torch equivalent for Custom; convertible: .*Linear"):
        nn.to_torch(Custom())
    with pytest.raises(TypeError, match=r"no equivalent for torch.nn.Bilinear"):
        nn.from_torch(torch.nn.Bilinear(2, 2, 2))
    with pytest.raises(TypeError, match="expected an nn Module"):
        nn.to_torch(torch.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="bidirectional"):
        nn.from_torch(torch.nn.GRU(2, 2, bidirectional=True))


def test_missing_torch_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    with pytest.raises(ImportError, match=r"autodiff\[oracle\]"):
        nn.to_torch(nn.Linear(2, 2))
