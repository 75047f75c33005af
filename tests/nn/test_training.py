"""nn.fit and friends: History, metrics, callbacks, early stopping, progress, Ctrl-C, plots,
reproducibility, and cross-validation through joblib."""

import math
import os
import signal
import sys
import threading

import numpy as np
import pytest

import nn
from nn.training import Callback, EarlyStopping, History, TrainingState, accuracy, evaluate, fit


def blobs(n=120, seed=0):
    """Two well separated Gaussian blobs in 2-D, labels 0 and 1."""
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.normal(0, 0.6, size=(n, 2)) + np.where(y[:, None] == 1, 1.5, -1.5)
    return X, y


def model_and_optimizer(seed=0, lr=0.1):
    nn.manual_seed(seed)
    model = nn.MLP([2, 8, 2])
    return model, nn.optim.SGD(model.parameters(), lr=lr)


class Recorder(Callback):
    """Writes every hook call into a shared list: (name, hook, epoch, step)."""

    def __init__(self, name, calls):
        self.name, self.calls = name, calls

    def _log(self, hook, state):
        self.calls.append((self.name, hook, state.epoch, state.step))

    def on_train_begin(self, state):
        self._log("train_begin", state)

    def on_epoch_begin(self, state):
        self._log("epoch_begin", state)

    def on_after_backward(self, state):
        self._log("after_backward", state)

    def on_batch_end(self, state, logs):
        self._log("batch_end", state)

    def on_epoch_end(self, state, logs):
        self._log("epoch_end", state)

    def on_train_end(self, state):
        self._log("train_end", state)


# --- fit and History --------------------------------------------------------------------


def test_fit_learns_a_separable_problem_and_keeps_keras_history():
    X, y = blobs()
    Xv, yv = blobs(40, seed=1)
    model, opt = model_and_optimizer()
    history = fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        epochs=6,
        batch_size=16,
        val=(Xv, yv),
        metrics=["accuracy"],
        progress=False,
        seed=0,
    )
    assert isinstance(history, History)
    assert history.epoch == [0, 1, 2, 3, 4, 5]
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 6 for v in history.history.values())
    loss = history.history["loss"]
    assert loss[-1] < 0.5 * loss[0]
    assert history.history["val_loss"][-1] < history.history["val_loss"][0]
    assert history.history["accuracy"][-1] == 1.0
    assert history.history["val_accuracy"][-1] == 1.0
    assert not history.interrupted
    # The history's validation numbers are what evaluate() says about the final model.
    final = evaluate(model, nn.losses.cross_entropy, Xv, yv, ["accuracy"])
    assert final["loss"] == pytest.approx(history.history["val_loss"][-1], rel=1e-12)


def test_epoch_loss_is_the_sample_weighted_mean_of_the_batch_losses():
    X, y = blobs(50)  # batches of 16, 16, 16, 2
    model, opt = model_and_optimizer()
    batches = []

    class Batches(Callback):
        def on_batch_end(self, state, logs):
            batches.append(logs["loss"])

    history = fit(
        model, nn.losses.cross_entropy, opt, (X, y), 1, 16, callbacks=[Batches()], progress=False
    )
    sizes = [16, 16, 16, 2]
    assert history.history["loss"][0] == pytest.approx(np.dot(batches, sizes) / 50)


def test_metrics_by_name_and_by_callable():
    X, y = blobs()

    def error_rate(pred, target):
        return 1.0 - accuracy(pred, target)

    model, opt = model_and_optimizer()
    history = fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        epochs=2,
        batch_size=32,
        val=(X, y),
        metrics=["acc", error_rate],
        progress=False,
    )
    assert set(history.history) == {
        "loss",
        "accuracy",
        "error_rate",
        "val_loss",
        "val_accuracy",
        "val_error_rate",
    }
    for prefix in ("", "val_"):
        acc = np.array(history.history[prefix + "accuracy"])
        assert np.allclose(acc + history.history[prefix + "error_rate"], 1.0)
    with pytest.raises(ValueError, match="unknown metric 'f2'"):
        fit(model, nn.losses.cross_entropy, opt, (X, y), 1, 32, metrics=["f2"], progress=False)


def test_accuracy_reads_scores_probabilities_logits_and_one_hot():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([[0.1, 0.9]]), np.array([[0.0, 1.0]])) == 1.0
    assert accuracy(np.array([0.2, 0.7, 0.6]), np.array([0, 1, 0])) == pytest.approx(2 / 3)
    assert accuracy(np.array([-3.0, 2.0]), np.array([0, 1])) == 1.0  # logits: cut at 0


