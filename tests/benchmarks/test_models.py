"""The model benchmark compares like with like (benchmarks/models.py).

Its ratios mean something only if both engines train the same model: from the same
weights they must compute the same loss on the same batch, and after one training
step each (forward, backward, the optimizer's update) again the same loss.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "models.py"

torch = pytest.importorskip("torch")


@functools.cache
def bench() -> ModuleType:
    """benchmarks/models.py loaded by path (benchmarks/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_models_workload", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["transformer", "mlp", "gru", "cnn"])
def test_both_engines_train_the_same_model(name: str) -> None:
    work = bench().Workload(name, batches=2, tiny=True)
    ours, theirs = work.first_losses()
    assert 1.0 < ours < 5.0  # near log(classes) from a fresh start
    assert ours == pytest.approx(theirs, rel=1e-5)
    assert work.ours_step() == pytest.approx(theirs, rel=1e-5)  # the step's own loss
    assert work.torch_step() == pytest.approx(theirs, rel=1e-5)
    after_ours, after_theirs = work.first_losses()
    assert after_ours < ours  # the step trained: same batch, lower loss
    assert after_ours == pytest.approx(after_theirs, rel=1e-4)


def test_the_table_reports_ratios_against_the_targets() -> None:
    row = {
        "name": "gru",
        "params": 10,
        "first": (3.3, 3.3),
        "ours": 0.010,
        "torch": 0.020,
        "ratio": 2.0,
        "ours_mem": 2**20,
        "torch_mem": 2**21,
    }
    text = bench().table([row])
    assert "| gru | 10 | 3.30000 / 3.30000 | 10.00 | 20.00 | 2.00× | ≥ 1.5× ✓ | 1.0 | 2.0 |" in text
