"""Neural-network ops, fused where a composite would be slow or unstable."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..engine import NARY, PARAM, UNARY, Node
from .core import Op, _count, _ones, _sum_over, exp, register
from .elementwise import _np_sigmoid
from .shape import scatter


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
    """The parameter of a ``softmax_cross_entropy`` node: integer labels, the reduction,
    each row's (row, label) pick, and ``probs``, the softmax of the logits: the node's
    second output, which its vjp (softmax − onehot) reads instead of a second ``exp``.
    Made with the node by :func:`loss_and_labels` and never changed afterwards.
    """

    __slots__ = ("labels", "reduction", "picks", "probs")

    def __init__(self, labels: np.ndarray, reduction: str, picks: Any, probs: np.ndarray) -> None:
        self.labels = labels
        self.reduction = reduction  # "none", "mean" or "sum"
        self.picks = picks
        self.probs = probs


def loss_and_labels(x: np.ndarray, labels: np.ndarray, reduction: str) -> tuple[Any, Labels]:
    """The forward of ``softmax_cross_entropy`` on logits ``x`` (..., C): the loss and
    the node's parameter, which keeps the softmax computed on the way.

    >>> loss, param = loss_and_labels(np.array([[0.0, 0.0]]), np.array([1]), "mean")
    >>> round(float(loss), 4), param.probs.tolist()
    (0.6931, [[0.5, 0.5]])
    """
    flat = labels.reshape(-1)
    picks = (np.arange(len(flat)), flat)  # (row, label) of each row's loss
    loss, probs = _fused(x, picks, reduction, labels.shape)
    return loss, Labels(labels, reduction, picks, probs)


# The smallest row sum of exponents that keeps full precision after a shared shift:
# terms below the smallest normal number are then below one rounding error of the sum.
_SAFE_SUM = {np.dtype(t): np.finfo(t).tiny / np.finfo(t).eps for t in (np.float32, np.float64)}


def _exp_last(x: np.ndarray, keep_shifted: bool = True) -> tuple[Any, np.ndarray, np.ndarray]:
    """(shifted, exp(shifted), sums over the last axis) with every exponent <= 0, so
    logits of 1e4 never overflow. One shift for the whole array (its largest element)
    costs a fraction of a max per row (numpy's reduction over a short last axis is
    slow); rows so far below it that their sums underflow, or a nan or inf anywhere,
    take the per-row shift. Without ``keep_shifted`` the exponentials overwrite the
    shifted values (which come back as None)."""
    last = (x.ndim - 1,)
    safe = _SAFE_SUM.get(x.dtype)
    if safe is not None and x.size:
        top = np.maximum.reduce(x, None)
        if top - top == 0:  # finite
            shifted = x - top
            e = np.exp(shifted, out=None if keep_shifted else shifted)
            total = _sum_over(e, last)
            if np.minimum.reduce(total, None) >= safe:
                return (shifted if keep_shifted else None), e, total
    with np.errstate(invalid="ignore"):  # a row of -inf only is nan, as PyTorch
        shifted = x - np.maximum.reduce(x, -1, None, None, True)  # type: ignore[call-overload]
    e = np.exp(shifted, out=None if keep_shifted else shifted)
    return (shifted if keep_shifted else None), e, _sum_over(e, last)


def _fused(x: np.ndarray, picks: Any, reduction: str, shape: Any) -> tuple[Any, np.ndarray]:
    # Fused log_softmax + pick (+ mean or sum): one op instead of five on the hottest
    # path of training, log-sum-exp after a shift, so logits of 1e4 stay finite.
    rows = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
    shifted, probs, total = _exp_last(rows)
    losses = np.log(total[:, 0]) - shifted[picks]
    probs /= total
    if reduction == "none":
        return losses.reshape(shape), probs
    total_loss = np.add.reduce(losses)
    if reduction == "mean":  # an empty batch's mean is 0, as Tensor.mean's
        total_loss = total_loss * (1.0 / max(len(losses), 1))
    return np.asarray(total_loss), probs


def _softmax_cross_entropy(x: np.ndarray, param: Labels) -> np.ndarray:
    return _fused(x, param.picks, param.reduction, param.labels.shape)[0]  # type: ignore[no-any-return]


def _vjp_softmax_cross_entropy(g: Any, out: Any, x: Any, param: Labels) -> Any:
    # d/dz of −log softmax(z)[y] = softmax(z) − onehot(y), per row, times that row's g.
    labels, reduction = param.labels, param.reduction
    n = max(labels.size, 1)
    if isinstance(x, Node) or isinstance(g, Node):  # create_graph: the formula, recorded
        xd = x.data if isinstance(x, Node) else x
        onehot = np.zeros(xd.shape, dtype=xd.dtype)
        np.put_along_axis(onehot, labels[..., None], 1, -1)
        if reduction == "none":
            g = g[..., None]
        elif reduction == "mean":
            g = g * (1.0 / n)
        if isinstance(x, Node):
            probs = x.softmax(axis=-1)  # type: ignore[attr-defined]
        else:  # the node's softmax, kept in rows
            probs = param.probs.reshape(xd.shape)
        return g * (probs - onehot)
    # The softmax the node keeps (Labels.probs), not recomputed: a second exp of the
    # logits is 3-5% of a digits training epoch (benchmarks/tensor.py).
    if reduction == "none":
        scale, picked = np.reshape(g, (-1, 1)), np.reshape(g, -1)
    else:
        scale = picked = g * (1.0 / n) if reduction == "mean" else g
    grad = param.probs * scale
    grad[param.picks] -= picked
    return grad if grad.shape == x.shape else grad.reshape(x.shape)


SOFTMAX_CROSS_ENTROPY = register(
    Op(
        "softmax_cross_entropy",
        PARAM,
        _vjp_softmax_cross_entropy,
        array=_softmax_cross_entropy,
    )
)


# --- activations -------------------------------------------------------------------------


def _sigmoid(x: Any) -> Any:
    if isinstance(x, Node):
        return x.sigmoid()  # type: ignore[attr-defined]
    with np.errstate(over="ignore"):  # exp(-x) = inf for x < -709 gives 0, as it should
        return 1.0 / (1.0 + np.exp(-x))


def _tanh(x: Any) -> Any:
    return x.tanh() if isinstance(x, Node) else np.tanh(x)  # type: ignore[attr-defined]


def _silu(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        return x / (1 + np.exp(-x))  # type: ignore[no-any-return]


def _vjp_silu(g: Any, out: Any, x: Any) -> Any:
    if isinstance(x, Node) or isinstance(g, Node):
        s = _sigmoid(x)
        return g * s * (1 + x * (1 - s))
    s = np.negative(x)  # the same formula in place: one work array, no temporaries
    with np.errstate(over="ignore"):
        np.exp(s, out=s)
    s += 1
    np.reciprocal(s, out=s)  # σ(x)
    d = 1 - s
    d *= x
    d += 1
    d *= s
    d *= g
    return d


SILU = register(Op("silu", UNARY, _vjp_silu, array=_silu))


def _softplus(x: np.ndarray, param: tuple[float, float]) -> np.ndarray:
    beta, threshold = param
    z = x * beta
    with np.errstate(over="ignore"):  # exp overflows only where the linear branch is taken
        return np.where(z > threshold, x, np.log1p(np.exp(z)) / beta)  # type: ignore[no-any-return]


def _vjp_softplus(g: Any, out: Any, x: Any, param: tuple[float, float]) -> Any:
    beta, threshold = param
    z = x * beta
    linear = (z.data if isinstance(z, Node) else z) > threshold  # type: ignore[attr-defined]
    return g * (_sigmoid(z) * ~linear + linear)


# Named for its parameters: "softplus" is the example name of a user primitive (README,
# tutorials), and a built-in op's name cannot be taken.
SOFTPLUS = register(Op("softplus_beta", PARAM, _vjp_softplus, array=_softplus))

# GELU: x·Φ(x), exactly (with erf) or with PyTorch's tanh approximation
# 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³). Its derivative is an op of its own
# (gelu_grad) whose vjp, the second derivative, is written with exp and tanh: so
# gradients of gradients work.
_BETA = math.sqrt(2 / math.pi)
_KAPPA = 0.044715
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def _erf(x: np.ndarray) -> np.ndarray:
    try:
        from scipy.special import erf
    except ImportError:  # numpy has no erf; the series below is exact to rounding
        return erf_series(x)
    return erf(x)  # type: ignore[no-any-return]


def erf_series(x: np.ndarray) -> np.ndarray:
    """The error function without scipy: for |x| < 3 the series
    erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), whose terms are all
    positive (no cancellation); beyond, 1 − erfc(x) from erfc's continued fraction.

    >>> abs(float(erf_series(np.array(0.5))) - math.erf(0.5)) < 1e-15
    True
    """
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    small = np.minimum(a, 3.0)
    term = small.copy()
    total = small.copy()
    for n in range(1, 90):
        term = term * (2 * small * small) / (2 * n + 1)
        total += term
    inner = 2 / math.sqrt(math.pi) * np.exp(-small * small) * total
    big = np.maximum(a, 3.0)
    frac = big.copy()
    for n in range(60, 0, -1):  # erfc(x) = e^(−x²)/√π / (x + (1/2)/(x + 1/(x + (3/2)/(x + …))))
        frac = big + (n / 2) / frac
    outer = 1 - np.exp(-big * big) / (math.sqrt(math.pi) * frac)
    return np.sign(x) * np.where(a < 3.0, inner, outer)  # type: ignore[no-any-return]


class GeluSpec:
    """The parameter of ``gelu``: which form, and the normal CDF Φ(x) (or its tanh
    approximation, ½(1 + tanh(√(2/π)(x + 0.044715x³)))) its forward computed, which the
    backward reuses instead of computing it again."""

    __slots__ = ("approximate", "inner")

    def __init__(self, approximate: str) -> None:
        self.approximate = approximate
        self.inner: np.ndarray | None = None

    def __repr__(self) -> str:
        return f"approximate={self.approximate!r}"


def _gelu_cdf(x: np.ndarray, approximate: str) -> np.ndarray:
    """Φ(x), or its tanh approximation s = ½(1 + tanh(√(2/π)·(x + 0.044715x³)))."""
    if approximate == "tanh":
        s = x * x  # in place from here on: one work array, no temporaries
        s *= _KAPPA * _BETA
        s += _BETA
        s *= x
        np.tanh(s, out=s)
        s += 1
        s *= 0.5
        return s
    return (0.5 * (1 + _erf(x * math.sqrt(0.5)))).astype(x.dtype, copy=False)  # type: ignore[no-any-return]


def _gelu(x: np.ndarray, spec: GeluSpec) -> np.ndarray:
    cdf = spec.inner = _gelu_cdf(x, spec.approximate)
    return x * cdf  # type: ignore[no-any-return]


def _gelu_grad(x: np.ndarray, approximate: str, inner: Any = None) -> np.ndarray:
    """gelu'(x); ``inner`` is the forward's Φ(x) or its tanh approximation s."""
    cdf = _gelu_cdf(x, approximate) if inner is None else inner
    if approximate == "tanh":
        # s + x·s'(x), with s' = ½(1 − t²)·√(2/π)(1 + 3·0.044715x²) and ½(1 − t²) = 2s(1 − s):
        # s·(1 + 2x·√(2/π)(1 + 3·0.044715x²)·(1 − s))
        d = x * x
        d *= 6 * _KAPPA * _BETA
        d += 2 * _BETA
        d *= x
        d *= 1 - cdf
        d += 1
        d *= cdf
        return d
    d = x * x  # Φ(x) + x·φ(x)
    d *= -0.5
    np.exp(d, out=d)
    d *= x
    d *= _INV_SQRT_2PI
    d += cdf
    return d.astype(x.dtype, copy=False)  # type: ignore[no-any-return]


def _vjp_gelu(g: Any, out: Any, x: Any, spec: GeluSpec) -> Any:
    if isinstance(x, Node):
        return g * x._param_op(GELU_GRAD, spec.approximate)  # type: ignore[attr-defined]
    d = _gelu_grad(x, spec.approximate, spec.inner)
    if isinstance(g, Node):  # a recorded gradient of a constant input's gelu
        return g * d
    d *= g
    return d


def _vjp_gelu_grad(g: Any, out: Any, x: Any, approximate: str) -> Any:
    # the second derivative of gelu, from differentiable ops
    x2 = x * x
    if approximate == "tanh":
        t = _tanh((x + x2 * x * _KAPPA) * _BETA)
        slope = (1 + x2 * (3 * _KAPPA)) * _BETA
        return g * (1 - t * t) * (slope - x * t * slope * slope + x2 * (3 * _BETA * _KAPPA))
    return g * exp(x2 * -0.5) * (2 - x2) * _INV_SQRT_2PI


GELU = register(Op("gelu", PARAM, _vjp_gelu, array=_gelu))
GELU_GRAD = register(Op("gelu_grad", PARAM, _vjp_gelu_grad, array=_gelu_grad))


# --- embedding ---------------------------------------------------------------------------


class Rows:
    """The parameter of ``embedding``: the integer indices and the padding row (whose
    gradient stays zero), if any."""

    __slots__ = ("indices", "padding_idx")

    def __init__(self, indices: np.ndarray, padding_idx: int | None) -> None:
        self.indices = indices
        self.padding_idx = padding_idx

    def __repr__(self) -> str:
        return f"rows(indices of shape {self.indices.shape}, padding_idx={self.padding_idx})"


def _embedding(weight: np.ndarray, rows: Rows) -> np.ndarray:
    return np.take(weight, rows.indices, axis=0)


def _vjp_embedding(g: Any, out: Any, weight: Any, rows: Rows) -> Any:
    num, dim = weight.shape
    flat = rows.indices.reshape(-1)
    if isinstance(g, Node):  # recorded: the scatter op, whose vjp gathers the rows again
        grad = scatter(g.reshape(-1, dim), flat, (num, dim))  # type: ignore[attr-defined]
    else:
        # rows summed by a product with the one-hot matrix: ~10x faster than np.add.at
        onehot = np.zeros((num, flat.size), dtype=g.dtype)
        onehot[flat, np.arange(flat.size)] = 1
        grad = onehot @ g.reshape(-1, dim)
    if rows.padding_idx is not None:
        keep = np.ones((num, 1), dtype=bool)
        keep[rows.padding_idx] = False
        grad = grad * keep
    return grad


EMBEDDING = register(Op("embedding", PARAM, _vjp_embedding, array=_embedding))


# A product with concatenated embedding rows, ``x @ w`` where x (N, k·E) is k rows of a
# table (V, E) per row (Bengio's MLP: the embeddings of the k previous characters, then a
# Linear layer), equals a sum of k rows of the products table @ w_p, p the position's
# (E, H) block of w. With fewer table rows than lookups (V < N) that is the cheaper
# order: k products of V rows instead of one of N rows, and a backward that never forms
# the (N, k·E) gradient of x. Tensor.__matmul__ takes this path when x is an embedding
# node's output or that reshaped (autodiff/tensor.py, _lookup_product).


class Lookup:
    """The parameter of ``embedding_matmul``: the indices (N, k) of the table rows each
    output row concatenates, the leading shape of the output, and the padding row
    (whose gradient stays zero), if any."""

    __slots__ = ("indices", "lead", "padding_idx")

    def __init__(self, indices: np.ndarray, lead: tuple[int, ...], padding_idx: int | None) -> None:
        self.indices = indices
        self.lead = lead
        self.padding_idx = padding_idx

    def __repr__(self) -> str:
        return f"lookup(indices of shape {self.indices.shape})"

    def flat_rows(self, vocabulary: int) -> np.ndarray:
        """Each lookup's row in the (k·V, H) stack of the k position products."""
        k = self.indices.shape[1]
        return self.indices + np.arange(k) * vocabulary  # type: ignore[no-any-return]


