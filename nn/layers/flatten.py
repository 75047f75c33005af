"""Flatten: axes start_dim..end_dim joined into one."""

from __future__ import annotations

import math
import numbers
from typing import Any

from autodiff import Tensor

from ..module import Module
from .base import _as_tensor


class Flatten(Module):
    """Axes ``start_dim`` to ``end_dim`` (default: all but the batch axis) joined into
    one, as ``torch.nn.Flatten``.

    >>> import numpy as np
    >>> Flatten()(np.ones((4, 3, 2, 2))).shape
    (4, 12)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for v, name in ((start_dim, "start_dim"), (end_dim, "end_dim")):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise TypeError(f"Flatten: {name} must be an int, got {v!r}")
        self.start_dim = int(start_dim)
        self.end_dim = int(end_dim)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        nd = max(x.ndim, 1)
        start, end = self.start_dim, self.end_dim
        if not (-nd <= start < nd and -nd <= end < nd) or start % nd > end % nd:
            raise ValueError(
                f"{self.describe()}: start_dim {start} and end_dim {end} do not fit an "
                f"input of shape {x.shape}"
            )
        start, end = start % nd, end % nd
        shape = (*x.shape[:start], math.prod(x.shape[start : end + 1]), *x.shape[end + 1 :])
        return x.reshape(shape) if x.ndim else x.reshape(1)

    def extra_repr(self) -> str:
        if (self.start_dim, self.end_dim) == (1, -1):
            return ""
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
