"""The functional forms of the layers, as ``torch.nn.functional``: same names, same
arguments, same layouts (images are ``(N, C, H, W)``, conv weights ``(out, in/groups,
*kernel)``).

Each function checks its arguments, with errors that name it and the shapes, then
makes one node of the op table (:mod:`autodiff.ops`), whose vjp sits beside its forward.

>>> import numpy as np
>>> from autodiff import Tensor
>>> x = Tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
>>> w = Tensor(np.ones((2, 1, 3, 3)), requires_grad=True)
>>> y = conv2d(x, w, padding=1)
>>> y.shape, y.data[0, 0, 0].tolist()
((1, 2, 4, 4), [4.0, 6.0, 6.0, 4.0])
>>> y.sum().backward(); w.grad.shape
(2, 1, 3, 3)
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autodiff import Tensor, ops
from autodiff.tensor import _nary, _param_op

__all__ = [
    "avg_pool2d",
    "batch_norm",
    "conv1d",
    "conv2d",
    "embedding",
    "gelu",
    "layer_norm",
    "log_softmax",
    "max_pool2d",
    "relu",
    "scaled_dot_product_attention",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]


def _tensor(x: Any, who: str, name: str = "input") -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        return Tensor(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{who}: {name} must be a Tensor or an array, got {err}") from None


def _optional(x: Any, who: str, name: str) -> Tensor | None:
    return None if x is None else _tensor(x, who, name)


def _tuple(v: Any, n: int, who: str, name: str, low: int = 1) -> tuple[int, ...]:
    """An int or a sequence of ``n`` ints, each ≥ ``low``, as an ``n``-tuple."""
    if v.__class__ is tuple and len(v) == n:  # checked already (a layer's): ~10x faster
        for i in v:
            if i.__class__ is not int or i < low:
                break
        else:
            return v  # type: ignore[no-any-return]
    items = (v,) * n if not isinstance(v, (tuple, list)) else tuple(v)
    if len(items) != n or any(
        isinstance(i, bool) or not isinstance(i, numbers.Integral) or i < low for i in items
    ):
        kind = "positive" if low == 1 else "non-negative"
        raise ValueError(f"{who}: {name} must be a {kind} int or {n} of them, got {v!r}")
    return tuple(int(i) for i in items)


def _flag(v: Any, who: str, name: str) -> bool:
    if not isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{who}: {name} must be True or False, got {v!r}")
    return bool(v)


def _batched(x: Tensor, nd: int, who: str, what: str) -> bool:
    """Whether ``x`` has its batch axis; an input of nd + 1 dims is one unbatched sample."""
    if x.ndim == nd + 2:
        return True
    if x.ndim == nd + 1:
        return False
    raise ValueError(f"{who}: expected input {what} (or without N), got {x.shape}")


# --- convolution ---------------------------------------------------------------------------


def _conv(
    x: Any,
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    nd: int,
    who: str,
) -> Tensor:
    x, w = _tensor(x, who), _tensor(weight, who, "weight")
    b = _optional(bias, who, "bias")
    spatial = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    if w.ndim != nd + 2:
        raise ValueError(
            f"{who}: weight must be (out, in/groups, *kernel) of {nd + 2} dims, got {w.shape}"
        )
    if isinstance(groups, bool) or not isinstance(groups, numbers.Integral) or groups < 1:
        raise ValueError(f"{who}: groups must be a positive int, got {groups!r}")
    groups = int(groups)
    out_channels, per_group, *kernel = w.shape
    if out_channels % groups:
        raise ValueError(f"{who}: out channels {out_channels} are not divisible by groups={groups}")
    channels = per_group * groups
    batched = _batched(x, nd, who, spatial.replace("C", str(channels)))
    if not batched:
        x = x.reshape((1, *x.shape))
    if x.shape[1] != channels:
        shown = spatial.replace("C", str(channels))
        raise ValueError(f"{who}: expected input {shown}, got {x.shape}")
    if b is not None and b.shape != (out_channels,):
        raise ValueError(f"{who}: bias must have shape ({out_channels},), got {b.shape}")
    st = _tuple(stride, nd, who, "stride")
    dil = _tuple(dilation, nd, who, "dilation")
    pads = _conv_padding(padding, nd, tuple(kernel), st, dil, who)
    size = x.shape[2:]
    for n, k, d, (lo, hi) in zip(size, kernel, dil, pads, strict=True):
        if d * (k - 1) + 1 > n + lo + hi:
            raise ValueError(
                f"{who}: kernel {tuple(kernel)} (dilation {dil}) is bigger than the padded "
                f"input {tuple(m + a + c for m, (a, c) in zip(size, pads, strict=True))}"
            )
    needs = (x.requires_grad, w.requires_grad, b is not None and b.requires_grad)
    spec = ops.ConvSpec(x.shape, w.shape, st, pads, dil, groups, needs)
    data = ops.conv_forward(spec, x.data, w.data, None if b is None else b.data)
    operands = (spec, x, w) if b is None else (spec, x, w, b)
    out = _nary(ops.CONV, operands, data)
    return out if batched else out.reshape(out.shape[1:])


def _conv_padding(
    padding: Any,
    nd: int,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    who: str,
) -> tuple[tuple[int, int], ...]:
    """(before, after) per spatial axis; "same" pads so the output keeps the input's size
    (the odd extra element goes after, as PyTorch)."""
    if padding == "valid":
        return ((0, 0),) * nd
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{who}: padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return tuple((t // 2, t - t // 2) for t in totals)
    if isinstance(padding, str):
        raise ValueError(
            f"{who}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}"
        )
    return tuple((p, p) for p in _tuple(padding, nd, who, "padding", low=0))


def conv1d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution (cross-correlation, as PyTorch) of ``(N, C, L)`` input with
    ``(out, C/groups, k)`` weight; padding an int, a 1-tuple, ``"valid"`` or ``"same"``.

    >>> conv1d(np.ones((1, 1, 5)), np.ones((1, 1, 3))).data.tolist()
    [[[3.0, 3.0, 3.0]]]
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(
    input: Any,
    weight: Any,
    bias: Any = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch) of ``(N, C, H, W)`` input with
    ``(out, C/groups, kh, kw)`` weight.

    >>> conv2d(np.ones((1, 2, 3, 3)), np.ones((4, 1, 2, 2)), groups=2).shape
    (1, 4, 2, 2)
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


# --- pooling -------------------------------------------------------------------------------


def _pool_spec(
    x: Tensor,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: Any,
    who: str,
    count_include_pad: bool = True,
) -> tuple[ops.PoolSpec, bool]:
    batched = _batched(x, 2, who, "(N, C, H, W)")
    kernel = _tuple(kernel_size, 2, who, "kernel_size")
    st = (
        kernel
        if stride is None or (isinstance(stride, (tuple, list)) and not stride)
        else _tuple(stride, 2, who, "stride")
    )
    pad = _tuple(padding, 2, who, "padding", low=0)
    dil = _tuple(dilation, 2, who, "dilation")
    if _flag(ceil_mode, who, "ceil_mode"):
        raise ValueError(f"{who}: ceil_mode=True is not supported")
    if any(2 * p > k for p, k in zip(pad, kernel, strict=True)):
        raise ValueError(f"{who}: padding {pad} must be at most half of kernel_size {kernel}")
    shape = x.shape if batched else (1, *x.shape)
    for n, k, d, p in zip(shape[2:], kernel, dil, pad, strict=True):
        if d * (k - 1) + 1 > n + 2 * p:
            raise ValueError(
                f"{who}: kernel {kernel} (dilation {dil}) is bigger than the padded input "
                f"{tuple(m + 2 * q for m, q in zip(shape[2:], pad, strict=True))}"
            )
    return ops.PoolSpec(shape, kernel, st, pad, dil, count_include_pad), batched


def max_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    dilation: Any = 1,
    ceil_mode: bool = False,
) -> Tensor:
    """The largest element of each window of ``(N, C, H, W)`` input (stride defaults to
    the kernel size); the gradient goes to that element.

    >>> max_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).data.tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")


