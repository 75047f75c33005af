"""The training loop: ``fit`` with progress, metrics, callbacks and early stopping.

One iteration is one batch: forward, loss, backward, update. An epoch is one pass over
the training data. ``fit`` records per-epoch losses and metrics in a ``History`` as
Keras does (``history.history["val_loss"]``), and stops cleanly on Ctrl-C after the
batch under way, returning what it has.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autodiff import Tensor, no_grad

from .data import DataLoader, check_pair

Metric = Callable[[np.ndarray, np.ndarray], float]


def accuracy(pred: np.ndarray, y: np.ndarray) -> float:
    """Share of correct predictions.

    Rows of scores (N, C) are read by argmax; one column or a vector by a threshold
    (0.5 for values in [0, 1], else 0 for logits). Labels are integers or one-hot /
    probability rows.

    >>> import numpy as np
    >>> accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
    0.5
    """
    pred = np.asarray(pred)
    y = np.asarray(y)
    if pred.ndim == 2 and pred.shape[1] > 1:
        guess = pred.argmax(axis=1)
        truth = y.argmax(axis=1) if y.ndim == 2 else y.reshape(-1)
    else:
        p = pred.reshape(-1)
        cut = 0.5 if p.size and p.min() >= 0 and p.max() <= 1 else 0.0
        guess = (p > cut).astype(int)
        truth = y.reshape(-1)
    return float(np.mean(guess == truth))


METRICS: dict[str, Metric] = {"accuracy": accuracy, "acc": accuracy}


def _metric(m: str | Metric) -> tuple[str, Metric]:
    if isinstance(m, str):
        if m not in METRICS:
            raise ValueError(f"unknown metric {m!r}; known: {sorted(METRICS)}, or pass a callable")
        return ("accuracy" if m == "acc" else m), METRICS[m]
    if callable(m):
        return getattr(m, "__name__", "metric"), m
    raise TypeError(f"a metric is a name or a callable(pred, y) -> float, got {m!r}")


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


class History:
    """Per-epoch results of ``fit``: ``history`` maps names to lists, ``epoch`` the epochs.

    >>> h = History()
    >>> h.record(0, {"loss": 1.0})
    >>> h.history, h.epoch
    ({'loss': [1.0]}, [0])
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []
        self.interrupted = False

    def record(self, epoch: int, logs: dict[str, float]) -> None:
        """Append one epoch's numbers."""
        self.epoch.append(epoch)
        for name, value in logs.items():
            self.history.setdefault(name, []).append(float(value))

    def plot(self, path: Any = None) -> Any:
        """Draw training and validation curves, one panel per quantity (needs matplotlib).

        Saves to ``path`` when given (format from the extension) and returns the figure.
        """
        plt = pyplot("History.plot", path)
        names = [n for n in self.history if not n.startswith("val_")]
        names += [n[4:] for n in self.history if n.startswith("val_") and n[4:] not in names]
        fig, axes = plt.subplots(1, len(names), figsize=(5 * len(names), 3.5), squeeze=False)
        epochs = [e + 1 for e in self.epoch]
        marker = "o" if len(epochs) <= 40 else None  # dots help a short run, clutter a long one
        for ax, name in zip(axes[0], names, strict=True):
            for key, style in ((name, "-"), (f"val_{name}", "--")):
                if key in self.history:
                    ax.plot(epochs, self.history[key], style, marker=marker, ms=3, label=key)
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
            plt.close(fig)
        return fig


@dataclass
class TrainingState:
    """What callbacks see and may change (``stop = True`` ends training after this epoch)."""

    model: Any
    optimizer: Any
    history: History
    epoch: int = 0
    step: int = 0
    stop: bool = False
    logs: dict[str, float] = field(default_factory=dict)


