"""Moving models to PyTorch and back: ``to_torch(model)`` and ``from_torch(module)``.

Each layer becomes the ``torch.nn`` layer of the same name with the same
hyperparameters, the same weights (copied, in the parameters' dtype) and the same
training mode; containers are converted child by child. Layouts follow torch except
``Linear``'s weight, kept ``(in_features, out_features)`` here and transposed on the
way; BatchNorm's running statistics travel with its weights. ``MLP`` becomes a
``torch.nn.Sequential`` of its layers. A module of a kind not
listed (a custom model class) raises a ``TypeError`` naming it: convert its layers
one by one and write its forward in torch.

torch is imported here only, when one of the two is called (``pip install
autodiff[oracle]`` installs the torch these were checked against).

>>> import numpy as np, nn
>>> model = nn.Sequential(nn.Linear(3, 4, rng=np.random.default_rng(0)), nn.Tanh())
>>> theirs = to_torch(model)
>>> type(theirs[0]).__name__, tuple(theirs[0].weight.shape)
('Linear', (4, 3))
>>> back = from_torch(theirs)
>>> bool(np.array_equal(back[0].weight.data, model[0].weight.data))
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import layers
from .module import Module, Parameter


def _torch() -> Any:
    try:
        import torch
    except ImportError as err:  # pragma: no cover - torch is installed wherever tests run
        raise ImportError(
            "nn.to_torch and nn.from_torch need PyTorch: pip install 'autodiff[oracle]'"
        ) from err
    return torch


def _tensor(array: np.ndarray) -> Any:
    return _torch().from_numpy(np.array(array))  # a copy: the two models share nothing


def _array(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy().copy()  # type: ignore[no-any-return]


def _dtype_of(model: Module) -> Any:
    """The torch dtype of ``model``'s parameters (float64 when it has none)."""
    params = [p for p in model.parameters() if isinstance(p, Parameter)]
    dt = params[0].dtype if params else np.dtype(np.float64)
    return getattr(_torch(), dt.name)


def _load(theirs: Any, state: dict[str, np.ndarray]) -> Any:
    """Copy ``state``'s arrays into torch module ``theirs``'s tensors of those names."""
    torch = _torch()
    own = dict(theirs.named_parameters()) | dict(theirs.named_buffers())
    with torch.no_grad():
        for name, arr in state.items():
            own[name].copy_(torch.from_numpy(np.array(arr, order="C")))
    return theirs


def _fill(ours: Module, state: dict[str, np.ndarray]) -> Module:
    """Copy ``state``'s arrays into our module's tensors of those names (by attribute)."""
    for name, arr in state.items():
        target: Any = ours
        *path, last = name.split(".")
        for part in path:
            target = getattr(target, part)
        item = getattr(target, last)
        (item.data if isinstance(item, Parameter) else item)[...] = arr  # buffers: arrays
    return ours


# --- to torch --------------------------------------------------------------------------


def _linear_to(m: layers.Linear, nn: Any) -> Any:
    theirs = nn.Linear(m.in_features, m.out_features, bias=m.bias is not None, dtype=_dtype_of(m))
    state = {"weight": m.weight.data.T}
    if m.bias is not None:
        state["bias"] = m.bias.data
    return _load(theirs, state)


def _same_names(make: Callable[[Any, Any], Any]) -> Callable[[Module, Any], Any]:
    """A converter for layers whose parameters have torch's names and layouts."""

    def convert(m: Module, nn: Any) -> Any:
        return _load(make(m, nn), m.state_dict())

    return convert


def _batch_norm(cls: Any, m: Any) -> Any:
    arrays = [a for a in (m.weight, m.running_mean) if a is not None]
    dtype = getattr(_torch(), np.dtype(arrays[0].dtype).name) if arrays else None
    return cls(*_norm_args(m), dtype=dtype)


def _conv_args(m: Any) -> tuple[Any, ...]:
    """A convolution's constructor arguments: the same attributes here and in torch."""
    return (m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups)


def _norm_args(m: Any) -> tuple[Any, ...]:
    """A batch norm's constructor arguments: the same attributes here and in torch."""
    return (m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)


