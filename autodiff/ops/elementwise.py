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
    # d/db a**b = a**b log a. At a == 0 the rule is PyTorch's: 0 where b >= 0 (instead
    # of 0 * -inf), and a**b log a = inf * -inf = -inf where b < 0.
    base, exponent = _plain(a), _plain(b)
    if isinstance(base, float) and isinstance(exponent, float):  # a Value's numbers
        return g * 0.0 if base == 0 and exponent >= 0 else g * out * log(a)
    with np.errstate(invalid="ignore"):  # a nan exponent compares False: no mask there
        masked = (np.asarray(base) == 0) & (np.asarray(exponent) >= 0)
    return g * out * log(a + masked) if masked.any() else g * out * log(a)  # log 1 = 0 there


def _binary(
    name: str, vjp_a: Any, vjp_b: Any, scalar: Any, array: Any, symbol: str | None = None
) -> Op:
    symbol = name if symbol is None else symbol  # an infix operator, or "" for a function
    return register(Op(name, BINARY, vjp_a, scalar, array, vjp_b=vjp_b, symbol=symbol))


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
# select, not g * (a > 0): an infinite upstream gradient (sqrt at 0) must give 0, not nan
ABS = register(Op("abs", UNARY, lambda g, out, a: select(a > 0, g) - select(a < 0, g), abs, np.abs))
TANH = register(Op("tanh", UNARY, lambda g, out, a: g * (1 - out * out), math.tanh, np.tanh))
SIGMOID = register(
    Op("sigmoid", UNARY, lambda g, out, a: g * out * (1 - out), _sigmoid, _np_sigmoid)
)
RELU = register(Op("relu", UNARY, lambda g, out, a: select(a > 0, g), _relu, _np_relu))
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


# --- the numpy elementwise set ------------------------------------------------------------
# Scalar kernels follow IEEE as the others do: ``math`` where it answers, numpy's float64
# where math raises (``math.sin(inf)``, ``math.acosh(0.5)``, ``math.cosh(1000)``).


def _math(f: Any, ufunc: Any) -> Any:
    """A scalar kernel: ``f`` from math, numpy's IEEE answer where math raises."""

    def kernel(x: float) -> float:
        try:
            return f(x)  # type: ignore[no-any-return]
        except (ValueError, OverflowError, ZeroDivisionError):
            with np.errstate(all="ignore"):
                return float(ufunc(np.float64(x)))

    kernel.__name__ = ufunc.__name__
    return kernel


def _numpy(ufunc: Any) -> Any:
    """A scalar kernel from a numpy ufunc, for functions math lacks (as a Python float)."""

    def kernel(x: float) -> float:
        with np.errstate(all="ignore"):
            return float(ufunc(x))

    kernel.__name__ = ufunc.__name__
    return kernel


def unary(op: Op, x: Any) -> Any:
    """``op`` applied to a float, an array or a node (recorded): for vjps of other ops."""
    if isinstance(x, Node):
        return x._unary(op)  # type: ignore[attr-defined]
    if x.__class__ is float:
        return op.scalar(x)  # type: ignore[misc]
    return op.array(x)  # type: ignore[misc]


def select(mask: Any, g: Any) -> Any:
    """``g`` where ``mask`` holds, else 0: unlike ``g * mask``, an infinite g gives 0, not nan.

    >>> select(np.array([True, False]), np.array([np.inf, np.inf]))
    array([inf,  0.])
    """
    if mask.__class__ is bool or isinstance(mask, np.bool_):  # a Value's: one bool
        return g if mask else 0.0
    if isinstance(g, Node):
        from ..tensor import where  # the Tensor module imports this one

        return where(mask, g, 0.0)
    # Speed (relu's backward on every batch): a product costs a third of np.where, and
    # a BLAS dot of it with itself (~2 µs at 64×128) finds the nan that an infinite g
    # times a 0 of the mask leaves; only then is the choice made the slow way.
    product = g * mask
    flat = product.ravel("K")  # a view in any memory order (conv outputs are channels-last)
    if np.isnan(np.dot(flat, flat)):
        return np.where(mask, g, 0.0)
    return product


def zero_gradient(g: Any, out: Any, *operands: Any) -> Any:
    """The vjp of a piecewise-constant function (floor, sign, ...): zero, even for g = inf."""
    if isinstance(g, Node):
        return g.__class__(np.zeros_like(g.data))  # type: ignore[call-arg]
    return np.zeros_like(g) if g.__class__ is np.ndarray else 0.0


