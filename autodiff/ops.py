"""The op table: every primitive's forward and derivative, side by side, in one place.

Each :class:`Op` holds
- ``scalar``: the forward on Python floats (what Value computes), with IEEE results
  (``log(0) = -inf``, ``1/0 = inf``, ``(-1)**0.5 = nan``) instead of Python's exceptions;
- ``array``: the forward on numpy arrays (what Tensor computes);
- ``vjp(g, out, *operands)``: the vector-Jacobian product, the gradient of each
  operand given ``g``, the gradient of the output.

The vjps use only arithmetic, comparisons and the helpers below, so the same
function runs on floats, on numpy arrays and on graph nodes. Run on nodes (which is
what ``backward(create_graph=True)`` does) it records the backward pass as a graph,
and gradients become differentiable again.

Operand layouts (``kind``) are those of :mod:`autodiff.engine`: ``UNARY``, ``PARAM``
(one operand plus a fixed parameter such as an exponent or a slope), ``BINARY`` (two
operands, either of which may be a constant) and ``NARY``.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from .engine import BINARY, PARAM, RPARAM, UNARY, Node


class Op:
    """One primitive: its name, operand layout, forward kernels and vjp.

    A ``BINARY`` op has one vjp per operand (``vjp`` for the first, ``vjp_b`` for the
    second) and two derived ops for when one side is a constant: ``const_b``
    (``x + 1``, kind PARAM) and ``const_a`` (``1 / x``, kind RPARAM). They share the
    name, kernels and vjps; only the side that is a node is differentiated.

    >>> from autodiff.ops import OPS
    >>> OPS["tanh"].vjp(1.0, 0.5, 0.5493)  # d tanh / dx where tanh(x) = 0.5
    0.75
    """

    __slots__ = (
        "name",
        "kind",
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
        kind: int,
        vjp: Callable[..., Any],
        scalar: Callable[..., Any] | None = None,
        array: Callable[..., Any] | None = None,
        *,
        vjp_b: Callable[..., Any] | None = None,
        symbol: str = "",
        builtin: bool = True,
    ) -> None:
        self.name = name
        self.kind = kind
        self.vjp = vjp
        self.vjp_b = vjp_b
        self.scalar = scalar
        self.array = array
        self.symbol = symbol  # infix operator, so a drawing can show "+1" or "1/x"
        self.builtin = builtin
        self.const_a: Op | None = None
        self.const_b: Op | None = None
        if kind == BINARY:
            if vjp_b is None:
                raise ValueError(f"binary op {name!r} needs vjp_b, the second operand's vjp")
            self.const_b = Op(name, PARAM, vjp, scalar, array, symbol=symbol, builtin=builtin)
            self.const_a = Op(name, RPARAM, vjp_b, scalar, array, symbol=symbol, builtin=builtin)

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


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def _log(x: float) -> float:
    if x > 0:
        return math.log(x)
    return -math.inf if x == 0 else math.nan


def _sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0 else math.nan


def _sigmoid(x: float) -> float:
    # Two branches so that exp never overflows.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = _exp(x)
    return e / (1.0 + e)


def _relu(x: float) -> float:
    return 0.0 if x <= 0 else x  # nan stays nan, as np.maximum


def _leaky_relu(x: float, slope: float) -> float:
    return x * slope if x < 0 else x


def _pow(a: float, b: float) -> float:
    try:
        r = a**b
    except (OverflowError, ZeroDivisionError):
        return _ieee(np.power, a, b)
    return math.nan if r.__class__ is complex else r  # negative base, fractional power


def _ieee(f: Callable[..., Any], a: float, b: float) -> float:
    with np.errstate(all="ignore"):
        return float(f(np.float64(a), np.float64(b)))


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; both branches are computed from it.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _np_leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x < 0, x * slope, x)


def _np_relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


# --- differentiable helpers used inside vjps -----------------------------------------


def log(x: Any) -> Any:
    """Natural log of a float, an array or a node (recorded, so differentiable)."""
    if isinstance(x, Node):
        return x.log()  # type: ignore[attr-defined]
    if isinstance(x, float):
        return _log(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def div(a: Any, b: Any) -> Any:
    """a / b on floats, arrays or nodes; a float divided by zero gives inf or nan (IEEE)."""
    try:
        return a / b
    except ZeroDivisionError:
        return _ieee(np.divide, a, b)


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Node) else x  # type: ignore[attr-defined]


# --- the table -------------------------------------------------------------------------


def _vjp_pow_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    # d/da a**b = b a**(b-1); taken as 0 where b == 0 (as PyTorch), not 0 * inf.
    exponent = _plain(b)
    if isinstance(exponent, float):
        return g * 0.0 if exponent == 0 else g * b * a ** (b - 1)
    ga = g * b * a ** (b - 1)
    nonzero = np.asarray(exponent) != 0
    return ga if nonzero.all() else ga * nonzero


def _vjp_pow_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    # d/db a**b = a**b log a; taken as 0 where a == 0 (as PyTorch), not 0 * -inf.
    base = _plain(a)
    if isinstance(base, float):
        return g * 0.0 if base == 0 else g * out * log(a)
    gb = g * out * log(a)
    nonzero = np.asarray(base) != 0
    return gb if nonzero.all() else gb * nonzero


def _binary(name: str, vjp_a: Any, vjp_b: Any, scalar: Any, array: Any) -> Op:
    return register(Op(name, BINARY, vjp_a, scalar, array, vjp_b=vjp_b, symbol=name))


ADD = _binary("+", lambda g, out, a, b: g, lambda g, out, a, b: g, operator.add, np.add)
SUB = _binary("-", lambda g, out, a, b: g, lambda g, out, a, b: -g, operator.sub, np.subtract)
MUL = _binary(
    "*", lambda g, out, a, b: g * b, lambda g, out, a, b: g * a, operator.mul, np.multiply
)
DIV = _binary("/", lambda g, out, a, b: g / b, lambda g, out, a, b: -g * out / b, div, np.divide)
POW = _binary("**", _vjp_pow_a, _vjp_pow_b, _pow, np.power)
NEG = register(Op("neg", UNARY, lambda g, out, a: -g, operator.neg, np.negative))
EXP = register(Op("exp", UNARY, lambda g, out, a: g * out, _exp, np.exp))
LOG = register(Op("log", UNARY, lambda g, out, a: div(g, a), _log, np.log))
SQRT = register(Op("sqrt", UNARY, lambda g, out, a: div(g, 2 * out), _sqrt, np.sqrt))
ABS = register(Op("abs", UNARY, lambda g, out, a: g * (a > 0) - g * (a < 0), abs, np.abs))
TANH = register(Op("tanh", UNARY, lambda g, out, a: g * (1 - out * out), math.tanh, np.tanh))
SIGMOID = register(
    Op("sigmoid", UNARY, lambda g, out, a: g * out * (1 - out), _sigmoid, _np_sigmoid)
)
RELU = register(Op("relu", UNARY, lambda g, out, a: g * (a > 0), _relu, _np_relu))
LEAKY_RELU = register(
    Op(
        "leaky_relu",
        PARAM,
        # comparisons times g, so floats, arrays (dtype kept) and nodes all work
        lambda g, out, a, slope: g * slope * (a < 0) + g * (a >= 0),
        _leaky_relu,
        _np_leaky_relu,
    )
)
