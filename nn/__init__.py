"""nn: modules, layers, losses and optimizers built on autodiff (see the nn issue)."""

from . import losses, optim

__all__ = ["losses", "optim"]