def test_fit_refuses_bad_arguments():
    X, y = blobs()
    model, opt = model_and_optimizer()
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        fit(model, nn.losses.cross_entropy, opt, (X, y), 0, 8, progress=False)
    with pytest.raises(ValueError, match="X has 120 rows but y has 119"):
        fit(model, nn.losses.cross_entropy, opt, (X, y[:-1]), 1, 8, progress=False)
    bad = X.copy()
    bad[7, 1] = np.inf
    with pytest.raises(ValueError, match="X has nan or inf in row 7"):
        fit(model, nn.losses.cross_entropy, opt, (X, y), 1, 8, val=(bad, y), progress=False)


# --- callbacks --------------------------------------------------------------------------


def test_callbacks_get_their_hooks_in_order():
    X, y = blobs(48)  # 3 batches of 16
    model, opt = model_and_optimizer()
    calls = []
    fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        epochs=2,
        batch_size=16,
        callbacks=[Recorder("a", calls), Recorder("b", calls)],
        progress=False,
    )
    expected = [("train_begin", 0, 0)]
    step = 0
    for epoch in range(2):
        expected.append(("epoch_begin", epoch, step))
        for _ in range(3):
            expected.append(("after_backward", epoch, step))  # before the update
            step += 1
            expected.append(("batch_end", epoch, step))
        expected.append(("epoch_end", epoch, step))
    expected.append(("train_end", 1, step))
    # each hook goes to every callback, in the order they were given, before the next hook
    assert calls == [(name, *e) for e in expected for name in ("a", "b")]


def test_after_backward_sees_gradients_before_the_update():
    X, y = blobs(32)
    model, opt = model_and_optimizer()
    seen = []

    class Check(Callback):
        def on_after_backward(self, state):
            w = state.model.parameters()[0]
            seen.append((w.grad.copy(), w.data.copy()))

        def on_batch_end(self, state, logs):
            g, before = seen[-1]
            after = state.model.parameters()[0].data
            np.testing.assert_allclose(after, before - 0.1 * g)  # SGD, lr 0.1

    fit(model, nn.losses.cross_entropy, opt, (X, y), 2, 8, callbacks=[Check()], progress=False)
    assert len(seen) == 8


def test_a_callback_can_stop_training():
    X, y = blobs()
    model, opt = model_and_optimizer()

    class StopAfterTwo(Callback):
        def on_epoch_end(self, state, logs):
            state.stop = state.epoch == 1

    history = fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        10,
        32,
        callbacks=[StopAfterTwo()],
        progress=False,
    )
    assert history.epoch == [0, 1]


# --- early stopping ---------------------------------------------------------------------


def drive(stopper, values, model=None):
    """Feed EarlyStopping one monitored value per epoch, as fit does; returns epochs run."""
    state = TrainingState(model, None, History())
    stopper.on_train_begin(state)
    for epoch, value in enumerate(values):
        state.epoch = epoch
        stopper.on_epoch_end(state, {stopper.monitor: value})
        if state.stop:
            return epoch + 1
    return len(values)


class Weights:
    """A stand-in model whose state_dict is one number, the epoch it was saved at."""

    def __init__(self):
        self.value, self.loaded = None, None

    def state_dict(self):
        return {"w": np.array(self.value)}

    def load_state_dict(self, d):
        self.loaded = float(d["w"])


def test_early_stopping_stops_after_patience_epochs_without_improvement():
    values = [5.0, 4.0, 4.5, 4.2, 3.9, 4.0, 4.1, 3.95, 3.0]
    stopper = EarlyStopping(patience=3, restore_best=False)
    # best 3.9 at epoch 4; epochs 5, 6, 7 do not improve: stop after epoch 7 (8 epochs run)
    assert drive(stopper, values) == 8
    assert stopper.best == 3.9 and stopper.best_epoch == 4 and stopper.stopped_epoch == 7
    assert drive(EarlyStopping(patience=4, restore_best=False), values) == 9
    # min_delta: an improvement must be larger than it to count
    assert drive(EarlyStopping(patience=2, min_delta=0.5, restore_best=False), values) == 4
    # accuracies are maximised
    assert drive(EarlyStopping(1, monitor="val_accuracy", restore_best=False), [0.5, 0.6, 0.6]) == 3


def test_early_stopping_restores_the_best_weights():
    class Counting(Weights):
        pass

    model = Counting()
    stopper = EarlyStopping(patience=2)
    state = TrainingState(model, None, History())
    stopper.on_train_begin(state)
    for epoch, value in enumerate([3.0, 2.0, 2.5, 2.1]):
        model.value = float(epoch)
        state.epoch = epoch
        stopper.on_epoch_end(state, {"val_loss": value})
    assert state.stop
    stopper.on_train_end(state)
    assert model.loaded == 1.0  # the weights saved at epoch 1, the best


