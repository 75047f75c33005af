"""autodiff.testing: the strategies draw what they promise; the registry works on Tensors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Tensor, Value
from autodiff.testing import (
    OP_CASES,
    Domain,
    arrays,
    broadcastable_shapes,
    finite_floats,
    op_case_ids,
    shapes,
    tensors,
    values,
)


@given(finite_floats(-2, 3, min_magnitude=0.5))
def test_finite_floats_respect_range_and_magnitude(x):
    assert -2 <= x <= 3 and abs(x) >= 0.5


def test_finite_floats_reject_impossible_requests():
    with pytest.raises(ValueError, match="min_value 2 > max_value 1"):
        finite_floats(2, 1)
    with pytest.raises(ValueError, match="has magnitude >= 5"):
        finite_floats(-1, 1, min_magnitude=5)


@given(values(0.5, 2, label="w"))
def test_values_are_fresh_labelled_leaves(v):
    assert isinstance(v, Value) and v.label == "w" and v.op == "" and v.grad == 0.0
    assert 0.5 <= v.data <= 2


@given(shapes(min_dims=1, max_dims=2, max_side=3))
def test_shapes(shape):
    assert 1 <= len(shape) <= 2 and all(1 <= n <= 3 for n in shape)


@given(broadcastable_shapes())
def test_broadcastable_shapes_broadcast(pair):
    a, b = pair
    np.broadcast_shapes(a, b)  # raises if they do not
    assert len(a) <= 3 and len(b) <= 3


def test_broadcastable_shapes_include_0d_and_stretched_size_1_axes():
    seen = {"0-d": False, "stretched": False, "different ndim": False}

    @settings(max_examples=200, derandomize=True)
    @given(broadcastable_shapes())
    def collect(pair):
        a, b = pair
        out = np.broadcast_shapes(a, b)
        seen["0-d"] |= a == () or b == ()
        seen["different ndim"] |= len(a) != len(b)
        for s in (a, b):
            padded = (1,) * (len(out) - len(s)) + s
            seen["stretched"] |= any(n == 1 < m for n, m in zip(padded, out, strict=True))

    collect()
    assert all(seen.values()), seen


@given(arrays(shapes(max_dims=2), -1, 1, min_magnitude=0.25))
def test_arrays_are_finite_float64_in_range(a):
    assert a.dtype == np.float64 and np.isfinite(a).all()
    assert ((np.abs(a) >= 0.25) & (np.abs(a) <= 1)).all()


@given(tensors((2, 2), dtype=np.float32, label="w"))
def test_tensors_are_leaves_requiring_grad(t):
    assert isinstance(t, Tensor) and t.dtype == np.float32 and t.shape == (2, 2)
    assert t.requires_grad and t.label == "w" and t.op == ""


def test_domain_contains_matches_its_strategy_bounds():
    d = Domain(-1.0, 2.0, min_magnitude=0.5)
    inside = [-1.0, -0.5, 0.6, 2.0]
    outside = [-1.1, -0.4, 0.0, 0.49, 2.1]
    assert all(d.contains(x) for x in inside) and not any(d.contains(x) for x in outside)


@pytest.mark.parametrize("name", op_case_ids())
@settings(max_examples=10)
@given(data=st.data())
def test_every_case_runs_on_tensors_with_inputs_in_its_domain(name, data):
    """The one registry is ready for the Tensor property tests: same fn, same domains."""
    case = OP_CASES[name]
    xs = data.draw(case.arrays((2, 3)))
    for x, domain in zip(xs, case.domains, strict=True):
        assert all(domain.contains(float(e)) for e in x.flat)
    out = case.fn(*(Tensor(x, requires_grad=True) for x in xs))
    assert out.op == case.op and out.shape == (2, 3)
    expected = np.vectorize(case.reference)(*xs)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)
