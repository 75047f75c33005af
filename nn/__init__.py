"""nn: modules, layers, MLPs, initializers, losses, optimizers, data and training on autodiff.

>>> import numpy as np, nn
>>> _ = nn.manual_seed(0)
>>> model = nn.MLP([4, 8, 3])
>>> model(np.ones((2, 4))).shape
(2, 3)
"""

from . import data, diagnostics, init, losses, optim, scalar
from .convert import from_torch, to_torch
from .layers import (
    GRU,
    RNN,
    Dropout,
    GRUCell,
    LeakyReLU,
    Linear,
    ModuleDict,
    ModuleList,
    MultiheadAttention,
    ReLU,
    RNNCell,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .mlp import MLP
from .module import Module, Parameter
from .random import manual_seed
from .training import Callback, EarlyStopping, History, evaluate, fit

__all__ = [
    "GRU",
    "MLP",
    "RNN",
    "Callback",
    "Dropout",
    "EarlyStopping",
    "GRUCell",
    "History",
    "LeakyReLU",
    "Linear",
    "Module",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "Parameter",
    "RNNCell",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "data",
    "diagnostics",
    "evaluate",
    "fit",
    "from_torch",
    "init",
    "losses",
    "manual_seed",
    "optim",
    "scalar",
    "to_torch",
]
