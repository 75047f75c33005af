"""nn.fit against the same training written as a plain loop, on our Tensor and in PyTorch.

    python benchmarks/fit.py [--quick] [--epochs N] [--rounds N]

The job, end to end: sklearn's digits (the copy shipped in ``examples/data``, pixels
scaled to [0, 1]), 85% for training and 15% for validation (stratified); an MLP
64→128→64→10 with ReLU; softmax cross-entropy; SGD, lr 0.1, batch 64, shuffled by a
seeded Generator; each epoch reports the training loss and accuracy and the validation
loss and accuracy. One sample is the whole job (``--epochs`` epochs, 2 by default)
from the same initial weights. Three ways, all in this one process:

- ``fit``: ``nn.MLP`` and ``nn.optim.SGD`` trained by ``nn.fit(..., val=...,
  metrics=["accuracy"], progress=False)``, what a user of this package writes;
- ``loop``: the same ``nn.MLP`` and ``nn.optim.SGD`` in a hand-written loop (permute,
  slice, forward, loss, zero_grad, backward, step, count; then a no-grad validation
  pass), so ``fit/loop`` is exactly what ``fit`` adds;
- ``torch``: the same model as a PyTorch user writes it: ``torch.nn.Sequential`` of
  ``Linear``/``ReLU``, ``F.cross_entropy``, ``torch.optim.SGD``, the same loop.

Same initial weights (Glorot uniform, zero biases: ``benchmarks/tensor.py``'s
``init_params``), same shuffles, same dtype; before timing, one job per way must give
the same per-epoch numbers or the run stops. One thread for every BLAS/OpenMP pool
(set before numpy and torch load). Each round runs the three in turn, order rotating;
times are medians over rounds, ratios medians of per-round ratios
(``benchmarks/tensor.py``'s ``interleaved`` and ``paired_ratio``). Short jobs and many
rounds, because on a shared machine only samples taken close together compare well.
Targets: ``fit/loop`` ≤ 1.10 and ``torch/fit`` ≥ 1.5.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":
    # Thread pools size themselves when their library loads: set before numpy/torch.
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = "1"

import argparse
import gc
import importlib.util
import itertools
import platform
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import nn
from autodiff import Tensor, no_grad
from nn.data import train_val_test_split
from nn.losses import cross_entropy

HERE = Path(__file__).resolve().parent


def _script(name: str, path: Path) -> ModuleType:
    """A sibling script loaded by path (benchmarks/ and examples/ are not packages)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# benchmarks/tensor.py's initial weights and interleaved timing; the shipped digits
_tensor_bench = _script("_bench_tensor", HERE / "tensor.py")
init_params, interleaved, paired_ratio = (
    _tensor_bench.init_params,
    _tensor_bench.interleaved,
    _tensor_bench.paired_ratio,
)
load_digits = _script("_examples_common", HERE.parent / "examples" / "_common.py").load_digits

SIZES = (64, 128, 64, 10)
LR = 0.1
BATCH = 64
SEED = 0
TARGETS = (("fit/loop", "<=", 1.10), ("torch/fit", ">=", 1.5))

Data = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
History = dict[str, list[float]]


def digits(dtype: Any) -> Data:
    """Training and validation digits: ``X_train, y_train, X_val, y_val``, pixels in [0, 1].

    >>> X, y, Xv, yv = digits(np.float32)
    >>> X.shape, Xv.shape, X.dtype, y.dtype
    ((1528, 64), (269, 64), dtype('float32'), dtype('int64'))
    """
    X, y = load_digits()
    X_train, X_val, _, y_train, y_val, _ = train_val_test_split(
        (X / 16.0).astype(dtype), y.astype(np.int64), val=0.15, test=0.0, seed=SEED, stratify=True
    )
    return X_train, y_train, X_val, y_val


# --- the three ways ----------------------------------------------------------------------
# Each is a class built from the initial arrays, with run(data, epochs) -> History that
# first resets the weights to those arrays, so every sample times the same job.


class Fit:
    """``nn.fit`` on ``nn.MLP`` with ``nn.optim.SGD``."""

    def __init__(self, init: Sequence[np.ndarray]) -> None:
        self.model = nn.MLP(list(SIZES), dtype=init[0].dtype, rng=0)
        self.init = {
            name: a for (name, _), a in zip(self.model.named_parameters(), init, strict=True)
        }
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=LR)

    def run(self, data: Data, epochs: int) -> History:
        self.model.load_state_dict(self.init)
        X, y, Xv, yv = data
        history = nn.fit(
            self.model,
            cross_entropy,
            self.optimizer,
            (X, y),
            epochs=epochs,
            batch_size=BATCH,
            val=(Xv, yv),
            metrics=["accuracy"],
            progress=False,
            seed=SEED,
        )
        return history.history


