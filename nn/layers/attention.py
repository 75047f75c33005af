"""Multi-head attention with PyTorch's arguments, parameter names and layouts."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from autodiff import Tensor

from .. import functional as F
from .. import init as initializers
from ..module import Module, Parameter
from ..random import get_rng
from .base import _as_tensor, check_width
from .linear import Linear


def causal_mask(length: int, source_length: int | None = None) -> np.ndarray:
    """The boolean mask that hides the future: True above the diagonal (not attended),
    as ``torch.nn.Transformer.generate_square_subsequent_mask`` marks with -inf.

    >>> causal_mask(3).astype(int)
    array([[0, 1, 1],
           [0, 0, 1],
           [0, 0, 0]])
    """
    return np.triu(np.ones((length, length if source_length is None else source_length), bool), 1)


def _additive(mask: Any, dtype: np.dtype, what: str, owner: str) -> np.ndarray:
    """A boolean mask (True: not attended) as 0/−inf, a float mask as it is."""
    arr = np.asarray(mask.data if isinstance(mask, Tensor) else mask)
    if arr.dtype == bool:
        return np.where(arr, -np.inf, 0.0).astype(dtype)
    if arr.dtype.kind not in "fiu":
        raise TypeError(f"{owner}: {what} must be boolean or floating, got dtype {arr.dtype}")
    return arr.astype(dtype, copy=False)


def _torch_linear_init(shape: tuple[int, int], rng: Any, dtype: Any) -> np.ndarray:
    """torch.nn.Linear's default weights: uniform in ±1/√fan_in."""
    bound = 1.0 / math.sqrt(shape[0])
    return rng.uniform(-bound, bound, size=shape).astype(dtype)  # type: ignore[no-any-return]


