"""Activation layers, and the names that select them."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autodiff import Value

from .. import functional as F
from ..module import Module
from .base import _as_tensor, _SameWidth


class ReLU(_SameWidth):
    """max(x, 0), elementwise.

    >>> from autodiff import Tensor
    >>> ReLU()(Tensor([-1.0, 2.0])).data
    array([0., 2.])
    """

    def forward(self, x: Any) -> Any:
        return _as_tensor(x).relu()


class LeakyReLU(_SameWidth):
    """x for x ≥ 0, ``slope``·x below (default 0.01), elementwise.

    >>> from autodiff import Tensor
    >>> LeakyReLU(0.1)(Tensor([-1.0, 2.0])).data
    array([-0.1,  2. ])
    """

    def __init__(self, slope: float = 0.01) -> None:
        super().__init__()
        if isinstance(slope, bool) or not isinstance(slope, numbers.Real):
            raise TypeError(f"LeakyReLU: slope must be a real number, got {slope!r}")
        if not np.isfinite(slope):
            raise ValueError(f"LeakyReLU: slope must be finite, got {slope!r}")
        self.slope: float = float(slope)

    def forward(self, x: Any) -> Any:
        return _as_tensor(x).leaky_relu(self.slope)

    def extra_repr(self) -> str:
        return f"slope={self.slope}"


class Sigmoid(_SameWidth):
    """1 / (1 + e^−x), elementwise (one op, local derivative σ(1 − σ)).

    >>> from autodiff import Tensor
    >>> Sigmoid()(Tensor([0.0])).data
    array([0.5])
    """

    def forward(self, x: Any) -> Any:
        return _as_tensor(x).sigmoid()


class Tanh(_SameWidth):
    """tanh(x), elementwise.

    >>> from autodiff import Tensor
    >>> Tanh()(Tensor([0.0])).data
    array([0.])
    """

    def forward(self, x: Any) -> Any:
        return _as_tensor(x).tanh()


class Softmax(_SameWidth):
    """exp(x) / Σ exp(x) along ``axis`` (default the last), computed stably.

    A list of Values (one per class) gives a list of Values.

    >>> from autodiff import Tensor
    >>> Softmax()(Tensor([[0.0, 0.0]])).data
    array([[0.5, 0.5]])
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
            raise TypeError(f"Softmax: axis must be an int, got {axis!r}")
        self.axis: int = int(axis)

    def forward(self, x: Any) -> Any:
        if isinstance(x, (list, tuple)) and x and all(isinstance(v, Value) for v in x):
            return _softmax_values(list(x))
        return _as_tensor(x).softmax(axis=self.axis)

    def extra_repr(self) -> str:
        return "" if self.axis == -1 else f"axis={self.axis}"


def _softmax_values(zs: list[Value]) -> list[Value]:
    """Softmax over Values, as a graph of exp, + and /; the max is subtracted first (a
    constant: it changes no gradient) so that large scores do not overflow."""
    top = max(z.data for z in zs)
    exps = [(z - top).exp() for z in zs]
    total = exps[0]
    for e in exps[1:]:
        total = total + e
    return [e / total for e in exps]


#: Activation names that ``MLP`` and ``nn.scalar`` accept, and the layer each one means.
ACTIVATIONS: dict[str, type[Module] | None] = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "softmax": Softmax,
    "linear": None,
}


def get_activation(spec: Any, owner: str = "activation") -> Module | None:
    """The activation layer ``spec`` names: a name from ``ACTIVATIONS`` (``"linear"``
    and None mean no activation), a Module class (instantiated), or a Module instance
    (returned as it is).

    >>> get_activation("tanh"), get_activation(None), get_activation(LeakyReLU)
    (Tanh(), None, LeakyReLU(slope=0.01))
    """
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec not in ACTIVATIONS:
            raise ValueError(
                f"{owner}: unknown activation {spec!r}; valid names: {', '.join(ACTIVATIONS)}"
            )
        cls = ACTIVATIONS[spec]
        return None if cls is None else cls()
    if isinstance(spec, Module):
        return spec
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    raise TypeError(
        f"{owner}: an activation is a name ({', '.join(ACTIVATIONS)}), None, a Module "
        f"or a Module class; got {spec!r}"
    )


def activation_name(spec: Any) -> str:
    """A short name for an activation spec or module, for printing (None: ``"linear"``).

    >>> activation_name(None), activation_name(Sigmoid()), activation_name(LeakyReLU(0.2))
    ('linear', 'sigmoid', 'leaky_relu(slope=0.2)')
    """
    if spec is None:
        return "linear"
    if isinstance(spec, str):
        return spec
    cls = spec if isinstance(spec, type) else type(spec)
    base = next((name for name, c in ACTIVATIONS.items() if c is cls), cls.__name__)
    extra = spec.extra_repr() if isinstance(spec, Module) else ""
    return f"{base}({extra})" if extra else base


class GELU(_SameWidth):
    """x·Φ(x) elementwise, Φ the standard normal CDF; ``approximate="tanh"`` for
    PyTorch's tanh approximation.

    >>> from autodiff import Tensor
    >>> GELU()(Tensor([1.0])).data.round(4)
    array([0.8413])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        return F.gelu(_as_tensor(x), self.approximate)

    def extra_repr(self) -> str:
        return "" if self.approximate == "none" else f"approximate={self.approximate!r}"


class SiLU(_SameWidth):
    """x·σ(x) elementwise (swish).

    >>> from autodiff import Tensor
    >>> SiLU()(Tensor([0.0])).data
    array([0.])
    """

    def forward(self, x: Any) -> Any:
        return F.silu(_as_tensor(x))


class Softplus(_SameWidth):
    """log(1 + e^(βx)) / β elementwise, linear where βx > ``threshold``.

    >>> from autodiff import Tensor
    >>> Softplus()(Tensor([0.0])).data.round(4)
    array([0.6931])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        F.softplus(np.zeros(1), beta, threshold)  # the same checks as the function
        self.beta = float(beta)
        self.threshold = float(threshold)

    def forward(self, x: Any) -> Any:
        return F.softplus(_as_tensor(x), self.beta, self.threshold)

    def extra_repr(self) -> str:
        if (self.beta, self.threshold) == (1.0, 20.0):
            return ""
        return f"beta={self.beta}, threshold={self.threshold}"
