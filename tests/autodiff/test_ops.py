"""The op table (autodiff.ops): the Op record and registry, IEEE scalar kernels that agree
with the array kernels, vjps that run on floats, arrays and nodes alike, the helpers."""

import math
import warnings

import numpy as np
import pytest

from autodiff import Tensor, Value
from autodiff.engine import BINARY, NARY, PARAM, RPARAM, UNARY, Layout
from autodiff.ops import OPS, Op, broadcast_to, div, power, register, sum_to
from autodiff.ops.nn import (
    _softmax,
    _softmax_cross_entropy,
    _vjp_softmax_cross_entropy,
    loss_and_labels,
)


def test_every_op_has_a_layout_object_and_a_vjp_per_node_operand():
    for name, op in OPS.items():
        assert isinstance(op.layout, Layout), name
        assert callable(op.vjp), name
        if op.layout is BINARY:
            assert callable(op.vjp_b), name
            assert (op.const_b.layout, op.const_a.layout) == (PARAM, RPARAM)
            for derived in (op.const_a, op.const_b):
                assert (derived.name, derived.scalar, derived.array) == (name, op.scalar, op.array)
            assert op.const_a.vjp_b is op.vjp_b and op.const_b.vjp is op.vjp


def test_an_op_needs_a_layout_and_a_binary_op_two_vjps():
    with pytest.raises(TypeError, match="layout must be one of"):
        Op("bad", "unary", lambda g, out, a: g)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="needs vjp_b"):
        Op("bad", BINARY, lambda g, out, a, b: g)
    assert [repr(x) for x in (UNARY, PARAM, RPARAM, BINARY, NARY)] == [
        "UNARY",
        "PARAM",
        "RPARAM",
        "BINARY",
        "NARY",
    ]


def test_register_keeps_built_in_names_and_lets_user_ops_be_replaced():
    with pytest.raises(ValueError, match="built-in op"):
        register(Op("exp", UNARY, lambda g, out, a: g, builtin=False))
    first = register(Op("test_ops_user", UNARY, lambda g, out, a: g, builtin=False))
    second = register(Op("test_ops_user", UNARY, lambda g, out, a: 2 * g, builtin=False))
    assert OPS["test_ops_user"] is second is not first
    del OPS["test_ops_user"]


_SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, 1e300, -1e300, math.inf, -math.inf]
# (-inf) ** 0.5: IEEE 754 (and Python) say inf, numpy says nan: the one known disagreement.
_KNOWN = {("**", -math.inf, 0.5)}


def _same(a, b):
    """Equal, both nan, or (math's and numpy's libm differing) within 2 ulp."""
    if math.isnan(a) or math.isnan(b) or math.isinf(a) or math.isinf(b):
        return (math.isnan(a) and math.isnan(b)) or a == b
    return math.isclose(a, b, rel_tol=4.5e-16, abs_tol=0.0)


def _array(op, *xs):
    with np.errstate(all="ignore"):  # the array kernels may warn; the scalar ones may not
        return float(op.array(*(np.float64(x) for x in xs[:1]), *xs[1:]))


@pytest.mark.parametrize(
    "name", [n for n, op in OPS.items() if op.scalar is not None and op.array is not None]
)
def test_scalar_kernels_give_what_the_array_kernels_give_ieee_included(name):
    op = OPS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warnings either: inf and nan are results
        if op.layout is BINARY:
            pairs = [(a, b) for a in _SPECIAL for b in _SPECIAL if (name, a, b) not in _KNOWN]
            for a, b in pairs:
                want = _array(op, a, np.float64(b))
                assert _same(op.scalar(a, b), want), (name, a, b)
        elif op.layout is UNARY:
            for a in [*_SPECIAL, math.nan]:
                assert _same(op.scalar(a), _array(op, a)), (name, a)
        else:  # leaky_relu: a slope parameter
            for a in _SPECIAL:
                assert _same(op.scalar(a, 0.1), _array(op, a, 0.1)), (name, a)


@pytest.mark.parametrize(
    "name", [n for n, op in OPS.items() if op.layout is UNARY and op.scalar is not None]
)
def test_unary_vjps_run_on_floats_arrays_and_nodes_alike(name):
    op = OPS[name]
    x = 0.7 if not math.isnan(op.scalar(0.7)) else 1.3  # in the domain (arccosh: x >= 1)
    out = op.scalar(x)
    on_float = op.vjp(1.5, out, x)
    on_array = op.vjp(np.array([1.5]), op.array(np.array([x])), np.array([x]))
    xv = Value(x)
    on_node = op.vjp(Value(1.5), Value(out), xv)  # recorded, as under create_graph
    assert on_float == pytest.approx(on_array[0]) == pytest.approx(on_node.data)


def test_softmax_cross_entropy_vjp_is_a_function_of_its_operands_alone():
    # The softmax is the node's second output, kept in its parameter by the forward;
    # the vjp reads it and changes nothing, so calling it again gives the same.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 3))
    labels = np.array([0, 2, 1, 2])
    onehot = np.eye(3)[labels]
    for reduction, g, scale in (
        ("mean", np.asarray(2.0), 2.0 / 4),
        ("sum", np.asarray(2.0), 2.0),
        ("none", np.arange(4.0), np.arange(4.0)[:, None]),
    ):
        loss, param = loss_and_labels(x, labels, reduction)
        assert np.array_equal(_softmax_cross_entropy(x, param), loss)  # the op's forward
        first = _vjp_softmax_cross_entropy(g, loss, x, param)
        assert np.allclose(first, (_softmax(x, 1) - onehot) * scale)
        assert np.array_equal(_vjp_softmax_cross_entropy(g, loss, x, param), first)
        assert np.allclose(param.probs, _softmax(x, 1), rtol=1e-15, atol=0)


def test_helpers_sum_to_broadcast_to_div_and_power():
    assert np.array_equal(sum_to(np.ones((2, 3, 4)), (3, 1)), np.full((3, 1), 8.0))
    assert sum_to(np.ones((2, 3)), ()).shape == ()
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    summed = sum_to(t, (3,))  # on a node: recorded, so differentiable again
    assert summed.requires_grad and summed.data.tolist() == [2.0, 2.0, 2.0]
    b = broadcast_to(np.arange(3.0), (2, 3))
    b[0, 0] = 9.0  # a fresh, writable array
    assert b.tolist() == [[9.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert div(1.0, 0.0) == math.inf and math.isnan(div(0.0, 0.0))
        assert div(np.array([1.0, -1.0]), 0.0).tolist() == [math.inf, -math.inf]
        assert power(0.0, -1.0) == math.inf and math.isnan(power(-1.0, 0.5))
