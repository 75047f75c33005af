"""Convolution layers: Conv1d and Conv2d, with PyTorch's arguments, layouts and init."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autodiff import Tensor

from .. import functional as F
from .. import init as initializers
from ..module import Module, Parameter
from ..random import get_rng
from .base import _as_tensor, check_width


def torch_uniform(shape: tuple[int, ...], fan_in: int, rng: Any, dtype: Any) -> np.ndarray:
    """PyTorch's default init of conv and linear weights and biases (kaiming_uniform
    with a = √5 gives the same bound): uniform in ±1/√fan_in.

    >>> w = torch_uniform((2, 3), 4, np.random.default_rng(0), np.float64)
    >>> bool(np.abs(w).max() <= 0.5)
    True
    """
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return rng.uniform(-bound, bound, shape).astype(dtype)


class _ConvNd(Module):
    nd = 2
    layout = "(N, C, H, W)"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        *,
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.in_channels = check_width(in_channels, "in_channels", owner)
        self.out_channels = check_width(out_channels, "out_channels", owner)
        self.groups = check_width(groups, "groups", owner)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"{owner}: in_channels {in_channels} and out_channels {out_channels} must "
                f"both be divisible by groups={groups}"
            )
        self.kernel_size = F._tuple(kernel_size, self.nd, owner, "kernel_size")
        self.stride = F._tuple(stride, self.nd, owner, "stride")
        self.dilation = F._tuple(dilation, self.nd, owner, "dilation")
        if isinstance(padding, str):
            F._conv_padding(padding, self.nd, self.kernel_size, self.stride, self.dilation, owner)
            self.padding: Any = padding
        else:
            self.padding = F._tuple(padding, self.nd, owner, "padding", low=0)
        if padding_mode != "zeros":
            raise ValueError(
                f"{owner}: only padding_mode='zeros' is supported, got {padding_mode!r}"
            )
        if not isinstance(bias, (bool, np.bool_)):
            raise TypeError(f"{owner}: bias must be True or False, got {bias!r}")
        self._args = (kernel_size, stride, padding, dilation)  # as given, for the repr
        dt = initializers.float_dtype(dtype, owner)
        generator = get_rng(rng, owner)
        per_group = self.in_channels // self.groups
        fan_in = per_group * math.prod(self.kernel_size)
        shape = (self.out_channels, per_group, *self.kernel_size)
        self.weight = Parameter(torch_uniform(shape, fan_in, generator, dt), dtype=dt)
        self.bias = (
            Parameter(torch_uniform((self.out_channels,), fan_in, generator, dt), dtype=dt)
            if bias
            else None
        )

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x, self.weight.dtype)
        return F._conv(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            self.nd,
            self.describe(),
        )

    def extra_repr(self) -> str:
        kernel, stride, padding, dilation = self._args
        text = f"{self.in_channels}, {self.out_channels}, {kernel}"
        for name, value, default in (
            ("stride", stride, 1),
            ("padding", padding, 0),
            ("dilation", dilation, 1),
            ("groups", self.groups, 1),
        ):
            if value != default and value != (default,) * self.nd:
                text += f", {name}={value}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, C, L)`` inputs, as ``torch.nn.Conv1d``: weight
    ``(out_channels, in_channels/groups, k)``, bias ``(out_channels,)``, both drawn
    uniform in ±1/√fan_in (PyTorch's default) from nn's generator (or ``rng``).

    >>> conv = Conv1d(2, 4, 3, padding=1, rng=0)
    >>> conv.weight.shape, conv(np.ones((5, 2, 7))).shape
    ((4, 2, 3), (5, 4, 7))
    """

    nd = 1
    layout = "(N, C, L)"


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, C, H, W)`` images, as ``torch.nn.Conv2d``: weight
    ``(out_channels, in_channels/groups, kh, kw)``, bias ``(out_channels,)``, both drawn
    uniform in ±1/√fan_in (PyTorch's default) from nn's generator (or ``rng``).

    >>> conv = Conv2d(3, 8, 3, rng=0)
    >>> conv.weight.shape, conv(np.ones((4, 3, 8, 8))).shape
    ((8, 3, 3, 3), (4, 8, 6, 6))
    >>> conv(np.ones((4, 5, 8, 8)))
    Traceback (most recent call last):
    ...
    ValueError: Conv2d(3, 8, 3): expected input (N, 3, H, W), got (4, 5, 8, 8)
    """

    nd = 2


__all__ = [
    "Conv1d",
    "Conv2d",
    "torch_uniform",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
