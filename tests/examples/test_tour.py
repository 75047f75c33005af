"""The example programs run, write their pictures, and print the numbers they promise.

The tour runs once with every example's real defaults (and within its two minutes);
each example also runs alone, as a user types it, with flags that keep it short.
"""

import doctest
import hashlib
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PNG = b"\x89PNG\r\n\x1a\n"


def run(name, *args, env=None, timeout=600):
    """``python examples/NAME.py ARGS``; returns its stdout, failing on a bad exit.

    Timings are the benchmarks' business: the timeout only stops a hung example."""
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py"), *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{name} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


def written(stdout):
    """The files an example says it wrote."""
    return [
        Path(line[len("wrote ") :]) for line in stdout.splitlines() if line.startswith("wrote ")
    ]


def number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in output:\n{text}"
    return float(match.group(1))


def check_files(out, names):
    for name in names:
        data = (out / name).read_bytes()
        if name.endswith(".png"):
            assert data.startswith(PNG), name
        elif name.endswith(".svg"):
            assert b"<svg" in data, name


# --- the tour: every example with its real defaults -------------------------------------

TOUR_FILES = [
    "sigmoid_ops.svg",
    "sigmoid_one_op.svg",
    "course_network.svg",
    "course_network_error.png",
    "xor_boundary.png",
    "xor_history.png",
    "moons_boundary.png",
    "moons_history.png",
    "regression.png",
    "cross_entropy_vs_quadratic.png",
    "digits_history.png",
    "digits_gradient_flow.png",
    "digits_test.png",
    "digits_cnn_features.png",
    "digits_cnn_filters.png",
    "makemore_transformer_loss.png",
    "makemore_transformer_samples.txt",
    "makemore_transformer.npz",
    "gradient_flow_kaiming_activations.png",
    "gradient_flow_modules.svg",
]


def test_tour_runs_every_example_into_one_folder(dot, tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "tour"
    stdout = run("tour", "--out", out)
    check_files(out, TOUR_FILES)
    listing = stdout[stdout.index("the tour wrote") :]
    reported = written(stdout[: stdout.index("the tour wrote")])
    assert {p.name for p in reported} >= set(TOUR_FILES)  # and the other examples' files
    assert f"the tour wrote {len(reported)} files into {out}/" in listing
    for path in reported:
        assert path.parent == out and path.stat().st_size > 0
        assert re.search(rf"^  {re.escape(path.name)} +\d+\.\d KB$", listing, flags=re.M)

    # sigmoid graph: the slide's numbers
    assert "df/dw0 = -0.20, df/dx0 = 0.39, df/dw1 = -0.39, df/dx1 = -0.59, df/dw2 = 0.20" in stdout
    # the course network: the notes' first step, both error figures, 10,000 iterations
    assert re.search(r"∂E/∂w5 +0\.082167041 +0\.082167041  ✓", stdout)
    assert re.search(r"true gradient descent \(engine\) +0\.291027774", stdout)
    assert re.search(r"hidden deltas through updated w5..w8 +0\.291027924", stdout)
    assert number(r"after  10000 updates  E_total = (\S+)", stdout) < 4e-5
    # xor, moons, regression, cross-entropy
    assert "accuracy 100%" in stdout
    assert number(r"moons.*\n(?:.*\n)*?test accuracy (\S+)", stdout) >= 0.9
    m = number(r"original: m  = (\S+)", stdout)
    assert m == number(r"least squares \(np\.polyfit\): m = (\S+)", stdout)
    assert "quadratic     (a − y)·σ'(z)·x = 0.017345" in stdout
    assert "cross-entropy (a − y)·x       = 0.982014" in stdout
    # digits: early stopping and the promised test accuracy
    assert "(early stop)" in stdout
    mlp = number(r"digits: .*\n(?:.*\n)*?test accuracy (\S+)", stdout)
    assert mlp >= 0.97
    # the CNN on the same split beats the MLP
    assert number(r"CNN: .*\n(?:.*\n)*?test accuracy (\S+)", stdout) > mlp
    # makemore's short run: its log format, learning, samples
    assert re.search(r"^step 490 \| loss \d\.\d{4} \| step time [\d.]+ms$", stdout, re.M)
    assert number(r"(?m)^step 500 train loss: \S+ test loss: (\S+)", stdout) < 2.6
    assert re.search(r"^\d+ samples that are new:$", stdout, re.M)
    assert "failed:" not in stdout


# --- each example alone, short ----------------------------------------------------------


def test_course_network_alone(dot, tmp_path):
    pytest.importorskip("matplotlib")
    stdout = run("course_network", "--out", tmp_path, "--iterations", "100")
    assert stdout.count("✓") == 19  # every number of the notes' first step
    assert "0.291027774" in stdout and "0.291027924" in stdout
    assert "after    100 updates  E_total = 0.0200468282" in stdout
    assert written(stdout) == [
        tmp_path / "course_network.svg",
        tmp_path / "course_network_error.png",
    ]
    check_files(tmp_path, ["course_network.svg", "course_network_error.png"])


def test_course_network_without_graphviz_writes_the_dot_source(tmp_path):
    pytest.importorskip("matplotlib")
    env = dict(os.environ, PATH=str(tmp_path / "no-bin"))  # no `dot` to be found
    stdout = run("course_network", "--out", tmp_path, "--iterations", "1", env=env)
    assert "install Graphviz" in stdout
    source = (tmp_path / "course_network.gv").read_text()
    assert source.startswith("digraph") and "E_total" in source
    assert tmp_path / "course_network.gv" in written(stdout)
    assert not (tmp_path / "course_network.svg").exists()


@pytest.mark.parametrize(
    ("name", "args", "files", "expect"),
    [
        ("xor", ["--epochs", "150"], ["xor_boundary.png", "xor_history.png"], "accuracy 100%"),
        ("moons", ["--epochs", "20"], ["moons_boundary.png", "moons_history.png"], "test accuracy"),
        ("regression", ["--steps", "300"], ["regression.png"], "least squares"),
        (
            "cross_entropy_vs_quadratic",
            ["--epochs", "30"],
            ["cross_entropy_vs_quadratic.png"],
            "= 0.982014",
        ),
        (
            "digits",
            ["--epochs", "2"],
            ["digits_history.png", "digits_gradient_flow.png", "digits_test.png"],
            "test accuracy",
        ),
    ],
)
def test_example_alone(tmp_path, name, args, files, expect):
    pytest.importorskip("matplotlib")
    out = tmp_path / "new" / "folder"  # created by the example
    stdout = run(name, "--out", out, *args)
    assert expect in stdout
    assert written(stdout) == [out / f for f in files]
    check_files(out, files)


def test_regression_prints_m_and_c_in_original_units(tmp_path):
    stdout = run("regression", "--out", tmp_path)
    # the data come from y = 11.5·x + 180 plus noise; gradient descent finds least squares
    m = number(r"original: m  = (\S+)", stdout)
    c = number(r"original: m  = \S+ €/m²   C = (\S+)", stdout)
    assert m == pytest.approx(11.5, abs=0.3) and c == pytest.approx(180, abs=20)
    assert m == number(r"np\.polyfit\): m = (\S+)", stdout)
    assert c == number(r"np\.polyfit\): m = \S+   C = (\S+)", stdout)


def test_examples_compute_and_say_so_without_matplotlib(tmp_path):
    fake = tmp_path / "fake"
    (fake / "matplotlib").mkdir(parents=True)
    (fake / "matplotlib" / "__init__.py").write_text("raise ImportError('no matplotlib here')\n")
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(fake), os.environ.get("PYTHONPATH", "")])
    )
    stdout = run("xor", "--out", tmp_path / "out", "--epochs", "50", env=env)
    assert "no pictures:" in stdout and "pip install 'autodiff[plot]'" in stdout
    assert "accuracy" in stdout and written(stdout) == []


