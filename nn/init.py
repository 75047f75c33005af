"""Weight initializers with Keras' definitions and defaults.

Each is ``NAME(shape, rng=None, dtype=None, **params) -> np.ndarray``: ``rng`` a numpy
Generator (None: nn's default generator, see :mod:`nn.random`), ``dtype`` float64
unless given. Weight matrices use Keras' kernel layout ``(fan_in, fan_out)``; for
more than two dimensions (convolution kernels ``(*receptive_field, in, out)``) each
fan is multiplied by the receptive field's size, as Keras computes it (:func:`fans`).

The variance-scaling family draws with standard deviation or limit from the fans:

=============== ===== ======== =========================================
name            scale mode     distribution
=============== ===== ======== =========================================
lecun_uniform   1     fan_in   uniform, limit √(3/fan_in)
lecun_normal    1     fan_in   truncated normal, stddev √(1/fan_in)
glorot_uniform  1     fan_avg  uniform, limit √(6/(fan_in + fan_out))
glorot_normal   1     fan_avg  truncated normal, stddev √(2/(fan_in + fan_out))
he_uniform      2     fan_in   uniform, limit √(6/fan_in)
he_normal       2     fan_in   truncated normal, stddev √(2/fan_in)
=============== ===== ======== =========================================

>>> import numpy as np
>>> w = glorot_uniform((784, 30), rng=np.random.default_rng(0))
>>> w.shape, bool(np.abs(w).max() <= np.sqrt(6 / (784 + 30)))
((784, 30), True)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .random import get_rng

Initializer = Callable[..., np.ndarray]

# Keras' truncated_normal variance scaling divides by the stddev of a standard normal
# truncated to [-2, 2], so the draws end up with the variance asked for.
TRUNCATION_CORRECTION = 0.87962566103423978


# --- argument checking ------------------------------------------------------------------


def _shape(shape: Any, fn: str) -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative ints (an int is a 1-D shape)."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise TypeError(f"{fn}: shape must be a tuple of ints, got {shape!r}")
    dims = tuple(shape)
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(f"{fn}: shape must be a tuple of ints, got {shape!r}")
        if d < 0:
            raise ValueError(f"{fn}: shape {dims} has a negative dimension")
    return tuple(int(d) for d in dims)


def float_dtype(dtype: Any, fn: str) -> np.dtype:
    """``dtype`` as a floating-point numpy dtype (None: float64), or an error naming ``fn``.

    >>> float_dtype("float32", "Linear")
    dtype('float32')
    """
    if dtype is None:
        return np.dtype(np.float64)
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{fn}: {dtype!r} is not a dtype") from err
    if dt.kind != "f":
        raise TypeError(f"{fn}: dtype must be a floating-point type, got {dt}")
    return dt


def _real(x: Any, name: str, fn: str, positive: bool = False) -> float:
    """``x`` as a finite float (``positive``: also > 0), or an error naming it."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {x!r}")
    value = float(x)
    if not math.isfinite(value) or (positive and value <= 0):
        need = "a positive finite number" if positive else "finite"
        raise ValueError(f"{fn}: {name} must be {need}, got {x!r}")
    return value


def _nonnegative(x: Any, name: str, fn: str) -> float:
    value = _real(x, name, fn)
    if value < 0:
        raise ValueError(f"{fn}: {name} must be >= 0, got {x!r}")
    return value


# --- fans and the truncated normal ------------------------------------------------------


