"""Embedding: a lookup table of vectors, one row per token."""

from __future__ import annotations

from typing import Any

from autodiff import Tensor

from .. import functional as F
from .. import init as initializers
from ..module import Module, Parameter
from ..random import get_rng
from .base import check_width


class Embedding(Module):
    """Row ``i`` of ``weight`` (num_embeddings, embedding_dim) for each integer ``i`` of
    the input, as ``torch.nn.Embedding``: the output is ``input.shape + (embedding_dim,)``.
    The weight starts standard normal (PyTorch's default), from nn's generator or
    ``rng``; the row ``padding_idx``, if given, starts at zero and gets no gradient.

    >>> import numpy as np
    >>> emb = Embedding(27, 10, rng=0)
    >>> emb(np.array([[1, 2, 3]])).shape
    (1, 3, 10)
    >>> emb(np.array([[1, 27]]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    IndexError: Embedding(27, 10): index 27 at position (0, 1) is out of range for 27 ...
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        *,
        dtype: Any = None,
        rng: Any = None,
    ) -> None:
        super().__init__()
        owner = "Embedding"
        self.num_embeddings = check_width(num_embeddings, "num_embeddings", owner)
        self.embedding_dim = check_width(embedding_dim, "embedding_dim", owner)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(
                    f"{owner}: padding_idx {padding_idx} is out of range for "
                    f"{num_embeddings} embeddings"
                )
            padding_idx = int(padding_idx) % self.num_embeddings
        self.padding_idx = padding_idx
        dt = initializers.float_dtype(dtype, owner)
        w = get_rng(rng, owner).standard_normal((self.num_embeddings, self.embedding_dim))
        if padding_idx is not None:
            w[padding_idx] = 0
        self.weight = Parameter(w.astype(dt), dtype=dt)

    def forward(self, x: Any) -> Tensor:
        return F.embedding(x, self.weight, self.padding_idx, who=self.describe())

    def output_size(self, input_size: int | None) -> int | None:
        return self.embedding_dim

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else text + f", padding_idx={self.padding_idx}"
