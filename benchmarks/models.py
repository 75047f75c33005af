"""Model benchmark: a training step of makemore's models and the digits CNN, ours vs PyTorch.

    python benchmarks/models.py [--quick] [--rounds N] [--steps N] [--only NAME ...]

Four workloads, each the model of an example with that example's batch, in float32:

- ``transformer``: ``examples/makemore.py``'s Transformer (4 blocks, 4 heads, 64
  channels, block size 16), batch 32, AdamW;
- ``mlp``: its MLP (Bengio et al. 2003: 16 × 64 embeddings → 64 tanh units), batch 32, AdamW;
- ``gru``: its GRU (``nn.GRU`` along the name from a learned start state), batch 32, AdamW;
- ``cnn``: ``examples/digits_cnn.py``'s CNN on 8 × 8 digits, batch 32, Adam.

One step is forward, loss (cross-entropy; makemore's ignores the positions past each
name's end), backward and the optimizer's update. The PyTorch model is the same model
with the same weights: its layers come from ``nn.to_torch`` on ours, its forward is the
example's written in torch, its optimizer is ``torch.optim``'s with the same settings.
Before timing, both engines compute the loss of one batch from the same weights; a
difference beyond float32 rounding stops the run (a benchmark that trains different
things is worthless).

Timing: rounds in which each engine runs ``--steps`` steps in turn (the order rotates
every round), the median over rounds of the time per step. One thread everywhere:
OMP/OPENBLAS/MKL_NUM_THREADS set to 1 before numpy or torch loads, and
``torch.set_num_threads(1)``. Memory: our peak per step is tracemalloc's peak above
the start of a step (numpy reports its buffers to tracemalloc); PyTorch's CPU
allocator keeps no peak, so its column is what torch's profiler saw allocated during
one step (an upper bound of the peak above the start).
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
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

import nn
from autodiff import no_grad

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TARGETS = {"transformer": 1.2, "mlp": 1.5, "gru": 1.5, "cnn": 1.0}
BATCH = 32


def example(name: str) -> ModuleType:
    """``examples/NAME.py`` loaded as a module (the examples import ``_common`` by name)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    module = sys.modules.get(f"example_{name}")
    if module is None:
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


# --- the PyTorch side: the examples' forwards written in torch --------------------------


def torch_models() -> dict[str, Callable[[Any], Any]]:
    """Builders of the torch twin of each of our models (torch imported here only)."""
    import torch
    from torch import nn as tnn

    def tensor(a: np.ndarray) -> Any:
        return tnn.Parameter(torch.from_numpy(np.array(a)))

    class Transformer(tnn.Module):
        def __init__(self, ours: Any) -> None:
            super().__init__()
            self.wte, self.wpe = nn.to_torch(ours.wte), nn.to_torch(ours.wpe)
            self.h = tnn.ModuleList(
                [
                    tnn.ModuleDict(
                        {
                            name: nn.to_torch(getattr(b, name))
                            for name in ("ln_1", "attn", "ln_2", "c_fc", "act", "c_proj")
                        }
                    )
                    for b in ours.h
                ]
            )
            self.ln_f, self.lm_head = nn.to_torch(ours.ln_f), nn.to_torch(ours.lm_head)

        def forward(self, idx: Any) -> Any:
            t = idx.shape[1]
            mask = torch.triu(torch.ones(t, t, dtype=torch.bool), 1)
            x = self.wte(idx) + self.wpe(torch.arange(t))
            for b in self.h:
                h = b["ln_1"](x)
                x = x + b["attn"](h, h, h, need_weights=False, attn_mask=mask, is_causal=True)[0]
                x = x + b["c_proj"](b["act"](b["c_fc"](b["ln_2"](x))))
            return self.lm_head(self.ln_f(x))

    class MLP(tnn.Module):
        def __init__(self, ours: Any) -> None:
            super().__init__()
            self.block_size, self.vocab_size = ours.block_size, ours.vocab_size
            self.wte, self.mlp = nn.to_torch(ours.wte), nn.to_torch(ours.mlp)

        def forward(self, idx: Any) -> Any:
            # the same gather as ours (makemore's loop of block_size rolls is slower)
            b, t = idx.shape
            blank = torch.full((b, self.block_size), self.vocab_size, dtype=idx.dtype)
            padded = torch.cat([blank, idx], 1)
            steps = torch.arange(t)[:, None] + self.block_size - torch.arange(self.block_size)
            return self.mlp(self.wte(padded[:, steps]).reshape(b, t, -1))

    class Recurrent(tnn.Module):
        def __init__(self, ours: Any) -> None:
            super().__init__()
            self.start = tensor(ours.start.data)
            self.wte, self.rnn = nn.to_torch(ours.wte), nn.to_torch(ours.rnn)
            self.lm_head = nn.to_torch(ours.lm_head)

        def forward(self, idx: Any) -> Any:
            h0 = self.start.expand((1, idx.shape[0], -1)).contiguous()
            hidden, _ = self.rnn(self.wte(idx), h0)
            return self.lm_head(hidden)

    return {"transformer": Transformer, "mlp": MLP, "gru": Recurrent, "cnn": nn.to_torch}


