"""Gradient-flow diagnostics: which layers' gradients vanish or explode, which ReLUs are dead.

``GradientFlow`` is a ``fit`` callback that records, every few steps, the gradient norm
of each layer and the size of each update relative to the weights (about 1e-3 is
healthy). ``plot_gradient_flow`` turns the record into a picture read at a glance;
``dead_relu_fraction`` finds ReLU units that never fire on a batch.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from autodiff import Tensor, toposort

from .training import Callback, TrainingState, pyplot


def _layer_of(name: str) -> str:
    """``layers.3.weight`` → ``layers.3``: a layer is what its parameters share."""
    return name.rsplit(".", 1)[0] if "." in name else name


def layer_groups(model: Any) -> dict[str, list[Any]]:
    """Trainable parameters grouped by layer, in the model's order (input → output)."""
    groups: dict[str, list[Any]] = {}
    for name, p in model.named_parameters():
        groups.setdefault(_layer_of(name), []).append(p)
    return groups


def _norm(arrays: Iterable[Any]) -> float:
    total = 0.0
    for a in arrays:
        if a is None:
            continue
        a = np.asarray(a, dtype=np.float64)
        total += float(np.vdot(a, a))
    return math.sqrt(total)


class GradientFlow(Callback):
    """Record each layer's gradient norm and update ratio during ``fit``.

    Warns (a ``RuntimeWarning``, once per layer and kind) when a layer's gradients

    - vanish at that layer: its norm is below ``vanish`` (1e-7) times that of the
      layer above it (dead ReLUs, saturated units: the flow is cut there);
    - vanish on the way down: its norm is below ``vanish_total`` (1e-4) times that of
      the output layer, whose gradient comes straight from the loss. A deep sigmoid
      stack loses a factor of 4 or more per layer (σ' ≤ 1/4): none of the steps is
      dramatic, but ten of them leave the first layer ~1e-5 of the last;
    - explode: the norm exceeds ``explode`` (1e3) or is not finite.

    >>> flow = GradientFlow(every=1)
    >>> flow.layers
    []
    """

    def __init__(
        self,
        every: int = 1,
        vanish: float = 1e-7,
        explode: float = 1e3,
        warn: bool = True,
        vanish_total: float = 1e-4,
    ) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        self.every, self.vanish, self.explode, self.warn = every, vanish, explode, warn
        self.vanish_total = vanish_total
        self.layers: list[str] = []
        self.steps: list[int] = []
        self.grad_norms: dict[str, list[float]] = {}
        self.update_ratios: dict[str, list[float]] = {}
        self._groups: dict[str, list[Any]] = {}
        self._before: dict[str, list[np.ndarray]] | None = None
        self._warned: set[tuple[str, str]] = set()

    def on_train_begin(self, state: TrainingState) -> None:
        self._groups = layer_groups(state.model)
        self.layers = list(self._groups)
        for name in self.layers:
            self.grad_norms.setdefault(name, [])
            self.update_ratios.setdefault(name, [])

    def record(self, model: Any, step: int) -> None:
        """Record the gradients now on ``model`` (usable without ``fit``)."""
        if not self._groups:
            self._groups = layer_groups(model)
            self.layers = list(self._groups)
            for name in self.layers:
                self.grad_norms.setdefault(name, [])
                self.update_ratios.setdefault(name, [])
        self.steps.append(step)
        norms = []
        for name, params in self._groups.items():
            n = _norm(_grad(p) for p in params)
            self.grad_norms[name].append(n)
            norms.append(n)
        if self.warn:
            self._check(norms)

    def on_after_backward(self, state: TrainingState) -> None:
        if state.step % self.every:
            return
        self.record(state.model, state.step)
        self._before = {
            name: [np.array(_data(p), dtype=np.float64) for p in params]
            for name, params in self._groups.items()
        }

    def on_batch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        if self._before is None:
            return
        for name, params in self._groups.items():
            old = self._before[name]
            change = _norm(
                np.asarray(_data(p), dtype=np.float64) - o for p, o in zip(params, old, strict=True)
            )
            size = _norm(old)
            self.update_ratios[name].append(change / size if size else math.inf)
        self._before = None

    def _check(self, norms: list[float]) -> None:
        out_name, out_norm = self.layers[-1], norms[-1]
        for i, (name, n) in enumerate(zip(self.layers, norms, strict=True)):
            if not math.isfinite(n) or n > self.explode:
                self._once(
                    name, "explode", f"gradient of layer {name!r} is exploding (norm {n:.3g})"
                )
            if i + 1 == len(norms):
                continue
            above = norms[i + 1]
            if above > 0 and n < self.vanish * above:
                self._once(
                    name,
                    "vanish",
                    f"gradient of layer {name!r} is vanishing: norm {n:.3g}, "
                    f"{n / above:.1e} of layer {self.layers[i + 1]!r} above it",
                )
            elif math.isfinite(out_norm) and out_norm > 0 and n < self.vanish_total * out_norm:
                self._once(
                    name,
                    "vanish",
                    f"gradient of layer {name!r} is vanishing: norm {n:.3g}, "
                    f"{n / out_norm:.1e} of output layer {out_name!r}'s norm",
                )

    def _once(self, name: str, kind: str, message: str) -> None:
        if (name, kind) not in self._warned:
            self._warned.add((name, kind))
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    def summary(self) -> str:
        """A table: per layer, the median gradient norm and update ratio."""
        rows = [f"{'layer':<20} {'grad norm':>12} {'update/weight':>14}"]
        for name in self.layers:
            g = self.grad_norms[name]
            u = self.update_ratios[name]
            gm = f"{np.median(g):.3e}" if g else "-"
            um = f"{np.median(u):.3e}" if u else "-"
            rows.append(f"{name:<20} {gm:>12} {um:>14}")
        return "\n".join(rows)


