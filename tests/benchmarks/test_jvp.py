"""benchmarks/jvp.py times forward mode against reverse mode; its ratios mean something
only if both compute the same derivative on its workloads."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from autodiff import grad, jacfwd, jacobian, jvp

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(BENCH))  # jvp.py takes its workloads from hvp.py beside it
    try:
        spec = importlib.util.spec_from_file_location("bench_jvp_workload", BENCH / "jvp.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BENCH))
    return module


def test_jvp_is_the_gradient_along_v_on_every_workload(bench):
    rng = np.random.default_rng(0)
    theta = rng.normal(size=bench.N) * 0.1
    xs = tuple(float(x) for x in rng.normal(size=20))
    for f, x in ((bench.mlp_loss, theta), (bench.matrix_function, bench.SPD)):
        v = rng.normal(size=np.shape(x))
        expected = float(np.ravel(grad(f)(x)) @ v.ravel())
        assert float(jvp(f, (x,), (v,))[1]) == pytest.approx(expected, rel=1e-10)
    vs = tuple(float(v) for v in rng.normal(size=20))

    def packed(values):
        return bench.scalar_function(*values)

    expected = sum(g * v for g, v in zip(grad(packed)(xs), vs, strict=True))
    assert jvp(packed, (xs,), (vs,))[1] == pytest.approx(expected, rel=1e-10)


def test_jacfwd_equals_jacobian_on_the_wide_workload(bench):
    x = np.array([0.5, -1.0, 2.0, 0.1])
    np.testing.assert_allclose(jacfwd(bench.wide)(x), jacobian(bench.wide)(x), rtol=1e-12)