# --- the workloads -----------------------------------------------------------------------


class Workload:
    """One model in both engines, its batches, and a step function for each."""

    def __init__(self, name: str, batches: int = 64, seed: int = 0, tiny: bool = False) -> None:
        """``tiny``: makemore's models with 1 layer, 2 heads, 16 channels, batch 4 (tests)."""
        import torch
        import torch.nn.functional as tF

        self.name = name
        rng = np.random.default_rng(seed)
        nn.manual_seed(seed)
        if name == "cnn":
            cnn = example("digits_cnn")
            X, y = cnn._common.load_digits()
            images = cnn.images(X)
            self.ours = cnn.build(seed)
            self.opt = nn.optim.Adam(self.ours.parameters(), lr=3e-3)
            rows = [rng.integers(0, len(images), BATCH) for _ in range(batches)]
            self.batches = [(images[r], y[r].astype(np.int64)) for r in rows]
        else:
            mm = example("makemore")
            train, _ = mm.load_names(3407)
            width = 16 if tiny else 64
            sizes = argparse.Namespace(
                n_layer=1 if tiny else 4, n_head=2 if tiny else 4, n_embd=width, n_embd2=width
            )
            self.ours = mm.build(name, train.vocab_size, train.max_length + 1, sizes)
            self.opt = nn.optim.AdamW(
                self.ours.parameters(), lr=5e-4, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01
            )
            rows = [rng.integers(0, len(train.x), 4 if tiny else BATCH) for _ in range(batches)]
            self.batches = [(train.x[r], train.y[r]) for r in rows]
        self.theirs = torch_models()[name](self.ours)
        params = list(self.theirs.parameters())
        if name == "cnn":
            self.topt: Any = torch.optim.Adam(params, lr=3e-3)
        else:
            self.topt = torch.optim.AdamW(
                params, lr=5e-4, betas=(0.9, 0.99), eps=1e-8, weight_decay=0.01
            )
        self.tbatches = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in self.batches]
        self._torch, self._tF = torch, tF
        self.steps = {"ours": 0, "torch": 0}  # each engine walks the batches in order

    def ours_loss(self, x: np.ndarray, y: np.ndarray) -> Any:
        logits = self.ours(x)
        if self.name == "cnn":
            return nn.losses.cross_entropy(logits, y)
        return example("makemore").loss_of(logits, y)

    def torch_loss(self, x: Any, y: Any) -> Any:
        logits = self.theirs(x)
        if self.name == "cnn":
            return self._tF.cross_entropy(logits, y)
        return self._tF.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), y.reshape(-1), ignore_index=-1
        )

    def ours_step(self) -> float:
        x, y = self.batches[self.steps["ours"] % len(self.batches)]
        self.steps["ours"] += 1
        loss = self.ours_loss(x, y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()
        return float(loss.item())

    def torch_step(self) -> float:
        x, y = self.tbatches[self.steps["torch"] % len(self.tbatches)]
        self.steps["torch"] += 1
        loss = self.torch_loss(x, y)
        self.topt.zero_grad()
        loss.backward()
        self.topt.step()
        return float(loss.item())

    def first_losses(self) -> tuple[float, float]:
        """Both engines' loss on the first batch from their current weights (the same
        weights before any step), in training mode, without gradients."""
        x, y = self.batches[0]
        with self._torch.no_grad():
            theirs = float(self.torch_loss(*self.tbatches[0]).item())
        with no_grad():
            ours = float(self.ours_loss(x, y).item())
        return ours, theirs


def _timed(step: Callable[[], float], steps: int) -> float:
    gc.collect()
    began = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - began) / steps