def _conv(cls: Any, m: Any) -> Any:
    return cls(*_conv_args(m), bias=m.bias is not None, dtype=_dtype_of(m))


def _mha_to(m: layers.MultiheadAttention, nn: Any) -> Any:
    theirs = nn.MultiheadAttention(
        m.embed_dim,
        m.num_heads,
        dropout=m.dropout,
        bias=m.in_proj_bias is not None,
        batch_first=m.batch_first,
        dtype=_dtype_of(m),
    )
    state = {"in_proj_weight": m.in_proj_weight.data, "out_proj.weight": m.out_proj.weight.data.T}
    if m.in_proj_bias is not None and m.out_proj.bias is not None:
        state |= {"in_proj_bias": m.in_proj_bias.data, "out_proj.bias": m.out_proj.bias.data}
    return _load(theirs, state)


_TO_TORCH: dict[type, Callable[[Any, Any], Any]] = {
    layers.Linear: _linear_to,
    layers.ReLU: lambda m, nn: nn.ReLU(),
    layers.LeakyReLU: lambda m, nn: nn.LeakyReLU(m.slope),
    layers.Sigmoid: lambda m, nn: nn.Sigmoid(),
    layers.Tanh: lambda m, nn: nn.Tanh(),
    layers.Softmax: lambda m, nn: nn.Softmax(dim=m.axis),
    layers.Dropout: lambda m, nn: nn.Dropout(m.p),
    layers.Sequential: lambda m, nn: nn.Sequential(*(to_torch(c) for c in m.layers)),
    layers.ModuleList: lambda m, nn: nn.ModuleList([to_torch(c) for c in m]),
    layers.ModuleDict: lambda m, nn: nn.ModuleDict({k: to_torch(c) for k, c in m.items()}),
    layers.RNNCell: _same_names(
        lambda m, nn: nn.RNNCell(
            m.input_size, m.hidden_size, m.bias, m.nonlinearity, dtype=_dtype_of(m)
        )
    ),
    layers.GRUCell: _same_names(
        lambda m, nn: nn.GRUCell(m.input_size, m.hidden_size, m.bias, dtype=_dtype_of(m))
    ),
    layers.RNN: _same_names(
        lambda m, nn: nn.RNN(
            m.input_size,
            m.hidden_size,
            m.num_layers,
            m.nonlinearity,
            m.bias,
            m.batch_first,
            dtype=_dtype_of(m),
        )
    ),
    layers.GRU: _same_names(
        lambda m, nn: nn.GRU(
            m.input_size,
            m.hidden_size,
            m.num_layers,
            m.bias,
            m.batch_first,
            dtype=_dtype_of(m),
        )
    ),
    layers.MultiheadAttention: _mha_to,
    layers.Embedding: _same_names(
        lambda m, nn: nn.Embedding(
            m.num_embeddings, m.embedding_dim, m.padding_idx, dtype=_dtype_of(m)
        )
    ),
    layers.LayerNorm: _same_names(
        lambda m, nn: nn.LayerNorm(
            m.normalized_shape,
            m.eps,
            m.elementwise_affine,
            bias=m.bias is not None,
            dtype=_dtype_of(m),
        )
    ),
    layers.BatchNorm1d: _same_names(lambda m, nn: _batch_norm(nn.BatchNorm1d, m)),
    layers.BatchNorm2d: _same_names(lambda m, nn: _batch_norm(nn.BatchNorm2d, m)),
    layers.Conv1d: _same_names(lambda m, nn: _conv(nn.Conv1d, m)),
    layers.Conv2d: _same_names(lambda m, nn: _conv(nn.Conv2d, m)),
    layers.MaxPool2d: lambda m, nn: nn.MaxPool2d(m.kernel_size, m.stride, m.padding, m.dilation),
    layers.AvgPool2d: lambda m, nn: nn.AvgPool2d(
        m.kernel_size, m.stride, m.padding, count_include_pad=m.count_include_pad
    ),
    layers.Flatten: lambda m, nn: nn.Flatten(m.start_dim, m.end_dim),
    layers.GELU: lambda m, nn: nn.GELU(approximate=m.approximate),
    layers.SiLU: lambda m, nn: nn.SiLU(),
    layers.Softplus: lambda m, nn: nn.Softplus(m.beta, m.threshold),
}


