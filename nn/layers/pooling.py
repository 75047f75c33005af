"""Pooling layers: MaxPool2d and AvgPool2d, as ``torch.nn``."""

from __future__ import annotations

from typing import Any

from autodiff import Tensor

from .. import functional as F
from ..module import Module
from .base import _as_tensor


class MaxPool2d(Module):
    """The largest element of each ``kernel_size`` window of ``(N, C, H, W)`` input
    (stride defaults to the kernel size), as ``torch.nn.MaxPool2d``.

    >>> import numpy as np
    >>> MaxPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4)).data.tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        dilation: Any = 1,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        owner = "MaxPool2d"
        self.kernel_size = F._tuple(kernel_size, 2, owner, "kernel_size")
        self.stride = self.kernel_size if stride is None else F._tuple(stride, 2, owner, "stride")
        self.padding = F._tuple(padding, 2, owner, "padding", low=0)
        self.dilation = F._tuple(dilation, 2, owner, "dilation")
        if F._flag(ceil_mode, owner, "ceil_mode"):
            raise ValueError(f"{owner}: ceil_mode=True is not supported")
        self.ceil_mode = False
        self._args = (kernel_size, stride, padding, dilation)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        return F._max_pool2d(
            x, self.kernel_size, self.stride, self.padding, self.dilation, False, self.describe()
        )

    def extra_repr(self) -> str:
        kernel, stride, padding, dilation = self._args
        text = f"{kernel}"
        if stride is not None:
            text += f", stride={stride}"
        if padding:
            text += f", padding={padding}"
        if dilation != 1:
            text += f", dilation={dilation}"
        return text


class AvgPool2d(Module):
    """The mean of each ``kernel_size`` window of ``(N, C, H, W)`` input (stride
    defaults to the kernel size), as ``torch.nn.AvgPool2d``.

    >>> import numpy as np
    >>> AvgPool2d(2)(np.arange(16.0).reshape(1, 1, 4, 4)).data.tolist()
    [[[[2.5, 4.5], [10.5, 12.5]]]]
    """

    def __init__(
        self,
        kernel_size: Any,
        stride: Any = None,
        padding: Any = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
    ) -> None:
        super().__init__()
        owner = "AvgPool2d"
        self.kernel_size = F._tuple(kernel_size, 2, owner, "kernel_size")
        self.stride = self.kernel_size if stride is None else F._tuple(stride, 2, owner, "stride")
        self.padding = F._tuple(padding, 2, owner, "padding", low=0)
        if F._flag(ceil_mode, owner, "ceil_mode"):
            raise ValueError(f"{owner}: ceil_mode=True is not supported")
        self.ceil_mode = False
        self.count_include_pad = F._flag(count_include_pad, owner, "count_include_pad")
        self._args = (kernel_size, stride, padding)

    def forward(self, x: Any) -> Tensor:
        x = _as_tensor(x)
        return F._avg_pool2d(
            x,
            self.kernel_size,
            self.stride,
            self.padding,
            False,
            self.count_include_pad,
            self.describe(),
        )

    def extra_repr(self) -> str:
        kernel, stride, padding = self._args
        text = f"{kernel}"
        if stride is not None:
            text += f", stride={stride}"
        if padding:
            text += f", padding={padding}"
        if not self.count_include_pad:
            text += ", count_include_pad=False"
        return text