# --- the shipped digits and the examples' own docstring examples ------------------------


def test_shipped_digits_are_sklearns():
    with np.load(EXAMPLES / "data" / "digits.npz", allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    assert images.shape == (1797, 8, 8) and images.dtype == np.uint8
    assert labels.shape == (1797,) and labels.dtype == np.uint8
    assert images.max() == 16 and np.bincount(labels).tolist() == [
        178, 182, 177, 183, 181, 182, 181, 179, 174, 180
    ]  # fmt: skip
    # SHA-256 of load_digits()'s pixels (as uint8, rows of 64) then labels, scikit-learn 1.9.1
    digest = hashlib.sha256(images.reshape(1797, 64).tobytes() + labels.tobytes()).hexdigest()
    assert digest == "87ff0c9e40dc7e2c0e34e7257799c2e3f3aec1a016363bb11cad869ec428a826"


@pytest.mark.parametrize(
    "name",
    ["_common", "course_network", "cross_entropy_vs_quadratic", "digits", "moons", "regression"],
)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))  # the examples import _common
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0


def test_tour_without_graphviz_finishes_and_says_how_to_install_it_once(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))  # no `dot` to be found
    monkeypatch.syspath_prepend(str(EXAMPLES))
    for name in ("_common", "tour"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import tour

    # The examples that draw with Graphviz; gradient_flow's drawing takes the same
    # _common.save_graph path as course_network's and is left out to keep this short.
    drawing = ["sigmoid_graph", "step_pages", "course_network"]
    monkeypatch.setattr(tour, "TOUR", [t for t in tour.TOUR if t[0] in drawing])
    assert tour.main(["--out", str(tmp_path / "out")]) == 0
    stdout = capsys.readouterr().out
    assert "Traceback" not in stdout and "failed:" not in stdout
    hints = [line for line in stdout.splitlines() if "install graphviz" in line.lower()]
    assert len(hints) == 1, hints
    wrote = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert [name for name in wrote if not name.endswith(".png")] == [
        "course_network.gv",
        "network_222_steps.gv",
        "sigmoid_neuron_steps.gv",
        "sigmoid_one_op.gv",
        "sigmoid_ops.gv",
    ]
    assert "grad 0.39" in (tmp_path / "out" / "sigmoid_neuron_steps.gv").read_text()
