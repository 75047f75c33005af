"""examples/newton.py: Newton converges in a few dozen iterations, gradient descent does not."""

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "newton.py"


def test_newton_example(tmp_path):
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = {line.split("  ")[0]: line.split() for line in done.stdout.splitlines()}
    newton = rows["Newton (hessian)"]
    assert int(newton[2]) < 50 and float(newton[3]) == 1.0 and float(newton[4]) == 1.0
    assert rows["gradient descent"][2] == "20000+"
    assert (tmp_path / "newton_vs_gd.png").read_bytes().startswith(b"\x89PNG")
