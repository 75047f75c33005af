"""Gradient-flow diagnostics: which layers' gradients vanish or explode, which ReLUs are dead.

``GradientFlow`` records, every few steps of ``fit`` (as a callback) or of a loop of
your own (``begin_step`` / ``after_backward`` / ``after_update``), what makemore's
part 3 teaches to look at:

- per activation layer (Tanh, Sigmoid, ReLU, LeakyReLU): the mean and std of its
  outputs, the share saturated (tanh: |t| > 0.97; sigmoid: within 0.03 of 0 or 1) or
  dead (ReLU: units at 0 on every row of the batch), a histogram of its outputs and one
  of the gradients reaching them;
- per layer of parameters: the gradient norm, and per weight matrix the update-to-data
  ratio log10(std(update) / std(weight)) — around -3 is healthy, much lower learns
  slowly, much higher thrashes.

``nn.plotting`` draws the record (``plot_gradient_flow``, ``plot_activations``,
``plot_update_ratios``); ``dead_relu_fraction`` finds ReLU units that never fire on data.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from autodiff import Tensor, toposort
from autodiff.viz import modules as module_trace

from .callbacks import Callback, TrainingState
from .layers import LeakyReLU, ReLU, Sigmoid, Tanh
from .plotting import plot_activations, plot_gradient_flow, plot_update_ratios

#: How many bins the histograms have.
BINS = 50


def record_modules() -> Any:
    """Record which module made which node during a forward pass, for
    ``draw_graph(loss, by_module=True, model=model)``.

    >>> import numpy as np, nn
    >>> from autodiff import draw_graph
    >>> model = nn.MLP([2, 3, 2], rng=np.random.default_rng(0))
    >>> with record_modules():
    ...     loss = model(np.ones((4, 2))).sum()
    >>> loss.backward(retain_graph=True)
    >>> "layers.0 (Linear)" in draw_graph(loss, by_module=True, model=model).source
    True
    """
    return module_trace.recording()


def activation_stats(kind: str, out: np.ndarray) -> dict[str, float]:
    """Mean, std and the share saturated (tanh, sigmoid) or dead (relu, leaky_relu) of an
    activation layer's outputs ``out`` (rows are samples).

    >>> activation_stats("tanh", np.array([[0.99, 0.0], [-0.5, -0.98]]))["saturated"]
    0.5
    """
    out = np.asarray(out, dtype=np.float64)
    stats = {"mean": float(out.mean()), "std": float(out.std())}
    if kind == "tanh":
        stats["saturated"] = float(np.mean(np.abs(out) > 0.97))
    elif kind == "sigmoid":
        stats["saturated"] = float(np.mean(np.abs(out - 0.5) > 0.47))
    else:  # relu, leaky_relu: a unit is dead on this batch if no row makes it positive
        units = out.reshape(out.shape[0], -1) if out.ndim > 1 else out.reshape(1, -1)
        stats["dead"] = float(np.mean(np.all(units <= 0, axis=0)))
    return stats


_KINDS = ((Tanh, "tanh"), (Sigmoid, "sigmoid"), (LeakyReLU, "leaky_relu"), (ReLU, "relu"))


def _kind_of(module: Any) -> str | None:
    for cls, kind in _KINDS:
        if isinstance(module, cls):
            return kind
    return None


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
    """Record gradient norms, update ratios and activation statistics during training.

    As a ``fit`` callback it records every ``every`` steps. In a loop of your own call
    its three moments around the step::

        flow.begin_step(model)            # before the forward pass
        loss = loss_fn(model(x), y); opt.zero_grad(); loss.backward()
        flow.after_backward(model, step)  # gradients and activations
        opt.step()
        flow.after_update()               # how far the weights moved

    ``grad_norms[layer]`` and ``update_ratios[layer]`` (‖update‖ / ‖weights‖) are lists
    over ``steps``; ``update_to_data[weight]`` holds log10(std(update) / std(weight));
    ``activations[layer]`` the mean, std and saturated or dead share of each activation
    layer over ``steps``, ``activation_histograms`` and ``gradient_histograms`` the last
    step's histograms. Warns (a ``RuntimeWarning``, once per layer and kind) when a
    layer's gradients

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
        #: per weight (a parameter of 2 or more dimensions): log10(std(update) / std(weight))
        self.update_to_data: dict[str, list[float]] = {}
        #: per activation layer: lists over the recorded steps of mean, std, saturated/dead
        self.activations: dict[str, dict[str, list[float]]] = {}
        #: per activation layer, at the last recorded step: (counts, bin edges), density
        self.activation_histograms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.gradient_histograms: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.activation_kinds: dict[str, str] = {}
        self._model: Any = None
        self._recording: Any = None
        self._trace: Any = None
        self._weights: dict[str, Any] = {}
        self._before_weights: dict[str, np.ndarray] = {}
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

    # --- the three moments of a step, for fit's hooks or a loop of your own ------------

    def begin_step(self, model: Any) -> None:
        """Before the forward pass: start recording the activation layers' outputs."""
        self._stop_recording()
        self._model = model
        self._recording = module_trace.recording()
        self._trace = self._recording.__enter__()

    def after_backward(self, model: Any, step: int) -> None:
        """After ``backward``, before the update: record gradients and activations, and
        keep the weights to measure the update."""
        self.record(model, step)
        trace = self._stop_recording()
        if trace is not None:
            self._record_activations(model, trace)
        self._before = {
            name: [np.array(_data(p), dtype=np.float64) for p in params]
            for name, params in self._groups.items()
        }
        self._weights = {n: p for n, p in model.named_parameters() if np.ndim(_data(p)) >= 2}
        self._before_weights = {
            n: np.array(_data(p), dtype=np.float64) for n, p in self._weights.items()
        }

    def after_update(self) -> None:
        """After ``optimizer.step()``: record how far each layer and weight moved."""
        if self._before is None:
            return
        for name, params in self._groups.items():
            old = self._before[name]
            change = _norm(
                np.asarray(_data(p), dtype=np.float64) - o for p, o in zip(params, old, strict=True)
            )
            size = _norm(old)
            self.update_ratios[name].append(change / size if size else math.inf)
        for name, p in self._weights.items():
            old_w = self._before_weights[name]
            update = np.asarray(_data(p), dtype=np.float64) - old_w
            spread, moved = float(old_w.std()), float(update.std())
            ratio = moved / spread if spread else math.inf
            self.update_to_data.setdefault(name, []).append(
                math.log10(ratio) if ratio > 0 else -math.inf
            )
        self._before = None
        self._weights, self._before_weights = {}, {}

    def _stop_recording(self) -> Any:
        if self._recording is None:
            return None
        recording, trace = self._recording, self._trace
        self._recording = self._trace = None
        recording.__exit__(None, None, None)
        return trace

    def _record_activations(self, model: Any, trace: Any) -> None:
        names = {id(m): n for n, m in model.named_modules()}
        calls: dict[int, int] = {}
        for call in trace.calls:
            kind = _kind_of(call.owner)
            if kind is None:
                continue
            calls[id(call.owner)] = calls.get(id(call.owner), 0) + 1
            name = names.get(id(call.owner), type(call.owner).__name__)
            if calls[id(call.owner)] > 1:
                name += f" call {calls[id(call.owner)]}"
            out = np.asarray(call.output.data, dtype=np.float64)
            self.activation_kinds[name] = kind
            record = self.activations.setdefault(name, {})
            for key, value in activation_stats(kind, out).items():
                record.setdefault(key, []).append(value)
            self.activation_histograms[name] = np.histogram(out, bins=BINS, density=True)
            grad = _grad(call.output)
            if grad is not None:
                g = np.asarray(grad, dtype=np.float64)
                self.gradient_histograms[name] = np.histogram(g, bins=BINS, density=True)

    def on_batch_begin(self, state: TrainingState) -> None:
        if state.step % self.every == 0:
            self.begin_step(state.model)

    def on_after_backward(self, state: TrainingState) -> None:
        if state.step % self.every:
            return
        self.after_backward(state.model, state.step)

    def on_batch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        self.after_update()

    def on_train_end(self, state: TrainingState) -> None:
        self._stop_recording()

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


__all__ = [
    "GradientFlow",
    "activation_stats",
    "dead_relu_fraction",
    "layer_groups",
    "plot_activations",
    "plot_gradient_flow",
    "plot_update_ratios",
    "record_modules",
]