def _max_pool2d(
    input: Any, kernel_size: Any, stride: Any, padding: Any, dilation: Any, ceil_mode: Any, who: str
) -> Tensor:
    x = _tensor(input, who)
    spec, batched = _pool_spec(x, kernel_size, stride, padding, dilation, ceil_mode, who)
    if not batched:
        x = x.reshape(spec.x_shape)
    out = _param_op(ops.MAX_POOL, x, spec, ops.MAX_POOL.array(x.data, spec))  # type: ignore[misc]
    return out if batched else out.reshape(out.shape[1:])


def avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any = None,
    padding: Any = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
) -> Tensor:
    """The mean of each window of ``(N, C, H, W)`` input (stride defaults to the kernel
    size); with ``count_include_pad=False`` padding is left out of the mean.

    >>> avg_pool2d(np.arange(16.0).reshape(1, 1, 4, 4), 2).data.tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """
    return _avg_pool2d(
        input, kernel_size, stride, padding, ceil_mode, count_include_pad, "avg_pool2d"
    )


def _avg_pool2d(
    input: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    ceil_mode: Any,
    count_include_pad: Any,
    who: str,
) -> Tensor:
    x = _tensor(input, who)
    include = _flag(count_include_pad, who, "count_include_pad")
    spec, batched = _pool_spec(x, kernel_size, stride, padding, 1, ceil_mode, who, include)
    if not batched:
        x = x.reshape(spec.x_shape)
    out = _param_op(ops.AVG_POOL, x, spec, ops.AVG_POOL.array(x.data, spec))  # type: ignore[misc]
    return out if batched else out.reshape(out.shape[1:])


