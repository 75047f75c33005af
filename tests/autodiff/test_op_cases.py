"""The numpy op set, one registry of cases (``tests/autodiff/op_cases/``, a module per
family, each with a list ``CASES`` of :class:`autodiff.testing.ArrayCase`).

Every case is called the numpy way on Tensors (so numpy's dispatch is under test as
well) and checked: forward equal to numpy's on the same arrays, output a recorded
node of the case's op, gradcheck of order 1 and 2 on ``sum(w * out)``, and the same
forward and gradient as PyTorch in float64 where torch has the op. Adding a module to
``op_cases/`` adds its cases here; nothing else needs editing.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autodiff import Tensor, Value, gradcheck
from autodiff.ops import OPS
from autodiff.testing import OP_CASES, arrays


def _load_cases():
    cases = {}
    for path in sorted((Path(__file__).parent / "op_cases").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"op_cases_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for case in module.CASES:
            assert case.name not in cases, f"two cases named {case.name!r}"
            cases[case.name] = case
    return cases


CASES = _load_cases()
NAMES = list(CASES)


def leaves(xs):
    return [Tensor(x, requires_grad=True, label=f"x{i}") for i, x in enumerate(xs)]


def _weights(data, shape):
    return data.draw(arrays(shape, -2, 2), label="weights")


def _outputs(result):
    """A function's outputs as a list (split and friends return several)."""
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _weighted(fn, ws):
    def f(*xs):
        total = xs[0].sum() * 0.0  # a Tensor even when the function returns no pieces
        for out, w in zip(_outputs(fn(*xs)), ws, strict=True):
            total = total + (out * w).sum()
        return total

    return f


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10)
@given(data=st.data())
def test_forward_is_numpys_and_records_the_op(name, data):
    case = CASES[name]
    drawn = data.draw(case.draw(3), label="case")
    ts = leaves(drawn.inputs)
    expected = _outputs(drawn.numpy(*drawn.inputs))
    for spelling in (drawn.numpy, *drawn.ours):
        outs = _outputs(spelling(*ts))
        assert len(outs) == len(expected)
        for out, want in zip(outs, expected, strict=True):
            assert isinstance(out, Tensor) and out.requires_grad
            assert case.op is None or out.op == case.op
            assert out.shape == np.shape(want) and out.dtype == np.asarray(want).dtype
            np.testing.assert_allclose(out.data, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].order >= 1])
@settings(max_examples=10)
@given(data=st.data())
def test_gradcheck(name, data):
    case = CASES[name]
    drawn = data.draw(case.draw(3), label="case")
    ws = [_weights(data, np.shape(out)) for out in _outputs(drawn.numpy(*drawn.inputs))]
    assert gradcheck(_weighted(drawn.numpy, ws), leaves(drawn.inputs))


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].order >= 2])
@settings(max_examples=4)
@given(data=st.data())
def test_second_order_gradcheck(name, data):
    case = CASES[name]
    drawn = data.draw(case.draw(2), label="case")
    ws = [_weights(data, np.shape(out)) for out in _outputs(drawn.numpy(*drawn.inputs))]
    f = _weighted(drawn.numpy, ws)
    # squared, so that a linear op has a second derivative to check
    assert gradcheck(lambda *xs: f(*xs) ** 2, leaves(drawn.inputs), order=2)


TORCH_NAMES = [n for n in NAMES if CASES[n].torch]


@pytest.mark.parametrize("name", TORCH_NAMES)
@settings(max_examples=5)
@given(data=st.data())
def test_matches_torch_in_float64(name, data):
    torch = pytest.importorskip("torch")
    drawn = data.draw(CASES[name].draw(3), label="case")
    if drawn.torch is None:  # a form torch lacks (logsumexp of a 0-d array)
        return
    ts = leaves(drawn.inputs)
    tt = [torch.tensor(x, requires_grad=True) for x in drawn.inputs]
    ours, theirs = _outputs(drawn.numpy(*ts)), _outputs(drawn.torch(*tt))
    ws = [_weights(data, out.shape) for out in ours]
    for out, ref in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-12, atol=1e-14)
    if not ours:  # nothing came out (unstack of an empty axis): nothing to differentiate
        return
    sum((out * w).sum() for out, w in zip(ours, ws, strict=True)).backward()
    total = sum((out * torch.tensor(w)).sum() for out, w in zip(theirs, ws, strict=True))
    grads = torch.autograd.grad(total, tt, allow_unused=True)
    for t, g in zip(ts, grads, strict=True):
        want = np.zeros(t.shape) if g is None else g.numpy()
        np.testing.assert_allclose(t.grad, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].value])
@settings(max_examples=5)
@given(data=st.data())
def test_value_has_it_as_a_method(name, data):
    # The scalar kernel itself is gradchecked through autodiff.testing.OP_CASES.
    drawn = data.draw(CASES[name].draw(1), label="case")
    x = drawn.inputs[0]
    if x.size:
        out = getattr(Value(float(x.flat[0])), name)()
        assert isinstance(out, Value) and out.op == CASES[name].op
        want = float(drawn.numpy(x.ravel()[:1])[0])
        assert out.data == pytest.approx(want, rel=1e-12)


def test_every_array_op_of_the_table_is_exercised():
    """Each built-in op with an array kernel appears in a case: here, in
    ``test_tensor_properties.TENSOR_CASES`` or in ``autodiff.testing.OP_CASES``."""
    path = Path(__file__).parent / "test_tensor_properties.py"
    spec = importlib.util.spec_from_file_location("tensor_properties_cases", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    seen = {case.op for case in OP_CASES.values()}

    @settings(max_examples=1, database=None)  # each case makes one op, whatever it draws
    @given(data=st.data())
    def collect(data):
        for strategy in module.TENSOR_CASES.values():
            drawn = data.draw(strategy())
            seen.add(drawn.fn(*leaves(drawn.inputs)).op)
        for case in CASES.values():
            drawn = data.draw(case.draw(2))
            for out in _outputs(drawn.numpy(*leaves(drawn.inputs))):
                seen.add(out.op)

    collect()
    seen.add("scatter")  # getitem's vjp under create_graph: the second-order tests
    # the neural-network ops (conv, pools, norms, attention, ...) have their own cases, at
    # first and second order, in tests/nn/ (test_nn_ops_gradcheck.py checks it reaches them)
    nn_modules = ("autodiff.ops.conv", "autodiff.ops.nn")
    seen |= {n for n, op in OPS.items() if op.vjp.__module__ in nn_modules}
    missing = {n for n, op in OPS.items() if op.builtin and op.array is not None} - seen
    assert not missing, missing
