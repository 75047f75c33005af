"""nn's randomness: one default numpy Generator, seeded by ``manual_seed``.

Initializers, ``Dropout`` and shuffling draw from the generator they are given
(``rng=``) or, when given none, from the default one. ``manual_seed(s)`` replaces the
default generator with a fresh one seeded with ``s``, so the same seed gives the same
initial weights, the same dropout masks and the same batches.

The default generator is looked up when it is used, never captured: a ``Dropout``
built before ``manual_seed`` still follows the new seed.

>>> import nn
>>> _ = nn.manual_seed(0)
>>> a = nn.init.glorot_uniform((2, 3))
>>> _ = nn.manual_seed(0)
>>> bool((a == nn.init.glorot_uniform((2, 3))).all())
True
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

_default: np.random.Generator = np.random.default_rng()
_local = threading.local()  # a generator that replaces the default in one thread (seeded_in_thread)


def manual_seed(seed: int) -> np.random.Generator:
    """Seed nn's default generator (replacing it); returns the new generator.

    >>> g = manual_seed(42)
    >>> g is default_rng()
    True
    """
    global _default
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"manual_seed: seed must be a non-negative int, got {seed!r}")
    _default = np.random.default_rng(int(seed))
    return _default


def default_rng() -> np.random.Generator:
    """The generator nn draws from when no ``rng=`` is given.

    >>> isinstance(default_rng(), np.random.Generator)
    True
    """
    return getattr(_local, "rng", None) or _default


@contextmanager
def seeded_in_thread(seed: int) -> Iterator[np.random.Generator]:
    """Within the block, this thread's default generator is a fresh one seeded with
    ``seed``; other threads and the generator ``manual_seed`` set are untouched.

    Cross-validation runs each fold inside one, so folds on threads never share a generator.

    >>> with seeded_in_thread(3) as g:
    ...     g is default_rng()
    True
    >>> g is default_rng()
    False
    """
    previous = getattr(_local, "rng", None)
    _local.rng = generator = np.random.default_rng(seed)
    try:
        yield generator
    finally:
        _local.rng = previous


def get_rng(rng: Any = None, owner: str = "rng") -> np.random.Generator:
    """``rng`` as a Generator: None → the default generator (looked up now), an int → a
    new generator seeded with it, a Generator → itself.

    ``owner`` names the caller in the error for anything else.

    >>> get_rng(None) is default_rng()
    True
    >>> float(get_rng(0).random()) == float(np.random.default_rng(0).random())
    True
    """
    if rng is None:
        return default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool) and int(rng) >= 0:
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"{owner}: rng must be a numpy Generator (np.random.default_rng(seed)), a "
        f"non-negative int seed or None for nn's default generator, got {rng!r}"
    )


__all__ = ["default_rng", "get_rng", "manual_seed", "seeded_in_thread"]
