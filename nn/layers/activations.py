"""Activation layers, and the names that select them."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from autodiff import Value

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


__all__ = [
    "ACTIVATIONS",
    "LeakyReLU",
    "ReLU",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "activation_name",
    "get_activation",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
