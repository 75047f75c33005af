"""gradcheck: passes on correct ops, catches a wrong vjp and says where, touches nothing."""

import math
import re

import numpy as np
import pytest

from autodiff import GradcheckError, Tensor, Value, gradcheck, no_grad, primitive


def test_passes_on_correct_value_expressions():
    x, w, b = Value(0.5, label="x"), Value(-2.0, label="w"), Value(0.3, label="b")
    assert gradcheck(lambda x, w, b: (x * w + b).tanh() * x.exp() / (1 + w**2), [x, w, b]) is True
    # shared subexpressions and constants on both sides
    assert gradcheck(lambda x, w: (s := x * w) * s - 3 / (s - 4) + 2**x, [x, w])


def test_an_input_the_output_does_not_depend_on_has_zero_gradient_both_ways():
    x, unused = Value(1.5, label="x"), Value(7.0, label="unused")
    assert gradcheck(lambda x, unused: x.sigmoid(), [x, unused])
    assert gradcheck(lambda x: x, [x])  # the output is the input itself


def test_passes_on_tensors_with_broadcasting():
    w = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True, label="w")
    v = Tensor([0.5, -0.25, 2.0], requires_grad=True, label="v")
    assert gradcheck(lambda w, v: ((w * v).tanh() + w.exp()).sum(), [w, v])
    assert gradcheck(lambda w, v: (w @ v).sigmoid().mean(), [w, v])


def test_accepts_one_bare_leaf_and_any_one_element_output():
    t = Tensor([[1.0, 2.0]], requires_grad=True, label="t")
    assert gradcheck(lambda t: (t * t).sum(), t)
    # a one-element Tensor output with more than one dimension
    assert gradcheck(lambda t: t.sum(axis=1, keepdims=True), [t])


# --- a primitive with a deliberately wrong vjp -------------------------------------------

# d(x*y)/dy is x; this vjp says 2x for the second input.
bad_mul = primitive(
    lambda x, y: x * y, lambda g, out, x, y: (g * y, g * x * 2), "gradcheck_test_bad_mul"
)


def test_a_wrong_vjp_is_caught_and_the_report_names_input_and_both_numbers():
    a, w = Value(3.0, label="a"), Value(-2.0, label="w")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a, w: bad_mul(a, w), [a, w])
    message = str(info.value)
    assert "1 of 2 partial derivatives" in message
    row = re.search(
        r"input 1 \(label 'w'\): analytic (\S+), numeric (\S+), abs error (\S+)", message
    )
    assert row is not None, message
    analytic, numeric, error = (float(s) for s in row.groups())
    assert analytic == 6.0  # 2 * x, the wrong derivative
    assert numeric == pytest.approx(3.0, abs=1e-6)  # x, what finite differences see
    assert error == pytest.approx(3.0, rel=1e-2)
    assert "input 0" not in message  # the right derivative is not reported
    assert isinstance(info.value, AssertionError)


def test_a_wrong_vjp_on_a_tensor_names_the_element():
    x = Tensor(np.arange(6.0).reshape(2, 3) + 1, requires_grad=True, label="x")
    y = Tensor(np.full((2, 3), 0.5), requires_grad=True, label="y")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: bad_mul(x, y).sum(), [x, y])
    message = str(info.value)
    # d/dy[0, 2] is x[0, 2] = 3; the wrong vjp says 6
    row = re.search(
        r"input 1 \(label 'y'\), element \(0, 2\): analytic (\S+), numeric (\S+),", message
    )
    assert row is not None, message
    assert float(row.group(1)) == 6.0
    assert float(row.group(2)) == pytest.approx(3.0, abs=1e-6)
    assert "6 of 12 partial derivatives" in message
    assert message.count("input 1") == 6 and "input 0" not in message


def test_unlabelled_inputs_are_named_by_position():
    with pytest.raises(GradcheckError, match=r"input 1 \(no label\): analytic -4"):
        gradcheck(lambda a, b: bad_mul(a, b), [Value(-2.0), Value(5.0)])


def test_long_reports_are_capped_and_say_how_many_more():
    x = Tensor(np.ones(30), requires_grad=True, label="x")
    y = Tensor(np.ones(30), requires_grad=True, label="y")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: bad_mul(x, y).sum(), [x, y])
    lines = str(info.value).splitlines()
    assert "30 of 60 partial derivatives" in lines[0]
    assert sum(line.startswith("  input 1") for line in lines) == 20
    assert lines[-1] == "  ... and 10 more"


