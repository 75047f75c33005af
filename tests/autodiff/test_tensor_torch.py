"""Tensor against PyTorch: random programs of mixed ops, forward values and every gradient.

A program is a list of steps over a growing pool of float64 values: each step applies
one op to values already in the pool (any of them, so values are often shared) whose
shapes fit it. The same program runs on our Tensors and on torch tensors; the output
weights every value nothing else used, so every step reaches it. Ops whose inputs
need a domain (log, sqrt, division, powers) get it from a smooth map of any real, so
every program is well defined wherever its leaves are.
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from autodiff import Tensor, concatenate, softmax_cross_entropy, stack, where
from autodiff.testing import arrays, broadcastable_shapes, shapes

torch = pytest.importorskip("torch")

RTOL = 1e-10
ATOL = 1e-12


@dataclass(frozen=True)
class Op:
    """An op as our Tensor and torch spell it, and which input shapes it takes."""

    name: str
    ours: Callable
    theirs: Callable
    arity: int = 1
    # fits(shapes) -> bool: may the op take operands of these shapes?
    fits: Callable = lambda *shapes: True


def _same_but(axis_shapes, axis):
    a, b = axis_shapes
    return (
        len(a) == len(b)
        and len(a) > 0
        and all(m == n for i, (m, n) in enumerate(zip(a, b, strict=True)) if i != axis)
    )


def _broadcasts(*shapes):
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


def _matmul_fits(a, b):
    if not a or not b:
        return False
    k = a[-1]
    n = b[0] if len(b) == 1 else b[-2]
    return k == n and _broadcasts(a[:-2], b[:-2])


def _labels(shape):
    # deterministic labels of a logits shape, the same for both libraries
    return (np.arange(int(np.prod(shape[:-1]))).reshape(shape[:-1]) * 7 + 3) % shape[-1]


OPS = [
    Op("add", lambda a, b: a + b, lambda a, b: a + b, 2, _broadcasts),
    Op("sub", lambda a, b: a - b, lambda a, b: a - b, 2, _broadcasts),
    Op("mul", lambda a, b: a * b, lambda a, b: a * b, 2, _broadcasts),
    Op("div", lambda a, b: a / (b * b + 0.5), lambda a, b: a / (b * b + 0.5), 2, _broadcasts),
    Op(
        "pow",
        lambda a, b: (a * a + 0.5) ** b.tanh(),
        lambda a, b: (a * a + 0.5) ** b.tanh(),
        2,
        _broadcasts,
    ),
    Op("matmul", lambda a, b: a @ b, lambda a, b: a @ b, 2, _matmul_fits),
    Op(  # a value times its own transpose: matmul with one node on both sides
        "gram",
        lambda a: a @ (a.swapaxes(-1, -2) if a.ndim > 1 else a),
        lambda a: a @ (a.transpose(-1, -2) if a.ndim > 1 else a),
        fits=len,
    ),
    Op("const_left", lambda a: 1.5 - 2.0 / (a * a + 1), lambda a: 1.5 - 2.0 / (a * a + 1)),
    Op("const_pow", lambda a: a**3 * 0.1 + 2.0**a, lambda a: a**3 * 0.1 + 2.0**a),
    Op("neg", lambda a: -a, lambda a: -a),
    Op("exp", lambda a: a.tanh().exp(), lambda a: a.tanh().exp()),
    Op("log", lambda a: (a * a + 0.5).log(), lambda a: (a * a + 0.5).log()),
    Op("sqrt", lambda a: (a * a + 0.5).sqrt(), lambda a: (a * a + 0.5).sqrt()),
    Op("abs", lambda a: a.abs(), lambda a: a.abs()),
    Op("tanh", lambda a: a.tanh(), lambda a: a.tanh()),
    Op("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid()),
    Op("relu", lambda a: a.relu(), lambda a: a.relu()),
    Op(
        "leaky_relu",
        lambda a: a.leaky_relu(0.2),
        lambda a: torch.nn.functional.leaky_relu(a, 0.2),
    ),
    Op("clip", lambda a: a.clip(-0.5, 0.8), lambda a: a.clamp(-0.5, 0.8)),
    Op("sum", lambda a: a.sum(axis=0), lambda a: a.sum(dim=0), fits=lambda a: len(a) > 0),
    Op(
        "mean_keepdims",
        lambda a: a.mean(axis=-1, keepdims=True),
        lambda a: a.mean(dim=-1, keepdim=True),
        fits=lambda a: len(a) > 0,
    ),
    Op("sum_all", lambda a: a.sum(), lambda a: a.sum()),
    Op(
        "max",
        lambda a: a.max(axis=-1),
        lambda a: a.amax(dim=-1),  # amax, as ours, shares the gradient among ties
        fits=lambda a: len(a) > 0,
    ),
    Op(
        "min_tuple",
        lambda a: a.min(axis=(0, -1), keepdims=True),
        lambda a: a.amin(dim=(0, -1), keepdim=True),
        fits=lambda a: len(a) > 1,
    ),
    Op(
        "var",
        lambda a: a.var(axis=0),
        lambda a: a.var(dim=0, correction=0),
        fits=lambda a: len(a) > 0,
    ),
    Op(
        "var_ddof",
        lambda a: a.var(axis=(0, -1), ddof=1, keepdims=True),
        lambda a: a.var(dim=(0, -1), correction=1, keepdim=True),
        fits=lambda a: len(a) > 1 and a[0] * a[-1] > 1,  # n - ddof > 0
    ),
    Op("softmax", lambda a: a.softmax(axis=-1), lambda a: a.softmax(dim=-1), fits=len),
    Op(
        "log_softmax",
        lambda a: a.log_softmax(axis=0),
        lambda a: a.log_softmax(dim=0),
        fits=len,
    ),
    Op(
        "cross_entropy",
        lambda a: softmax_cross_entropy(a, _labels(a.shape)),
        lambda a: torch.nn.functional.cross_entropy(
            a.reshape(-1, a.shape[-1]),
            torch.as_tensor(_labels(tuple(a.shape))).reshape(-1),
            reduction="none",
        ).reshape(a.shape[:-1]),
        fits=len,
    ),
    Op(
        "moveaxis",
        lambda a: a.transpose(*range(1, a.ndim), 0),
        lambda a: a.permute(*range(1, a.ndim), 0),
        fits=len,
    ),
    Op("T", lambda a: a.T, lambda a: a.permute(*reversed(range(a.ndim))), fits=len),
    Op("flatten", lambda a: a.flatten(), lambda a: a.reshape(-1)),
    Op(
        "reshape",
        lambda a: a.reshape(1, -1, 1),
        lambda a: a.reshape(1, -1, 1),
    ),
    Op("unsqueeze", lambda a: a.unsqueeze(0), lambda a: a.unsqueeze(0)),
    Op("squeeze", lambda a: a.squeeze(), lambda a: a.squeeze()),
    Op("slice", lambda a: a[::-1][:2], lambda a: a.flip(0)[:2], fits=len),
    Op(
        "take",
        lambda a: a[[0, -1, 0]],
        lambda a: a[torch.as_tensor([0, -1, 0])],
        fits=len,
    ),
    Op("mask", lambda a: a[a.data > 0], lambda a: a[a.detach() > 0]),
    Op(
        "where",
        lambda a, b: where(a.data > b.data, a, b),
        lambda a, b: torch.where(a.detach() > b.detach(), a, b),
        2,
        _broadcasts,
    ),
    Op(
        "concatenate",
        lambda a, b: concatenate([a, b], axis=0),
        lambda a, b: torch.cat([a, b], dim=0),
        2,
        lambda a, b: _same_but((a, b), 0),
    ),
    Op(
        "stack",
        lambda a, b: stack([a, b], axis=-1),
        lambda a, b: torch.stack([a, b], dim=-1),
        2,
        lambda a, b: a == b,
    ),
]
OP_NAMES = [op.name for op in OPS]
BY_NAME = {op.name: op for op in OPS}


@dataclass
class Program:
    leaves: list  # numpy arrays
    steps: list  # (op name, indices into the pool)
    weights: list  # one array per sink, of its shape


def run(program, leaves, lib):
    """Every value of the program and its output, computed with ``lib``'s ops."""
    pool = list(leaves)
    for name, refs in program.steps:
        op = BY_NAME[name]
        f = op.ours if lib == "ours" else op.theirs
        pool.append(f(*(pool[i] for i in refs)))
    used = {i for _, refs in program.steps for i in refs}
    sinks = [v for i, v in enumerate(pool) if i not in used]
    total = None
    for v, w in zip(sinks, program.weights, strict=True):
        term = (v * (w if lib == "ours" else torch.as_tensor(w))).sum()
        total = term if total is None else total + term
    return pool, total


