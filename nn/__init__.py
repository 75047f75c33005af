"""nn: modules, layers, MLPs, initializers, losses, optimizers, data and training on autodiff.

>>> import numpy as np, nn
>>> _ = nn.manual_seed(0)
>>> model = nn.MLP([4, 8, 3])
>>> model(np.ones((2, 4))).shape
(2, 3)
"""

from . import data, diagnostics, init, losses, optim, scalar
from .layers import Dropout, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from .mlp import MLP
from .module import Module, Parameter
from .random import manual_seed
from .training import Callback, EarlyStopping, History, evaluate, fit

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
    "data",
    "diagnostics",
    "evaluate",
    "fit",
    "init",
    "losses",
    "manual_seed",
    "optim",
    "scalar",
]
