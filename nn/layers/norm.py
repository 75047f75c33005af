"""Normalization layers: LayerNorm, BatchNorm1d and BatchNorm2d, as ``torch.nn``."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autodiff import Tensor

from .. import functional as F
from .. import init as initializers
from ..module import Module, Parameter
from .base import _as_tensor, check_width


class LayerNorm(Module):
    """Each sample normalized over its trailing ``normalized_shape`` axes, then scaled
    by ``weight`` (starting at 1) and shifted by ``bias`` (starting at 0), as
    ``torch.nn.LayerNorm``.

    >>> import numpy as np
    >>> ln = LayerNorm(4)
    >>> ln(np.arange(8.0).reshape(2, 4)).data.round(3).tolist()[0]
    [-1.342, -0.447, 0.447, 1.342]
    """

    def __init__(
        self,
        normalized_shape: Any,
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        *,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        owner = "LayerNorm"
        shape = (
            (normalized_shape,)
            if isinstance(normalized_shape, numbers.Integral)
            else tuple(normalized_shape)
        )
        self.normalized_shape = tuple(check_width(n, "normalized_shape", owner) for n in shape)
        self.eps = _eps(eps, owner)
        self.elementwise_affine = F._flag(elementwise_affine, owner, "elementwise_affine")
        dt = initializers.float_dtype(dtype, owner)
        affine = self.elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dt)) if affine else None
        has_bias = affine and F._flag(bias, owner, "bias")
        self.bias = Parameter(np.zeros(self.normalized_shape, dt)) if has_bias else None

    def forward(self, x: Any) -> Tensor:
        dtype = self.weight.dtype if self.weight is not None else None
        x = _as_tensor(x, dtype)
        k = len(self.normalized_shape)
        if not isinstance(x, Tensor) or x.shape[max(x.ndim - k, 0) :] != self.normalized_shape:
            shown = ", ".join(map(str, self.normalized_shape))
            raise ValueError(
                f"{self.describe()}: expected input (*, {shown}), got {getattr(x, 'shape', x)}"
            )
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def output_size(self, input_size: int | None) -> int | None:
        return input_size

    def extra_repr(self) -> str:
        shape = self.normalized_shape
        text = str(shape[0]) if len(shape) == 1 else str(shape)
        if self.eps != 1e-5:
            text += f", eps={self.eps}"
        if not self.elementwise_affine:
            text += ", elementwise_affine=False"
        elif self.bias is None:
            text += ", bias=False"
        return text


def _eps(eps: Any, owner: str) -> float:
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not float(eps) >= 0:
        raise ValueError(f"{owner}: eps must be a non-negative number, got {eps!r}")
    return float(eps)


class _BatchNorm(Module):
    dims: tuple[int, ...] = (2, 3)
    layout = "(N, C) or (N, C, L)"
    # buffers (register_buffer): None without track_running_stats
    running_mean: np.ndarray | None
    running_var: np.ndarray | None
    num_batches_tracked: np.ndarray | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        *,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_features = check_width(num_features, "num_features", owner)
        self.eps = _eps(eps, owner)
        if momentum is not None and (
            isinstance(momentum, bool) or not isinstance(momentum, numbers.Real)
        ):
            raise TypeError(f"{owner}: momentum must be a number or None, got {momentum!r}")
        self.momentum = None if momentum is None else float(momentum)
        self.affine = F._flag(affine, owner, "affine")
        self.track_running_stats = F._flag(track_running_stats, owner, "track_running_stats")
        dt = initializers.float_dtype(dtype, owner)
        c = self.num_features
        self.weight = Parameter(np.ones(c, dt)) if self.affine else None
        self.bias = Parameter(np.zeros(c, dt)) if self.affine else None
        tracking = self.track_running_stats
        self.register_buffer("running_mean", np.zeros(c, dt) if tracking else None)
        self.register_buffer("running_var", np.ones(c, dt) if tracking else None)
        self.register_buffer("num_batches_tracked", np.zeros((), np.int64) if tracking else None)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x, None if self.weight is None else self.weight.dtype)
        if not isinstance(x, Tensor) or x.ndim not in self.dims or x.shape[1] != self.num_features:
            shown = self.layout.replace("C", str(self.num_features))
            raise ValueError(
                f"{self.describe()}: expected input {shown}, got {getattr(x, 'shape', x)}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            count = self.num_batches_tracked
            assert count is not None  # tracked
            count += 1
            if self.momentum is None:  # a cumulative average of every batch so far
                factor = 1.0 / float(count)
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return F.batch_norm(
            x,
            self.running_mean if keep else None,
            self.running_var if keep else None,
            self.weight,
            self.bias,
            use_batch,
            factor,
            self.eps,
        )

    def output_size(self, input_size: int | None) -> int | None:
        return input_size

    def extra_repr(self) -> str:
        text = f"{self.num_features}"
        if self.eps != 1e-5:
            text += f", eps={self.eps}"
        if self.momentum != 0.1:
            text += f", momentum={self.momentum}"
        if not self.affine:
            text += ", affine=False"
        if not self.track_running_stats:
            text += ", track_running_stats=False"
        return text


class BatchNorm1d(_BatchNorm):
    """Batch normalization of ``(N, C)`` or ``(N, C, L)`` input per feature C, as
    ``torch.nn.BatchNorm1d``: batch statistics in training (updating the running
    estimates, buffers ``running_mean``, ``running_var``, ``num_batches_tracked``),
    the running estimates in eval mode.

    >>> import numpy as np
    >>> bn = BatchNorm1d(2)
    >>> bn(np.array([[1.0, 2.0], [3.0, 6.0]])).data.round(3).tolist()
    [[-1.0, -1.0], [1.0, 1.0]]
    >>> bn.running_mean.tolist(), int(bn.num_batches_tracked)
    ([0.2, 0.4], 1)
    """

    dims = (2, 3)
    layout = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization of ``(N, C, H, W)`` images per channel C, as
    ``torch.nn.BatchNorm2d`` (see :class:`BatchNorm1d`).

    >>> import numpy as np
    >>> bn = BatchNorm2d(3)
    >>> bn(np.ones((2, 3, 4, 4))).shape, bn.eval()(np.ones((2, 3, 4, 4))).shape
    ((2, 3, 4, 4), (2, 3, 4, 4))
    """

    dims = (4,)
    layout = "(N, C, H, W)"