_LN2, _LN10 = math.log(2.0), math.log(10.0)


COS: Op  # sin's vjp names cos, defined after it (and sinh's cosh)
COSH: Op


def _function(name: str, vjp: Any, scalar: Any, array: Any) -> Op:
    return register(Op(name, UNARY, vjp, scalar, _quiet(array)))


SIN = _function("sin", lambda g, out, a: g * unary(COS, a), _math(math.sin, np.sin), np.sin)
COS = _function("cos", lambda g, out, a: -g * unary(SIN, a), _math(math.cos, np.cos), np.cos)
TAN = _function("tan", lambda g, out, a: g * (1 + out * out), _math(math.tan, np.tan), np.tan)
ARCSIN = _function(
    "arcsin",
    lambda g, out, a: div(g, unary(SQRT, 1 - a * a)),
    _math(math.asin, np.arcsin),
    np.arcsin,
)
ARCCOS = _function(
    "arccos",
    lambda g, out, a: div(-g, unary(SQRT, 1 - a * a)),
    _math(math.acos, np.arccos),
    np.arccos,
)
ARCTAN = _function(
    "arctan", lambda g, out, a: div(g, 1 + a * a), _math(math.atan, np.arctan), np.arctan
)
SINH = _function("sinh", lambda g, out, a: g * unary(COSH, a), _math(math.sinh, np.sinh), np.sinh)
COSH = _function("cosh", lambda g, out, a: g * unary(SINH, a), _math(math.cosh, np.cosh), np.cosh)
ARCSINH = _function(
    "arcsinh",
    lambda g, out, a: div(g, unary(SQRT, a * a + 1)),
    _math(math.asinh, np.arcsinh),
    np.arcsinh,
)
ARCCOSH = _function(
    "arccosh",
    lambda g, out, a: div(g, unary(SQRT, a * a - 1)),
    _math(math.acosh, np.arccosh),
    np.arccosh,
)
ARCTANH = _function(
    "arctanh", lambda g, out, a: div(g, 1 - a * a), _math(math.atanh, np.arctanh), np.arctanh
)
EXP2 = _function(
    "exp2", lambda g, out, a: g * out * _LN2, _math(lambda x: 2.0**x, np.exp2), np.exp2
)
EXPM1 = _function("expm1", lambda g, out, a: g * (out + 1), _math(math.expm1, np.expm1), np.expm1)
LOG2 = _function("log2", lambda g, out, a: div(g, a * _LN2), _math(math.log2, np.log2), np.log2)
LOG10 = _function(
    "log10", lambda g, out, a: div(g, a * _LN10), _math(math.log10, np.log10), np.log10
)
LOG1P = _function("log1p", lambda g, out, a: div(g, 1 + a), _math(math.log1p, np.log1p), np.log1p)
SQUARE = _function(
    "square", lambda g, out, a: g * 2 * a, _math(lambda x: x * x, np.square), np.square
)
RECIPROCAL = _function(
    "reciprocal", lambda g, out, a: -g * out * out, lambda x: div(1.0, x), np.reciprocal
)
CBRT = _function("cbrt", lambda g, out, a: div(g, 3 * out * out), _numpy(np.cbrt), np.cbrt)
DEG2RAD = _function(
    "deg2rad", lambda g, out, a: g * (math.pi / 180), _numpy(np.deg2rad), np.deg2rad
)
RAD2DEG = _function(
    "rad2deg", lambda g, out, a: g * (180 / math.pi), _numpy(np.rad2deg), np.rad2deg
)


def _vjp_sinc(g: Any, out: Any, a: Any) -> Any:
    # sinc(x) = sin(πx)/(πx), derivative (cos(πx) − sinc(x))/x; at x = 0 that is 0/0,
    # the limit 0: there the denominator becomes 1 (and the numerator is 1 − 1 = 0).
    at_zero = _plain(a) == 0
    return div(g * (unary(COS, a * math.pi) - out), a + at_zero)


SINC = _function("sinc", _vjp_sinc, _numpy(np.sinc), np.sinc)
FABS = _function("fabs", lambda g, out, a: select(a > 0, g) - select(a < 0, g), abs, np.fabs)
# Piecewise constant: zero gradient everywhere (as HIPS autograd, JAX and PyTorch).
SIGN = _function("sign", zero_gradient, _numpy(np.sign), np.sign)
FLOOR = _function("floor", zero_gradient, _numpy(np.floor), np.floor)
CEIL = _function("ceil", zero_gradient, _numpy(np.ceil), np.ceil)
RINT = _function("rint", zero_gradient, _numpy(np.rint), np.rint)
TRUNC = _function("trunc", zero_gradient, _numpy(np.trunc), np.trunc)
ROUND = register(Op("round", PARAM, zero_gradient, array=lambda x, decimals: np.round(x, decimals)))