# --- embedding -----------------------------------------------------------------------------


def embedding(
    input: Any, weight: Any, padding_idx: int | None = None, *, who: str = "embedding"
) -> Tensor:
    """Rows of ``weight`` (num_embeddings, dim) picked by the integer ``input`` of any
    shape: the output is ``input.shape + (dim,)``. Rows picked several times sum their
    gradients; the row ``padding_idx`` gets none.

    >>> embedding(np.array([[2, 0]]), np.arange(6.0).reshape(3, 2)).data.tolist()
    [[[4.0, 5.0], [0.0, 1.0]]]
    """
    w = _tensor(weight, who, "weight")
    if w.ndim != 2:
        raise ValueError(f"{who}: weight must be (num_embeddings, embedding_dim), got {w.shape}")
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{who}: indices must be integers, got dtype {idx.dtype}")
    num = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= num):
        at = tuple(int(i) for i in np.argwhere((idx < 0) | (idx >= num))[0])
        raise IndexError(
            f"{who}: index {int(idx[at])} at position {at} is out of range for "
            f"{num} embeddings (0..{num - 1})"
        )
    if padding_idx is not None:
        if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
            raise TypeError(f"{who}: padding_idx must be an int or None, got {padding_idx!r}")
        if not -num <= padding_idx < num:
            raise ValueError(
                f"{who}: padding_idx {padding_idx} is out of range for {num} embeddings"
            )
        padding_idx = int(padding_idx) % num
    rows = ops.Rows(idx, padding_idx)
    return _param_op(ops.EMBEDDING, w, rows, ops.EMBEDDING.array(w.data, rows))  # type: ignore[misc]


# --- normalization -------------------------------------------------------------------------


def _vector(t: Tensor | None, n: int, who: str, name: str) -> None:
    if t is not None and t.shape != (n,):
        raise ValueError(f"{who}: {name} must have shape ({n},), got {t.shape}")


def layer_norm(
    input: Any,
    normalized_shape: Any,
    weight: Any = None,
    bias: Any = None,
    eps: float = 1e-5,
) -> Tensor:
    """(x − mean) / √(var + eps) over the trailing ``normalized_shape`` axes, times
    ``weight`` plus ``bias`` (both of ``normalized_shape``), as one node.

    >>> y = layer_norm(np.array([[1.0, 3.0]]), (2,))
    >>> np.round(y.data, 4).tolist()
    [[-1.0, 1.0]]
    """
    who = "layer_norm"
    x = _tensor(input, who)
    shape = (
        (normalized_shape,)
        if isinstance(normalized_shape, numbers.Integral)
        else tuple(normalized_shape)
    )
    k = len(shape)
    if not k or x.shape[x.ndim - k :] != shape or x.ndim < k:
        raise ValueError(f"{who}: input {x.shape} does not end with normalized_shape {shape}")
    w, b = _optional(weight, who, "weight"), _optional(bias, who, "bias")
    for t, name in ((w, "weight"), (b, "bias")):
        if t is not None and t.shape != shape:
            raise ValueError(f"{who}: {name} must have shape {shape}, got {t.shape}")
    axes = tuple(range(x.ndim - k, x.ndim))
    spec = ops.NormSpec(axes, (1,) * (x.ndim - k) + shape, float(eps))
    data = ops.LAYER_NORM.array(spec, x.data, _data(w), _data(b))  # type: ignore[misc]
    return _nary(ops.LAYER_NORM, (spec, x, w, b), data)


def _data(t: Tensor | None) -> Any:
    return None if t is None else t.data


