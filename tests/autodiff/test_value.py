"""Value: construction, operators, IEEE semantics, accumulation, graph control."""

import math
import sys

import numpy as np
import pytest

from autodiff import Value, detect_anomaly, no_grad


@pytest.mark.parametrize(
    ("bad", "shown"),
    [("1.0", "str '1.0'"), (None, "NoneType None"), (1j, "complex 1j"), (True, "bool True")],
)
def test_constructor_rejects_non_reals_saying_what_was_given(bad, shown):
    with pytest.raises(TypeError, match=f"real number, got {shown}"):
        Value(bad)


def test_constructor_takes_ints_floats_and_numpy_scalars():
    assert Value(3).data == 3.0 and isinstance(Value(3).data, float)
    assert Value(np.float32(1.5)).data == 1.5
    assert Value(np.int64(-2)).data == -2.0
    v = Value(2.5, label="w")
    assert (v.label, v.grad, v.op, v.parents) == ("w", 0.0, "", ())


def test_operators_with_numbers_on_either_side():
    x = Value(3.0)
    cases = {
        x + 2: 5.0,
        2 + x: 5.0,
        x - 2: 1.0,
        2 - x: -1.0,
        x * 2: 6.0,
        2 * x: 6.0,
        x / 2: 1.5,
        3 / x: 1.0,
        x**2: 9.0,
        2**x: 8.0,
        x**x: 27.0,
        -x: -3.0,
    }
    for node, expected in cases.items():
        assert node.data == expected


def test_each_operator_records_its_op_and_ordered_parents():
    a, b = Value(2.0, "a"), Value(5.0, "b")
    assert (a - b).parents == (a, b)
    assert (b - a).parents == (b, a)
    assert (a * 3).parents == (a,)
    assert (3 / a).parents == (a,)
    ops = [n.op for n in (a + b, a - b, a * b, a / b, a**b, -a)]
    assert ops == ["+", "-", "*", "/", "**", "neg"]
    assert [
        f(a).op
        for f in (
            Value.exp,
            Value.log,
            Value.tanh,
            Value.sigmoid,
            Value.relu,
            Value.leaky_relu,
            Value.abs,
            Value.sqrt,
        )
    ] == ["exp", "log", "tanh", "sigmoid", "relu", "leaky_relu", "abs", "sqrt"]


def test_unsupported_operand_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + "a"
    with pytest.raises(TypeError, match="unsupported operand"):
        {} * Value(1.0)


def test_comparisons_compare_data_and_build_no_graph():
    a, b = Value(1.0), Value(2.0)
    assert a < b and b > a and a <= 1 and b >= 2.0 and a == 1.0 and a != b
    assert isinstance(a < b, bool)
    assert len({a, Value(1.0)}) == 2  # hashing is by identity: nodes stay distinct keys


def test_derivatives_of_each_method():
    x = Value(0.5)
    checks = [
        (lambda v: v.exp(), math.exp(0.5)),
        (lambda v: v.log(), 1 / 0.5),
        (lambda v: v.tanh(), 1 - math.tanh(0.5) ** 2),
        (lambda v: v.sigmoid(), (s := 1 / (1 + math.exp(-0.5))) * (1 - s)),
        (lambda v: v.relu(), 1.0),
        (lambda v: (-v).relu(), 0.0),
        (lambda v: (-v).leaky_relu(0.1), -0.1),
        (lambda v: (-v).abs(), 1.0),
        (lambda v: v.sqrt(), 0.5 / math.sqrt(0.5)),
        (lambda v: v**3, 3 * 0.25),
        (lambda v: 2**v, 2**0.5 * math.log(2)),
        (lambda v: 1 / v, -4.0),
    ]
    for f, expected in checks:
        x.grad = 0.0
        f(x).backward()
        assert x.grad == pytest.approx(expected, rel=1e-12), f


def test_ieee_semantics_without_exceptions():
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)
    assert math.isnan(Value(-1.0).sqrt().data)
    assert Value(1000.0).exp().data == math.inf
    assert (Value(1.0) / 0).data == math.inf
    assert math.isnan((Value(0.0) / 0.0).data)
    assert (Value(10.0) ** 400).data == math.inf
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert (Value(0.0) ** -1).data == math.inf
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert math.isnan(Value(math.nan).relu().data)


def test_node_used_twice_gets_the_sum_and_backward_twice_accumulates():
    x = Value(3.0)
    y = x * x + x  # x used three times
    y.backward()
    assert x.grad == 7.0
    y.backward()
    assert x.grad == 14.0
    assert y.grad == 1.0  # the root's grad is set, not accumulated


def test_intermediate_nodes_get_their_gradients():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + 1
    e = d * d
    e.backward()
    assert (e.grad, d.grad, c.grad, a.grad, b.grad) == (1.0, -10.0, -10.0, 30.0, -20.0)


def test_million_node_chain_under_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0 and y.data == 1_000_001.0
    del y  # freeing the chain must not recurse either


def test_no_grad_builds_no_graph_and_restores_mode():
    x = Value(2.0)
    with no_grad():
        y = x * 3 + x.exp()
    assert y.op == "" and y.parents == ()
    z = x * 3
    assert z.parents == (x,)
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert (x * 3).parents == (x,)


def test_detach_cuts_the_graph():
    x = Value(2.0)
    y = (x * x).detach() * x
    y.backward()
    assert x.grad == 4.0


def test_detect_anomaly_names_op_inputs_and_values():
    x = Value(0.0, label="x")
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"log.*x=0"):
        x.log()
    w = Value(-1.0, label="w")
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"sqrt.*w=-1"):
        w.sqrt()
    # backward: forward finite, gradient infinite (sqrt at 0)
    z = Value(0.0, label="z")
    with detect_anomaly():
        y = z.sqrt()
        with pytest.raises(FloatingPointError, match=r"backward of sqrt.*z=0"):
            y.backward()
    # outside the block: IEEE values, no exception
    assert x.log().data == -math.inf


def test_create_graph_gives_differentiable_gradients():
    x = Value(2.0)
    y = x**3
    y.backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value) and g.data == 12.0
    x.grad = 0.0
    g.backward()
    assert x.grad == 12.0  # d²(x³)/dx² = 6x


def test_third_derivative_of_tanh_through_create_graph():
    x = Value(0.3)
    y = x.tanh()
    y.backward(create_graph=True)
    d1 = x.grad
    x.grad = 0.0
    d1.backward(create_graph=True)
    d2 = x.grad
    x.grad = 0.0
    d2.backward()
    t = math.tanh(0.3)
    assert d1.data == pytest.approx(1 - t**2)
    assert d2.data == pytest.approx(-2 * t * (1 - t**2))
    assert x.grad == pytest.approx(-2 * (1 - t**2) ** 2 + 4 * t**2 * (1 - t**2))


def test_repr_shows_data_grad_and_label():
    v = Value(0.5, label="w")
    assert repr(v) == "Value(data=0.5, grad=0, label='w')"