# --- binary functions (Tensor only: Value has its operators) -------------------------------


def _share(a: Any, b: Any, win: Any) -> Any:
    """The weight of ``a`` in a max/min: 1 where it wins, ½ at a tie (as JAX, HIPS)."""
    xa, xb = _plain(a), _plain(b)
    return win(xa, xb) + 0.5 * (xa == xb)


def _extreme(name: str, win: Any, array: Any) -> Op:
    return _binary(
        name,
        lambda g, out, a, b: g * _share(a, b, win),
        lambda g, out, a, b: g * _share(b, a, win),
        None,
        array,
        "",
    )


def _fwin(win: Any) -> Any:
    # fmax/fmin ignore a nan: the other operand wins; both nan: neither gets a gradient
    return lambda xa, xb: win(xa, xb) | (np.isnan(xb) & ~np.isnan(xa))


MAXIMUM = _extreme("maximum", np.greater, np.maximum)
MINIMUM = _extreme("minimum", np.less, np.minimum)
FMAX = _extreme("fmax", _fwin(np.greater), np.fmax)
FMIN = _extreme("fmin", _fwin(np.less), np.fmin)
LOGADDEXP = _binary(
    "logaddexp",
    lambda g, out, a, b: g * unary(EXP, a - out),
    lambda g, out, a, b: g * unary(EXP, b - out),
    None,
    _quiet(np.logaddexp),
    "",
)
LOGADDEXP2 = _binary(
    "logaddexp2",
    lambda g, out, a, b: g * unary(EXP2, a - out),
    lambda g, out, a, b: g * unary(EXP2, b - out),
    None,
    _quiet(np.logaddexp2),
    "",
)
ARCTAN2 = _binary(
    "arctan2",
    lambda g, out, a, b: div(g * b, a * a + b * b),
    lambda g, out, a, b: div(-g * a, a * a + b * b),
    None,
    _quiet(np.arctan2),
    "",
)
HYPOT = _binary(
    "hypot",
    lambda g, out, a, b: div(g * a, out),
    lambda g, out, a, b: div(g * b, out),
    None,
    _quiet(np.hypot),
    "",
)


def _quotient(rounding: Any) -> Any:
    # a mod b = a − q·b with q = rounding(a / b) piecewise constant: d/db = −q
    def vjp_b(g: Any, out: Any, a: Any, b: Any) -> Any:
        with np.errstate(all="ignore"):
            return -g * rounding(_plain(a) / _plain(b))

    return vjp_b


REMAINDER = _binary("%", through, _quotient(np.floor), None, _quiet(np.remainder))
FMOD = _binary("fmod", through, _quotient(np.trunc), None, _quiet(np.fmod), "")
FLOOR_DIVIDE = _binary("//", zero_gradient, zero_gradient, None, _quiet(np.floor_divide))


__all__ = [
    "ABS",
    "ADD",
    "ARCCOS",
    "ARCCOSH",
    "ARCSIN",
    "ARCSINH",
    "ARCTAN",
    "ARCTAN2",
    "ARCTANH",
    "CBRT",
    "CEIL",
    "CLIP",
    "COS",
    "COSH",
    "DEG2RAD",
    "DIV",
    "EXP",
    "EXP2",
    "EXPM1",
    "FABS",
    "FLOOR",
    "FLOOR_DIVIDE",
    "FMAX",
    "FMIN",
    "FMOD",
    "HYPOT",
    "LEAKY_RELU",
    "LOG",
    "LOG1P",
    "LOG2",
    "LOG10",
    "LOGADDEXP",
    "LOGADDEXP2",
    "MAXIMUM",
    "MINIMUM",
    "MUL",
    "NEG",
    "POW",
    "RAD2DEG",
    "RECIPROCAL",
    "RELU",
    "REMAINDER",
    "RINT",
    "ROUND",
    "SIGMOID",
    "SIGN",
    "SIN",
    "SINC",
    "SINH",
    "SQRT",
    "SQUARE",
    "SUB",
    "TAN",
    "TANH",
    "TRUNC",
    "WHERE",
    "select",
    "unary",
    "zero_gradient",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
