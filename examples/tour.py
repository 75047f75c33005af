"""The tour: every example in turn, all pictures in one folder, then the list of files.

    python examples/tour.py [--out DIR]

From a single sigmoid neuron's graph to a digit classifier: the course's sigmoid
graph, the notes' 2-2-2 network trained by hand and by the engine, XOR, two moons, a
line fit, cross-entropy against the quadratic cost, handwritten digits with early
stopping and gradient flow, the same digits by a small CNN, names made up by a small
Transformer (makemore), pages that step through backprop in the browser, and
Newton's method against gradient descent. Each example runs with its defaults, in this process (one
start-up for all), and writes into ``--out`` (default ``out/``); run one alone with
``python examples/NAME.py``. Finishes in well under two minutes on two cores.
"""

from __future__ import annotations

import runpy
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

import _common

HERE = Path(__file__).resolve().parent

TOUR = [
    ("sigmoid_graph", "the course's sigmoid neuron, every value and gradient drawn"),
    ("course_network", "the notes' 2-2-2 network: first step beside the notes, then training"),
    ("xor", "XOR, which no single neuron can learn"),
    ("moons", "two moons: a curved decision boundary"),
    ("regression", "a line fit by gradient descent after min-max scaling"),
    ("cross_entropy_vs_quadratic", "why cross-entropy learns fast when badly wrong"),
    ("digits", "handwritten digits: validation, early stopping, gradient flow, test set"),
    ("digits_cnn", "the same digits seen as pictures by a small CNN, its feature maps drawn"),
    ("makemore", "names made up by a Transformer trained on 32,000 names (a short run)"),
    ("gradient_flow", "a deep tanh MLP: saturation and gradient flow by init, makemore's way"),
    ("step_pages", "backprop step by step in the browser: open the HTML pages"),
    ("newton", "Newton's method with the Hessian against gradient descent"),
]


def run(name: str, out: Path) -> bool:
    """Run ``examples/NAME.py --out OUT`` as if from the command line; True if it succeeded."""
    path = HERE / f"{name}.py"
    saved = sys.argv
    sys.argv = [str(path), "--out", str(out)]
    try:
        runpy.run_path(str(path), run_name="__main__")
    except SystemExit as done:
        if done.code not in (0, None):
            print(f"{name} exited with status {done.code}")
            return False
    except Exception:
        traceback.print_exc()
        return False
    finally:
        sys.argv = saved
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run the tour, then list every file it wrote."""
    args = _common.parser(__doc__).parse_args(argv)
    out = _common.out_dir(args.out)
    if shutil.which("dot") is None:  # said once here, not by every drawing
        print(
            "Graphviz's dot is not installed: the drawings are written as DOT source (.gv); "
            "for SVGs install Graphviz (apt-get install graphviz, brew install graphviz)"
        )
        _common.told_about_graphviz = True
    start = time.time()
    failed = []
    for i, (name, what) in enumerate(TOUR, start=1):
        print(f"\n{'═' * 88}\n{i}/{len(TOUR)}  {name}: {what}\n{'═' * 88}")
        began = time.perf_counter()
        if not run(name, out):
            failed.append(name)
        print(f"({name}: {time.perf_counter() - began:.1f} s)")

    # Files written or rewritten during the tour (a coarse clock can round mtimes down).
    written = sorted(p for p in out.rglob("*") if p.is_file() and p.stat().st_mtime >= start - 1)
    print(
        f"\n{'═' * 88}\nthe tour wrote {len(written)} files into {out}/ "
        f"in {time.time() - start:.0f} s:"
    )
    for p in written:
        print(f"  {p.relative_to(out)!s:<40} {p.stat().st_size / 1024:8.1f} KB")
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
