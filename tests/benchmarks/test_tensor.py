"""The Tensor benchmark trains the same thing three ways (benchmarks/tensor.py).

Its numbers mean something only if our MLP step, the hand-written numpy step (the
floor) and PyTorch's compute the same loss, gradients and update on the same batch.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "tensor.py"


@functools.cache
def bench() -> ModuleType:
    """benchmarks/tensor.py loaded by path (benchmarks/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_tensor_workload", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@functools.cache
def data() -> tuple[np.ndarray, np.ndarray]:
    """The digits when scikit-learn is installed, else random data of the same shape."""
    try:
        return bench().digits(np.float64)  # type: ignore[no-any-return]
    except ImportError:
        rng = np.random.default_rng(0)
        return rng.random((1797, 64)), rng.integers(0, 10, 1797)


def batch(n: int, seed: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    X, y = data()
    rows = np.random.default_rng(seed).choice(len(y), size=n, replace=False)
    return X[rows].astype(dtype), y[rows]


def close(a: Any, b: Any, dtype: Any) -> None:
    rtol, atol = (1e-10, 1e-12) if dtype == np.float64 else (1e-4, 1e-6)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def assert_same_step(make_a: Any, make_b: Any, n: int, seed: int, dtype: Any) -> None:
    """Same loss and gradients on one batch, then the same weights after one SGD step."""
    b = bench()
    init = b.init_params(b.DIGITS_SIZES, dtype, seed=seed)
    x, y = batch(n, seed, dtype)
    a, c = make_a(init), make_b(init)
    loss_a, grads_a = a.loss_and_grads(*a.data(x, y))
    loss_c, grads_c = c.loss_and_grads(*c.data(x, y))
    close(loss_a, loss_c, dtype)
    assert len(grads_a) == len(grads_c) == len(init)
    for ga, gc, p in zip(grads_a, grads_c, init, strict=True):
        assert ga.shape == gc.shape == p.shape
        assert ga.dtype == gc.dtype == np.dtype(dtype)
        close(ga, gc, dtype)
    # the timed step: the update it applies is the gradient's
    a.step(*a.data(x, y), 0.1)
    c.step(*c.data(x, y), 0.1)
    for wa, wc, p, g in zip(a.weights(), c.weights(), init, grads_c, strict=True):
        close(wa, wc, dtype)
        close(wa, p - 0.1 * g, dtype)


@given(
    n=st.integers(1, 64),
    seed=st.integers(0, 2**16),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_our_step_matches_the_numpy_floor(n: int, seed: int, dtype: Any) -> None:
    assert_same_step(bench().OursMLP, bench().NumpyMLP, n, seed, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_step_matches_the_numpy_floor(dtype: Any) -> None:
    pytest.importorskip("torch")  # the oracle extra, which CI installs
    assert_same_step(bench().TorchMLP, bench().NumpyMLP, 64, 7, dtype)
    assert_same_step(bench().TorchMLP, bench().NumpyMLP, 5, 8, dtype)  # a short last batch


def test_the_numpy_floor_is_the_cross_entropy_of_the_mlp() -> None:
    # Independent of both: the loss written out with plain numpy, no stable shift needed.
    b = bench()
    init = b.init_params([64, 8, 10], np.float64, seed=3)
    x, y = batch(16, 3, np.float64)
    h = np.maximum(x @ init[0] + init[1], 0)
    z = h @ init[2] + init[3]
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = -np.log(p[np.arange(16), y]).mean()
    assert b.NumpyMLP(init).loss_and_grads(x, y)[0] == pytest.approx(expected, rel=1e-12)
    assert b.OursMLP(init).loss(x, y) == pytest.approx(expected, rel=1e-12)


def test_the_one_epoch_check_stops_a_benchmark_that_trains_something_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("torch")
    b = bench()
    X, y = data()
    X, y = X[:150], y[:150]
    losses, dw = b.check_one_epoch(X, y, np.float64)
    assert dw < 1e-12
    assert max(losses.values()) - min(losses.values()) < 1e-12

    class Off(b.OursMLP):  # type: ignore[name-defined,misc]
        def __init__(self, params: Any) -> None:
            super().__init__([p * 1.001 for p in params])

    monkeypatch.setitem(b.MODELS, "ours", Off)
    with pytest.raises(SystemExit, match="do not train the same thing"):
        b.check_one_epoch(X, y, np.float64)
