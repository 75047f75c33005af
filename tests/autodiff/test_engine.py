"""The chain-rule core on both node types: accumulation, freeing, second-order checks,
the fast pass against the readable loop over the op table, the grad mode per thread."""

import importlib.util
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autodiff import (
    GradcheckError,
    Tensor,
    Value,
    concatenate,
    detect_anomaly,
    engine,
    gradcheck,
    no_grad,
    ops,
    primitive,
    softmax_cross_entropy,
    stack,
    where,
)
from autodiff.engine import enable_grad
from autodiff.ops import OPS, scatter
from autodiff.testing import OP_CASES, op_case_ids


def test_broadcast_and_plain_contributions_to_one_node_are_each_reduced_once():
    # v reaches the output twice: broadcast over rows (A * v) and as itself (+ v).
    # Summing the (3, 3) and (3,) contributions before reducing would count the
    # second one three times.
    rng = np.random.default_rng(0)
    A = Tensor(rng.random((3, 3)), requires_grad=True)
    v = Tensor(rng.random(3), requires_grad=True)
    ((A * v + v) ** 2).sum().backward()
    s = A.data * v.data + v.data
    assert np.allclose(v.grad, (2 * s * (A.data + 1)).sum(axis=0))


def test_matvec_used_with_its_own_input_twice():
    rng = np.random.default_rng(1)
    A = Tensor(rng.random((3, 3)), requires_grad=True)
    v = Tensor(rng.random(3), requires_grad=True)
    u = A @ v
    (u[..., None] * v)[0, 0].backward()
    expected = A.data[0] * v.data[0] + u.data[0] * np.eye(3)[0]
    assert np.allclose(v.grad, expected)


def test_gradcheck_second_order_on_values_and_tensors():
    x, w = Value(0.3, label="x"), Value(-1.2, label="w")
    assert gradcheck(lambda x, w: (x * w).tanh() * x.exp() + w**3, [x, w], order=2)
    rng = np.random.default_rng(2)
    A = Tensor(rng.random((3, 3)), requires_grad=True)
    v = Tensor(rng.random(3), requires_grad=True)

    def f(A, v):
        return ((A @ v).sigmoid() ** 2).sum() + (v * v).sum().log() + A.softmax().max()

    assert gradcheck(f, [A, v], order=2)


def test_gradcheck_second_order_catches_a_vjp_that_is_not_differentiable():
    # The vjp turns its input into a plain float: right first derivative, but under
    # create_graph the dependence on x is not recorded, so the second derivative is lost.
    cube = primitive(lambda x: x**3, lambda g, out, x: g * 3 * float(x) ** 2, "cube_float")
    x = Value(0.7, label="x")
    assert gradcheck(lambda x: cube(x), [x])
    with pytest.raises(GradcheckError, match=r"d\(f\)/d\(input 0\).*input 0 \(label 'x'\)"):
        gradcheck(lambda x: cube(x), [x], order=2)


def test_gradcheck_rejects_other_orders():
    with pytest.raises(ValueError, match="order must be 1 or 2"):
        gradcheck(lambda x: x * x, [Value(1.0)], order=3)


def test_backward_frees_a_tensor_graph_unless_retained():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert np.array_equal(x.grad, [4.0, 8.0])  # two passes accumulate
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    assert y.parents == ()


def test_value_graphs_stay_drawable_after_backward():
    x = Value(2.0)
    y = x * x
    y.backward()
    y.backward()
    assert y.parents == (x, x) and x.grad == 8.0


def test_fused_softmax_cross_entropy_equals_the_composed_form():
    from autodiff import softmax_cross_entropy

    rng = np.random.default_rng(3)
    z = Tensor(rng.normal(size=(5, 4)), requires_grad=True)
    y = np.array([0, 3, 1, 1, 2])
    fused = softmax_cross_entropy(z, y)
    composed = -z.log_softmax(axis=-1)[np.arange(5), y]
    assert np.allclose(fused.data, composed.data)
    assert gradcheck(lambda z: (softmax_cross_entropy(z, y) * np.arange(1.0, 6.0)).sum(), [z])
    assert gradcheck(lambda z: softmax_cross_entropy(z, y).mean(), [z], order=2)
    big = Tensor([[1e4, -1e4, 0.0]], requires_grad=True)
    loss = softmax_cross_entropy(big, [1]).sum()
    loss.backward()
    assert loss.item() == 2e4 and np.allclose(big.grad, [[1.0, -1.0, 0.0]])
    with pytest.raises(ValueError, match=r"label 4 at index \(4,\) is out of range for 4 classes"):
        softmax_cross_entropy(z, [0, 1, 2, 3, 4])
    with pytest.raises(ValueError, match="do not match logits"):
        softmax_cross_entropy(z, [0, 1])


