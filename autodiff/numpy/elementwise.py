"""numpy's elementwise functions (its ufuncs) on Tensors, each one op of the table.

Functions of one operand take a Tensor, a Value (recorded with the op's scalar
kernel) or anything ``Tensor()`` accepts; functions of two broadcast as numpy does,
with either operand a Tensor, an array or a number.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import ops
from ..engine import Node
from ..ops import Op
from ..tensor import Tensor, _binop

__all__: list[str] = []  # filled below, one entry per function


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _unary_function(name: str, op: Op, what: str) -> Any:
    def function(x: Any, /) -> Any:
        if isinstance(x, Node):  # a Tensor, or a Value (its scalar kernel)
            return x._unary(op)  # type: ignore[attr-defined]
        return Tensor(x)._unary(op)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"""{what}, elementwise (numpy.{name}); records the op {op.name!r}.

    >>> from autodiff import Tensor
    >>> {name}(Tensor([0.5], requires_grad=True)).op
    {op.name!r}
    """
    __all__.append(name)
    return function


def _binary_function(name: str, op: Op, what: str) -> Any:
    def function(a: Any, b: Any, /) -> Any:
        return _apply_binary(op, name, a, b)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"""{what}, elementwise with broadcasting (numpy.{name}).

    >>> from autodiff import Tensor
    >>> {name}(Tensor([0.5, 2.0], requires_grad=True), 1.5).op
    {op.name!r}
    """
    __all__.append(name)
    return function


def _apply_binary(op: Op, name: str, a: Any, b: Any) -> Any:
    """``a op b`` with whichever operand is a Tensor recording it (numpy's broadcasting)."""
    if isinstance(a, Tensor):
        result, other = _binop(op, a, b), b
    elif isinstance(b, Tensor):
        result, other = _binop(op, b, a, True), a
    else:
        return _binop(op, Tensor(a), b)
    if result is NotImplemented:
        raise TypeError(f"{name}: cannot combine a Tensor with {type(other).__name__}")
    return result


# arithmetic (the operators' ops)
add = _binary_function("add", ops.ADD, "a + b")
subtract = _binary_function("subtract", ops.SUB, "a − b")
multiply = _binary_function("multiply", ops.MUL, "a · b")
divide = _binary_function("divide", ops.DIV, "a / b")
true_divide = divide
power = _binary_function("power", ops.POW, "a ** b")
remainder = _binary_function("remainder", ops.REMAINDER, "a mod b with b's sign (a % b)")
mod = remainder
fmod = _binary_function("fmod", ops.FMOD, "a mod b with a's sign (C's fmod)")
floor_divide = _binary_function("floor_divide", ops.FLOOR_DIVIDE, "⌊a / b⌋ (zero gradient)")
negative = _unary_function("negative", ops.NEG, "−x")
absolute = _unary_function("absolute", ops.ABS, "|x|")
abs = absolute
fabs = _unary_function("fabs", ops.FABS, "|x|")
sign = _unary_function("sign", ops.SIGN, "−1, 0 or 1 (zero gradient)")
# exponentials and logarithms
exp = _unary_function("exp", ops.EXP, "e**x")
exp2 = _unary_function("exp2", ops.EXP2, "2**x")
expm1 = _unary_function("expm1", ops.EXPM1, "e**x − 1")
log = _unary_function("log", ops.LOG, "The natural log")
log2 = _unary_function("log2", ops.LOG2, "The base-2 log")
log10 = _unary_function("log10", ops.LOG10, "The base-10 log")
log1p = _unary_function("log1p", ops.LOG1P, "log(1 + x)")
logaddexp = _binary_function("logaddexp", ops.LOGADDEXP, "log(e**a + e**b)")
logaddexp2 = _binary_function("logaddexp2", ops.LOGADDEXP2, "log2(2**a + 2**b)")
sqrt = _unary_function("sqrt", ops.SQRT, "The square root")
square = _unary_function("square", ops.SQUARE, "x²")
reciprocal = _unary_function("reciprocal", ops.RECIPROCAL, "1 / x")
cbrt = _unary_function("cbrt", ops.CBRT, "The cube root")
# trigonometric and hyperbolic
sin = _unary_function("sin", ops.SIN, "The sine")
cos = _unary_function("cos", ops.COS, "The cosine")
tan = _unary_function("tan", ops.TAN, "The tangent")
arcsin = _unary_function("arcsin", ops.ARCSIN, "The inverse sine")
arccos = _unary_function("arccos", ops.ARCCOS, "The inverse cosine")
arctan = _unary_function("arctan", ops.ARCTAN, "The inverse tangent")
arctan2 = _binary_function("arctan2", ops.ARCTAN2, "The angle of the point (b, a)")
hypot = _binary_function("hypot", ops.HYPOT, "√(a² + b²)")
sinh = _unary_function("sinh", ops.SINH, "The hyperbolic sine")
cosh = _unary_function("cosh", ops.COSH, "The hyperbolic cosine")
tanh = _unary_function("tanh", ops.TANH, "The hyperbolic tangent")
arcsinh = _unary_function("arcsinh", ops.ARCSINH, "The inverse hyperbolic sine")
arccosh = _unary_function("arccosh", ops.ARCCOSH, "The inverse hyperbolic cosine")
arctanh = _unary_function("arctanh", ops.ARCTANH, "The inverse hyperbolic tangent")
deg2rad = _unary_function("deg2rad", ops.DEG2RAD, "Degrees to radians")
radians = deg2rad
rad2deg = _unary_function("rad2deg", ops.RAD2DEG, "Radians to degrees")
degrees = rad2deg
sinc = _unary_function("sinc", ops.SINC, "sin(πx) / (πx)")
# extremes, with the gradient split evenly at ties
maximum = _binary_function("maximum", ops.MAXIMUM, "The larger of a and b (nan wins)")
minimum = _binary_function("minimum", ops.MINIMUM, "The smaller of a and b (nan wins)")
fmax = _binary_function("fmax", ops.FMAX, "The larger of a and b (nan loses)")
fmin = _binary_function("fmin", ops.FMIN, "The smaller of a and b (nan loses)")
# rounding (piecewise constant: zero gradient)
floor = _unary_function("floor", ops.FLOOR, "Rounding down")
ceil = _unary_function("ceil", ops.CEIL, "Rounding up")
rint = _unary_function("rint", ops.RINT, "Rounding to the nearest integer")
trunc = _unary_function("trunc", ops.TRUNC, "Rounding toward 0")
fix = trunc
__all__ += ["abs", "degrees", "fix", "mod", "radians", "true_divide"]


def matmul(a: Any, b: Any, /) -> Tensor:
    """The matrix product a @ b (numpy.matmul), batch axes broadcast.

    >>> from autodiff import Tensor
    >>> matmul(Tensor([[1.0, 2.0]]), np.array([[3.0], [4.0]])).data
    array([[11.]])
    """
    return _apply_binary(ops.MATMUL, "matmul", a, b)  # type: ignore[no-any-return]


def positive(x: Any, /) -> Any:
    """+x: the operand itself (numpy.positive).

    >>> from autodiff import Tensor
    >>> x = Tensor([1.0]); positive(x) is x
    True
    """
    return x if isinstance(x, Node) else Tensor(x)


def round(x: Any, decimals: int = 0) -> Tensor:
    """Rounding to ``decimals`` places, ties to even (numpy.round); zero gradient.

    >>> from autodiff import Tensor
    >>> round(Tensor([1.25, 2.5]), 1).data
    array([1.2, 2.5])
    """
    t = _tensor(x)
    if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return t._param_op(ops.ROUND, int(decimals))


around = round


def real(x: Any) -> Any:
    """The real part: the Tensor itself, as Tensors are real (numpy.real).

    >>> from autodiff import Tensor
    >>> x = Tensor([1.0]); real(x) is x
    True
    """
    return positive(x)


conj = conjugate = real


def copysign(a: Any, b: Any, /) -> Tensor:
    """|a| with the sign of b (numpy.copysign); b's sign is piecewise constant.

    >>> from autodiff import Tensor
    >>> copysign(Tensor([2.0, -3.0]), -1.0).data
    array([-2., -3.])
    """
    b_data = b.data if isinstance(b, Node) else np.asarray(b)
    return multiply(fabs(a), np.where(np.signbit(b_data), -1.0, 1.0))  # type: ignore[no-any-return]


def heaviside(x1: Any, x2: Any, /) -> Tensor:
    """0 below 0, 1 above, ``x2`` at 0 (numpy.heaviside); x1's gradient is 0.

    >>> from autodiff import Tensor
    >>> heaviside(Tensor([-1.0, 0.0, 2.0]), 0.5).data
    array([0. , 0.5, 1. ])
    """
    from ..tensor import _data, where

    x = np.asarray(_data(x1))
    return where(x > 0, 1.0, where(x < 0, 0.0, x2))


def float_power(a: Any, b: Any, /) -> Tensor:
    """a ** b computed in float64 (numpy.float_power).

    >>> from autodiff import Tensor
    >>> float_power(Tensor([2.0], dtype="float32"), 3).dtype
    dtype('float64')
    """
    from .shape import astype

    a64 = astype(a, np.float64) if isinstance(a, Tensor) else np.asarray(a, dtype=np.float64)
    b64 = astype(b, np.float64) if isinstance(b, Tensor) else np.asarray(b, dtype=np.float64)
    return power(a64, b64)  # type: ignore[no-any-return]


def nan_to_num(
    x: Any, copy: bool = True, nan: float = 0.0, posinf: Any = None, neginf: Any = None
) -> Tensor:
    """nan and ±inf replaced by numbers (numpy.nan_to_num); the gradient passes elsewhere.

    >>> from autodiff import Tensor
    >>> nan_to_num(Tensor([np.nan, 1.0])).data
    array([0., 1.])
    """
    from ..tensor import where

    t = x if isinstance(x, Tensor) else Tensor(x)
    fixed = np.nan_to_num(t.data, nan=nan, posinf=posinf, neginf=neginf)
    return where(np.isfinite(t.data), t, fixed)


__all__ += [
    "around",
    "conj",
    "conjugate",
    "copysign",
    "float_power",
    "heaviside",
    "matmul",
    "nan_to_num",
    "positive",
    "real",
    "round",
]
