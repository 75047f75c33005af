"""Recurrent layers with PyTorch's arguments, parameter names and layouts.

``RNNCell`` and ``GRUCell`` take one step: an input batch ``(N, input_size)`` (or one
sample ``(input_size,)``) and the previous hidden state give the next one. ``RNN`` and
``GRU`` run a cell over a sequence, layer upon layer: input ``(L, N, input_size)``
(``(N, L, input_size)`` with ``batch_first=True``, or unbatched ``(L, input_size)``)
gives ``(output, h_n)``: the last layer's state at every step and every layer's final
state, ``(num_layers, N, hidden_size)``.

Weights follow ``torch.nn``: ``weight_ih`` is ``(gates·hidden_size, input_size)``,
``weight_hh`` is ``(gates·hidden_size, hidden_size)``, with biases ``bias_ih`` and
``bias_hh`` (a GRU's gates stacked in the order reset, update, new), all drawn
uniformly from ±1/√hidden_size. A sequence layer names them ``weight_ih_l0``,
``weight_hh_l0``, ... per layer, as torch does.

>>> import numpy as np
>>> gru = GRU(3, 5, num_layers=2, batch_first=True, rng=np.random.default_rng(0))
>>> out, h = gru(np.ones((4, 7, 3)))
>>> out.shape, h.shape
((4, 7, 5), (2, 4, 5))
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from autodiff import Tensor, ops, stack
from autodiff.tensor import _nary

from .. import init as initializers
from ..module import Module, Parameter
from ..random import get_rng
from .base import _as_tensor, check_width

_NONLINEARITIES = ("tanh", "relu")


def _uniform(shape: tuple[int, ...], bound: float, rng: np.random.Generator, dt: Any) -> Parameter:
    return Parameter(rng.uniform(-bound, bound, size=shape).astype(dt), dtype=dt)


def _flag(x: Any, name: str, owner: str) -> bool:
    if not isinstance(x, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be True or False, got {x!r}")
    return bool(x)


def _linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """``x @ weight.T + bias``: torch's ``F.linear`` on its ``(out, in)`` weight layout."""
    out = x @ weight.T
    return out if bias is None else out + bias


class _Cell(Module):
    """What RNNCell and GRUCell share: the parameters and the input checks."""

    gates = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool, dtype: Any, rng: Any) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = check_width(input_size, "input_size", owner)
        self.hidden_size = check_width(hidden_size, "hidden_size", owner)
        self.bias = _flag(bias, "bias", owner)
        dt = initializers.float_dtype(dtype, owner)
        g, h = get_rng(rng, owner), self.gates * self.hidden_size
        bound = 1.0 / math.sqrt(self.hidden_size)
        self.weight_ih = _uniform((h, self.input_size), bound, g, dt)
        self.weight_hh = _uniform((h, self.hidden_size), bound, g, dt)
        self.bias_ih = _uniform((h,), bound, g, dt) if self.bias else None
        self.bias_hh = _uniform((h,), bound, g, dt) if self.bias else None

    def _inputs(self, x: Any, hx: Any) -> tuple[Tensor, Tensor, bool]:
        """(input, hidden state, whether unbatched) as 2-d Tensors, checked."""
        dt = self.weight_ih.dtype
        x = _as_tensor(x, dt)
        if not isinstance(x, Tensor) or x.ndim not in (1, 2) or x.shape[-1] != self.input_size:
            got = x.shape if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(
                f"{self.describe()}: expected input (N, {self.input_size}) or "
                f"({self.input_size},), got {got}"
            )
        single = x.ndim == 1
        if single:
            x = x.reshape(1, self.input_size)
        n = x.shape[0]
        if hx is None:
            return x, Tensor(np.zeros((n, self.hidden_size)), dtype=dt), single
        hx = _as_tensor(hx, dt)
        expected = (self.hidden_size,) if single else (n, self.hidden_size)
        if not isinstance(hx, Tensor) or hx.shape != expected:
            got = hx.shape if isinstance(hx, Tensor) else type(hx).__name__
            raise ValueError(
                f"{self.describe()}: expected hidden state {expected} for input "
                f"{(self.input_size,) if single else x.shape}, got {got}"
            )
        return x, hx.reshape(1, self.hidden_size) if single else hx, single

    def forward(self, x: Any, hx: Any = None) -> Tensor:
        """The next hidden state from input ``x`` and state ``hx`` (None: zeros)."""
        x, h, single = self._inputs(x, hx)
        out = self.step(_linear(x, self.weight_ih, self.bias_ih), h)
        return out.reshape(self.hidden_size) if single else out

    def step(self, gi: Tensor, h: Tensor) -> Tensor:
        """The next state from the input's projection ``gi`` and the state ``h``."""
        raise NotImplementedError

    def run(self, gi: Tensor, h: Tensor) -> Tensor:
        """Every state ``(L, N, hidden)`` from the projections ``gi`` of a whole sequence
        ``(L, N, gates·hidden)`` and the initial state ``h``."""
        states = []
        for t in range(gi.shape[0]):
            h = self.step(gi[t], h)
            states.append(h)
        return stack(states)

    def output_size(self, input_size: int | None) -> int | None:
        return self.hidden_size

    def extra_repr(self) -> str:
        extra = "" if self.bias else ", bias=False"
        return f"{self.input_size}, {self.hidden_size}{extra}"


