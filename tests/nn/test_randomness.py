"""Seeding: the same seed gives the same weights and the same dropout masks, through
nn.manual_seed or an explicit rng=; different seeds differ."""

import numpy as np
import pytest

import nn
from nn import MLP, Dropout, scalar
from nn.random import default_rng, get_rng


def _weights(model):
    return [np.array(p.data, copy=True) for p in model.parameters()]


def _equal(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_manual_seed_fixes_the_initial_weights():
    nn.manual_seed(3)
    first = _weights(MLP([5, 7, 2]))
    nn.manual_seed(3)
    second = _weights(MLP([5, 7, 2]))
    nn.manual_seed(4)
    third = _weights(MLP([5, 7, 2]))
    assert _equal(first, second)
    assert not _equal(first, third)


def test_an_explicit_rng_gives_the_same_weights_and_leaves_the_default_alone():
    nn.manual_seed(0)
    state = default_rng().bit_generator.state
    a = _weights(MLP([5, 7, 2], rng=np.random.default_rng(42)))
    b = _weights(MLP([5, 7, 2], rng=42))  # an int seed means the same generator
    assert _equal(a, b)
    assert default_rng().bit_generator.state == state
    assert not _equal(a, _weights(MLP([5, 7, 2], rng=43)))


def test_scalar_networks_are_seedable():
    a = _weights(scalar.MLP([3, 4, 1], rng=7))
    nn.manual_seed(7)
    b = _weights(scalar.MLP([3, 4, 1]))
    assert _equal(a, b)
    assert not _equal(a, _weights(scalar.MLP([3, 4, 1], rng=8)))


def test_same_seed_same_dropout_mask():
    x = np.ones((20, 30))
    a = Dropout(0.5, rng=np.random.default_rng(1))(x).data
    b = Dropout(0.5, rng=np.random.default_rng(1))(x).data
    c = Dropout(0.5, rng=np.random.default_rng(2))(x).data
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_dropout_on_the_default_generator_follows_a_later_manual_seed():
    drop = Dropout(0.5)  # built first: the default generator is looked up at each call
    x = np.ones((20, 30))
    nn.manual_seed(5)
    a = drop(x).data
    b = drop(x).data
    nn.manual_seed(5)
    assert np.array_equal(drop(x).data, a)
    assert not np.array_equal(a, b)  # successive masks differ


def test_same_seed_same_training_run():
    X = np.random.default_rng(0).normal(size=(32, 4))
    y = X[:, :2].copy()

    def run(seed):
        nn.manual_seed(seed)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 2))
        for _ in range(5):
            model.zero_grad()
            loss = ((model(X) - y) ** 2).mean()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.1 * p.grad
        return _weights(model)

    assert _equal(run(1), run(1))
    assert not _equal(run(1), run(2))


def test_seeds_are_checked():
    for bad in (-1, 1.5, "0", True):
        with pytest.raises(ValueError, match="seed must be a non-negative int"):
            nn.manual_seed(bad)
    assert isinstance(nn.manual_seed(np.int64(3)), np.random.Generator)
    with pytest.raises(TypeError, match="MLP: rng must be a numpy Generator"):
        MLP([2, 2], rng=np.random.RandomState(0))
    with pytest.raises(TypeError, match="Dropout: rng must be"):
        Dropout(0.5, rng=-3)
    assert get_rng(None) is default_rng()
