"""numpy on Tensors: dispatch records the graph or refuses, and the known defects."""

import inspect
import warnings

import numpy as np
import pytest

import autodiff.numpy as anp
from autodiff import Tensor, Value, gradcheck

# Explicit conversions: the documented way to get a Tensor's plain data (np.asarray(t)).
CONVERSIONS = {
    "array",
    "asarray",
    "asanyarray",
    "ascontiguousarray",
    "asfortranarray",
    "asarray_chkfinite",
    "asmatrix",
    "require",
}


def _floats_detached(x):
    """Whether ``x`` holds floating data outside a Tensor: a graph dropped silently."""
    if isinstance(x, Tensor):
        return False
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype.kind in "fc"
    if isinstance(x, (list, tuple)):
        return any(_floats_detached(i) for i in x)
    return isinstance(x, float)


def _public_callables():
    for prefix, module in (("numpy", np), ("numpy.linalg", np.linalg)):
        for name in sorted(dir(module)):
            fn = getattr(module, name)
            if name.startswith("_") or inspect.ismodule(fn) or not callable(fn):
                continue
            if inspect.isclass(fn) and not isinstance(fn, np.ufunc):
                continue
            if module is np and name in CONVERSIONS:
                continue
            yield f"{prefix}.{name}", fn


def test_every_numpy_callable_on_a_tensor_records_a_graph_or_refuses():
    """Each public numpy callable, given Tensors, records a graph, returns something
    with no floats (shapes, indices, booleans), or raises; a TypeError of ours names
    the function. None returns floating data cut from the graph."""
    outcomes = {"graph": 0, "refused": 0, "no floats": 0}
    leaked = []
    for what, fn in _public_callables():
        x = Tensor([[0.5, 0.25], [0.125, 0.75]], requires_grad=True)
        args = (x,) * max(getattr(fn, "nin", 1), 1)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = fn(*args)
        except TypeError as err:
            if "t.data" in str(err):
                assert what.split(".")[-1] in str(err), (what, str(err))
                outcomes["refused"] += 1
            continue  # otherwise: a call with the wrong arguments for this function
        except Exception:
            continue
        if _floats_detached(result):
            leaked.append(what)
        elif isinstance(result, Tensor) or (
            isinstance(result, (list, tuple)) and any(isinstance(r, Tensor) for r in result)
        ):
            outcomes["graph"] += 1
        else:
            outcomes["no floats"] += 1
    assert not leaked, leaked
    assert outcomes["graph"] > 100 and outcomes["refused"] > 20, outcomes


def test_numpy_calls_run_our_ops_and_record_the_graph():
    x = Tensor([1.5, -0.5], requires_grad=True)
    y = np.sin(x) + np.maximum(x, 0) + np.sum(x, axis=0) + x % 0.7 + np.ones(2) * x
    assert isinstance(y, Tensor) and y.requires_grad
    y.sum().backward()
    expected = np.cos([1.5, -0.5]) + [1, 0] + 2 + 1 + 1
    np.testing.assert_allclose(x.grad, expected)
    z = np.concatenate([x, np.array([3.0])])
    assert isinstance(z, Tensor) and z.op == "concatenate"
    assert np.asarray(x) is x.data  # the explicit conversion still gives the data


def test_ufunc_methods_reduce_accumulate_and_outer():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert np.add.reduce(x).op == "sum" and np.multiply.reduce(x).item() == 6.0
    assert np.add.accumulate(x).op == "cumsum"
    outer = np.multiply.outer(x, np.array([1.0, 10.0]))
    assert outer.shape == (3, 2) and outer.requires_grad
    assert gradcheck(lambda t: np.subtract.outer(t, t).sum() ** 2, [x])


def test_what_numpy_cannot_differentiate_is_refused_by_name():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"numpy\.percentile .*t\.data or np\.asarray\(t\)"):
        np.percentile(x, 50)
    with pytest.raises(TypeError, match=r"out=.*leave the graph"):
        np.sin(x, out=np.empty(2))
    buffer = np.zeros(2)
    with pytest.raises(TypeError, match=r"numpy\.add"):
        buffer += x  # in place into an array: the graph would be lost
    assert np.argmax(x) == 1 and np.isnan(x).tolist() == [False, False]
    assert np.shape(x) == (2,) and np.median(x.data) == 1.5


def test_dtypes_follow_the_amendment_and_constructors_make_leaves():
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert Tensor(np.ones(2, dtype=np.int64)).dtype == np.float64
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    assert np.sin(x).dtype == np.float32 and np.exp2(x * 2).dtype == np.float32
    assert anp.arange(3).dtype == np.float64 and anp.zeros((2,), requires_grad=True).requires_grad
    assert np.zeros_like(x).dtype == np.float32 and not np.ones_like(x).requires_grad
    assert anp.eye(2).op == "" and anp.linspace(0, 1, 5).shape == (5,)
    y = anp.astype(x, np.float64)
    (y * y).sum().backward()
    assert y.dtype == np.float64 and x.grad.dtype == np.float32