class RNNCell(_Cell):
    """One Elman step: h' = tanh(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh) (or ``"relu"``).

    >>> import numpy as np
    >>> cell = RNNCell(3, 4, rng=np.random.default_rng(0))
    >>> cell.weight_ih.shape, cell.weight_hh.shape, cell(np.ones((2, 3))).shape
    ((4, 3), (4, 4), (2, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}"
            )
        super().__init__(input_size, hidden_size, bias, dtype, rng)
        self.nonlinearity = nonlinearity

    def step(self, gi: Tensor, h: Tensor) -> Tensor:
        pre = gi + _linear(h, self.weight_hh, self.bias_hh)
        return pre.tanh() if self.nonlinearity == "tanh" else pre.relu()

    def extra_repr(self) -> str:
        extra = "" if self.nonlinearity == "tanh" else ", nonlinearity='relu'"
        return super().extra_repr() + extra


class GRUCell(_Cell):
    """One gated recurrent step, as ``torch.nn.GRUCell``:

    r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.

    >>> import numpy as np
    >>> cell = GRUCell(3, 4, rng=np.random.default_rng(0))
    >>> cell.weight_ih.shape, cell(np.ones(3)).shape
    ((12, 3), (4,))
    """

    gates = 3

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, rng)

    def step(self, gi: Tensor, h: Tensor) -> Tensor:
        # one fused node (ops.GRU_CELL): the gates, the candidate and the blend
        return self._fused(ops.GRU_CELL, gi, h)

    def run(self, gi: Tensor, h: Tensor) -> Tensor:
        # the whole sequence as one node (ops.GRU_SEQUENCE): backpropagation through
        # time runs in its vjp
        return self._fused(ops.GRU_SEQUENCE, gi, h)

    def _fused(self, op: Any, gi: Tensor, h: Tensor) -> Tensor:
        w, b = self.weight_hh, self.bias_hh
        operands = (ops.GRUSpec(), gi, h, w) if b is None else (ops.GRUSpec(), gi, h, w, b)
        data = op.array(*(x.data if isinstance(x, Tensor) else x for x in operands))
        return _nary(op, operands, data)


class _Recurrent(Module):
    """A stack of cells run over a sequence (RNN and GRU)."""

    cell_type: type[_Cell] = RNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool,
        batch_first: bool,
        dtype: Any,
        rng: Any,
        **cell_args: Any,
    ) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = check_width(input_size, "input_size", owner)
        self.hidden_size = check_width(hidden_size, "hidden_size", owner)
        self.num_layers = check_width(num_layers, "num_layers", owner)
        self.bias = _flag(bias, "bias", owner)
        self.batch_first = _flag(batch_first, "batch_first", owner)
        g = get_rng(rng, owner)
        cells = [
            self.cell_type(
                self.input_size if i == 0 else self.hidden_size,
                self.hidden_size,
                bias=self.bias,
                dtype=dtype,
                rng=g,
                **cell_args,
            )
            for i in range(self.num_layers)
        ]
        # torch's flat names (weight_ih_l0, ...) for the cells' parameters: set before
        # the cells, so each Tensor is reported (and saved) under its torch name.
        for i, cell in enumerate(cells):
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                setattr(self, f"{name}_l{i}", getattr(cell, name))
        self.cells = cells

    def _inputs(self, x: Any, hx: Any) -> tuple[Tensor, Tensor | None, bool]:
        """(input as given, checked; initial state as (layers, N, hidden) or None;
        unbatched)."""
        dt = self.cells[0].weight_ih.dtype
        x = _as_tensor(x, dt)
        if not isinstance(x, Tensor) or x.ndim not in (2, 3) or x.shape[-1] != self.input_size:
            got = x.shape if isinstance(x, Tensor) else type(x).__name__
            order = "N, L" if self.batch_first else "L, N"
            raise ValueError(
                f"{self.describe()}: expected input ({order}, {self.input_size}) or "
                f"(L, {self.input_size}), got {got}"
            )
        single = x.ndim == 2
        length, n = self._length_and_batch(x.shape)
        if length == 0:
            raise ValueError(
                f"{self.describe()}: the input sequence is empty ({(length, n, self.input_size)})"
            )
        if hx is None:
            return x, None, single
        hx = _as_tensor(hx, dt)
        expected = (
            (self.num_layers, self.hidden_size)
            if single
            else (self.num_layers, n, self.hidden_size)
        )
        if not isinstance(hx, Tensor) or hx.shape != expected:
            got = hx.shape if isinstance(hx, Tensor) else type(hx).__name__
            raise ValueError(f"{self.describe()}: expected initial state {expected}, got {got}")
        return x, hx.reshape(self.num_layers, 1, self.hidden_size) if single else hx, single

    def _length_and_batch(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """(L, N) of an input of ``shape``: (L, in), (L, N, in) or, batch first, (N, L, in)."""
        if len(shape) == 2:
            return shape[0], 1
        return (shape[1], shape[0]) if self.batch_first else (shape[0], shape[1])

    def _in_time_order(self, y: Tensor, single: bool) -> Tensor:
        """``y``, laid out as the input is, as (L, N, width)."""
        if single:
            return y.reshape(y.shape[0], 1, y.shape[-1])
        return y.swapaxes(0, 1) if self.batch_first else y

    def forward(self, x: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        """``(output, h_n)`` for the sequence ``x`` from initial states ``hx`` (None: zeros)."""
        x, h0, single = self._inputs(x, hx)
        length, n = self._length_and_batch(x.shape)
        # each layer's input projection for every step in one product; the loop does the
        # rest. The first layer's is taken of the input as given, then put in time order:
        # an embedding's output stays one for the product, which uses that (Tensor.__matmul__)
        seq = x
        finals = []
        for i, cell in enumerate(self.cells):
            gi = _linear(seq, cell.weight_ih, cell.bias_ih)
            if i == 0:
                gi = self._in_time_order(gi, single)
            h = Tensor(np.zeros((n, self.hidden_size)), dtype=x.dtype) if h0 is None else h0[i]
            seq = cell.run(gi, h)
            finals.append(seq[-1])
        h_n = stack(finals)
        if single:
            return seq.reshape(length, self.hidden_size), h_n.reshape(
                self.num_layers, self.hidden_size
            )
        return (seq.swapaxes(0, 1) if self.batch_first else seq), h_n

    def output_size(self, input_size: int | None) -> int | None:
        return self.hidden_size

    def extra_repr(self) -> str:
        extra = ""
        if self.num_layers != 1:
            extra += f", num_layers={self.num_layers}"
        if not self.bias:
            extra += ", bias=False"
        if self.batch_first:
            extra += ", batch_first=True"
        return f"{self.input_size}, {self.hidden_size}{extra}"


class RNN(_Recurrent):
    """An Elman RNN over a sequence, ``num_layers`` deep, as ``torch.nn.RNN``.

    >>> import numpy as np
    >>> rnn = RNN(3, 4, rng=np.random.default_rng(0))
    >>> out, h = rnn(np.ones((6, 2, 3)))  # (L, N, in)
    >>> out.shape, h.shape, [n for n, _ in rnn.named_parameters()][:2]
    ((6, 2, 4), (1, 2, 4), ['weight_ih_l0', 'weight_hh_l0'])
    """

    cell_type = RNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        if nonlinearity not in _NONLINEARITIES:
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        self.nonlinearity = nonlinearity
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dtype,
            rng,
            nonlinearity=nonlinearity,
        )

    def extra_repr(self) -> str:
        extra = "" if self.nonlinearity == "tanh" else ", nonlinearity='relu'"
        return super().extra_repr() + extra


class GRU(_Recurrent):
    """A gated recurrent unit over a sequence, ``num_layers`` deep, as ``torch.nn.GRU``.

    >>> import numpy as np
    >>> gru = GRU(3, 4, rng=np.random.default_rng(0))
    >>> out, h = gru(np.ones((6, 3)))  # unbatched (L, in)
    >>> out.shape, h.shape, gru.weight_ih_l0.shape
    ((6, 4), (1, 4), (12, 3))
    """

    cell_type = GRUCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dtype, rng)


__all__ = [
    "GRU",
    "RNN",
    "GRUCell",
    "RNNCell",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
