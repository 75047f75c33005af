"""Containers: modules that hold other modules."""

from __future__ import annotations

from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
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


def _check_module(m: Any, where: str, owner: str) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"{owner}: {where} must be a Module, got {type(m).__name__}")
    return m


class ModuleList(Module):
    """A list of modules whose parameters the owner finds, as ``torch.nn.ModuleList``;
    it has no forward of its own: the owner decides how to call them.

    >>> from nn import Linear
    >>> blocks = ModuleList([Linear(2, 2), Linear(2, 2)])
    >>> blocks.append(Linear(2, 1))
    >>> len(blocks), blocks[-1].out_features, len(blocks.parameters())
    (3, 1, 6)
    """

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        self.modules: list[Module] = []
        self.extend(modules)

    def append(self, module: Module) -> None:
        """Add ``module`` at the end."""
        self.modules.append(_check_module(module, f"item {len(self.modules)}", "ModuleList"))

    def extend(self, modules: Iterable[Module]) -> None:
        """Add each of ``modules`` at the end (all checked before any is added)."""
        if isinstance(modules, Module) or not isinstance(modules, Iterable):
            raise TypeError(
                f"ModuleList: expected an iterable of Modules, got {type(modules).__name__}"
            )
        items = list(modules)
        for i, m in enumerate(items):
            _check_module(m, f"item {len(self.modules) + i}", "ModuleList")
        self.modules.extend(items)

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.modules)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(self.modules[index])
        return self.modules[index]

    def extra_repr(self) -> str:
        return f"{len(self.modules)} modules"


class ModuleDict(Module):
    """Modules by name (insertion order), as ``torch.nn.ModuleDict``.

    >>> from nn import Linear, ReLU
    >>> heads = ModuleDict({"proj": Linear(2, 3), "act": ReLU()})
    >>> list(heads), heads["proj"].out_features, "act" in heads
    (['proj', 'act'], 3, True)
    """

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        super().__init__()
        self.modules: dict[str, Module] = {}
        if modules is not None:
            self.update(modules)

    def update(self, modules: Mapping[str, Module]) -> None:
        """Add or replace the modules of ``modules`` (all checked before any is added)."""
        if not isinstance(modules, Mapping):
            raise TypeError(f"ModuleDict: expected a mapping, got {type(modules).__name__}")
        for key, m in modules.items():
            if not isinstance(key, str) or not key or "." in key:
                raise ValueError(f"ModuleDict: keys are non-empty strings without '.', got {key!r}")
            _check_module(m, f"item {key!r}", "ModuleDict")
        self.modules.update(modules)

    def __setitem__(self, key: str, module: Module) -> None:
        self.update({key: module})

    def __getitem__(self, key: str) -> Module:
        if key not in self.modules:
            raise KeyError(f"ModuleDict: no module {key!r}; keys: {list(self.modules)}")
        return self.modules[key]

    def __contains__(self, key: object) -> bool:
        return key in self.modules

    def __len__(self) -> int:
        return len(self.modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self.modules)

    def keys(self) -> KeysView[str]:
        """The names, in insertion order."""
        return self.modules.keys()

    def values(self) -> ValuesView[Module]:
        """The modules, in insertion order."""
        return self.modules.values()

    def items(self) -> ItemsView[str, Module]:
        """``(name, module)`` pairs, in insertion order."""
        return self.modules.items()

    def extra_repr(self) -> str:
        return ", ".join(self.modules)


__all__ = [
    "ModuleDict",
    "ModuleList",
    "Sequential",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