def test_value_takes_the_scalar_functions_and_numpy_calls_them():
    v = Value(0.3)
    y = v.sin() * v.arctanh() + anp.log1p(v) + np.cos(v)
    assert isinstance(y, Value)
    assert gradcheck(lambda a: a.sin() * a.arctanh() + anp.log1p(a) + a.cos(), [v], order=2)


# --- the known defects of issue 10 ---------------------------------------------------------


@pytest.mark.parametrize("method", ["sum", "mean", "max", "min", "prod"])
def test_axis_0_of_a_0d_tensor_is_an_axis_error_as_numpy(method):
    t = Tensor(1.5, requires_grad=True)
    with pytest.raises(np.exceptions.AxisError, match="axis 0 is out of range"):
        getattr(t, method)(0)
    getattr(t, method)().backward()  # no axis: fine, forward and backward
    assert t.grad == pytest.approx(1.0)


def test_the_mean_over_an_empty_axis_is_nan_with_numpys_warning():
    with pytest.warns(RuntimeWarning, match="Mean of empty slice"):
        out = Tensor(np.zeros((2, 0))).mean(axis=1)
    assert out.shape == (2,) and np.isnan(out.data).all()


def test_the_exponent_gradient_at_base_0_follows_pytorch():
    torch = pytest.importorskip("torch")
    ys = np.array([-1.5, -1.0, 0.0, 0.5, 2.0])
    for base in (0, 0.0):
        y = Tensor(ys, requires_grad=True)
        (base**y).sum().backward()
        ty = torch.tensor(ys, requires_grad=True)
        (base**ty).sum().backward()
        np.testing.assert_array_equal(y.grad, ty.grad.numpy())
    for y0 in ys:  # Value follows the same rule
        v = Value(y0)
        (0.0**v).backward()
        ty = torch.tensor(y0, requires_grad=True)
        (0.0**ty).backward()
        assert v.grad == ty.grad.item()


def test_an_integer_tensor_to_a_negative_power_says_so():
    with pytest.raises(ValueError, match=r"\*\* on int64 .*negative integer powers"):
        Tensor([2, 3], dtype=np.int64) ** -2


@pytest.mark.parametrize("fn", ["relu", "abs"])
def test_an_infinite_upstream_gradient_through_a_closed_gate_is_0(fn):
    v = Value(-1.0 if fn == "relu" else 0.0)
    getattr(v, fn)().sqrt().backward()
    assert v.grad == 0.0  # as PyTorch: sqrt'(0) = inf times a closed gate is 0
    t = Tensor([-1.0, 4.0] if fn == "relu" else [0.0, 4.0], requires_grad=True)
    getattr(t, fn)().sqrt().sum().backward()
    np.testing.assert_allclose(t.grad, [0.0, 0.25])


def test_expressions_take_the_scalar_functions_and_drawings_name_them():
    from autodiff.expr import FUNCTIONS, evaluate
    from autodiff.viz.step import steps_of

    out, leaves = evaluate("sin(x) * log1p(y) + arctan(x * y) + cbrt(y)", {"x": 0.5, "y": 2.0})
    out.backward()
    assert leaves["x"].grad == pytest.approx(np.cos(0.5) * np.log1p(2.0) + 2.0 / (1 + 1.0))
    for name in FUNCTIONS:  # every function of the grammar is a Value method of that op
        x = Value(0.25)
        assert getattr(x, name)().op == name
    from autodiff import draw_graph

    source = draw_graph(out).source
    assert all(name in source for name in ("sin", "log1p", "arctan", "cbrt"))
    shown = " ".join(str(step) for step in steps_of(out))
    assert all(f"{name}(" in shown for name in ("sin", "log1p", "arctan", "cbrt"))


def test_drawings_name_functions_of_two_operands_with_the_constant_in_place():
    from autodiff import draw_graph

    x = Tensor([1.0, -2.0], requires_grad=True, label="x")
    source = draw_graph((np.maximum(x, 0) + np.arctan2(0.5, x)).sum()).source
    assert "maximum(0)" in source and "arctan2(0.5, x)" in source


def test_cumprod_with_zeros_matches_pytorch():
    torch = pytest.importorskip("torch")
    data = np.array([[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 3.0, 4.0]])
    w = np.arange(12.0).reshape(3, 4) - 5
    for axis in (0, 1):
        x = Tensor(data, requires_grad=True)
        (np.cumprod(x, axis=axis) * w).sum().backward()
        t = torch.tensor(data, requires_grad=True)
        (torch.cumprod(t, axis) * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad, t.grad.numpy(), rtol=1e-12)
