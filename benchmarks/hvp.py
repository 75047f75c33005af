"""The cost of a Hessian-vector product relative to one gradient of the same function.

    python benchmarks/hvp.py [--quick]

``hvp(f)(x, v)`` runs a backward pass with ``create_graph`` and a second backward pass
through it; the target is at most 5× the time of ``grad(f)(x)``. Two functions: an MLP
loss on Tensors (a flat parameter vector, 64→32→10 tanh, batch 32) and a scalar function
of 20 Values. Medians over interleaved repeats.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from autodiff import Tensor, grad, hvp

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 64))
Y = RNG.integers(0, 10, size=32)
SHAPES = [(64, 32), (32,), (32, 10), (10,)]
N = sum(int(np.prod(s)) for s in SHAPES)


def mlp_loss(theta: Tensor) -> Tensor:
    """Softmax cross-entropy of a tanh MLP whose weights are sliced from one vector."""
    parts, start = [], 0
    for s in SHAPES:
        k = int(np.prod(s))
        parts.append(theta[start : start + k].reshape(s))
        start += k
    W1, b1, W2, b2 = parts
    logits = (Tensor(X) @ W1 + b1).tanh() @ W2 + b2
    return -logits.log_softmax(axis=1)[np.arange(len(Y)), Y].mean()


def scalar_function(*xs):
    """A chain of elementwise ops over 20 inputs (one-element nodes: per-op overhead)."""
    total = xs[0] * 0.0
    for i, x in enumerate(xs):
        total = total + (x * xs[(i + 1) % len(xs)]).tanh() + x.sigmoid() * x
    return total


def _time(f, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        f()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, repeats = (3, 5) if args.quick else (15, 20)
    theta, v = RNG.normal(size=N) * 0.1, RNG.normal(size=N)
    xs = [float(x) for x in RNG.normal(size=20)]
    vs = RNG.normal(size=20)

    def unpacked(t: Tensor) -> Tensor:
        # The 20 inputs as elements of one Tensor: hvp differentiates one argument.
        return scalar_function(*[t[i] for i in range(20)])

    def scalar_grad() -> None:
        grad(unpacked)(np.array(xs))

    def scalar_hvp() -> None:
        hvp(unpacked)(np.array(xs), vs)

    workloads = {
        f"MLP loss, {N} parameters (Tensor)": (
            lambda: grad(mlp_loss)(theta),
            lambda: hvp(mlp_loss)(theta, v),
        ),
        "chain of ~120 ops on 20 elements": (scalar_grad, scalar_hvp),
    }
    print(f"{'workload':<36} {'grad (ms)':>10} {'hvp (ms)':>10} {'hvp/grad':>9}  target ≤5×")
    for name, (g, h) in workloads.items():
        tg, th = [], []
        for _ in range(rounds):
            tg.append(_time(g, repeats))
            th.append(_time(h, repeats))
        mg, mh = statistics.median(tg) * 1e3, statistics.median(th) * 1e3
        ok = "yes" if mh / mg <= 5 else "NO"
        print(f"{name:<36} {mg:>10.3f} {mh:>10.3f} {mh / mg:>8.2f}×  {ok}")
    print(f"medians of {rounds} interleaved rounds of {repeats} calls")


if __name__ == "__main__":
    main()