def fans(shape: Any) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes them.

    Scalar: (1, 1); 1-D: (n, n); 2-D: (shape[0], shape[1]); more dimensions (a
    convolution kernel): the last two axes are (in, out), each multiplied by the
    product of the others (the receptive field).

    >>> fans((784, 30))
    (784, 30)
    >>> fans((3, 3, 16, 32))
    (144, 288)
    """
    dims = _shape(shape, "fans")
    if len(dims) == 0:
        return 1, 1
    if len(dims) == 1:
        return dims[0], dims[0]
    if len(dims) == 2:
        return dims[0], dims[1]
    receptive = math.prod(dims[:-2])
    return dims[-2] * receptive, dims[-1] * receptive


def _truncated_standard_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standard normal draws, each one beyond ±2 drawn again until it falls inside."""
    z = rng.standard_normal(shape)
    outside = np.abs(z) > 2.0
    while outside.any():  # about 4.6% per round: a handful of rounds at most
        z[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(z) > 2.0
    return z


# --- constants --------------------------------------------------------------------------


def zeros(shape: Any, rng: Any = None, dtype: Any = None) -> np.ndarray:
    """All zeros (``rng`` is accepted for a uniform signature and unused).

    >>> zeros((2, 2))
    array([[0., 0.],
           [0., 0.]])
    """
    return np.zeros(_shape(shape, "zeros"), dtype=float_dtype(dtype, "zeros"))


def ones(shape: Any, rng: Any = None, dtype: Any = None) -> np.ndarray:
    """All ones.

    >>> ones(3)
    array([1., 1., 1.])
    """
    return np.ones(_shape(shape, "ones"), dtype=float_dtype(dtype, "ones"))


def constant(shape: Any, rng: Any = None, dtype: Any = None, value: float = 0.0) -> np.ndarray:
    """Every element ``value`` (Keras' ``Constant``, default 0.0).

    >>> constant((2,), value=0.35)
    array([0.35, 0.35])
    """
    v = _real(value, "value", "constant")
    return np.full(_shape(shape, "constant"), v, dtype=float_dtype(dtype, "constant"))


# --- plain random draws -----------------------------------------------------------------


def random_normal(
    shape: Any, rng: Any = None, dtype: Any = None, mean: float = 0.0, stddev: float = 0.05
) -> np.ndarray:
    """Normal draws N(mean, stddev²) (Keras' ``RandomNormal``: mean 0, stddev 0.05).

    >>> random_normal((2, 3), rng=np.random.default_rng(0)).shape
    (2, 3)
    """
    fn = "random_normal"
    mean, stddev = _real(mean, "mean", fn), _nonnegative(stddev, "stddev", fn)
    dims, dt = _shape(shape, fn), float_dtype(dtype, fn)
    return get_rng(rng, fn).normal(mean, stddev, dims).astype(dt, copy=False)


def random_uniform(
    shape: Any, rng: Any = None, dtype: Any = None, minval: float = -0.05, maxval: float = 0.05
) -> np.ndarray:
    """Uniform draws in [minval, maxval) (Keras' ``RandomUniform``: ±0.05).

    >>> w = random_uniform((100,), rng=np.random.default_rng(0), minval=0.0, maxval=1.0)
    >>> bool((w >= 0).all() and (w < 1).all())
    True
    """
    fn = "random_uniform"
    low, high = _real(minval, "minval", fn), _real(maxval, "maxval", fn)
    if low > high:
        raise ValueError(f"random_uniform: minval {low} is greater than maxval {high}")
    dims, dt = _shape(shape, fn), float_dtype(dtype, fn)
    return get_rng(rng, fn).uniform(low, high, dims).astype(dt, copy=False)


def truncated_normal(
    shape: Any, rng: Any = None, dtype: Any = None, mean: float = 0.0, stddev: float = 0.05
) -> np.ndarray:
    """Normal draws N(mean, stddev²), redrawn while more than 2 stddev from the mean
    (Keras' ``TruncatedNormal``: mean 0, stddev 0.05).

    >>> w = truncated_normal((1000,), rng=np.random.default_rng(0), stddev=1.0)
    >>> bool(np.abs(w).max() <= 2.0)
    True
    """
    fn = "truncated_normal"
    mean, stddev = _real(mean, "mean", fn), _nonnegative(stddev, "stddev", fn)
    dims, dt = _shape(shape, fn), float_dtype(dtype, fn)
    z = _truncated_standard_normal(get_rng(rng, fn), dims)
    return (mean + stddev * z).astype(dt, copy=False)


# --- variance scaling and its named cases -----------------------------------------------

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


def variance_scaling(
    shape: Any,
    rng: Any = None,
    dtype: Any = None,
    scale: float = 1.0,
    mode: str = "fan_in",
    distribution: str = "truncated_normal",
) -> np.ndarray:
    """Draws whose variance is ``scale / n``, n the fan that ``mode`` names (Keras'
    ``VarianceScaling``).

    ``mode``: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"`` ((fan_in + fan_out) / 2).
    ``distribution``: ``"truncated_normal"`` (stddev √(scale/n) / 0.8796…, cut at 2
    stddev, so the draws' variance is scale/n), ``"untruncated_normal"`` (stddev
    √(scale/n)) or ``"uniform"`` (in ±√(3·scale/n)).

    >>> w = variance_scaling((400, 100), rng=np.random.default_rng(0), scale=2.0,
    ...                      distribution="uniform")
    >>> bool(np.abs(w).max() <= np.sqrt(3 * 2.0 / 400))
    True
    """
    fn = "variance_scaling"
    s = _real(scale, "scale", fn, positive=True)
    if mode not in _MODES:
        raise ValueError(f"{fn}: mode must be one of {', '.join(_MODES)}; got {mode!r}")
    if distribution not in _DISTRIBUTIONS:
        raise ValueError(
            f"{fn}: distribution must be one of {', '.join(_DISTRIBUTIONS)}; got {distribution!r}"
        )
    dims, dt = _shape(shape, fn), float_dtype(dtype, fn)
    fan_in, fan_out = fans(dims)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    s /= max(1.0, n)  # as Keras: a zero-size fan does not divide by zero
    g = get_rng(rng, fn)
    if distribution == "truncated_normal":
        w = math.sqrt(s) / TRUNCATION_CORRECTION * _truncated_standard_normal(g, dims)
    elif distribution == "untruncated_normal":
        w = g.normal(0.0, math.sqrt(s), dims)
    else:
        limit = math.sqrt(3.0 * s)
        w = g.uniform(-limit, limit, dims)
    return w.astype(dt, copy=False)


def lecun_uniform(shape: Any, rng: Any = None, dtype: Any = None) -> np.ndarray:
    """Uniform in ±√(3/fan_in) (variance scaling, scale 1, fan_in, uniform).

    >>> lecun_uniform((3, 2), rng=np.random.default_rng(0)).shape
    (3, 2)
    """
    return variance_scaling(shape, rng, dtype, 1.0, "fan_in", "uniform")


def lecun_normal(shape: Any, rng: Any = None, dtype: Any = None) -> np.ndarray:
    """Truncated normal with variance 1/fan_in (variance scaling, scale 1, fan_in).

    >>> lecun_normal((3, 2), rng=np.random.default_rng(0)).dtype
    dtype('float64')
    """
    return variance_scaling(shape, rng, dtype, 1.0, "fan_in", "truncated_normal")


def glorot_uniform(shape: Any, rng: Any = None, dtype: Any = None) -> np.ndarray:
    """Uniform in ±√(6/(fan_in + fan_out)) (Xavier; Keras' default for Dense).

    >>> glorot_uniform((3, 2), rng=np.random.default_rng(0), dtype=np.float32).dtype
    dtype('float32')
    """
    return variance_scaling(shape, rng, dtype, 1.0, "fan_avg", "uniform")


def glorot_normal(shape: Any, rng: Any = None, dtype: Any = None) -> np.ndarray:
    """Truncated normal with variance 2/(fan_in + fan_out) (Xavier normal).

    >>> glorot_normal((3, 2), rng=np.random.default_rng(0)).shape
    (3, 2)
    """
    return variance_scaling(shape, rng, dtype, 1.0, "fan_avg", "truncated_normal")


def he_uniform(shape: Any, rng: Any = None, dtype: Any = None) -> np.ndarray:
    """Uniform in ±√(6/fan_in) (He / MSRA, for ReLU layers).

    >>> he_uniform((3, 2), rng=np.random.default_rng(0)).shape
    (3, 2)
    """
    return variance_scaling(shape, rng, dtype, 2.0, "fan_in", "uniform")


def he_normal(shape: Any, rng: Any = None, dtype: Any = None) -> np.ndarray:
    """Truncated normal with variance 2/fan_in (He / MSRA normal).

    >>> he_normal((3, 2), rng=np.random.default_rng(0)).shape
    (3, 2)
    """
    return variance_scaling(shape, rng, dtype, 2.0, "fan_in", "truncated_normal")


# --- structured matrices ----------------------------------------------------------------


def orthogonal(shape: Any, rng: Any = None, dtype: Any = None, gain: float = 1.0) -> np.ndarray:
    """A (semi-)orthogonal matrix times ``gain`` (Keras' ``Orthogonal``).

    The shape is flattened to (prod(shape[:-1]), shape[-1]); the QR factor of a
    normal matrix, with column signs fixed by R's diagonal so that it is uniformly
    distributed, gives orthonormal columns (or rows, when there are fewer rows).

    >>> q = orthogonal((4, 3), rng=np.random.default_rng(0))
    >>> bool(np.allclose(q.T @ q, np.eye(3)))
    True
    """
    fn = "orthogonal"
    g = _real(gain, "gain", fn)
    dims, dt = _shape(shape, fn), float_dtype(dtype, fn)
    if len(dims) < 2:
        raise ValueError(f"{fn}: needs a shape of at least 2 dimensions, got {dims}")
    rows, cols = math.prod(dims[:-1]), dims[-1]
    if rows == 0 or cols == 0:
        return np.zeros(dims, dtype=dt)
    a = get_rng(rng, fn).standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # without it the distribution is not uniform (Mezzadri 2007)
    if rows < cols:
        q = q.T
    return (g * q).reshape(dims).astype(dt, copy=False)


def identity(shape: Any, rng: Any = None, dtype: Any = None, gain: float = 1.0) -> np.ndarray:
    """``gain`` times the identity matrix; 2-D only (non-square: ones on the diagonal,
    as Keras' ``Identity``).

    >>> identity((2, 3))
    array([[1., 0., 0.],
           [0., 1., 0.]])
    """
    fn = "identity"
    g = _real(gain, "gain", fn)
    dims, dt = _shape(shape, fn), float_dtype(dtype, fn)
    if len(dims) != 2:
        raise ValueError(f"{fn}: only 2-D shapes have an identity, got {dims}")
    return (g * np.eye(*dims)).astype(dt, copy=False)


# --- lookup -----------------------------------------------------------------------------

INITIALIZERS: dict[str, Initializer] = {
    f.__name__: f
    for f in (
        zeros,
        ones,
        constant,
        random_normal,
        random_uniform,
        truncated_normal,
        variance_scaling,
        orthogonal,
        identity,
        lecun_uniform,
        lecun_normal,
        glorot_uniform,
        glorot_normal,
        he_uniform,
        he_normal,
    )
}


def get(init: str | Initializer) -> Initializer:
    """The initializer named ``init``; a callable is returned as it is.

    A callable is called as ``init(shape, rng=..., dtype=...)``; to pass parameters,
    wrap it: ``functools.partial(nn.init.truncated_normal, stddev=0.1)``.

    >>> get("he_normal") is he_normal
    True
    """
    if isinstance(init, str):
        try:
            return INITIALIZERS[init]
        except KeyError:
            raise ValueError(
                f"unknown initializer {init!r}; valid names: {', '.join(INITIALIZERS)}"
            ) from None
    if callable(init):
        return init
    raise TypeError(f"an initializer is a name or a callable, got {type(init).__name__}")


__all__ = ["INITIALIZERS", "TRUNCATION_CORRECTION", "fans", "float_dtype", "get", *INITIALIZERS]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
