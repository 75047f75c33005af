"""Initializers against Keras' formulas: empirical mean and variance of large draws,
truncation bounds, orthogonality, identity, fans, errors, determinism."""

import math

import numpy as np
import pytest

import nn
from nn import init

SHAPE = (400, 300)  # 120,000 draws: the variance is estimated to about 0.5%
FAN_IN, FAN_OUT = SHAPE
CORRECTION = 0.87962566103423978


def _rng(seed=0):
    return np.random.default_rng(seed)


def _check_moments(w, mean, var, rtol=0.03):
    se = math.sqrt(var / w.size)
    assert abs(w.mean() - mean) < 5 * se + 1e-12
    assert w.var() == pytest.approx(var, rel=rtol)


# --- fans ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "expected"),
    [
        ((), (1, 1)),
        ((7,), (7, 7)),
        ((784, 30), (784, 30)),
        ((3, 3, 16, 32), (3 * 3 * 16, 3 * 3 * 32)),
        ((5, 4, 8), (5 * 4, 5 * 8)),
        ((2, 2, 2, 4, 8), (8 * 4, 8 * 8)),
    ],
)
def test_fans_as_keras(shape, expected):
    assert init.fans(shape) == expected


# --- the variance-scaling family ----------------------------------------------------------

NAMED = [
    # name, scale, n, distribution
    ("lecun_uniform", 1.0, FAN_IN, "uniform"),
    ("lecun_normal", 1.0, FAN_IN, "truncated_normal"),
    ("glorot_uniform", 1.0, (FAN_IN + FAN_OUT) / 2, "uniform"),
    ("glorot_normal", 1.0, (FAN_IN + FAN_OUT) / 2, "truncated_normal"),
    ("he_uniform", 2.0, FAN_IN, "uniform"),
    ("he_normal", 2.0, FAN_IN, "truncated_normal"),
]


@pytest.mark.parametrize(("name", "scale", "n", "distribution"), NAMED, ids=[r[0] for r in NAMED])
def test_named_initializers_have_variance_scale_over_fan(name, scale, n, distribution):
    w = init.get(name)(SHAPE, rng=_rng())
    assert w.shape == SHAPE and w.dtype == np.float64
    _check_moments(w, 0.0, scale / n)
    if distribution == "uniform":
        limit = math.sqrt(3 * scale / n)
        assert np.abs(w).max() <= limit
        assert np.abs(w).max() > 0.999 * limit
    else:
        bound = 2 * math.sqrt(scale / n) / CORRECTION
        assert np.abs(w).max() <= bound
        assert np.abs(w).max() > 0.99 * bound


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_modes_and_distributions(mode, distribution):
    n = {"fan_in": FAN_IN, "fan_out": FAN_OUT, "fan_avg": (FAN_IN + FAN_OUT) / 2}[mode]
    w = init.variance_scaling(SHAPE, _rng(1), None, 3.0, mode, distribution)
    _check_moments(w, 0.0, 3.0 / n)
    if distribution == "untruncated_normal":
        # beyond 2 stddev: about 4.55% of a normal's draws, none of a truncated one's
        beyond = np.mean(np.abs(w) > 2 * math.sqrt(3.0 / n))
        assert 0.04 < beyond < 0.051


def test_variance_scaling_defaults_are_keras():
    a = init.variance_scaling((50, 20), rng=_rng(3))
    b = init.variance_scaling(
        (50, 20), rng=_rng(3), scale=1.0, mode="fan_in", distribution="truncated_normal"
    )
    assert np.array_equal(a, b)
    np.testing.assert_array_equal(init.lecun_normal((50, 20), rng=_rng(3)), a)


def test_convolution_shapes_use_the_receptive_field():
    shape = (5, 5, 8, 16)
    w = init.he_normal(shape, rng=_rng())
    assert w.shape == shape
    _check_moments(w, 0.0, 2.0 / (5 * 5 * 8), rtol=0.04)


# --- plain draws --------------------------------------------------------------------------


def test_random_normal_and_uniform_defaults():
    _check_moments(init.random_normal(SHAPE, rng=_rng()), 0.0, 0.05**2)
    u = init.random_uniform(SHAPE, rng=_rng())
    _check_moments(u, 0.0, 0.1**2 / 12)
    assert u.min() >= -0.05 and u.max() < 0.05


def test_random_normal_and_uniform_parameters():
    _check_moments(init.random_normal(SHAPE, rng=_rng(), mean=3.0, stddev=2.0), 3.0, 4.0)
    u = init.random_uniform(SHAPE, rng=_rng(), minval=1.0, maxval=5.0)
    _check_moments(u, 3.0, 16 / 12)
    assert u.min() >= 1.0 and u.max() < 5.0


def test_truncated_normal_is_cut_at_two_stddev_and_redrawn():
    w = init.truncated_normal(SHAPE, rng=_rng(), mean=1.0, stddev=0.5)
    assert w.min() >= 0.0 and w.max() <= 2.0
    assert w.min() < 0.01 and w.max() > 1.99  # redrawn, not clipped: the edges are reached
    assert np.mean(w == 2.0) == 0.0  # clipping would pile draws up at the bound
    _check_moments(w, 1.0, (0.5 * CORRECTION) ** 2)
    default = init.truncated_normal(SHAPE, rng=_rng())
    assert np.abs(default).max() <= 0.1
    _check_moments(default, 0.0, (0.05 * CORRECTION) ** 2)


