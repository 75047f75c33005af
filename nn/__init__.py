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
from .layers import (
    GELU,
    AvgPool2d,
    BatchNorm1d,
    BatchNorm2d,
    Conv1d,
    Conv2d,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    LeakyReLU,
    Linear,
    MaxPool2d,
    ReLU,
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
    "MLP",
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
    "History",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MaxPool2d",
    "Module",
    "Parameter",
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
    "utils",
]
