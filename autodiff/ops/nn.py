"""Neural-network ops, fused where a composite would be slow or unstable."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import PARAM, Node
from .core import Op, exp, register


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
        else:  # the forward's softmax, kept in rows
            probs = param.probs.reshape(xd.shape)  # type: ignore[union-attr]
        return g * (probs - onehot)
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


__all__ = [
    "LOG_SOFTMAX",
    "SOFTMAX",
    "SOFTMAX_CROSS_ENTROPY",
    "Labels",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
