"""The scalar benchmark runs the same demo-step code on our Value and on micrograd's
(benchmarks/scalar.py). Its speed ratios mean something only if both engines compute
the same thing: the same first loss and the same update, from the same seed.
"""

from __future__ import annotations

import functools
import gc
import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "scalar.py"


@functools.cache
def bench() -> ModuleType:
    """benchmarks/scalar.py loaded by path (benchmarks/ is scripts, not a package)."""
    spec = importlib.util.spec_from_file_location("bench_scalar_workload", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_both_engines_take_the_same_first_step() -> None:
    # micrograd and scikit-learn are in the bench extra, not the test extra.
    pytest.importorskip("micrograd")
    pytest.importorskip("sklearn")
    b = bench()
    X, y = b.moons()
    results = {}
    # micrograd's graphs are reference cycles: in pytest's large heap its step takes
    # seconds of full collections. The collector does not change the numbers.
    gc.disable()
    try:
        for engine in b.ENGINES:
            value = b.value_class(engine)
            layers = b.build_mlp(value, seed=1337)
            loss = b.demo_step(value, layers, X, y)
            results[engine] = (loss, [p.data for p in b.parameters(layers)])
    finally:
        gc.enable()
        gc.collect()
    (loss_m, params_m), (loss_a, params_a) = results["micrograd"], results["autodiff"]
    assert math.isfinite(loss_a) and loss_a > 0
    assert loss_a == pytest.approx(loss_m, rel=1e-12, abs=0)
    # The update went through the gradients: same parameters afterwards, none untouched.
    assert params_a == pytest.approx(params_m, rel=1e-12, abs=1e-15)
    fresh = [p.data for p in b.parameters(b.build_mlp(b.value_class("autodiff"), seed=1337))]
    assert sum(a != f for a, f in zip(params_a, fresh, strict=True)) > len(fresh) // 2
