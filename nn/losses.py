"""Loss functions, composed from Tensor ops so that their gradients come for free.

Every loss takes ``(input, target, ..., reduction="mean")`` with PyTorch's argument
conventions and meanings; options past ``target`` are keyword-only. ``reduction`` is
``"mean"`` (over every element, or as PyTorch weights it), ``"sum"`` or ``"none"``
(one loss per element, or per sample for the classification losses). ``input`` is a
Tensor (plain arrays are accepted and give a loss without a graph); ``target`` is an
array, a list or a Tensor (a target Tensor that requires grad gets gradients too).
``mse_loss`` and ``cross_entropy`` also take lists of Values (a list of lists for a
batch) and return a Value, for the scalar networks of :mod:`nn.scalar`.

Only three places are fused, each for stability, and each still out of Tensor ops:
``binary_cross_entropy`` clamps its logs at -100 as PyTorch does (never log 0, never a
0/0 gradient), ``binary_cross_entropy_with_logits`` uses the log-sum-exp form of the
softplus (never exp of a large number), and ``cross_entropy`` goes through the one
``log_softmax`` op (finite for logits of ±1e4).

>>> from autodiff import Tensor
>>> logits = Tensor([[2.0, 1.0, 0.1]], requires_grad=True)
>>> loss = cross_entropy(logits, [0])
>>> loss.backward()
>>> round(loss.item(), 4), logits.grad.round(2).tolist()
(0.417, [[-0.34, 0.24, 0.1]])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from autodiff import Tensor, Value, softmax_cross_entropy, where

_REDUCTIONS = ("mean", "sum", "none")
_LOG_FLOOR = -100.0  # PyTorch's clamp for the logs of binary_cross_entropy

# --- argument checking ------------------------------------------------------------------


def _check_reduction(reduction: Any, fn: str, allowed: tuple[str, ...] = _REDUCTIONS) -> str:
    if not isinstance(reduction, str) or reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{fn}: reduction must be {names}, got {reduction!r}")
    return reduction


def _has_values(x: Any) -> bool:
    """Whether ``x`` is a Value or a (nested) list or tuple holding one."""
    stack = [x]
    while stack:
        item = stack.pop()
        if isinstance(item, Value):
            return True
        if isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def _array(x: Any, fn: str, name: str) -> np.ndarray:
    """``x`` (array-like or Tensor) as a numeric ndarray, or a TypeError naming ``name``."""
    data = x.data if isinstance(x, Tensor) else x
    if _has_values(data):
        raise TypeError(
            f"{fn}: {name} holds Values; lists of Values are taken by mse_loss and "
            "cross_entropy (use Tensors here)"
        )
    try:
        arr = np.asarray(data)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{fn}: {name} must be numbers or an array, got {type(x).__name__}"
        ) from err
    if arr.dtype.kind not in "fiub":
        raise TypeError(
            f"{fn}: {name} must hold real numbers, got {arr.dtype} ({type(x).__name__})"
        )
    return arr


def _as_input(x: Any, fn: str) -> Tensor:
    """The prediction as a float Tensor; arrays become constants (a loss with no graph)."""
    if isinstance(x, Tensor):
        t = x if x.dtype.kind == "f" else Tensor(x.data, dtype=np.float64)
    else:
        arr = _array(x, fn, "input")
        t = Tensor(arr, dtype=arr.dtype if arr.dtype.kind == "f" else np.float64)
    if t.data.size == 0:
        raise ValueError(f"{fn}: input is empty (shape {t.shape})")
    return t


def _as_target(y: Any, x: Tensor, fn: str, name: str = "target") -> Any:
    """``y`` in the input's shape: a Tensor that requires grad as is, else an array of
    the input's dtype (so float32 stays float32)."""
    if isinstance(y, Tensor) and y.requires_grad:
        data: Any = y
        shape = y.shape
    else:
        data = _array(y, fn, name).astype(x.dtype)
        shape = data.shape
    if shape != x.shape:
        raise ValueError(f"{fn}: input has shape {x.shape} but {name} has shape {shape}")
    return data