class Loop(Fit):
    """The same model and optimizer in a hand-written loop."""

    def run(self, data: Data, epochs: int) -> History:
        model, optimizer = self.model, self.optimizer
        model.load_state_dict(self.init)
        X, y, Xv, yv = data
        dtype = X.dtype
        rng = np.random.default_rng(SEED)
        history: History = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
        for _ in range(epochs):
            model.train()
            order = rng.permutation(len(y))
            total, correct = 0.0, 0
            for start in range(0, len(order), BATCH):
                rows = order[start : start + BATCH]
                xb, yb = X[rows], y[rows]
                out = model(Tensor(xb, dtype=dtype))
                loss = cross_entropy(out, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += float(loss.data) * len(rows)
                correct += int((out.data.argmax(axis=1) == yb).sum())
            model.eval()
            with no_grad():
                out = model(Tensor(Xv, dtype=dtype))
                val_loss = float(cross_entropy(out, yv).data)
            history["loss"].append(total / len(y))
            history["accuracy"].append(correct / len(y))
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(float(np.mean(out.data.argmax(axis=1) == yv)))
        return history


class Torch:
    """The same job as a PyTorch user writes it: nn.Sequential, F.cross_entropy, optim.SGD."""

    def __init__(self, init: Sequence[np.ndarray]) -> None:
        import torch  # the oracle extra

        self.torch = torch
        layers: list[Any] = []
        for i, (fan_in, fan_out) in enumerate(itertools.pairwise(SIZES)):
            layers.append(torch.nn.Linear(fan_in, fan_out, dtype=torch.from_numpy(init[0]).dtype))
            if i < len(SIZES) - 2:
                layers.append(torch.nn.ReLU())
        self.model = torch.nn.Sequential(*layers)
        # torch's Linear keeps weight as (out, in): ours transposed
        self.init = [torch.from_numpy(a.T.copy() if a.ndim == 2 else a.copy()) for a in init]
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR)

    def run(self, data: Data, epochs: int) -> History:
        torch, model, optimizer = self.torch, self.model, self.optimizer
        F = torch.nn.functional
        with torch.no_grad():
            for p, a in zip(model.parameters(), self.init, strict=True):
                p.copy_(a)
        X, y, Xv, yv = (torch.from_numpy(a) for a in data)
        rng = np.random.default_rng(SEED)
        history: History = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
        for _ in range(epochs):
            model.train()
            order = torch.from_numpy(rng.permutation(len(y)))
            total, correct = 0.0, 0
            for start in range(0, len(order), BATCH):
                rows = order[start : start + BATCH]
                xb, yb = X[rows], y[rows]
                out = model(xb)
                loss = F.cross_entropy(out, yb)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(rows)
                correct += int((out.argmax(dim=1) == yb).sum())
            model.eval()
            with torch.no_grad():
                out = model(Xv)
                val_loss = F.cross_entropy(out, yv).item()
            history["loss"].append(total / len(y))
            history["accuracy"].append(correct / len(y))
            history["val_loss"].append(val_loss)
            history["val_accuracy"].append(float((out.argmax(dim=1) == yv).double().mean()))
        return history


WAYS: dict[str, Callable[[Sequence[np.ndarray]], Any]] = {"fit": Fit, "loop": Loop, "torch": Torch}


def check_same_job(data: Data, epochs: int) -> dict[str, History]:
    """Run the job once each way from the same weights; stop unless the numbers agree.

    ``fit`` and ``loop`` do the same arithmetic: they must agree to 1e-12 in float64
    and 1e-6 in float32; torch to 1e-9 and 1e-4.

    >>> X, y, Xv, yv = digits(np.float64)
    >>> sorted(check_same_job((X[:200], y[:200], Xv[:50], yv[:50]), 1))
    ['fit', 'loop', 'torch']
    """
    init = init_params(SIZES, data[0].dtype, SEED)
    results = {name: make(init).run(data, epochs) for name, make in WAYS.items()}
    f64 = data[0].dtype == np.float64
    tol = {"loop": 1e-12 if f64 else 1e-6, "torch": 1e-9 if f64 else 1e-4}
    for name, rtol in tol.items():
        for key, expected in results["fit"].items():
            got = results[name][key]
            if not np.allclose(got, expected, rtol=rtol, atol=rtol):
                raise SystemExit(
                    f"benchmark invalid: {name} gives {key} {got}, fit {expected}: "
                    "the three do not train the same thing"
                )
    return results


