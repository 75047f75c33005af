"""XOR: the smallest problem no single neuron can solve, learnt by a 2-8-2 MLP.

    python examples/xor.py [--out DIR] [--epochs N] [--seed S]

The four points (0,0)→0, (0,1)→1, (1,0)→1, (1,1)→0 are not linearly separable; one
hidden layer of tanh units bends the boundary around them. Trained with ``nn.fit``
(softmax cross-entropy, Adam, the four points as one batch). Writes
``xor_boundary.png`` (the learnt class regions) and ``xor_history.png`` (loss and
accuracy per epoch), and prints the truth table with the network's probabilities.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import _common
import numpy as np

import nn
from autodiff import Tensor, no_grad

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([0, 1, 1, 0])


def main(argv: Sequence[str] | None = None) -> int:
    """Train on the four points, print the truth table, draw boundary and history."""
    p = _common.parser(__doc__)
    p.add_argument("--epochs", type=int, default=300, help="epochs (default 300)")
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights (0)")
    args = p.parse_args(argv)
    out = _common.out_dir(args.out)

    nn.manual_seed(args.seed)
    model = nn.MLP([2, 8, 2], activation="tanh")
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(
        model,
        nn.losses.cross_entropy,
        optimizer,
        train=(X, Y),
        epochs=args.epochs,
        batch_size=len(X),
        metrics=["accuracy"],
        progress=False,
    )

    def predict(points: np.ndarray) -> np.ndarray:
        """P(class 1) for each row of ``points``."""
        model.eval()
        with no_grad():
            return model(Tensor(points)).softmax(axis=1).data[:, 1]

    prob = predict(X)
    print(f"2-8-2 tanh MLP, {args.epochs} epochs of Adam (lr 0.05) on the four XOR points")
    print(f"loss {history.history['loss'][0]:.4f} → {history.history['loss'][-1]:.6f}")
    print(" x1  x2  target  P(1)    predicted")
    for (a, b), t, q in zip(X, Y, prob, strict=True):
        print(f"{a:3.0f} {b:3.0f}  {t:5d}   {q:.4f}  {int(q > 0.5):5d}")
    print(f"accuracy {np.mean((prob > 0.5) == Y):.0%}")

    wrote: list[Path] = []
    plt = _common.pyplot()
    if plt is not None:
        fig = _common.decision_boundary(plt, predict, X, Y, "XOR: 2-8-2 tanh MLP")
        wrote.append(_common.save(plt, fig, out / "xor_boundary.png"))
        history.plot(out / "xor_history.png")
        wrote.append(out / "xor_history.png")
    _common.report(wrote)
    return 0


if __name__ == "__main__":
    sys.exit(main())
