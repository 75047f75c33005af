"""Hypothesis strategies for property-testing gradients, and a registry of op cases.

Import these in your own tests (needs the ``test`` extra: ``pip install autodiff[test]``)::

    from hypothesis import given
    from autodiff import gradcheck
    from autodiff.testing import values

    @given(values(label="x"))
    def test_my_function(x):
        assert gradcheck(lambda x: (x * x).tanh(), [x])

:data:`OP_CASES` holds one entry per built-in elementwise op (and per op with a
constant on either side): the function applied to nodes, a plain-``math`` reference of
the forward, and the domain of each argument where the op is smooth and well
conditioned. The same registry drives the Value and the Tensor property tests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .tensor import Tensor
from .value import Value

Shape = tuple[int, ...]


# --- numbers and shapes -------------------------------------------------------------------


def finite_floats(
    min_value: float = -10.0, max_value: float = 10.0, *, min_magnitude: float = 0.0
) -> st.SearchStrategy[float]:
    """Finite floats in ``[min_value, max_value]``, none closer to 0 than ``min_magnitude``.

    ``min_magnitude`` keeps inputs away from a kink or a pole at 0 (``relu``, ``abs``,
    ``1/x``), where a central difference would straddle the non-smooth point.

    >>> x = finite_floats(-1, 1, min_magnitude=0.5).example()
    >>> 0.5 <= abs(x) <= 1
    True
    """
    if not min_value <= max_value:
        raise ValueError(f"finite_floats: min_value {min_value} > max_value {max_value}")
    if min_magnitude < 0:
        raise ValueError(f"finite_floats: min_magnitude must be >= 0, got {min_magnitude}")

    def floats(lo: float, hi: float) -> st.SearchStrategy[float]:
        return st.floats(lo, hi, allow_nan=False, allow_infinity=False)

    if min_magnitude == 0:
        return floats(min_value, max_value)
    parts = []
    if min_value <= -min_magnitude:
        parts.append(floats(min_value, min(max_value, -min_magnitude)))
    if max_value >= min_magnitude:
        parts.append(floats(max(min_value, min_magnitude), max_value))
    if not parts:
        raise ValueError(
            f"finite_floats: no float in [{min_value}, {max_value}] has magnitude "
            f">= {min_magnitude}"
        )
    return st.one_of(parts)


@dataclass(frozen=True)
class Domain:
    """An interval of inputs where an op is smooth and well conditioned.

    ``[low, high]`` with ``|x| >= min_magnitude``. The same object gives the
    strategy that draws inputs (:meth:`floats`) and the test for a value computed
    elsewhere, e.g. an intermediate node of a random expression (:meth:`contains`).

    >>> Domain(-10, 10, min_magnitude=0.1).contains(0.05)
    False
    """

    low: float
    high: float
    min_magnitude: float = 0.0

    def floats(self) -> st.SearchStrategy[float]:
        """Floats drawn from this domain.  ``Domain(1, 2).floats().example() >= 1``"""
        return finite_floats(self.low, self.high, min_magnitude=self.min_magnitude)

    def contains(self, x: float) -> bool:
        """Whether ``x`` lies in the domain.  ``Domain(0.1, 10).contains(1.0) is True``"""
        return self.low <= x <= self.high and abs(x) >= self.min_magnitude


def values(
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    min_magnitude: float = 0.0,
    label: str = "x",
) -> st.SearchStrategy[Value]:
    """Fresh Value leaves labelled ``label`` with finite data in the given range.

    >>> v = values(0, 1, label="w").example()
    >>> v.label, 0 <= v.data <= 1, v.grad
    ('w', True, 0.0)
    """
    return finite_floats(min_value, max_value, min_magnitude=min_magnitude).map(
        lambda x: Value(x, label=label)
    )


def shapes(
    min_dims: int = 0, max_dims: int = 3, max_side: int = 4, *, min_side: int = 1
) -> st.SearchStrategy[Shape]:
    """Array shapes, 0-d included by default, every side in ``[min_side, max_side]``.

    >>> s = shapes(max_dims=2).example()
    >>> len(s) <= 2 and all(1 <= n <= 4 for n in s)
    True
    """
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcastable_shapes(
    min_dims: int = 0, max_dims: int = 3, max_side: int = 4
) -> st.SearchStrategy[tuple[Shape, Shape]]:
    """Pairs of shapes that broadcast together, as numpy does.

    The pairs include 0-d shapes, different numbers of dimensions and size-1 axes
    that stretch against the other shape, e.g. ``((3, 1), (4,))``.

    >>> a, b = broadcastable_shapes().example()
    >>> np.broadcast_shapes(a, b) is not None
    True
    """
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=min_dims, max_dims=max_dims, max_side=max_side
    ).map(lambda shapes: (shapes.input_shapes[0], shapes.input_shapes[1]))


def arrays(
    shape: Shape | int | st.SearchStrategy[Shape],
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    min_magnitude: float = 0.0,
    dtype: Any = np.float64,
    elements: st.SearchStrategy[float] | None = None,
) -> st.SearchStrategy[np.ndarray]:
    """Numpy float arrays of ``shape`` (a shape or a strategy of shapes), all finite.

    Elements come from :func:`finite_floats` with the given range, or from
    ``elements`` when it is given. ``dtype`` is float64 or float32.

    >>> a = arrays((2, 3), 0, 1).example()
    >>> a.shape, a.dtype, bool(((0 <= a) & (a <= 1)).all())
    ((2, 3), dtype('float64'), True)
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise TypeError(f"arrays: dtype must be a float type, got {dt}")
    if elements is None:
        elements = finite_floats(min_value, max_value, min_magnitude=min_magnitude)
    if dt.itemsize < 8:
        # hypothesis wants elements exactly representable in the dtype
        elements = elements.map(lambda x: float(dt.type(x)))
    return hnp.arrays(dt, shape, elements=elements)