def timed(way: Any, data: Data, epochs: int) -> Callable[[], float]:
    """A sample: seconds for the whole job."""
    import time

    def sample() -> float:
        start = time.perf_counter()
        way.run(data, epochs)
        return time.perf_counter() - start

    return sample


def table(rows: dict[str, dict[str, list[float]]], epochs: int) -> str:
    """The medians (ms per job and per epoch) and ratios, then each target's verdict.

    >>> print(table({"f64": {"fit": [0.1], "loop": [0.1], "torch": [0.2]}}, 5).splitlines()[3])
    f64         100.0   100.0   200.0   20.0   20.0   40.0      1.00×      2.00×       2.00×
    """
    head = (
        f"{'dtype':<8}{'fit':>9}{'loop':>8}{'torch':>8}{'fit':>7}{'loop':>7}{'torch':>7}"
        f"{'fit/loop':>11}{'torch/fit':>11}{'torch/loop':>12}\n"
        f"{'':<8}{'ms per job':>25}{'ms per epoch':>21}"
    )
    lines = [head.splitlines()[0], head.splitlines()[1]]
    verdicts = []
    for dtype, samples in rows.items():
        med = {k: statistics.median(v) * 1e3 for k, v in samples.items()}
        ratio = {
            "fit/loop": paired_ratio(samples["fit"], samples["loop"]),
            "torch/fit": paired_ratio(samples["torch"], samples["fit"]),
            "torch/loop": paired_ratio(samples["torch"], samples["loop"]),
        }
        lines.append(
            f"{dtype:<8}{med['fit']:>9.1f}{med['loop']:>8.1f}{med['torch']:>8.1f}"
            f"{med['fit'] / epochs:>7.1f}{med['loop'] / epochs:>7.1f}{med['torch'] / epochs:>7.1f}"
            f"{ratio['fit/loop']:>10.2f}×{ratio['torch/fit']:>10.2f}×{ratio['torch/loop']:>11.2f}×"
        )
        for q, cmp, limit in TARGETS:
            ok = ratio[q] <= limit if cmp == "<=" else ratio[q] >= limit
            sign = "≤" if cmp == "<=" else "≥"
            verdicts.append(
                f"  {dtype}: {q} {ratio[q]:.2f} {sign} {limit:g}: {'ok' if ok else 'MISSED'}"
            )
    lines.insert(2, "-" * max(map(len, lines)))
    return "\n".join([*lines, "", "targets:", *verdicts])


def main(argv: Sequence[str] | None = None) -> int:
    """Check the three agree, time them interleaved, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (a few seconds)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per job (default 2)")
    parser.add_argument("--rounds", type=int, default=101, help="timed rounds (default 101)")
    args = parser.parse_args(argv)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        parser.error("run as a script (python benchmarks/fit.py): threads are set at startup")
    try:
        import torch
    except ImportError:
        print('PyTorch is needed: pip install -e ".[oracle]"', file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    epochs, rounds = (1, 3) if args.quick else (args.epochs, args.rounds)
    gc.collect()
    gc.freeze()  # torch's many long-lived objects: out of every later full collection

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
        f"{os.cpu_count()} CPUs, 1 thread; medians of {rounds} interleaved rounds after a "
        "warm-up round"
    )
    rows = {}
    for dtype in (np.float64, np.float32):
        data = digits(dtype)
        results = check_same_job(data, epochs)
        h = results["fit"]
        print(
            f"{np.dtype(dtype).name}: {len(data[1])} training and {len(data[3])} validation "
            f"digits, {epochs} epoch(s): loss {h['loss'][0]:.4f} → {h['loss'][-1]:.4f}, "
            f"val_accuracy {h['val_accuracy'][-1]:.4f} (all three agree)"
        )
        init = init_params(SIZES, dtype, SEED)
        runs = {name: timed(make(init), data, epochs) for name, make in WAYS.items()}
        rows[np.dtype(dtype).name] = interleaved(runs, rounds)
    print()
    print(table(rows, epochs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