def test_zero_denominators_and_bases_give_ieee_gradients_not_exceptions():
    x = Value(0.0)
    (x**0.5).backward()
    assert x.grad == float("inf")
    y, z = Value(0.0), Value(2.0)
    (z / y).backward()
    assert (y.grad, z.grad) == (float("-inf"), float("inf"))


def _marks(root):
    """Every node's pass slot (None outside a backward pass), found without the engine."""
    seen, stack, marks = set(), [root], []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        marks.append(node._g)
        stack.extend(node.parents)
    return marks


def test_a_pass_that_fails_midway_leaves_no_running_gradients_behind():
    from autodiff import Value, detect_anomaly

    x = Value(0.0, label="x")
    y = Value(2.0, label="y")
    out = (x.sqrt() + y * y) * y  # sqrt's derivative at 0 is inf: the pass stops there
    with detect_anomaly(), pytest.raises(FloatingPointError, match="backward of sqrt"):
        out.backward()
    assert set(map(type, _marks(out))) == {type(None)}
    x.grad = y.grad = 0.0
    (y * y * y).backward()  # a later pass through y starts from nothing
    assert y.grad == 12.0


def test_a_pass_over_a_freed_graph_fails_cleanly_and_leaves_no_marks():
    w = Tensor([1.0, 2.0], requires_grad=True)
    h = (w * w).sum()
    loss = h * 3.0
    h.backward()  # frees h's graph (w * w)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()
    assert loss._g is None and h._g is None and w._g is None
    w.grad = None
    (w * 5.0).sum().backward()
    assert w.grad.tolist() == [5.0, 5.0]


def test_running_a_pass_twice_accumulates_exactly_twice():
    from autodiff import Value

    x = Value(3.0)
    h = x * x  # an inner node: its own grad accumulates too
    y = h * x + h
    y.backward()
    assert (x.grad, h.grad) == (27.0 + 6.0, 4.0)
    y.backward()
    assert (x.grad, h.grad) == (2 * 33.0, 8.0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_cross_entropy_is_exact_for_rows_far_apart_and_nonfinite_logits(dtype):
    # One shift for all rows is the fast path; a row whose logits sit far below the
    # largest would underflow under it and must be shifted on its own.
    from autodiff import softmax_cross_entropy

    def reference(z, y):
        z = z.astype(np.float64)
        shifted = z - z.max(axis=1, keepdims=True)
        p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(len(y)), y]
        return loss, p - np.eye(z.shape[1])[y]

    y = np.array([0, 1, 2])
    for z in (
        np.array([[1e4, 0.0, -3.0], [-5e3, -5e3 + 2.0, -5e3 - 1.0], [0.0, 1.0, 2.0]]),
        np.array([[-np.inf, 0.0, 1.0], [1.0, 2.0, 3.0], [0.5, -0.5, 0.0]]),
        np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [-2.0, 7.0, 1.0]]),
    ):
        t = Tensor(z, requires_grad=True, dtype=dtype)
        loss = softmax_cross_entropy(t, y)
        loss.backward(np.ones(3, dtype=dtype))
        want, grad = reference(z, y)
        tol = 1e-12 if dtype == np.float64 else 1e-5
        np.testing.assert_allclose(loss.data, want, rtol=tol, atol=tol)
        np.testing.assert_allclose(t.grad, grad, rtol=tol, atol=tol)
        assert loss.dtype == dtype and t.grad.dtype == dtype
    t = Tensor([[np.nan, 0.0], [1.0, 2.0]], requires_grad=True)
    loss = softmax_cross_entropy(t, [0, 1])
    assert np.isnan(loss.data[0]) and np.isclose(loss.data[1], np.log1p(np.exp(-1.0)))


def test_threads_backpropagating_through_shared_parameters_take_turns():
    import threading

    from autodiff import Value

    w = Value(0.5, label="w")
    errors = []

    def work(x):
        try:
            for _ in range(300):
                h = w * x
                (h * h + w).backward()  # d/dw = 2·w·x² + 1
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(float(x),)) for x in (1, 2, 3, 4)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often: an unguarded pass would interleave
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert not errors
    assert w.grad == pytest.approx(300 * sum(2 * 0.5 * x * x + 1 for x in (1, 2, 3, 4)))