def test_constants():
    assert np.array_equal(init.zeros((2, 3)), np.zeros((2, 3)))
    assert np.array_equal(init.ones(4), np.ones(4))
    assert np.array_equal(init.constant((2, 2), value=0.35), np.full((2, 2), 0.35))
    assert np.array_equal(init.constant((3,)), np.zeros(3))  # Keras' default value 0.0


# --- structured matrices ------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(50, 30), (30, 50), (40, 40), (3, 3, 4, 8)])
def test_orthogonal_columns_or_rows_are_orthonormal(shape):
    q = init.orthogonal(shape, rng=_rng())
    assert q.shape == shape
    flat = q.reshape(-1, shape[-1])
    if flat.shape[0] >= flat.shape[1]:
        np.testing.assert_allclose(flat.T @ flat, np.eye(flat.shape[1]), atol=1e-12)
    else:
        np.testing.assert_allclose(flat @ flat.T, np.eye(flat.shape[0]), atol=1e-12)


def test_orthogonal_gain_and_sign_correction():
    q = init.orthogonal((20, 20), rng=_rng(), gain=3.0)
    np.testing.assert_allclose(q.T @ q, 9.0 * np.eye(20), atol=1e-11)
    # Without the sign correction, QR (Householder) makes q[0, 0] negative every time.
    rng = _rng(4)
    firsts = np.array([init.orthogonal((4, 4), rng=rng)[0, 0] for _ in range(400)])
    assert 0.4 < np.mean(firsts > 0) < 0.6


def test_identity():
    assert np.array_equal(init.identity((3, 3)), np.eye(3))
    assert np.array_equal(init.identity((2, 3), gain=2.0), 2.0 * np.eye(2, 3))
    assert np.array_equal(init.identity((3, 2)), np.eye(3, 2))
    for shape in [(3,), (2, 2, 2)]:
        with pytest.raises(ValueError, match="only 2-D shapes have an identity"):
            init.identity(shape)


# --- dtype, determinism, lookup, errors ---------------------------------------------------


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_every_initializer_takes_shape_rng_dtype(name):
    fn = init.get(name)
    w = fn((6, 6), rng=_rng(), dtype=np.float32)
    assert w.shape == (6, 6) and w.dtype == np.float32
    again = fn((6, 6), rng=_rng(), dtype=np.float32)
    assert np.array_equal(w, again)  # same seed, same draws
    with pytest.raises(TypeError, match="floating-point"):
        fn((2, 2), dtype=np.int32)


@pytest.mark.parametrize(
    "name",
    sorted(set(init.INITIALIZERS) - {"zeros", "ones", "constant", "identity"}),
)
def test_random_initializers_follow_the_seed(name):
    fn = init.get(name)
    assert not np.array_equal(fn((8, 8), rng=_rng(0)), fn((8, 8), rng=_rng(1)))
    nn.manual_seed(11)
    a = fn((8, 8))
    nn.manual_seed(11)
    assert np.array_equal(a, fn((8, 8)))
    assert not np.array_equal(a, fn((8, 8)))  # the default generator moved on


def test_get_by_name_or_callable_and_its_errors():
    assert init.get("glorot_uniform") is init.glorot_uniform

    def custom(shape, rng=None, dtype=None):
        return np.zeros(shape)

    assert init.get(custom) is custom
    with pytest.raises(ValueError, match="unknown initializer 'xavier'; valid names: zeros, "):
        init.get("xavier")
    with pytest.raises(TypeError, match="a name or a callable"):
        init.get(3)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: init.zeros((2, -1)), ValueError, "negative dimension"),
        (lambda: init.ones((2.0, 3)), TypeError, "tuple of ints"),
        (lambda: init.he_normal("3x3"), TypeError, "tuple of ints"),
        (lambda: init.variance_scaling((2, 2), scale=0.0), ValueError, "scale must be a positive"),
        (lambda: init.variance_scaling((2, 2), mode="fan"), ValueError, "mode must be one of"),
        (
            lambda: init.variance_scaling((2, 2), distribution="normal"),
            ValueError,
            "distribution must be one of truncated_normal, untruncated_normal, uniform",
        ),
        (lambda: init.random_uniform((2,), minval=1.0, maxval=0.0), ValueError, "greater than"),
        (lambda: init.random_normal((2,), stddev=-1.0), ValueError, "stddev must be >= 0"),
        (lambda: init.truncated_normal((2,), mean=np.nan), ValueError, "mean must be finite"),
        (lambda: init.constant((2,), value="a"), TypeError, "value must be a real number"),
        (lambda: init.orthogonal((5,)), ValueError, "at least 2 dimensions"),
        (lambda: init.glorot_uniform((2, 2), rng="x"), TypeError, "rng must be a numpy Generator"),
    ],
)
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_empty_shapes_are_fine():
    assert init.glorot_uniform((0, 5), rng=_rng()).shape == (0, 5)
    assert init.orthogonal((0, 3), rng=_rng()).shape == (0, 3)
