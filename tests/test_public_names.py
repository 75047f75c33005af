"""Tab completion on a public module shows its own names, not what it imports."""

import importlib
import pkgutil

import pytest

import autodiff
import nn

MODULES = [
    info.name
    for package in (autodiff, nn)
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".")
    if not info.ispkg and not info.name.rsplit(".", 1)[-1].startswith("_")
]


@pytest.mark.parametrize("name", MODULES)
def test_dir_lists_the_modules_own_public_names(name):
    module = importlib.import_module(name)
    shown = dir(module)
    assert shown == sorted(module.__all__)
    assert not {"np", "math", "Any", "annotations", "os", "Callable"} & set(shown)
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.__all__ names {public!r}, which it lacks"


@pytest.mark.parametrize("package", ["autodiff", "autodiff.viz", "autodiff.ops", "nn", "nn.layers"])
def test_packages_show_their_names_and_submodules_only(package):
    module = importlib.import_module(package)
    submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
    leaked = {n for n in dir(module) if not n.startswith("_")} - set(module.__all__) - submodules
    assert not leaked


def test_every_public_module_is_covered():
    assert {"autodiff.cli", "autodiff.viz.graph", "nn.module", "nn.losses"} <= set(MODULES)