def _grad(p: Any) -> Any:
    g = p.grad
    if g is None:
        return None
    return g.data if isinstance(g, Tensor) else g


def _data(p: Any) -> Any:
    return p.data


def dead_relu_fraction(model: Any, X: Any) -> dict[str, float]:
    """For each ReLU in ``model`` (in forward order), the share of its units that output 0
    for every row of ``X`` — units that get no gradient at all on this data.

    Found by walking the graph of one forward pass, so any model built from Tensor ops
    works.

    >>> import numpy as np, nn
    >>> model = nn.MLP([3, 4, 2], rng=np.random.default_rng(0))
    >>> list(dead_relu_fraction(model, np.ones((5, 3))))
    ['relu 1']
    """
    was_training = getattr(model, "training", False)
    model.eval()  # the units as the trained model uses them: no dropout
    try:
        out = model(Tensor(np.asarray(X, dtype=float)))
    finally:
        if was_training:
            model.train()
    relus = [n for n in toposort(out) if n.op == "relu"]
    result = {}
    for i, node in enumerate(relus, start=1):
        act = np.asarray(node.data)
        units = act.reshape(act.shape[0], -1) if act.ndim > 1 else act.reshape(1, -1)
        result[f"relu {i}"] = float(np.mean(np.all(units <= 0, axis=0)))
    return result


def plot_gradient_flow(flow: GradientFlow, path: Any = None, title: str | None = None) -> Any:
    """Draw per-layer gradient magnitudes over training (needs matplotlib).

    Left: each layer's gradient norm against the step, on a log scale, early layers in
    cool colours; right: the median per layer, input to output, so a vanishing stack
    shows as a staircase. Saves to ``path`` when given; returns the figure.
    """
    plt = pyplot("plot_gradient_flow", path)
    if not flow.layers or not flow.steps:
        raise ValueError("the GradientFlow has recorded nothing yet: train with it as a callback")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(flow.layers)))
    floor = 1e-30  # a zero norm still has a place on a log axis
    for name, colour in zip(flow.layers, colours, strict=True):
        values = np.maximum(np.asarray(flow.grad_norms[name]), floor)
        left.plot(flow.steps[: len(values)], values, color=colour, label=name, lw=1.2)
    left.set_yscale("log")
    left.set_xlabel("step")
    left.set_ylabel("gradient norm")
    left.set_title("gradient norm per layer over training")
    left.legend(fontsize="small", ncol=2)
    medians = [max(float(np.median(flow.grad_norms[n])), floor) for n in flow.layers]
    right.bar(range(len(medians)), medians, color=colours)
    right.set_yscale("log")
    right.set_xticks(range(len(medians)), flow.layers, rotation=45, ha="right", fontsize="small")
    right.set_ylabel("median gradient norm")
    right.set_title("input → output")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
