"""Networks of scalar Values, small enough to draw: Neuron, Layer, MLP.

Every weight and bias is its own ``Value`` (labelled with its state-dict name, so a
drawing shows which is which) and the forward pass is a graph of ``*``, ``+`` and one
activation op per neuron, as in micrograd. ``Module.parameters()`` finds the Values,
so ``zero_grad``, ``state_dict``, ``save``/``load`` and ``nn.optim`` work as for
Tensor models. Activations are named as for ``nn.MLP``; initial weights come from
:mod:`nn.init` (``rng=`` or nn's default generator), biases start at zero.

The course's 2-2-2 network, every unit a sigmoid, with one bias shared by the
neurons of each layer (``shared_bias=True``), weights set by name:

>>> net = MLP([2, 2, 2], activation="sigmoid", out_activation="sigmoid", shared_bias=True)
>>> net.load_state_dict({
...     "layers.0.b": 0.35,
...     "layers.0.neurons.0.w.0": 0.15, "layers.0.neurons.0.w.1": 0.20,
...     "layers.0.neurons.1.w.0": 0.25, "layers.0.neurons.1.w.1": 0.30,
...     "layers.1.b": 0.60,
...     "layers.1.neurons.0.w.0": 0.40, "layers.1.neurons.0.w.1": 0.45,
...     "layers.1.neurons.1.w.0": 0.50, "layers.1.neurons.1.w.1": 0.55,
... })
>>> o1, o2 = net([0.05, 0.10])
>>> round(o1.data, 6), round(o2.data, 6)
(0.751365, 0.772928)

A single weight can also be set directly: ``net.layers[1].neurons[0].w[0].data = 0.4``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from autodiff import Tensor, Value

from . import init as initializers
from .layers import Softmax, activation_name, check_width, get_activation
from .mlp import check_sizes, default_init
from .module import Module
from .random import get_rng


def _inputs(x: Any, n: int, owner: str) -> list[Any]:
    """``x`` as a list of ``n`` numbers or Values."""
    if isinstance(x, Tensor):
        raise TypeError(f"{owner} takes a list of numbers or Values; use nn.MLP for Tensors")
    if isinstance(x, (Value, numbers.Real)) or not isinstance(x, (Sequence, np.ndarray)):
        raise TypeError(f"{owner} takes a list of {n} numbers or Values, got {x!r}")
    xs = list(x)
    if len(xs) != n:
        raise ValueError(f"{owner} takes {n} inputs, got {len(xs)}")
    for i, v in enumerate(xs):
        if isinstance(v, bool) or not isinstance(v, (Value, numbers.Real)):
            raise TypeError(f"{owner}: input {i} must be a number or a Value, got {v!r}")
    return xs


def _label(module: Module) -> None:
    """Label every parameter with its state-dict name (what a drawing shows)."""
    for name, p in module.named_parameters():
        p.label = name


class Neuron(Module):
    """One unit: ``activation(w·x + b)`` on Values.

    ``weights`` (n_inputs numbers) sets the weights; otherwise ``init`` (a name or
    callable; default He for the ReLU family, Glorot otherwise) draws them with
    ``rng``. ``bias``: True (its own, starting at 0), False (none) or a leaf Value to
    share with other neurons.

    >>> n = Neuron(2, activation="sigmoid", weights=[0.15, 0.20], bias=Value(0.35))
    >>> round(n([0.05, 0.10]).data, 9)
    0.593269992
    """

    def __init__(
        self,
        n_inputs: int,
        activation: Any = "relu",
        init: Any = None,
        bias: bool | Value = True,
        weights: Sequence[float] | None = None,
        rng: Any = None,
    ) -> None:
        super().__init__()
        self.n_inputs = check_width(n_inputs, "n_inputs", "Neuron")
        act = get_activation(activation, "Neuron")
        if isinstance(act, Softmax):
            raise ValueError("Neuron: softmax needs several outputs; use Layer or MLP for it")
        if weights is None:
            fn = initializers.get(init if init is not None else default_init(act))
            drawn = np.asarray(fn((self.n_inputs, 1), rng=get_rng(rng, "Neuron")))
            if drawn.size != self.n_inputs:
                raise ValueError(
                    f"Neuron: initializer returned {drawn.size} numbers for {self.n_inputs} inputs"
                )
            values = [float(v) for v in drawn.reshape(-1)]
        else:
            values = [float(v) for v in _inputs(weights, self.n_inputs, "Neuron weights")]
        self.w = [Value(v, label=f"w.{i}") for i, v in enumerate(values)]
        if isinstance(bias, Value):
            if bias.op:
                raise ValueError("Neuron: a shared bias must be a leaf Value, not a result")
            self.b: Value | None = bias
        elif isinstance(bias, (bool, np.bool_)):
            self.b = Value(0.0, label="b") if bias else None
        else:
            raise TypeError(f"Neuron: bias must be True, False or a Value, got {bias!r}")
        self.activation = act

    def forward(self, x: Any) -> Value:
        xs = _inputs(x, self.n_inputs, self.describe())
        z = self.w[0] * xs[0]
        for w, xi in zip(self.w[1:], xs[1:], strict=True):
            z = z + w * xi
        if self.b is not None:
            z = z + self.b
        return z if self.activation is None else self.activation(z)  # type: ignore[no-any-return]

    def output_size(self, input_size: int | None) -> int | None:
        return 1

    def extra_repr(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"{self.n_inputs}, {activation_name(self.activation)}{bias}"


class Layer(Module):
    """``n_outputs`` neurons reading the same ``n_inputs`` inputs; returns a list of
    Values. With ``shared_bias=True`` the layer holds one bias Value (``layer.b``),
    added by every neuron, as in the course's notes. ``"softmax"`` applies across
    the neurons' outputs.

    >>> import numpy as np
    >>> layer = Layer(3, 2, activation="tanh", rng=np.random.default_rng(0))
    >>> len(layer([1.0, 2.0, 3.0])), len(layer.parameters())
    (2, 8)
    """

    def __init__(
        self,
        n_inputs: int,
        n_outputs: int,
        activation: Any = "relu",
        init: Any = None,
        bias: bool = True,
        shared_bias: bool = False,
        rng: Any = None,
    ) -> None:
        super().__init__()
        self.n_inputs = check_width(n_inputs, "n_inputs", "Layer")
        self.n_outputs = check_width(n_outputs, "n_outputs", "Layer")
        act = get_activation(activation, "Layer")
        if not isinstance(bias, (bool, np.bool_)) or not isinstance(shared_bias, (bool, np.bool_)):
            raise TypeError("Layer: bias and shared_bias must be True or False")
        if shared_bias and not bias:
            raise ValueError("Layer: shared_bias=True needs bias=True")
        # Set before the neurons, so the shared bias is named "b" (not "neurons.0.b").
        self.b = Value(0.0) if shared_bias else None
        fn = initializers.get(init if init is not None else default_init(act))
        shape = (self.n_inputs, self.n_outputs)
        w = np.asarray(fn(shape, rng=get_rng(rng, "Layer")))
        if w.shape != shape:
            raise ValueError(f"Layer: initializer returned shape {w.shape}, expected {shape}")
        per_neuron = None if isinstance(act, Softmax) else act  # softmax spans the neurons
        self.neurons = [
            Neuron(
                self.n_inputs,
                activation=per_neuron,
                weights=list(w[:, j]),
                bias=self.b if self.b is not None else bool(bias),
            )
            for j in range(self.n_outputs)
        ]
        self.activation = act
        _label(self)

    def forward(self, x: Any) -> list[Value]:
        xs = _inputs(x, self.n_inputs, self.describe())
        zs = [n(xs) for n in self.neurons]
        if isinstance(self.activation, Softmax):
            return self.activation(zs)  # type: ignore[no-any-return]
        return zs

    def output_size(self, input_size: int | None) -> int | None:
        return self.n_outputs

    def extra_repr(self) -> str:
        extra = ", shared bias" if self.b is not None else ""
        if self.b is None and self.neurons[0].b is None:
            extra = ", bias=False"
        return f"{self.n_inputs} → {self.n_outputs}, {activation_name(self.activation)}{extra}"


class MLP(Module):
    """Layers of scalar neurons with widths ``sizes`` (as ``nn.MLP``, on Values).

    ``activation`` follows every hidden layer, ``out_activation`` the last (None:
    linear). Returns one Value when the last layer has one neuron, else a list.

    >>> import numpy as np
    >>> net = MLP([3, 4, 1], activation="tanh", rng=np.random.default_rng(0))
    >>> out = net([1.0, -2.0, 0.5])
    >>> out.backward()
    >>> len(net.parameters())
    21
    """

    is_chain = True

    def __init__(
        self,
        sizes: Sequence[int],
        activation: Any = "relu",
        out_activation: Any = None,
        init: Any = None,
        shared_bias: bool = False,
        rng: Any = None,
    ) -> None:
        super().__init__()
        widths = check_sizes(sizes, "scalar.MLP")
        get_activation(activation, "scalar.MLP")  # checked even without a hidden layer
        generator = get_rng(rng, "scalar.MLP")
        n = len(widths) - 1
        self.layers = [
            Layer(
                widths[i],
                widths[i + 1],
                activation=out_activation if i == n - 1 else activation,
                init=init,
                shared_bias=shared_bias,
                rng=generator,
            )
            for i in range(n)
        ]
        self.sizes = widths
        self._names = (activation_name(activation), activation_name(out_activation))
        _label(self)

    def forward(self, x: Any) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x  # type: ignore[no-any-return]

    def output_size(self, input_size: int | None) -> int | None:
        return self.sizes[-1]

    def extra_repr(self) -> str:
        hidden, out = self._names
        return f"sizes={self.sizes}, activation={hidden!r}, out_activation={out!r}"


__all__ = ["MLP", "Layer", "Neuron"]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
