"""numpy on Tensors: ``autodiff.numpy`` holds numpy's functions, differentiable.

Write plain numpy and get gradients: a numpy function or ufunc called on Tensors
(``np.sin(x)``, ``np.sum(x, axis=0)``, ``x % 0.7``) runs the function of the same
name here, records the graph and returns a Tensor (:mod:`autodiff.numpy.dispatch`).
The functions can also be called directly, as HIPS autograd's ``autograd.numpy``:

>>> import numpy as np
>>> import autodiff.numpy as anp
>>> from autodiff import Tensor
>>> x = Tensor([0.0, 1.0], requires_grad=True)
>>> y = np.sin(x) * anp.exp(x)      # both record the graph
>>> y.sum().backward()
>>> x.grad.round(4)
array([1.   , 3.756])

The surface, in one rule: **every function is here** (``anp.sin``, ``anp.cumsum``,
``anp.concatenate``, ``anp.zeros``), numpy's own call reaches it through dispatch,
and **Tensor has a method where ndarray has one** (``x.sum()``, ``x.cumsum()``,
``x.ravel()``, ``x.astype()``, but no ``x.sin()``: ndarray has none), plus
``relu``/``sigmoid``/``softmax`` and friends it always had. ``Value`` has the scalar
elementwise functions as methods (``Value(1.0).sin()``) and ``anp.sin(value)`` works
too.

Results with no gradient to carry (integers and booleans: ``np.argmax``,
``np.isnan``, ``np.shape``) are plain numpy results. A numpy function with no
counterpart here raises ``TypeError`` naming it rather than returning an array cut
from the graph; ``t.data`` or ``np.asarray(t)`` give the data when that is what is
wanted.

Functions live by family: :mod:`.elementwise`, :mod:`.reductions`, :mod:`.shape`,
:mod:`.constructors`, :mod:`.products` and :mod:`.linalg` (``np.linalg.X`` runs
``autodiff.numpy.linalg.X``). Their derivatives are ops of :mod:`autodiff.ops`.
"""

from . import linalg
from .constructors import *  # noqa: F403
from .constructors import __all__ as _constructors
from .elementwise import *  # noqa: F403
from .elementwise import __all__ as _elementwise
from .products import *  # noqa: F403
from .products import __all__ as _products
from .reductions import *  # noqa: F403
from .reductions import __all__ as _reductions
from .shape import *  # noqa: F403
from .shape import __all__ as _shape

__all__ = [*_constructors, *_elementwise, *_reductions, *_shape]
__all__ += [*_products, "linalg"]
