"""Callbacks for ``fit``, with Keras' names and behaviour.

A callback overrides the hooks it needs (``on_train_begin``, ``on_epoch_begin``,
``on_batch_begin``, ``on_after_backward``, ``on_batch_end``, ``on_epoch_end``,
``on_train_end``); each gets the ``TrainingState`` (model, optimizer, history, epoch,
step) and may set ``state.stop = True`` to end training after the current batch.

- ``EarlyStopping``: stop when a monitored number stops improving, restore the best weights;
- ``ModelCheckpoint``: save the model (or weights) each epoch or when it improves, atomically;
- ``CSVLogger``: one row per epoch;
- ``TensorBoard``: event files TensorBoard reads (the ``tensorboard`` extra);
- ``LearningRateScheduler``: set the learning rate from ``schedule(epoch, lr)``;
- ``ReduceLROnPlateau``: divide the learning rate when a number stops improving;
- ``TerminateOnNaN``: stop at the first nan or inf loss.

"Improving" means the same for all three that monitor (Keras' rule): with
``mode="min"`` a value improves on the best so far when it is below
``best - min_delta``; ``"max"`` mirrors it; ``"auto"`` maximises accuracies, AUC,
precision, recall and F1 and minimises everything else.
"""

from __future__ import annotations

import csv
import math
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .metrics import higher_is_better


@dataclass
class TrainingState:
    """What callbacks see and may change (``stop = True`` ends training after this batch)."""

    model: Any
    optimizer: Any
    history: Any
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

    def on_batch_begin(self, state: TrainingState) -> None:
        """Before each batch's forward pass."""

    def on_after_backward(self, state: TrainingState) -> None:
        """After each backward pass, before the update: gradients are in place."""

    def on_batch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        """After each update; ``logs`` holds the batch loss."""

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        """After each epoch; ``logs`` holds its loss, metrics and validation numbers."""

    def on_train_end(self, state: TrainingState) -> None:
        """After the last epoch (also after an early stop or Ctrl-C)."""


def _say(text: str) -> None:
    print(text, flush=True)


