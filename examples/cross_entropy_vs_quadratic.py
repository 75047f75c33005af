"""Cross-entropy learns fast when a sigmoid neuron is badly wrong; the quadratic cost does not.

    python examples/cross_entropy_vs_quadratic.py [--out DIR] [--epochs N]

The notes' experiment: one sigmoid neuron a = σ(w·x + b) with input x = 1 and target
y = 0, starting at w = b = 2.0 (so a = σ(4) ≈ 0.98: badly wrong), trained by gradient
descent with learning rates 0.15 and 0.005, once on the quadratic cost C = ½(a − y)² and
once on the cross-entropy C = −[y ln a + (1 − y) ln(1 − a)].

The quadratic cost's gradient carries σ'(z), which is tiny when the neuron saturates:
∂C/∂w = (a − y)·σ'(z)·x. Cross-entropy cancels it: ∂C/∂w = (a − y)·x. So the quadratic
cost starts on a plateau and cross-entropy does not. Writes
``cross_entropy_vs_quadratic.png`` (the cost of each run and the neuron's output over
the epochs) and prints the first gradients and a table of costs.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import _common

from autodiff import Value

X, Y = 1.0, 0.0
W0 = B0 = 2.0
RATES = (0.15, 0.005)


def quadratic(a: Value, y: float) -> Value:
    """½(a − y)²."""
    return 0.5 * (a - y) ** 2


def cross_entropy(a: Value, y: float) -> Value:
    """−[y ln a + (1 − y) ln(1 − a)] (the terms with a zero factor are left out)."""
    loss = Value(0.0)
    if y:
        loss = loss - y * a.log()
    if 1 - y:
        loss = loss - (1 - y) * (1 - a).log()
    return loss


COSTS: dict[str, Callable[[Value, float], Value]] = {
    "quadratic": quadratic,
    "cross-entropy": cross_entropy,
}


def train(cost: Callable[[Value, float], Value], lr: float, epochs: int) -> dict[str, list[float]]:
    """Gradient descent on one neuron; per epoch the cost, the output and ∂C/∂w (before the step).

    >>> run = train(quadratic, 0.15, 2)
    >>> [round(c, 4) for c in run["cost"]]
    [0.4822, 0.4821]
    """
    w, b = Value(W0, label="w"), Value(B0, label="b")
    run: dict[str, list[float]] = {"cost": [], "output": [], "dC/dw": []}
    for _ in range(epochs):
        a = (w * X + b).sigmoid()
        c = cost(a, Y)
        w.grad = b.grad = 0.0
        c.backward()
        run["cost"].append(c.data)
        run["output"].append(a.data)
        run["dC/dw"].append(w.grad)
        w.data -= lr * w.grad
        b.data -= lr * b.grad
    return run


def main(argv: Sequence[str] | None = None) -> int:
    """Run the four trainings (two costs × two rates), print the lesson, draw the curves."""
    p = _common.parser(__doc__)
    p.add_argument("--epochs", type=int, default=300, help="epochs per run (default 300)")
    args = p.parse_args(argv)
    out = _common.out_dir(args.out)

    runs = {(name, lr): train(f, lr, args.epochs) for name, f in COSTS.items() for lr in RATES}

    a0 = runs["quadratic", RATES[0]]["output"][0]
    print(f"one sigmoid neuron, x = {X}, target {Y}, w = b = {W0}: output σ(4) = {a0:.4f}")
    print("first gradient ∂C/∂w (same for both rates):")
    print(f"  quadratic     (a − y)·σ'(z)·x = {runs['quadratic', RATES[0]]['dC/dw'][0]:.6f}")
    print(f"  cross-entropy (a − y)·x       = {runs['cross-entropy', RATES[0]]['dC/dw'][0]:.6f}")
    shrink = runs["cross-entropy", RATES[0]]["dC/dw"][0] / runs["quadratic", RATES[0]]["dC/dw"][0]
    print(f"  σ'(4) = {1 / shrink:.4f} makes the quadratic cost's gradient {shrink:.0f}× smaller:")
    print("  it starts on a plateau, however wrong the neuron is.\n")

    marks = sorted({0, 25, 50, 100, 200, args.epochs - 1} & set(range(args.epochs)))
    print(f"{'cost':<14}{'lr':>7}  " + "".join(f"{'ep ' + str(m + 1):>10}" for m in marks))
    for (name, lr), run in runs.items():
        cells = "".join(f"{run['cost'][m]:>10.4f}" for m in marks)
        print(f"{name:<14}{lr:>7}  {cells}")
    print("\nneuron output after the last epoch (target 0):")
    for (name, lr), run in runs.items():
        print(f"  {name:<14} lr {lr:<6} a = {run['output'][-1]:.4f}")

    wrote: list[Path] = []
    plt = _common.pyplot()
    if plt is not None:
        wrote.append(draw(plt, runs, out / "cross_entropy_vs_quadratic.png"))
    _common.report(wrote)
    return 0


def draw(plt: Any, runs: dict[tuple[str, float], dict[str, list[float]]], path: Path) -> Path:
    """Three panels: quadratic cost, cross-entropy cost, the neuron's output; one line per rate."""
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    styles = {RATES[0]: "-", RATES[1]: "--"}
    colours = {"quadratic": "#b2182b", "cross-entropy": "#2166ac"}
    for ax, name in zip(axes[:2], COSTS, strict=True):
        for lr in RATES:
            run = runs[name, lr]
            epochs = range(1, len(run["cost"]) + 1)
            ax.plot(epochs, run["cost"], styles[lr], color=colours[name], label=f"η = {lr}")
        ax.set_title(f"{name} cost")
        ax.set_xlabel("epoch")
        ax.set_ylabel("cost")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend()
    out_ax = axes[2]
    for (name, lr), run in runs.items():
        epochs = range(1, len(run["output"]) + 1)
        out_ax.plot(
            epochs, run["output"], styles[lr], color=colours[name], label=f"{name}, η = {lr}"
        )
    out_ax.set_title("neuron output a (target 0)")
    out_ax.set_xlabel("epoch")
    out_ax.set_ylim(0, 1)
    out_ax.grid(alpha=0.3)
    out_ax.legend(fontsize="small")
    fig.suptitle("one sigmoid neuron, input 1 → target 0, starting at w = b = 2")
    fig.tight_layout()
    return _common.save(plt, fig, path)


if __name__ == "__main__":
    sys.exit(main())