def tensors(
    shape: Shape | int | st.SearchStrategy[Shape],
    min_value: float = -10.0,
    max_value: float = 10.0,
    *,
    min_magnitude: float = 0.0,
    dtype: Any = np.float64,
    label: str = "t",
    requires_grad: bool = True,
) -> st.SearchStrategy[Tensor]:
    """Fresh Tensor leaves over :func:`arrays` (same arguments), labelled ``label``.

    >>> t = tensors(shapes(max_dims=2)).example()
    >>> t.requires_grad, t.label, t.dtype
    (True, 't', dtype('float64'))
    """
    return arrays(shape, min_value, max_value, min_magnitude=min_magnitude, dtype=dtype).map(
        lambda a: Tensor(a, requires_grad=requires_grad, dtype=dtype, label=label)
    )


# --- the op registry ---------------------------------------------------------------------


_LABELS = "abc"


@dataclass(frozen=True)
class OpCase:
    """One op of the op table, set up for a property test.

    - ``name``: the case's id (``"div_const_left"``);
    - ``op``: the op-table name it exercises (``"/"``), i.e. the output node's ``.op``;
    - ``fn``: the op applied to nodes with operators and methods only, so it works on
      Values and Tensors alike (``lambda a: 2.0 / a``);
    - ``reference``: the same forward on plain floats with :mod:`math`;
    - ``domains``: one :class:`Domain` per argument, where ``fn`` is smooth and
      well conditioned (``arity`` is their number).

    >>> case = OP_CASES["log"]
    >>> x = case.values().example()[0]
    >>> case.fn(x).op, case.arity
    ('log', 1)
    """

    name: str
    op: str
    fn: Callable[..., Any]
    reference: Callable[..., float]
    domains: tuple[Domain, ...]

    @property
    def arity(self) -> int:
        """How many node arguments ``fn`` takes."""
        return len(self.domains)

    def floats(self) -> st.SearchStrategy[tuple[float, ...]]:
        """A tuple of plain floats, one per argument, each in its domain."""
        return st.tuples(*(d.floats() for d in self.domains))

    def values(self) -> st.SearchStrategy[tuple[Value, ...]]:
        """A tuple of fresh Value leaves labelled ``a``, ``b``, one per argument."""
        return self.floats().map(
            lambda xs: tuple(Value(x, label=n) for x, n in zip(xs, _LABELS, strict=False))
        )

    def arrays(self, *shapes: Shape) -> st.SearchStrategy[tuple[np.ndarray, ...]]:
        """A tuple of float64 arrays, one per argument, every element in its domain.

        One shape serves every argument; or give one shape per argument (e.g. a pair
        from :func:`broadcastable_shapes`).
        """
        if len(shapes) == 1:
            shapes = shapes * self.arity
        if len(shapes) != self.arity:
            raise ValueError(
                f"OpCase {self.name!r}: {len(shapes)} shapes given for {self.arity} arguments"
            )
        return st.tuples(
            *(arrays(s, elements=d.floats()) for s, d in zip(shapes, self.domains, strict=True))
        )


