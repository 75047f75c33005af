"""Tensor benchmark: the same MLP trained by our Tensor, by PyTorch and by hand-written numpy.

    python benchmarks/tensor.py [--quick] [--threads N] [--profile]

Three workloads, each run by all three implementations in this one process, in
interleaved rounds (the order rotates every round), reported as medians:

1. sklearn's digits (1797 × 64, scaled to [0, 1]), MLP 64→128→64→10 with ReLU, softmax
   cross-entropy, SGD lr 0.1, batch 64, shuffled by a seeded Generator: seconds per
   epoch, float64 and float32. Before timing, one epoch from the same initial weights
   and the same shuffles must leave the three at the same loss, or the run stops: a
   benchmark that trains different things is worthless.
2. 784→256→256→10, batch 128, random data, float32: seconds per training step.
3. per-op overhead: ``((a * b + c).sum()).backward()`` on (4, 4) float64 tensors.
4. numpy dispatch: ``np.sin(x)`` on a (4, 4) Tensor against ``autodiff.numpy.sin(x)``.

The numpy column is the floor for any numpy-based engine: the forward and backward
written by hand, with in-place updates and ``out=`` where natural. PyTorch runs what
``nn.Linear`` runs (``addmm``, bias fused) and ``F.cross_entropy``; its update is the
same in-place SGD as ours, grads reset to None.

Threads: all BLAS and OpenMP pools (numpy's OpenBLAS, torch's intra-op pool) get the
same count, 1 by default: set through OMP/OPENBLAS/MKL_NUM_THREADS before numpy or
torch is imported, and ``torch.set_num_threads``. One thread because these matrices
are small (≤ 784 × 256), where a second thread mostly adds synchronisation and
noise, and because it makes the numbers comparable across machines.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple


def _threads_from_argv(argv: Sequence[str]) -> int:
    """``--threads N`` read before numpy loads its BLAS (argparse validates it later)."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--threads=") else None
        if arg == "--threads" and i + 1 < len(argv):
            value = argv[i + 1]
        if value is not None and value.isdigit() and int(value) > 0:
            return int(value)
    return 1


if __name__ == "__main__":
    # Thread pools size themselves when their library loads: set before numpy/torch.
    # Only when run as a script, so importing this module (the tests do) changes nothing.
    _THREADS = _threads_from_argv(sys.argv[1:])
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = str(_THREADS)

import numpy as np  # noqa: E402

from autodiff import Tensor, no_grad  # noqa: E402
from nn.losses import cross_entropy  # noqa: E402

DIGITS_SIZES = (64, 128, 64, 10)
WIDE_SIZES = (784, 256, 256, 10)
LR = 0.1
SEED = 0


# --- the workload's data and initial weights ---------------------------------------------


def init_params(sizes: Sequence[int], dtype: Any = np.float64, seed: int = SEED) -> list[Any]:
    """Glorot-uniform weights of shape (in, out) and zero biases: ``[W1, b1, W2, b2, ...]``.

    Every implementation copies these arrays, so all three start from the same weights.

    >>> [p.shape for p in init_params([4, 3, 2])]
    [(4, 3), (3,), (3, 2), (2,)]
    """
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in itertools.pairwise(sizes):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(dtype))
        params.append(np.zeros(fan_out, dtype=dtype))
    return params


