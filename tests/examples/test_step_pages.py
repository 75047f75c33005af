"""examples/step_pages.py writes the neuron's and the 2-2-2 network's step pages."""

import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "step_pages.py"


def test_step_pages_example(dot, tmp_path):
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "sigmoid neuron: f = 0.73, 26 steps" in done.stdout
    assert "2-2-2 network: E_total = 0.298371109" in done.stdout
    neuron = (tmp_path / "sigmoid_neuron_steps.html").read_text(encoding="utf-8")
    assert "∂f/∂x0 = w0 · ∂f/∂(w0·x0) = 2.00 × 0.20 = 0.39" in neuron
    network = (tmp_path / "network_222_steps.html").read_text(encoding="utf-8")
    # ∂E/∂w5 = 0.082167041 (docs/course-numbers.md §2), the loss node and the three foldable layers.
    assert "∂E_total/∂w5 = a_h1 · ∂E_total/∂(w5·a_h1) = 0.5933 × 0.1385 = 0.0822" in network
    assert all(f'"{layer}"' in network for layer in ("1 hidden", "2 output", "3 loss"))
    for name in ("sigmoid_neuron_steps.html", "network_222_steps.html"):
        assert f"wrote {tmp_path / name}" in done.stdout
