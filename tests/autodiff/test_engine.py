"""The chain-rule core on both node types: accumulation, freeing, second-order checks."""

import sys

import numpy as np
import pytest

from autodiff import GradcheckError, Tensor, Value, gradcheck, primitive


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
