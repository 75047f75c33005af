"""The expression parser and ``python -m autodiff graph``."""

import subprocess
import sys
import time
from pathlib import Path

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
        ("__import__('os').system('true')", "call of '.system' is not allowed"),
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


# --- hostile and careless input (issue 13) ------------------------------------------------


@pytest.mark.parametrize(
    "literal", ["1" + "0" * 400, "0x" + "f" * 300], ids=["400 digits", "300 hex digits"]
)
def test_huge_integer_literal_is_one_line(capsys, literal):
    assert main(["graph", f"x+{literal}", "--at", "x=1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: the number at column 3 is too large for a float (more than 1.8e308)"]


@pytest.mark.parametrize("command", ["graph", "step"])
def test_expression_may_start_with_a_minus(capsys, tmp_path, command):
    args = [command, "-x*2", "--at", "x=1", "-o", str(tmp_path / "g.gv")]
    if command == "step":
        pytest.importorskip("graphviz")
        if not __import__("shutil").which("dot"):
            pytest.skip("the step page needs dot")
        args[-1] = str(tmp_path / "p.html")
    assert main(args) == 0, capsys.readouterr().err
    if command == "graph":
        assert capsys.readouterr().out.splitlines()[:2] == ["f = -2", "df/dx = -2"]


def test_minus_expressions_and_options_side_by_side(capsys):
    assert main(["graph", "--precision", "3", "-(x)", "--at", "x=1"]) == 0
    assert capsys.readouterr().out.startswith("f = -1\n")
    assert main(["graph", "-x", "--prec=3", "--at", "x=2"]) == 0
    assert capsys.readouterr().out.startswith("f = -2\n")


def test_at_names_are_normalized_like_the_expression(capsys):
    assert main(["graph", "𝐱*2", "--at", "𝐱=1"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["f = 2", "df/dx = 2"]
    assert main(["graph", "x*2", "--at", "x=1", "𝐱=2"]) == 2
    assert "gives 'x' twice" in capsys.readouterr().err


def test_caret_suggests_power(capsys):
    assert main(["graph", "x^2", "--at", "x=1"]) == 2
    assert "for a power write ** (x**2)" in capsys.readouterr().err


def test_help_lists_the_functions(capsys):
    from autodiff.expr import FUNCTIONS

    for command in (["graph"], ["step"], []):
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        shown = " ".join(capsys.readouterr().out.split())
        assert ", ".join(FUNCTIONS) in shown and "x**2" in shown


def test_nan_result_prints_a_warning_line(capsys):
    assert main(["graph", "log(x)", "--at", "x=-1"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "f = nan"
    assert captured.err.strip().splitlines() == ["warning: f = nan: log at -1 gives nan"]
    assert main(["graph", "x/y", "--at", "x=1", "y=0"]) == 0
    assert "1 / 0 gives inf" in capsys.readouterr().err
    assert main(["graph", "x*x", "--at", "x=1"]) == 0
    assert capsys.readouterr().err == ""


def test_graph_without_output_says_nothing_was_written(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "x*x", "--at", "x=1"]) == 0
    assert "nothing drawn: give -o FILE" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_node_budget_cuts_the_drawing_and_says_how_to_raise_it(capsys, tmp_path):
    product = "*".join(["x"] * 30)  # 30 nodes: x and 29 products
    target = tmp_path / "g.gv"
    assert main(["graph", product, "--at", "x=1", "-o", str(target), "--max-nodes", "10"]) == 0
    err = capsys.readouterr().err
    assert "the graph has 30 nodes; drew the 10 nearest f (raise with --max-nodes 30)" in err
    assert target.read_text().count("shape=record") == 10
    assert main(["graph", product, "--at", "x=1", "-o", str(target), "--max-nodes", "30"]) == 0
    assert capsys.readouterr().err == ""
    assert target.read_text().count("shape=record") == 30
    assert main(["step", product, "--at", "x=1", "--max-nodes", "10"]) == 2
    assert "more than --max-nodes 10" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["graph", "x", "--at", "x=1", "--max-nodes", "0"])


def test_slow_renderer_is_stopped_with_one_line(dot, capsys, tmp_path):
    # 80 uses of one variable: dot needs far more than 0.2 s to lay the long edges out
    product = "*".join(["x"] * 80)
    target = tmp_path / "g.svg"
    start = time.perf_counter()
    code = main(["graph", product, "--at", "x=1", "-o", str(target), "--timeout", "0.2"])
    assert time.perf_counter() - start < 10
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "did not finish within 0.2 s" in err[0]
    assert not target.exists()


def test_renderer_failure_is_one_line(capsys, tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text("#!/bin/sh\nkill -SEGV $$\n")
    (fake / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake))
    assert main(["graph", "x*x", "--at", "x=1", "-o", str(tmp_path / "g.svg")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "dot crashed (signal 11)" in err[0], err
    (fake / "dot").write_text("#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 3\n")
    assert main(["step", "x*x", "--at", "x=1", "-o", str(tmp_path / "p.html")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: Graphviz's dot failed (exit status 3): Error: syntax error in line 1"]


@pytest.mark.parametrize(("command", "name"), [("graph", "g.svg"), ("step", "page.html")])
def test_without_graphviz_both_commands_write_the_dot_source(
    capsys, tmp_path, monkeypatch, command, name
):
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    assert main([command, COURSE, "--at", *AT, "-o", str(tmp_path / name)]) == 1
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "wrote the DOT source to" in err
    source = (tmp_path / name).with_suffix(".gv").read_text()
    assert "grad 0.39" in source  # x0's gradient, on the drawing
    assert sorted(p.name for p in tmp_path.iterdir()) == [Path(name).stem + ".gv"]