def _embedding_matmul(lookup: Lookup, table: np.ndarray, w: np.ndarray) -> np.ndarray:
    k = lookup.indices.shape[1]
    v, e = table.shape
    h = w.shape[1]
    products = np.matmul(table, w.reshape(k, e, h)).reshape(k * v, h)  # position p: rows p·V..
    rows = lookup.flat_rows(v)
    out = products[rows[:, 0]]
    for p in range(1, k):  # a loop over the k positions, each a gather of N rows
        out += products[rows[:, p]]
    return out.reshape(*lookup.lead, h)


def _vjp_embedding_matmul(g: Any, out: Any, lookup: Lookup, table: Any, w: Any) -> tuple[Any, ...]:
    n, k = lookup.indices.shape
    v, e = table.shape
    h = w.shape[1]
    if any(isinstance(x, Node) for x in (g, table, w)):  # recorded: the composed ops
        rows = Rows(lookup.indices, lookup.padding_idx)
        x = table._param_op(EMBEDDING, rows) if isinstance(table, Node) else _embedding(table, rows)  # type: ignore[attr-defined]
        g2 = g.reshape(n, h)
        d_x = (g2 @ w.T).reshape(n, k, e)
        return None, _vjp_embedding(d_x, None, table, rows), x.reshape(n, k * e).T @ g2
    # per position p and table row r: the sum of g over the lookups of r at p, (k·V, H)
    onehot = np.zeros((k * v, n), dtype=g.dtype)
    onehot[lookup.flat_rows(v), np.arange(n)[:, None]] = 1
    summed = (onehot @ g.reshape(n, h)).reshape(k, v, h)
    d_w = np.matmul(table.T, summed).reshape(k * e, h)
    # Σ_p summed_p @ w_pᵀ as one product: (V, k·H) @ (k·H, E)
    d_table = summed.transpose(1, 0, 2).reshape(v, k * h) @ w.reshape(k, e, h).transpose(
        0, 2, 1
    ).reshape(k * h, e)
    if lookup.padding_idx is not None:
        d_table[lookup.padding_idx] = 0
    return None, d_table, d_w


