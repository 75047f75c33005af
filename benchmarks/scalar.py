"""Our Value against micrograd, in one run: speed of the micrograd demo step, memory per
node, and a 1,000,000-deep chain.

    pip install -e ".[bench]"
    python benchmarks/scalar.py [--quick]

Each timed workload runs in a fresh interpreter per engine (importing only the engine
and numpy), interleaved across rounds, so neither engine pays for the other's heap, nor
for scikit-learn's, in the garbage collector's full passes. The moons data is made
once here and handed to the children as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The child: the same MLP code on either engine's Value (micrograd's demo, written out).
CHILD = textwrap.dedent(
    """
    import gc, json, random, sys, time
    import numpy  # both children import numpy: the same heap baseline
    engine, data_path, steps, gc_mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    if engine == "micrograd":
        from micrograd.engine import Value
    else:
        from autodiff import Value
    X, y = json.load(open(data_path))

    def build(seed=1337):
        rng = random.Random(seed)
        sizes = [2, 16, 16, 1]
        return [
            [([Value(rng.uniform(-1, 1)) for _ in range(sizes[i])], Value(0.0))
             for _ in range(sizes[i + 1])]
            for i in range(3)
        ]

    def forward(layers, x):
        for depth, layer in enumerate(layers):
            out = []
            for w, b in layer:
                act = b
                for wi, xi in zip(w, x):  # left fold b + w0*x0 + w1*x1 + ...
                    act = act + wi * xi
                out.append(act.relu() if depth < 2 else act)
            x = out
        return x[0]

    def params(layers):
        return [p for layer in layers for w, b in layer for p in w + [b]]

    def step(layers):
        ps = params(layers)
        inputs = [[Value(float(a)) for a in row] for row in X]
        scores = [forward(layers, x) for x in inputs]
        losses = [(1 + -yi * s).relu() for yi, s in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg = 1e-4 * sum(p * p for p in ps)
        loss = data_loss + reg
        for p in ps:
            p.grad = 0.0
        loss.backward()
        for p in ps:
            p.data -= 0.05 * p.grad
        return loss.data

    layers = build()
    first = step(layers)  # warm-up, and the loss both engines must agree on
    if gc_mode == "off":
        gc.disable()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        step(layers)
        times.append(time.perf_counter() - t)
    print(json.dumps({"first_loss": first, "times": times}))
    """
)

MEMORY = textwrap.dedent(
    """
    import json, sys, tracemalloc
    import numpy
    engine, n = sys.argv[1], int(sys.argv[2])
    if engine == "micrograd":
        from micrograd.engine import Value
    else:
        from autodiff import Value
    x = Value(1.0)
    tracemalloc.start()
    y = x
    for _ in range(n // 2):  # two nodes a step: a product and a sum
        y = y * 1.0000001 + 0.5
    built = tracemalloc.get_traced_memory()[0]
    nodes = n + 1 if engine != "micrograd" else 2 * n + 1  # micrograd wraps each constant
    result = {"nodes": nodes, "bytes_built": built}
    if engine != "micrograd":
        from autodiff.engine import toposort
        assert len(toposort(y)) == nodes
        y.backward()
        result["bytes_after_backward"] = tracemalloc.get_traced_memory()[0]
    print(json.dumps(result))
    """
)

DEEP = textwrap.dedent(
    """
    import sys, time
    engine, depth = sys.argv[1], int(sys.argv[2])
    if engine == "micrograd":
        from micrograd.engine import Value
    else:
        from autodiff import Value
    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = y + 1.0
    t = time.perf_counter()
    try:
        y.backward()
    except RecursionError:
        print("RecursionError"); sys.exit(0)
    print(f"ok {time.perf_counter() - t:.3f} {x.grad}")
    """
)


def _run(code: str, *args: str, timeout: float = 600) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        return f"crashed (exit {done.returncode}): {done.stderr.strip().splitlines()[-1:]}"
    return done.stdout.strip()


def moons_json(folder: str) -> str:
    """make_moons(n_samples=100, noise=0.1, random_state=1), y as ±1, written as JSON."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=100, noise=0.1, random_state=1)
    path = os.path.join(folder, "moons.json")
    with open(path, "w") as f:
        json.dump([X.tolist(), (y * 2 - 1).tolist()], f)
    return path


def demo_step(path: str, rounds: int, steps: int) -> dict[tuple[str, str], list[float]]:
    """Step times per (engine, gc mode), rounds interleaved across engines."""
    times: dict[tuple[str, str], list[float]] = {}
    first: dict[str, float] = {}
    for _ in range(rounds):
        for gc_mode in ("on", "off"):
            for engine in ("micrograd", "autodiff"):
                out = json.loads(_run(CHILD, engine, path, str(steps), gc_mode))
                times.setdefault((engine, gc_mode), []).extend(out["times"])
                first[engine] = out["first_loss"]
    if abs(first["micrograd"] - first["autodiff"]) > 1e-9 * max(1.0, abs(first["micrograd"])):
        raise SystemExit(f"the engines disagree on the first loss: {first}")
    return times


def deepest_micrograd(limit: int) -> int:
    """The smallest chain depth at which micrograd's recursive backward fails (bisection)."""
    lo, hi = 1, limit
    if _run(DEEP, "micrograd", str(hi)).startswith("ok"):
        return -1
    while lo < hi:
        mid = (lo + hi) // 2
        if _run(DEEP, "micrograd", str(mid)).startswith("ok"):
            lo = mid + 1
        else:
            hi = mid
    return lo


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run in well under a minute")
    args = parser.parse_args()
    rounds, steps = (1, 2) if args.quick else (5, 3)
    chain = 100_000 if args.quick else 1_000_000
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        times = demo_step(moons_json(folder), rounds, steps)
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    for gc_mode, target in (("on", 10.0), ("off", 2.5)):
        mg, ours = med[("micrograd", gc_mode)], med[("autodiff", gc_mode)]
        rows.append(
            (
                f"demo step, GC {gc_mode} (ms)",
                f"{mg:.1f}",
                f"{ours:.1f}",
                mg / ours,
                f"≥{target}×",
                mg / ours >= target,
            )
        )
    mem = {e: json.loads(_run(MEMORY, e, str(chain))) for e in ("micrograd", "autodiff")}
    per = {e: m["bytes_built"] / m["nodes"] for e, m in mem.items()}
    rows.append(
        (
            f"bytes per node, {chain:,} nodes",
            f"{per['micrograd']:.0f}",
            f"{per['autodiff']:.0f}",
            per["micrograd"] / per["autodiff"],
            "ours ≤200 B",
            per["autodiff"] <= 200,
        )
    )
    after = mem["autodiff"]["bytes_after_backward"] / mem["autodiff"]["nodes"]
    ours_deep = _run(DEEP, "autodiff", str(chain))
    fails_at = deepest_micrograd(min(chain, 5000))
    rows.append(
        (
            f"{chain:,}-deep chain backward",
            f"fails at depth {fails_at}",
            f"{float(ours_deep.split()[1]):.2f} s" if ours_deep.startswith("ok") else ours_deep,
            float("nan"),
            "ours completes",
            ours_deep.startswith("ok"),
        )
    )
    head = f"{'workload':<34} {'micrograd':>18} {'autodiff':>10} {'ratio':>7}  {'target':<14} ok"
    print(head)
    print("-" * len(head))
    for name, mg, ours, ratio, target, ok in rows:
        shown = f"{ratio:.1f}×" if ratio == ratio else "-"
        print(f"{name:<34} {mg:>18} {ours:>10} {shown:>7}  {target:<14} {'yes' if ok else 'NO'}")
    print()
    print(f"medians of {rounds} interleaved rounds × {steps} steps, each engine in a fresh process")
    print(f"(imports: the engine and numpy only); our memory after backward: {after:.0f} B/node")
    print(f"micrograd 0.1.0 (PyPI), Python {sys.version.split()[0]}")


if __name__ == "__main__":
    main()
