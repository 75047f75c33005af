"""Newton's method with ``hessian`` against gradient descent on a badly conditioned function.

Rosenbrock's valley f(x, y) = (1 − x)² + 100·(y − x²)², from (−1.2, 1): the valley floor
is curved and 100 times steeper across than along, so gradient descent must take tiny
steps and creeps, while Newton's step −H⁻¹∇f rescales each direction by its curvature.

    python examples/newton.py --out out
"""

from __future__ import annotations

import time

import numpy as np
from _common import out_dir, parser, pyplot, report, save

from autodiff import Tensor, grad, hessian

START = np.array([-1.2, 1.0])
TOLERANCE = 1e-8  # stop when the gradient's norm is below this


def rosenbrock(p):  # p: a Tensor of two elements
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def newton(f, start, max_steps=100):
    """Newton's method with a backtracking line search (halve until f decreases)."""
    p, path = start.copy(), [start.copy()]
    df, d2f = grad(f), hessian(f)
    for step in range(1, max_steps + 1):
        g = df(p)
        if np.linalg.norm(g) < TOLERANCE:
            return p, step - 1, path
        direction = -np.linalg.solve(d2f(p), g)
        t, fp = 1.0, float(f_value(f, p))
        while float(f_value(f, p + t * direction)) > fp and t > 1e-8:
            t /= 2
        p = p + t * direction
        path.append(p.copy())
    return p, max_steps, path


def gradient_descent(f, start, lr=1e-3, max_steps=20_000):
    """Plain gradient descent with a fixed learning rate (the largest that is stable here)."""
    p, path = start.copy(), [start.copy()]
    df = grad(f)
    for step in range(1, max_steps + 1):
        g = df(p)
        if np.linalg.norm(g) < TOLERANCE:
            return p, step - 1, path
        p = p - lr * g
        if step % 50 == 0:
            path.append(p.copy())
    return p, max_steps, path


def f_value(f, p):
    """f at a plain point."""
    return f(Tensor(p)).item()


def main() -> None:
    args = parser(__doc__).parse_args()
    folder = out_dir(args.out)
    results = []
    for name, method in (("Newton (hessian)", newton), ("gradient descent", gradient_descent)):
        start = time.perf_counter()
        p, steps, path = method(rosenbrock, START)
        seconds = time.perf_counter() - start
        results.append((name, p, steps, path, seconds))
    print(f"{'method':<20} {'iterations':>10} {'x':>10} {'y':>10} {'f(x, y)':>12} {'seconds':>8}")
    for name, p, steps, _, seconds in results:
        shown = f"{steps}" if steps < 20_000 else f"{steps}+"
        value = f_value(rosenbrock, p)
        print(f"{name:<20} {shown:>10} {p[0]:>10.6f} {p[1]:>10.6f} {value:>12.3e} {seconds:>8.2f}")
    print("(gradient descent stops at 20,000 iterations if its gradient is not yet below 1e-8)")
    plt = pyplot()
    wrote = []
    if plt is not None:
        fig, ax = plt.subplots(figsize=(7, 5))
        xs, ys = np.meshgrid(np.linspace(-1.5, 1.5, 300), np.linspace(-0.5, 1.5, 300))
        zs = (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2
        ax.contour(xs, ys, zs, levels=np.logspace(-1, 3, 15), cmap="Greys", linewidths=0.6)
        for (name, _, steps, path, _), colour in zip(results, ("tab:red", "tab:blue"), strict=True):
            pts = np.array(path)
            ax.plot(pts[:, 0], pts[:, 1], "o-", ms=3, color=colour, label=f"{name}: {steps} it.")
        ax.plot(1, 1, "k*", ms=12, label="minimum (1, 1)")
        ax.set_title("Rosenbrock's valley: Newton vs gradient descent")
        ax.legend()
        wrote.append(save(plt, fig, folder / "newton_vs_gd.png"))
    report(wrote)


if __name__ == "__main__":
    main()