def test_early_stopping_in_fit_stops_and_restores_the_best_epoch():
    X, y = blobs()
    Xv, yv = blobs(40, seed=1)
    yv = 1 - yv  # validation labels contradict training: val_loss soon only worsens
    model, opt = model_and_optimizer(lr=0.3)
    snapshots = []

    class Snapshot(Callback):
        def on_epoch_end(self, state, logs):
            snapshots.append(state.model.state_dict())

    stopper = EarlyStopping(patience=3)
    history = fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        epochs=50,
        batch_size=16,
        val=(Xv, yv),
        callbacks=[Snapshot(), stopper],
        progress=False,
    )
    val_loss = history.history["val_loss"]
    best = int(np.argmin(val_loss))
    assert stopper.best_epoch == best and stopper.best == val_loss[best]
    assert len(history.epoch) == best + 3 + 1 < 50  # patience epochs after the best, then stop
    assert stopper.stopped_epoch == history.epoch[-1]
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, snapshots[best][name])
    assert any(not np.array_equal(v, snapshots[-1][k]) for k, v in model.state_dict().items())


def test_early_stopping_without_restore_keeps_the_last_weights():
    X, y = blobs()
    Xv, yv = blobs(40, seed=1)
    model, opt = model_and_optimizer(lr=0.3)
    history = fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        epochs=50,
        batch_size=16,
        val=(Xv, 1 - yv),
        callbacks=[EarlyStopping(patience=2, restore_best=False)],
        progress=False,
    )
    last = evaluate(model, nn.losses.cross_entropy, Xv, 1 - yv)["loss"]
    assert last == pytest.approx(history.history["val_loss"][-1], rel=1e-12)


def test_early_stopping_names_what_it_misses():
    X, y = blobs()
    model, opt = model_and_optimizer()
    with pytest.raises(KeyError, match=r"monitors 'val_loss'.*pass val="):
        fit(
            model,
            nn.losses.cross_entropy,
            opt,
            (X, y),
            2,
            32,
            callbacks=[EarlyStopping(1)],
            progress=False,
        )
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)


# --- progress bar -----------------------------------------------------------------------


def run_quietly_or_not(progress, epochs=2):
    X, y = blobs(64)
    model, opt = model_and_optimizer()
    return fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        epochs,
        16,
        metrics=["accuracy"],
        progress=progress,
    )


def test_progress_false_prints_nothing(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    run_quietly_or_not(False)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_progress_always_draws_a_tqdm_bar_per_epoch(capsys):
    run_quietly_or_not("always", epochs=2)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err
    assert "4/4" in err  # 64 samples in batches of 16
    assert "loss=" in err and "accuracy=" in err
    assert "batch" in err


def test_progress_is_off_when_stdout_is_not_a_terminal(capsys, monkeypatch):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    run_quietly_or_not(True)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    run_quietly_or_not(True)
    assert "epoch 1/2" in capsys.readouterr().err


# --- Ctrl-C -----------------------------------------------------------------------------


class CtrlC(Callback):
    """Sends SIGINT to this very process after batch ``after`` (counted from 1)."""

    def __init__(self, after, times=1):
        self.after, self.times, self.batches, self.ended = after, times, 0, False

    def on_batch_end(self, state, logs):
        self.batches += 1
        if self.batches == self.after:
            for _ in range(self.times):
                os.kill(os.getpid(), signal.SIGINT)

    def on_train_end(self, state):
        self.ended = True


def test_ctrl_c_stops_after_the_current_batch_and_returns_the_history():
    X, y = blobs(64)  # 4 batches of 16 per epoch
    model, opt = model_and_optimizer()
    handler = signal.getsignal(signal.SIGINT)
    ctrl_c = CtrlC(after=6)  # during the second epoch
    history = fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        10,
        16,
        metrics=["accuracy"],
        callbacks=[ctrl_c],
        progress=False,
    )
    assert history.interrupted
    assert ctrl_c.batches == 6  # no batch started after Ctrl-C
    assert history.epoch == [0, 1]  # the first epoch, and the part of the second that ran
    assert all(len(v) == 2 and all(map(math.isfinite, v)) for v in history.history.values())
    assert ctrl_c.ended
    assert signal.getsignal(signal.SIGINT) is handler  # Ctrl-C works as before again


def test_a_second_ctrl_c_aborts():
    X, y = blobs(64)
    model, opt = model_and_optimizer()
    ctrl_c = CtrlC(after=2, times=2)
    handler = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.losses.cross_entropy, opt, (X, y), 10, 16, callbacks=[ctrl_c], progress=False)
    assert ctrl_c.ended
    assert signal.getsignal(signal.SIGINT) is handler


