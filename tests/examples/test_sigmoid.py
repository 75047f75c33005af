"""examples/sigmoid_graph.py writes both drawings and prints the slide's numbers."""

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sigmoid_graph.py"


def test_sigmoid_example(dot, tmp_path):
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    grads = "df/dw0 = -0.20, df/dx0 = 0.39, df/dw1 = -0.39, df/dx1 = -0.59, df/dw2 = 0.20"
    assert done.stdout.count(grads) == 2 and done.stdout.count("f = 0.73") == 2
    for name in ("sigmoid_ops.svg", "sigmoid_one_op.svg"):
        assert "<svg" in (tmp_path / name).read_text()
        assert f"wrote {tmp_path / name}" in done.stdout
