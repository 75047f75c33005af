"""Layers, one module per family: linear, containers, activations, dropout, conv,
pooling, norm, embedding, flatten, recurrent, attention.

Batches are rows: a layer takes an array of shape ``(batch, features)`` (or one
sample of shape ``(features,)``) as a Tensor or anything numpy takes, and returns a
Tensor. The activations also work on a single ``Value`` (``Softmax`` on a list of
Values), which is how the scalar networks of :mod:`nn.scalar` use them.

>>> import numpy as np
>>> model = Sequential(Linear(3, 4, rng=np.random.default_rng(0)), ReLU(), Linear(4, 2))
>>> model(np.ones((5, 3))).shape
(5, 2)
"""

from .activations import (
    ACTIVATIONS,
    GELU,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    activation_name,
    get_activation,
)
from .attention import MultiheadAttention, causal_mask
from .base import check_width
from .containers import ModuleDict, ModuleList, Sequential
from .conv import Conv1d, Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten
from .linear import Linear
from .norm import BatchNorm1d, BatchNorm2d, LayerNorm
from .pooling import AvgPool2d, MaxPool2d
from .recurrent import GRU, RNN, GRUCell, RNNCell

__all__ = [
    "ACTIVATIONS",
    "GELU",
    "GRU",
    "RNN",
    "AvgPool2d",
    "BatchNorm1d",
    "BatchNorm2d",
    "Conv1d",
    "Conv2d",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "LayerNorm",
    "LeakyReLU",
    "Linear",
    "MaxPool2d",
    "ModuleDict",
    "ModuleList",
    "MultiheadAttention",
    "RNNCell",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
    "activation_name",
    "causal_mask",
    "check_width",
    "get_activation",
]
