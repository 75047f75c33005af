"""User primitives (autodiff.primitive): a forward and a vjp that join the op table and
behave as the built-in ops do on Values and Tensors."""

import math

import numpy as np
import pytest

from autodiff import Tensor, Value, detect_anomaly, gradcheck, no_grad, primitive
from autodiff.engine import NARY
from autodiff.ops import OPS

# x * y * c, with a constant c among the inputs: one gradient per input.
triple = primitive(
    lambda x, y, c: x * y * c,
    lambda g, out, x, y, c: (g * y * c, g * x * c, g * x * y),
    "test_primitive_triple",
)
softplus = primitive(
    lambda x: np.logaddexp(0.0, x),
    lambda g, out, x: (
        g * (1 - (-out).exp() if isinstance(out, (Value, Tensor)) else 1 - np.exp(-out))
    ),
    "test_primitive_softplus",
)


def test_a_primitive_joins_the_table_as_an_nary_op_that_is_not_built_in():
    op = OPS["test_primitive_triple"]
    assert triple.op is op and op.layout is NARY and not op.builtin
    assert triple.__name__ == "test_primitive_triple"


def test_on_values_constants_get_no_gradient_and_the_node_is_drawn_with_its_name():
    x, y = Value(2.0, label="x"), Value(-3.0, label="y")
    out = triple(x, y, 4.0)
    assert (out.data, out.op, out.parents) == (-24.0, "test_primitive_triple", (x, y))
    out.backward()
    assert (x.grad, y.grad) == (-12.0, 8.0)


def test_on_tensors_with_arrays_mixed_in():
    x = Tensor([1.0, 2.0], requires_grad=True)
    out = triple(x, np.array([3.0, 4.0]), 0.5)
    assert isinstance(out, Tensor) and np.array_equal(out.data, [1.5, 4.0])
    out.sum().backward()
    assert np.array_equal(x.grad, [1.5, 2.0])


def test_gradients_check_first_and_second_order_when_the_vjp_is_differentiable():
    assert gradcheck(lambda x: softplus(x) * x, [Value(0.3)], order=2)
    assert gradcheck(lambda t: (softplus(t) * t).sum(), [Tensor([0.3, -1.2], requires_grad=True)])


def test_respects_no_grad_and_detect_anomaly():
    x = Value(1.0)
    with no_grad():
        assert triple(x, x, 1.0).parents == ()
    blowup = primitive(lambda x: x / 0.0 if x else math.inf, lambda g, out, x: g, "test_blowup")
    with detect_anomaly(), pytest.raises(FloatingPointError, match="forward of test_blowup"):
        blowup(Value(0.0, label="z"))


def test_numpy_scalar_gradients_stay_plain_floats_on_values():
    half = primitive(lambda x: x / 2, lambda g, out, x: np.float64(g) / 2, "test_primitive_half")
    x = Value(3.0)
    half(x).backward()
    assert x.grad.__class__ is float and x.grad == 0.5


def test_a_vjp_giving_the_wrong_number_of_gradients_is_named():
    bad = primitive(lambda x, y: x + y, lambda g, out, x, y: g, "test_primitive_bad_count")
    out = bad(Value(1.0), Value(2.0))
    with pytest.raises(ValueError, match=r"returned 1 gradient.*for 2 input"):
        out.backward()


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((lambda x: x, lambda g, out, x: g, ""), ValueError, "non-empty str name"),
        ((lambda x: x, lambda g, out, x: g, 3), ValueError, "non-empty str name"),
        ((1, lambda g, out, x: g, "test_p"), TypeError, "must be callable"),
        ((lambda x: x, lambda g, out, x: g, "exp"), ValueError, "built-in op"),
    ],
)
def test_bad_definitions_are_refused(args, error, message):
    with pytest.raises(error, match=message):
        primitive(*args)


def test_calling_with_no_input_is_a_type_error():
    with pytest.raises(TypeError, match="at least one input"):
        triple()