class _Monitor:
    """Keras' notion of improvement of one logged number: mode, min_delta, the best so far."""

    def __init__(self, owner: str, monitor: str, mode: str, min_delta: float) -> None:
        if not isinstance(monitor, str) or not monitor:
            raise TypeError(f"{owner}: monitor must be the name of a logged number")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)):
            raise TypeError(f"{owner}: min_delta must be a number, got {min_delta!r}")
        if not math.isfinite(min_delta):
            raise ValueError(f"{owner}: min_delta must be finite, got {min_delta!r}")
        self.owner, self.monitor = owner, monitor
        self.mode = ("max" if higher_is_better(monitor) else "min") if mode == "auto" else mode
        self.min_delta = abs(float(min_delta))
        self.best = self.worst

    @property
    def worst(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    def value(self, logs: dict[str, float]) -> float:
        if self.monitor not in logs:
            raise KeyError(
                f"{self.owner} monitors {self.monitor!r}, but the epoch logged only "
                f"{sorted(logs)} (pass val=... to fit for validation numbers)"
            )
        return float(logs[self.monitor])

    def improves(self, value: float) -> bool:
        return self.improves_on(value, self.best)

    def improves_on(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta


def _patience(owner: str, patience: Any) -> int:
    if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
        raise ValueError(f"{owner}: patience must be a non-negative int, got {patience!r}")
    return patience


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (Keras' rule).

    An epoch improves when its value beats the best by more than ``min_delta``; after
    ``patience`` epochs in a row without improvement training stops. With
    ``restore_best`` (Keras: ``restore_best_weights``) the model gets back the weights of
    its best epoch at the end. ``verbose=1`` prints when and why it stopped and which
    epoch's weights it restored. ``stopped_epoch`` and ``best_epoch`` are 0-based.

    >>> EarlyStopping(patience=10).monitor
    'val_loss'
    """

    def __init__(
        self,
        patience: int = 0,
        monitor: str = "val_loss",
        restore_best: bool = True,
        min_delta: float = 0.0,
        mode: str = "auto",
        verbose: int = 0,
        baseline: float | None = None,
    ) -> None:
        self.patience = _patience("EarlyStopping", patience)
        self._watch = _Monitor("EarlyStopping", monitor, mode, min_delta)
        self.monitor, self.mode, self.min_delta = monitor, self._watch.mode, self._watch.min_delta
        self.restore_best, self.verbose, self.baseline = restore_best, verbose, baseline
        self.best = self._watch.best
        self.best_epoch = -1
        self.wait = 0
        self.stopped_epoch: int | None = None
        self._best_state: dict[str, np.ndarray] | None = None

    def on_train_begin(self, state: TrainingState) -> None:
        self._watch.best = self.best = self._watch.worst
        self.best_epoch, self.wait, self.stopped_epoch, self._best_state = -1, 0, None, None

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        value = self._watch.value(logs)
        self.wait += 1
        if self._watch.improves(value):
            self._watch.best = self.best = value
            self.best_epoch = state.epoch
            if self.restore_best:
                self._best_state = state.model.state_dict()
            # as Keras: the count restarts only when the baseline is beaten too
            if self.baseline is None or self._watch.improves_on(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and state.epoch > 0:
            self.stopped_epoch = state.epoch
            state.stop = True
            if self.verbose:
                _say(
                    f"Epoch {state.epoch + 1}: early stopping: {self.monitor} has not improved "
                    f"on {self.best:.6g} (epoch {self.best_epoch + 1}) by more than "
                    f"{self.min_delta:g} for {self.wait} epochs"
                )

    def on_train_end(self, state: TrainingState) -> None:
        if self.restore_best and self._best_state is not None:
            state.model.load_state_dict(self._best_state)
            if self.verbose:
                _say(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}"
                )


def _atomic_savez(path: str, arrays: dict[str, Any]) -> None:
    """``np.savez`` to a temporary file beside ``path``, then renamed over it."""
    directory, base = os.path.split(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "xb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def save_checkpoint(path: str | os.PathLike[str], model: Any, optimizer: Any = None) -> None:
    """Write the model's weights and the optimizer's state to one ``.npz``, atomically.

    Keys are ``model.<name>`` and ``optimizer.<key>``; ``load_checkpoint`` reads them back.

    >>> import numpy as np, nn, os, tempfile
    >>> m = nn.Linear(2, 1, rng=np.random.default_rng(0)); opt = nn.optim.Adam(m.parameters())
    >>> path = os.path.join(tempfile.mkdtemp(), "ckpt.npz")
    >>> save_checkpoint(path, m, opt); w = m.weight.data.copy(); m.weight.data[:] = 0
    >>> load_checkpoint(path, m, opt); bool((m.weight.data == w).all())
    True
    """
    arrays = {f"model.{k}": v for k, v in model.state_dict().items()}
    if optimizer is not None:
        arrays.update({f"optimizer.{k}": np.asarray(v) for k, v in optimizer.state_dict().items()})
    _atomic_savez(os.fspath(path), arrays)


def load_checkpoint(path: str | os.PathLike[str], model: Any, optimizer: Any = None) -> None:
    """Restore what ``save_checkpoint`` wrote (read without pickle)."""
    with np.load(os.fspath(path), allow_pickle=False) as archive:
        saved = {k: archive[k] for k in archive.files}
    weights = {k[6:]: v for k, v in saved.items() if k.startswith("model.")}
    model.load_state_dict(weights)
    if optimizer is not None:
        optimizer.load_state_dict(
            {k[10:]: v for k, v in saved.items() if k.startswith("optimizer.")}
        )


class ModelCheckpoint(Callback):
    """Save the model at the end of every epoch, or only when ``monitor`` improves.

    ``path`` may hold fields from the epoch's logs and ``epoch`` (1-based), as Keras:
    ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``. ``save_weights_only`` writes
    ``model.save(path)`` (load with ``model.load``); otherwise the optimizer's state is
    saved too (``save_checkpoint``; load with ``load_checkpoint``). Every write is atomic:
    a crash leaves the previous file whole.

    >>> ModelCheckpoint("best.npz", save_best_only=True).monitor
    'val_loss'
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        verbose: int = 0,
        min_delta: float = 0.0,
    ) -> None:
        self.path = os.fspath(path)
        self.monitor = monitor
        self._watch = _Monitor("ModelCheckpoint", monitor, mode, min_delta)
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.verbose = verbose
        self.saved: list[str] = []

    def on_train_begin(self, state: TrainingState) -> None:
        self._watch.best = self._watch.worst

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        if self.save_best_only:
            value = self._watch.value(logs)
            if not self._watch.improves(value):
                return
            previous, self._watch.best = self._watch.best, value
            if self.verbose:
                _say(
                    f"Epoch {state.epoch + 1}: {self.monitor} improved from {previous:.5g} "
                    f"to {value:.5g}, saving the model"
                )
        try:
            path = self.path.format(epoch=state.epoch + 1, **logs)
        except KeyError as err:
            raise KeyError(
                f"ModelCheckpoint: path {self.path!r} names {err}, which the epoch did not "
                f"log (logged: {sorted(logs)})"
            ) from None
        if self.save_weights_only:
            state.model.save(path)
        else:
            save_checkpoint(path, state.model, state.optimizer)
        self.saved.append(path)


class CSVLogger(Callback):
    """Write one row per epoch to ``path``: ``epoch`` then every logged number.

    ``append=True`` adds to an existing file (without repeating its header). Each row is
    flushed as it is written, so the file is readable while training runs.

    >>> CSVLogger("log.csv").separator
    ','
    """

    def __init__(self, path: str | os.PathLike[str], separator: str = ",", append: bool = False):
        self.path, self.separator, self.append = os.fspath(path), separator, append
        self._file: Any = None
        self._writer: Any = None
        self._keys: list[str] | None = None

    def on_train_begin(self, state: TrainingState) -> None:
        has_rows = self.append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        self._keys = None
        if has_rows:
            with open(self.path, newline="") as f:
                header = next(csv.reader(f, delimiter=self.separator), None)
            self._keys = header[1:] if header else None
        self._file = open(self.path, "a" if self.append else "w", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, delimiter=self.separator)

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        if self._keys is None:
            self._keys = list(logs)
            self._writer.writerow(["epoch", *self._keys])
        self._writer.writerow([state.epoch, *(logs.get(k, "") for k in self._keys)])
        self._file.flush()

    def on_train_end(self, state: TrainingState) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class TensorBoard(Callback):
    """Write TensorBoard event files: ``tensorboard --logdir LOG_DIR`` shows them.

    As Keras: ``log_dir/train`` gets ``epoch_<name>`` for each training number and
    ``log_dir/validation`` the ``val_`` numbers under the same tags, so the two share a
    chart. Every ``histogram_freq`` epochs (0: never) each parameter's values and
    gradient are written as histograms. Needs the ``tensorboard`` extra
    (``pip install 'autodiff[tensorboard]'``).
    """

    def __init__(self, log_dir: str | os.PathLike[str] = "logs", histogram_freq: int = 0):
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int):
            raise TypeError(f"TensorBoard: histogram_freq must be an int, got {histogram_freq!r}")
        if histogram_freq < 0:
            raise ValueError(f"TensorBoard: histogram_freq must be >= 0, got {histogram_freq}")
        self.log_dir, self.histogram_freq = os.fspath(log_dir), histogram_freq
        self._writers: dict[str, Any] = {}

    def on_train_begin(self, state: TrainingState) -> None:
        try:
            from tensorboardX import SummaryWriter
        except ImportError as err:  # pragma: no cover - depends on the extra
            raise ImportError(
                "the TensorBoard callback needs tensorboardX: pip install 'autodiff[tensorboard]'"
            ) from err
        self._writers = {
            part: SummaryWriter(os.path.join(self.log_dir, part))
            for part in ("train", "validation")
        }

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        for name, value in logs.items():
            part, tag = ("validation", name[4:]) if name.startswith("val_") else ("train", name)
            self._writers[part].add_scalar(f"epoch_{tag}", value, state.epoch)
        if self.histogram_freq and state.epoch % self.histogram_freq == 0:
            train = self._writers["train"]
            for name, p in state.model.named_parameters():
                train.add_histogram(name, np.asarray(p.data, dtype=np.float64), state.epoch)
                grad = getattr(p.grad, "data", p.grad)
                if grad is not None:
                    train.add_histogram(
                        f"{name}/gradient", np.asarray(grad, dtype=np.float64), state.epoch
                    )
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, state: TrainingState) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers = {}


