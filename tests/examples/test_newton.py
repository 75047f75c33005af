"""examples/newton.py: Newton's method reaches Rosenbrock's minimum in a few dozen
iterations, gradient descent takes thousands; the picture, or a note that there is none."""

import doctest
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "newton.py"


def run(*args, env=None):
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def table(stdout):
    """{threshold row label: [Newton cell, gradient descent cell]}."""
    rows = {}
    for line in stdout.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == 3:
            rows[cells[0]] = cells[1:]
    return rows


def count(cell):
    return int(cell.replace(",", ""))


def test_newton_example_table_and_picture(tmp_path):
    pytest.importorskip("matplotlib")
    stdout = run("--out", tmp_path)
    rows = table(stdout)
    assert rows["f below"] == ["Newton (hessian)", "gradient descent"]
    newton_steps = [count(rows[t][0]) for t in ("1e-01", "1e-03", "1e-05", "1e-08", "1e-12")]
    assert newton_steps == sorted(newton_steps) and newton_steps[-1] < 50
    # gradient descent needs far more iterations for the same f, and never gets to 1e-12
    for t in ("1e-01", "1e-03", "1e-05"):
        assert count(rows[t][1]) > 50 * count(rows[t][0])
    assert rows["1e-12"][1] == "> 20,000"
    assert rows["|∇f| < 1e-8"] == [str(newton_steps[-1]), "no, 20,000"]
    assert "Newton (hessian)   ends at (1.000000, 1.000000)" in stdout
    png = tmp_path / "newton_vs_gd.png"
    assert f"wrote {png}" in stdout
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_newton_example_without_matplotlib_says_so_and_exits_0(tmp_path):
    fake = tmp_path / "fake"
    (fake / "matplotlib").mkdir(parents=True)
    (fake / "matplotlib" / "__init__.py").write_text("raise ImportError('no matplotlib here')\n")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])
    )
    stdout = run("--out", tmp_path / "out", "--gd-steps", "100", env=env)
    assert "no pictures:" in stdout and "wrote" not in stdout
    assert table(stdout)["1e-12"] == ["21", "> 100"]
    assert not list((tmp_path / "out").iterdir())


def test_newton_example_docstring_examples(monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE.parent))  # the example imports _common
    spec = importlib.util.spec_from_file_location("example_newton", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = doctest.testmod(module)
    assert result.attempted >= 5 and result.failed == 0
