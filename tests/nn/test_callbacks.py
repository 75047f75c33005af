"""nn.callbacks against Keras' semantics on scripted sequences, and their files read back:
checkpoints, CSV logs, TensorBoard event files (with TensorBoard's own reader)."""

import csv

import numpy as np
import pytest

import nn
from nn.callbacks import (
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TensorBoard,
    TerminateOnNaN,
    TrainingState,
    load_checkpoint,
)


def tiny():
    model = nn.Linear(1, 1, rng=np.random.default_rng(0))
    return model, nn.optim.SGD(model.parameters(), lr=1.0)


def replay(callback, values, monitor="val_loss"):
    """Feed ``values`` as the monitored number of successive epochs, as fit would; returns
    the epochs that ran and the state. Epoch i sets the weight to i, to see restores."""
    model, opt = tiny()
    state = TrainingState(model, opt, None)
    callback.on_train_begin(state)
    ran = []
    for epoch, value in enumerate(values):
        state.epoch = epoch
        callback.on_epoch_begin(state)
        model.weight.data[:] = epoch
        callback.on_epoch_end(state, {monitor: value})
        ran.append(epoch)
        if state.stop:
            break
    callback.on_train_end(state)
    return ran, state


# Expected outcomes worked out from Keras' EarlyStopping.on_epoch_end: wait += 1; on an
# improvement (value beats best by more than min_delta) best = value and wait = 0;
# otherwise stop once wait >= patience (never at epoch 0).
@pytest.mark.parametrize(
    ("kwargs", "values", "stopped", "best_epoch"),
    [
        ({"patience": 2}, [1.0, 0.9, 0.95, 0.91, 0.92, 0.5], 3, 1),
        ({"patience": 2, "min_delta": 0.05}, [1.0, 0.9, 0.95, 0.91, 0.92, 0.5], 3, 1),
        ({"patience": 2, "min_delta": 0.1}, [1.0, 0.9, 0.95, 0.91, 0.92, 0.5], 2, 0),
        ({"patience": 0}, [1.0, 0.9, 0.9], 2, 1),
        ({"patience": 3}, [1.0, 0.9, 0.8, 0.7], None, 3),
        ({"patience": 1, "monitor": "val_accuracy"}, [0.5, 0.7, 0.6, 0.9], 2, 1),
        ({"patience": 1, "monitor": "val_loss", "mode": "max"}, [0.5, 0.7, 0.6], 2, 1),
        ({"patience": 2}, [1.0, 0.9, 0.95, 0.97], 3, 1),
        # improving on the best but not on the baseline does not restart the count
        ({"patience": 2, "baseline": 0.5}, [1.0, 0.9, 0.95, 0.97], 2, 1),
    ],
)
def test_early_stopping_follows_keras(kwargs, values, stopped, best_epoch):
    monitor = kwargs.get("monitor", "val_loss")
    es = EarlyStopping(**kwargs)
    ran, state = replay(es, values, monitor)
    assert es.stopped_epoch == stopped
    assert ran[-1] == (stopped if stopped is not None else len(values) - 1)
    assert es.best_epoch == best_epoch
    assert state.model.weight.data.item() == best_epoch  # the best epoch's weights restored


def test_early_stopping_says_when_why_and_what_it_restored(capsys):
    replay(EarlyStopping(patience=1, verbose=1), [1.0, 0.5, 0.7, 0.6])
    out = capsys.readouterr().out
    assert "Epoch 3: early stopping: val_loss has not improved on 0.5 (epoch 2)" in out
    assert "Restoring model weights from the end of the best epoch: 2" in out


def test_reduce_lr_on_plateau_follows_keras():
    # Keras: not improving for `patience` epochs multiplies lr by factor, then cooldown
    # epochs pass without counting; never below min_lr.
    cb = ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2, min_delta=0.0)
    model, opt = tiny()
    state = TrainingState(model, opt, None)
    cb.on_train_begin(state)
    lrs = []
    for epoch, value in enumerate([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]):
        state.epoch = epoch
        logs = {"val_loss": value}
        cb.on_epoch_end(state, logs)
        lrs.append(opt.param_groups[0]["lr"])
    # worked out from Keras' ReduceLROnPlateau.on_epoch_end
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2]
    assert logs["learning_rate"] == 0.2


def data(n=64):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    return X, (X[:, 0] > 0).astype(int)


def train(callbacks, epochs=4, lr=0.1, **kwargs):
    nn.manual_seed(0)
    model = nn.MLP([2, 4, 2])
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    X, y = data()
    h = nn.fit(
        model, nn.losses.cross_entropy, opt, (X, y), epochs=epochs, val=(X, y),
        callbacks=callbacks, progress=False, seed=0, **kwargs,
    )  # fmt: skip
    return model, opt, h


