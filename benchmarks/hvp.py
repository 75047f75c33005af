"""The cost of a Hessian-vector product relative to one gradient of the same function.

    python benchmarks/hvp.py [--quick]

``hvp(f)(x, v)`` runs a backward pass with ``create_graph`` and a second backward pass
through it; the target is at most 5× the time of ``grad(f)(x)``. Two functions: an MLP
loss on Tensors (a flat parameter vector, 64→32→10 tanh, batch 32) and a scalar function
of 20 Values (a tuple of floats in, so the transforms build Values). Medians over
interleaved repeats.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np

from autodiff import Tensor, Value, grad, hvp

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


def scalar_function(*xs: Value) -> Value:
    """Six ops per input over 20 Values: what a Value graph costs is per-op overhead."""
    total = xs[0] * 0.0
    for i, x in enumerate(xs):
        total = total + (x * xs[(i + 1) % len(xs)]).tanh() + x.sigmoid() * x
    return total


def _time(f, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        f()
    return (time.perf_counter() - start) / repeats


def _agreement(f: Any, x: Any, v: Any, eps: float = 1e-6) -> float:
    """Largest difference of hvp(f)(x, v) from a central difference of gradients along v,
    relative to the largest element: the benchmark times a correct product."""

    def moved(sign: float) -> Any:
        if isinstance(x, tuple):
            return tuple(a + sign * eps * b for a, b in zip(x, v, strict=True))
        return x + sign * eps * v

    def flat(t: Any) -> np.ndarray:
        return np.asarray(t, dtype=float).reshape(-1)

    numeric = (flat(grad(f)(moved(1))) - flat(grad(f)(moved(-1)))) / (2 * eps)
    exact = flat(hvp(f)(x, v))
    return float(np.max(np.abs(exact - numeric)) / np.max(np.abs(numeric)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds, repeats = (5, 10) if args.quick else (15, 20)
    theta, v = RNG.normal(size=N) * 0.1, RNG.normal(size=N)
    xs = [float(x) for x in RNG.normal(size=20)]
    vs = RNG.normal(size=20)

    def packed(values: tuple[Value, ...]) -> Value:
        # One argument, a tuple of 20 floats: the transforms hand f a tuple of Values.
        return scalar_function(*values)

    x_tuple, v_tuple = tuple(xs), tuple(float(v) for v in vs)

    def scalar_grad() -> None:
        grad(packed)(x_tuple)

    def scalar_hvp() -> None:
        hvp(packed)(x_tuple, v_tuple)

    workloads = {
        f"MLP loss, {N} parameters (Tensor)": (
            lambda: grad(mlp_loss)(theta),
            lambda: hvp(mlp_loss)(theta, v),
            _agreement(mlp_loss, theta, v),
        ),
        "Value function, 20 inputs, 120 ops": (
            scalar_grad,
            scalar_hvp,
            _agreement(packed, x_tuple, v_tuple),
        ),
    }
    print(
        f"{'workload':<36} {'grad (ms)':>10} {'hvp (ms)':>10} {'hvp/grad':>9}  target ≤5×"
        f"  {'vs Δgrad':>8}"
    )
    for name, (g, h, agreement) in workloads.items():
        g(), h()  # warm up: first calls pay for caches and lazy imports
        tg, th = [], []
        for _ in range(rounds):
            tg.append(_time(g, repeats))
            th.append(_time(h, repeats))
        mg, mh = statistics.median(tg) * 1e3, statistics.median(th) * 1e3
        # the median of paired per-round ratios: a load spike hits both sides of a pair
        ratio = statistics.median(b / a for a, b in zip(tg, th, strict=True))
        ok = "yes" if ratio <= 5 else "NO"
        print(f"{name:<36} {mg:>10.3f} {mh:>10.3f} {ratio:>8.2f}×  {ok:>10}  {agreement:>8.1e}")
    print(f"medians of {rounds} interleaved rounds of {repeats} calls; ratio: median of pairs")
    print("vs Δgrad: largest |hvp − (∇f(x + εv) − ∇f(x − εv)) / 2ε|, relative, ε = 1e-6")


if __name__ == "__main__":
    main()