def batch_norm(
    input: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any = None,
    bias: Any = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalization of ``(N, C, *)`` input per channel C: in training with the
    batch's statistics (updating ``running_mean`` and ``running_var`` in place, when
    given, by ``momentum``; the variance unbiased, as PyTorch), else with the running
    estimates.

    >>> mean, var = np.zeros(1), np.ones(1)
    >>> y = batch_norm(np.array([[1.0], [3.0]]), mean, var, training=True)
    >>> np.round(y.data.ravel(), 4).tolist(), mean.tolist(), var.tolist()
    ([-1.0, 1.0], [0.2], [1.1])
    """
    who = "batch_norm"
    x = _tensor(input, who)
    if x.ndim < 2:
        raise ValueError(f"{who}: expected input (N, C, *), got {x.shape}")
    c = x.shape[1]
    w, b = _optional(weight, who, "weight"), _optional(bias, who, "bias")
    _vector(w, c, who, "weight")
    _vector(b, c, who, "bias")
    stats = [
        None if s is None else np.asarray(s.data if isinstance(s, Tensor) else s)
        for s in (running_mean, running_var)
    ]
    for s, name in zip(stats, ("running_mean", "running_var"), strict=True):
        if s is not None and s.shape != (c,):
            raise ValueError(f"{who}: {name} must have shape ({c},), got {s.shape}")
    shape = (1, c) + (1,) * (x.ndim - 2)
    axes = (0, *range(2, x.ndim))
    if training:
        count = x.size // c
        if count <= 1:
            raise ValueError(
                f"{who}: expected more than 1 value per channel when training, got input {x.shape}"
            )
        spec = ops.NormSpec(axes, shape, float(eps))
    else:
        if stats[0] is None or stats[1] is None:
            raise ValueError(f"{who}: running_mean and running_var are needed when not training")
        fixed = (
            stats[0].reshape(shape).astype(x.dtype, copy=False),
            stats[1].reshape(shape).astype(x.dtype, copy=False),
        )
        spec = ops.NormSpec(axes, shape, float(eps), fixed)
    data = ops.BATCH_NORM.array(spec, x.data, _data(w), _data(b))  # type: ignore[misc]
    if training:
        mean, var = spec.mean.reshape(c), spec.var.reshape(c) * (count / (count - 1))
        for s, new in zip(stats, (mean, var), strict=True):
            if s is not None:
                s *= 1 - momentum
                s += momentum * new
    return _nary(ops.BATCH_NORM, (spec, x, w, b), data)


# --- activations ---------------------------------------------------------------------------


def gelu(input: Any, approximate: str = "none") -> Tensor:
    """x·Φ(x), Φ the standard normal CDF; ``approximate="tanh"`` uses
    0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), as PyTorch.

    >>> np.round(gelu(np.array([-1.0, 0.0, 1.0])).data, 4).tolist()
    [-0.1587, 0.0, 0.8413]
    """
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    x = _tensor(input, "gelu")
    spec = ops.GeluSpec(approximate)
    return _param_op(ops.GELU, x, spec, ops.GELU.array(x.data, spec))  # type: ignore[misc]


def silu(input: Any) -> Tensor:
    """x·σ(x) (also called swish).

    >>> np.round(silu(np.array([0.0, 1.0])).data, 4).tolist()
    [0.0, 0.7311]
    """
    x = _tensor(input, "silu")
    return _param_op(ops.SILU, x, None, ops.SILU.array(x.data))  # type: ignore[misc]


def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + e^(βx)) / β, and x itself where βx > ``threshold`` (as PyTorch).

    >>> np.round(softplus(np.array([0.0, 30.0])).data, 4).tolist()
    [0.6931, 30.0]
    """
    for v, name in ((beta, "beta"), (threshold, "threshold")):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"softplus: {name} must be a real number, got {v!r}")
    if beta == 0:
        raise ValueError("softplus: beta must not be 0")
    x = _tensor(input, "softplus")
    param = (float(beta), float(threshold))
    return _param_op(ops.SOFTPLUS, x, param, ops.SOFTPLUS.array(x.data, param))  # type: ignore[misc]


def relu(input: Any) -> Tensor:
    """max(x, 0).  ``relu(np.array([-1.0, 2.0])).data`` is ``[0., 2.]``."""
    return _tensor(input, "relu").relu()


def tanh(input: Any) -> Tensor:
    """tanh(x).  ``tanh(np.zeros(1)).data`` is ``[0.]``."""
    return _tensor(input, "tanh").tanh()


def sigmoid(input: Any) -> Tensor:
    """1 / (1 + e^−x).  ``sigmoid(np.zeros(1)).data`` is ``[0.5]``."""
    return _tensor(input, "sigmoid").sigmoid()


def softmax(input: Any, dim: int = -1) -> Tensor:
    """exp(x) / Σ exp(x) along ``dim``.  ``softmax(np.zeros(2)).data`` is ``[0.5, 0.5]``."""
    return _tensor(input, "softmax").softmax(axis=dim)


