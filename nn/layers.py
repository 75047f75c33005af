"""Layers: Linear, Sequential, activations and Dropout.

Batches are rows: a layer takes an array of shape ``(batch, features)`` (or one
sample of shape ``(features,)``) as a Tensor or anything numpy takes, and returns a
Tensor. The activations also work on a single ``Value`` (``Softmax`` on a list of
Values), which is how the scalar networks of :mod:`nn.scalar` use them.

>>> import numpy as np
>>> model = Sequential(Linear(3, 4, rng=np.random.default_rng(0)), ReLU(), Linear(4, 2))
>>> model(np.ones((5, 3))).shape
(5, 2)
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

import numpy as np

from autodiff import Tensor, Value

from . import init as initializers
from .module import Module, Parameter
from .random import get_rng


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


# --- Linear -------------------------------------------------------------------------------


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


# --- Sequential ---------------------------------------------------------------------------


class Sequential(Module):
    """Modules applied one after another; ``layers`` holds them.

    >>> model = Sequential(Linear(2, 3), Tanh())
    >>> len(model), model[1]
    (2, Tanh())
    """

    is_chain = True

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                hint = (
                    " (pass the modules as separate arguments: Sequential(*layers))"
                    if isinstance(m, (list, tuple))
                    else ""
                )
                raise TypeError(
                    f"Sequential: argument {i} must be a Module, got {type(m).__name__}{hint}"
                )
        self.layers: list[Module] = list(modules)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def output_size(self, input_size: int | None) -> int | None:
        size = input_size
        for layer in self.layers:
            size = layer.output_size(size)
        return size

    def extra_repr(self) -> str:
        return f"{len(self.layers)} layers"


# --- activations --------------------------------------------------------------------------


class _SameWidth(Module):
    """A layer whose output is as wide as its input (activations, Dropout)."""

    def output_size(self, input_size: int | None) -> int | None:
        return input_size


class ReLU(_SameWidth):
    """max(x, 0), elementwise.

    >>> ReLU()(Tensor([-1.0, 2.0])).data
    array([0., 2.])
    """

    def forward(self, x: Any) -> Any:
        return _as_tensor(x).relu()


class LeakyReLU(_SameWidth):
    """x for x ≥ 0, ``slope``·x below (default 0.01), elementwise.

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

    >>> Sigmoid()(Tensor([0.0])).data
    array([0.5])
    """

    def forward(self, x: Any) -> Any:
        return _as_tensor(x).sigmoid()


class Tanh(_SameWidth):
    """tanh(x), elementwise.

    >>> Tanh()(Tensor([0.0])).data
    array([0.])
    """

    def forward(self, x: Any) -> Any:
        return _as_tensor(x).tanh()


class Softmax(_SameWidth):
    """exp(x) / Σ exp(x) along ``axis`` (default the last), computed stably.

    A list of Values (one per class) gives a list of Values.

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


# --- Dropout ------------------------------------------------------------------------------


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
    "ACTIVATIONS",
    "Dropout",
    "LeakyReLU",
    "Linear",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "activation_name",
    "get_activation",
]
