"""Two interleaving half-moons: a small MLP learns a curved decision boundary.

    python examples/moons.py [--out DIR] [--epochs N] [--seed S]

The moons are drawn with numpy (the same construction as scikit-learn's
``make_moons``: two half circles, one shifted under the other, plus Gaussian noise),
split 70/15/15 into training, validation and test sets, and learnt by a 2-16-16-2 ReLU
MLP through ``nn.fit`` with Adam, early stopping on the validation loss. Writes
``moons_boundary.png`` (class regions over all points) and ``moons_history.png``
(loss and accuracy per epoch, training and validation), and prints the test accuracy.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import _common
import numpy as np

import nn
from autodiff import Tensor, no_grad
from nn.data import train_val_test_split


def make_moons(n: int = 400, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points on two interleaving half circles (labels 0 and 1) with Gaussian noise.

    >>> X, y = make_moons(10, noise=0.0)
    >>> X.shape, np.bincount(y).tolist()
    ((10, 2), [5, 5])
    """
    rng = np.random.default_rng(seed)
    n_outer = n // 2
    t_outer = np.linspace(0, np.pi, n_outer)
    t_inner = np.linspace(0, np.pi, n - n_outer)
    outer = np.column_stack([np.cos(t_outer), np.sin(t_outer)])
    inner = np.column_stack([1 - np.cos(t_inner), 0.5 - np.sin(t_inner)])
    X = np.concatenate([outer, inner]) + rng.normal(0, noise, size=(n, 2))
    y = np.repeat([0, 1], [n_outer, n - n_outer])
    return X, y


def main(argv: Sequence[str] | None = None) -> int:
    """Make the moons, train with early stopping, report test accuracy, draw."""
    p = _common.parser(__doc__)
    p.add_argument("--epochs", type=int, default=300, help="most epochs (default 300)")
    p.add_argument("--seed", type=int, default=0, help="seed of data, split and weights (0)")
    args = p.parse_args(argv)
    out = _common.out_dir(args.out)

    X, y = make_moons(seed=args.seed)
    X_train, X_val, X_test, y_train, y_val, y_test = train_val_test_split(
        X, y, val=0.15, test=0.15, seed=args.seed, stratify=True
    )
    nn.manual_seed(args.seed)
    model = nn.MLP([2, 16, 16, 2])
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    stop = nn.EarlyStopping(patience=30)
    history = nn.fit(
        model,
        nn.losses.cross_entropy,
        optimizer,
        train=(X_train, y_train),
        val=(X_val, y_val),
        epochs=args.epochs,
        batch_size=32,
        metrics=["accuracy"],
        callbacks=[stop],
        progress=False,
    )

    def predict(points: np.ndarray) -> np.ndarray:
        """P(class 1) for each row of ``points``."""
        model.eval()
        with no_grad():
            return model(Tensor(points)).softmax(axis=1).data[:, 1]

    test = nn.training.evaluate(model, nn.losses.cross_entropy, X_test, y_test, ["accuracy"])
    ran = len(history.epoch)
    print(f"{len(X)} moons points: {len(X_train)} train, {len(X_val)} val, {len(X_test)} test")
    print(f"2-16-16-2 ReLU MLP, Adam lr 0.01, batch 32: {ran} epochs", end="")
    if stop.stopped_epoch is not None:
        print(f" (early stop: no val_loss improvement for {stop.patience} epochs)", end="")
    print(f"; best epoch {stop.best_epoch + 1}, val_loss {stop.best:.4f}")
    print(
        f"train accuracy {history.history['accuracy'][stop.best_epoch]:.3f}, "
        f"val {history.history['val_accuracy'][stop.best_epoch]:.3f}"
    )
    print(f"test accuracy {test['accuracy']:.3f}  (test loss {test['loss']:.4f})")

    wrote: list[Path] = []
    plt = _common.pyplot()
    if plt is not None:
        title = f"moons: 2-16-16-2 ReLU MLP, test accuracy {test['accuracy']:.1%}"
        fig = _common.decision_boundary(plt, predict, X, y, title)
        wrote.append(_common.save(plt, fig, out / "moons_boundary.png"))
        history.plot(out / "moons_history.png")
        wrote.append(out / "moons_history.png")
    _common.report(wrote)
    return 0


if __name__ == "__main__":
    sys.exit(main())