# Domains. Ranges are kept modest so that values and derivatives stay well inside what
# a central difference with eps=1e-6 resolves to gradcheck's default tolerances.
_ANY = Domain(-10.0, 10.0)
_NONZERO = Domain(-10.0, 10.0, min_magnitude=0.1)  # poles of 1/x, kinks of relu/abs
_POSITIVE = Domain(0.1, 10.0)  # log, sqrt, fractional powers
_BASE = Domain(0.1, 5.0)  # a ** b with b a node: a**b log a needs a > 0
_EXPONENT = Domain(-3.0, 3.0)
_SMALL = Domain(-5.0, 5.0)  # x ** 3 stays below 125

_SLOPE = 0.2  # leaky_relu with a slope of its own, besides the default 0.01


def _relu(x: float) -> float:
    return x if x > 0 else 0.0


def _leaky(slope: float) -> Callable[[float], float]:
    return lambda x: x if x >= 0 else slope * x


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _cases() -> dict[str, OpCase]:
    def case(
        name: str,
        op: str,
        fn: Callable[..., Any],
        reference: Callable[..., float],
        *domains: Domain,
    ) -> tuple[str, OpCase]:
        return name, OpCase(name, op, fn, reference, domains)

    return dict(
        [
            # binary ops, node on both sides
            case("add", "+", lambda a, b: a + b, lambda a, b: a + b, _ANY, _ANY),
            case("sub", "-", lambda a, b: a - b, lambda a, b: a - b, _ANY, _ANY),
            case("mul", "*", lambda a, b: a * b, lambda a, b: a * b, _ANY, _ANY),
            case("div", "/", lambda a, b: a / b, lambda a, b: a / b, _ANY, _NONZERO),
            case("pow", "**", lambda a, b: a**b, math.pow, _BASE, _EXPONENT),
            # binary ops with a constant on the right ...
            case("add_const_right", "+", lambda a: a + 2.5, lambda a: a + 2.5, _ANY),
            case("sub_const_right", "-", lambda a: a - 1.5, lambda a: a - 1.5, _ANY),
            case("mul_const_right", "*", lambda a: a * -3.0, lambda a: a * -3.0, _ANY),
            case("div_const_right", "/", lambda a: a / 4.0, lambda a: a / 4.0, _ANY),
            case("pow_const_2", "**", lambda a: a**2, lambda a: a**2.0, _ANY),
            case("pow_const_3", "**", lambda a: a**3, lambda a: a**3.0, _SMALL),
            case("pow_const_neg_1", "**", lambda a: a**-1, lambda a: a**-1.0, _NONZERO),
            case("pow_const_half", "**", lambda a: a**0.5, lambda a: a**0.5, _POSITIVE),
            case("pow_const_1_5", "**", lambda a: a**1.5, lambda a: a**1.5, _POSITIVE),
            # ... and on the left
            case("add_const_left", "+", lambda a: 2.5 + a, lambda a: 2.5 + a, _ANY),
            case("sub_const_left", "-", lambda a: 1.5 - a, lambda a: 1.5 - a, _ANY),
            case("mul_const_left", "*", lambda a: -3.0 * a, lambda a: -3.0 * a, _ANY),
            case("div_const_left", "/", lambda a: 2.0 / a, lambda a: 2.0 / a, _NONZERO),
            case("pow_const_left", "**", lambda a: 2.0**a, lambda a: 2.0**a, _ANY),
            # unary ops
            case("neg", "neg", lambda a: -a, lambda a: -a, _ANY),
            case("exp", "exp", lambda a: a.exp(), math.exp, _ANY),
            case("log", "log", lambda a: a.log(), math.log, _POSITIVE),
            case("sqrt", "sqrt", lambda a: a.sqrt(), math.sqrt, _POSITIVE),
            case("abs", "abs", lambda a: a.abs(), abs, _NONZERO),
            case("tanh", "tanh", lambda a: a.tanh(), math.tanh, _ANY),
            case("sigmoid", "sigmoid", lambda a: a.sigmoid(), _sigmoid, _ANY),
            case("relu", "relu", lambda a: a.relu(), _relu, _NONZERO),
            case("leaky_relu", "leaky_relu", lambda a: a.leaky_relu(), _leaky(0.01), _NONZERO),
            case(
                "leaky_relu_slope",
                "leaky_relu",
                lambda a: a.leaky_relu(_SLOPE),
                _leaky(_SLOPE),
                _NONZERO,
            ),
            # numpy's elementwise functions, on Values and Tensors through autodiff.numpy
            *(case(name, name, _numpy_function(name), ref, *dom) for name, ref, dom in _NUMPY),
        ]
    )


