"""The op table's core: the :class:`Op` record, the registry, and the differentiable
helpers vjps use. What an op holds, and why its vjp runs on floats, arrays and nodes
alike, is told once in the package's docstring (:mod:`autodiff.ops`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine import BINARY, PARAM, RPARAM, Layout, Node


class Op:
    """One primitive: its name, operand layout, forward kernels and vjp.

    ``layout`` (one of UNARY, PARAM, BINARY, NARY of :mod:`autodiff.engine`) says how
    a node of this op keeps its operands and how the vjps are called on them.
    A ``BINARY`` op has one vjp per operand (``vjp`` for the first, ``vjp_b`` for the
    second) and two derived ops for when one side is a constant: ``const_b``
    (``x + 1``, layout PARAM) and ``const_a`` (``1 / x``, layout RPARAM). They share
    the name, kernels and vjps; only the side that is a node is differentiated.

    >>> from autodiff.ops import OPS
    >>> OPS["tanh"].vjp(1.0, 0.5, 0.5493)  # d tanh / dx where tanh(x) = 0.5
    0.75
    """

    __slots__ = (
        "name",
        "layout",
        "scalar",
        "array",
        "vjp",
        "vjp_b",
        "symbol",
        "builtin",
        "const_a",
        "const_b",
    )

    def __init__(
        self,
        name: str,
        layout: Layout,
        vjp: Callable[..., Any],
        scalar: Callable[..., Any] | None = None,
        array: Callable[..., Any] | None = None,
        *,
        vjp_b: Callable[..., Any] | None = None,
        symbol: str = "",
        builtin: bool = True,
    ) -> None:
        if not isinstance(layout, Layout):
            raise TypeError(
                f"op {name!r}: layout must be one of UNARY, PARAM, BINARY, NARY "
                f"(autodiff.engine), got {layout!r}"
            )
        if layout is RPARAM and vjp_b is None:
            vjp_b = vjp  # a constant-left op's one vjp is its node operand's
        self.name = name
        self.layout = layout
        self.vjp = vjp
        self.vjp_b = vjp_b
        self.scalar = scalar
        self.array = array
        self.symbol = symbol  # infix operator, so a drawing can show "+1" or "1/x"
        self.builtin = builtin
        self.const_a: Op | None = None
        self.const_b: Op | None = None
        if layout is BINARY:
            if vjp_b is None:
                raise ValueError(f"binary op {name!r} needs vjp_b, the second operand's vjp")
            self.const_b, self.const_a = (
                Op(name, side, vjp, scalar, array, vjp_b=vjp_b, symbol=symbol, builtin=builtin)
                for side in (PARAM, RPARAM)
            )

    @property
    def kind(self) -> Layout:
        """The layout, by its former name."""
        return self.layout

    def __repr__(self) -> str:
        return f"Op({self.name!r})"


OPS: dict[str, Op] = {}


def register(op: Op) -> Op:
    """Add ``op`` to the table; a built-in name cannot be taken over."""
    existing = OPS.get(op.name)
    if existing is not None and existing.builtin:
        raise ValueError(f"op name {op.name!r} is a built-in op; choose another name")
    OPS[op.name] = op
    return op


# --- IEEE scalar kernels ------------------------------------------------------------
# Python's math raises where IEEE (and numpy) return inf or nan; these don't.


def _log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _pow(a: float, b: float) -> float:
    try:
        r = a**b
    except (OverflowError, ZeroDivisionError):
        return _ieee(np.power, a, b)
    return math.nan if r.__class__ is complex else r  # negative base, fractional power


def _ieee(f: Callable[..., Any], a: float, b: float) -> float:
    with np.errstate(all="ignore"):
        return float(f(np.float64(a), np.float64(b)))


def _quiet(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` without numpy's warnings: inf and nan are results here, as IEEE says."""

    def kernel(*xs: Any) -> Any:
        with np.errstate(all="ignore"):
            return f(*xs)

    kernel.__name__ = f.__name__
    return kernel


# --- differentiable helpers used inside vjps -----------------------------------------


def log(x: Any) -> Any:
    """Natural log of a float, an array or a node (recorded, so differentiable)."""
    if isinstance(x, Node):
        return x.log()  # type: ignore[attr-defined]
    if isinstance(x, float):
        return _log(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def power(a: Any, b: Any) -> Any:
    """a ** b on floats, arrays or nodes; a float 0 to a negative power gives inf (IEEE)."""
    if a.__class__ is float:
        return _pow(a, b)
    return a**b


def div(a: Any, b: Any) -> Any:
    """a / b on floats, arrays or nodes; a float divided by zero gives inf or nan (IEEE)."""
    if a.__class__ is np.ndarray or b.__class__ is np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):  # inf and nan are the answer
            return a / b
    try:
        return a / b
    except ZeroDivisionError:
        return _ieee(np.divide, a, b)


