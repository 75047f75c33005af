"""Products of Tensors with numpy's signatures: dot, inner, outer, tensordot, einsum,
kron (matmul, a ufunc, is in :mod:`.elementwise`).

Each takes Tensors, arrays, lists or numbers. With a Tensor among the operands the
result is a Tensor that records the graph; with none it is what numpy returns. dot,
inner, outer and tensordot compute their forward with numpy's own (BLAS) routine and
record it as the equivalent einsum, whose vjp serves them all; kron is composed of
reshapes and a broadcast product.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..ops.products import _LETTERS, Contraction, contract, parse_subscripts
from ..tensor import Tensor, _leaf


def _operand(x: Any, what: str) -> Any:
    """A Tensor as is; anything else as an array of real numbers."""
    if isinstance(x, Tensor):
        return x
    array = np.asarray(x)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{what} takes real numbers, got {type(x).__name__} of {array.dtype}")
    return array


def _data(x: Any) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else x  # type: ignore[no-any-return]


def _recorded(contraction: Contraction, xs: tuple[Any, ...], data: Any) -> Any:
    """The product of ``xs`` given its forward ``data``: a Tensor when one operand is."""
    if not any(isinstance(x, Tensor) for x in xs):
        return data
    out = contract(contraction, *xs, data=np.asarray(data))
    return out if isinstance(out, Tensor) else _leaf(out)


def _product(a: Any, b: Any, a_terms: str, b_terms: str, out_terms: str, data: Any) -> Any:
    return _recorded(Contraction((a_terms, b_terms), out_terms), (a, b), data)


def einsum(*operands: Any, optimize: Any = False, **kwargs: Any) -> Any:
    """Einstein summation as numpy's ``einsum``, differentiable in every operand.

    Subscripts may repeat a letter (a diagonal or a trace), use ``...`` for broadcast
    axes, and leave the output implicit; numpy's other form, operands interleaved
    with lists of axis numbers, works too. ``optimize`` is accepted for numpy's
    signature (the contraction order is chosen here).

    >>> a = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> t = einsum("ii", a)  # the trace
    >>> t.backward()
    >>> float(t.data), a.grad.tolist()
    (5.0, [[1.0, 0.0], [0.0, 1.0]])
    """
    if kwargs.get("out") is not None:
        raise TypeError("einsum: out= is not supported on Tensors (the result is a new Tensor)")
    unsupported = sorted(k for k, v in kwargs.items() if v is not None)
    if unsupported:  # dtype, order, casting: a Tensor's result keeps numpy's defaults
        raise TypeError(f"einsum on Tensors does not take {', '.join(unsupported)}")
    if not operands:
        raise TypeError("einsum needs subscripts and at least one operand")
    if isinstance(operands[0], str):
        subscripts, xs = operands[0], operands[1:]
    else:
        subscripts, xs = _sublists(operands)
    if not xs:
        raise TypeError("einsum needs at least one operand after the subscripts")
    xs = tuple(_operand(x, "einsum") for x in xs)
    contraction = parse_subscripts(subscripts, [np.shape(_data(x)) for x in xs])
    try:
        data = np.einsum(subscripts, *(_data(x) for x in xs), optimize=optimize)
    except ValueError as err:
        raise ValueError(f"einsum {subscripts!r}: {err}") from None
    return _recorded(contraction, xs, data)


def _sublists(args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """``einsum(a, [0, 1], b, [1, 2], [0, 2])`` as subscripts and operands."""

    def term(sublist: Any) -> str:
        try:
            return "".join("..." if k is Ellipsis else _LETTERS[k] for k in sublist)
        except (TypeError, IndexError):
            raise ValueError(
                f"einsum: a sublist holds ints 0-51 and Ellipsis, got {sublist!r}"
            ) from None

    pairs = list(args)
    output = term(pairs.pop()) if len(pairs) % 2 else None
    xs, terms = pairs[0::2], [term(s) for s in pairs[1::2]]
    subscripts = ",".join(terms) + ("" if output is None else "->" + output)
    return subscripts, tuple(xs)


def _forward(name: str, fn: Any, a: Any, b: Any, *args: Any) -> Any:
    """numpy's ``fn`` on the data of ``a`` and ``b``; a shape error names both shapes."""
    try:
        return fn(_data(a), _data(b), *args)
    except (ValueError, IndexError) as err:
        raise ValueError(
            f"{name}: shapes {np.shape(_data(a))} and {np.shape(_data(b))} do not fit: {err}"
        ) from None