def _numpy_function(name: str) -> Callable[[Any], Any]:
    def fn(x: Any) -> Any:
        from . import numpy as anp  # after Tensor: autodiff.numpy builds on it

        return getattr(anp, name)(x)

    return fn


def _cbrt(x: float) -> float:
    return math.copysign(abs(x) ** (1 / 3), x)


def _sinc(x: float) -> float:
    return math.sin(math.pi * x) / (math.pi * x) if x else 1.0


_UNIT = Domain(-0.9, 0.9)  # arcsin, arccos, arctanh: poles or infinite slopes at ±1
_STEP = Domain(0.1, 0.4)  # piecewise-constant functions: between their jumps
# (name, math reference, domain) of each function of one operand numpy has and we record
_NUMPY: list[tuple[str, Callable[[float], float], tuple[Domain, ...]]] = [
    ("sin", math.sin, (_ANY,)),
    ("cos", math.cos, (_ANY,)),
    ("tan", math.tan, (Domain(-1.3, 1.3),)),
    ("arcsin", math.asin, (_UNIT,)),
    ("arccos", math.acos, (_UNIT,)),
    ("arctan", math.atan, (_ANY,)),
    ("sinh", math.sinh, (_SMALL,)),
    ("cosh", math.cosh, (_SMALL,)),
    ("arcsinh", math.asinh, (_ANY,)),
    ("arccosh", math.acosh, (Domain(1.1, 10.0),)),
    ("arctanh", math.atanh, (_UNIT,)),
    ("exp2", lambda x: 2.0**x, (_ANY,)),
    ("expm1", math.expm1, (_ANY,)),
    ("log2", math.log2, (_POSITIVE,)),
    ("log10", math.log10, (_POSITIVE,)),
    ("log1p", math.log1p, (Domain(-0.9, 10.0),)),
    ("square", lambda x: x * x, (_ANY,)),
    ("reciprocal", lambda x: 1.0 / x, (_NONZERO,)),
    ("cbrt", _cbrt, (_NONZERO,)),
    ("deg2rad", math.radians, (_ANY,)),
    ("rad2deg", math.degrees, (_ANY,)),
    ("sinc", _sinc, (_NONZERO,)),
    ("fabs", abs, (_NONZERO,)),
    ("sign", lambda x: math.copysign(1.0, x), (_NONZERO,)),
    ("floor", lambda x: float(math.floor(x)), (_STEP,)),
    ("ceil", lambda x: float(math.ceil(x)), (_STEP,)),
    ("rint", lambda x: float(round(x)), (_STEP,)),
    ("trunc", lambda x: float(math.trunc(x)), (_STEP,)),
]