def our_peak(work: Workload) -> int:
    """tracemalloc's peak during one of our steps, above what was allocated at its start."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    work.ours_step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - start


def torch_allocated(work: Workload) -> int:
    """The bytes torch's profiler saw allocated during one step."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        work.torch_step()
    return sum(max(e.self_cpu_memory_usage, 0) for e in prof.key_averages())


def run(name: str, rounds: int, steps: int) -> dict[str, Any]:
    """Check, warm up, time in interleaved rounds and measure memory for one workload."""
    work = Workload(name)
    ours_first, torch_first = work.first_losses()
    if abs(ours_first - torch_first) > 1e-4 * max(1.0, abs(torch_first)):
        raise SystemExit(f"{name}: first losses differ: ours {ours_first}, torch {torch_first}")
    for _ in range(3):
        work.ours_step()
        work.torch_step()
    times: dict[str, list[float]] = {"ours": [], "torch": []}
    runs = {"ours": work.ours_step, "torch": work.torch_step}
    order = list(runs)
    for r in range(rounds):
        for engine in order[r % 2 :] + order[: r % 2]:
            times[engine].append(_timed(runs[engine], steps))
    ours, theirs = statistics.median(times["ours"]), statistics.median(times["torch"])
    return {
        "name": name,
        "first": (ours_first, torch_first),
        "ours": ours,
        "torch": theirs,
        "ratio": theirs / ours,
        "ours_mem": our_peak(work),
        "torch_mem": torch_allocated(work),
        "params": work.ours.num_parameters(),
    }


def table(results: Sequence[dict[str, Any]]) -> str:
    """The comparison as a Markdown table."""
    lines = [
        "| model | params | first loss ours / torch | ours ms/step | PyTorch ms/step "
        "| PyTorch ÷ ours | target | our peak MB | PyTorch alloc MB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        target = TARGETS[r["name"]]
        met = "✓" if r["ratio"] >= target else "✗"
        lines.append(
            f"| {r['name']} | {r['params']:,} | {r['first'][0]:.5f} / {r['first'][1]:.5f} "
            f"| {r['ours'] * 1e3:.2f} | {r['torch'] * 1e3:.2f} | {r['ratio']:.2f}× "
            f"| ≥ {target}× {met} | {r['ours_mem'] / 2**20:.1f} | {r['torch_mem'] / 2**20:.1f} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--rounds", type=int, default=7, help="interleaved rounds (7)")
    p.add_argument("--steps", type=int, default=20, help="steps per engine per round (20)")
    p.add_argument("--quick", action="store_true", help="3 rounds of 5 steps")
    p.add_argument("--only", nargs="*", choices=list(TARGETS), help="some workloads only")
    args = p.parse_args(argv)
    if args.quick:
        args.rounds, args.steps = 3, 5
    import torch

    torch.set_num_threads(1)
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__}, "
        f"float32, 1 thread, {args.rounds} rounds × {args.steps} steps, medians"
    )
    results = []
    for name in args.only or list(TARGETS):
        results.append(run(name, args.rounds, args.steps))
        print(f"{name}: done", flush=True)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