def test_model_checkpoint_saves_the_best_weights_and_optimizer_state(tmp_path):
    best = ModelCheckpoint(tmp_path / "best.npz", save_best_only=True, save_weights_only=True)
    every = ModelCheckpoint(str(tmp_path / "e{epoch:02d}-{val_loss:.3f}.npz"))
    model, _, h = train([best, every])
    assert len(every.saved) == 4 and every.saved[0].endswith(
        f"e01-{h.history['val_loss'][0]:.3f}.npz"
    )
    # the last epoch has the lowest val_loss here: the best file holds the final weights
    assert int(np.argmin(h.history["val_loss"])) == 3
    other = nn.MLP([2, 4, 2])
    other.load(tmp_path / "best.npz")
    for a, b in zip(other.parameters(), model.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    fresh = nn.MLP([2, 4, 2])
    fresh_opt = nn.optim.SGD(fresh.parameters(), lr=0.5)
    load_checkpoint(every.saved[-1], fresh, fresh_opt)
    assert fresh_opt.param_groups[0]["lr"] == 0.1
    assert not list(tmp_path.glob(".*tmp"))  # atomic writes leave no temporaries


def test_csv_logger_writes_and_appends(tmp_path):
    path = tmp_path / "log.csv"
    _, _, h = train([CSVLogger(path)], epochs=2)
    train([CSVLogger(path, append=True)], epochs=1)
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [r["epoch"] for r in rows] == ["0", "1", "0"]
    assert float(rows[1]["val_loss"]) == pytest.approx(h.history["val_loss"][1], rel=1e-12)


def test_tensorboard_event_files_read_back_with_tensorboards_reader(tmp_path):
    pytest.importorskip("tensorboardX")
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    model, _, h = train([TensorBoard(tmp_path, histogram_freq=2)], epochs=3)
    train_events = accumulator.EventAccumulator(
        str(tmp_path / "train"), size_guidance={accumulator.HISTOGRAMS: 0}
    )
    train_events.Reload()
    val_events = accumulator.EventAccumulator(str(tmp_path / "validation"))
    val_events.Reload()
    losses = [e.value for e in train_events.Scalars("epoch_loss")]
    np.testing.assert_allclose(losses, h.history["loss"], rtol=1e-6)  # stored as float32
    val = [(e.step, e.value) for e in val_events.Scalars("epoch_loss")]
    assert [s for s, _ in val] == [0, 1, 2]
    np.testing.assert_allclose([v for _, v in val], h.history["val_loss"], rtol=1e-6)
    hist = train_events.Histograms("layers.0.weight")
    assert [e.step for e in hist] == [0, 2]
    assert hist[-1].histogram_value.num == model.layers[0].weight.data.size
    assert hist[-1].histogram_value.max == pytest.approx(model.layers[0].weight.data.max())
    assert "layers.0.weight/gradient" in train_events.Tags()["histograms"]


def test_learning_rate_scheduler_and_fit_scheduler():
    seen = []

    def schedule(epoch, lr):
        seen.append((epoch, lr))
        return 0.1 / (epoch + 1)

    _, opt, h = train([LearningRateScheduler(schedule)], epochs=3)
    assert seen == [(0, 0.1), (1, 0.1), (2, 0.05)]
    assert h.history["learning_rate"] == [0.1, 0.05, 0.1 / 3]
    nn.manual_seed(0)
    model = nn.MLP([2, 4, 2])
    opt = nn.optim.SGD(model.parameters(), lr=0.4)
    X, y = data()
    sched = nn.optim.StepLR(opt, step_size=1, gamma=0.5)
    nn.fit(model, nn.losses.cross_entropy, opt, (X, y), 3, scheduler=sched, progress=False)
    assert opt.param_groups[0]["lr"] == 0.05
    other = nn.optim.SGD(nn.MLP([2, 2]).parameters(), lr=0.1)
    with pytest.raises(ValueError, match="built for another optimizer"):
        nn.fit(model, nn.losses.cross_entropy, opt, (X, y), 1,
               scheduler=nn.optim.StepLR(other, 1), progress=False)  # fmt: skip


def test_terminate_on_nan_stops_at_the_bad_batch(capsys):
    stopper = TerminateOnNaN()
    nan_loss = lambda out, y: nn.losses.cross_entropy(out, y) * np.nan
    nn.manual_seed(0)
    model = nn.MLP([2, 4, 2])
    X, y = data()
    opt = nn.optim.SGD(model.parameters(), lr=0.1, nonfinite="skip")
    with pytest.warns(RuntimeWarning, match="non-finite gradient"):
        h = nn.fit(model, nan_loss, opt, (X, y), 5, batch_size=16, callbacks=[stopper],
                   progress=False)  # fmt: skip
    assert stopper.stopped_step == 1 and h.epoch == [0]
    assert "invalid loss nan" in capsys.readouterr().out
