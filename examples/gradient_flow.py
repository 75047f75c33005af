"""Gradient flow in a deep tanh MLP, seen the way makemore's part 3 teaches it.

    python examples/gradient_flow.py [--out DIR] [--steps N]

A 10-layer tanh MLP (width 64) learns a synthetic 10-class problem, three times over
with a different first choice only — how its weights start:

- ``naive``: every weight drawn from N(0, 1): the pre-activations are far too wide,
  most tanh units sit at ±1 and pass almost no gradient back;
- ``default``: nn's default for tanh layers (Glorot uniform);
- ``kaiming``: N(0, 1) · (5/3) / √fan_in, the tanh gain makemore uses.

(With BatchNorm1d or LayerNorm in ``nn``, a fourth run normalises each hidden layer.)
A ``GradientFlow`` callback records, at every step, each activation layer's outputs
and the gradients reaching them, and each weight's update-to-data ratio. Writes, per
run, ``gradient_flow_<run>_activations.png`` (histograms, one line per layer),
``gradient_flow_<run>_updates.png`` (log10 update/data with the -3 guide) and
``gradient_flow_<run>_norms.png``; and ``gradient_flow_modules.svg``, a 4-layer model's
graph drawn one node per module with the gradient norm on every edge between modules.
Prints a table: saturated share of the first and last tanh layer, gradient norm of the
first layer relative to the last, final loss.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import _common
import numpy as np

import nn
from autodiff import Tensor, draw_graph
from nn.diagnostics import GradientFlow, record_modules
from nn.plotting import plot_activations, plot_gradient_flow, plot_update_ratios

WIDTH, DEPTH, FEATURES, CLASSES = 64, 10, 20, 10


def dataset(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points around ten random centres in 20 dimensions, labelled by centre."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(CLASSES, FEATURES)) * 1.5
    y = rng.integers(0, CLASSES, size=640)
    return centres[y] + rng.normal(size=(640, FEATURES)), y


def model_for(run: str, seed: int = 0) -> nn.Module:
    """The 10-layer tanh MLP, its weights started as ``run`` says."""
    nn.manual_seed(seed)
    sizes = [FEATURES] + [WIDTH] * (DEPTH - 1) + [CLASSES]
    if run in ("batchnorm", "layernorm"):
        norm = getattr(nn, "BatchNorm1d" if run == "batchnorm" else "LayerNorm")
        layers: list[nn.Module] = []
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i < len(sizes) - 2:
                layers += [norm(sizes[i + 1]), nn.Tanh()]
        return nn.Sequential(*layers)
    model = nn.MLP(sizes, activation="tanh")
    rng = np.random.default_rng(seed)
    for layer in model.layers[::2]:
        fan_in = layer.weight.shape[0]
        if run == "naive":
            layer.weight.data[...] = rng.normal(size=layer.weight.shape)
        elif run == "kaiming":
            layer.weight.data[...] = rng.normal(size=layer.weight.shape) * (5 / 3) / fan_in**0.5
    return model


def runs() -> list[str]:
    """The inits to compare, with the normalisation layers when nn has them."""
    names = ["naive", "default", "kaiming"]
    if hasattr(nn, "BatchNorm1d"):
        names.append("batchnorm")
    if hasattr(nn, "LayerNorm"):
        names.append("layernorm")
    return names


def train(run: str, steps: int) -> tuple[GradientFlow, float]:
    """Train one run for ``steps`` batches of 32; its record and final training loss."""
    X, y = dataset()
    model = model_for(run)
    flow = GradientFlow(warn=False)
    epochs = max(1, steps * 32 // len(X))
    history = nn.fit(
        model,
        nn.losses.cross_entropy,
        nn.optim.SGD(model.parameters(), lr=0.05),
        (X, y),
        epochs=epochs,
        callbacks=[flow],
        progress=False,
        seed=0,
    )
    return flow, history.history["loss"][-1]


def module_graph(out: Path) -> Path:
    """A small model's graph with one node per module and the gradient on its edges."""
    nn.manual_seed(0)
    small = nn.MLP([FEATURES, 16, 16, CLASSES], activation="tanh")
    X, y = dataset()
    with record_modules():
        loss = nn.losses.cross_entropy(small(Tensor(X[:32])), y[:32])
    loss.backward(retain_graph=True)
    graph = draw_graph(loss, by_module="collapse", model=small)
    return _common.save_graph(graph, out / "gradient_flow_modules.svg")


def main(argv: Sequence[str] | None = None) -> int:
    """Train every run, print the table, write the pictures."""
    p = _common.parser(__doc__)
    p.add_argument("--steps", type=int, default=60, help="training steps per run")
    args = p.parse_args(argv)
    out = _common.out_dir(args.out)
    plt = _common.pyplot()
    wrote = []
    print(f"{'run':<10} {'saturated first':>16} {'saturated last':>15} "
          f"{'grad first/last':>16} {'final loss':>11}")  # fmt: skip
    for run in runs():
        flow, loss = train(run, args.steps)
        acts = list(flow.activations)
        first, last = flow.activations[acts[0]], flow.activations[acts[-1]]
        layers = flow.layers
        ratio = np.median(flow.grad_norms[layers[0]]) / np.median(flow.grad_norms[layers[-1]])
        print(
            f"{run:<10} {100 * first['saturated'][-1]:15.1f}% {100 * last['saturated'][-1]:14.1f}% "
            f"{ratio:16.3g} {loss:11.3f}"
        )
        if plt is not None:
            for draw, kind in [
                (plot_activations, "activations"),
                (plot_update_ratios, "updates"),
                (plot_gradient_flow, "norms"),
            ]:
                path = out / f"gradient_flow_{run}_{kind}.png"
                draw(flow, path, title=f"{run} init, {DEPTH}-layer tanh MLP")
                wrote.append(path)
    if not hasattr(nn, "BatchNorm1d") and not hasattr(nn, "LayerNorm"):
        print("(nn has no BatchNorm1d or LayerNorm yet: the normalised runs are left out)")
    wrote.append(module_graph(out))
    _common.report(wrote)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
