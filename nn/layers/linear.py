"""Linear: the fully connected layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from autodiff import Tensor

from .. import init as initializers
from ..module import Module, Parameter
from ..random import get_rng
from .base import _as_tensor, check_width


class Linear(Module):
    """``x @ weight + bias``: weight of shape ``(in_features, out_features)`` (Keras'
    kernel layout), bias of shape ``(out_features,)`` starting at zero.

    ``init``: an initializer name from :mod:`nn.init` or a callable
    ``init(shape, rng=..., dtype=...)``; ``rng``: a numpy Generator or seed (None:
    nn's default generator); ``dtype``: float64 unless given (float32 works).

    >>> import numpy as np
    >>> layer = Linear(784, 30, rng=np.random.default_rng(0))
    >>> layer.weight.shape, layer.bias.shape
    ((784, 30), (30,))
    >>> layer(np.zeros((2, 784))).shape
    (2, 30)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        init: Any = "glorot_uniform",
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = check_width(in_features, "in_features", "Linear")
        self.out_features = check_width(out_features, "out_features", "Linear")
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"Linear: bias must be True or False, got {bias!r}")
        dt = initializers.float_dtype(dtype, "Linear")
        shape = (self.in_features, self.out_features)
        fn = initializers.get(init)
        w = np.asarray(fn(shape, rng=get_rng(rng, "Linear"), dtype=dt))
        if w.shape != shape:
            raise ValueError(
                f"Linear: initializer {getattr(fn, '__name__', fn)!r} returned shape "
                f"{w.shape}, expected {shape}"
            )
        self.weight = Parameter(w, dtype=dt)
        self.bias = Parameter(np.zeros(self.out_features, dtype=dt)) if bias else None

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x, self.weight.dtype)
        if not isinstance(x, Tensor) or x.ndim == 0 or x.shape[-1] != self.in_features:
            got = f"shape {x.shape}" if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(
                f"{self.describe()}: expected inputs with {self.in_features} features "
                f"in the last axis, got {got}"
            )
        out = x @ self.weight
        return out + self.bias if self.bias is not None else out

    def output_size(self, input_size: int | None) -> int | None:
        return self.out_features

    def extra_repr(self) -> str:
        extra = "" if self.bias is not None else ", bias=False"
        if self.weight.dtype != np.float64:
            extra += f", dtype={self.weight.dtype}"
        return f"{self.in_features}, {self.out_features}{extra}"


__all__ = [
    "Linear",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