def digits(dtype: Any = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """sklearn's bundled digits: 1797 images of 8 × 8 pixels scaled to [0, 1], and labels.

    >>> X, y = digits(np.float32)
    >>> X.shape, X.dtype, int(y.max())
    ((1797, 64), dtype('float32'), 9)
    """
    from sklearn.datasets import load_digits  # the bench extra; only this workload needs it

    bunch = load_digits()
    X = (bunch.data / 16.0).astype(dtype)  # pixel values are 0..16
    return np.ascontiguousarray(X), bunch.target.astype(np.int64)


# --- the three implementations ---------------------------------------------------------
# Each takes the same initial arrays, keeps its own copy, and offers:
#   data(X, y)   the arrays in the form its training loop indexes (converted once);
#   step(x, y, lr)   one SGD step on a batch (what is timed), returning the loss;
#   loss_and_grads(x, y)   the loss and every parameter's gradient, without updating;
#   loss(X, y)   the loss with no gradient, as a float;  weights()   numpy copies;
#   reset(params)   copy ``params`` back in, in place.


class NumpyMLP:
    """The floor: a ReLU MLP's softmax cross-entropy forward and backward by hand in numpy.

    No graph, no Python per op beyond the numpy call itself: gradients are written into
    buffers allocated once (``out=``), the ReLU runs in place on the fresh matmul output,
    the update is in place.

    >>> x, y = np.ones((2, 4)), np.array([0, 1])
    >>> mlp = NumpyMLP(init_params([4, 3, 2]))
    >>> round(mlp.loss(x, y), 4)
    1.1518
    >>> loss, grads = mlp.loss_and_grads(x, y)
    >>> [g.shape for g in grads] == [p.shape for p in mlp.params]
    True
    """

    def __init__(self, params: Sequence[np.ndarray]) -> None:
        self.params = [p.copy() for p in params]
        self.grads = [np.empty_like(p) for p in params]

    def data(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        return X, y

    def reset(self, params: Sequence[np.ndarray]) -> None:
        for mine, p in zip(self.params, params, strict=True):
            mine[...] = p

    def weights(self) -> list[np.ndarray]:
        return [p.copy() for p in self.params]

    def _forward(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output, from ``x`` to the logits (hidden ones after the ReLU)."""
        params = self.params
        last = len(params) // 2 - 1
        outs = [x]
        for i in range(last + 1):
            h = outs[-1] @ params[2 * i]
            h += params[2 * i + 1]
            if i < last:
                np.maximum(h, 0, out=h)
            outs.append(h)
        return outs

    def _loss_grads(self, x: np.ndarray, y: np.ndarray) -> Any:
        """The mean cross-entropy; its gradients land in ``self.grads``."""
        params, grads = self.params, self.grads
        outs = self._forward(x)
        z = outs[-1]
        n = len(y)
        rows = np.arange(n)
        z -= z.max(axis=1, keepdims=True)  # shift: exp never overflows
        p = np.exp(z)
        total = p.sum(axis=1, keepdims=True)
        loss = np.log(total).mean() - z[rows, y].mean()
        # d loss / d logits = (softmax - onehot) / n, built in p's buffer
        p *= (1.0 / n) / total
        p[rows, y] -= 1.0 / n
        g = p
        for i in range(len(params) // 2 - 1, -1, -1):
            a = outs[i]
            np.matmul(a.T, g, out=grads[2 * i])
            np.add.reduce(g, axis=0, out=grads[2 * i + 1])
            if i:
                g = g @ params[2 * i].T
                g *= a > 0  # a is the ReLU's output: > 0 exactly where its input was
        return loss

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> Any:
        loss = self._loss_grads(x, y)
        for p, g in zip(self.params, self.grads, strict=True):
            g *= lr  # in place: no temporary for lr * g
            p -= g
        return loss

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        loss = self._loss_grads(x, y)
        return float(loss), [g.copy() for g in self.grads]

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        z = self._forward(X)[-1]
        z -= z.max(axis=1, keepdims=True)
        return float(np.log(np.exp(z).sum(axis=1)).mean() - z[np.arange(len(y)), y].mean())


class OursMLP:
    """The same MLP on our Tensor, written as a user would: Tensor ops and nn's loss.

    >>> x, y = np.ones((2, 4)), np.array([0, 1])
    >>> mlp = OursMLP(init_params([4, 3, 2]))
    >>> round(mlp.loss(x, y), 4)
    1.1518
    """

    def __init__(self, params: Sequence[np.ndarray]) -> None:
        self.params = [Tensor(p, requires_grad=True, dtype=p.dtype) for p in params]

    def data(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        return X, y  # a batch enters as a plain array: a constant operand of x @ W

    def reset(self, params: Sequence[np.ndarray]) -> None:
        for mine, p in zip(self.params, params, strict=True):
            mine.data[...] = p
            mine.grad = None

    def weights(self) -> list[np.ndarray]:
        return [p.data.copy() for p in self.params]

    def forward(self, x: np.ndarray, y: np.ndarray) -> Tensor:
        params = self.params
        last = len(params) // 2 - 1
        h: Any = x
        for i in range(last + 1):
            h = h @ params[2 * i] + params[2 * i + 1]
            if i < last:
                h = h.relu()
        return cross_entropy(h, y)

    def step(self, x: np.ndarray, y: np.ndarray, lr: float) -> Tensor:
        loss = self.forward(x, y)
        loss.backward()
        for p in self.params:
            p.data -= lr * p.grad
            p.grad = None
        return loss

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        loss = self.forward(x, y)
        loss.backward()
        grads = [p.grad for p in self.params]
        for p in self.params:
            p.grad = None
        return loss.item(), grads

    def loss(self, X: np.ndarray, y: np.ndarray) -> float:
        with no_grad():
            return self.forward(X, y).item()


class TorchMLP:
    """The same MLP in PyTorch, as ``nn.Linear`` computes it (``addmm``: bias fused).

    >>> x, y = np.ones((2, 4)), np.array([0, 1])
    >>> mlp = TorchMLP(init_params([4, 3, 2]))
    >>> round(mlp.loss(*mlp.data(x, y)), 4)
    1.1518
    """

    def __init__(self, params: Sequence[np.ndarray]) -> None:
        import torch  # the oracle extra; imported here so the module loads without it
        import torch.nn.functional as F

        self.torch, self.F = torch, F
        self.params: list[Any] = [torch.tensor(p, requires_grad=True) for p in params]  # copies

    def data(self, X: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        return self.torch.from_numpy(X), self.torch.from_numpy(y)

    def index(self, perm: np.ndarray) -> Any:
        return self.torch.from_numpy(perm)

    def reset(self, params: Sequence[np.ndarray]) -> None:
        with self.torch.no_grad():
            for mine, p in zip(self.params, params, strict=True):
                mine.copy_(self.torch.from_numpy(p))
                mine.grad = None

    def weights(self) -> list[np.ndarray]:
        return [p.detach().numpy().copy() for p in self.params]

    def forward(self, x: Any, y: Any) -> Any:
        params, addmm, relu = self.params, self.torch.addmm, self.torch.relu
        last = len(params) // 2 - 1
        h = x
        for i in range(last + 1):
            h = addmm(params[2 * i + 1], h, params[2 * i])
            if i < last:
                h = relu(h)
        return self.F.cross_entropy(h, y)

    def step(self, x: Any, y: Any, lr: float) -> Any:
        loss = self.forward(x, y)
        loss.backward()
        with self.torch.no_grad():
            for p in self.params:
                p.add_(p.grad, alpha=-lr)  # fused in place: faster than torch.optim.SGD here
                p.grad = None
        return loss

    def loss_and_grads(self, x: Any, y: Any) -> tuple[float, list[np.ndarray]]:
        loss = self.forward(x, y)
        loss.backward()
        grads = [p.grad.numpy().copy() for p in self.params]
        for p in self.params:
            p.grad = None
        return loss.item(), grads

    def loss(self, X: Any, y: Any) -> float:
        with self.torch.no_grad():
            return float(self.forward(X, y).item())


MODELS: dict[str, Callable[[Sequence[np.ndarray]], Any]] = {
    "ours": OursMLP,
    "torch": TorchMLP,
    "numpy": NumpyMLP,
}


def train_epoch(model: Any, data: tuple[Any, Any], batch: int, lr: float, rng: Any) -> None:
    """One epoch of minibatch SGD in the order of ``rng.permutation`` (the last batch short).

    >>> X, y = np.ones((5, 4)), np.zeros(5, dtype=np.int64)
    >>> mlp = NumpyMLP(init_params([4, 3, 2]))
    >>> before = mlp.loss(X, y)
    >>> train_epoch(mlp, mlp.data(X, y), 2, 0.1, np.random.default_rng(0))
    >>> mlp.loss(X, y) < before
    True
    """
    X, y = data
    perm = rng.permutation(len(y))
    index = getattr(model, "index", None)
    if index is not None:
        perm = index(perm)
    for start in range(0, len(perm), batch):
        rows = perm[start : start + batch]
        model.step(X[rows], y[rows], lr)


# --- timing ------------------------------------------------------------------------------


def interleaved(runs: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """What each run returns (seconds per unit), once per round, the runs taking turns.

    One warm-up round is discarded; each round rotates the order so that no run always
    goes first; collecting the young generations before each run keeps one run's garbage
    from being collected in another's time. Sample ``i`` of every run comes from the same
    round, so ratios can be taken pairwise (see :func:`paired_ratio`).

    >>> interleaved({"a": lambda: 1.0, "b": lambda: 2.0}, 2)
    {'a': [1.0, 1.0], 'b': [2.0, 2.0]}
    """
    names = list(runs)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds + 1):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect(1)  # the young generations: a full collection takes ~100 ms
            seconds = runs[name]()
            if r:
                samples[name].append(seconds)
    return samples


def paired_ratio(num: Sequence[float], den: Sequence[float]) -> float:
    """Median of the per-round ratios: robust to the machine speeding up or slowing down.

    >>> paired_ratio([2.0, 4.0, 30.0], [1.0, 2.0, 10.0])
    2.0
    """
    return statistics.median(n / d for n, d in zip(num, den, strict=True))


def _epoch_run(model: Any, data: tuple[Any, Any], init: list[np.ndarray], epochs: int) -> Any:
    def run() -> float:
        model.reset(init)
        rng = np.random.default_rng(SEED)
        start = time.perf_counter()
        for _ in range(epochs):
            train_epoch(model, data, 64, LR, rng)
        return (time.perf_counter() - start) / epochs

    return run


def _step_run(
    model: Any, batches: list[tuple[Any, Any]], init: list[np.ndarray], steps: int
) -> Any:
    def run() -> float:
        # From the initial weights each time, so that every sample times the same
        # computation (not a network that has drifted far on a few random batches).
        model.reset(init)
        step = model.step
        start = time.perf_counter()
        for i in range(steps):
            x, y = batches[i % len(batches)]
            step(x, y, LR)
        return (time.perf_counter() - start) / steps

    return run


def overhead_runs(iterations: int) -> dict[str, Callable[[], float]]:
    """Seconds per ``((a * b + c).sum()).backward()`` on (4, 4) float64, grads reset each time.

    >>> sorted(overhead_runs(10))
    ['numpy', 'ours', 'torch']
    """
    rng = np.random.default_rng(SEED)
    arrays = [rng.normal(size=(4, 4)) for _ in range(3)]

    def ours() -> float:
        a, b, c = (Tensor(x, requires_grad=True) for x in arrays)
        start = time.perf_counter()
        for _ in range(iterations):
            a.grad = b.grad = c.grad = None
            ((a * b + c).sum()).backward()
        return (time.perf_counter() - start) / iterations

    def torch_run() -> float:
        import torch

        a, b, c = (torch.tensor(x, requires_grad=True) for x in arrays)
        start = time.perf_counter()
        for _ in range(iterations):
            a.grad = b.grad = c.grad = None
            ((a * b + c).sum()).backward()
        return (time.perf_counter() - start) / iterations

    def numpy_run() -> float:
        a, b, c = (x.copy() for x in arrays)
        grads: list[np.ndarray] = []
        start = time.perf_counter()
        for _ in range(iterations):
            s = a * b + c  # the three forward ops
            s.sum()
            gs = np.ones(s.shape)  # d sum / d s
            grads[:] = gs * b, gs * a, gs  # stored, as a backward pass stores them
        return (time.perf_counter() - start) / iterations

    return {"ours": ours, "torch": torch_run, "numpy": numpy_run}


def dispatch_runs(iterations: int) -> dict[str, Callable[[], float]]:
    """Seconds per ``np.sin(x)`` on a (4, 4) float64 Tensor that requires grad (numpy's
    dispatch to our op), against the direct call ``autodiff.numpy.sin(x)`` (in the
    numpy column) and ``torch.sin``.

    >>> sorted(dispatch_runs(10))
    ['numpy', 'ours', 'torch']
    """
    import autodiff.numpy as anp

    data = np.random.default_rng(SEED).normal(size=(4, 4))

    def timed(fn: Callable[[Any], Any], x: Any) -> float:
        start = time.perf_counter()
        for _ in range(iterations):
            fn(x)
        return (time.perf_counter() - start) / iterations

    def torch_run() -> float:
        import torch

        return timed(torch.sin, torch.tensor(data, requires_grad=True))

    x = Tensor(data, requires_grad=True)
    return {
        "ours": lambda: timed(np.sin, x),
        "torch": torch_run,
        "numpy": lambda: timed(anp.sin, x),
    }


# --- the run -----------------------------------------------------------------------------


def check_one_epoch(X: np.ndarray, y: np.ndarray, dtype: Any) -> tuple[dict[str, float], float]:
    """Train one epoch from the same weights and shuffles; stop unless all three agree.

    Returns each implementation's loss on all of ``X`` afterwards, and the largest
    difference of any weight from numpy's.

    >>> X, y = np.random.default_rng(0).random((70, 64)), np.arange(70) % 10
    >>> losses, dw = check_one_epoch(X, y, np.float64)
    >>> sorted(losses), dw < 1e-12
    (['numpy', 'ours', 'torch'], True)
    """
    init = init_params(DIGITS_SIZES, dtype)
    losses, weights = {}, {}
    for name, make in MODELS.items():
        model = make(init)
        data = model.data(X, y)
        train_epoch(model, data, 64, LR, np.random.default_rng(SEED))
        losses[name] = model.loss(*data)
        weights[name] = model.weights()
    tol = 1e-10 if np.dtype(dtype) == np.float64 else 1e-5
    worst = 0.0
    for name in ("ours", "torch"):
        pairs = zip(weights[name], weights["numpy"], strict=True)
        dw = max(float(np.abs(a - b).max()) for a, b in pairs)
        worst = max(worst, dw)
        if not (abs(losses[name] - losses["numpy"]) <= tol and dw <= tol):
            raise SystemExit(
                f"benchmark invalid: after one {np.dtype(dtype)} epoch {name} has loss "
                f"{losses[name]!r}, numpy {losses['numpy']!r}, weights differing by up to "
                f"{dw:.3g}: the implementations do not train the same thing"
            )
    return losses, worst


def _environment(threads: int, repeats: int) -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    pools = "unverified (threadpoolctl not installed)"
    try:
        from threadpoolctl import threadpool_info

        counts = sorted({info["num_threads"] for info in threadpool_info()})
        pools = "/".join(map(str, counts)) + " (threadpoolctl: every BLAS/OpenMP pool loaded)"
    except ImportError:
        pass
    return (
        f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
        f"{cpu} ({os.cpu_count()} CPUs)\n"
        f"threads: {threads} (OMP/OPENBLAS/MKL_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
        f"torch.get_num_threads()={torch.get_num_threads()}); pools: {pools}\n"
        f"times: medians of {repeats} interleaved rounds after one warm-up round; "
        "ratios: medians of the per-round ratios"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three workloads and print the table (``--quick``: a smoke run under 30 s)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (< 30 s)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
    parser.add_argument("--profile", action="store_true", help="cProfile our digits epoch")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be at least 1")
    if os.environ.get("OPENBLAS_NUM_THREADS") != str(args.threads):
        parser.error("run as a script (python benchmarks/tensor.py): threads are set at startup")
    try:
        import torch
    except ImportError:
        print('PyTorch is needed: pip install -e ".[oracle]"', file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)

    # Short samples and many rounds: the rounds pair the three closely in time, which
    # matters on a shared or virtual machine whose speed drifts by 2x within seconds.
    rounds = 9 if args.quick else 201
    steps = 2 if args.quick else 5
    iterations = 200 if args.quick else 500

    try:
        X64, y = digits(np.float64)
    except ImportError:
        print('scikit-learn is needed for the digits: pip install -e ".[bench]"', file=sys.stderr)
        return 2

    # torch brings ~200k long-lived objects: freeze them, so that an automatic full
    # collection costs what it would in a program without torch, whichever run it hits.
    gc.collect()
    gc.freeze()
    print(_environment(args.threads, rounds))

    print("\none epoch from the same weights and shuffles, loss on all 1797 digits:")
    for dtype in (np.float64, np.float32):
        losses, dw = check_one_epoch(X64.astype(dtype), y, dtype)
        spread = max(losses.values()) - min(losses.values())
        shown = "  ".join(f"{k} {v:.10f}" for k, v in losses.items())
        print(f"  {np.dtype(dtype).name:8s} {shown}  loss spread {spread:.1e}, max |Δw| {dw:.1e}")

    rows = []
    for dtype in (np.float64, np.float32):
        X = X64.astype(dtype)
        init = init_params(DIGITS_SIZES, dtype)
        runs = {}
        for name, make in MODELS.items():
            model = make(init)
            runs[name] = _epoch_run(model, model.data(X, y), init, 1)
        rows.append(
            Row(
                f"digits 64-128-64-10, {np.dtype(dtype).name}",
                "ms/epoch",
                interleaved(runs, rounds),
                (("torch/ours", ">=", 1.7), ("ours/numpy", "<=", 1.4)),
            )
        )

    rng = np.random.default_rng(SEED + 1)
    xs = [rng.random((128, 784), dtype=np.float32) for _ in range(4)]
    ys = [rng.integers(0, 10, 128) for _ in range(4)]
    init = init_params(WIDE_SIZES, np.float32)
    runs = {}
    for name, make in MODELS.items():
        model = make(init)
        batches = [model.data(x, t) for x, t in zip(xs, ys, strict=True)]
        runs[name] = _step_run(model, batches, init, steps)
    rows.append(
        Row(
            "784-256-256-10 b128, float32",
            "ms/step",
            interleaved(runs, rounds),
            (("ours/numpy", "<=", 1.15),),
        )
    )
    rows.append(
        Row(
            "(a*b+c).sum().backward() 4x4 f64",
            "µs/iter",
            interleaved(overhead_runs(iterations), rounds),
            (("ours", "<=", 10.0),),
        )
    )
    rows.append(
        Row(
            "np.sin(x) 4x4 f64 (numpy col: anp.sin(x))",
            "µs/call",
            interleaved(dispatch_runs(iterations), rounds),
            (("ours/numpy", "<=", 2.0),),
        )
    )
    print()
    print(table(rows))
    if args.profile:
        _profile(X64, y, epochs=30)
    return 0


class Row(NamedTuple):
    """One workload's samples (seconds per unit) and its targets.

    A target is (quantity, ">=" or "<=", limit): the quantity is ``"ours"`` (a time in
    the row's unit) or a ratio ``"torch/ours"``, ``"ours/numpy"``.
    """

    workload: str
    unit: str
    samples: dict[str, list[float]]
    targets: tuple[tuple[str, str, float], ...]

    def value(self, quantity: str) -> float:
        """The median time in the row's unit, or the median paired ratio.

        >>> Row("w", "ms/step", {"ours": [0.002], "numpy": [0.001]}, ()).value("ours/numpy")
        2.0
        """
        if "/" in quantity:
            num, den = quantity.split("/")
            return paired_ratio(self.samples[num], self.samples[den])
        scale = 1e6 if self.unit.startswith("µs") else 1e3
        return statistics.median(self.samples[quantity]) * scale


def table(rows: Sequence[Row]) -> str:
    """The results as aligned text, then each target with its value and ok or MISSED.

    >>> r = Row("w", "µs/iter", {"ours": [4e-6], "torch": [8e-6], "numpy": [2e-6]},
    ...         (("ours", "<=", 10.0),))
    >>> print(table([r]).splitlines()[-1])
      w: ours 4.00 ≤ 10: ok
    """
    head = ("workload", "unit", "ours", "torch", "numpy", "torch/ours", "ours/numpy")
    body = [
        (
            row.workload,
            row.unit,
            *(f"{row.value(name):.3f}" for name in ("ours", "torch", "numpy")),
            f"{row.value('torch/ours'):.2f}×",
            f"{row.value('ours/numpy'):.2f}×",
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in (head, *body)) for i in range(len(head))]
    lines = []
    for r in (head, *body):
        cells = [
            c.rjust(w) if i >= 2 else c.ljust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "-" * max(map(len, lines)))
    lines.append("\ntargets:")
    for row in rows:
        verdicts = []
        for q, cmp, limit in row.targets:
            value = row.value(q)
            sign = "≥" if cmp == ">=" else "≤"
            verdict = "ok" if _holds(value, cmp, limit) else "MISSED"
            verdicts.append(f"{q} {value:.2f} {sign} {limit:g}: {verdict}")
        lines.append(f"  {row.workload}: " + "; ".join(verdicts))
    return "\n".join(lines)


def _holds(value: float, cmp: str, limit: float) -> bool:
    return value >= limit if cmp == ">=" else value <= limit


def _profile(X: np.ndarray, y: np.ndarray, epochs: int) -> None:
    """cProfile of our float64 digits epochs: which functions the time goes to."""
    import cProfile
    import pstats

    init = init_params(DIGITS_SIZES, np.float64)
    model = OursMLP(init)
    data = model.data(X, y)
    rng = np.random.default_rng(SEED)
    train_epoch(model, data, 64, LR, rng)  # warm up
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(epochs):
        train_epoch(model, data, 64, LR, rng)
    profiler.disable()
    print(
        f"\ncProfile of {epochs} epochs of ours (float64 digits), by own time. numpy work "
        "called through an operator (x @ w, g * mask) counts in the calling function's own time."
    )
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    sys.exit(main())