_MAX_ABS = 1e3  # every value stays below this, so rounding stays far below the tolerance


@st.composite
def operand_shapes(draw, op):
    """Shapes of operands that ``op`` takes (matmul and the joins need sides that match)."""
    if op.name == "matmul":  # every rank combination, batch dimensions broadcasting
        n, k, m = (draw(st.integers(1, 3)) for _ in range(3))
        batch_a, batch_b = draw(broadcastable_shapes(max_dims=2, max_side=2))
        forms = {
            "vv": [(n,), (n,)],
            "vm": [(n,), (*batch_b, n, m)],
            "mv": [(*batch_a, k, n), (n,)],
            "mm": [(*batch_a, k, n), (*batch_b, n, m)],
        }
        return forms[draw(st.sampled_from(sorted(forms)))]
    if op.name == "concatenate":
        shape = draw(shapes(min_dims=1, max_dims=3, max_side=3))
        return [shape, (draw(st.integers(1, 3)), *shape[1:])]
    if op.name == "stack":
        shape = draw(shapes(max_dims=3, max_side=3))
        return [shape, shape]
    if op.arity == 2:
        return list(draw(broadcastable_shapes(max_dims=3, max_side=3)))
    return [draw(shapes(max_dims=3, max_side=3).filter(op.fits))]