EMBEDDING_MATMUL = register(
    Op("embedding_matmul", NARY, _vjp_embedding_matmul, array=_embedding_matmul)
)


# --- normalization -----------------------------------------------------------------------


class NormSpec:
    """The fixed part of a normalization: the axes statistics run over, the shape the
    weight and bias broadcast as, eps, fixed statistics (batch norm's running estimates
    in eval mode) if any, and what the forward computed for the backward."""

    __slots__ = (
        "axes",
        "shape",
        "param_axes",
        "eps",
        "fixed",
        "width",
        "mean",
        "var",
        "xhat",
        "rstd",
    )

    def __init__(
        self,
        axes: tuple[int, ...],
        shape: tuple[int, ...],
        eps: float,
        fixed: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> None:
        self.axes = axes
        self.shape = shape  # weight and bias reshaped to broadcast against x
        self.param_axes = tuple(i for i, n in enumerate(shape) if n == 1)
        self.eps = eps
        self.fixed = fixed
        # a layer norm's: the statistics over the trailing axes, which weight and bias
        # span, taken on (rows, width) matrices; 0 for any other layout (batch norm)
        nd, k = len(shape), len(axes)
        trailing = axes == tuple(range(nd - k, nd)) and self.param_axes == tuple(range(nd - k))
        self.width = math.prod(shape[nd - k :]) if trailing and fixed is None else 0
        self.mean: Any = None
        self.var: Any = None
        self.xhat: Any = None
        self.rstd: Any = None

    def __repr__(self) -> str:
        fixed = ", running statistics" if self.fixed is not None else ""
        return f"norm(axes={self.axes}, eps={self.eps}{fixed})"


def _statistics(spec: NormSpec, x: Any) -> tuple[Any, Any]:
    """(x̂, 1/σ) from arrays or from nodes (recorded: the backward's create_graph path)."""
    if spec.fixed is not None:
        mean, var = spec.fixed
        rstd = 1 / np.sqrt(var + spec.eps)
        return (x - mean) * rstd, rstd
    mean = x.mean(axis=spec.axes, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=spec.axes, keepdims=True)
    rstd = (var + spec.eps) ** -0.5
    return centred * rstd, rstd


def _normalize(spec: NormSpec, x: np.ndarray, w: Any, b: Any) -> np.ndarray:
    k = spec.width
    if k and x.dtype.kind == "f" and x.flags.c_contiguous:
        return _layer_normalize(spec, x, w, b)
    if spec.fixed is not None:
        mean, var = spec.fixed
        xhat = x - mean
    else:
        scale = 1.0 / _count(x.shape, spec.axes)
        mean = _sum_over(x, spec.axes)
        mean *= scale
        xhat = x - mean
        var = _sum_over(np.square(xhat), spec.axes)
        var *= scale
    rstd = 1 / np.sqrt(var + spec.eps)
    xhat *= rstd  # x̂, in place
    spec.mean, spec.var, spec.xhat, spec.rstd = mean, var, xhat, rstd
    y = xhat * w.reshape(spec.shape) if w is not None else xhat.copy()
    if b is not None:
        y += b.reshape(spec.shape)
    return y  # type: ignore[no-any-return]


def _layer_normalize(spec: NormSpec, x: np.ndarray, w: Any, b: Any) -> np.ndarray:
    """``_normalize`` for a layer norm, on x as (rows, width): the same steps with the
    per-row statistics as vectors (fewer calls; this runs 9 times a Transformer step)."""
    k = spec.width
    ones, scale = _ones(k, x.dtype), 1.0 / k
    rows = x.reshape(-1, k)
    mean = rows @ ones
    mean *= scale
    xhat = rows - mean[:, None]
    var = np.square(xhat) @ ones
    var *= scale
    rstd = var + spec.eps
    np.sqrt(rstd, out=rstd)
    np.divide(1, rstd, out=rstd)
    xhat *= rstd[:, None]  # x̂, in place
    kept = x.shape[: x.ndim - len(spec.axes)] + (1,) * len(spec.axes)
    spec.mean, spec.var = mean.reshape(kept), var.reshape(kept)
    spec.xhat, spec.rstd = xhat.reshape(x.shape), rstd.reshape(kept)
    y = xhat * w.reshape(k) if w is not None else xhat.copy()
    if b is not None:
        y += b.reshape(k)
    return y.reshape(x.shape)  # type: ignore[no-any-return]


def _vjp_normalize(g: Any, out: Any, spec: NormSpec, x: Any, w: Any, b: Any) -> tuple[Any, ...]:
    if not any(isinstance(v, Node) for v in (g, x, w, b)):
        return _vjp_normalize_arrays(g, spec, w, b)
    xhat, rstd = _statistics(spec, x)
    gx = g * w.reshape(spec.shape) if w is not None else g
    if spec.fixed is not None:
        dx = gx * rstd
    else:
        axes = spec.axes
        dx = (
            gx
            - gx.mean(axis=axes, keepdims=True)
            - xhat * (gx * xhat).mean(axis=axes, keepdims=True)
        ) * rstd
    dw = (g * xhat).sum(axis=spec.param_axes).reshape(w.shape) if w is not None else None
    db = g.sum(axis=spec.param_axes).reshape(b.shape) if b is not None else None
    return None, dx, dw, db


def _vjp_normalize_arrays(g: np.ndarray, spec: NormSpec, w: Any, b: Any) -> tuple[Any, ...]:
    """``_vjp_normalize``'s formula on arrays, from the forward's x̂ and 1/σ, with as few
    passes and temporaries as it takes (the readable form is the recorded one above)."""
    if spec.width and g.dtype.kind == "f" and g.flags.c_contiguous:
        return _vjp_layer_normalize(g, spec, w, b)
    xhat, rstd = spec.xhat, spec.rstd
    gxhat = g * xhat
    p = spec.param_axes
    dw = _sum_over(gxhat, p).reshape(w.shape) if w is not None else None
    db = _sum_over(g, p).reshape(b.shape) if b is not None else None
    wide = w.reshape(spec.shape) if w is not None else None
    gx = g * wide if wide is not None else g
    if spec.fixed is not None:
        return None, gx * rstd, dw, db
    scale = 1.0 / _count(g.shape, spec.axes)
    k = w.size if w is not None else 0
    if k and spec.axes == tuple(range(g.ndim - w.ndim, g.ndim)) and gxhat.flags.c_contiguous:
        # a layer norm: w spans the normalized trailing axes, so Σ g·w·x̂ over them is a
        # product of the rows of g·x̂ with w (one BLAS call instead of a broadcast and a sum)
        along = (gxhat.reshape(-1, k) @ w.reshape(k)).reshape(
            xhat.shape[: g.ndim - w.ndim] + (1,) * w.ndim
        )
    else:
        if wide is not None:
            gxhat *= wide  # now (g·w)·x̂
        along = _sum_over(gxhat, spec.axes)
    along *= scale
    mean = _sum_over(gx, spec.axes)
    mean *= scale
    dx = xhat * along
    np.subtract(gx, dx, out=dx)
    dx -= mean
    dx *= rstd
    return None, dx, dw, db


def _vjp_layer_normalize(g: np.ndarray, spec: NormSpec, w: Any, b: Any) -> tuple[Any, ...]:
    """``_vjp_normalize_arrays`` for a layer norm, on (rows, width) matrices: the same
    products and passes, with the per-row terms as vectors."""
    k = spec.width
    rows = g.reshape(-1, k)
    xhat = spec.xhat.reshape(-1, k)
    rstd = spec.rstd.reshape(-1, 1)
    ones = _ones(k, g.dtype)
    gxhat = rows * xhat
    column = _ones(len(rows), g.dtype)
    dw = (column @ gxhat).reshape(w.shape) if w is not None else None
    db = (column @ rows).reshape(b.shape) if b is not None else None
    if w is not None:
        wide = w.reshape(k)
        gx = rows * wide
        along = gxhat @ wide
    else:
        gx = rows
        along = gxhat @ ones
    scale = 1.0 / k
    along *= scale
    mean = gx @ ones
    mean *= scale
    dx = xhat * along[:, None]
    np.subtract(gx, dx, out=dx)
    dx -= mean[:, None]
    dx *= rstd
    return None, dx.reshape(g.shape), dw, db


LAYER_NORM = register(Op("layer_norm", NARY, _vjp_normalize, array=_normalize))
BATCH_NORM = register(Op("batch_norm", NARY, _vjp_normalize, array=_normalize))


# --- attention ---------------------------------------------------------------------------


class AttentionSpec:
    """The fixed part of ``scaled_dot_product_attention``: the scale, an additive mask
    (0 where a query may attend, −inf where not), and the attention weights the forward
    computed, kept for the backward."""

    __slots__ = ("scale", "mask", "weights")

    def __init__(self, scale: float, mask: np.ndarray | None) -> None:
        self.scale = scale
        self.mask = mask
        self.weights: np.ndarray | None = None

    def __repr__(self) -> str:
        mask = "" if self.mask is None else f", mask of shape {self.mask.shape}"
        return f"attention(scale={self.scale:.4g}{mask})"


def _attention(
    spec: AttentionSpec, q: np.ndarray, k: np.ndarray, v: np.ndarray, into: Any = None
) -> np.ndarray:
    """softmax(q·kᵀ·scale + mask)·v, written into ``into`` (an array or view) if given."""
    scores = np.matmul(q, k.swapaxes(-1, -2))
    scores *= spec.scale
    if spec.mask is not None:
        scores += spec.mask
    _, weights, total = _exp_last(scores, keep_shifted=False)
    with np.errstate(invalid="ignore"):
        weights /= total
    if not np.isfinite(np.add.reduce(total, None)):
        # a query that may attend to no key gets weights 0 (an output of 0), as PyTorch's
        # scaled_dot_product_attention; a nan among the scores stays nan
        nowhere = np.logical_and.reduce(scores == -np.inf, -1, keepdims=True)
        weights[np.broadcast_to(nowhere, weights.shape)] = 0
    spec.weights = weights
    return np.matmul(weights, v, out=into)  # type: ignore[no-any-return]


def _vjp_attention(
    g: Any, out: Any, spec: AttentionSpec, q: Any, k: Any, v: Any
) -> tuple[Any, ...]:
    if any(isinstance(t, Node) for t in (g, q, k, v)):  # recorded: weights from q and k again
        scores = (q @ k.swapaxes(-1, -2)) * spec.scale
        if spec.mask is not None:
            scores = scores + spec.mask
        p = scores.softmax(axis=-1) if isinstance(scores, Node) else _softmax(scores, -1)  # type: ignore[attr-defined]
    else:
        return _vjp_attention_arrays(g, spec, q, k, v)
    dv = p.swapaxes(-1, -2) @ g
    dp = g @ v.swapaxes(-1, -2)
    ds = p * (dp - (dp * p).sum(axis=-1, keepdims=True)) * spec.scale  # softmax's vjp
    return None, ds @ k, ds.swapaxes(-1, -2) @ q, dv


def _vjp_attention_arrays(
    g: np.ndarray,
    spec: AttentionSpec,
    q: np.ndarray,
    k: np.ndarray,
    v: np.ndarray,
    into: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[Any, ...]:
    """``_vjp_attention``'s formula on arrays, from the forward's weights, in place;
    ``into``: arrays (views) to write dq, dk, dv into instead of new ones."""
    p = spec.weights
    assert p is not None  # set by the forward that made the node
    dq, dk, dv = into if into is not None else (None, None, None)
    dv = np.matmul(p.swapaxes(-1, -2), g, out=dv)
    ds = g @ v.swapaxes(-1, -2)  # dL/dp, then dL/dscores in place
    ds -= _sum_over(ds * p, (ds.ndim - 1,))
    ds *= p
    ds *= spec.scale
    return None, np.matmul(ds, k, out=dq), np.matmul(ds.swapaxes(-1, -2), q, out=dk), dv


ATTENTION = register(Op("scaled_dot_product_attention", NARY, _vjp_attention, array=_attention))


# Multi-head self-attention's middle as one node: the packed projections qkv (N, L, 3E)
# split into heads, attended, and the heads merged back to (N, L, E). Composed of Tensor
# ops it is 12 nodes (three slices, their reshapes and transposes, the attention, the
# merge), and the slices' gradients are three zero-filled scatters summed; here the
# gradient is written once into its (N, L, 3, H, D) layout.


class HeadsSpec:
    """The fixed part of ``self_attention``: the number of heads and the attention's
    own spec (scale, mask, and the weights its forward computed)."""

    __slots__ = ("heads", "attention")

    def __init__(self, heads: int, scale: float, mask: np.ndarray | None) -> None:
        self.heads = heads
        self.attention = AttentionSpec(scale, mask)

    def __repr__(self) -> str:
        return f"heads={self.heads}, {self.attention!r}"


def _split_heads(qkv: Any, heads: int) -> tuple[Any, Any, Any]:
    """q, k, v (N, H, L, D) as views of the packed projections ``qkv`` (N, L, 3·H·D)."""
    n, length, width = qkv.shape
    split = qkv.reshape(n, length, 3, heads, width // (3 * heads)).transpose(2, 0, 3, 1, 4)
    return split[0], split[1], split[2]


def _merge_heads(x: Any) -> Any:
    """(N, H, L, D) -> (N, L, H·D)."""
    n, heads, length, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(n, length, heads * d)


def _self_attention(qkv: np.ndarray, spec: HeadsSpec) -> np.ndarray:
    n, length, width = qkv.shape
    h = spec.heads
    out = np.empty((n, length, h, width // (3 * h)), dtype=qkv.dtype)  # heads merged as written
    _attention(spec.attention, *_split_heads(qkv, h), into=out.transpose(0, 2, 1, 3))
    return out.reshape(n, length, width // 3)


def _vjp_self_attention(g: Any, out: Any, qkv: Any, spec: HeadsSpec) -> Any:
    n, length, width = qkv.shape
    h = spec.heads
    g_heads = g.reshape(n, length, h, width // (3 * h)).transpose(0, 2, 1, 3)
    if isinstance(g, Node) or isinstance(qkv, Node):  # recorded: from differentiable ops
        _, dq, dk, dv = _vjp_attention(g_heads, None, spec.attention, *_split_heads(qkv, h))
        from ..tensor import concatenate  # (the op table is imported by tensor)

        return concatenate([_merge_heads(d) for d in (dq, dk, dv)], axis=-1)
    grad = np.empty_like(qkv)  # the products write through views into its packed layout
    _vjp_attention_arrays(
        g_heads, spec.attention, *_split_heads(qkv, h), into=_split_heads(grad, h)
    )
    return grad


SELF_ATTENTION = register(Op("self_attention", PARAM, _vjp_self_attention, array=_self_attention))


# --- fused recurrent cell and sequence (added for the recurrent layers) -------------------
# A GRU step composed of Tensor ops is ~17 nodes (slices, two gates, the candidate, the
# blend). ``gru_cell`` makes it one node; ``gru_sequence`` makes a whole sequence one node
# whose vjp is backpropagation through time in a numpy loop (no per-step nodes, no
# per-step full-size gradient of the input projection).


class GRUSpec:
    """The fixed part of ``gru_cell``/``gru_sequence``: what the forward computed that the
    vjp reuses."""

    __slots__ = ("saved",)

    def __init__(self) -> None:
        self.saved: _GRUSaved | None = None


class _GRUSaved:
    """A GRU forward on arrays, every step in one buffer, the batch flattened to one axis
    of M rows, the gates on an axis of their own (each gate's block contiguous, as numpy's
    small calls need to be fast): ``states`` (L + 1, M, k) from the initial one; ``rz``
    (L, 2, M, k) the gates r and z; ``n`` (L, M, k) the candidate; ``gh`` (L, 3, M, k) the
    state's projection, whose last gate is hn = h·W_hnᵀ + b_hn (the others are scratch)."""

    __slots__ = ("states", "rz", "n", "gh")

    def __init__(self, states: np.ndarray, rz: np.ndarray, n: np.ndarray, gh: np.ndarray) -> None:
        self.states, self.rz, self.n, self.gh = states, rz, n, gh


def _gru_gates(gi: Any, h: Any, w: Any, b: Any, sigmoid: Any, tanh: Any) -> tuple[Any, ...]:
    """(r, z, n, hn) of torch's GRU from the input's projection ``gi`` (N, 3k), the state
    ``h`` (N, k) and ``w`` (3k, k), ``b`` (3k,) or None; hn = h·W_hnᵀ + b_hn."""
    k = h.shape[-1]
    gh = h @ w.T
    if b is not None:
        gh = gh + b
    rz = sigmoid(gi[:, : 2 * k] + gh[:, : 2 * k])
    hn = gh[:, 2 * k :]
    r, z = rz[:, :k], rz[:, k:]
    return r, z, tanh(gi[:, 2 * k :] + r * hn), hn


def _on_nodes(method: str, fn: Any) -> Any:
    return lambda x: getattr(x, method)() if isinstance(x, Node) else fn(x)


def _gru_run_nodes(gi: Any, h: Any, w: Any, b: Any) -> tuple[list[Any], list[Any]]:
    """Every step's state and gates for the projections ``gi`` (L, N, 3k) from ``h``, on
    graph nodes (a vjp under create_graph records them)."""
    # a node's own method (recorded), numpy's on a constant
    sigmoid, tanh = _on_nodes("sigmoid", _np_sigmoid), _on_nodes("tanh", np.tanh)
    states, gates = [], []
    for t in range(gi.shape[0]):
        r, z, n, hn = _gru_gates(gi[t], h, w, b, sigmoid, tanh)
        h = n + z * (h - n)  # (1 − z)·n + z·h
        states.append(h)
        gates.append((r, z, n, hn))
    return states, gates


def _gru_run_arrays(gi: np.ndarray, h0: np.ndarray, w: np.ndarray, b: Any) -> _GRUSaved:
    """The formulas of ``_gru_gates`` on arrays for the projections ``gi`` (L, ..., 3k) from
    ``h0`` (..., k). At makemore's sizes a step is one matmul and the overhead of numpy's
    calls: each step makes eleven (ten without biases), on contiguous blocks of preallocated
    buffers. r and z stay 1 + e^−x in the loop (r·hn = hn / (1 + e^−x_r)), inverted for
    all steps after it."""
    steps, k = gi.shape[0], h0.shape[-1]
    rows = h0.size // k
    dt = np.result_type(gi, h0, w, *(() if b is None else (b,)))
    # W_hᵀ per gate (3, k, k), contiguous; the input side per gate, −(gi + b) for r and z
    # (the loop's exponent is e^−x), gi for n; −b as full blocks (a bias broadcast along a
    # middle axis makes numpy's inner loops short)
    w_t = w.reshape(3, k, k).transpose(0, 2, 1).astype(dt, order="C")
    pre = np.empty((steps, 3, rows, k), dtype=dt)
    np.copyto(pre, gi.reshape(steps, rows, 3, k).transpose(0, 2, 1, 3))
    if b is None:
        np.negative(pre[:, :2], out=pre[:, :2])
    else:
        minus_b = np.negative(b.reshape(3, 1, k), out=np.empty((3, rows, k), dtype=dt))
        np.subtract(minus_b[:2], pre[:, :2], out=pre[:, :2])
    states = np.empty((steps + 1, rows, k), dtype=dt)
    states[0] = h0.reshape(rows, k)
    gh, rz, n = np.empty_like(pre), np.empty_like(pre[:, :2]), np.empty_like(states[1:])
    gh_rz, hn, pre_rz, pre_n = gh[:, :2], gh[:, 2], pre[:, :2], pre[:, 2]
    inv_r, inv_z = rz[:, 0], rz[:, 1]
    # e^−x = inf for x < −88 in float32 (−709 in float64): σ = 1/inf = 0, the right limit
    with np.errstate(over="ignore"):
        for t in range(steps):
            np.matmul(states[t], w_t, out=gh[t])
            if b is not None:
                hn[t] -= minus_b[2]
            e = np.subtract(pre_rz[t], gh_rz[t], out=rz[t])
            np.exp(e, out=e)
            e += 1
            n_t = np.divide(hn[t], inv_r[t], out=n[t])
            n_t += pre_n[t]
            np.tanh(n_t, out=n_t)
            h = np.subtract(states[t], n_t, out=states[t + 1])  # (1 − z)·n + z·h
            h /= inv_z[t]
            h += n_t
    np.reciprocal(rz, out=rz)
    return _GRUSaved(states, rz, n, gh)


def _gru_step_grads(g: Any, h: Any, gates: tuple[Any, ...], cat: Any) -> tuple[Any, Any]:
    """(d gi, d gh) of one step, from ``g``, the gradient of its new state."""
    r, z, n, hn = gates
    d_pre_n = g * (1 - z) * (1 - n * n)
    d_r = d_pre_n * hn * r * (1 - r)
    d_z = g * (h - n) * z * (1 - z)
    return cat([d_r, d_z, d_pre_n], axis=1), cat([d_r, d_z, d_pre_n * r], axis=1)


def _gru_bptt_arrays(
    g: np.ndarray, saved: _GRUSaved, w: np.ndarray, bias: bool
) -> tuple[np.ndarray, ...]:
    """``_gru_step_grads`` over every step on arrays, from the gradient ``g`` (L, ..., k) of
    every state: (d gi (L, M, 3k), d h0 (M, k), d w[, d b]). A step's gradients are its
    state's total gradient g_t times factors of the forward alone, computed for all steps
    before the loop; the loop carries g_t back (two products, a matmul, two sums) and the
    weights' gradients are one matmul over all steps after it."""
    states, n, hn = saved.states, saved.n, saved.gh[:, 2]
    steps, rows, k = n.shape
    r, z = saved.rz[:, 0], saved.rz[:, 1]
    # the factors by gate (L, 3, M, k), as the forward's buffers: long contiguous runs
    one_minus = np.subtract(1, saved.rz)
    slopes = np.multiply(saved.rz, one_minus)  # σ' = σ(1 − σ) of r and z
    d_pre_n = np.multiply(n, n)  # dh'/d(n's pre-activation) = (1 − z)(1 − n²)
    np.subtract(1, d_pre_n, out=d_pre_n)
    d_pre_n *= one_minus[:, 1]
    # d gh_t = g_t ⊙ [d_pre_n hn r(1 − r), (h − n) z(1 − z), d_pre_n r]
    factors = np.empty((steps, 3, rows, k), dtype=d_pre_n.dtype)
    f_r, f_z, f_n = factors[:, 0], factors[:, 1], factors[:, 2]
    np.multiply(hn, slopes[:, 0], out=f_r)
    f_r *= d_pre_n
    np.subtract(states[:-1], n, out=f_z)
    f_z *= slopes[:, 1]
    np.multiply(d_pre_n, r, out=f_n)
    del one_minus, slopes  # (a lower peak of memory for what follows)
    total = np.array(g.reshape(steps, rows, k), dtype=factors.dtype)  # g_t + what step t+1 sends
    # d gh row by row (L, M, 3k), for the matmuls; written through a by-gate view
    d_gh = np.empty((steps, rows, 3 * k), dtype=factors.dtype)
    d_gh_gates = d_gh.reshape(steps, rows, 3, k).transpose(0, 2, 1, 3)
    through_z = np.empty((rows, k), dtype=factors.dtype)
    for t in range(steps - 1, -1, -1):
        np.multiply(factors[t], total[t], out=d_gh_gates[t])
        carry = np.matmul(d_gh[t], w)
        carry += np.multiply(total[t], z[t], out=through_z)
        if t:
            total[t - 1] += carry
    all_rows = d_gh.reshape(-1, 3 * k)
    d_w = all_rows.T @ states[:-1].reshape(-1, k)
    grads = (d_gh, carry, d_w, all_rows.sum(axis=0)) if bias else (d_gh, carry, d_w)
    np.multiply(total, d_pre_n, out=d_gh_gates[:, 2])  # d gi: d gh with the n gate's r taken off
    return grads


def _recorded(*xs: Any) -> bool:
    return any(isinstance(x, Node) for x in xs)


def _joiners() -> tuple[Any, Any]:
    """Tensor's concatenate and stack, for the vjps recorded under create_graph."""
    from ..tensor import concatenate, stack  # (the op table is imported by tensor)

    return concatenate, stack


def _gru_cell(spec: GRUSpec, gi: np.ndarray, h: np.ndarray, w: np.ndarray, b: Any = None) -> Any:
    spec.saved = _gru_run_arrays(gi[None], h, w, b)
    return spec.saved.states[1].reshape(h.shape).copy()


def _vjp_gru_cell(g: Any, out: Any, spec: GRUSpec, gi: Any, h: Any, w: Any, b: Any = None) -> Any:
    if not _recorded(g, gi, h, w, b):
        assert spec.saved is not None  # set by the forward that made this node
        d_step, d_h, *d_wb = _gru_bptt_arrays(g[None], spec.saved, w, b is not None)
        return (None, d_step.reshape(gi.shape), d_h.reshape(h.shape), *d_wb)
    gates = _gru_run_nodes(gi[None], h, w, b)[1][0]
    d_gi, d_gh = _gru_step_grads(g, h, gates, _joiners()[0])
    grads = (None, d_gi, g * gates[1] + d_gh @ w, d_gh.T @ h)
    return grads if b is None else (*grads, d_gh.sum(axis=0))


def _gru_sequence(
    spec: GRUSpec, gi: np.ndarray, h0: np.ndarray, w: np.ndarray, b: Any = None
) -> np.ndarray:
    spec.saved = _gru_run_arrays(gi, h0, w, b)
    # a copy: the buffer is the vjp's
    return spec.saved.states[1:].reshape(gi.shape[0], *h0.shape).copy()


def _vjp_gru_sequence(
    g: Any, out: Any, spec: GRUSpec, gi: Any, h0: Any, w: Any, b: Any = None
) -> Any:
    if not _recorded(g, gi, h0, w, b):
        assert spec.saved is not None  # set by the forward that made this node
        d_seq, d_h0, *d_wb = _gru_bptt_arrays(g, spec.saved, w, b is not None)
        return (None, d_seq.reshape(gi.shape), d_h0.reshape(h0.shape), *d_wb)
    cat, stack = _joiners()
    states, gates = _gru_run_nodes(gi, h0, w, b)
    previous = [h0, *states[:-1]]
    d_gi: list[Any] = [None] * len(gates)
    d_gh: list[Any] = [None] * len(gates)
    carry = None  # the gradient reaching a state from the step after it
    for t in range(len(gates) - 1, -1, -1):
        g_t = g[t] if carry is None else g[t] + carry
        d_gi[t], d_gh[t] = _gru_step_grads(g_t, previous[t], gates[t], cat)
        carry = g_t * gates[t][1] + d_gh[t] @ w
    d_gh_rows = stack(d_gh).reshape(-1, w.shape[0])
    d_w = d_gh_rows.T @ stack(previous).reshape(-1, w.shape[1])  # summed over steps at once
    grads = (None, stack(d_gi), carry, d_w)
    return grads if b is None else (*grads, d_gh_rows.sum(axis=0))


GRU_CELL = register(Op("gru_cell", NARY, _vjp_gru_cell, array=_gru_cell))
GRU_SEQUENCE = register(Op("gru_sequence", NARY, _vjp_gru_sequence, array=_gru_sequence))


__all__ = [
    "ATTENTION",
    "BATCH_NORM",
    "EMBEDDING",
    "EMBEDDING_MATMUL",
    "GELU",
    "GELU_GRAD",
    "GRU_CELL",
    "GRU_SEQUENCE",
    "LAYER_NORM",
    "LOG_SOFTMAX",
    "SELF_ATTENTION",
    "SILU",
    "SOFTMAX",
    "SOFTMAX_CROSS_ENTROPY",
    "SOFTPLUS",
    "AttentionSpec",
    "GRUSpec",
    "GeluSpec",
    "HeadsSpec",
    "Labels",
    "Lookup",
    "NormSpec",
    "Rows",
    "erf_series",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
