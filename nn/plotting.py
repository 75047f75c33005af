"""Pictures of training: learning curves and gradient flow (every matplotlib import of nn).

Each function saves to ``path`` when given (format from the extension) and returns the
figure. matplotlib comes with the ``plot`` extra; without it the error says so.

- ``plot_history``: training and validation curves, one panel per quantity;
- ``plot_gradient_flow``: each layer's gradient norm over training, and per layer the
  median with its range — points on a log axis, never bars (a bar on a log axis starts
  at an arbitrary floor, so its length means nothing);
- ``plot_activations``: makemore's histograms of each activation layer's outputs and of
  the gradients reaching them, one line per layer;
- ``plot_update_ratios``: log10(std(update) / std(weight)) per weight over training,
  with the guide line at -3.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def pyplot(what: str, path: Any) -> Any:
    """matplotlib.pyplot, headless when writing to a file; a clear error without it."""
    try:
        import matplotlib

        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - depends on the extra
        raise ImportError(f"{what} needs matplotlib: pip install 'autodiff[plot]'") from err
    return plt


def _finish(plt: Any, fig: Any, path: Any, title: str | None = None) -> Any:
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def plot_history(history: Any, path: Any = None) -> Any:
    """Training and validation curves of a ``History``, one panel per quantity."""
    plt = pyplot("History.plot", path)
    names = [n for n in history.history if not n.startswith("val_")]
    names += [n[4:] for n in history.history if n.startswith("val_") and n[4:] not in names]
    fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5), squeeze=False)
    epochs = [e + 1 for e in history.epoch]
    marker = "o" if len(epochs) <= 40 else None  # dots help a short run, clutter a long one
    for ax, name in zip(axes[0], names, strict=True):
        for key, style in ((name, "-"), (f"val_{name}", "--")):
            if key in history.history:
                ax.plot(epochs, history.history[key], style, marker=marker, ms=3, label=key)
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend()
    return _finish(plt, fig, path)


def _colours(plt: Any, n: int) -> Any:
    return plt.cm.viridis(np.linspace(0, 0.9, max(n, 1)))


def plot_gradient_flow(
    flow: Any, path: Any = None, title: str | None = None, log: bool = True
) -> Any:
    """Per-layer gradient norms of a ``GradientFlow``.

    Left: each layer's norm against the step, input layers in cool colours. Right: per
    layer, input to output, the median norm as a point with a line from the smallest to
    the largest recorded norm — on a log axis when ``log`` (a vanishing stack is a
    straight descent), else on a linear axis from 0.
    """
    plt = pyplot("plot_gradient_flow", path)
    if not flow.layers or not flow.steps:
        raise ValueError("the GradientFlow has recorded nothing yet: train with it as a callback")
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    colours = _colours(plt, len(flow.layers))
    floor = 1e-30  # a zero norm still has a place on a log axis
    for name, colour in zip(flow.layers, colours, strict=True):
        values = np.asarray(flow.grad_norms[name], dtype=float)
        if log:
            values = np.maximum(values, floor)
        left.plot(flow.steps[: len(values)], values, color=colour, label=name, lw=1.2)
    left.set_xlabel("step")
    left.set_ylabel("gradient norm")
    left.set_title("gradient norm per layer over training")
    left.legend(fontsize="small", ncol=2)
    norms = [np.asarray(flow.grad_norms[n], dtype=float) for n in flow.layers]
    medians = np.array([np.median(v) for v in norms])
    low = np.array([v.min() for v in norms])
    high = np.array([v.max() for v in norms])
    if log:
        medians, low, high = (np.maximum(a, floor) for a in (medians, low, high))
    x = np.arange(len(medians))
    right.vlines(x, low, high, colors=colours, lw=2, alpha=0.5, label="min – max")
    right.scatter(x, medians, c=colours, s=40, zorder=3, label="median")
    if log:
        left.set_yscale("log")
        right.set_yscale("log")
    else:
        left.set_ylim(bottom=0)
        right.set_ylim(bottom=0)
    right.set_xticks(x, flow.layers, rotation=45, ha="right", fontsize="small")
    right.set_ylabel("gradient norm")
    right.set_title("per layer, input → output")
    right.grid(alpha=0.3, which="both")
    right.legend(fontsize="small")
    return _finish(plt, fig, path, title)


def plot_activations(flow: Any, path: Any = None, title: str | None = None) -> Any:
    """Histograms of each activation layer's outputs (left) and of the gradients reaching
    them (right) at the last recorded step, one line per layer, as makemore draws them;
    the legend gives each layer's mean, std and saturated or dead share."""
    plt = pyplot("plot_activations", path)
    if not flow.activation_histograms:
        raise ValueError(
            "the GradientFlow has recorded no activation layer (Tanh, Sigmoid, ReLU, "
            "LeakyReLU modules) yet"
        )
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.2))
    names = list(flow.activation_histograms)
    colours = _colours(plt, len(names))
    for name, colour in zip(names, colours, strict=True):
        counts, edges = flow.activation_histograms[name]
        centres = (edges[:-1] + edges[1:]) / 2
        stats = {k: v[-1] for k, v in flow.activations[name].items()}
        share = "saturated" if "saturated" in stats else "dead"
        label = (
            f"{name}: mean {stats['mean']:+.2f}, std {stats['std']:.2f}, "
            f"{share} {100 * stats[share]:.1f}%"
        )
        left.plot(centres, counts, color=colour, label=label)
        if name in flow.gradient_histograms:
            g_counts, g_edges = flow.gradient_histograms[name]
            right.plot((g_edges[:-1] + g_edges[1:]) / 2, g_counts, color=colour, label=name)
    left.set_title("activation distribution")
    right.set_title("gradient distribution")
    left.legend(fontsize="x-small")
    right.legend(fontsize="x-small")
    right.ticklabel_format(axis="x", style="sci", scilimits=(-2, 2))
    return _finish(plt, fig, path, title)


def plot_update_ratios(flow: Any, path: Any = None, title: str | None = None) -> Any:
    """log10(std(update) / std(weight)) of each weight over training, with the 1e-3 guide."""
    plt = pyplot("plot_update_ratios", path)
    if not flow.update_to_data:
        raise ValueError("the GradientFlow has recorded no update yet")
    fig, ax = plt.subplots(figsize=(9, 4.2))
    names = list(flow.update_to_data)
    for name, colour in zip(names, _colours(plt, len(names)), strict=True):
        values = flow.update_to_data[name]
        ax.plot(flow.steps[: len(values)], values, color=colour, label=name)
    ax.axhline(-3, color="black", ls="--", lw=1, label="1e-3 (a healthy rate)")
    ax.set_xlabel("step")
    ax.set_ylabel("log10(std(update) / std(weight))")
    ax.set_title("update-to-data ratio")
    ax.legend(fontsize="x-small", ncol=2)
    return _finish(plt, fig, path, title)


__all__ = [
    "plot_activations",
    "plot_gradient_flow",
    "plot_history",
    "plot_update_ratios",
    "pyplot",
]
