"""Products: matmul, and einsum, which dot, inner, outer and tensordot record as."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import BINARY, NARY, Node
from .core import Op, _plain, _shape, register, sum_to


def _mT(x: Any) -> Any:
    return x.swapaxes(-1, -2)


def _rows(x: Any) -> Any:
    """A stack of matrices (..., n, k) as one (rows, k) matrix."""
    return x.reshape(-1, x.shape[-1])


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # (batch..., n, k) @ (k, m) as one (rows, k) @ (k, m) product: numpy would run one
    # small product per matrix of the stack (a Linear layer on (B, T, C) inputs, 3-6x
    # slower at makemore's sizes).
    if b.ndim == 2 and a.ndim > 2:
        return (_rows(a) @ b).reshape(*a.shape[:-1], b.shape[1])  # type: ignore[no-any-return]
    return np.matmul(a, b)  # type: ignore[no-any-return]


def _vjp_matmul_a(g: Any, out: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = a.ndim, b.ndim  # arrays and Tensors alike (matmul has no scalar operands)
    if a_nd == 2 and b_nd == 2:  # the common case first
        return g @ b.T
    if b_nd == 2:  # a stack times one matrix: one product over all rows (see _matmul)
        return (_rows(g) @ b.T).reshape(a.shape)
    if b_nd == 1:  # (..., n) @ (n,) -> (...): outer product with g
        return g[..., None] * b
    if a_nd == 1:  # (n,) @ (..., n, m) -> (..., m)
        return sum_to((g[..., None, :] @ _mT(b))[..., 0, :], _shape(a))
    return g @ _mT(b)


def _vjp_matmul_b(g: Any, out: Any, a: Any, b: Any) -> Any:
    a_nd, b_nd = a.ndim, b.ndim
    if a_nd == 2 and b_nd == 2:
        return a.T @ g
    if b_nd == 2 and a_nd > 2:  # summed over the stack: one product over all rows
        return _rows(a).T @ _rows(g)
    if a_nd == 1 and b_nd == 1:  # dot product
        return g * a
    if a_nd == 1:  # (n,) @ (..., n, m): outer product of a and g
        return a[:, None] * g[..., None, :]
    if b_nd == 1:  # (..., k, n) @ (n,) -> (..., k)
        return sum_to((_mT(a) @ g[..., None])[..., 0], _shape(b))
    return _mT(a) @ g


MATMUL = register(Op("@", BINARY, _vjp_matmul_a, array=_matmul, vjp_b=_vjp_matmul_b, symbol="@"))


# --- einsum: every contraction, and the vjps of dot, inner, outer and tensordot -----------

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class Contraction:
    """An einsum with every subscript spelt out: one letter per axis of each operand
    (an ellipsis replaced by letters), the output's letters, and which operands are
    differentiated (a constant operand's gradient is never computed).

    >>> Contraction(("ij", "jk"), "ik").spec
    'ij,jk->ik'
    """

    __slots__ = ("inputs", "output", "wanted", "spec")

    def __init__(
        self, inputs: tuple[str, ...], output: str, wanted: tuple[bool, ...] | None = None
    ) -> None:
        self.inputs = inputs
        self.output = output
        self.wanted = (True,) * len(inputs) if wanted is None else wanted
        self.spec = ",".join(inputs) + "->" + output

    def __repr__(self) -> str:
        return f"Contraction({self.spec!r})"


def parse_subscripts(subscripts: str, shapes: list[tuple[int, ...]]) -> Contraction:
    """numpy's einsum subscripts for operands of ``shapes``, ellipses expanded and the
    output made explicit (implicit mode: the letters used once, in sorted order, after
    the ellipsis axes).

    >>> parse_subscripts("...j,jk", [(5, 2, 3), (3, 4)]).spec
    'abj,jk->abk'
    """
    subscripts = subscripts.replace(" ", "")
    left, arrow, right = subscripts.partition("->")
    terms = left.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: the subscripts {subscripts!r} name {len(terms)} operand(s), got {len(shapes)}"
        )
    for term in (*terms, right):
        bad = set(term.replace("...", "")) - set(_LETTERS)
        if bad or term.count("...") > 1:
            raise ValueError(
                f"einsum: invalid subscripts {subscripts!r} (letters a-z, A-Z and at most "
                "one '...' per operand)"
            )
    used = set(subscripts)
    spare = iter(c for c in _LETTERS if c not in used)
    n_ellipsis = 0
    for term, shape in zip(terms, shapes, strict=True):
        explicit = len(term.replace("...", ""))
        if "..." in term:
            n_ellipsis = max(n_ellipsis, len(shape) - explicit)
        if explicit > len(shape) or ("..." not in term and explicit != len(shape)):
            raise ValueError(
                f"einsum: operand of shape {shape} does not match its subscripts {term!r}"
            )
    broadcast = "".join(next(spare) for _ in range(n_ellipsis))
    inputs = []
    for term, shape in zip(terms, shapes, strict=True):
        k = len(shape) - len(term.replace("...", ""))
        inputs.append(term.replace("...", broadcast[n_ellipsis - k :]))
    if arrow:
        output = right.replace("...", broadcast)
        if len(set(output)) != len(output) or not set(output) <= set("".join(inputs)):
            raise ValueError(
                f"einsum: output subscripts {right!r} repeat a letter or name one no operand has"
            )
    else:
        joined = "".join(terms).replace("...", "")
        output = broadcast + "".join(sorted(c for c in set(joined) if joined.count(c) == 1))
    return Contraction(tuple(inputs), output)


def _einsum(contraction: Contraction, *xs: np.ndarray) -> np.ndarray:
    # numpy's own loop is fastest for small operands; past that, optimize hands pairs to
    # BLAS (tensordot), which pays off well above its planning cost.
    big = len(xs) > 2 or max((x.size for x in xs), default=0) > 4096
    return np.asarray(np.einsum(contraction.spec, *xs, optimize=big))


def contract(contraction: Contraction, *xs: Any, data: Any = None) -> Any:
    """The einsum of arrays (an array) or of nodes and arrays (a recorded node).

    ``data`` is the forward when the caller has it already (np.dot computed it faster).
    """
    if not any(isinstance(x, Node) for x in xs):
        return _einsum(contraction, *xs) if data is None else data
    from ..tensor import _nary  # tensor.py imports the op table: import on use

    if data is None:
        data = _einsum(contraction, *(_plain(x) for x in xs))
    wanted = tuple(isinstance(x, Node) and x.requires_grad for x in xs)  # type: ignore[attr-defined]
    return _nary(EINSUM, (Contraction(contraction.inputs, contraction.output, wanted), *xs), data)


def _vjp_einsum(g: Any, out: Any, contraction: Contraction, *xs: Any) -> tuple[Any, ...]:
    sizes: dict[str, int] = {}
    for term, x in zip(contraction.inputs, xs, strict=True):
        for c, n in zip(term, _shape(x), strict=True):
            if sizes.get(c, 1) == 1:  # a size other than 1 is what 1 broadcasts to
                sizes[c] = n
    grads: list[Any] = [None]
    for i, wanted in enumerate(contraction.wanted):
        grads.append(_einsum_operand_grad(g, contraction, xs, i, sizes) if wanted else None)
    return tuple(grads)


def _einsum_operand_grad(
    g: Any, contraction: Contraction, xs: tuple[Any, ...], i: int, sizes: dict[str, int]
) -> Any:
    """The gradient of operand ``i``: the einsum of ``g`` with the other operands, whose
    output is operand i's subscripts. Where those repeat a letter (a diagonal, "ii"),
    the repeat gets a fresh letter tied to the first by an identity matrix; a letter no
    other term has (summed away in the forward) is broadcast back by a vector of ones;
    an axis of size 1 that broadcasting stretched is summed over."""
    term, shape = contraction.inputs[i], _shape(xs[i])
    dtype = _plain(g).dtype
    terms = [contraction.output] + [t for j, t in enumerate(contraction.inputs) if j != i]
    operands = [g] + [x for j, x in enumerate(xs) if j != i]
    used = set("".join(contraction.inputs))
    spare = iter(c for c in _LETTERS if c not in used)
    result, seen = "", set()
    for c, n in zip(term, shape, strict=True):
        if n == 1 and sizes[c] != 1:  # stretched by broadcasting: summed back to 1
            continue
        if c in seen:
            fresh = next(spare)
            terms.append(c + fresh)
            operands.append(np.eye(sizes[c], dtype=dtype))
            result += fresh
        else:
            seen.add(c)
            result += c
    present = set("".join(terms))
    for c in sorted(seen - present):
        terms.append(c)
        operands.append(np.ones(sizes[c], dtype=dtype))
    grad = contract(Contraction(tuple(terms), result), *operands)
    return grad if _shape(grad) == shape else grad.reshape(shape)


EINSUM = register(Op("einsum", NARY, _vjp_einsum, array=_einsum))


__all__ = [
    "EINSUM",
    "MATMUL",
    "Contraction",
    "contract",
    "parse_subscripts",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