def _plain(y: Any) -> np.ndarray:
    return y.data if isinstance(y, Tensor) else y  # type: ignore[no-any-return]


def _broadcast_weight(w: Any, x: Tensor, fn: str, name: str) -> np.ndarray:
    """A weight array that broadcasts against the input, in the input's dtype."""
    arr = _array(w, fn, name).astype(x.dtype)
    try:
        np.broadcast_shapes(arr.shape, x.shape)
    except ValueError as err:
        raise ValueError(
            f"{fn}: {name} of shape {arr.shape} does not broadcast to input shape {x.shape}"
        ) from err
    return arr


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _positive(x: Any, fn: str, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real) or not float(x) > 0:
        raise ValueError(f"{fn}: {name} must be a positive number, got {x!r}")
    return float(x)


# --- classification targets ----------------------------------------------------------


def _scores(x: Tensor, fn: str) -> int:
    """Check that ``x`` is (N, C) or (C,) scores and return C."""
    if x.ndim not in (1, 2):
        raise ValueError(f"{fn}: input must have shape (N, C) or (C,), got {x.shape}")
    return x.shape[-1]


def _class_labels(target: Any, x_shape: tuple[int, ...], fn: str, rows_ok: bool = False) -> Any:
    """Integer class labels of shape ``x_shape[:-1]``, checked against C = x_shape[-1]."""
    if target.__class__ is np.ndarray and target.dtype.kind in "iu":
        y = target  # the training loop's case: no conversion, no float checks
    else:
        y = _array(target, fn, "target")
    want = x_shape[:-1]
    if y.shape != want:
        also = f" (class labels) or {x_shape} (probability rows)" if rows_ok else " (class labels)"
        raise ValueError(
            f"{fn}: input has shape {x_shape} so target must have shape {want}{also}, got {y.shape}"
        )
    if y.dtype.kind == "b":
        raise TypeError(f"{fn}: target must hold integer class labels, got dtype bool")
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            at = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{fn}: target must hold integer class labels, got {y[at].item()!r} at index {at}"
            )
    labels = y.astype(np.int64, copy=False)
    n_classes = x_shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        at = tuple(int(i) for i in np.argwhere((labels < 0) | (labels >= n_classes))[0])
        raise ValueError(
            f"{fn}: target label {labels[at]} at index {at} is out of range for "
            f"{n_classes} classes (labels are 0..{n_classes - 1})"
        )
    return labels


def _shape_of(target: Any) -> tuple[int, ...] | None:
    """The shape of an array-like target; None when it has none (ragged, or Values)."""
    if _has_values(target):
        return None
    try:
        return np.shape(_plain(target))
    except ValueError:
        return None


def _pick(x: Tensor, labels: np.ndarray) -> Tensor:
    """``x[n, labels[n]]`` for each row (or ``x[label]`` for one row of scores)."""
    if x.ndim == 1:
        return x[int(labels)]
    return x[np.arange(x.shape[0]), labels]


def _class_weight(weight: Any, n_classes: int, x: Tensor, fn: str) -> np.ndarray | None:
    if weight is None:
        return None
    w = _array(weight, fn, "weight").astype(x.dtype)
    if w.shape != (n_classes,):
        raise ValueError(
            f"{fn}: weight must have shape ({n_classes},), one per class, got {w.shape}"
        )
    return w


# --- regression ------------------------------------------------------------------------


def mse_loss(input: Any, target: Any, *, reduction: str = "mean") -> Any:
    """Mean squared error (input − target)², as ``torch.nn.functional.mse_loss``.

    Shapes must match (PyTorch would broadcast, which is almost always a bug). Lists
    of Values (list of lists for a batch) give a Value (a list with ``"none"``).

    >>> from autodiff import Tensor, Value
    >>> mse_loss(Tensor([1.0, 2.0]), [0.0, 0.0]).item()
    2.5
    >>> mse_loss([Value(1.0), Value(2.0)], [0.0, 0.0]).data
    2.5
    """
    _check_reduction(reduction, "mse_loss")
    if _has_values(input) or _has_values(target):
        return _mse_values(input, target, reduction)
    x = _as_input(input, "mse_loss")
    d = x - _as_target(target, x, "mse_loss")
    return _reduce(d * d, reduction)


