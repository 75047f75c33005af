"""nn: modules, layers, MLPs, initializers, losses, optimizers, data and training on autodiff.

>>> import numpy as np, nn
>>> _ = nn.manual_seed(0)
>>> model = nn.MLP([4, 8, 3])
>>> model(np.ones((2, 4))).shape
(2, 3)
"""

from . import (
    callbacks,
    data,
    diagnostics,
    functional,
    init,
    losses,
    metrics,
    model_selection,
    optim,
    plotting,
    scalar,
    utils,
)
from .callbacks import Callback, EarlyStopping
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
from .model_selection import cross_validate
from .module import Module, Parameter
from .random import manual_seed
from .training import History, evaluate, fit, predict

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
    "callbacks",
    "cross_validate",
    "data",
    "diagnostics",
    "evaluate",
    "fit",
    "from_torch",
    "functional",
    "init",
    "losses",
    "manual_seed",
    "metrics",
    "model_selection",
    "optim",
    "plotting",
    "predict",
    "scalar",
    "to_torch",
    "utils",
]
