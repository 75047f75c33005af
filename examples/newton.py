"""Newton's method with ``hessian`` against gradient descent on a badly conditioned function.

Rosenbrock's valley f(x, y) = (1 − x)² + 100·(y − x²)², from (−1.2, 1): the valley floor
is curved and about 100 times steeper across than along, so gradient descent must take
small steps (a larger rate diverges) and creeps along the floor, while Newton's step
−H⁻¹∇f rescales each direction by its curvature. Prints how many iterations each needs
to bring f below a few thresholds, side by side, and draws both paths.

    python examples/newton.py --out out
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from _common import out_dir, parser, pyplot, report, save

from autodiff import Tensor, grad, hessian

START = np.array([-1.2, 1.0])
TOLERANCE = 1e-8  # converged: the gradient's norm is below this
THRESHOLDS = (1e-1, 1e-3, 1e-5, 1e-8, 1e-12)  # f's minimum is 0, at (1, 1)
GD_RATE = 1e-3  # about the largest fixed rate that does not diverge from START
GD_STEPS = 20_000

Iterates = list[np.ndarray]


def rosenbrock(p: Tensor) -> Tensor:
    """Rosenbrock's function of a two-element Tensor.

    >>> rosenbrock(Tensor([1.0, 1.0])).item()
    0.0
    """
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def value(f: Callable[[Tensor], Tensor], p: np.ndarray) -> float:
    """f at a plain point, as a float."""
    return float(f(Tensor(p)).item())


def newton(f: Callable[[Tensor], Tensor], start: np.ndarray, max_steps: int = 100) -> Iterates:
    """Newton's method with a backtracking line search (halve the step until f decreases).

    >>> path = newton(rosenbrock, START)
    >>> len(path) - 1, np.allclose(path[-1], [1.0, 1.0])
    (21, True)
    """
    p, path = start.copy(), [start.copy()]
    df, d2f = grad(f), hessian(f)
    for _ in range(max_steps):
        g = df(p)
        if np.linalg.norm(g) < TOLERANCE:
            break
        direction = -np.linalg.solve(d2f(p), g)
        t, fp = 1.0, value(f, p)
        while value(f, p + t * direction) > fp and t > 1e-8:
            t /= 2
        p = p + t * direction
        path.append(p)
    return path


def gradient_descent(
    f: Callable[[Tensor], Tensor], start: np.ndarray, lr: float = GD_RATE, max_steps: int = GD_STEPS
) -> Iterates:
    """Gradient descent with a fixed learning rate; every iterate, the start included.

    >>> path = gradient_descent(rosenbrock, START, max_steps=100)
    >>> len(path), value(rosenbrock, path[-1]) < value(rosenbrock, START)
    (101, True)
    """
    p, path = start.copy(), [start.copy()]
    df = grad(f)
    for _ in range(max_steps):
        g = df(p)
        if np.linalg.norm(g) < TOLERANCE:
            break
        p = p - lr * g
        path.append(p)
    return path


def iterations_to(values: Sequence[float], threshold: float) -> int | None:
    """The first iteration at which f is below ``threshold`` (None: never).

    >>> iterations_to([5.0, 0.5, 0.01], 0.1)
    2
    """
    for i, v in enumerate(values):
        if v < threshold:
            return i
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run both methods from START, print the table, draw the paths."""
    p = parser(__doc__)
    p.add_argument(
        "--gd-steps", type=int, default=GD_STEPS, help=f"most gradient descent steps ({GD_STEPS})"
    )
    args = p.parse_args(argv)
    folder = out_dir(args.out)
    runs: dict[str, tuple[Iterates, list[float], float]] = {}
    methods: dict[str, Callable[[], Iterates]] = {
        "Newton (hessian)": lambda: newton(rosenbrock, START),
        "gradient descent": lambda: gradient_descent(rosenbrock, START, max_steps=args.gd_steps),
    }
    for name, method in methods.items():
        began = time.perf_counter()
        path = method()
        seconds = time.perf_counter() - began
        runs[name] = (path, [value(rosenbrock, p) for p in path], seconds)

    names = list(runs)
    print("Rosenbrock's valley from (-1.2, 1); iterations until f(x, y) is below:")
    print(f"{'f below':>12}" + "".join(f"{n:>20}" for n in names))
    for threshold in THRESHOLDS:
        cells = []
        for n in names:
            found = iterations_to(runs[n][1], threshold)
            cells.append(f"> {len(runs[n][0]) - 1:,}" if found is None else f"{found:,}")
        print(f"{threshold:>12.0e}" + "".join(f"{c:>20}" for c in cells))
    print(f"{'|∇f| < 1e-8':>12}" + "".join(f"{_converged(runs[n][0]):>20}" for n in names))
    print()
    for n in names:
        path, values, seconds = runs[n]
        x, y = path[-1]
        print(
            f"{n:<18} ends at ({x:.6f}, {y:.6f}), f = {values[-1]:.3e}, "
            f"{len(path) - 1:,} iterations in {seconds:.2f} s"
        )
    print(f"(gradient descent: fixed rate {GD_RATE}, at most {args.gd_steps:,} iterations)")

    plt = pyplot()
    wrote = []
    if plt is not None:
        wrote.append(draw(plt, runs, folder / "newton_vs_gd.png"))
    report(wrote)
    return 0


def _converged(path: Iterates) -> str:
    """The iteration count if the run ended with a gradient below TOLERANCE, else "no"."""
    small = np.linalg.norm(grad(rosenbrock)(path[-1])) < TOLERANCE
    return f"{len(path) - 1:,}" if small else f"no, {len(path) - 1:,}"


def draw(plt: Any, runs: dict[str, tuple[Iterates, list[float], float]], path: Any) -> Any:
    """Both paths over the contours of f; gradient descent's every 200th iterate."""
    fig, ax = plt.subplots(figsize=(7, 5))
    xs, ys = np.meshgrid(np.linspace(-1.5, 1.5, 300), np.linspace(-0.5, 1.5, 300))
    zs = (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2
    ax.contour(xs, ys, zs, levels=np.logspace(-1, 3, 15), cmap="Greys", linewidths=0.6)
    for (name, (points, _, _)), colour in zip(runs.items(), ("tab:red", "tab:blue"), strict=True):
        shown = np.array(points if len(points) < 500 else [*points[::200], points[-1]])
        label = f"{name}: {len(points) - 1:,} iterations"
        ax.plot(shown[:, 0], shown[:, 1], "o-", ms=3, color=colour, label=label)
    ax.plot(1, 1, "k*", ms=12, label="minimum (1, 1)")
    ax.set_title("Rosenbrock's valley: Newton vs gradient descent")
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.legend(loc="lower right")
    return save(plt, fig, path)


if __name__ == "__main__":
    raise SystemExit(main())