# --- the fast pass and the readable loop agree, over the whole op table -----------------
#
# backpropagate's loop is the reference; _fast_pass is the same loop specialised by
# hand for speed. Both must give bitwise the same gradients for every op of the table,
# first order and (through the create_graph gradients) second order.

_LABELS = np.array([0, 3, 1])
_INDEX = (np.array([0, 2, 2]), slice(1, 3))

# How to reach each op of the table from two (3, 4) leaves a and b (b > 0.5).
TENSOR_CASES = {
    "+": [lambda a, b: a + b, lambda a, b: a + 2.0, lambda a, b: 2.0 + b],
    "-": [lambda a, b: a - b, lambda a, b: a - 2.0, lambda a, b: 2.0 - b],
    "*": [lambda a, b: a * b, lambda a, b: a * 3.0, lambda a, b: 3.0 * b],
    "/": [lambda a, b: a / b, lambda a, b: a / 3.0, lambda a, b: 3.0 / b],
    "**": [lambda a, b: b**a, lambda a, b: a**3, lambda a, b: 2.0**a],
    "neg": [lambda a, b: -a],
    "exp": [lambda a, b: a.exp()],
    "log": [lambda a, b: b.log()],
    "sqrt": [lambda a, b: b.sqrt()],
    "abs": [lambda a, b: a.abs()],
    "tanh": [lambda a, b: a.tanh()],
    "sigmoid": [lambda a, b: a.sigmoid()],
    "relu": [lambda a, b: a.relu()],
    "leaky_relu": [lambda a, b: a.leaky_relu(0.2)],
    "clip": [lambda a, b: a.clip(-0.5, 0.5)],
    "where": [lambda a, b: where(a.data > 0, a, b), lambda a, b: where(a.data > 0, 1.0, b)],
    "softmax": [lambda a, b: a.softmax(axis=-1)],
    "log_softmax": [lambda a, b: a.log_softmax(axis=0)],
    "softmax_cross_entropy": [
        lambda a, b: softmax_cross_entropy(a, _LABELS, "mean"),
        lambda a, b: softmax_cross_entropy(a * b, _LABELS, "none"),
    ],
    "@": [lambda a, b: a @ b.T, lambda a, b: a.T @ np.ones((3, 2))],
    "sum": [lambda a, b: a.sum(axis=0), lambda a, b: b.sum()],
    "mean": [lambda a, b: a.mean(axis=1)],
    "max": [lambda a, b: a.max(axis=1)],
    "min": [lambda a, b: a.min()],
    "reshape": [lambda a, b: a.reshape(2, 6)],
    "transpose": [lambda a, b: a.transpose()],
    "broadcast_to": [lambda a, b: a.sum(axis=0).broadcast_to((3, 4))],
    "getitem": [lambda a, b: a[_INDEX]],
    "scatter": [lambda a, b: scatter(a[_INDEX], _INDEX, (3, 4))],
    "concatenate": [lambda a, b: concatenate([a, b], axis=1)],
    "stack": [lambda a, b: stack([a, np.ones((3, 4)), b])],
}


def _tensor_cases(name):
    return TENSOR_CASES.get(name, [])


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The registries other tests keep, so that every op added there is compared here too:
# the numpy op set (op_cases/, as test_op_cases.py loads it) and the nn ops.
REGISTRY = _load(Path(__file__).parent / "test_op_cases.py", "engine_op_cases").CASES
NN_CASES = _load(Path(__file__).parents[1] / "nn" / "test_nn_ops_gradcheck.py", "engine_nn_ops")


def _tensor_grads(fn, a0, b0, w, order):
    a, b = Tensor(a0, requires_grad=True), Tensor(b0, requires_grad=True)
    y = fn(a, b)
    out = (y * w[: y.size].reshape(y.shape)).sum() + (y * y).sum()  # y reached twice
    if order == "inputs":  # returned, not accumulated (what grad() and jacobian() use)
        return engine.backpropagate(out, np.ones(()), inputs=(a, b))
    if order == 1:
        out.backward()
        return [a.grad, b.grad]
    out.backward(create_graph=True)  # always the readable loop
    firsts = [x.grad for x in (a, b) if x.grad is not None]
    a.grad = b.grad = None
    s = sum(((g * g).sum() for g in firsts), start=Tensor(0.0))
    if not s.requires_grad:  # gradients constant in a and b: nothing to differentiate
        return [None, None]
    s.backward()
    return [a.grad, b.grad]