class MultiheadAttention(Module):
    """Attention from ``num_heads`` heads of width ``embed_dim // num_heads``, as
    ``torch.nn.MultiheadAttention``: ``in_proj_weight`` ``(3·embed_dim, embed_dim)``
    and ``in_proj_bias`` project query, key and value (stacked in that order),
    ``out_proj`` (a :class:`Linear`) mixes the heads.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` takes ``(L, N, E)``
    inputs (``(N, L, E)`` with ``batch_first=True``, or unbatched ``(L, E)``) and
    returns ``(output, weights)``: weights ``(N, L, S)`` averaged over heads (per head
    ``(N, heads, L, S)``) or None when ``need_weights=False``. Masks are boolean (True:
    not attended) or additive floats; ``attn_mask`` is ``(L, S)`` or ``(N·heads, L, S)``,
    ``key_padding_mask`` ``(N, S)``. ``is_causal=True`` without a mask hides the future
    (torch requires the mask itself there: pass ``causal_mask(L)``).

    >>> import numpy as np
    >>> mha = MultiheadAttention(8, 2, batch_first=True, rng=np.random.default_rng(0))
    >>> x = np.ones((3, 5, 8))
    >>> out, w = mha(x, x, x, is_causal=True)
    >>> out.shape, w.shape, float(w.data[0, 0, 1])
    ((3, 5, 8), (3, 5, 5), 0.0)
    """

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        batch_first: bool = False,
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        super().__init__()
        owner = "MultiheadAttention"
        self.embed_dim = check_width(embed_dim, "embed_dim", owner)
        self.num_heads = check_width(num_heads, "num_heads", owner)
        if self.embed_dim % self.num_heads:
            raise ValueError(
                f"{owner}: embed_dim ({embed_dim}) must be divisible by num_heads ({num_heads})"
            )
        self.head_dim = self.embed_dim // self.num_heads
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real):
            raise TypeError(f"{owner}: dropout must be a real number, got {dropout!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{owner}: dropout must be in [0, 1), got {dropout!r}")
        self.dropout: float = float(dropout)
        for name, flag in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(flag, (bool, np.bool_)):
                raise TypeError(f"{owner}: {name} must be True or False, got {flag!r}")
        self.batch_first: bool = bool(batch_first)
        dt = initializers.float_dtype(dtype, owner)
        g = get_rng(rng, owner)
        e = self.embed_dim
        # torch's initialisation: Glorot-uniform projections, zero biases, out_proj's
        # weight uniform in ±1/√E as any torch Linear.
        self.in_proj_weight: Parameter = Parameter(
            initializers.glorot_uniform((3 * e, e), rng=g, dtype=dt), dtype=dt
        )
        self.in_proj_bias: Parameter | None = Parameter(np.zeros(3 * e, dtype=dt)) if bias else None
        self.out_proj: Linear = Linear(
            e, e, bias=bool(bias), dtype=dt, rng=g, init=_torch_linear_init
        )
        # None: the default generator, looked up at each call (as Dropout)
        self.rng: np.random.Generator | None = None if rng is None else g

    def _check(self, x: Any, name: str) -> Tensor:
        x = _as_tensor(x, self.in_proj_weight.dtype)
        if not isinstance(x, Tensor) or x.ndim not in (2, 3) or x.shape[-1] != self.embed_dim:
            got = x.shape if isinstance(x, Tensor) else type(x).__name__
            order = "N, L" if self.batch_first else "L, N"
            raise ValueError(
                f"{self.describe()}: expected {name} ({order}, {self.embed_dim}) or "
                f"(L, {self.embed_dim}), got {got}"
            )
        return x

    def forward(
        self,
        query: Any,
        key: Any,
        value: Any,
        key_padding_mask: Any = None,
        need_weights: bool = True,
        attn_mask: Any = None,
        average_attn_weights: bool = True,
        is_causal: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """``(output, attention weights or None)``; see the class docstring."""
        self_attention = query is key and key is value
        q_in = self._check(query, "query")
        k_in = q_in if self_attention else self._check(key, "key")
        v_in = q_in if self_attention else self._check(value, "value")
        if not (q_in.ndim == k_in.ndim == v_in.ndim) or k_in.shape != v_in.shape:
            raise ValueError(
                f"{self.describe()}: query, key and value must all be batched or all "
                f"unbatched, key and value of one shape; got {q_in.shape}, {k_in.shape}, "
                f"{v_in.shape}"
            )
        single = q_in.ndim == 2

        def batch_major(x: Tensor) -> Tensor:  # (N, L, E)
            if single:
                return x.reshape(1, *x.shape)
            return x if self.batch_first else x.swapaxes(0, 1)

        q_in, k_in, v_in = batch_major(q_in), batch_major(k_in), batch_major(v_in)
        if q_in.shape[0] != k_in.shape[0]:
            raise ValueError(
                f"{self.describe()}: query and key have different batch sizes "
                f"({q_in.shape[0]} and {k_in.shape[0]})"
            )
        n, length, e = q_in.shape
        source = k_in.shape[1]
        h, d = self.num_heads, self.head_dim
        w, b = self.in_proj_weight, self.in_proj_bias
        mask = self._mask(attn_mask, key_padding_mask, is_causal, n, length, source, single)
        dropping = self.training and self.dropout > 0.0
        weights = None
        if self_attention:
            qkv = q_in @ w.T
            if b is not None:
                qkv = qkv + b
            if not need_weights and not dropping:
                # the usual case (a Transformer block) as one node: heads split from the
                # packed projections, attended and merged (F._self_attention)
                out = self.out_proj(F._self_attention(qkv, h, mask))
                return self._shaped(out, single, length, None, need_weights, True)
            q, k, v = qkv[..., :e], qkv[..., e : 2 * e], qkv[..., 2 * e :]
        else:
            q, k, v = (
                x @ w[i * e : (i + 1) * e].T + (0.0 if b is None else b[i * e : (i + 1) * e])
                for i, x in enumerate((q_in, k_in, v_in))
            )

        def heads(x: Tensor, steps: int) -> Tensor:  # (N, L, E) -> (N, H, L, D)
            return x.reshape(n, steps, h, d).transpose(0, 2, 1, 3)

        if not need_weights and not dropping:
            # one fused node (F.scaled_dot_product_attention) when the weights are not
            # wanted: half the nodes of the composed path and a cheaper backward
            attended = F.scaled_dot_product_attention(
                heads(q, length), heads(k, source), heads(v, source), attn_mask=mask
            )
        else:
            scale = 1.0 / math.sqrt(d)
            scores = (heads(q, length) * scale) @ heads(k, source).transpose(0, 1, 3, 2)
            if mask is not None:
                scores = scores + mask
            weights = scores.softmax(axis=-1)
            dropped = weights
            if dropping:
                keep = get_rng(self.rng, "MultiheadAttention").random(weights.shape) >= self.dropout
                dropped = weights * (keep * (1.0 / (1.0 - self.dropout))).astype(weights.dtype)
            attended = dropped @ heads(v, source)
        out = attended.transpose(0, 2, 1, 3).reshape(n, length, e)
        return self._shaped(
            self.out_proj(out), single, length, weights, need_weights, average_attn_weights
        )

    def _shaped(
        self,
        out: Tensor,
        single: bool,
        length: int,
        weights: Tensor | None,
        need_weights: bool,
        average_attn_weights: bool,
    ) -> tuple[Tensor, Tensor | None]:
        """The output (and weights) back in the caller's layout: unbatched or sequence-first."""
        if single:
            out = out.reshape(length, self.embed_dim)
        elif not self.batch_first:
            out = out.swapaxes(0, 1)
        if weights is None or not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)
        return out, (weights.reshape(*weights.shape[1:]) if single else weights)

    def _mask(
        self,
        attn_mask: Any,
        key_padding_mask: Any,
        is_causal: bool,
        n: int,
        length: int,
        source: int,
        single: bool,
    ) -> np.ndarray | None:
        """One additive mask broadcasting against the scores ``(N, H, L, S)``, or None."""
        owner, dt = self.describe(), self.in_proj_weight.dtype
        total: np.ndarray | None = None
        if attn_mask is None and is_causal:
            total = F._causal_mask(length, source, dt)  # additive, cached
        elif attn_mask is not None:
            m = _additive(attn_mask, dt, "attn_mask", owner)
            if m.shape == (length, source):
                total = m
            elif m.shape == (n * self.num_heads, length, source):
                total = m.reshape(n, self.num_heads, length, source)
            else:
                raise ValueError(
                    f"{owner}: attn_mask must be ({length}, {source}) or "
                    f"({n * self.num_heads}, {length}, {source}), got {m.shape}"
                )
        if key_padding_mask is not None:
            m = _additive(key_padding_mask, dt, "key_padding_mask", owner)
            expected = (source,) if single else (n, source)
            if m.shape != expected:
                raise ValueError(f"{owner}: key_padding_mask must be {expected}, got {m.shape}")
            m = m.reshape(n, 1, 1, source)
            total = m if total is None else total + m
        return total

    def extra_repr(self) -> str:
        extra = "" if self.in_proj_bias is not None else ", bias=False"
        if self.dropout:
            extra += f", dropout={self.dropout}"
        if self.batch_first:
            extra += ", batch_first=True"
        return f"{self.embed_dim}, num_heads={self.num_heads}{extra}"


__all__ = [
    "MultiheadAttention",
    "causal_mask",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
