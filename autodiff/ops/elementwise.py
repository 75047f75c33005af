"""Elementwise ops: arithmetic (binary, broadcasting) and functions of one operand."""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..engine import BINARY, NARY, PARAM, UNARY, Node, through
from .core import Op, _log, _plain, _pow, _quiet, div, log, power, register


def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


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


def _np_sigmoid(x: np.ndarray) -> np.ndarray:
    # exp(-|x|) never overflows; both branches are computed from it.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _np_leaky_relu(x: np.ndarray, slope: float) -> np.ndarray:
    return np.where(x < 0, x * slope, x)


def _np_relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0)


# --- the table -------------------------------------------------------------------------


def _vjp_pow_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    # b·a**(b-1), taken as 0 where b == 0 (as PyTorch) rather than 0·a**-1, which is
    # nan for a == 0 or a tiny a. When b is itself a recorded node (create_graph), the
    # formula must stay whole to keep its derivative in b: then only the 0·inf points
    # (a == 0 and b == 0) are masked.
    base, exponent = _plain(a), _plain(b)
    if not isinstance(b, Node):
        if isinstance(exponent, float):
            return g * 0.0 if exponent == 0 else g * b * power(a, b - 1)
        zero = np.asarray(exponent) == 0
        if not zero.any():
            return g * b * power(a, b - 1)
        return g * b * power(a + zero, b - 1)  # b == 0 there: a finite 0 · 1
    node: Any = b  # a recorded exponent: the formula is built from it, not from data
    if isinstance(base, float):
        return g * 0.0 if base == 0 and exponent == 0 else g * node * power(a, node - 1)
    undefined = (np.asarray(exponent) == 0) & (np.asarray(base) == 0)
    if not undefined.any():
        return g * node * power(a, node - 1)
    return g * node * power(a + undefined, node - 1)


def _vjp_pow_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    # d/db a**b = a**b log a; taken as 0 where a == 0 (as PyTorch), not 0 * -inf.
    base = _plain(a)
    if isinstance(base, float):
        return g * 0.0 if base == 0 else g * out * log(a)
    zero = np.asarray(base) == 0
    return g * out * log(a + zero) if zero.any() else g * out * log(a)  # log 1 = 0 there


def _binary(name: str, vjp_a: Any, vjp_b: Any, scalar: Any, array: Any) -> Op:
    return register(Op(name, BINARY, vjp_a, scalar, array, vjp_b=vjp_b, symbol=name))


ADD = _binary("+", through, through, operator.add, np.add)
SUB = _binary("-", through, lambda g, out, a, b: -g, operator.sub, np.subtract)
MUL = _binary(
    "*", lambda g, out, a, b: g * b, lambda g, out, a, b: g * a, operator.mul, np.multiply
)
DIV = _binary(
    "/",
    lambda g, out, a, b: div(g, b),
    lambda g, out, a, b: div(-g * out, b),
    div,
    _quiet(np.divide),
)
POW = _binary("**", _vjp_pow_a, _vjp_pow_b, _pow, _quiet(np.power))
NEG = register(Op("neg", UNARY, lambda g, out, a: -g, operator.neg, np.negative))
EXP = register(Op("exp", UNARY, lambda g, out, a: g * out, _exp, _quiet(np.exp)))
LOG = register(Op("log", UNARY, lambda g, out, a: div(g, a), _log, _quiet(np.log)))
SQRT = register(Op("sqrt", UNARY, lambda g, out, a: div(g, 2 * out), _sqrt, _quiet(np.sqrt)))
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
        # (at 0 the slope, as PyTorch: leaky_relu(x, 0) then matches relu's 0)
        lambda g, out, a, slope: g * slope * (a <= 0) + g * (a > 0),
        _leaky_relu,
        _np_leaky_relu,
    )
)


def _clip(x: np.ndarray, bounds: tuple[Any, Any]) -> np.ndarray:
    return np.clip(x, bounds[0], bounds[1])


def _vjp_clip(g: Any, out: Any, x: Any, bounds: tuple[Any, Any]) -> Any:
    xd = _plain(x)
    inside = np.ones(xd.shape, dtype=bool)
    if bounds[0] is not None:
        inside &= xd >= bounds[0]
    if bounds[1] is not None:
        inside &= xd <= bounds[1]
    return g * inside


CLIP = register(Op("clip", PARAM, _vjp_clip, array=_clip))


def _where(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
    return np.where(cond, a, b)


def _vjp_where(g: Any, out: Any, cond: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return None, g * cond, g * np.logical_not(cond)


WHERE = register(Op("where", NARY, _vjp_where, array=_where))


__all__ = [
    "ABS",
    "ADD",
    "CLIP",
    "DIV",
    "EXP",
    "LEAKY_RELU",
    "LOG",
    "MUL",
    "NEG",
    "POW",
    "RELU",
    "SIGMOID",
    "SQRT",
    "SUB",
    "TANH",
    "WHERE",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
