"""Fit a line y = m·x + C by gradient descent after min-max scaling, as the notes do.

    python examples/regression.py [--out DIR] [--steps N] [--lr LR]

Flat sizes (m²) against rents (€/month), drawn around a known line. Both columns are
min-max scaled to [0, 1] (y = (x − min)/(max − min), fitted on these data), the
line's slope and intercept are two Tensors, the error is the mean squared error, and
each step moves both against their gradients. The fitted m and C are then turned back
into the original units and compared with the line the data came from and with the
least-squares optimum. Writes ``regression.png``: the data and the fitted line, the
error over the steps, and the path gradient descent took across the error surface.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _common
import numpy as np

from autodiff import Tensor
from nn.data import MinMaxScaler
from nn.losses import mse_loss

TRUE_M, TRUE_C = 11.5, 180.0  # €/m² and a base rent in €


def make_data(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` flat sizes in m² and their rents: y = 11.5·x + 180 plus noise.

    >>> x, y = make_data(5)
    >>> x.shape, y.shape
    ((5, 1), (5, 1))
    """
    rng = np.random.default_rng(seed)
    x = rng.uniform(25, 140, size=(n, 1)).round()
    y = TRUE_M * x + TRUE_C + rng.normal(0, 90, size=(n, 1))
    return x, y


def gradient_descent(
    xs: np.ndarray, ys: np.ndarray, lr: float, steps: int
) -> tuple[float, float, list[float], np.ndarray]:
    """Fit ys ≈ m·xs + C from m = C = 0; returns m, C, the error per step and the (m, C) path.

    >>> m, c, errors, path = gradient_descent(np.array([[0.0], [1.0]]), np.array([[1.0], [3.0]]),
    ...                                       lr=0.5, steps=2000)
    >>> round(m, 4), round(c, 4)
    (2.0, 1.0)
    """
    m = Tensor(0.0, requires_grad=True, label="m")
    c = Tensor(0.0, requires_grad=True, label="C")
    errors, path = [], [(0.0, 0.0)]
    for _ in range(steps):
        error = mse_loss(m * xs + c, ys)
        m.grad = c.grad = None
        error.backward()
        m.data -= lr * m.grad  # the notes' update: m ← m − η ∂E/∂m
        c.data -= lr * c.grad
        errors.append(error.item())
        path.append((m.item(), c.item()))
    return m.item(), c.item(), errors, np.array(path)


def to_original_units(
    m: float, c: float, sx: MinMaxScaler, sy: MinMaxScaler
) -> tuple[float, float]:
    """The line ŷ' = m·x' + c on scaled data, written as y = M·x + C in the data's units.

    With x' = (x − x_min)/x_range and y = y_min + y_range·ŷ':
    M = m·y_range/x_range and C = y_min + y_range·(c − m·x_min/x_range).
    """
    assert sx.shift_ is not None and sx.scale_ is not None
    assert sy.shift_ is not None and sy.scale_ is not None
    x_min, x_range = float(sx.shift_[0]), float(sx.scale_[0])
    y_min, y_range = float(sy.shift_[0]), float(sy.scale_[0])
    return m * y_range / x_range, y_min + y_range * (c - m * x_min / x_range)


def main(argv: Sequence[str] | None = None) -> int:
    """Scale, fit, convert back, report, draw."""
    p = _common.parser(__doc__)
    p.add_argument("--steps", type=int, default=2000, help="gradient-descent steps (2000)")
    p.add_argument("--lr", type=float, default=0.5, help="learning rate η (0.5)")
    args = p.parse_args(argv)
    out = _common.out_dir(args.out)

    x, y = make_data()
    sx, sy = MinMaxScaler().fit(x), MinMaxScaler().fit(y)
    xs, ys = sx.transform(x), sy.transform(y)
    m_s, c_s, errors, path = gradient_descent(xs, ys, args.lr, args.steps)
    m, c = to_original_units(m_s, c_s, sx, sy)
    ls_m, ls_c = np.polyfit(x[:, 0], y[:, 0], 1)

    print(f"{len(x)} flats, sizes {x.min():.0f}–{x.max():.0f} m², rents scaled to [0, 1]")
    print(f"gradient descent, η = {args.lr}, {args.steps} steps, from m = C = 0:")
    print(f"  scaled:   m' = {m_s:.6f}   C' = {c_s:.6f}   error {errors[0]:.5f} → {errors[-1]:.6f}")
    print(f"  original: m  = {m:.4f} €/m²   C = {c:.2f} €")
    print(f"  least squares (np.polyfit): m = {ls_m:.4f}   C = {ls_c:.2f}")
    print(f"  the line the data came from: m = {TRUE_M}   C = {TRUE_C}")

    wrote: list[Path] = []
    plt = _common.pyplot()
    if plt is not None:
        fig = draw(plt, x, y, (m, c), errors, path, xs, ys)
        wrote.append(_common.save(plt, fig, out / "regression.png"))
    _common.report(wrote)
    return 0


def draw(
    plt: Any,
    x: np.ndarray,
    y: np.ndarray,
    line: tuple[float, float],
    errors: list[float],
    path: np.ndarray,
    xs: np.ndarray,
    ys: np.ndarray,
) -> Any:
    """Data and fitted line; error per step; the descent's path over the error's contours."""
    m, c = line
    fig, (left, mid, right) = plt.subplots(1, 3, figsize=(15, 4.3))
    left.scatter(x, y, s=16, color="#555555", label="flats")
    grid = np.linspace(x.min(), x.max(), 2)
    left.plot(grid, m * grid + c, color="#b2182b", lw=2, label=f"y = {m:.2f}·x + {c:.0f}")
    left.plot(grid, TRUE_M * grid + TRUE_C, ":", color="k", label="the line behind the data")
    left.set_xlabel("size (m²)")
    left.set_ylabel("rent (€/month)")
    left.set_title("fitted line, original units")
    left.legend()
    mid.plot(range(1, len(errors) + 1), errors, color="#2166ac")
    mid.set_xscale("log")
    mid.set_yscale("log")
    mid.set_xlabel("step")
    mid.set_ylabel("mean squared error (scaled)")
    mid.set_title("error over gradient descent")
    # The error as a function of (m', C') on the scaled data, and the path taken across it.
    ms = np.linspace(min(path[:, 0].min(), 0) - 0.2, path[:, 0].max() + 0.3, 120)
    cs = np.linspace(path[:, 1].min() - 0.3, path[:, 1].max() + 0.3, 120)
    gm, gc = np.meshgrid(ms, cs)
    surface = ((gm[..., None] * xs[:, 0] + gc[..., None] - ys[:, 0]) ** 2).mean(axis=-1)
    right.contour(gm, gc, surface, levels=np.geomspace(surface.min() + 1e-4, surface.max(), 15))
    right.plot(path[:, 0], path[:, 1], ".-", color="#b2182b", ms=2, lw=1)
    right.plot(*path[0], "ko")
    right.plot(*path[-1], "r*", ms=12)
    right.set_xlabel("m' (scaled slope)")
    right.set_ylabel("C' (scaled intercept)")
    right.set_title("path across the error surface")
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    sys.exit(main())
