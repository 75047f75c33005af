"""numpy's dispatch protocols for Tensor: a numpy call on Tensors runs our op.

``Tensor.__array_ufunc__`` and ``Tensor.__array_function__`` come here. A numpy
callable is looked up by name in :mod:`autodiff.numpy` (``numpy.linalg.X`` in
``autodiff.numpy.linalg``, and so on), so a function defined there is dispatched with
no registration: ``np.sin(x)`` runs ``autodiff.numpy.sin(x)`` and records the graph.

A numpy callable with no counterpart there runs on the plain data only when its result
holds no floating-point numbers (``np.shape``, ``np.argmax``, ``np.isnan``, ...: there
is no gradient to lose). Otherwise it raises :class:`TypeError` naming the function
and saying how to get the data, so a graph is never dropped silently.
"""

from __future__ import annotations

import importlib
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import Node
from ..tensor import Tensor

# numpy module -> our module holding the functions of the same names
_MODULES = {
    "numpy": "autodiff.numpy",
    "numpy.linalg": "autodiff.numpy.linalg",
    "numpy.fft": "autodiff.numpy.fft",
}

# ufunc methods that are reductions and scans of ours: np.add.reduce(x) is np.sum(x)
_METHODS = {
    ("add", "reduce"): "sum",
    ("multiply", "reduce"): "prod",
    ("maximum", "reduce"): "max",
    ("minimum", "reduce"): "min",
    ("add", "accumulate"): "cumsum",
    ("multiply", "accumulate"): "cumprod",
}

_UFUNCS: dict[Any, Callable[..., Any]] = {}  # ufunc -> implementation, filled on first use
_FUNCTIONS: dict[Any, Callable[..., Any]] = {}  # numpy function -> implementation


def _ours(numpy_module: str, name: str) -> Callable[..., Any] | None:
    """The function ``name`` of our counterpart of ``numpy_module``, if there is one."""
    target = _MODULES.get(numpy_module)
    if target is None:
        return None
    try:
        module = importlib.import_module(target)
    except ModuleNotFoundError:
        return None
    fn = getattr(module, name, None)
    # only our own functions: not numpy's, nor a class or a module imported there
    if isinstance(fn, types.FunctionType) and fn.__module__.startswith("autodiff."):
        return fn
    return None


def plain(x: Any) -> Any:
    """``x`` with every Tensor (also inside lists, tuples and dicts) replaced by its data."""
    if isinstance(x, Node):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(plain(i) for i in x) if not hasattr(x, "_fields") else x
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    return x


def _has_floats(x: Any) -> bool:
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype.kind in "fc"  # type: ignore[union-attr]
    if isinstance(x, (float, complex)):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_floats(i) for i in x)
    if isinstance(x, dict):
        return any(_has_floats(v) for v in x.values())
    return False


def not_differentiable(what: str) -> TypeError:
    """The error for a numpy function that would return a detached array."""
    return TypeError(
        f"{what} is not differentiable on Tensors (autodiff.numpy has no counterpart), "
        "and its result would drop the graph; to compute it on the plain data, pass "
        "t.data or np.asarray(t) (no gradient flows back through it)"
    )


def _without_gradient(what: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` run on the plain data, allowed when its result has no floats."""

    def run(*args: Any, **kwargs: Any) -> Any:
        result = fn(*plain(args), **plain(kwargs))
        if _has_floats(result):
            raise not_differentiable(what)
        return result

    return run


def _lookup_function(func: Any) -> Callable[..., Any]:
    module = getattr(func, "__module__", None) or ""
    name = getattr(func, "__name__", "") or ""
    ours = _ours(module, name)
    if ours is not None:
        return ours
    return _without_gradient(f"{module}.{name}", func)


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """What ``func(*args, **kwargs)`` means when an argument is a Tensor."""
    impl = _FUNCTIONS.get(func)
    if impl is None:
        impl = _FUNCTIONS[func] = _lookup_function(func)
    return impl(*args, **kwargs)


def _lookup_ufunc(ufunc: Any) -> Callable[..., Any]:
    ours = _ours("numpy", ufunc.__name__)
    if ours is not None:
        return ours
    return _without_gradient(f"numpy.{ufunc.__name__}", ufunc)


def array_ufunc(ufunc: Any, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """What ``ufunc(*inputs)`` (or ``ufunc.reduce(...)``, ...) means on Tensors."""
    if method == "__call__":
        impl = _UFUNCS.get(ufunc)
        if impl is None:
            impl = _UFUNCS[ufunc] = _lookup_ufunc(ufunc)
        if kwargs:
            if "out" in kwargs:
                raise TypeError(
                    f"numpy.{ufunc.__name__}(..., out=...) on a Tensor: writing into an "
                    "array would leave the graph; use the returned Tensor instead"
                )
            if impl.__module__.startswith("autodiff.numpy"):
                raise TypeError(
                    f"numpy.{ufunc.__name__} on Tensors takes no keyword arguments "
                    f"(got {', '.join(sorted(kwargs))})"
                )
        return impl(*inputs, **kwargs)
    what = f"numpy.{ufunc.__name__}.{method}"
    name = _METHODS.get((ufunc.__name__, method))
    ours = _ours("numpy", name) if name else None
    if method == "outer" and "out" not in kwargs:
        call = _UFUNCS.get(ufunc) or _lookup_ufunc(ufunc)
        if call.__module__.startswith("autodiff.numpy"):
            ours = _outer(call)
    if ours is None or "out" in kwargs:
        return _without_gradient(what, getattr(ufunc, method))(*inputs, **kwargs)
    return ours(*inputs, **kwargs)


def _outer(call: Callable[..., Any]) -> Callable[..., Any]:
    """``ufunc.outer(a, b)``: ``call`` on a reshaped so its axes come before b's."""

    def outer(a: Any, b: Any) -> Any:
        a = a if isinstance(a, Tensor) else Tensor(a)
        return call(a.reshape(a.shape + (1,) * np.ndim(plain(b))), b)

    return outer