def _set_lr(optimizer: Any, lr: float, owner: str) -> None:
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating)) or not lr >= 0:
        raise ValueError(f"{owner}: the schedule gave {lr!r}, not a learning rate >= 0")
    if not math.isfinite(lr):
        raise ValueError(f"{owner}: the schedule gave a non-finite learning rate {lr!r}")
    for group in optimizer.param_groups:
        group["lr"] = float(lr)


class LearningRateScheduler(Callback):
    """At the start of each epoch set the learning rate to ``schedule(epoch, lr)``
    (epoch counted from 0, lr the current one of the first group), as Keras.

    The epoch's logs get ``learning_rate``.

    >>> LearningRateScheduler(lambda epoch, lr: lr * 0.9).verbose
    0
    """

    def __init__(self, schedule: Any, verbose: int = 0) -> None:
        if not callable(schedule):
            raise TypeError("LearningRateScheduler: schedule must be a callable(epoch, lr) -> lr")
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, state: TrainingState) -> None:
        lr = float(state.optimizer.param_groups[0]["lr"])
        new = self.schedule(state.epoch, lr)
        _set_lr(state.optimizer, new, "LearningRateScheduler")
        if self.verbose:
            _say(f"Epoch {state.epoch + 1}: LearningRateScheduler setting learning rate to {new}.")

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        logs["learning_rate"] = float(state.optimizer.param_groups[0]["lr"])


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` has not improved for
    ``patience`` epochs, then wait ``cooldown`` epochs; never below ``min_lr`` (Keras' rule).

    (``nn.optim.ReduceLROnPlateau`` is PyTorch's scheduler of the same idea, which
    ``fit(scheduler=...)`` also takes.)

    >>> ReduceLROnPlateau(factor=0.5, patience=2).factor
    0.5
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 < factor < 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1), got {factor!r}")
        self._watch = _Monitor("ReduceLROnPlateau", monitor, mode, min_delta)
        self.monitor, self.factor, self.verbose = monitor, float(factor), verbose
        self.patience = _patience("ReduceLROnPlateau", patience)
        self.cooldown = _patience("ReduceLROnPlateau (cooldown)", cooldown)
        self.min_lr = float(min_lr)
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, state: TrainingState) -> None:
        self._watch.best, self.wait, self.cooldown_counter = self._watch.worst, 0, 0

    def on_epoch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        logs["learning_rate"] = float(state.optimizer.param_groups[0]["lr"])
        value = self._watch.value(logs)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._watch.improves(value):
            self._watch.best, self.wait = value, 0
            return
        if self.cooldown_counter > 0:
            return
        self.wait += 1
        if self.wait < self.patience:
            return
        old = float(state.optimizer.param_groups[0]["lr"])
        if old > self.min_lr:
            new = max(old * self.factor, self.min_lr)
            _set_lr(state.optimizer, new, "ReduceLROnPlateau")
            if self.verbose:
                _say(f"Epoch {state.epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
            self.cooldown_counter, self.wait = self.cooldown, 0


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is nan or inf, as Keras.

    >>> TerminateOnNaN().stopped_step is None
    True
    """

    def __init__(self) -> None:
        self.stopped_step: int | None = None

    def on_batch_end(self, state: TrainingState, logs: dict[str, float]) -> None:
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(loss):
            self.stopped_step = state.step
            state.stop = True
            _say(f"Batch {state.step}: invalid loss {loss}, terminating training")


__all__ = [
    "CSVLogger",
    "Callback",
    "EarlyStopping",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "TensorBoard",
    "TerminateOnNaN",
    "TrainingState",
    "load_checkpoint",
    "save_checkpoint",
]