def _over_axes(a: Any, b: Any, a_axes: list[int], b_axes: list[int], data: Any) -> Any:
    """The product summing ``a``'s ``a_axes`` against ``b``'s ``b_axes`` (non-negative),
    output axes a's others then b's others, as numpy's tensordot; ``data`` its forward."""
    na, nb = np.ndim(_data(a)), np.ndim(_data(b))
    a_terms = _LETTERS[:na]
    b_list = list(_LETTERS[na : na + nb])
    for i, j in zip(a_axes, b_axes, strict=True):
        b_list[j] = a_terms[i]
    b_terms = "".join(b_list)
    out = "".join(c for k, c in enumerate(a_terms) if k not in a_axes)
    out += "".join(c for k, c in enumerate(b_terms) if k not in b_axes)
    return _product(a, b, a_terms, b_terms, out, data)


def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum products over the last ``axes`` axes of ``a`` and the first of ``b`` (an int),
    or over the axes the pair ``(a_axes, b_axes)`` names, as numpy's ``tensordot``.

    >>> tensordot(Tensor(np.ones((2, 3))), np.ones((3, 4)), axes=1).shape
    (2, 4)
    """
    a, b = _operand(a, "tensordot"), _operand(b, "tensordot")
    data = _forward(f"tensordot with axes={axes!r}", np.tensordot, a, b, axes)
    na, nb = np.ndim(_data(a)), np.ndim(_data(b))
    if isinstance(axes, (int, np.integer)):
        return _over_axes(a, b, list(range(na - int(axes), na)), list(range(int(axes))), data)
    a_given, b_given = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
    return _over_axes(a, b, [int(x) % na for x in a_given], [int(x) % nb for x in b_given], data)


def _scaled(a: Any, b: Any) -> Any:
    """``a * b`` for a 0-d operand, a Tensor when either is one."""
    if isinstance(a, Tensor):
        return a * b
    if isinstance(b, Tensor):
        return b * a
    return np.multiply(a, b)


def dot(a: Any, b: Any, out: Any = None) -> Any:
    """numpy's ``dot``: the inner product of vectors, the matrix product of matrices,
    a sum over the last axis of ``a`` and the second-to-last of ``b`` otherwise, and
    a product with a 0-d operand.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> y = dot(x, x)
    >>> y.backward()
    >>> float(y.data), x.grad.tolist()
    (5.0, [2.0, 4.0])
    """
    if out is not None:
        raise TypeError("dot: out= is not supported on Tensors (the result is a new Tensor)")
    a, b = _operand(a, "dot"), _operand(b, "dot")
    na, nb = np.ndim(_data(a)), np.ndim(_data(b))
    if na == 0 or nb == 0:
        return _scaled(a, b)
    return _over_axes(a, b, [na - 1], [max(nb - 2, 0)], _forward("dot", np.dot, a, b))


def inner(a: Any, b: Any) -> Any:
    """numpy's ``inner``: a sum of products over the last axes of ``a`` and ``b``.

    >>> inner(Tensor(np.ones((2, 3))), np.ones((4, 3))).shape
    (2, 4)
    """
    a, b = _operand(a, "inner"), _operand(b, "inner")
    na, nb = np.ndim(_data(a)), np.ndim(_data(b))
    if na == 0 or nb == 0:
        return _scaled(a, b)
    return _over_axes(a, b, [na - 1], [nb - 1], _forward("inner", np.inner, a, b))


def outer(a: Any, b: Any, out: Any = None) -> Any:
    """numpy's ``outer``: every element of ``a`` (flattened) times every element of ``b``.

    >>> outer(Tensor([1.0, 2.0]), [1.0, 10.0, 100.0]).data
    array([[  1.,  10., 100.],
           [  2.,  20., 200.]])
    """
    if out is not None:
        raise TypeError("outer: out= is not supported on Tensors (the result is a new Tensor)")
    a, b = _operand(a, "outer"), _operand(b, "outer")
    a = a.reshape(-1)
    b = b.reshape(-1)
    return _product(a, b, "i", "j", "ij", np.outer(_data(a), _data(b)))


def kron(a: Any, b: Any) -> Any:
    """numpy's ``kron``: the Kronecker product, blocks of ``b`` scaled by each element of ``a``.

    Composed of reshapes and one broadcast product, so its gradient needs no op of its own.

    >>> kron(Tensor([1.0, 2.0]), np.array([1.0, 10.0])).data
    array([ 1., 10.,  2., 20.])
    """
    a, b = _operand(a, "kron"), _operand(b, "kron")
    if not any(isinstance(x, Tensor) for x in (a, b)):
        return np.kron(a, b)
    a = a if isinstance(a, Tensor) else _leaf(a)
    b = b if isinstance(b, Tensor) else _leaf(b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    # a's axes interleaved with b's: element (i, k, j, l) = a[i, j] * b[k, l]
    spread_a = a.reshape(tuple(n for m in sa for n in (m, 1)))
    spread_b = b.reshape(tuple(n for m in sb for n in (1, m)))
    return (spread_a * spread_b).reshape(tuple(m * n for m, n in zip(sa, sb, strict=True)))


__all__ = ["dot", "einsum", "inner", "kron", "outer", "tensordot"]
