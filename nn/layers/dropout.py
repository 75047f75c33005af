"""Dropout."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autodiff import Value

from ..random import get_rng
from .base import _as_tensor, _SameWidth


class Dropout(_SameWidth):
    """Inverted dropout: in training mode each unit is zeroed with probability ``p``
    and the kept ones are scaled by 1/(1 − p), so eval mode (the identity) needs no
    rescaling. The mask is a constant array: gradients flow only through kept units.

    ``rng``: a Generator or seed for the masks; None draws from nn's default
    generator at each call, so ``nn.manual_seed`` fixes the masks.

    >>> import numpy as np
    >>> drop = Dropout(0.5, rng=np.random.default_rng(0))
    >>> out = drop(np.ones((2, 4))).data
    >>> sorted(set(out.ravel().tolist()))
    [0.0, 2.0]
    >>> drop.eval()(np.ones((2, 4))).data.min()
    np.float64(1.0)
    """

    def __init__(self, p: float = 0.5, rng: Any = None) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, numbers.Real):
            raise TypeError(f"Dropout: p must be a real number, got {p!r}")
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p: float = float(p)
        # None is kept as None: the default generator is looked up at each call
        self.rng: np.random.Generator | None = None if rng is None else get_rng(rng, "Dropout")

    def forward(self, x: Any) -> Any:
        x = _as_tensor(x)
        if not self.training or self.p == 0.0:
            return x
        rng = get_rng(self.rng, "Dropout")
        scale = 1.0 / (1.0 - self.p)
        if isinstance(x, Value):
            return x * (scale if rng.random() >= self.p else 0.0)
        keep = rng.random(x.shape) >= self.p
        return x * (keep * scale).astype(x.dtype, copy=False)

    def extra_repr(self) -> str:
        return f"p={self.p}"


__all__ = [
    "Dropout",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
