"""Containers: modules that hold other modules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..module import Module


class Sequential(Module):
    """Modules applied one after another; ``layers`` holds them.

    >>> from nn import Linear, Tanh
    >>> model = Sequential(Linear(2, 3), Tanh())
    >>> len(model), model[1]
    (2, Tanh())
    """

    is_chain = True

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                hint = (
                    " (pass the modules as separate arguments: Sequential(*layers))"
                    if isinstance(m, (list, tuple))
                    else ""
                )
                raise TypeError(
                    f"Sequential: argument {i} must be a Module, got {type(m).__name__}{hint}"
                )
        self.layers: list[Module] = list(modules)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def output_size(self, input_size: int | None) -> int | None:
        size = input_size
        for layer in self.layers:
            size = layer.output_size(size)
        return size

    def extra_repr(self) -> str:
        return f"{len(self.layers)} layers"


__all__ = [
    "Sequential",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