def to_torch(model: Module) -> Any:
    """The ``torch.nn`` module equivalent to ``model``, with copies of its weights.

    >>> import numpy as np, nn
    >>> gru = nn.GRU(3, 5, rng=np.random.default_rng(0))
    >>> theirs = to_torch(gru)
    >>> type(theirs).__name__, tuple(theirs.weight_hh_l0.shape)
    ('GRU', (15, 5))
    """
    torch = _torch()
    if not isinstance(model, Module):
        raise TypeError(f"to_torch: expected an nn Module, got {type(model).__name__}")
    convert = next((c for cls, c in _TO_TORCH.items() if type(model) is cls), None)
    if convert is None:
        # subclasses of a listed layer (MLP is a Sequential) convert as that layer
        convert = next((c for cls, c in _TO_TORCH.items() if isinstance(model, cls)), None)
    if convert is None:
        raise TypeError(
            f"to_torch: no torch equivalent for {type(model).__name__}; convertible: "
            f"{', '.join(sorted(cls.__name__ for cls in _TO_TORCH))}"
        )
    theirs = convert(model, torch.nn)
    return theirs.train(model.training)


# --- from torch ------------------------------------------------------------------------


def _dtype_from(module: Any) -> Any:
    params = list(module.parameters())
    return None if not params else str(params[0].dtype).removeprefix("torch.")


def _numpy_state(module: Any) -> dict[str, np.ndarray]:
    return {k: _array(v) for k, v in module.state_dict().items()}


def _linear_from(m: Any) -> layers.Linear:
    ours = layers.Linear(
        m.in_features, m.out_features, bias=m.bias is not None, dtype=_dtype_from(m)
    )
    state = {"weight": _array(m.weight).T}
    if m.bias is not None:
        state["bias"] = _array(m.bias)
    return _fill(ours, state)  # type: ignore[return-value]


def _mha_from(m: Any) -> layers.MultiheadAttention:
    if not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
        raise TypeError(
            "from_torch: MultiheadAttention with kdim/vdim, add_bias_kv or add_zero_attn "
            "has no equivalent here"
        )
    ours = layers.MultiheadAttention(
        m.embed_dim,
        m.num_heads,
        dropout=m.dropout,
        bias=m.in_proj_bias is not None,
        batch_first=m.batch_first,
        dtype=_dtype_from(m),
    )
    state = {
        "in_proj_weight": _array(m.in_proj_weight),
        "out_proj.weight": _array(m.out_proj.weight).T,
    }
    if m.in_proj_bias is not None:
        state |= {"in_proj_bias": _array(m.in_proj_bias), "out_proj.bias": _array(m.out_proj.bias)}
    return _fill(ours, state)  # type: ignore[return-value]


def _recurrent_from(m: Any, nn: Any) -> Module:
    if m.bidirectional or getattr(m, "proj_size", 0) or m.dropout:
        raise TypeError(
            f"from_torch: {type(m).__name__} with bidirectional, proj_size or dropout "
            "has no equivalent here"
        )
    cls = layers.GRU if isinstance(m, nn.GRU) else layers.RNN
    extra = {} if cls is layers.GRU else {"nonlinearity": m.nonlinearity}
    ours = cls(
        m.input_size,
        m.hidden_size,
        m.num_layers,
        bias=m.bias,
        batch_first=m.batch_first,
        dtype=_dtype_from(m),
        **extra,
    )
    return _fill(ours, _numpy_state(m))


def _batch_norm_from(cls: Any, m: Any) -> Module:
    state = _numpy_state(m)
    dtype = next((a.dtype for a in state.values() if a.dtype.kind == "f"), None)
    ours = cls(*_norm_args(m), dtype=dtype)
    return _fill(ours, state)