def log_softmax(input: Any, dim: int = -1) -> Tensor:
    """log(softmax(x)) along ``dim``, as one stable op."""
    return _tensor(input, "log_softmax").log_softmax(axis=dim)


# --- attention -----------------------------------------------------------------------------

_CAUSAL: dict[tuple[int, int, Any], np.ndarray] = {}


def _causal_mask(n_queries: int, n_keys: int, dtype: Any) -> np.ndarray:
    """0 on and below the diagonal, −inf above (query i sees keys 0..i), cached."""
    key = (n_queries, n_keys, np.dtype(dtype))
    mask = _CAUSAL.get(key)
    if mask is None:
        mask = np.triu(np.full((n_queries, n_keys), -np.inf, dtype=dtype), 1)
        mask.flags.writeable = False
        if len(_CAUSAL) < 64:
            _CAUSAL[key] = mask
    return mask


def _self_attention(qkv: Tensor, num_heads: int, mask: np.ndarray | None) -> Tensor:
    """Multi-head self-attention's middle as one node: ``qkv`` (N, L, 3E), the packed
    query, key and value projections, split into ``num_heads`` heads, attended with the
    additive ``mask`` (broadcasting to (N, H, L, L)) and scale 1/√(E/H), and the heads
    merged back to (N, L, E). ``nn.MultiheadAttention`` uses it when no weights are
    returned and no dropout applies."""
    spec = ops.HeadsSpec(num_heads, 1 / math.sqrt(qkv.shape[-1] // (3 * num_heads)), mask)
    return _param_op(ops.SELF_ATTENTION, qkv, spec, ops.SELF_ATTENTION.array(qkv.data, spec))  # type: ignore[misc]


def scaled_dot_product_attention(
    query: Any,
    key: Any,
    value: Any,
    attn_mask: Any = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """softmax(q·kᵀ·scale + mask)·v as one node, for ``query`` (..., L, E), ``key``
    (..., S, E) and ``value`` (..., S, Ev); ``scale`` defaults to 1/√E.

    ``attn_mask``: a boolean array (True: may attend) or a float array added to the
    scores, broadcasting to (..., L, S); ``is_causal``: query i attends to keys 0..i.
    The mask is a constant (no gradient flows to it); a query it hides every key from
    gets an output of 0, as PyTorch's. ``dropout_p`` must be 0.

    >>> q = np.zeros((1, 2, 4))
    >>> v = np.array([[[1.0], [3.0]]])
    >>> scaled_dot_product_attention(q, q, v, is_causal=True).data.ravel().tolist()
    [1.0, 2.0]
    """
    who = "scaled_dot_product_attention"
    q, k, v = (_tensor(t, who, n) for t, n in ((query, "query"), (key, "key"), (value, "value")))
    if q.ndim < 2 or k.ndim < 2 or v.ndim < 2:
        raise ValueError(
            f"{who}: query, key and value need (..., L, E) shapes, got "
            f"{q.shape}, {k.shape}, {v.shape}"
        )
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{who}: query (..., L, E) {q.shape}, key (..., S, E) {k.shape} and value "
            f"(..., S, Ev) {v.shape} do not fit"
        )
    if dropout_p != 0:
        raise ValueError(
            f"{who}: dropout_p must be 0 (attention dropout is not supported), got {dropout_p!r}"
        )
    n_q, n_k = q.shape[-2], k.shape[-2]
    mask = None
    if _flag(is_causal, who, "is_causal"):
        if attn_mask is not None:
            raise ValueError(f"{who}: give attn_mask or is_causal=True, not both")
        mask = _causal_mask(n_q, n_k, q.dtype)
    elif attn_mask is not None:
        m = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        try:
            np.broadcast_shapes(m.shape, (*q.shape[:-2], n_q, n_k))
        except ValueError:
            raise ValueError(
                f"{who}: attn_mask {m.shape} does not broadcast to {(*q.shape[:-2], n_q, n_k)}"
            ) from None
        if m.dtype == bool:
            mask = np.where(m, 0.0, -np.inf).astype(q.dtype)
        elif m.dtype.kind == "f":
            mask = m.astype(q.dtype, copy=False)
        else:
            raise TypeError(f"{who}: attn_mask must be boolean or floating, got dtype {m.dtype}")
    s = 1 / math.sqrt(q.shape[-1]) if scale is None else float(scale)
    spec = ops.AttentionSpec(s, mask)
    data = ops.ATTENTION.array(spec, q.data, k.data, v.data)  # type: ignore[misc]
    return _nary(ops.ATTENTION, (spec, q, k, v), data)


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