@st.composite
def programs(draw, first=None, max_leaves=3, max_steps=10):
    """A random program; with ``first``, one that starts by applying that op to its leaves."""
    if first is None:
        # leaves of shapes that broadcast together, so binary ops find partners
        base, other = draw(broadcastable_shapes(max_dims=3, max_side=3))
        n = draw(st.integers(1, max_leaves))
        leaf_shapes = [draw(st.sampled_from([base, other, base[::-1]])) for _ in range(n)]
    else:
        leaf_shapes = draw(operand_shapes(BY_NAME[first]))
    leaves = [draw(arrays(s, -2, 2)) for s in leaf_shapes]
    # the values themselves, not just shapes: a mask's shape depends on the data
    values = [Tensor(x) for x in leaves]
    steps = []

    def take(op, refs):
        """Apply ``op`` to pool values ``refs`` if the result is fit to compare."""
        if op.name == "leaky_relu" and np.any(values[refs[0]].data == 0):
            return False  # its derivative at 0 differs from PyTorch's (see test_leaky_relu_at_0)
        value = op.ours(*(values[i] for i in refs))
        if value.size == 0 or not np.all(np.abs(value.data) <= _MAX_ABS):
            return False  # an empty mask, or a value too large to compare closely
        steps.append((op.name, refs))
        values.append(value)
        return True

    if first is not None:
        assume(take(BY_NAME[first], tuple(range(len(leaves)))))
    target = len(steps) + draw(st.integers(3 if first is None else 0, max_steps))
    for _ in range(4 * target):  # ops that find no fitting operand are drawn again
        if len(steps) >= target:
            break
        op = BY_NAME[draw(st.sampled_from(OP_NAMES))]
        shapes_now = [v.shape for v in values]
        if op.arity == 1:
            candidates = [(i,) for i, s in enumerate(shapes_now) if op.fits(s)]
        else:
            candidates = [
                (i, j)
                for i, a in enumerate(shapes_now)
                for j, b in enumerate(shapes_now)
                if op.fits(a, b)
            ]
        candidates = [c for c in candidates if all(values[i].size for i in c)]
        if candidates:
            take(op, draw(st.sampled_from(candidates)))
    assume(steps)
    used = {i for _, refs in steps for i in refs}
    sinks = [v.shape for i, v in enumerate(values) if i not in used]
    weights = [draw(arrays(s, -2, 2)) for s in sinks]
    return Program(leaves, steps, weights)


def _compare(ours, theirs, what):
    np.testing.assert_allclose(
        np.asarray(ours), theirs.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=what
    )


def check(program):
    """The program's values, output and every leaf's gradient equal PyTorch's."""
    ours = [Tensor(x, requires_grad=True, label=f"x{i}") for i, x in enumerate(program.leaves)]
    theirs = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in program.leaves]
    pool, out = run(program, ours, "ours")
    t_pool, t_out = run(program, theirs, "torch")
    for k, (a, b) in enumerate(zip(pool, t_pool, strict=True)):
        assert a.shape == tuple(b.shape), k
        _compare(a.data, b, f"value {k}")
    _compare(out.data, t_out, "output")
    out.backward()
    t_out.backward()
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        g = np.zeros(a.shape) if a.grad is None else a.grad
        expected = torch.zeros_like(b) if b.grad is None else b.grad
        assert np.shape(g) == a.shape
        _compare(g, expected, f"gradient of leaf {i}")


@given(programs())
def test_random_programs_match_pytorch(program):
    check(program)


@pytest.mark.parametrize("name", OP_NAMES)
@settings(max_examples=10)  # x 40 ops; the mixed programs above get the profile's count
@given(data=st.data())
def test_random_programs_starting_with_each_op_match_pytorch(name, data):
    check(data.draw(programs(first=name), label="program"))