def test_a_nan_analytic_gradient_fails_against_a_finite_numeric_one():
    nan_grad = primitive(lambda x: 2 * x, lambda g, out, x: g * math.nan, "gradcheck_test_nan")
    with pytest.raises(GradcheckError, match=r"input 0 \(label 'x'\): analytic nan, numeric 2"):
        gradcheck(nan_grad, [Value(1.0, label="x")])


def test_tolerances_decide():
    # (x + 1e-4 x^2)' differs from the vjp below by 2e-4 x: inside rtol=1e-3 of ~1, not 1e-5
    almost = primitive(
        lambda x: x + 1e-4 * x * x, lambda g, out, x: g * 1.0, "gradcheck_test_almost"
    )
    x = Value(1.0, label="x")
    assert gradcheck(almost, [x])
    with pytest.raises(GradcheckError):
        gradcheck(almost, [x], atol=1e-7, rtol=1e-7)


# --- nothing is disturbed -----------------------------------------------------------------


def test_grad_and_data_are_left_as_they_were():
    x, w = Value(0.3, label="x"), Value(-1.7, label="w")
    x.grad, w.grad = 5.0, -1.0
    t = Tensor([[0.1, 0.2], [0.3, 0.4]], requires_grad=True)
    t.grad = np.array([[9.0, 9.0], [9.0, 9.0]])
    before = t.data.copy()
    u = Tensor([1.0, 2.0], requires_grad=True)  # grad None before, None after
    assert gradcheck(lambda x, w: (x * w).tanh(), [x, w])
    assert gradcheck(lambda t, u: (t.sum() * (u * u).sum()).tanh(), [t, u])
    assert (x.grad, w.grad, x.data, w.data) == (5.0, -1.0, 0.3, -1.7)
    assert np.array_equal(t.grad, np.full((2, 2), 9.0)) and u.grad is None
    assert np.array_equal(t.data, before)


def test_data_is_restored_when_f_raises_part_way():
    x = Value(1.0, label="x")
    t = Tensor([1.0, 2.0], requires_grad=True)
    # call 1 is the recorded one; calls 2-3 perturb x, 4-5 t[0], 6-7 t[1]
    # (f ignores x: a Value and a Tensor do not combine, but both are perturbed)
    for failing_call in range(2, 8):
        with pytest.raises(RuntimeError, match="boom"):
            gradcheck(_failing_on_call(failing_call), [x, t])
        assert x.data == 1.0 and np.array_equal(t.data, [1.0, 2.0])


def _failing_on_call(n):
    calls = 0

    def f(x, t):
        nonlocal calls
        calls += 1
        if calls == n:
            raise RuntimeError("boom")
        return t.sum() * 2

    return f


def test_works_inside_no_grad():
    x = Value(0.7, label="x")
    with no_grad():
        assert gradcheck(lambda x: x.log() * x, [x])


# --- argument errors ----------------------------------------------------------------------


def test_argument_errors_say_what_is_wrong():
    x = Value(1.0, label="x")
    with pytest.raises(ValueError, match="inputs is empty"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match="input 1 is a float, not a Value or Tensor"):
        gradcheck(lambda x, y: x * y, [x, 2.0])
    with pytest.raises(TypeError, match="list or tuple of Values or Tensors, got str"):
        gradcheck(lambda x: x, "x")
    y = x * 2
    y.label = "y"
    with pytest.raises(ValueError, match=r"input 0 \(label 'y'\) is the output of op '\*', not a"):
        gradcheck(lambda y: y, [y])
    with pytest.raises(ValueError, match="does not require grad"):
        gradcheck(lambda t: t.sum(), [Tensor([1.0, 2.0])])
    with pytest.raises(TypeError, match="f must return a Value or a one-element Tensor, got float"):
        gradcheck(lambda x: x.data * 2, [x])
    with pytest.raises(
        ValueError, match=r"f must return one element, got a Tensor of shape \(2,\)"
    ):
        gradcheck(lambda t: t * 2, [Tensor([1.0, 2.0], requires_grad=True)])
    with pytest.raises(ValueError, match="eps must be a positive finite number"):
        gradcheck(lambda x: x, [x], eps=0.0)
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0"):
        gradcheck(lambda x: x, [x], rtol=-1.0)


def test_second_order_checks_second_derivatives():
    assert gradcheck(lambda x: x * x * x, [Value(1.5)], order=2)
