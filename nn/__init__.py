"""nn: modules, layers, MLPs and initializers built on autodiff's public API.

>>> import numpy as np, nn
>>> _ = nn.manual_seed(0)
>>> model = nn.MLP([4, 8, 3])
>>> model(np.ones((2, 4))).shape
(2, 3)
"""

from . import init, losses, optim, scalar
from .layers import Dropout, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from .mlp import MLP
from .module import Module, Parameter
from .random import manual_seed

__all__ = [
    "MLP",
    "Dropout",
    "LeakyReLU",
    "Linear",
    "Module",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "init",
    "losses",
    "manual_seed",
    "optim",
    "scalar",
]