def exp(x: Any) -> Any:
    """e**x of an array or a node (recorded, so differentiable)."""
    return x.exp() if isinstance(x, Node) else np.exp(x)  # type: ignore[attr-defined]


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` broadcast to ``shape``: a new array, or a recorded op on a node."""
    if isinstance(x, Node):
        return x.broadcast_to(shape)  # type: ignore[attr-defined]
    # Filling a fresh array is ~10x cheaper than np.broadcast_to's view, and writable.
    out = np.empty(shape, dtype=x.dtype if x.__class__ is np.ndarray else np.result_type(x))
    out[...] = x
    return out


_ONES: dict[tuple[int, Any], np.ndarray] = {}


def _ones(n: int, dtype: np.dtype) -> np.ndarray:
    key = (n, dtype)
    ones = _ONES.get(key)
    if ones is None:
        if len(_ONES) > 256:
            _ONES.clear()
        ones = _ONES[key] = np.ones(n, dtype=dtype)
    return ones


def _sum_over(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """``a`` summed over ``axes`` (kept as size 1), where they are leading and/or trailing
    axes, as products with a vector of ones: numpy's reduction over a short axis costs
    ~10x a BLAS product at layer-norm sizes. Anything else falls back to ``np.add.reduce``."""
    if not axes:
        return a.copy()  # a fresh array, as a reduction gives
    shape, dtype = a.shape, a.dtype
    nd = len(shape)
    if dtype.kind != "f" or not a.flags.c_contiguous:
        return np.add.reduce(a, axes, keepdims=True)  # type: ignore[no-any-return]
    if axes == (nd - 1,):  # the commonest: the last axis (a norm's statistics, a softmax)
        k = shape[-1]
        return (a.reshape(-1, k) @ _ones(k, dtype)).reshape(*shape[:-1], 1)  # type: ignore[no-any-return]
    lead = 0
    while lead in axes:
        lead += 1
    trail = 0
    while nd - 1 - trail in axes and nd - 1 - trail >= lead:
        trail += 1
    if lead + trail != len(axes):
        return np.add.reduce(a, axes, keepdims=True)  # type: ignore[no-any-return]
    kept = shape[lead : nd - trail]
    out = a
    if trail:
        k = math.prod(shape[nd - trail :])
        out = out.reshape(-1, k) @ _ones(k, dtype)
    if lead:
        rows = math.prod(shape[:lead])
        out = _ones(rows, dtype) @ out.reshape(rows, -1)
    return out.reshape((1,) * lead + kept + (1,) * trail)  # type: ignore[no-any-return]


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` (array or node) over the axes broadcasting added, back to ``shape``.

    >>> sum_to(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    """
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    if g.__class__ is np.ndarray:  # the hot path: ufunc.reduce skips np.sum's dispatch
        if lead and shape and g.shape[lead:] == shape:  # a bias: summed over the batch
            n = math.prod(shape)
            if n and g.dtype.kind == "f" and g.flags.c_contiguous:  # as a product with ones
                total = _ones(g.size // n, g.dtype) @ g.reshape(-1, n)
                return total if len(shape) == 1 else total.reshape(shape)
            return np.add.reduce(g, tuple(range(lead)))  # type: ignore[no-any-return]
        if lead:
            g = np.add.reduce(g, tuple(range(lead)))
        kept = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        if kept:
            g = np.add.reduce(g, kept, None, None, True)  # type: ignore[call-overload]
        if g.__class__ is not np.ndarray:  # reducing every axis gives a numpy scalar
            g = np.asarray(g)
        return g if g.shape == shape else g.reshape(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Node) else x  # type: ignore[attr-defined]


def _keep_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """``shape`` with the reduced axes kept as size 1."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in axis} if isinstance(axis, tuple) else {axis % len(shape)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape if x.__class__ is np.ndarray else np.shape(_plain(x))  # type: ignore[no-any-return]


def _count(shape: tuple[int, ...], axis: Any) -> int:
    kept = _keep_shape(shape, axis)
    return math.prod(shape) // max(math.prod(kept), 1) if shape else 1


__all__ = [
    "OPS",
    "Op",
    "broadcast_to",
    "div",
    "exp",
    "log",
    "power",
    "register",
    "sum_to",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
