"""The cost of forward mode relative to reverse mode on the same functions.

    python benchmarks/jvp.py [--quick]

``jvp(f, (x,), (v,))`` transposes the vjp: one forward pass, a backward pass seeded
with a cotangent leaf u that records Jᵀu (only the chain linear in u), and a backward
pass through that record, which gives J v. The target is at most 3× the time of
``grad(f)(x)``, a forward and a backward pass. Workloads: the MLP loss and the scalar
Value function of ``benchmarks/hvp.py``, and a function of a matrix through einsum,
solve and slogdet. Last, ``jacfwd`` against ``jacobian`` for a function with few inputs
and many outputs, where forward mode needs one pass per input instead of one per
output. Medians over alternating calls; the ratio is the median of the pairs' ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from hvp import RNG, N, mlp_loss, scalar_function

from autodiff import Tensor, grad, jacfwd, jacobian, jvp
from autodiff.numpy import linalg
from autodiff.numpy.products import einsum

M = RNG.normal(size=(8, 8))
SPD = M @ M.T + 8 * np.eye(8)
RHS = RNG.normal(size=(8, 3))


def matrix_function(a: Tensor) -> Tensor:
    """A scalar of a matrix through the linear algebra ops: solve, slogdet, einsum."""
    x = linalg.solve(a, RHS)
    return linalg.slogdet(a).logabsdet + einsum("ij,ij->", x, x) + linalg.norm(a)


def wide(x: Tensor) -> Tensor:
    """4 inputs, 200 outputs: a Jacobian with far more rows than columns."""
    grid = Tensor(np.linspace(-1.0, 1.0, 50))
    return (x[:, None] * grid).tanh().reshape(-1)


def _flat(t: Any) -> np.ndarray:
    return np.asarray(getattr(t, "data", t), dtype=float).reshape(-1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    pairs = 50 if args.quick else 400
    theta, v = RNG.normal(size=N) * 0.1, RNG.normal(size=N)
    x_tuple = tuple(float(x) for x in RNG.normal(size=20))
    v_tuple = tuple(float(x) for x in RNG.normal(size=20))
    v_matrix = RNG.normal(size=SPD.shape)
    x_wide = RNG.normal(size=4)

    def packed(values: tuple[Any, ...]) -> Any:
        return scalar_function(*values)

    cases: dict[str, tuple[Callable[..., Any], Any, Any]] = {
        f"MLP loss, {N} parameters (Tensor)": (mlp_loss, theta, v),
        "Value function, 20 inputs, 120 ops": (packed, x_tuple, v_tuple),
        "solve + slogdet + einsum, 8×8": (matrix_function, SPD, v_matrix),
    }
    print(
        f"{'workload':<36} {'grad (ms)':>10} {'jvp (ms)':>10} {'jvp/grad':>9}  target ≤3×"
        "  vs ⟨∇f,v⟩"
    )
    for name, (f, x, t) in cases.items():
        # the benchmark times a correct product: J v of a scalar f is ⟨∇f(x), v⟩
        exact = float(_flat(grad(f)(x)) @ _flat(t))
        agreement = abs(float(_flat(jvp(f, (x,), (t,))[1])[0]) - exact) / max(abs(exact), 1e-300)
        _row(
            name,
            lambda f=f, x=x: grad(f)(x),
            lambda f=f, x=x, t=t: jvp(f, (x,), (t,)),
            pairs,
            3.0,
            f"{agreement:.1e}",
        )
    print()
    print(f"{'workload':<36} {'rev (ms)':>10} {'fwd (ms)':>10} {'fwd/rev':>9}")
    same = np.max(np.abs(jacfwd(wide)(x_wide) - jacobian(wide)(x_wide)))
    _row(
        "Jacobian 200×4: jacfwd vs jacobian",
        lambda: jacobian(wide)(x_wide),
        lambda: jacfwd(wide)(x_wide),
        pairs,
        None,
        f"max diff {same:.1e}",
    )
    print(
        f"medians over {pairs} pairs of calls, the two sides alternating; "
        "ratio: the median of the pairs' ratios"
    )
    print("vs ⟨∇f,v⟩: |jvp − ⟨grad f(x), v⟩| relative to it")


def _row(
    name: str,
    base: Callable[[], Any],
    other: Callable[[], Any],
    pairs: int,
    target: float | None,
    note: str,
) -> None:
    """Time ``base`` and ``other`` in alternation, one call each per pair: the machine
    is shared and its speed changes from moment to moment, so each pair's ratio is
    taken under one load, and the medians are reported."""
    base(), other()  # warm up: first calls pay for caches and lazy imports
    tb, to = [], []
    clock = time.perf_counter
    for _ in range(pairs):
        start = clock()
        base()
        middle = clock()
        other()
        tb.append(middle - start)
        to.append(clock() - middle)
    mb, mo = statistics.median(tb) * 1e3, statistics.median(to) * 1e3
    ratio = statistics.median(b / a for a, b in zip(tb, to, strict=True))
    ok = "" if target is None else ("yes" if ratio <= target else "NO")
    print(f"{name:<36} {mb:>10.3f} {mo:>10.3f} {ratio:>8.2f}×  {ok:>10}  {note:>8}")


if __name__ == "__main__":
    main()