OP_CASES: Mapping[str, OpCase] = MappingProxyType(_cases())
"""Every built-in elementwise op as an :class:`OpCase`, keyed by case name (read-only)."""


def op_case_ids() -> list[str]:
    """The case names of :data:`OP_CASES`, in order, for ``pytest.mark.parametrize``.

    >>> "div_const_left" in op_case_ids()
    True

    Use as ``@pytest.mark.parametrize("name", op_case_ids())`` and look the case up
    with ``OP_CASES[name]``.
    """
    return list(OP_CASES)


# --- the array-op registry: ops called the numpy way, on generated shapes --------------------


@dataclass
class Drawn:
    """One drawn use of an op: its inputs and the call spelled for numpy and for torch.

    - ``inputs``: the differentiable arguments (float64 arrays);
    - ``numpy``: the call in numpy (``lambda a: np.cumsum(a, axis=1)``). On arrays it is
      the reference; on Tensors numpy dispatches it to our op, which is what is tested;
    - ``torch``: the same on torch tensors, or None where torch has no such op;
    - ``ours``: other spellings that must agree (``lambda t: t.cumsum(axis=1)``).

    >>> d = Drawn([np.ones(2)], np.sin, lambda t: t.sin())
    >>> d.numpy(*d.inputs).shape
    (2,)
    """

    inputs: list[np.ndarray]
    numpy: Callable[..., Any]
    torch: Callable[..., Any] | None = None
    ours: tuple[Callable[..., Any], ...] = ()


@dataclass(frozen=True)
class ArrayCase:
    """One op of the numpy set, set up for the property tests of ``tests/autodiff``.

    - ``name``: the case id; ``op``: the op-table name of the output node (None for a
      function composed of several ops);
    - ``draw(side)``: a strategy of :class:`Drawn` with every axis at most ``side`` long
      (small for second derivatives), 0-d, size-1 and empty axes included;
    - ``value``: Value has it too (its scalar kernel is tested through :data:`OP_CASES`);
    - ``torch``: the name of PyTorch's counterpart (differentiable), None if it has none:
      then the drawn cases' ``torch`` calls are the differential test;
    - ``order``: the highest derivative gradchecked (2; 1 where the second derivative
      is not defined at the drawn points, 0 where they are kinks such as ties, which
      PyTorch then judges).

    >>> case = ArrayCase("sin", "sin", lambda side: st.just(Drawn([np.ones(2)], np.sin)))
    >>> case.draw(2).example().numpy(np.zeros(1))
    array([0.])
    """

    name: str
    op: str | None
    draw: Callable[[int], st.SearchStrategy[Drawn]]
    value: bool = False
    torch: str | None = None
    order: int = 2


def axes(ndim: int) -> st.SearchStrategy[Any]:
    """An ``axis`` argument for a reduction over ``ndim`` axes: None, an int or a tuple.

    >>> axes(0).example() is None
    True
    """
    if ndim == 0:
        return st.none()
    one = st.integers(-ndim, ndim - 1)
    several = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
    return st.one_of(st.none(), one, several.map(tuple))


__all__ = [
    "OP_CASES",
    "ArrayCase",
    "Domain",
    "Drawn",
    "OpCase",
    "arrays",
    "axes",
    "broadcastable_shapes",
    "finite_floats",
    "op_case_ids",
    "shapes",
    "tensors",
    "values",
]
