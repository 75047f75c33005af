"""nn: modules, layers, losses and optimizers built on autodiff (see the nn issue)."""
