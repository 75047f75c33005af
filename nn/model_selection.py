"""Model selection: k-fold cross-validation on any joblib backend.

Each fold trains a fresh model from ``build()`` and scores it on its held-out part.
Folds run through joblib: ``n_jobs=None`` takes the active backend's setting
(``joblib.parallel_config(backend="threading", n_jobs=2)``, a Dask cluster through
``backend="dask"``), and every fold draws from generators derived from ``seed`` and its
index — never from a generator shared with other folds — so serial, process, thread
and Dask runs give the same scores.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .data import KFold, check_pair, fold_seed
from .random import seeded_in_thread
from .training import evaluate, fit


def _run_fold(
    build: Any,
    X: np.ndarray,
    y: np.ndarray,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    fold: int,
    seed: int,
    epochs: int,
    batch_size: int,
    metrics: tuple[Any, ...],
) -> dict[str, float]:
    fold_rng_seed = fold_seed(seed, fold)
    # This thread's default generator, seeded for this fold, before build(): the initial
    # weights and dropout masks depend on it, and threads running other folds do not see it.
    with seeded_in_thread(fold_rng_seed):
        model, loss_fn, optimizer = build()
        fit(
            model,
            loss_fn,
            optimizer,
            (X[train_idx], y[train_idx]),
            epochs=epochs,
            batch_size=batch_size,
            progress=False,
            seed=fold_rng_seed,
        )
        return evaluate(model, loss_fn, X[val_idx], y[val_idx], metrics)


def cross_validate(
    build: Any,
    X: Any,
    y: Any,
    k: int = 5,
    *,
    epochs: int,
    batch_size: int = 32,
    n_jobs: int | None = None,
    seed: int = 0,
    metrics: tuple[Any, ...] = ("accuracy",),
) -> dict[str, np.ndarray]:
    """k-fold cross-validation: train a fresh model per fold, score it on the held-out fold.

    ``build()`` returns a new ``(model, loss_fn, optimizer)``. Folds run through joblib:
    ``n_jobs=None`` uses the active backend's number of workers (one outside any
    ``joblib.parallel_config``), ``-1`` every core. Inside each fold nn's default
    generator is, for that fold's thread only, seeded from ``seed`` and the fold's index
    before ``build()``, so the scores are the same on any backend and any ``n_jobs``.
    Returns per-fold arrays ``val_loss`` and ``val_<metric>``; the course's k-fold score
    is ``result["val_accuracy"].mean()``.

    >>> import numpy as np, nn
    >>> X = np.random.default_rng(0).normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int)
    >>> def build():
    ...     model = nn.MLP([2, 4, 2])
    ...     return model, nn.losses.cross_entropy, nn.optim.Adam(model.parameters(), lr=0.05)
    >>> scores = cross_validate(build, X, y, k=3, epochs=5, batch_size=16)
    >>> scores["val_accuracy"].shape
    (3,)
    """
    from joblib import Parallel, delayed

    xa, ya = check_pair(X, y)
    if not callable(build):
        raise TypeError("build must be a callable returning (model, loss_fn, optimizer)")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"cross_validate: seed must be a non-negative int, got {seed!r}")
    folds = list(KFold(k, shuffle=True, seed=seed).split(xa))
    scores = Parallel(n_jobs=n_jobs)(
        delayed(_run_fold)(build, xa, ya, tr, va, i, seed, epochs, batch_size, tuple(metrics))
        for i, (tr, va) in enumerate(folds)
    )
    return {f"val_{name}": np.array([s[name] for s in scores]) for name in scores[0]}


__all__ = ["cross_validate"]
