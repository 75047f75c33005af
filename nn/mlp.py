"""MLP: a stack of Linear layers with an activation between them, from a list of widths.

``MLP([784, 30, 10])`` is the classic ``Network(sizes)``: 784 inputs, a hidden layer
of 30, 10 outputs. It is a ``Sequential`` (``Linear, act, Linear, ...``), so its
parameters are named ``layers.0.weight``, ``layers.0.bias``, ``layers.2.weight``, …
and ``model.layers[i]`` is each step.

>>> import numpy as np
>>> model = MLP([784, 30, 10], rng=np.random.default_rng(0))
>>> model(np.zeros((5, 784))).shape
(5, 10)
>>> [name for name, _ in model.named_parameters()]
['layers.0.weight', 'layers.0.bias', 'layers.2.weight', 'layers.2.bias']
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .layers import LeakyReLU, Linear, ReLU, Sequential, activation_name, get_activation
from .module import Module
from .random import get_rng


def check_sizes(sizes: Any, owner: str = "MLP") -> list[int]:
    """``sizes`` as a list of at least two positive ints, or an error saying what is wrong.

    >>> check_sizes((2, 3, 1))
    [2, 3, 1]
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray)):
        raise TypeError(
            f"{owner}: sizes must be a list of layer widths like [784, 30, 10], got {sizes!r}"
        )
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(
            f"{owner}: sizes needs at least two widths (inputs and outputs), got {sizes}"
        )
    for i, n in enumerate(sizes):
        if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
            raise TypeError(f"{owner}: sizes[{i}] must be an int, got {n!r}")
        if n < 1:
            raise ValueError(f"{owner}: sizes[{i}] must be positive, got {n}")
    return [int(n) for n in sizes]


def default_init(activation: Module | None) -> str:
    """The initializer suited to the activation that follows a layer: He for the ReLU
    family (it keeps the variance of half-zeroed outputs), Glorot otherwise.

    >>> default_init(ReLU()), default_init(None)
    ('he_uniform', 'glorot_uniform')
    """
    return "he_uniform" if isinstance(activation, (ReLU, LeakyReLU)) else "glorot_uniform"


class MLP(Sequential):
    """A multilayer perceptron with layer widths ``sizes``.

    ``activation`` follows every hidden layer, ``out_activation`` the last one (None:
    linear outputs, the logits that ``nn.losses.cross_entropy`` takes). Each is a
    name (``"relu"``, ``"leaky_relu"``, ``"sigmoid"``, ``"tanh"``, ``"softmax"``,
    ``"linear"`` or None), a Module class (a new one per layer) or a Module instance
    (the same one after every layer). ``init`` (a name or callable, for every
    weight) defaults to He for ReLU-family layers and Glorot otherwise, biases start
    at zero. ``rng`` (Generator or seed; None: nn's default generator) draws every
    layer in turn.

    >>> import numpy as np
    >>> model = MLP([2, 8, 1], activation="tanh", out_activation="sigmoid",
    ...             rng=np.random.default_rng(0))
    >>> float(model(np.zeros((1, 2))).data[0, 0])
    0.5
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: Any = "relu",
        out_activation: Any = None,
        init: Any = None,
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        widths = check_sizes(sizes)
        get_activation(activation, "MLP")  # checked even when there is no hidden layer
        get_activation(out_activation, "MLP out_activation")
        generator = get_rng(rng, "MLP")
        modules: list[Module] = []
        n_layers = len(widths) - 1
        for i in range(n_layers):
            last = i == n_layers - 1
            # a name or class gives each layer its own module; an instance is shared
            act = get_activation(out_activation if last else activation)
            layer_init = init if init is not None else default_init(act)
            modules.append(
                Linear(widths[i], widths[i + 1], init=layer_init, dtype=dtype, rng=generator)
            )
            if act is not None:
                modules.append(act)
        super().__init__(*modules)
        self.sizes = widths
        self._names = (activation_name(activation), activation_name(out_activation))

    def extra_repr(self) -> str:
        hidden, out = self._names
        return f"sizes={self.sizes}, activation={hidden!r}, out_activation={out!r}"


__all__ = ["MLP", "check_sizes", "default_init"]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