def _both(grads):
    """What ``grads()`` gives through the fast pass, then through the readable loop."""
    plain = grads()
    engine.SPECIALISED = False
    try:
        readable = grads()
    finally:
        engine.SPECIALISED = True
    return plain, readable


def test_every_op_of_the_table_has_a_tensor_case():
    covered = set(TENSOR_CASES) | {case.op for case in REGISTRY.values()} | NN_CASES.NN_OPS
    missing = [name for name, op in OPS.items() if op.builtin and name not in covered]
    assert not missing, f"add a row for {missing} to TENSOR_CASES or to op_cases/"


def _outputs(result):
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _registry_grads(fn, inputs, order):
    """Gradients of sum(w * out) + sum(out²) over fn's outputs (order 1: accumulated and
    returned through inputs=; order 2: of the squared first gradients)."""

    def build():
        xs = [Tensor(x, requires_grad=True) for x in inputs]
        total = xs[0].sum() * 0.0
        for out in _outputs(fn(*xs)):
            w = np.linspace(-1.0, 2.0, out.size).reshape(out.shape)
            total = total + (out * w).sum() + (out * out).sum()
        return xs, total

    xs, total = build()
    if order == 1:
        total.backward()
        xs2, total2 = build()
        return [x.grad for x in xs] + engine.backpropagate(total2, np.ones(()), inputs=tuple(xs2))
    total.backward(create_graph=True)
    firsts = [x.grad for x in xs if isinstance(x.grad, Tensor)]
    for x in xs:
        x.grad = None
    s = sum(((g * g).sum() for g in firsts), start=Tensor(0.0))
    if s.requires_grad:
        s.backward()
    return [x.grad for x in xs]


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("name", sorted(NN_CASES.CASES))
def test_fast_pass_equals_the_readable_loop_on_the_nn_ops(name, order):
    make, fn = NN_CASES.CASES[name]
    inputs = [x.data for x in make(np.random.default_rng(0))]
    plain, readable = _both(lambda: _registry_grads(fn, inputs, order))
    for p, r in zip(plain, readable, strict=True):
        assert (p is None) == (r is None)
        if p is not None:
            assert p.dtype == r.dtype and np.array_equal(p, r, equal_nan=True)


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("name", list(REGISTRY))
@settings(max_examples=2)
@given(data=st.data())
def test_fast_pass_equals_the_readable_loop_on_the_numpy_op_set(name, order, data):
    drawn = data.draw(REGISTRY[name].draw(2), label="case")
    plain, readable = _both(lambda: _registry_grads(drawn.numpy, drawn.inputs, order))
    for p, r in zip(plain, readable, strict=True):
        assert (p is None) == (r is None)
        if p is not None:
            assert p.dtype == r.dtype and np.array_equal(p, r, equal_nan=True)


_CASE_IDS = [
    (name, i) for name, op in OPS.items() if op.builtin for i in range(len(_tensor_cases(name)))
]


@pytest.mark.parametrize("order", [1, 2, "inputs"])
@pytest.mark.parametrize(("name", "i"), _CASE_IDS, ids=[f"{n}-{i}" for n, i in _CASE_IDS])
@settings(max_examples=4)
@given(
    a=hnp.arrays(np.float64, (3, 4), elements=st.floats(-2, 2)),
    b=hnp.arrays(np.float64, (3, 4), elements=st.floats(0.5, 2)),
)
def test_fast_pass_equals_the_readable_loop_on_tensors(name, i, order, a, b):
    fn = _tensor_cases(name)[i]
    assert fn(Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)).op == name
    w = np.linspace(-1.0, 2.0, 48)
    plain, readable = _both(lambda: _tensor_grads(fn, a, b, w, order))
    for p, r in zip(plain, readable, strict=True):
        assert (p is None) == (r is None)
        if p is not None:
            assert p.dtype == r.dtype and np.array_equal(p, r, equal_nan=True)


