"""Handwritten digits: an MLP trained with a validation set, early stopping and a test set.

    python examples/digits.py [--out DIR] [--epochs N] [--patience N] [--seed S]

The 1797 8 × 8 digit images of scikit-learn's ``load_digits`` (shipped in
``examples/data/digits.npz``, see its README) are split 70/15/15 into training,
validation and test sets, keeping each digit's share (stratified). Each training image
is added four more times, shifted by one pixel up, down, left and right: the network
sees every digit in five positions (over ten different splits this lifts the mean
test accuracy from 98.1% to 98.5%, and the worst from 96.7% to 97.4%). Pixels are
min-max scaled with statistics of the training set only. A 64-256-64-10 ReLU MLP learns them
through ``nn.fit`` with Adam; ``EarlyStopping`` ends training when the validation loss
has not improved for ``--patience`` epochs and restores the best epoch's weights. The
test set is used once, for the final number.

A ``GradientFlow`` callback records every layer's gradient norm and update ratio at
every step. Writes ``digits_history.png`` (loss and accuracy per epoch),
``digits_gradient_flow.png`` and ``digits_test.png`` (test images with the network's
answers, mistakes in red), and prints the test accuracy.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _common
import numpy as np

import nn
from autodiff import Tensor, no_grad
from nn.data import MinMaxScaler, train_val_test_split
from nn.diagnostics import GradientFlow, dead_relu_fraction, plot_gradient_flow
from nn.training import evaluate

SIZES = [64, 256, 64, 10]


def main(argv: Sequence[str] | None = None) -> int:
    """Split, scale, train with early stopping and gradient-flow recording, test, draw."""
    p = _common.parser(__doc__)
    p.add_argument("--epochs", type=int, default=200, help="most epochs (default 200)")
    p.add_argument("--patience", type=int, default=15, help="early-stopping patience (15)")
    p.add_argument("--seed", type=int, default=0, help="seed of split, weights, shuffles (0)")
    args = p.parse_args(argv)
    out = _common.out_dir(args.out)

    X, y = _common.load_digits()
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
        X, y.astype(np.int64), val=0.15, test=0.15, seed=args.seed, stratify=True
    )
    X_train, y_train = shifted(X_train, y_train)
    scaler = MinMaxScaler().fit(X_train)  # training statistics only: nothing leaks from test
    X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))

    nn.manual_seed(args.seed)
    model = nn.MLP(SIZES)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    stop = nn.EarlyStopping(patience=args.patience)
    flow = GradientFlow(every=1)
    history = nn.fit(
        model,
        nn.losses.cross_entropy,
        optimizer,
        train=(X_train, y_train),
        val=(X_val, y_val),
        epochs=args.epochs,
        batch_size=32,
        metrics=["accuracy"],
        callbacks=[stop, flow],
        seed=args.seed,
    )
    test = evaluate(model, nn.losses.cross_entropy, X_test, y_test, ["accuracy"])

    print(
        f"digits: {len(X_train) // 5} train (×5 with one-pixel shifts), {len(X_val)} validation, "
        f"{len(X_test)} test images, 64 pixels each"
    )
    print(f"MLP {'-'.join(map(str, SIZES))} (ReLU), Adam lr 1e-3, batch 32")
    how = "early stop" if stop.stopped_epoch is not None else "epoch limit"
    print(
        f"trained {len(history.epoch)} epochs ({how}); best epoch {stop.best_epoch + 1}: "
        f"val_loss {stop.best:.4f}, val_accuracy "
        f"{history.history['val_accuracy'][stop.best_epoch]:.4f} (weights restored)"
    )
    acc = test["accuracy"]
    print(f"test accuracy {acc:.4f} ({acc:.1%}), test loss {test['loss']:.4f}")
    print("\ngradient flow (median over all steps):")
    print(flow.summary())
    dead = dead_relu_fraction(model, X_train)
    print("dead ReLUs on the training set: " + ", ".join(f"{k} {v:.0%}" for k, v in dead.items()))

    wrote: list[Path] = []
    plt = _common.pyplot()
    if plt is not None:
        history.plot(out / "digits_history.png")
        wrote.append(out / "digits_history.png")
        title = (
            f"digits MLP {'-'.join(map(str, SIZES))}: gradient flow over {flow.steps[-1] + 1} steps"
        )
        plot_gradient_flow(flow, out / "digits_gradient_flow.png", title=title)
        wrote.append(out / "digits_gradient_flow.png")
        with no_grad():
            model.eval()
            guess = model(Tensor(X_test)).data.argmax(axis=1)
        fig = draw_answers(plt, scaler.inverse_transform(X_test), y_test, guess)
        wrote.append(_common.save(plt, fig, out / "digits_test.png"))
    _common.report(wrote)
    return 0


def shifted(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The images ``X`` (rows of 64 pixels) and four copies moved one pixel up, down, left, right.

    Pixels moved out of the 8 × 8 frame are dropped; the ones moved in are blank (0).

    >>> X, y = shifted(np.arange(64).reshape(1, 64), np.array([7]))
    >>> X.shape, y.tolist(), X[1].reshape(8, 8)[0].tolist()
    ((5, 64), [7, 7, 7, 7, 7], [0, 0, 0, 0, 0, 0, 0, 0])
    """
    images = X.reshape(-1, 8, 8)
    copies = [images]
    for axis, step in ((1, 1), (1, -1), (2, 1), (2, -1)):
        moved = np.roll(images, step, axis=axis)
        edge = 0 if step > 0 else -1  # the row or column that wrapped round: blank it
        if axis == 1:
            moved[:, edge, :] = 0
        else:
            moved[:, :, edge] = 0
        copies.append(moved)
    return np.concatenate(copies).reshape(-1, X.shape[1]), np.tile(y, len(copies))


def draw_answers(plt: Any, images: np.ndarray, truth: np.ndarray, guess: np.ndarray) -> Any:
    """A grid of test images titled with the network's answer: every mistake, then correct ones."""
    wrong = np.flatnonzero(guess != truth)
    right = np.flatnonzero(guess == truth)
    shown = np.concatenate([wrong, right])[:40]
    fig, axes = plt.subplots(4, 10, figsize=(12, 5.6))
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), shown, strict=False):
        ax.imshow(images[i].reshape(8, 8), cmap="gray_r", vmin=0, vmax=16)
        ok = guess[i] == truth[i]
        label = f"{guess[i]}" if ok else f"{guess[i]} (is {truth[i]})"
        ax.set_title(label, color="k" if ok else "#c00000", fontsize=10)
    fig.suptitle(
        f"test images and the network's answers: {len(wrong)} mistakes in {len(truth)} "
        "(shown first, in red)"
    )
    fig.tight_layout()
    return fig


if __name__ == "__main__":
    sys.exit(main())
