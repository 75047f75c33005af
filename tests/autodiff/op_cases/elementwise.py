"""Array cases of the elementwise family: numpy's ufuncs on broadcast shapes.

Functions of one operand reuse the domains of ``autodiff.testing.OP_CASES`` (where
Value is tested too); functions of two draw from value sets that keep every point a
finite-difference step away from their kinks (ties of maximum, jumps of mod).
"""

import numpy as np
from hypothesis import strategies as st

from autodiff.testing import (
    OP_CASES,
    ArrayCase,
    Drawn,
    arrays,
    broadcastable_shapes,
    finite_floats,
    shapes,
)


def _torch(name):
    def call(*xs, **kwargs):
        import torch

        return getattr(torch, name)(*xs, **kwargs)

    return call


# numpy name -> torch name (None: torch has no such function)
_UNARY = {
    "negative": "neg",
    "absolute": "abs",
    "exp": "exp",
    "log": "log",
    "sqrt": "sqrt",
    "tanh": "tanh",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "arcsin": "asin",
    "arccos": "acos",
    "arctan": "atan",
    "sinh": "sinh",
    "cosh": "cosh",
    "arcsinh": "asinh",
    "arccosh": "acosh",
    "arctanh": "atanh",
    "exp2": "exp2",
    "expm1": "expm1",
    "log2": "log2",
    "log10": "log10",
    "log1p": "log1p",
    "square": "square",
    "reciprocal": "reciprocal",
    "cbrt": None,
    "deg2rad": "deg2rad",
    "rad2deg": "rad2deg",
    "sinc": "sinc",
    "fabs": "abs",
    "sign": "sign",
    "floor": "floor",
    "ceil": "ceil",
    "rint": "round",
    "trunc": "trunc",
}
_REGISTRY_NAME = {"negative": "neg", "absolute": "abs"}  # OP_CASES' names for the old ops


def _unary_case(name, torch_name):
    case = OP_CASES[_REGISTRY_NAME.get(name, name)]

    def draw(side):
        shape = shapes(max_side=side, min_side=0)
        return shape.flatmap(case.arrays).map(
            lambda xs: Drawn(
                list(xs), getattr(np, name), torch_name and _torch(torch_name), (case.fn,)
            )
        )

    value = name not in _REGISTRY_NAME  # Value spells those -x and abs(x)
    return ArrayCase(name, case.op, draw, value=value, torch=torch_name)


# Two operands: elements from sets that stay clear of the functions' kinks.
_QUARTERS = st.integers(-8, 8).map(lambda k: k * 0.25)
_EIGHTHS = st.integers(-8, 7).map(lambda k: k * 0.25 + 0.125)  # never equal a quarter
_DIVISORS = st.sampled_from([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
_DIVIDENDS = st.integers(-10, 10).flatmap(  # a/b is an eighth or more from an integer
    lambda k: st.sampled_from([(k + 0.25) * 0.5, (k + 0.75) * 0.5])
)
_ANY = finite_floats(-3, 3)
_AWAY = finite_floats(-3, 3, min_magnitude=0.2)


def _binary_case(name, torch_name, left, right, op=None, swap=True):
    def draw(side):
        @st.composite
        def drawn(draw_):
            a_shape, b_shape = draw_(broadcastable_shapes(max_side=side))
            a = draw_(arrays(a_shape, elements=left))
            b = draw_(arrays(b_shape, elements=right))
            inputs = [b, a] if swap and draw_(st.booleans()) else [a, b]
            if inputs[0] is b:  # the other order: the kink-free sets stay with their side
                return Drawn(
                    inputs,
                    lambda y, x: getattr(np, name)(x, y),
                    torch_name and (lambda y, x: _torch(torch_name)(x, y)),
                )
            return Drawn(inputs, getattr(np, name), torch_name and _torch(torch_name))

        return drawn()

    return ArrayCase(name, op or name, draw, torch=torch_name)


def _round(side):
    # tenths plus 0.02: three hundredths from the jumps of rounding to one decimal
    near_tenths = st.integers(-30, 30).map(lambda k: k / 10 + 0.02)
    return arrays(shapes(max_side=side, min_side=0), elements=near_tenths).map(
        lambda x: Drawn(
            [x],
            lambda a: np.round(a, 1),
            lambda a: __import__("torch").round(a, decimals=1),
            (lambda a: a.round(1),),
        )
    )


def _copysigns(side):
    @st.composite
    def drawn(draw_):
        a_shape, b_shape = draw_(broadcastable_shapes(max_side=side))
        a = draw_(arrays(a_shape, elements=_AWAY))
        signs = draw_(arrays(b_shape, elements=_AWAY))  # a constant: its sign only
        return Drawn(
            [a],
            lambda x: np.copysign(x, signs),
            lambda t: _torch("copysign")(t, _torch_tensor(signs)),
        )

    return drawn()


def _torch_tensor(x):
    import torch

    return torch.tensor(x)


def _nan_to_nums(side):
    @st.composite
    def drawn(draw_):
        shape = draw_(shapes(max_side=side, min_side=0))
        x = draw_(arrays(shape, -2, 2))
        holes = draw_(st.sampled_from([np.nan, np.inf, -np.inf]))
        mask = draw_(arrays(shape, 0, 1)) < 0.3
        return Drawn(
            [x],
            # finite replacements: the largest float would overflow the weighted sum
            lambda a: np.nan_to_num(np.where(mask, holes, a), posinf=5.0, neginf=-5.0),
            lambda t: _torch("nan_to_num")(
                _torch("where")(_torch_tensor(mask), holes, t), posinf=5.0, neginf=-5.0
            ),
        )

    return drawn()


CASES = [
    ArrayCase("copysign", "*", _copysigns, torch="copysign"),
    ArrayCase("nan_to_num", "where", _nan_to_nums, torch="nan_to_num"),
    _binary_case("float_power", "float_power", finite_floats(0.2, 3), _ANY, "**"),
    ArrayCase("round", "round", _round, torch="round"),
    *(_unary_case(name, torch_name) for name, torch_name in _UNARY.items()),
    _binary_case("add", "add", _ANY, _ANY, "+"),
    _binary_case("subtract", "sub", _ANY, _ANY, "-"),
    _binary_case("multiply", "mul", _ANY, _ANY, "*"),
    _binary_case("divide", "div", _ANY, _AWAY, "/"),
    _binary_case("power", "pow", finite_floats(0.2, 3), _ANY, "**"),
    _binary_case("maximum", "maximum", _QUARTERS, _EIGHTHS),
    _binary_case("minimum", "minimum", _QUARTERS, _EIGHTHS),
    _binary_case("fmax", "fmax", _QUARTERS, _EIGHTHS),
    _binary_case("fmin", "fmin", _QUARTERS, _EIGHTHS),
    _binary_case("logaddexp", "logaddexp", _ANY, _ANY),
    _binary_case("logaddexp2", "logaddexp2", _ANY, _ANY),
    _binary_case("arctan2", "atan2", _AWAY, _AWAY),
    _binary_case("hypot", "hypot", _AWAY, _AWAY),
    _binary_case("remainder", "remainder", _DIVIDENDS, _DIVISORS, "%"),
    _binary_case("fmod", "fmod", _DIVIDENDS, _DIVISORS),
    _binary_case(
        "floor_divide",
        None,  # torch: no derivative
        _DIVIDENDS,
        _DIVISORS,
        "//",
    ),
]