def _value_grads(case, xs, order):
    leaves = [Value(x) for x in xs]
    y = case.fn(*leaves)
    out = y * y + y * leaves[0]  # y reached twice, the first leaf once more
    if order == "inputs":
        return engine.backpropagate(out, 1.0, inputs=tuple(leaves))
    if order == 1:
        out.backward()
        return [x.grad for x in leaves]
    out.backward(create_graph=True)
    firsts = [x.grad for x in leaves]
    for x in leaves:
        x.grad = 0.0
    s = sum((g * g for g in firsts if isinstance(g, Value)), start=Value(0.0))
    s.backward()
    return [x.grad for x in leaves]


@pytest.mark.parametrize("order", [1, 2, "inputs"])
@pytest.mark.parametrize("name", op_case_ids())
@settings(max_examples=4)
@given(data=st.data())
def test_fast_pass_equals_the_readable_loop_on_values(name, order, data):
    case = OP_CASES[name]
    xs = data.draw(case.floats())
    plain, readable = _both(lambda: _value_grads(case, xs, order))
    assert plain == readable


def test_the_readable_loop_alone_passes_the_engine_checks(monkeypatch):
    monkeypatch.setattr(engine, "SPECIALISED", False)
    test_broadcast_and_plain_contributions_to_one_node_are_each_reduced_once()
    test_matvec_used_with_its_own_input_twice()
    test_running_a_pass_twice_accumulates_exactly_twice()
    test_a_pass_over_a_freed_graph_fails_cleanly_and_leaves_no_marks()
    x = Value(3.0)
    (x * x + x).backward()
    assert x.grad == 7.0


def test_toposort_and_the_fast_order_agree():
    x, w = Value(0.5, label="x"), Value(2.0, label="w")
    y = ((x * w + 1.0).tanh() * x - 2.0 / w).relu() + (x - w)
    t = Tensor(np.ones((2, 3)), requires_grad=True)
    u = concatenate([t * 2.0, t.exp()], axis=0).sum(axis=0) @ np.ones(3)
    for root in (y, u):
        plain = engine._fast_order(root)
        engine._clear_marks(plain)
        readable = engine.toposort(root)
        assert [id(n) for n in plain] == [id(n) for n in readable]
        assert len(readable) == len({id(n) for n in readable})
        assert all(n._g is None for n in readable)


def test_every_layout_lists_operands_parents_and_vjps_consistently():
    x, c = Value(2.0), 3.0
    t = Tensor(np.ones(3), requires_grad=True)
    for node in (x.exp(), x * c, c / x, x * x, (x * 2.0).leaky_relu(0.1), stack([t, np.zeros(3)])):
        layout = node._op.layout
        operands = layout.operands(node._a, node._b)
        parents = layout.parents(node)
        assert node.parents == parents
        assert parents == tuple(o for o in operands if isinstance(o, (Value, Tensor)))
        g = np.ones(node.data.shape) if isinstance(node, Tensor) else 1.0
        positions = [i for i, _, _ in layout.vjps(node._op, node, g, False)]
        assert [operands[i] for i in positions] == list(parents)


def test_the_binary_operators_build_the_node_make_builds():
    from autodiff.value import _make

    x, y = Value(1.5, label="x"), Value(-2.0, label="y")
    for op, node in ((ops.ADD, x + y), (ops.SUB, x - y), (ops.MUL, x * y), (ops.POW, x**y)):
        made = _make(op, op.scalar(x.data, y.data), x, y)
        assert type(node) is type(made) is Value
        for slot in Value.__slots__:
            mine, theirs = getattr(node, slot), getattr(made, slot)
            assert mine is theirs if slot in ("_op", "_a", "_b") else mine == theirs, slot
        with no_grad():  # not plain: through _make itself
            assert (x + y).parents == ()


def test_ops_take_a_layout_object():
    from autodiff.ops import Op

    with pytest.raises(TypeError, match="layout must be one of"):
        Op("twice", 1, lambda g, out, a: 2 * g)


# --- the grad mode and anomaly detection are per thread ----------------------------------


def _with_fast_switching(*targets, seconds=20.0):
    """Run ``targets`` in threads switching every microsecond; their exceptions re-raised."""
    errors = []

    def guarded(fn):
        def run():
            try:
                fn()
            except BaseException as err:
                errors.append(err)

        return run

    threads = [threading.Thread(target=guarded(fn), daemon=True) for fn in targets]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + seconds
        for t in threads:
            t.join(max(deadline - time.monotonic(), 0.0))
        assert not any(t.is_alive() for t in threads), "threads did not finish in time"
    finally:
        sys.setswitchinterval(interval)
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_leaves_another_threads_values_recording():
    done = threading.Event()
    zeros = []

    def evaluate():
        while not done.is_set():
            with no_grad():
                Value(1.0) * 2

    def train():
        try:
            for _ in range(3000):
                x = Value(3.0)
                (x * x).backward()
                if x.grad != 6.0:
                    zeros.append(x.grad)
        finally:
            done.set()

    _with_fast_switching(evaluate, train)
    assert not zeros, f"{len(zeros)} of 3000 gradients were lost: {zeros[:3]}"


