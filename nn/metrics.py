"""Metrics by name or as callables, each ``metric(pred, y) -> float`` over a whole set.

``fit`` and ``evaluate`` compute them over the whole epoch's predictions (not as a mean
of per-batch numbers), so ``precision`` or ``auc`` mean what scikit-learn means.

How predictions are read, as Keras does:

- rows of scores ``(N, C)`` with C > 1 (logits or probabilities): the class is the argmax;
- one column or a vector: a probability in [0, 1] is cut at 0.5, anything else (a logit)
  at 0.

Labels are integer classes, or one-hot / probability rows (read by argmax).
Classification metrics refuse targets that are not class labels (a regression target
such as 0.37) with a message saying so.

>>> import numpy as np
>>> get("mae")[1](np.array([1.0, 2.0]), np.array([1.5, 2.0]))
0.25
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

Metric = Callable[[np.ndarray, np.ndarray], float]


def _labels(y: Any, name: str) -> np.ndarray:
    """Integer class labels from ``y``: integers as they are, one-hot rows by argmax."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)  # type: ignore[no-any-return]
    flat = y.reshape(-1)
    if flat.dtype.kind == "f" and flat.size and not np.all(flat == np.round(flat)):
        raise ValueError(
            f"{name} is a classification metric but y holds non-integer values "
            f"(e.g. {flat[flat != np.round(flat)][0]!r}): a regression target? "
            "Use 'mae', 'mse' or 'rmse'"
        )
    if flat.dtype.kind not in "biuf":
        raise TypeError(f"{name}: y must hold class labels, got dtype {flat.dtype}")
    return flat.astype(np.int64)


def _classes(pred: Any) -> np.ndarray:
    """Predicted classes: argmax of score rows, or a threshold on one column."""
    pred = np.asarray(pred)
    if pred.ndim == 2 and pred.shape[1] > 1:
        return pred.argmax(axis=1)  # type: ignore[no-any-return]
    p = pred.reshape(-1)
    cut = 0.5 if p.size and p.min() >= 0 and p.max() <= 1 else 0.0
    return (p > cut).astype(np.int64)  # type: ignore[no-any-return]


def _positive_score(pred: Any) -> np.ndarray:
    """A score that grows with the probability of class 1 (for ``auc``)."""
    pred = np.asarray(pred, dtype=np.float64)
    if pred.ndim == 2 and pred.shape[1] == 2:
        return pred[:, 1] - pred[:, 0]  # monotone in softmax's p(1) for logits and probs
    if pred.ndim == 2 and pred.shape[1] > 2:
        raise ValueError("auc is binary: predictions have more than two columns")
    return pred.reshape(-1)


def _same_length(pred: np.ndarray, y: np.ndarray, name: str) -> None:
    if len(pred) != len(y):
        raise ValueError(f"{name}: {len(pred)} predictions for {len(y)} targets")


def accuracy(pred: Any, y: Any) -> float:
    """Share of correct class predictions.

    >>> accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]))
    0.5
    """
    truth = _labels(y, "accuracy")
    guess = _classes(pred)
    _same_length(guess, truth, "accuracy")
    return float(np.mean(guess == truth))


def binary_accuracy(pred: Any, y: Any, threshold: float = 0.5) -> float:
    """Share of ``(pred > threshold) == y`` for probabilities, as Keras (threshold 0.5).

    >>> binary_accuracy(np.array([0.2, 0.7, 0.6]), np.array([0, 1, 0]))
    0.6666666666666666
    """
    truth = _labels(y, "binary_accuracy")
    guess = (np.asarray(pred).reshape(-1) > threshold).astype(np.int64)
    _same_length(guess, truth, "binary_accuracy")
    return float(np.mean(guess == truth))


