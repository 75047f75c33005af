"""benchmarks/fit.py times the same job three ways: nn.fit, a plain loop, PyTorch.

Its ratios mean something only if the three train the same thing: same weights, same
shuffles, same per-epoch numbers.
"""

import doctest
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "fit.py"


@pytest.fixture(scope="module")
def bench():
    pytest.importorskip("torch")  # the oracle extra, installed in CI
    spec = importlib.util.spec_from_file_location("bench_fit_workload", BENCH)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def small(bench, dtype):
    X, y, Xv, yv = bench.digits(dtype)
    return X[:300], y[:300], Xv[:60], yv[:60]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_three_ways_train_the_same_thing(bench, dtype):
    results = bench.check_same_job(small(bench, dtype), epochs=2)  # SystemExit if not
    assert sorted(results) == ["fit", "loop", "torch"]
    for history in results.values():
        assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
        assert len(history["loss"]) == 2 and history["loss"][1] < history["loss"][0]


def test_fit_and_the_plain_loop_agree_exactly_on_training(bench):
    data = small(bench, np.float64)
    init = bench.init_params(bench.SIZES, np.float64, bench.SEED)
    fit, loop = bench.Fit(init).run(data, 2), bench.Loop(init).run(data, 2)
    assert fit["loss"] == loop["loss"] and fit["accuracy"] == loop["accuracy"]
    assert fit["val_accuracy"] == loop["val_accuracy"]
    np.testing.assert_allclose(fit["val_loss"], loop["val_loss"], rtol=1e-13)


def test_a_way_that_trains_something_else_is_caught(bench, monkeypatch):
    monkeypatch.setattr(bench, "LR", 0.2)  # the torch way reads LR when built ...
    original = bench.Fit.__init__

    def slower(self, init):
        original(self, init)
        self.optimizer.param_groups[0]["lr"] = 0.1  # ... ours keeps 0.1

    monkeypatch.setattr(bench.Fit, "__init__", slower)
    monkeypatch.setattr(bench.Loop, "__init__", slower)
    with pytest.raises(SystemExit, match="benchmark invalid: torch gives loss"):
        bench.check_same_job(small(bench, np.float64), epochs=1)


def test_docstring_examples(bench):
    result = doctest.testmod(bench)
    assert result.attempted > 0 and result.failed == 0
