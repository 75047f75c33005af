"""nn: modules, layers, MLPs, initializers, losses, optimizers, data and training on autodiff.

>>> import numpy as np, nn
>>> _ = nn.manual_seed(0)
>>> model = nn.MLP([4, 8, 3])
>>> model(np.ones((2, 4))).shape
(2, 3)
"""

from . import data, diagnostics, functional, init, losses, optim, scalar
from .convert import from_torch, to_torch
from .layers import (
    GELU,
    GRU,
    RNN,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    GRUCell,
    LayerNorm,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ModuleDict,
    ModuleList,
    MultiheadAttention,
    ReLU,
    RNNCell,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .mlp import MLP
from .module import Module, Parameter
from .random import manual_seed
from .training import Callback, EarlyStopping, History, evaluate, fit

__all__ = [
    "GELU",
    "GRU",
    "MLP",
    "RNN",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Callback",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "EarlyStopping",
    "Embedding",
    "Flatten",
    "GRUCell",
    "History",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MaxPool2d",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "Parameter",
    "RNNCell",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "data",
    "diagnostics",
    "evaluate",
    "fit",
    "from_torch",
    "functional",
    "init",
    "losses",
    "manual_seed",
    "optim",
    "scalar",
    "to_torch",
]
