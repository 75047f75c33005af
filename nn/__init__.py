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
from .layers import Dropout, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from .mlp import MLP
from .model_selection import cross_validate
from .module import Module, Parameter
from .random import manual_seed
from .training import History, evaluate, fit, predict

__all__ = [
    "MLP",
    "Callback",
    "Dropout",
    "EarlyStopping",
    "History",
    "LeakyReLU",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "callbacks",
    "cross_validate",
    "data",
    "diagnostics",
    "evaluate",
    "fit",
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
