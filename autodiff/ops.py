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

from .engine import BINARY, NARY, PARAM, RPARAM, UNARY, Node, through


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


def _quiet(f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` without numpy's warnings: inf and nan are results here, as IEEE says."""

    def kernel(*xs: Any) -> Any:
        with np.errstate(all="ignore"):
            return f(*xs)

    kernel.__name__ = f.__name__
    return kernel


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


def sum_to(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` (array or node) over the axes broadcasting added, back to ``shape``.

    >>> sum_to(np.ones((2, 3)), (3,))
    array([2., 2., 2.])
    """
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    if g.__class__ is np.ndarray:  # the hot path: ufunc.reduce skips np.sum's dispatch
        if lead == 1 and shape and g.shape[1:] == shape:  # a bias: summed over the batch
            return np.add.reduce(g, 0)  # type: ignore[no-any-return]
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


def scatter(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """A zero array of ``shape`` with ``g`` added at ``index`` (repeats accumulate)."""
    if isinstance(g, Node):
        return g._param_op(SCATTER, (index, shape))  # type: ignore[attr-defined]
    return _scatter(g, (index, shape))


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Node) else x  # type: ignore[attr-defined]


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


# --- ops on arrays only (Tensor) ------------------------------------------------------
# Parameters (axes, shapes, indices) ride in the PARAM slot; reductions take
# (axis, keepdims). Every vjp is written with methods that ndarray and Tensor share
# (sum, reshape, transpose, indexing) or with the helpers above, so create_graph works.


def _keep_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """``shape`` with the reduced axes kept as size 1."""
    if axis is None:
        return (1,) * len(shape)
    axes = {a % len(shape) for a in axis} if isinstance(axis, tuple) else {axis % len(shape)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _shape(x: Any) -> tuple[int, ...]:
    return x.shape if x.__class__ is np.ndarray else np.shape(_plain(x))  # type: ignore[no-any-return]


def _vjp_sum(g: Any, out: Any, x: Any, param: Any) -> Any:
    shape = _shape(x)
    if param[0] is None:  # every element gets the one output gradient
        return broadcast_to(g, shape)
    return broadcast_to(g.reshape(_keep_shape(shape, param[0])), shape)


def _count(shape: tuple[int, ...], axis: Any) -> int:
    kept = _keep_shape(shape, axis)
    return math.prod(shape) // max(math.prod(kept), 1) if shape else 1


def _vjp_mean(g: Any, out: Any, x: Any, param: Any) -> Any:
    shape = _shape(x)
    n = _count(shape, param[0])
    return broadcast_to(g.reshape(_keep_shape(shape, param[0])), shape) * (1.0 / max(n, 1))


def _vjp_extreme(g: Any, out: Any, x: Any, param: Any) -> Any:
    # The gradient is shared equally among the elements that tie for the extreme.
    xd = _plain(x)
    keep = _keep_shape(xd.shape, param[0])
    hit = xd == np.reshape(_plain(out), keep)
    weight = hit / hit.sum(axis=param[0], keepdims=True).astype(xd.dtype)
    return broadcast_to(g.reshape(keep), xd.shape) * weight.astype(xd.dtype)


def _reduce(ufunc: np.ufunc) -> Callable[..., Any]:
    # ufunc.reduce directly: np.sum and friends add microseconds of Python dispatch.
    return lambda x, param: ufunc.reduce(x, param[0], None, None, param[1])  # type: ignore[call-arg]


def _mean(x: np.ndarray, param: Any) -> np.ndarray:
    total = np.add.reduce(x, param[0], None, None, param[1])  # type: ignore[call-overload]
    return total * (1.0 / max(_count(x.shape, param[0]), 1))  # type: ignore[no-any-return]


SUM = register(Op("sum", PARAM, _vjp_sum, array=_reduce(np.add)))
MEAN = register(Op("mean", PARAM, _vjp_mean, array=_mean))
MAX = register(Op("max", PARAM, _vjp_extreme, array=_reduce(np.maximum)))
MIN = register(Op("min", PARAM, _vjp_extreme, array=_reduce(np.minimum)))
RESHAPE = register(
    Op("reshape", PARAM, lambda g, out, x, shape: g.reshape(_shape(x)), array=np.reshape)
)
TRANSPOSE = register(
    Op(
        "transpose",
        PARAM,
        lambda g, out, x, axes: g.transpose(tuple(np.argsort(axes))),
        array=np.transpose,
    )
)
BROADCAST_TO = register(
    Op(
        "broadcast_to",
        PARAM,
        lambda g, out, x, shape: sum_to(g, _shape(x)),
        array=np.broadcast_to,
    )
)


def _getitem(x: np.ndarray, index: Any) -> np.ndarray:
    return x[index]


def _scatter(g: np.ndarray, param: Any) -> np.ndarray:
    index, shape = param
    out = np.zeros(shape, dtype=g.dtype)
    if _is_advanced(index):
        np.add.at(out, index, g)  # repeated indices accumulate
    else:
        out[index] = g  # basic indexing never repeats an element: plain assignment
    return out


def _is_advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, (np.ndarray, list)) for i in items)


GETITEM = register(
    Op("getitem", PARAM, lambda g, out, x, index: scatter(g, index, _shape(x)), array=_getitem)
)
SCATTER = register(Op("scatter", PARAM, lambda g, out, x, param: g[param[0]], array=_scatter))


def _mT(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _vjp_matmul_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = a.ndim, b.ndim  # arrays and Tensors alike (matmul has no scalar operands)
    if a_nd == 2 and b_nd == 2:  # the common case first
        return g @ b.T
    if b_nd == 1:  # (..., n) @ (n,) -> (...): outer product with g
        return g[..., None] * b
    if a_nd == 1:  # (n,) @ (..., n, m) -> (..., m)
        return sum_to((g[..., None, :] @ _mT(b))[..., 0, :], _shape(a))
    return g @ _mT(b)


def _vjp_matmul_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = a.ndim, b.ndim
    if a_nd == 2 and b_nd == 2:
        return a.T @ g
    if a_nd == 1 and b_nd == 1:  # dot product
        return g * a
    if a_nd == 1:  # (n,) @ (..., n, m): outer product of a and g
        return a[:, None] * g[..., None, :]
    if b_nd == 1:  # (..., k, n) @ (n,) -> (..., k)
        return sum_to((_mT(a) @ g[..., None])[..., 0], _shape(b))
    return _mT(a) @ g


MATMUL = register(Op("@", BINARY, _vjp_matmul_a, array=np.matmul, vjp_b=_vjp_matmul_b, symbol="@"))


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


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    # Shifting by the max makes every exponent <= 0: no overflow for logits of 1e4.
    e = np.exp(x - np.maximum.reduce(x, axis, None, None, True))  # type: ignore[call-overload]
    e /= np.add.reduce(e, axis, None, None, True)  # type: ignore[call-overload]
    return e  # type: ignore[no-any-return]


def _log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


SOFTMAX = register(
    Op(
        "softmax",
        PARAM,
        lambda g, out, x, axis: out * (g - (g * out).sum(axis=axis, keepdims=True)),
        array=_softmax,
    )
)
LOG_SOFTMAX = register(
    Op(
        "log_softmax",
        PARAM,
        lambda g, out, x, axis: g - exp(out) * g.sum(axis=axis, keepdims=True),
        array=_log_softmax,
    )
)


class Labels:
    """The parameter of ``softmax_cross_entropy``: integer labels, the reduction, and
    the softmax its forward computed, saved for the vjp (as PyTorch saves tensors for
    backward): the gradient is softmax − onehot, so backward needs no second ``exp``.
    """

    __slots__ = ("labels", "reduction", "picks", "probs")

    def __init__(self, labels: np.ndarray, reduction: str) -> None:
        self.labels = labels
        self.reduction = reduction  # "none", "mean" or "sum"
        flat = labels.reshape(-1)
        self.picks = (np.arange(len(flat)), flat)  # (row, label) of each row's loss
        self.probs: np.ndarray | None = None


# The smallest row sum of exponents that keeps full precision after a shared shift:
# terms below the smallest normal number are then below one rounding error of the sum.
_SAFE_SUM = {np.dtype(t): np.finfo(t).tiny / np.finfo(t).eps for t in (np.float32, np.float64)}


def _exp_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shifted, exp(shifted), row sums) with every exponent <= 0, so logits of 1e4
    never overflow. One shift for all rows (the largest logit) is a third of the cost
    of a max per row; rows so far below it that their exponents underflow, or a nan
    or inf anywhere, take the per-row shift."""
    safe = _SAFE_SUM.get(rows.dtype)
    if safe is not None and rows.size:
        top = np.maximum.reduce(rows, None)
        if top - top == 0:  # finite
            shifted = rows - top
            e = np.exp(shifted)
            total = np.add.reduce(e, 1, None, None, True)  # type: ignore[call-overload]
            if np.minimum.reduce(total, None) >= safe:
                return shifted, e, total
    shifted = rows - np.maximum.reduce(rows, 1, None, None, True)  # type: ignore[call-overload]
    e = np.exp(shifted)
    return shifted, e, np.add.reduce(e, 1, None, None, True)  # type: ignore[call-overload]


def _softmax_cross_entropy(x: np.ndarray, param: Labels) -> np.ndarray:
    # Fused log_softmax + pick (+ mean or sum): one op instead of five on the hottest
    # path of training, log-sum-exp after a shift, so logits of 1e4 stay finite.
    rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    shifted, e, total = _exp_rows(rows)
    losses = np.log(total[:, 0]) - shifted[param.picks]
    e /= total
    param.probs = e
    if param.reduction == "none":
        return losses.reshape(param.labels.shape)  # type: ignore[no-any-return]
    total_loss = np.add.reduce(losses)
    if param.reduction == "mean":  # an empty batch's mean is 0, as Tensor.mean's
        total_loss = total_loss * (1.0 / max(len(losses), 1))
    return np.asarray(total_loss)


def _vjp_softmax_cross_entropy(g: Any, out: Any, x: Any, param: Labels) -> Any:
    # d/dz of −log softmax(z)[y] = softmax(z) − onehot(y), per row, times that row's g.
    labels, reduction = param.labels, param.reduction
    n = max(labels.size, 1)
    if isinstance(x, Node):  # create_graph: the same formula, recorded
        onehot = np.zeros(x.shape, dtype=x.dtype)  # type: ignore[attr-defined]
        np.put_along_axis(onehot, labels[..., None], 1, -1)
        if reduction == "none":
            g = g[..., None]
        elif reduction == "mean":
            g = g * (1.0 / n)
        return g * (x.softmax(axis=-1) - onehot)  # type: ignore[attr-defined]
    probs = param.probs
    assert probs is not None  # a Labels parameter is made with its node, by the forward
    if reduction == "none":
        grad = probs * np.reshape(g, (-1, 1))
        grad[param.picks] -= np.reshape(g, -1)
    else:
        scale = g * (1.0 / n) if reduction == "mean" else g
        grad = probs * scale
        grad[param.picks] -= scale
    return grad if grad.shape == x.shape else grad.reshape(x.shape)


SOFTMAX_CROSS_ENTROPY = register(
    Op(
        "softmax_cross_entropy",
        PARAM,
        _vjp_softmax_cross_entropy,
        array=_softmax_cross_entropy,
    )
)


def _split_along(g: Any, axis: int, sizes: list[int]) -> list[Any]:
    pieces, start = [], 0
    lead = (slice(None),) * axis
    for n in sizes:
        pieces.append(g[(*lead, slice(start, start + n))])
        start += n
    return pieces


def _concatenate(axis: int, *xs: np.ndarray) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def _vjp_concatenate(g: Any, out: Any, axis: int, *xs: Any) -> tuple[Any, ...]:
    axis = axis % np.ndim(_plain(out))
    return (None, *_split_along(g, axis, [_shape(x)[axis] for x in xs]))


def _stack(axis: int, *xs: np.ndarray) -> np.ndarray:
    return np.stack(xs, axis=axis)


def _vjp_stack(g: Any, out: Any, axis: int, *xs: Any) -> tuple[Any, ...]:
    axis = axis % np.ndim(_plain(out))
    lead = (slice(None),) * axis
    return (None, *(g[(*lead, i)] for i in range(len(xs))))


def _where(cond: np.ndarray, a: Any, b: Any) -> np.ndarray:
    return np.where(cond, a, b)


def _vjp_where(g: Any, out: Any, cond: Any, a: Any, b: Any) -> tuple[Any, ...]:
    return None, g * cond, g * np.logical_not(cond)


CONCATENATE = register(Op("concatenate", NARY, _vjp_concatenate, array=_concatenate))
STACK = register(Op("stack", NARY, _vjp_stack, array=_stack))
WHERE = register(Op("where", NARY, _vjp_where, array=_where))
