"""What the layers share: input conversion, width checks, the same-width base class."""

from __future__ import annotations

import numbers
from typing import Any

from autodiff import Tensor, Value

from ..module import Module


def _as_tensor(x: Any, dtype: Any = None) -> Any:
    """A Tensor or Value as it is; anything else (arrays, lists) as a constant Tensor."""
    if isinstance(x, (Tensor, Value)):
        return x
    return Tensor(x, dtype=dtype)


def check_width(n: Any, name: str, owner: str) -> int:
    """``n`` as a layer width (a positive int), or an error naming ``owner`` and ``name``.

    >>> check_width(30, "out_features", "Linear")
    30
    """
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be a positive int, got {n!r}")
    if n < 1:
        raise ValueError(f"{owner}: {name} must be a positive int, got {n!r}")
    return int(n)


class _SameWidth(Module):
    """A layer whose output is as wide as its input (activations, Dropout)."""

    def output_size(self, input_size: int | None) -> int | None:
        return input_size


__all__ = [
    "check_width",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