class Callback:
    """Hooks into ``fit``; override the ones you need."""

    def on_train_begin(self, state: TrainingState) -> None:
        """Before the first epoch."""

    def on_epoch_begin(self, state: TrainingState) -> None:
        """Before each epoch."""

    def on_after_backward(self, state: TrainingState) -> None:
        """After each backward pass, before the update: gradients are in place."""

    def on_batch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        """After each update; ``logs`` holds the batch loss."""

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        """After each epoch; ``logs`` holds its loss, metrics and validation numbers."""

    def on_train_end(self, state: TrainingState) -> None:
        """After the last epoch (also after an early stop or Ctrl-C)."""


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs.

    ``mode`` "auto" minimises losses and maximises accuracies; with ``restore_best``
    the model gets back the weights of its best epoch.

    >>> EarlyStopping(patience=10).monitor
    'val_loss'
    """

    def __init__(
        self,
        patience: int,
        monitor: str = "val_loss",
        restore_best: bool = True,
        min_delta: float = 0.0,
        mode: str = "auto",
    ) -> None:
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be a non-negative int, got {patience!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if "acc" in monitor else "min"
        self.patience, self.monitor, self.restore_best = patience, monitor, restore_best
        self.min_delta, self.mode = abs(min_delta), mode
        self.best = math.inf if mode == "min" else -math.inf
        self.best_epoch = -1
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._best_state: dict[str, np.ndarray] | None = None

    def _better(self, value: float) -> bool:
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_train_begin(self, state: TrainingState) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch, self.wait, self.stopped_epoch, self._best_state = -1, 0, None, None

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        if self.monitor not in logs:
            raise KeyError(
                f"EarlyStopping monitors {self.monitor!r}, but the epoch logged only "
                f"{sorted(logs)} (pass val=... to fit for validation numbers)"
            )
        value = logs[self.monitor]
        if self._better(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            if self.restore_best:
                self._best_state = state.model.state_dict()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = state.epoch
                state.stop = True

    def on_train_end(self, state: TrainingState) -> None:
        if self.restore_best and self._best_state is not None:
            state.model.load_state_dict(self._best_state)


def _progress_wanted(progress: Any) -> bool:
    if progress == "always":
        return True
    if not progress:
        return False
    return bool(getattr(sys.stdout, "isatty", lambda: False)())


class _Interrupt:
    """Turns the first Ctrl-C into a flag checked after each batch; a second one aborts."""

    def __init__(self) -> None:
        self.requested = False
        self._installed = False
        self._previous: Any = None

    def __enter__(self) -> _Interrupt:
        # Signal handlers can only be set from the main thread; elsewhere Ctrl-C is as usual.
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: Any) -> None:
        if self._installed:
            # None: the previous handler was not set from Python; Python's own is the best guess.
            previous = self._previous if self._previous is not None else signal.default_int_handler
            signal.signal(signal.SIGINT, previous)


def _dtype_of(model: Any) -> Any:
    for p in model.parameters():
        if isinstance(p, Tensor):
            return p.dtype
    return None


def evaluate(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    X: Any,
    y: Any,
    metrics: Sequence[str | Metric] = (),
    batch_size: int = 1024,
) -> dict[str, float]:
    """Loss and metrics of ``model`` on (X, y), in eval mode, recording no graph.

    Returns ``{"loss": ..., "<metric>": ...}``.
    """
    X, y = check_pair(X, y)
    named = [_metric(m) for m in metrics]
    dtype = _dtype_of(model)
    was_training = getattr(model, "training", False)
    model.eval()
    total, preds = 0.0, []
    try:
        with no_grad():
            for start in range(0, len(X), batch_size):
                xb, yb = X[start : start + batch_size], y[start : start + batch_size]
                out = model(Tensor(xb, dtype=dtype))
                total += float(loss_fn(out, yb).data) * len(xb)
                preds.append(out.data)
    finally:
        if was_training:
            model.train()
    logs = {"loss": total / max(len(X), 1)}
    pred = np.concatenate(preds) if preds else np.zeros((0,))
    for name, f in named:
        logs[name] = float(f(pred, y))
    return logs


def fit(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    optimizer: Any,
    train: tuple[Any, Any],
    epochs: int,
    batch_size: int,
    val: tuple[Any, Any] | None = None,
    metrics: Sequence[str | Metric] = (),
    callbacks: Iterable[Callback] = (),
    progress: Any = True,
    seed: Any = None,
) -> History:
    """Train ``model`` on ``train = (X, y)`` and return its ``History``.

    Each epoch shuffles the data (``seed``: an int, a Generator, or None for nn's
    default generator), runs one forward/backward/update per batch, then evaluates on
    ``val`` if given (in batches of ``max(batch_size, 1024)`` rows, no graph kept).
    ``progress=True`` shows a tqdm bar when stdout is a terminal ("always" forces it,
    False hides it). Ctrl-C stops after the current batch.

    >>> import numpy as np, nn
    >>> X = np.random.default_rng(0).normal(size=(64, 2)); y = (X[:, 0] > 0).astype(int)
    >>> model = nn.MLP([2, 8, 2], rng=np.random.default_rng(0))
    >>> opt = nn.optim.SGD(model.parameters(), lr=0.5)
    >>> h = fit(model, nn.losses.cross_entropy, opt, (X, y), epochs=3, batch_size=16,
    ...         metrics=["accuracy"], progress=False, seed=0)
    >>> len(h.history["loss"]), h.epoch
    (3, [0, 1, 2])
    """
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    X, y = check_pair(*train)
    if val is not None:
        val = check_pair(*val)
    named = [_metric(m) for m in metrics]
    loader = DataLoader(X, y, batch_size, shuffle=True, seed=seed)
    callbacks = list(callbacks)
    history = History()
    state = TrainingState(model, optimizer, history)
    dtype = _dtype_of(model)
    show = _progress_wanted(progress)
    eval_batch = max(batch_size, 1024)
    for cb in callbacks:
        cb.on_train_begin(state)
    with _Interrupt() as interrupt:
        try:
            for epoch in range(epochs):
                state.epoch = epoch
                model.train()
                for cb in callbacks:
                    cb.on_epoch_begin(state)
                bar = _bar(len(loader), epoch, epochs) if show else None
                seen, loss_sum, preds, labels = 0, 0.0, [], []
                for xb, yb in loader:
                    out = model(Tensor(xb, dtype=dtype))
                    loss = loss_fn(out, yb)
                    optimizer.zero_grad()
                    loss.backward()
                    for cb in callbacks:
                        cb.on_after_backward(state)
                    optimizer.step()
                    state.step += 1
                    batch_loss = float(loss.data)
                    seen += len(xb)
                    loss_sum += batch_loss * len(xb)
                    if named:
                        preds.append(out.data)
                        labels.append(yb)
                    for cb in callbacks:
                        cb.on_batch_end(state, {"loss": batch_loss})
                    if bar is not None:
                        bar.set_postfix(loss=f"{loss_sum / seen:.4f}", refresh=False)
                        bar.update()
                    if interrupt.requested:
                        break
                logs = {"loss": loss_sum / max(seen, 1)}
                if named and preds:
                    p, t = np.concatenate(preds), np.concatenate(labels)
                    for name, f in named:
                        logs[name] = float(f(p, t))
                if val is not None:
                    # No graph is kept, so batches can be larger than in training: fewer
                    # Python round trips per validation pass.
                    scores = evaluate(model, loss_fn, val[0], val[1], metrics, eval_batch)
                    logs.update({f"val_{k}": v for k, v in scores.items()})
                if bar is not None:
                    bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
                    bar.close()
                history.record(epoch, logs)
                state.logs = logs
                for cb in callbacks:
                    cb.on_epoch_end(state, logs)
                if interrupt.requested:
                    history.interrupted = True
                    break
                if state.stop:
                    break
        finally:
            for cb in callbacks:
                cb.on_train_end(state)
    return history


def _bar(total: int, epoch: int, epochs: int) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=f"epoch {epoch + 1}/{epochs}", unit="batch", leave=True)
