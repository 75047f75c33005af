"""The expression parser (autodiff.expr): the whitelist, variable names, and graphs that
equal the same formula written with Value."""

import ast
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Value
from autodiff.expr import (
    FUNCTIONS,
    MAX_LENGTH,
    ExpressionError,
    evaluate,
    format_number,
    names,
    parse,
)


def test_parse_accepts_the_whitelist_and_returns_the_tree():
    tree = parse("  -(w0*x0 + w1*x1) ** 2 / +3.5 - exp(log(sqrt(abs(tanh(sigmoid(relu(x)))))))  ")
    assert isinstance(tree, ast.Expression)
    assert isinstance(tree.body, ast.BinOp)


@pytest.mark.parametrize(
    "text",
    ["x.real", "x[0]", "f(x)", "exp(x, x)", "exp(*x)", "'s'", "True", "x if x else 1", "x % 2"],
)
def test_parse_rejects_anything_off_the_whitelist_with_an_expression_error(text):
    with pytest.raises(ExpressionError, match=r"not allowed|only numbers|exactly one argument"):
        parse(text)


def test_parse_rejects_empty_too_long_and_non_string_input():
    with pytest.raises(ExpressionError, match="empty"):
        parse(" \t")
    with pytest.raises(ExpressionError, match=str(MAX_LENGTH)):
        parse("x+" * MAX_LENGTH + "x")
    with pytest.raises(ExpressionError, match="must be a string"):
        parse(b"x")  # type: ignore[arg-type]
    assert issubclass(ExpressionError, ValueError)


def test_names_lists_each_variable_once_without_the_functions():
    found = names(parse("b * exp(a) + b / c + tanh(a)"))
    assert sorted(found) == ["a", "b", "c"] and len(found) == 3
    assert names(parse("x * x")) == ["x"]
    assert names(parse("2 + 3")) == []


def test_each_name_is_one_labelled_leaf_however_often_it_appears():
    out, leaves = evaluate("x * y + x", {"x": 2.0, "y": 5.0, "unused": 1.0})
    assert sorted(leaves) == ["x", "y"]
    assert leaves["x"].label == "x"
    out.backward()
    assert (out.data, leaves["x"].grad, leaves["y"].grad) == (12.0, 6.0, 2.0)


def test_numbers_alone_give_a_float_with_ieee_results():
    assert evaluate("2 ** 10 - 24", {}) == (1000.0, {})
    assert evaluate("1 / 0", {})[0] == math.inf
    assert evaluate("log(0)", {})[0] == -math.inf
    assert math.isnan(evaluate("sqrt(-1)", {})[0])
    assert evaluate("10 ** 10 ** 10", {})[0] == math.inf  # never a huge integer


def test_a_long_flat_sum_is_walked_without_recursion():
    out, leaves = evaluate("+".join(["x"] * 2000), {"x": 1.5})
    out.backward()
    assert out.data == 3000.0 and leaves["x"].grad == 2000.0


_SAME = {
    "x + y": lambda x, y: x + y,
    "x - 2 * y": lambda x, y: x - 2 * y,
    "x * y / 3": lambda x, y: x * y / 3,
    "2 / (1 + y * y)": lambda x, y: 2 / (1 + y * y),
    "-x ** 3 + y": lambda x, y: -(x**3) + y,
    **{f"{f}(x) * y": lambda x, y, f=f: getattr(x, f)() * y for f in FUNCTIONS},
}


@pytest.mark.parametrize("text", list(_SAME))
@settings(max_examples=10)
@given(x=st.floats(0.1, 3.0), y=st.floats(-3.0, 3.0))
def test_the_graph_equals_the_formula_written_with_value(text, x, y):
    out, leaves = evaluate(text, {"x": x, "y": y})
    out.backward()
    vx, vy = Value(x), Value(y)
    ref = _SAME[text](vx, vy)
    ref.backward()
    assert _same(out.data, ref.data)  # nan where x is outside a function's domain
    for name, v in (("x", vx), ("y", vy)):
        assert _same(leaves[name].grad if name in leaves else 0.0, v.grad)


def _same(a, b):
    return a == b or (math.isnan(a) and math.isnan(b))


def test_format_number_spells_out_nan_and_inf():
    assert [format_number(v) for v in (math.nan, -math.inf, 1 / 3, 1e-20)] == [
        "nan",
        "-inf",
        "0.333333",
        "1e-20",
    ]