def test_tensor_training_beside_an_evaluating_thread():
    rng = np.random.default_rng(0)
    w = Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    x = rng.normal(size=(8, 4))
    done = threading.Event()
    expected = 2 * x.T @ (x @ w.data)

    def evaluate():
        while not done.is_set():
            with no_grad():
                assert not (Tensor(x) @ w).requires_grad

    def train():
        try:
            for _ in range(300):
                w.grad = None
                ((Tensor(x) @ w) ** 2).sum().backward()
                assert np.allclose(w.grad, expected)
        finally:
            done.set()

    _with_fast_switching(evaluate, train)


def test_anomaly_detection_in_one_thread_does_not_check_another():
    done = threading.Event()
    caught = []

    def checked():
        try:
            with detect_anomaly():
                for _ in range(200):
                    try:
                        Value(0.0).log()
                    except FloatingPointError:
                        caught.append(1)
        finally:
            done.set()

    def unchecked():
        while not done.is_set():
            assert Value(0.0).log().data == -np.inf  # IEEE, no error here

    _with_fast_switching(checked, unchecked)
    assert len(caught) == 200


def test_enable_grad_inside_no_grad_records_and_the_mode_comes_back():
    with no_grad():
        assert (Value(1.0) * 2).op == ""
        with enable_grad():
            assert (Value(1.0) * 2).op == "*"
        assert (Value(1.0) * 2).op == ""
    assert engine.MODE.plain and engine.MODE.grad_enabled
    assert (Value(1.0) * 2).op == "*"


def test_two_fits_with_validation_in_two_threads_match_each_run_alone():
    # Each epoch ends in evaluate(), under no_grad: with a process-wide mode the other
    # thread's training steps recorded nothing then and their backward failed.
    import nn

    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    val = (np.repeat(X, 100, axis=0), np.repeat(y, 100))  # evaluation long enough to overlap

    def run(seed, out):
        model = nn.MLP([3, 8, 2], rng=np.random.default_rng(seed))
        opt = nn.optim.SGD(model.parameters(), lr=0.3)
        h = nn.fit(
            model,
            nn.losses.cross_entropy,
            opt,
            (X, y),
            epochs=4,
            batch_size=8,
            val=val,
            progress=False,
            seed=seed,
        )
        out[seed] = (h.history, [p.data.copy() for p in model.parameters()])

    alone: dict = {}
    for seed in (1, 2):
        run(seed, alone)
    for _ in range(3):
        together: dict = {}
        pair = [lambda out=together, seed=seed: run(seed, out) for seed in (1, 2)]
        _with_fast_switching(*pair, seconds=60.0)
        for seed in (1, 2):
            assert together[seed][0] == alone[seed][0]
            for p, q in zip(together[seed][1], alone[seed][1], strict=True):
                assert np.array_equal(p, q)


@pytest.mark.parametrize("specialised", [True, False])
def test_a_freeing_pass_reclaims_each_node_once_its_vjps_have_run(specialised):
    import weakref

    from autodiff import detect_anomaly, primitive

    alive = []
    probe = primitive(
        lambda x: x * 1.0, lambda g, out, x: (alive.append(later() is not None), g)[1], "probe"
    )
    x = Tensor(np.ones(3), requires_grad=True)
    h = probe(x * 2.0)
    y = h * 3.0  # processed before probe's vjp runs; nothing but the graph holds it
    later = weakref.ref(y.data)  # its value goes with it
    loss = y.sum()
    del y
    if specialised:
        loss.backward()
    else:
        with detect_anomaly():  # the readable loop
            loss.backward()
    assert alive == [False]
    assert x.grad.tolist() == [6.0, 6.0, 6.0]
    assert h.op == "freed"  # held by the caller: kept, with its operands dropped
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_retain_graph_keeps_every_node():
    x = Tensor(np.ones(3), requires_grad=True)
    y = (x * 2.0) * 3.0
    loss = y.sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert x.grad.tolist() == [12.0, 12.0, 12.0]