def test_programs_use_every_op_and_share_values():
    """The generator makes what the differential test claims to cover."""
    used, shared = set(), False

    # 400: with 200 the derandomized draws missed log_softmax once nn (with the nn ops) was
    # imported in the same session
    @settings(max_examples=400, derandomize=True, database=None)
    @given(programs())
    def collect(program):
        nonlocal shared
        refs = [i for _, r in program.steps for i in r]
        shared |= len(refs) != len(set(refs))
        used.update(name for name, _ in program.steps)

    collect()
    assert shared
    assert used == set(OP_NAMES), set(OP_NAMES) - used


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_mixed_batch_graph_matches_pytorch_in_each_dtype(dtype):
    rng = np.random.default_rng(7)
    x, w1 = rng.normal(size=(8, 5)), rng.normal(size=(5, 6)) * 0.5
    b1, w2, y = rng.normal(size=6), rng.normal(size=(6, 3)), rng.integers(0, 3, 8)
    params = [w1, b1, w2]

    def ours():
        ps = [Tensor(p, requires_grad=True, dtype=dtype) for p in params]
        h = (Tensor(x, dtype=dtype) @ ps[0] + ps[1]).tanh()
        z = h @ ps[2]
        loss = softmax_cross_entropy(z, y).mean() + (ps[0] ** 2).sum() * 0.01
        loss = loss + z.log_softmax()[np.arange(8), y].var()
        loss.backward()
        return loss, ps

    def theirs():
        tdtype = torch.float64 if dtype == np.float64 else torch.float32
        ps = [torch.tensor(p, dtype=tdtype, requires_grad=True) for p in params]
        h = (torch.tensor(x, dtype=tdtype) @ ps[0] + ps[1]).tanh()
        z = h @ ps[2]
        labels = torch.as_tensor(y)
        loss = torch.nn.functional.cross_entropy(z, labels) + (ps[0] ** 2).sum() * 0.01
        loss = loss + z.log_softmax(-1)[torch.arange(8), labels].var(correction=0)
        loss.backward()
        return loss, ps

    (loss, ps), (t_loss, t_ps) = ours(), theirs()
    tol = {"rtol": 1e-12, "atol": 1e-14} if dtype == np.float64 else {"rtol": 2e-5, "atol": 1e-6}
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.data, t_loss.detach().numpy(), **tol)
    for p, t in zip(ps, t_ps, strict=True):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad, t.grad.numpy(), **tol)


# --- derivatives at kinks: PyTorch's conventions ----------------------------------------------

KINKS = [0.0, -0.5, 0.8, 1.0, 0.8, -2.0]  # 0, the clip bounds, ties for the extremes


def _both(fn_ours, fn_theirs, data=KINKS):
    x = Tensor(data, requires_grad=True)
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    fn_ours(x).sum().backward()
    fn_theirs(t).sum().backward()
    return x.grad, t.grad.numpy()


@pytest.mark.parametrize(
    "name",
    ["relu", "abs", "clip", "clip_low", "max", "min", "max_axis", "min_axis"],
)
def test_derivatives_at_kinks_and_ties_follow_pytorch(name):
    ours, theirs = {
        "relu": (lambda x: x.relu(), lambda t: t.relu()),
        "abs": (lambda x: x.abs(), lambda t: t.abs()),
        "clip": (lambda x: x.clip(-0.5, 0.8), lambda t: t.clamp(-0.5, 0.8)),
        "clip_low": (lambda x: x.clip(0.0, None), lambda t: t.clamp(min=0.0)),
        "max": (lambda x: x.max(), lambda t: t.amax()),
        "min": (lambda x: (-x).min(), lambda t: (-t).amin()),
        "max_axis": (
            lambda x: x.reshape(3, 2).T.max(axis=1),
            lambda t: t.reshape(3, 2).T.amax(dim=1),
        ),
        "min_axis": (
            lambda x: x.reshape(2, 3).min(axis=0),
            lambda t: t.reshape(2, 3).amin(dim=0),
        ),
    }[name]
    g, expected = _both(ours, theirs)
    np.testing.assert_array_equal(g, expected)


@pytest.mark.parametrize("slope", [0.2, 0.0])
def test_leaky_relu_at_0_follows_pytorch_and_relu(slope):
    # with slope 0 leaky_relu is relu, whose derivative at 0 is 0
    g, expected = _both(
        lambda x: x.leaky_relu(slope),
        lambda t: torch.nn.functional.leaky_relu(t, slope),
    )
    np.testing.assert_array_equal(g, expected)