def _conv_from(cls: Any, m: Any) -> Module:
    if m.padding_mode != "zeros":
        raise TypeError(f"from_torch: {type(m).__name__} with padding_mode={m.padding_mode!r}")
    ours = cls(*_conv_args(m), bias=m.bias is not None, dtype=_dtype_from(m))
    return _fill(ours, _numpy_state(m))


def _from_table(nn: Any) -> dict[Any, Callable[[Any], Module]]:
    return {
        nn.Linear: _linear_from,
        nn.ReLU: lambda m: layers.ReLU(),
        nn.LeakyReLU: lambda m: layers.LeakyReLU(m.negative_slope),
        nn.Sigmoid: lambda m: layers.Sigmoid(),
        nn.Tanh: lambda m: layers.Tanh(),
        nn.Softmax: lambda m: layers.Softmax(axis=-1 if m.dim is None else m.dim),
        nn.Dropout: lambda m: layers.Dropout(m.p),
        nn.Sequential: lambda m: layers.Sequential(*(from_torch(c) for c in m)),
        nn.ModuleList: lambda m: layers.ModuleList([from_torch(c) for c in m]),
        nn.ModuleDict: lambda m: layers.ModuleDict({k: from_torch(c) for k, c in m.items()}),
        nn.RNNCell: lambda m: _fill(
            layers.RNNCell(
                m.input_size, m.hidden_size, m.bias, m.nonlinearity, dtype=_dtype_from(m)
            ),
            _numpy_state(m),
        ),
        nn.GRUCell: lambda m: _fill(
            layers.GRUCell(m.input_size, m.hidden_size, m.bias, dtype=_dtype_from(m)),
            _numpy_state(m),
        ),
        nn.RNN: lambda m: _recurrent_from(m, nn),
        nn.GRU: lambda m: _recurrent_from(m, nn),
        nn.MultiheadAttention: _mha_from,
        nn.Embedding: lambda m: _fill(
            layers.Embedding(
                m.num_embeddings, m.embedding_dim, m.padding_idx, dtype=_dtype_from(m)
            ),
            _numpy_state(m),
        ),
        nn.LayerNorm: lambda m: _fill(
            layers.LayerNorm(
                m.normalized_shape,
                m.eps,
                m.elementwise_affine,
                bias=m.bias is not None,
                dtype=_dtype_from(m),
            ),
            _numpy_state(m),
        ),
        nn.BatchNorm1d: lambda m: _batch_norm_from(layers.BatchNorm1d, m),
        nn.BatchNorm2d: lambda m: _batch_norm_from(layers.BatchNorm2d, m),
        nn.Conv1d: lambda m: _conv_from(layers.Conv1d, m),
        nn.Conv2d: lambda m: _conv_from(layers.Conv2d, m),
        nn.MaxPool2d: lambda m: layers.MaxPool2d(
            m.kernel_size, m.stride, m.padding, m.dilation, m.ceil_mode
        ),
        nn.AvgPool2d: lambda m: layers.AvgPool2d(
            m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad
        ),
        nn.Flatten: lambda m: layers.Flatten(m.start_dim, m.end_dim),
        nn.GELU: lambda m: layers.GELU(m.approximate),
        nn.SiLU: lambda m: layers.SiLU(),
        nn.Softplus: lambda m: layers.Softplus(m.beta, m.threshold),
    }


def from_torch(module: Any) -> Module:
    """Our module equivalent to the ``torch.nn`` module ``module``, with copies of its weights.

    >>> import torch
    >>> theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU())
    >>> ours = from_torch(theirs)
    >>> ours.describe(), ours[0].weight.shape
    ('Sequential(2 layers)', (3, 2))
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    convert = _from_table(torch.nn).get(type(module))
    if convert is None:
        raise TypeError(
            f"from_torch: no equivalent for torch.nn.{type(module).__name__}; convertible: "
            f"{', '.join(sorted(cls.__name__ for cls in _from_table(torch.nn)))}"
        )
    return convert(module).train(module.training)


__all__ = [
    "from_torch",
    "to_torch",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