def test_fit_runs_outside_the_main_thread_leaving_ctrl_c_alone():
    X, y = blobs(64)
    model, opt = model_and_optimizer()
    handler = signal.getsignal(signal.SIGINT)
    results = []
    worker = threading.Thread(
        target=lambda: results.append(
            fit(model, nn.losses.cross_entropy, opt, (X, y), 2, 16, progress=False)
        )
    )
    worker.start()
    worker.join()
    assert results[0].epoch == [0, 1]
    assert signal.getsignal(signal.SIGINT) is handler


# --- plots ------------------------------------------------------------------------------


def test_history_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    X, y = blobs()
    model, opt = model_and_optimizer()
    history = fit(
        model,
        nn.losses.cross_entropy,
        opt,
        (X, y),
        3,
        32,
        val=(X, y),
        metrics=["accuracy"],
        progress=False,
    )
    path = tmp_path / "history.png"
    fig = history.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["loss", "accuracy"]
    labels = [line.get_label() for line in fig.axes[0].lines]
    assert labels == ["loss", "val_loss"]
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), history.history["val_loss"])


# --- reproducibility --------------------------------------------------------------------


def train_once(seed):
    X, y = blobs()
    nn.manual_seed(seed)
    model = nn.MLP([2, 8, 8, 2])
    opt = nn.optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, nn.losses.cross_entropy, opt, (X, y), 3, 16, val=(X, y), progress=False)
    return model.state_dict(), history.history


def test_same_seed_same_run():
    w1, h1 = train_once(3)
    w2, h2 = train_once(3)
    assert h1 == h2  # exactly: same initial weights, same shuffles, same arithmetic
    assert w1.keys() == w2.keys()
    for k in w1:
        np.testing.assert_array_equal(w1[k], w2[k])
    _, h3 = train_once(4)
    assert h3["loss"] != h1["loss"]


def test_seed_argument_fixes_the_shuffles_whatever_the_default_generator():
    X, y = blobs()
    losses = []
    for other in (0, 1):
        nn.manual_seed(0)
        model = nn.MLP([2, 8, 2])
        opt = nn.optim.SGD(model.parameters(), lr=0.1)
        nn.manual_seed(other)  # fit's own seed decides the batches
        losses.append(
            fit(model, nn.losses.cross_entropy, opt, (X, y), 2, 16, progress=False, seed=7).history[
                "loss"
            ]
        )
    assert losses[0] == losses[1]


# --- misuse: each a clear error naming the argument ---------------------------------------


def _setup():
    nn.manual_seed(0)
    model = nn.MLP([2, 3, 2])
    return model, nn.optim.SGD(model.parameters(), lr=0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"train": (np.zeros((0, 2)), np.zeros(0, int))}, ValueError, "train's X is empty"),
        ({"seed": "abc"}, TypeError, "seed must be None, a non-negative int"),
        ({"train": (np.zeros(32), np.zeros(32, int))}, ValueError, r"X is 1-D \(shape \(32,\)\)"),
        ({"batch_size": True}, ValueError, "batch_size must be a positive int, got True"),
        ({"epochs": True}, ValueError, "epochs must be a positive int, got True"),
        ({"epochs": 0}, ValueError, "epochs must be a positive int, got 0"),
    ],
)
def test_fit_misuse_is_named(kwargs, error, match):
    model, opt = _setup()
    args = {"train": (np.zeros((4, 2)), np.zeros(4, int)), "epochs": 1, "batch_size": 32}
    args.update(kwargs)
    before = [p.data.copy() for p in model.parameters()]
    with pytest.raises(error, match=match):
        fit(model, nn.losses.cross_entropy, opt, progress=False, **args)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.parameters(), strict=True))


def test_fit_refuses_an_optimizer_of_another_model_and_evaluate_an_empty_x():
    model, _ = _setup()
    _, other = _setup()
    with pytest.raises(ValueError, match="optimizer holds none of the model's 4 parameters"):
        fit(model, nn.losses.cross_entropy, other, (np.zeros((4, 2)), np.zeros(4, int)), 1)
    with pytest.raises(ValueError, match="evaluate: X is empty"):
        evaluate(model, nn.losses.cross_entropy, np.zeros((0, 2)), np.zeros(0, int))


def test_predict_is_batched_graph_free_and_equal_to_one_forward():
    model, _ = _setup()
    X = np.random.default_rng(0).normal(size=(10, 2))
    out = nn.predict(model, X, batch_size=3)
    np.testing.assert_allclose(out, model(X).data, rtol=1e-14)
    assert model.training  # back in training mode
