"""Data handling: batches, splits, folds and feature scaling.

Everything here works on numpy arrays (anything ``np.asarray`` takes) whose first axis
indexes samples, and refuses inputs with mismatched lengths, nan or inf with a message
naming the array and the first bad row.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np


def _generator(seed: Any) -> np.random.Generator:
    """A Generator from ``seed``: a Generator is used as is; None means nn's default one."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None:
        from .random import default_rng

        return default_rng()
    return np.random.default_rng(seed)


def check_array(x: Any, name: str, *, finite: bool = True) -> np.ndarray:
    """``x`` as an array with a sample axis, refusing nan/inf with the row that has them.

    >>> check_array([[1.0, 2.0]], "X").shape
    (1, 2)
    """
    arr = np.asarray(x)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have a sample axis, got a scalar")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if finite and arr.dtype.kind == "f" and arr.size:
        bad = ~np.isfinite(arr.reshape(len(arr), -1)).all(axis=1)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(f"{name} has nan or inf in row {row} ({int(bad.sum())} bad rows)")
    return arr


def check_pair(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    """X and y as arrays of the same length, both finite."""
    xa, ya = check_array(X, "X"), check_array(y, "y")
    if len(xa) != len(ya):
        raise ValueError(f"X has {len(xa)} rows but y has {len(ya)}")
    return xa, ya


class DataLoader:
    """Mini-batches of ``(X[i], y[i])``, reshuffled each epoch when ``shuffle``.

    500 samples at batch size 10 give 50 iterations per epoch (``len(loader)``).

    >>> import numpy as np
    >>> loader = DataLoader(np.arange(10.0)[:, None], np.arange(10), batch_size=4, seed=0)
    >>> [len(xb) for xb, yb in loader]
    [4, 4, 2]
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        batch_size: int,
        shuffle: bool = True,
        seed: Any = None,
        drop_last: bool = False,
    ) -> None:
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
        self.X, self.y = check_pair(X, y)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = _generator(seed) if shuffle else None

    def __len__(self) -> int:
        n = len(self.X)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n = len(self.X)
        order = self._rng.permutation(n) if self._rng is not None else None
        stop = (n // self.batch_size) * self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            if order is None:
                rows: Any = slice(start, start + self.batch_size)
            else:
                rows = order[start : start + self.batch_size]
            yield self.X[rows], self.y[rows]


def train_val_test_split(
    X: Any,
    y: Any,
    val: float = 0.15,
    test: float = 0.15,
    seed: Any = None,
    stratify: bool = False,
) -> tuple[np.ndarray, ...]:
    """Split into training, validation and test sets.

    Returns ``X_train, X_val, X_test, y_train, y_val, y_test``.

    With ``stratify`` each class keeps its share in every part.

    >>> import numpy as np
    >>> parts = train_val_test_split(np.zeros((100, 2)), np.arange(100), seed=0)
    >>> [len(p) for p in parts[:3]]
    [70, 15, 15]
    """
    xa, ya = check_pair(X, y)
    for name, frac in (("val", val), ("test", test)):
        if not 0 <= frac < 1:
            raise ValueError(f"{name} must be a fraction in [0, 1), got {frac!r}")
    if val + test >= 1:
        raise ValueError(f"val + test must leave training data, got {val} + {test}")
    rng = _generator(seed)
    n = len(xa)
    if stratify:
        groups = [np.flatnonzero(ya == c) for c in np.unique(ya)]
    else:
        groups = [np.arange(n)]
    parts: list[list[np.ndarray]] = [[], [], []]
    for idx in groups:
        idx = rng.permutation(idx)
        n_test = round(test * len(idx))
        n_val = round(val * len(idx))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test : n_test + n_val])
        parts[0].append(idx[n_test + n_val :])
    train, val_idx, test_idx = (np.sort(np.concatenate(p)) for p in parts)
    if len(train) == 0:
        raise ValueError(f"no training data left from {n} samples")
    return xa[train], xa[val_idx], xa[test_idx], ya[train], ya[val_idx], ya[test_idx]


class KFold:
    """k train/validation splits in which every sample is validated exactly once.

    >>> import numpy as np
    >>> [len(v) for _, v in KFold(3, seed=0).split(np.zeros((10, 1)))]
    [4, 3, 3]
    """

    def __init__(self, k: int = 5, shuffle: bool = True, seed: Any = None) -> None:
        if not isinstance(k, (int, np.integer)) or k < 2:
            raise ValueError(f"k must be an int of at least 2, got {k!r}")
        self.k = int(k)
        self.shuffle = shuffle
        self.seed = seed

    def split(self, X: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield ``(train_indices, val_indices)`` for each of the k folds."""
        n = len(X)
        if n < self.k:
            raise ValueError(f"cannot make {self.k} folds from {n} samples")
        order = _generator(self.seed).permutation(n) if self.shuffle else np.arange(n)
        for fold in np.array_split(order, self.k):
            mask = np.ones(n, dtype=bool)
            mask[fold] = False
            yield np.flatnonzero(mask), np.sort(fold)


class _Scaler:
    """Per-column scaling learnt from training data only (``fit``), then applied."""

    def __init__(self) -> None:
        self.shift_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    def _stats(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def fit(self, X: Any) -> _Scaler:
        """Learn the shift and scale of each column of ``X``."""
        xa = check_array(X, "X").astype(float)
        shift, spread = self._stats(xa)
        # A constant column has spread 0: leave it unscaled instead of dividing by zero.
        self.shift_, self.scale_ = shift, np.where(spread == 0, 1.0, spread)
        return self

    def _fitted(self) -> tuple[np.ndarray, np.ndarray]:
        if self.shift_ is None or self.scale_ is None:
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(X_train) first")
        return self.shift_, self.scale_

    def transform(self, X: Any) -> np.ndarray:
        """Scale ``X`` with the statistics learnt by ``fit``."""
        shift, scale = self._fitted()
        xa = check_array(X, "X")
        if xa.shape[1:] != shift.shape:
            raise ValueError(f"X has feature shape {xa.shape[1:]}, fitted on {shift.shape}")
        return (xa - shift) / scale  # type: ignore[no-any-return]

    def fit_transform(self, X: Any) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Undo ``transform``."""
        shift, scale = self._fitted()
        return np.asarray(X) * scale + shift  # type: ignore[no-any-return]


class MinMaxScaler(_Scaler):
    """y = (x − min) / (max − min) per column, fitted on training data.

    >>> MinMaxScaler().fit_transform([[0.0], [5.0], [10.0]]).ravel().tolist()
    [0.0, 0.5, 1.0]
    """

    def _stats(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = X.min(axis=0)
        return lo, X.max(axis=0) - lo


class StandardScaler(_Scaler):
    """z = (x − μ) / σ per column, fitted on training data.

    >>> StandardScaler().fit_transform([[1.0], [3.0]]).ravel().tolist()
    [-1.0, 1.0]
    """

    def _stats(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return X.mean(axis=0), X.std(axis=0)


def fold_seed(seed: int, fold: int) -> int:
    """The seed of fold ``fold``: derived from (seed, fold), the same in any process.

    >>> fold_seed(0, 1) == fold_seed(0, 1) != fold_seed(0, 2)
    True
    """
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0])


def __getattr__(name: str) -> Any:
    # cross_validate trains models, so it lives above the training loop, in
    # nn.model_selection; the name stays reachable here, where the SPEC lists it.
    if name == "cross_validate":
        from .model_selection import cross_validate

        return cross_validate
    raise AttributeError(f"module 'nn.data' has no attribute {name!r}")
