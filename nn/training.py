"""The training loop: ``fit`` with progress, metrics, callbacks and early stopping.

One iteration is one batch: forward, loss, backward, update. An epoch is one pass over
the training data. ``fit`` records per-epoch losses and metrics in a ``History`` as
Keras does (``history.history["val_loss"]``), and stops cleanly on Ctrl-C after the
batch under way, returning what it has.
"""

from __future__ import annotations

import numbers
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from autodiff import Tensor, no_grad

from . import metrics as metrics_module
from .callbacks import Callback, EarlyStopping, TrainingState
from .data import DataLoader, check_pair
from .metrics import Metric, accuracy


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
        from .plotting import plot_history

        return plot_history(self, path)


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


def _check_count(name: str, x: Any, owner: str) -> int:
    if isinstance(x, (bool, np.bool_)) or not isinstance(x, numbers.Integral) or x < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {x!r}")
    return int(x)


def _check_seed(seed: Any) -> None:
    if seed is None or isinstance(seed, np.random.Generator):
        return
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(
            f"fit: seed must be None, a non-negative int or a numpy Generator, got {seed!r}"
        )


def _check_inputs(X: Any, y: Any, owner: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    """X and y checked for ``owner``: the same length, finite, not empty, X with a feature axis."""
    xa, ya = check_pair(X, y)
    _check_features(xa, owner, what)
    return xa, ya


def _check_features(xa: np.ndarray, owner: str, what: str) -> None:
    what = f"{what} " if what else ""
    if len(xa) == 0:
        raise ValueError(f"{owner}: {what}X is empty (0 samples)")
    if xa.ndim == 1:
        n = len(xa)
        raise ValueError(
            f"{owner}: {what}X is 1-D (shape ({n},)), so rows and features cannot be told "
            f"apart: pass X.reshape(-1, 1) for {n} samples of one feature, or "
            f"X.reshape(1, -1) for one sample of {n} features"
        )


def _batches(X: np.ndarray, batch_size: int) -> Iterable[slice]:
    return (slice(i, i + batch_size) for i in range(0, len(X), batch_size))


def predict(model: Any, X: Any, batch_size: int = 1024) -> np.ndarray:
    """The model's outputs on ``X`` as one array, in eval mode, in batches, recording no graph.

    >>> import numpy as np, nn
    >>> model = nn.MLP([2, 3, 1], rng=np.random.default_rng(0))
    >>> predict(model, np.zeros((5, 2)), batch_size=2).shape
    (5, 1)
    """
    from .data import check_array

    xa = check_array(X, "X")
    _check_features(xa, "predict", "")
    batch_size = _check_count("batch_size", batch_size, "predict")
    dtype = _dtype_of(model)
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            outs = [
                np.asarray(model(Tensor(xa[rows], dtype=dtype)).data)
                for rows in _batches(xa, batch_size)
            ]
    finally:
        if was_training:
            model.train()
    return np.concatenate(outs)


def evaluate(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    X: Any,
    y: Any,
    metrics: Sequence[str | Metric] = (),
    batch_size: int = 1024,
) -> dict[str, float]:
    """Loss and metrics of ``model`` on (X, y), in eval mode, recording no graph.

    Returns ``{"loss": ..., "<metric>": ...}``; metrics are computed over all of X.

    >>> import numpy as np, nn
    >>> model = nn.MLP([2, 3, 2], rng=np.random.default_rng(0))
    >>> sorted(evaluate(model, nn.losses.cross_entropy, np.zeros((4, 2)), np.array([0, 1, 0, 1]),
    ...                 metrics=["accuracy"]))
    ['accuracy', 'loss']
    """
    X, y = _check_inputs(X, y, "evaluate", "")
    batch_size = _check_count("batch_size", batch_size, "evaluate")
    named = [metrics_module.get(m) for m in metrics]
    dtype = _dtype_of(model)
    was_training = getattr(model, "training", False)
    model.eval()
    total, preds = 0.0, []
    try:
        with no_grad():
            for rows in _batches(X, batch_size):
                xb, yb = X[rows], y[rows]
                out = model(Tensor(xb, dtype=dtype))
                total += float(loss_fn(out, yb).data) * len(xb)
                preds.append(out.data)
    finally:
        if was_training:
            model.train()
    logs = {"loss": total / len(X)}
    pred = np.concatenate(preds)
    for name, f in named:
        logs[name] = float(f(pred, y))
    return logs


def _check_optimizer(model: Any, optimizer: Any) -> None:
    groups = getattr(optimizer, "param_groups", None)
    if groups is None:
        return
    held = {id(p) for g in groups for p in g["params"]}
    mine = [p for p in model.parameters()]
    if mine and not any(id(p) in held for p in mine):
        raise ValueError(
            f"fit: the optimizer holds none of the model's {len(mine)} parameters (was it "
            "built for another model? pass model.parameters() to it)"
        )


def _check_scheduler(scheduler: Any, optimizer: Any) -> None:
    from .optim import LRScheduler, ReduceLROnPlateau

    if scheduler is None:
        return
    if not isinstance(scheduler, (LRScheduler, ReduceLROnPlateau)):
        raise TypeError(
            "fit: scheduler must be one of nn.optim's schedulers (StepLR, ExponentialLR, "
            f"CosineAnnealingLR, ReduceLROnPlateau), got {type(scheduler).__name__}"
        )
    if scheduler.optimizer is not optimizer:
        raise ValueError("fit: the scheduler was built for another optimizer than fit's")


def _step_scheduler(scheduler: Any, logs: dict[str, float]) -> None:
    from .optim import ReduceLROnPlateau

    if scheduler is None:
        return
    if isinstance(scheduler, ReduceLROnPlateau):
        scheduler.step(logs["val_loss"] if "val_loss" in logs else logs["loss"])
    else:
        scheduler.step()


def fit(
    model: Any,
    loss_fn: Callable[[Any, Any], Any],
    optimizer: Any,
    train: tuple[Any, Any],
    epochs: int,
    batch_size: int = 32,
    val: tuple[Any, Any] | None = None,
    metrics: Sequence[str | Metric] = (),
    callbacks: Iterable[Callback] = (),
    progress: Any = True,
    seed: Any = None,
    scheduler: Any = None,
) -> History:
    """Train ``model`` on ``train = (X, y)`` and return its ``History``.

    ``X`` is an array (anything ``np.asarray`` takes) of shape (samples, features...),
    ``y`` its targets (class labels, one-hot rows or numbers), one per sample; both
    finite. ``loss_fn(prediction, target)`` — prediction first, as every loss in
    ``nn.losses`` — returns a one-element Tensor. Each epoch shuffles the data
    (``seed``: an int, a Generator, or None for nn's default generator), runs one
    forward/backward/update per batch of ``batch_size`` rows (32 by default, as Keras),
    then evaluates on ``val`` if given (in batches of ``max(batch_size, 1024)`` rows, no
    graph kept). ``metrics`` (names from ``nn.metrics`` or callables ``(pred, y)``) are
    computed over the whole epoch, as ``loss`` is. ``scheduler`` (any of ``nn.optim``'s)
    steps after each epoch; ``ReduceLROnPlateau`` is given ``val_loss`` (``loss`` without
    ``val``). ``progress=True`` shows a tqdm bar when stdout is a terminal ("always"
    forces it, False hides it). Ctrl-C stops after the current batch; so does a callback
    that sets ``state.stop``.

    >>> import numpy as np, nn
    >>> X = np.random.default_rng(0).normal(size=(64, 2)); y = (X[:, 0] > 0).astype(int)
    >>> model = nn.MLP([2, 8, 2], rng=np.random.default_rng(0))
    >>> opt = nn.optim.SGD(model.parameters(), lr=0.5)
    >>> h = fit(model, nn.losses.cross_entropy, opt, (X, y), epochs=3, batch_size=16,
    ...         metrics=["accuracy"], progress=False, seed=0)
    >>> len(h.history["loss"]), h.epoch
    (3, [0, 1, 2])
    """
    epochs = _check_count("epochs", epochs, "fit")
    batch_size = _check_count("batch_size", batch_size, "fit")
    _check_seed(seed)
    if not isinstance(train, (tuple, list)) or len(train) != 2:
        raise TypeError("fit: train must be a pair (X, y)")
    X, y = _check_inputs(*train, "fit", "train's")
    if val is not None:
        if not isinstance(val, (tuple, list)) or len(val) != 2:
            raise TypeError("fit: val must be a pair (X, y) or None")
        val = _check_inputs(*val, "fit", "val's")
    _check_optimizer(model, optimizer)
    _check_scheduler(scheduler, optimizer)
    named = [metrics_module.get(m) for m in metrics]
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
                    for cb in callbacks:
                        cb.on_batch_begin(state)
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
                    if interrupt.requested or state.stop:
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
                state.logs = logs
                for cb in callbacks:
                    cb.on_epoch_end(state, logs)
                history.record(epoch, logs)
                _step_scheduler(scheduler, logs)
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


__all__ = [
    "Callback",
    "EarlyStopping",
    "History",
    "TrainingState",
    "accuracy",
    "evaluate",
    "fit",
    "predict",
]