def l1_loss(input: Any, target: Any, *, reduction: str = "mean") -> Tensor:
    """Mean absolute error |input − target| (gradient 0 where they are equal, as PyTorch).

    >>> from autodiff import Tensor
    >>> l1_loss(Tensor([1.0, -2.0]), [0.0, 0.0]).item()
    1.5
    """
    _check_reduction(reduction, "l1_loss")
    x = _as_input(input, "l1_loss")
    return _reduce((x - _as_target(target, x, "l1_loss")).abs(), reduction)


def huber_loss(input: Any, target: Any, *, delta: float = 1.0, reduction: str = "mean") -> Tensor:
    """Huber loss: ½d² where |d| < delta, else delta·(|d| − ½·delta), d = input − target.

    >>> from autodiff import Tensor
    >>> huber_loss(Tensor([0.5, 3.0]), [0.0, 0.0], reduction="none").data
    array([0.125, 2.5  ])
    """
    _check_reduction(reduction, "huber_loss")
    delta = _positive(delta, "huber_loss", "delta")
    x = _as_input(input, "huber_loss")
    d = x - _as_target(target, x, "huber_loss")
    a = d.abs()
    return _reduce(where(a.data < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction)


def log_cosh_loss(input: Any, target: Any, *, reduction: str = "mean") -> Tensor:
    """log(cosh(input − target)), as Keras' ``log_cosh``; its gradient is tanh(d).

    Written |d| + log(1 + e^(−2|d|)) − log 2, so cosh never overflows.

    >>> from autodiff import Tensor
    >>> round(log_cosh_loss(Tensor([1.0]), [0.0]).item(), 6)
    0.433781
    """
    _check_reduction(reduction, "log_cosh_loss")
    x = _as_input(input, "log_cosh_loss")
    a = (x - _as_target(target, x, "log_cosh_loss")).abs()
    return _reduce(a + ((-2.0 * a).exp() + 1.0).log() - math.log(2.0), reduction)


def msle_loss(input: Any, target: Any, *, reduction: str = "mean") -> Tensor:
    """Mean squared logarithmic error (log(1 + input) − log(1 + target))², as Keras.

    Targets must be non-negative; predictions below 0 count as 0 (with no gradient),
    as Keras clamps them.

    >>> from autodiff import Tensor
    >>> round(msle_loss(Tensor([math.e - 1]), [0.0]).item(), 6)
    1.0
    """
    fn = "msle_loss"
    _check_reduction(reduction, fn)
    x = _as_input(input, fn)
    t = _as_target(target, x, fn)
    if (_plain(t) < 0).any() or np.isnan(_plain(t)).any():
        raise ValueError(f"{fn}: target must be non-negative, got min {np.min(_plain(t)).item()!r}")
    log_t = np.log1p(t) if isinstance(t, np.ndarray) else (t + 1.0).log()
    d = (x.clip(min=0.0) + 1.0).log() - log_t
    return _reduce(d * d, reduction)


# --- binary classification -------------------------------------------------------------


def _clamped_log(p: Tensor) -> Tensor:
    """max(log p, -100), with a zero (not 0/0) gradient where the clamp is active.

    The log is taken of ``p`` only where it stays above the floor; elsewhere of 1, so
    the unused branch of ``where`` never sends 0 · (1/0) back.
    """
    with np.errstate(divide="ignore"):
        ok = np.log(p.data) > _LOG_FLOOR
    return where(ok, where(ok, p, 1.0).log(), _LOG_FLOOR)


def binary_cross_entropy(
    input: Any, target: Any, *, weight: Any = None, reduction: str = "mean"
) -> Tensor:
    """−(t·log p + (1 − t)·log(1 − p)) for probabilities p, as PyTorch.

    Each log is clamped at −100, as PyTorch does, so p = 0 or 1 give a finite loss.
    ``weight`` (broadcast to the input) rescales each element's loss. For a sigmoid
    output, ∂loss/∂z = p − t: prefer ``binary_cross_entropy_with_logits`` on z.

    >>> from autodiff import Tensor
    >>> round(binary_cross_entropy(Tensor([0.8]), [1.0]).item(), 6)
    0.223144
    """
    fn = "binary_cross_entropy"
    _check_reduction(reduction, fn)
    p = _as_input(input, fn)
    inside = (p.data >= 0) & (p.data <= 1)
    if not inside.all():
        at = tuple(int(i) for i in np.argwhere(~inside)[0])
        raise ValueError(
            f"{fn}: input must hold probabilities in [0, 1] (apply sigmoid first, or use "
            f"binary_cross_entropy_with_logits), got {p.data[at].item()!r} at index {at}"
        )
    t = _as_target(target, p, fn)
    values = _plain(t)
    outside = ~((values >= 0) & (values <= 1))  # nan is outside too
    if outside.any():
        at = tuple(int(i) for i in np.argwhere(outside)[0])
        raise ValueError(
            f"{fn}: target must hold probabilities in [0, 1], got {values[at].item()!r} at "
            f"index {at}"
        )
    loss = -(t * _clamped_log(p) + (1.0 - t) * _clamped_log(1.0 - p))
    if weight is not None:
        loss = loss * _broadcast_weight(weight, p, fn, "weight")
    return _reduce(loss, reduction)


def _softplus(z: Tensor) -> Tensor:
    """log(1 + e^z) = max(z, 0) + log(1 + e^−|z|): exp never sees a positive number.

    Both pieces come from one ``where`` on z ≥ 0, so at z = 0 their slopes (1 and
    −½) add up to σ(0) = ½; relu and abs would each take 0 there and give 0.
    """
    pos = z.data >= 0
    return where(pos, z, 0.0) + (where(pos, -z, z).exp() + 1.0).log()


def binary_cross_entropy_with_logits(
    input: Any,
    target: Any,
    *,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Binary cross-entropy on logits z: (1 − t)·z + w_t·log(1 + e^−z), computed stably.

    Equals ``binary_cross_entropy(sigmoid(z), t)`` without its clamping; ∂loss/∂z =
    σ(z) − t. ``pos_weight`` (broadcast, e.g. one per class) weighs the positive term
    (w_t = 1 + (pos_weight − 1)·t), ``weight`` rescales each element, as PyTorch.

    >>> from autodiff import Tensor
    >>> z = Tensor([0.0, 1e4, -1e4], requires_grad=True)
    >>> loss = binary_cross_entropy_with_logits(z, [1.0, 1.0, 0.0], reduction="sum")
    >>> loss.backward()
    >>> round(loss.item(), 6), z.grad.tolist()
    (0.693147, [-0.5, 0.0, 0.0])
    """
    fn = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, fn)
    z = _as_input(input, fn)
    t = _as_target(target, z, fn)
    if pos_weight is None:
        loss = (1.0 - t) * z + _softplus(-z)
    else:
        log_weight = 1.0 + (_broadcast_weight(pos_weight, z, fn, "pos_weight") - 1.0) * t
        loss = (1.0 - t) * z + log_weight * _softplus(-z)
    if weight is not None:
        loss = loss * _broadcast_weight(weight, z, fn, "weight")
    return _reduce(loss, reduction)


# --- multi-class classification ----------------------------------------------------------


def cross_entropy(
    input: Any,
    target: Any,
    *,
    weight: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Any:
    """Softmax cross-entropy of logits (N, C) or (C,), as ``torch.nn.functional.cross_entropy``.

    ``target`` is integer class labels (N,) (a single int for one row of logits) or
    probability rows of the input's shape. Computed as −log_softmax(input) picked at
    the labels: finite value and gradient for logits of ±1e4, and ∂loss/∂z = softmax(z)
    − onehot (divided by N under ``"mean"``). ``weight`` (C,) weighs each class (the
    mean then divides by the summed weights of the labels, as PyTorch);
    ``label_smoothing`` ε mixes the targets with the uniform distribution, ε/C each.
    A list of Values (list of lists for a batch) gives a Value (no ``weight``).

    >>> from autodiff import Tensor
    >>> z = Tensor([[1e4, -1e4, 0.0]], requires_grad=True)
    >>> loss = cross_entropy(z, [1])
    >>> loss.backward()
    >>> loss.item(), z.grad.tolist()
    (20000.0, [[1.0, -1.0, 0.0]])
    """
    fn = "cross_entropy"
    _check_reduction(reduction, fn)
    if (
        isinstance(label_smoothing, bool)
        or not isinstance(label_smoothing, numbers.Real)
        or not 0.0 <= label_smoothing <= 1.0
    ):
        raise ValueError(f"{fn}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    eps = float(label_smoothing)
    if _has_values(input):
        if weight is not None:
            raise TypeError(f"{fn}: weight is supported for Tensor inputs, not lists of Values")
        return _cross_entropy_values(input, target, reduction, eps)
    x = _as_input(input, fn)
    n_classes = _scores(x, fn)
    w = _class_weight(weight, n_classes, x, fn)
    target_shape = target.shape if target.__class__ is np.ndarray else _shape_of(target)
    if w is None and not eps and target_shape != x.shape:
        # The common case, class labels: one fused op (autodiff.softmax_cross_entropy),
        # which checks their range itself; a training loop's integer array of the right
        # shape goes straight in, anything else is converted and checked here first.
        if (
            target.__class__ is np.ndarray
            and target.dtype.kind in "iu"
            and target_shape == x.data.shape[:-1]
        ):
            return softmax_cross_entropy(x, target, reduction)
        labels = _class_labels(target, x.shape, fn, rows_ok=True)
        return softmax_cross_entropy(x, labels, reduction)
    logp = x.log_softmax(axis=-1)
    rows = 1 if x.ndim == 1 else x.shape[0]
    if target_shape == x.shape:  # probability rows
        t = _as_target(target, x, fn)
        if eps:
            t = t * (1.0 - eps) + eps / n_classes
        weighted = logp * t if w is None else logp * t * w
        loss = -weighted.sum(axis=-1)
        # PyTorch divides by the number of rows here, whatever the class weights.
        return loss.sum() * (1.0 / rows) if reduction == "mean" else _reduce(loss, reduction)
    labels = _class_labels(target, x.shape, fn, rows_ok=True)
    nll = _weighted_nll(logp, labels, w, reduction)
    if not eps:
        return nll
    # PyTorch: (1 − ε)·nll + ε/C·Σ_c −w_c·log p_c, each part reduced as nll is.
    smooth = -(logp if w is None else logp * w).sum(axis=-1)
    if reduction == "mean":
        smooth = smooth.mean() if w is None else smooth.sum() * (1.0 / float(w[labels].sum()))
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1.0 - eps) * nll + (eps / n_classes) * smooth


def _weighted_nll(logp: Tensor, labels: np.ndarray, w: np.ndarray | None, reduction: str) -> Tensor:
    """−w_y·logp[y] per row, reduced as PyTorch (the mean divides by Σ w_y)."""
    loss = -_pick(logp, labels)
    if w is None:
        return _reduce(loss, reduction)
    w_y = w[labels]
    loss = loss * w_y
    if reduction == "mean":
        return loss.sum() * (1.0 / float(w_y.sum()))
    return _reduce(loss, reduction)


def nll_loss(input: Any, target: Any, *, weight: Any = None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood −input[n, y_n] of log-probabilities (N, C) or (C,), as PyTorch.

    ``cross_entropy(z, y) == nll_loss(z.log_softmax(), y)``; ``weight`` (C,) weighs each
    class, and the mean then divides by the summed weights of the labels.

    >>> from autodiff import Tensor
    >>> nll_loss(Tensor([[-1.0, -2.0], [-3.0, -0.5]]), [0, 1]).item()
    0.75
    """
    fn = "nll_loss"
    _check_reduction(reduction, fn)
    x = _as_input(input, fn)
    n_classes = _scores(x, fn)
    w = _class_weight(weight, n_classes, x, fn)
    return _weighted_nll(x, _class_labels(target, x.shape, fn), w, reduction)


def _margin_terms(x: Tensor, labels: np.ndarray, margin: float, p: int) -> Tensor:
    """max(0, margin − s_y + s_j)^p for every class j ≠ y (0 at j = y), shape of ``x``."""
    s_y = _pick(x, labels)
    if x.ndim == 2:
        s_y = s_y.reshape(-1, 1)
    hinge = (x - s_y + margin).relu()  # relu's slope is 0 at 0, as PyTorch's "z > 0"
    if p == 2:
        hinge = hinge * hinge
    others = np.ones(x.shape, dtype=x.dtype)
    if x.ndim == 1:
        others[int(labels)] = 0
    else:
        others[np.arange(x.shape[0]), labels] = 0
    return hinge * others


def multi_margin_loss(
    input: Any,
    target: Any,
    *,
    p: int = 1,
    margin: float = 1.0,
    weight: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """PyTorch's multi-class margin loss: Σ_{j≠y} w_y·max(0, margin − x_y + x_j)^p / C.

    Divided by the number of classes C, unlike ``hinge_loss``; ``p`` is 1 or 2.

    >>> from autodiff import Tensor
    >>> round(multi_margin_loss(Tensor([[0.1, 0.2, 0.4, 0.8]]), [3]).item(), 4)
    0.325
    """
    fn = "multi_margin_loss"
    _check_reduction(reduction, fn)
    if p not in (1, 2) or isinstance(p, bool):
        raise ValueError(f"{fn}: p must be 1 or 2, got {p!r}")
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
        raise TypeError(f"{fn}: margin must be a real number, got {margin!r}")
    x = _as_input(input, fn)
    n_classes = _scores(x, fn)
    w = _class_weight(weight, n_classes, x, fn)
    labels = _class_labels(target, x.shape, fn)
    terms = _margin_terms(x, labels, float(margin), p)
    if w is not None:
        w_y = w[labels]
        terms = terms * (w_y.reshape(-1, 1) if x.ndim == 2 else w_y)
    return _reduce(terms.sum(axis=-1) * (1.0 / n_classes), reduction)


def hinge_loss(input: Any, target: Any, *, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """The multi-class SVM loss of the course: Σ_{j≠y} max(0, s_j − s_y + margin) per sample.

    Scores (N, C) or (C,), labels (N,) or an int; ``"mean"`` averages over samples.

    >>> from autodiff import Tensor
    >>> round(hinge_loss(Tensor([3.2, 5.1, -1.7]), 0).item(), 4)  # max(0, 2.9) + max(0, -3.9)
    2.9
    """
    fn = "hinge_loss"
    _check_reduction(reduction, fn)
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
        raise TypeError(f"{fn}: margin must be a real number, got {margin!r}")
    x = _as_input(input, fn)
    _scores(x, fn)
    labels = _class_labels(target, x.shape, fn)
    return _reduce(_margin_terms(x, labels, float(margin), 1).sum(axis=-1), reduction)


# --- distributions and directions ---------------------------------------------------------


def _xlogx(t: Any) -> Any:
    """t·log t with 0·log 0 = 0 (array or Tensor; no 0·(−inf) in value or gradient)."""
    data = _plain(t)
    pos = data > 0
    if isinstance(t, np.ndarray):
        return np.where(pos, t * np.log(np.where(pos, t, 1.0)), 0.0).astype(t.dtype)
    return where(pos, t * where(pos, t, 1.0).log(), 0.0)


def kl_div(input: Any, target: Any, *, reduction: str = "mean", log_target: bool = False) -> Tensor:
    """KL divergence pointwise t·(log t − input), as ``torch.nn.functional.kl_div``.

    As in PyTorch, ``input`` holds log-probabilities (e.g. ``z.log_softmax()``) and
    ``target`` probabilities (log-probabilities with ``log_target=True``); 0·log 0 = 0.
    ``reduction="batchmean"`` (sum / N) gives the true KL divergence per sample;
    ``"mean"`` divides by every element, as PyTorch's default does.

    >>> from autodiff import Tensor
    >>> p = Tensor([[0.5, 0.5]]).log()
    >>> round(kl_div(p, [[0.9, 0.1]], reduction="batchmean").item(), 6)
    0.368064
    """
    fn = "kl_div"
    _check_reduction(reduction, fn, ("mean", "sum", "none", "batchmean"))
    x = _as_input(input, fn)
    t = _as_target(target, x, fn)
    if log_target:
        loss = (t.exp() if isinstance(t, Tensor) else np.exp(t)) * (t - x)
    else:
        if (_plain(t) < 0).any() or np.isnan(_plain(t)).any():
            raise ValueError(
                f"{fn}: target must hold probabilities (>= 0); pass log_target=True for "
                f"log-probabilities; got min {np.min(_plain(t)).item()!r}"
            )
        loss = _xlogx(t) - t * x
    if reduction == "batchmean":
        return loss.sum() * (1.0 / (x.shape[0] if x.ndim else 1))
    return _reduce(loss, reduction)


def cosine_similarity_loss(
    input: Any, target: Any, *, eps: float = 1e-8, reduction: str = "mean"
) -> Tensor:
    """1 − cos(input, target) along the last axis (one loss per row).

    cos = x·y / (max(‖x‖, eps)·max(‖y‖, eps)), as ``torch.nn.functional.cosine_similarity``,
    so a zero row gives a finite loss of 1 and a finite gradient.

    >>> from autodiff import Tensor
    >>> cosine_similarity_loss(Tensor([[1.0, 0.0], [0.0, 2.0]]), [[2.0, 0.0], [1.0, 0.0]]).item()
    0.5
    """
    fn = "cosine_similarity_loss"
    _check_reduction(reduction, fn)
    eps = _positive(eps, fn, "eps")
    x = _as_input(input, fn)
    if x.ndim == 0:
        raise ValueError(f"{fn}: input needs at least one axis (vectors along the last), got ()")
    t = _as_target(target, x, fn)
    cos = (x * t).sum(axis=-1) / (_norm(x, eps) * _norm(t, eps))
    return _reduce(1.0 - cos, reduction)


def _norm(x: Any, eps: float) -> Any:
    """max(‖x‖, eps) along the last axis; sqrt is never taken of 0 (its slope is 1/0)."""
    if isinstance(x, np.ndarray):
        return np.maximum(np.sqrt((x * x).sum(axis=-1)), eps)
    sq = (x * x).sum(axis=-1)
    big = sq.data > eps * eps
    return where(big, where(big, sq, 1.0).sqrt(), eps)


# --- regularisation ----------------------------------------------------------------------


def l2_penalty(params: Any, lam: float) -> Any:
    """The L2 penalty R(W) = ½·λ·Σ w² to add to the data loss.

    The ½ makes its gradient λ·w, so ``loss + l2_penalty(params, λ)`` trains exactly as
    ``optim.SGD(params, lr, weight_decay=λ)`` on ``loss`` alone. Takes Tensors
    (returns a Tensor) or Values (returns a Value).

    >>> from autodiff import Tensor
    >>> l2_penalty([Tensor([1.0, 2.0], requires_grad=True)], 0.1).item()
    0.25
    """
    fn = "l2_penalty"
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or not lam >= 0:
        raise ValueError(f"{fn}: lam must be a non-negative number, got {lam!r}")
    if isinstance(params, (Tensor, Value)):
        params = [params]
    if not isinstance(params, Iterable):
        raise TypeError(f"{fn}: params must be an iterable of Tensors or Values")
    ps = list(params)
    if not ps:
        raise ValueError(f"{fn}: no parameters given")
    kinds = {
        Tensor if isinstance(p, Tensor) else Value if isinstance(p, Value) else None for p in ps
    }
    if None in kinds or len(kinds) > 1:
        got = sorted({type(p).__name__ for p in ps})
        raise TypeError(f"{fn}: params must be all Tensors or all Values, got {', '.join(got)}")
    total = _sum_of_squares(ps)
    return total * (0.5 * float(lam))


def _sum_of_squares(ps: list[Any]) -> Any:
    squares = [(p * p).sum() if isinstance(p, Tensor) else p * p for p in ps]
    total = squares[0]
    for s in squares[1:]:
        total = total + s
    return total


# --- the same on lists of Values ----------------------------------------------------------


def _nested(x: Any, fn: str, name: str) -> tuple[list[Any], tuple[int, ...]]:
    """The items of a (nested) list, or an array, in order, with their shape."""
    if isinstance(x, (np.ndarray, Tensor)):
        arr = _array(x, fn, name)
        return arr.ravel().tolist(), arr.shape
    shape: tuple[int, ...]
    if not isinstance(x, (list, tuple)):
        level, shape = [x], ()
    else:
        level, dims = [x], []
        while level and isinstance(level[0], (list, tuple)):
            n = len(level[0])
            if any(not isinstance(i, (list, tuple)) or len(i) != n for i in level):
                raise ValueError(f"{fn}: {name} is ragged (rows of different lengths)")
            dims.append(n)
            level = [e for item in level for e in item]
        shape = tuple(dims)
    for e in level:
        if not isinstance(e, Value) and (isinstance(e, bool) or not isinstance(e, numbers.Real)):
            raise TypeError(f"{fn}: {name} must hold Values or numbers, got {type(e).__name__}")
    return level, shape


def _unflatten(flat: list[Any], shape: tuple[int, ...]) -> Any:
    """A nested list of ``shape`` from its items in order."""
    if not shape:
        return flat[0]
    out: Any = flat
    for n in reversed(shape[1:]):
        out = [out[i : i + n] for i in range(0, len(out), n)]
    return out


def _reduce_values(losses: list[Any], reduction: str, shape: tuple[int, ...]) -> Any:
    if reduction == "none":
        return _unflatten(losses, shape)
    total = losses[0]
    for term in losses[1:]:
        total = total + term
    return total / len(losses) if reduction == "mean" else total


def _mse_values(input: Any, target: Any, reduction: str) -> Any:
    xs, shape = _nested(input, "mse_loss", "input")
    ts, t_shape = _nested(target, "mse_loss", "target")
    if shape != t_shape:
        raise ValueError(f"mse_loss: input has shape {shape} but target has shape {t_shape}")
    if not xs:
        raise ValueError(f"mse_loss: input is empty (shape {shape})")
    diffs = [x - t for x, t in zip(xs, ts, strict=True)]
    return _reduce_values([d * d for d in diffs], reduction, shape)


def _cross_entropy_values(input: Any, target: Any, reduction: str, eps: float) -> Any:
    fn = "cross_entropy"
    xs, shape = _nested(input, fn, "input")
    if len(shape) not in (1, 2) or 0 in shape:
        raise ValueError(f"{fn}: input must have shape (N, C) or (C,), got {shape}")
    n_classes = shape[-1]
    rows = [xs[i : i + n_classes] for i in range(0, len(xs), n_classes)]
    if _shape_of(target) == shape:
        probs = _array(target, fn, "target").reshape(len(rows), n_classes).astype(float)
        probs = probs * (1.0 - eps) + eps / n_classes
    else:
        labels = _class_labels(target, shape, fn, rows_ok=True).reshape(-1)
        probs = np.full((len(rows), n_classes), eps / n_classes)
        probs[np.arange(len(rows)), labels] += 1.0 - eps
    losses = []
    for row, t in zip(rows, probs.tolist(), strict=True):
        logp = _log_softmax_values(row)
        terms = [-ti * lp for ti, lp in zip(t, logp, strict=True) if ti != 0]
        loss = terms[0]
        for term in terms[1:]:
            loss = loss + term
        losses.append(loss)
    return _reduce_values(losses, reduction, shape[:-1])


def _log_softmax_values(row: list[Any]) -> list[Value]:
    """z_i − log Σ exp(z_j), shifted by the max first so that exp never overflows.

    The shift is a plain number: log_softmax does not change with it, so neither does
    the gradient.
    """
    zs = [z if isinstance(z, Value) else Value(z) for z in row]
    top = max(z.data for z in zs)
    shifted = [z - top for z in zs]
    total = shifted[0].exp()
    for s in shifted[1:]:
        total = total + s.exp()
    log_total = total.log()
    return [s - log_total for s in shifted]


__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cosine_similarity_loss",
    "cross_entropy",
    "hinge_loss",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "l2_penalty",
    "log_cosh_loss",
    "mse_loss",
    "msle_loss",
    "multi_margin_loss",
    "nll_loss",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