def _counts(pred: Any, y: Any, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per class: true positives, predicted positives, actual positives."""
    truth = _labels(y, name)
    guess = _classes(pred)
    _same_length(guess, truth, name)
    classes = np.union1d(truth, guess)
    tp = np.array([np.sum((guess == c) & (truth == c)) for c in classes], dtype=float)
    predicted = np.array([np.sum(guess == c) for c in classes], dtype=float)
    actual = np.array([np.sum(truth == c) for c in classes], dtype=float)
    return tp, predicted, actual


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a / b with 0 where b is 0 (scikit-learn's zero_division=0)."""
    return np.divide(a, b, out=np.zeros_like(a), where=b > 0)


def _binary(pred: Any, y: Any, name: str) -> tuple[float, float, float]:
    """True positives, predicted and actual positives of class 1 (binary targets)."""
    truth = _labels(y, name)
    if np.setdiff1d(truth, [0, 1]).size:
        raise ValueError(
            f"{name} is binary (labels 0 and 1), y has classes {np.unique(truth).tolist()}: "
            f"use '{name}_macro' for several classes"
        )
    guess = _classes(pred)
    _same_length(guess, truth, name)
    return (
        float(np.sum((guess == 1) & (truth == 1))),
        float(np.sum(guess == 1)),
        float(np.sum(truth == 1)),
    )


def precision(pred: Any, y: Any) -> float:
    """Binary precision: of the samples predicted 1, the share that are 1 (0 if none).

    >>> precision(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1]))
    0.5
    """
    tp, predicted, _ = _binary(pred, y, "precision")
    return tp / predicted if predicted else 0.0


def recall(pred: Any, y: Any) -> float:
    """Binary recall: of the samples that are 1, the share predicted 1 (0 if none).

    >>> recall(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1]))
    0.5
    """
    tp, _, actual = _binary(pred, y, "recall")
    return tp / actual if actual else 0.0


def f1(pred: Any, y: Any) -> float:
    """Binary F1: the harmonic mean of precision and recall, 2·tp / (predicted + actual).

    >>> f1(np.array([0.9, 0.8, 0.1]), np.array([1, 0, 1]))
    0.5
    """
    tp, predicted, actual = _binary(pred, y, "f1")
    return 2 * tp / (predicted + actual) if predicted + actual else 0.0


def precision_macro(pred: Any, y: Any) -> float:
    """Precision of each class (present in y or the predictions), averaged unweighted.

    >>> precision_macro(np.eye(3)[[0, 1, 2, 2]], np.array([0, 1, 2, 1]))
    0.8333333333333334
    """
    tp, predicted, _ = _counts(pred, y, "precision_macro")
    return float(np.mean(_ratio(tp, predicted)))


def recall_macro(pred: Any, y: Any) -> float:
    """Recall of each class, averaged unweighted.

    >>> recall_macro(np.eye(3)[[0, 1, 2, 2]], np.array([0, 1, 2, 1]))
    0.8333333333333334
    """
    tp, _, actual = _counts(pred, y, "recall_macro")
    return float(np.mean(_ratio(tp, actual)))


def f1_macro(pred: Any, y: Any) -> float:
    """F1 of each class, averaged unweighted (scikit-learn's ``average="macro"``).

    >>> round(f1_macro(np.eye(3)[[0, 1, 2, 2]], np.array([0, 1, 2, 1])), 4)
    0.7778
    """
    tp, predicted, actual = _counts(pred, y, "f1_macro")
    return float(np.mean(_ratio(2 * tp, predicted + actual)))


def auc(pred: Any, y: Any) -> float:
    """Area under the ROC curve of a binary problem: the chance that a random positive
    scores above a random negative (ties count half).

    >>> auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1]))
    0.75
    """
    truth = _labels(y, "auc")
    if np.setdiff1d(truth, [0, 1]).size:
        raise ValueError(f"auc is binary (labels 0 and 1), y has {np.unique(truth).tolist()}")
    score = _positive_score(pred)
    _same_length(score, truth, "auc")
    n_pos = int(truth.sum())
    n_neg = len(truth) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("auc needs both classes in y")
    # Mann–Whitney: the ranks of the positives, ties given their average rank.
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_scores)) + 1]
    ends = np.r_[starts[1:], len(score)]
    for s, e in zip(starts, ends, strict=True):
        ranks[order[s:e]] = (s + e + 1) / 2  # ranks count from 1
    return float((ranks[truth == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _regression(pred: Any, y: Any, name: str) -> np.ndarray:
    p = np.asarray(pred, dtype=np.float64)
    t = np.asarray(y, dtype=np.float64)
    if p.size != t.size:
        raise ValueError(f"{name}: predictions of shape {p.shape} for targets of shape {t.shape}")
    return p.reshape(-1) - t.reshape(-1)  # type: ignore[no-any-return]


def mae(pred: Any, y: Any) -> float:
    """Mean absolute error.

    >>> mae(np.array([1.0, 3.0]), np.array([2.0, 3.0]))
    0.5
    """
    return float(np.mean(np.abs(_regression(pred, y, "mae"))))


def mse(pred: Any, y: Any) -> float:
    """Mean squared error.

    >>> mse(np.array([1.0, 3.0]), np.array([2.0, 3.0]))
    0.5
    """
    d = _regression(pred, y, "mse")
    return float(np.mean(d * d))


def rmse(pred: Any, y: Any) -> float:
    """Root mean squared error.

    >>> rmse(np.array([0.0, 0.0]), np.array([3.0, 4.0]))
    3.5355339059327378
    """
    return float(np.sqrt(mse(pred, y)))


METRICS: dict[str, Metric] = {
    "accuracy": accuracy,
    "binary_accuracy": binary_accuracy,
    "precision": precision,
    "recall": recall,
    "f1": f1,
    "precision_macro": precision_macro,
    "recall_macro": recall_macro,
    "f1_macro": f1_macro,
    "auc": auc,
    "mae": mae,
    "mse": mse,
    "rmse": rmse,
}
ALIASES = {
    "acc": "accuracy",
    "mean_absolute_error": "mae",
    "mean_squared_error": "mse",
    "root_mean_squared_error": "rmse",
}
#: Metrics for which more is better (EarlyStopping's and ModelCheckpoint's mode="auto").
HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1")


def get(metric: str | Metric) -> tuple[str, Metric]:
    """``(name, function)`` for a metric name or a callable ``(pred, y) -> float``.

    >>> get("acc")[0]
    'accuracy'
    """
    if isinstance(metric, str):
        name = ALIASES.get(metric, metric)
        if name not in METRICS:
            raise ValueError(
                f"unknown metric {metric!r}; known: {', '.join(sorted(METRICS))} "
                "(or pass a callable(pred, y) -> float)"
            )
        return name, METRICS[name]
    if callable(metric):
        return getattr(metric, "__name__", "metric"), metric
    raise TypeError(f"a metric is a name or a callable(pred, y) -> float, got {metric!r}")


def higher_is_better(name: str) -> bool:
    """Whether a larger value of the logged quantity ``name`` is an improvement.

    >>> higher_is_better("val_accuracy"), higher_is_better("val_loss")
    (True, False)
    """
    return any(word in name for word in HIGHER_IS_BETTER)


__all__ = [
    "METRICS",
    "accuracy",
    "auc",
    "binary_accuracy",
    "f1",
    "f1_macro",
    "get",
    "higher_is_better",
    "mae",
    "mse",
    "precision",
    "precision_macro",
    "recall",
    "recall_macro",
    "rmse",
]
