"""The expression parser and ``python -m autodiff graph``."""

import subprocess
import sys
import time

import pytest

from autodiff.cli import main
from autodiff.expr import ExpressionError, evaluate

COURSE = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
AT = ["w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]


def test_course_expression_prints_value_and_gradients_in_order(capsys, tmp_path):
    assert main(["graph", COURSE, "--at", *AT, "-o", str(tmp_path / "g.gv")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:6] == [
        "f = 0.731059",
        "df/dw0 = -0.196612",
        "df/dx0 = 0.393224",
        "df/dw1 = -0.393224",
        "df/dx1 = -0.589836",
        "df/dw2 = 0.196612",
    ]
    assert out[6] == f"wrote {tmp_path / 'g.gv'}"
    assert "grad -0.1966" in (tmp_path / "g.gv").read_text()


def test_renders_svg_through_the_module_entry_point(dot, tmp_path):
    target = tmp_path / "graph.svg"
    done = subprocess.run(
        [sys.executable, "-m", "autodiff", "graph", COURSE, "--at", *AT, "-o", str(target)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "df/dx1 = -0.589836" in done.stdout
    assert "<svg" in target.read_text()


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os').system('true')", "is not allowed"),
        ("__import__('os')", "call of '__import__' is not allowed"),
        ("().__class__", "not allowed"),
        ("exp.__globals__", "attribute access not allowed"),
        ("[x for x in y]", "comprehensions not allowed"),
        ("lambda: 1", "lambdas not allowed"),
        ("x[0]", "subscripts not allowed"),
        ("open('f')", "call of 'open' is not allowed"),
        ("exp(x, x)", "takes exactly one argument"),
        ("exp(x=1)", "takes exactly one argument"),
        ("'a' * x", "only numbers"),
        ("x < 1", "comparisons not allowed"),
        ("x and x", "boolean operators not allowed"),
        ("", "empty"),
        ("   ", "empty"),
        ("1 +", "syntax error"),
        ("x * y", "variable 'y' has no value"),
        ("exp + x", "exp is a function"),
        ("x // 2", "FloorDiv is not allowed"),
        ("(" * 300 + "x" + ")" * 300, "nested"),
    ],
)
def test_unsafe_or_malformed_input_is_one_line_and_exit_2(capsys, expression, message):
    assert main(["graph", expression, "--at", "x=1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], captured.err


@pytest.mark.parametrize("bad", ["x", "x=", "x=abc", "1x=2", "=3"])
def test_bad_assignments_exit_2(capsys, bad):
    assert main(["graph", "x * 2", "--at", bad]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["graph"])
    assert stop.value.code == 2


def test_overflowing_power_finishes_fast(capsys):
    start = time.perf_counter()
    assert main(["graph", "10**10**10 * x", "--at", "x=2"]) == 0
    assert time.perf_counter() - start < 5
    assert capsys.readouterr().out.splitlines()[0] == "f = inf"


def test_evaluate_shares_one_leaf_per_name_and_never_evals():
    out, leaves = evaluate("x * x + sigmoid(x)", {"x": 0.0})
    out.backward()
    assert out.data == 0.5 and leaves["x"].grad == 0.25
    with pytest.raises(ExpressionError):
        evaluate("__import__('os')", {})
