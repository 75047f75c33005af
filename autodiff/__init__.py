"""autodiff: reverse-mode automatic differentiation on scalars (Value) and arrays (Tensor).

>>> from autodiff import Value
>>> x = Value(3.0, label="x")
>>> y = (x * x).tanh()
>>> y.backward()
>>> round(x.grad, 6)
0.0
"""

from . import memory as _memory
from .engine import detect_anomaly, no_grad, toposort
from .functional import grad, hessian, hvp, jacfwd, jacobian, jvp, value_and_grad
from .gradcheck import GradcheckError, gradcheck
from .primitive import primitive
from .tensor import Tensor, concatenate, softmax_cross_entropy, stack, where
from .value import Value
from .viz import draw_graph

_memory._at_import()  # see autodiff/memory.py: a training step reuses the memory it freed

__all__ = [
    "GradcheckError",
    "Tensor",
    "Value",
    "concatenate",
    "detect_anomaly",
    "draw_graph",
    "grad",
    "gradcheck",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jvp",
    "no_grad",
    "primitive",
    "softmax_cross_entropy",
    "stack",
    "toposort",
    "value_and_grad",
    "where",
]
