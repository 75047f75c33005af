"""What the example programs share: the ``--out`` option, saving figures, reporting files.

Not an example itself. The examples import it as ``_common`` (Python puts the script's
folder on ``sys.path``), so each one still runs as ``python examples/NAME.py``.
"""

from __future__ import annotations

import os

# The examples multiply small matrices (at most a few thousand rows by 256): one BLAS
# thread is as fast as several here, and cannot slow to a crawl when other programs keep
# the cores busy (idle OpenBLAS threads spin). Set before numpy loads: the examples
# import this module first. A value already in the environment wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402


def parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser with ``--out DIR`` (default ``out``), described by ``doc``'s first line.

    >>> parser("Demo.\\n\\nMore.").parse_args([]).out
    PosixPath('out')
    """
    summary = (doc or "").strip().splitlines()[0] if doc else None
    p = argparse.ArgumentParser(description=summary)
    p.add_argument("--out", type=Path, default=Path("out"), help="folder for the pictures")
    return p


def out_dir(path: Path) -> Path:
    """``path``, created if missing."""
    path.mkdir(parents=True, exist_ok=True)
    return path


def pyplot() -> Any:
    """matplotlib's pyplot drawing to files, or None (saying how to get it) if not installed.

    The pictures need the ``plot`` extra; without it an example still computes and
    prints its numbers, and says which pictures it could not draw.
    """
    from nn.plotting import pyplot as load

    try:
        return load("this example's pictures", "file")
    except ImportError as err:
        print(f"no pictures: {err}")
        return None


def save(plt: Any, fig: Any, path: Path) -> Path:
    """Save ``fig`` to ``path`` and close it; returns ``path``."""
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def save_graph(graph: Any, path: Path) -> Path:
    """Render a ``draw_graph`` picture to ``path`` (.svg, .png, ...); without Graphviz's
    ``dot``, write its DOT source next to it (``.gv``) and say how to get ``dot``."""
    from autodiff.viz import GraphvizNotFound, render

    try:
        return Path(render(graph, path))
    except GraphvizNotFound as err:
        print(err)
        return Path(render(graph, path.with_suffix(".gv")))


def report(wrote: Sequence[Path]) -> None:
    """Print the files an example wrote, one per line."""
    for path in wrote:
        print(f"wrote {path}")


def decision_boundary(
    plt: Any, predict: Any, X: np.ndarray, y: np.ndarray, title: str, steps: int = 300
) -> Any:
    """A figure of a 2-D classifier: its class regions and the labelled points.

    ``predict(points)`` returns the probability of class 1 for each row of ``points``.
    """
    pad = 0.5
    (x0, y0), (x1, y1) = X.min(axis=0) - pad, X.max(axis=0) + pad
    gx, gy = np.meshgrid(np.linspace(x0, x1, steps), np.linspace(y0, y1, steps))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    prob = np.asarray(predict(grid)).reshape(gx.shape)
    fig, ax = plt.subplots(figsize=(6, 5))
    filled = ax.contourf(gx, gy, prob, levels=np.linspace(0, 1, 21), cmap="RdBu_r", alpha=0.5)
    ax.contour(gx, gy, prob, levels=[0.5], colors="k", linewidths=1.5)
    fig.colorbar(filled, ax=ax, label="P(class 1)")
    for label, marker, colour in ((0, "o", "#4393c3"), (1, "s", "#d6604d")):
        pts = X[y == label]
        ax.scatter(
            pts[:, 0], pts[:, 1], marker=marker, c=colour, edgecolors="k", linewidths=0.6, s=30
        )
    ax.set_title(title)
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    fig.tight_layout()
    return fig


DIGITS = Path(__file__).resolve().parent / "data" / "digits.npz"


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The handwritten digits shipped in ``examples/data/digits.npz`` (see its README).

    Returns images flattened to rows of 64 pixel counts (0..16) and the labels, as
    ``sklearn.datasets.load_digits(return_X_y=True)`` does (as uint8, not float).

    >>> X, y = load_digits()
    >>> X.shape, y.shape, int(X.max())
    ((1797, 64), (1797,), 16)
    """
    with np.load(DIGITS, allow_pickle=False) as data:
        images, labels = data["images"], data["labels"]
    return images.reshape(len(images), -1), labels
