"""Value: one scalar node of a computation graph.

Value is thin: it holds a float and the three slots the core walks (``_op``, ``_a``,
``_b``); every operator looks its forward up in the op table, ``_make`` builds the node,
and the derivative is applied by the one backward loop in :mod:`autodiff.engine`.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from . import ops
from .engine import MODE, Node, backpropagate, recording
from .ops import Op, core, elementwise

_new = object.__new__


def _to_float(data: Any, what: str) -> float:
    """``data`` as a float, or a TypeError that says what was given."""
    if data.__class__ is float:
        return data  # type: ignore[no-any-return]
    if isinstance(data, (bool, np.bool_)) or not isinstance(data, numbers.Real):
        if isinstance(data, np.ndarray) and data.ndim == 0 and data.dtype.kind in "iuf":
            return float(data)
        raise TypeError(f"{what} takes a real number, got {type(data).__name__} {data!r}")
    return float(data)


def _const(x: Any) -> float | None:
    """A number operand as a float; None for anything that is not a real number."""
    cls = x.__class__
    if cls is float:
        return x  # type: ignore[no-any-return]
    if cls is int or isinstance(x, numbers.Real):
        return float(x)
    return None


def _make(op: Op, data: float, a: Any, b: Any) -> Value:
    """The Value ``op`` computed, ``data``, with operands ``a`` and ``b`` in its slots as
    the op's layout says: the one place a Value is made by an op. A leaf when the
    calling thread records nothing (``no_grad``)."""
    if not MODE.plain and not recording(op, data, a, b):
        return Value(data)
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    v._op = op
    v._a = a
    v._b = b
    v._g = None
    return v


def _operator(op: Op) -> Callable[[Value, Any], Any]:
    """The method behind ``value <op> other`` (``__add__`` for ADD, ...).

    Made per op, with the op's kernel bound. For two Values while nothing is switched
    (the path that builds nearly every node of a scalar graph) it builds the node as
    ``_make`` does, inlined: one Python call per operation instead of two, 5% of a
    scalar training step (benchmarks/scalar.py). tests/autodiff/test_engine.py checks
    that both make the same node.
    """
    scalar, const_b = op.scalar, op.const_b

    def method(self: Value, other: Any) -> Any:
        if other.__class__ is Value or isinstance(other, Value):
            data = scalar(self.data, other.data)  # type: ignore[misc]
            if not MODE.plain:
                return _make(op, data, self, other)
            v = _new(Value)  # _make, inlined
            v.data = data
            v.grad = 0.0
            v.label = ""
            v._op = op
            v._a = self
            v._b = other
            v._g = None
            return v
        c = _const(other)
        if c is None:
            return NotImplemented
        return _make(const_b, scalar(self.data, c), self, c)  # type: ignore[arg-type, misc]

    return method


def _reflected(op: Op) -> Callable[[Value, Any], Any]:
    """The method behind ``number <op> value`` (``__radd__`` for ADD, ...)."""
    scalar, const_a = op.scalar, op.const_a

    def method(self: Value, other: Any) -> Any:
        c = _const(other)
        if c is None:
            return NotImplemented
        return _make(const_a, scalar(c, self.data), c, self)  # type: ignore[arg-type, misc]

    return method


class Value(Node):
    """A scalar that records the operations it takes part in, for backpropagation.

    >>> x = Value(2.0, label="x")
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> y.data, x.grad
    (10.0, 7.0)
    """

    __slots__ = ("data", "grad", "label", "_op", "_a", "_b", "_g")

    data: float
    grad: Any  # a float; a Value after backward(create_graph=True)
    label: str

    def __init__(self, data: Any, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = _to_float(data, "Value()")
        self.grad = 0.0
        self.label = label
        self._op: Op | None = None
        self._a: Any = None
        self._b: Any = None
        self._g: Any = None  # the backward pass's running gradient (engine)

    # --- what the node is -------------------------------------------------------------

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={_fmt(self.grad)}{label})"

    def __float__(self) -> float:
        return self.data

    # --- arithmetic: each operator is one op of the table ------------------------------

    __add__ = _operator(ops.ADD)
    __radd__ = _reflected(ops.ADD)

    __sub__ = _operator(ops.SUB)
    __rsub__ = _reflected(ops.SUB)

    __mul__ = _operator(ops.MUL)
    __rmul__ = _reflected(ops.MUL)

    __truediv__ = _operator(ops.DIV)
    __rtruediv__ = _reflected(ops.DIV)

    __pow__ = _operator(ops.POW)
    __rpow__ = _reflected(ops.POW)

    def __neg__(self) -> Value:
        return _make(ops.NEG, -self.data, self, None)

    def __pos__(self) -> Value:
        return self

    def __abs__(self) -> Value:
        return self.abs()

    # --- elementwise functions -------------------------------------------------------

    def exp(self) -> Value:
        """e**x.  ``Value(0.0).exp().data == 1.0``"""
        return _make(ops.EXP, elementwise._exp(self.data), self, None)

    def log(self) -> Value:
        """Natural log; -inf at 0 and nan below, as IEEE.  ``Value(1.0).log().data == 0.0``"""
        return _make(ops.LOG, core._log(self.data), self, None)

    def sqrt(self) -> Value:
        """Square root; ``nan`` below 0.  ``Value(4.0).sqrt().data == 2.0``"""
        return _make(ops.SQRT, elementwise._sqrt(self.data), self, None)

    def abs(self) -> Value:
        """|x|, with derivative 0 at 0.  ``Value(-2.0).abs().data == 2.0``"""
        return _make(ops.ABS, abs(self.data), self, None)

    def tanh(self) -> Value:
        """Hyperbolic tangent.  ``Value(0.0).tanh().data == 0.0``"""
        return _make(ops.TANH, ops.TANH.scalar(self.data), self, None)  # type: ignore[misc]

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x) as one op, derivative σ(1 − σ).  ``Value(0).sigmoid().data == 0.5``"""
        return _make(ops.SIGMOID, elementwise._sigmoid(self.data), self, None)

    def relu(self) -> Value:
        """max(x, 0), with derivative 0 at 0.  ``Value(-1.0).relu().data == 0.0``"""
        return _make(ops.RELU, elementwise._relu(self.data), self, None)

    def _unary(self, op: Op) -> Value:
        """``op`` (a one-operand op of the table) applied to this value, with its scalar kernel."""
        return _make(op, op.scalar(self.data), self, None)  # type: ignore[misc]

    # numpy's elementwise functions, each one op of the table (also ``autodiff.numpy.sin``)
    def sin(self) -> Value:
        """sin x.  ``Value(0.0).sin().data == 0.0``"""
        return self._unary(ops.SIN)

    def cos(self) -> Value:
        """cos x.  ``Value(0.0).cos().data == 1.0``"""
        return self._unary(ops.COS)

    def tan(self) -> Value:
        """tan x.  ``Value(0.0).tan().data == 0.0``"""
        return self._unary(ops.TAN)

    def arcsin(self) -> Value:
        """Inverse sine (nan outside [-1, 1]).  ``Value(0.0).arcsin().data == 0.0``"""
        return self._unary(ops.ARCSIN)

    def arccos(self) -> Value:
        """Inverse cosine (nan outside [-1, 1]).  ``Value(1.0).arccos().data == 0.0``"""
        return self._unary(ops.ARCCOS)

    def arctan(self) -> Value:
        """Inverse tangent.  ``Value(0.0).arctan().data == 0.0``"""
        return self._unary(ops.ARCTAN)

    def sinh(self) -> Value:
        """Hyperbolic sine.  ``Value(0.0).sinh().data == 0.0``"""
        return self._unary(ops.SINH)

    def cosh(self) -> Value:
        """Hyperbolic cosine.  ``Value(0.0).cosh().data == 1.0``"""
        return self._unary(ops.COSH)

    def arcsinh(self) -> Value:
        """Inverse hyperbolic sine.  ``Value(0.0).arcsinh().data == 0.0``"""
        return self._unary(ops.ARCSINH)

    def arccosh(self) -> Value:
        """Inverse hyperbolic cosine (nan below 1).  ``Value(1.0).arccosh().data == 0.0``"""
        return self._unary(ops.ARCCOSH)

    def arctanh(self) -> Value:
        """Inverse hyperbolic tangent (±inf at ±1).  ``Value(0.0).arctanh().data == 0.0``"""
        return self._unary(ops.ARCTANH)

    def exp2(self) -> Value:
        """2**x.  ``Value(3.0).exp2().data == 8.0``"""
        return self._unary(ops.EXP2)

    def expm1(self) -> Value:
        """e**x − 1, accurate for small x.  ``Value(0.0).expm1().data == 0.0``"""
        return self._unary(ops.EXPM1)

    def log2(self) -> Value:
        """Base-2 log.  ``Value(8.0).log2().data == 3.0``"""
        return self._unary(ops.LOG2)

    def log10(self) -> Value:
        """Base-10 log.  ``Value(100.0).log10().data == 2.0``"""
        return self._unary(ops.LOG10)

    def log1p(self) -> Value:
        """log(1 + x), accurate for small x.  ``Value(0.0).log1p().data == 0.0``"""
        return self._unary(ops.LOG1P)

    def square(self) -> Value:
        """x².  ``Value(3.0).square().data == 9.0``"""
        return self._unary(ops.SQUARE)

    def reciprocal(self) -> Value:
        """1/x (inf at 0).  ``Value(4.0).reciprocal().data == 0.25``"""
        return self._unary(ops.RECIPROCAL)

    def cbrt(self) -> Value:
        """Cube root, negative for negative x.  ``Value(-8.0).cbrt().data == -2.0``"""
        return self._unary(ops.CBRT)

    def deg2rad(self) -> Value:
        """Degrees to radians.  ``Value(180.0).deg2rad().data == math.pi``"""
        return self._unary(ops.DEG2RAD)

    def rad2deg(self) -> Value:
        """Radians to degrees.  ``Value(0.0).rad2deg().data == 0.0``"""
        return self._unary(ops.RAD2DEG)

    def sinc(self) -> Value:
        """sin(πx)/(πx), 1 at 0.  ``Value(0.0).sinc().data == 1.0``"""
        return self._unary(ops.SINC)

    def fabs(self) -> Value:
        """|x| (numpy's float abs).  ``Value(-2.0).fabs().data == 2.0``"""
        return self._unary(ops.FABS)

    def sign(self) -> Value:
        """-1, 0 or 1; zero gradient.  ``Value(-2.0).sign().data == -1.0``"""
        return self._unary(ops.SIGN)

    def floor(self) -> Value:
        """Round down; zero gradient.  ``Value(1.5).floor().data == 1.0``"""
        return self._unary(ops.FLOOR)

    def ceil(self) -> Value:
        """Round up; zero gradient.  ``Value(1.5).ceil().data == 2.0``"""
        return self._unary(ops.CEIL)

    def rint(self) -> Value:
        """Round to nearest, ties to even; zero gradient.  ``Value(2.5).rint().data == 2.0``"""
        return self._unary(ops.RINT)

    def trunc(self) -> Value:
        """Round toward 0; zero gradient.  ``Value(-1.5).trunc().data == -1.0``"""
        return self._unary(ops.TRUNC)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x ≥ 0, slope·x below.  ``Value(-2.0).leaky_relu(0.1).data == -0.2``"""
        s = _to_float(slope, "leaky_relu slope")
        return _make(ops.LEAKY_RELU, elementwise._leaky_relu(self.data, s), self, s)

    # --- comparisons: on .data, no graph ---------------------------------------------

    def __lt__(self, other: Any) -> bool:
        return self.data < _data(other)

    def __le__(self, other: Any) -> bool:
        return self.data <= _data(other)

    def __gt__(self, other: Any) -> bool:
        return self.data > _data(other)

    def __ge__(self, other: Any) -> bool:
        return self.data >= _data(other)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (Value, numbers.Real)):
            return self.data == _data(other)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, (Value, numbers.Real)):
            return self.data != _data(other)
        return NotImplemented

    __hash__ = Node.__hash__  # identity: nodes are keys of the backward pass

    # --- backpropagation -------------------------------------------------------------

    def backward(self, create_graph: bool = False) -> None:
        """Set this node's grad to 1 and accumulate d(self)/d(node) into every node's grad.

        With ``create_graph=True`` the gradients are Values with graphs of their own,
        so they can be differentiated again.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(create_graph=True)
        >>> g = x.grad  # dy/dx = 2x, a Value with a graph of its own
        >>> g.data
        6.0
        >>> x.grad = 0.0
        >>> g.backward()  # d(dy/dx)/dx = 2
        >>> x.grad
        2.0
        """
        self.grad = 0.0
        seed: Any = Value(1.0) if create_graph else 1.0
        backpropagate(self, seed, create_graph)

    def detach(self) -> Value:
        """A new leaf with the same data, cut from the graph."""
        return Value(self.data, self.label)

    # ``parents`` comes from Node; the core reads _op/_a/_b directly.


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x  # type: ignore[no-any-return]


def _fmt(x: Any) -> str:
    if isinstance(x, Value):
        return f"Value({x.data:.6g})"
    return f"{x:.6g}"


def _apply(op: Op, args: tuple[Any, ...]) -> Value:
    """Apply a user primitive (NARY op) to Values and numbers."""
    xs = tuple(a.data if isinstance(a, Value) else _to_float(a, op.name) for a in args)
    operands = tuple(a if isinstance(a, Value) else x for a, x in zip(args, xs, strict=True))
    out = op.scalar(*xs)  # type: ignore[misc]
    return _make(op, _to_float(out, f"forward of {op.name}"), operands, None)


__all__ = ["Value"]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
