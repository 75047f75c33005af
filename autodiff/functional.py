"""Function transforms in the manner of JAX: grad, value_and_grad, jacobian, hessian, hvp.

Each takes a function of Values, Tensors, plain numbers or arrays and returns a new
function. Plain inputs become fresh leaves and come back as plain results (floats for
numbers, arrays for arrays). Inputs that are already graph nodes are differentiated
in place with ``create_graph``, so results are nodes again and transforms compose:
``grad(grad(f))`` is the second derivative. Nothing touches a user's ``.grad``.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .engine import Node, backpropagate, enable_grad
from .tensor import Tensor
from .value import Value


def _argnums(argnums: Any, n_args: int) -> tuple[int, ...]:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    if not nums:
        raise ValueError("argnums is an empty tuple: name at least one argument")
    for a in nums:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"argnums must be an int or a tuple of ints, got {argnums!r}")
        if not -n_args <= a < n_args:
            raise ValueError(f"argnums {a} is out of range for a call with {n_args} argument(s)")
    return tuple(a % n_args for a in nums)


def _as_leaf(x: Any, position: int) -> tuple[Node, bool]:
    """A node to differentiate with respect to, and whether the caller gave a plain value."""
    if isinstance(x, Value):
        return x, False
    if isinstance(x, Tensor):
        if x.requires_grad:
            return x, False
        return Tensor(x.data, requires_grad=True, dtype=x.dtype), True
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x)), True
    if isinstance(x, (np.ndarray, list, tuple)):
        arr = np.asarray(x)
        dtype = arr.dtype if arr.dtype.kind == "f" else np.float64
        return Tensor(arr, requires_grad=True, dtype=dtype), True
    raise TypeError(
        f"argument {position} is a {type(x).__name__}; differentiate with respect to "
        "numbers, arrays, Values or Tensors"
    )


def _scalar_output(out: Any, what: str) -> Node:
    if isinstance(out, Value):
        return out
    if isinstance(out, Tensor):
        if out.data.size != 1:
            raise ValueError(
                f"{what}: the function must return a scalar, got a Tensor of shape {out.shape} "
                "(use jacobian for vector outputs, or reduce it, e.g. .sum())"
            )
        return out
    raise TypeError(
        f"{what}: the function must return a Value or a one-element Tensor, "
        f"got {type(out).__name__}"
    )


def _seed(out: Node, create_graph: bool) -> Any:
    if isinstance(out, Value):
        return Value(1.0) if create_graph else 1.0
    ones = np.ones(out.data.shape, dtype=out.data.dtype)  # type: ignore[attr-defined]
    return Tensor(ones, dtype=ones.dtype) if create_graph else ones


def _plain(g: Any, leaf: Node) -> Any:
    """A gradient as the caller's kind of value (None: the output does not depend on it)."""
    data = leaf.data  # type: ignore[attr-defined]
    if g is None:
        return 0.0 if isinstance(data, float) else np.zeros_like(data)
    if isinstance(g, Node):
        g = g.data  # type: ignore[attr-defined]
    return float(g) if isinstance(data, float) else np.array(g, dtype=data.dtype)


def _zero_node(leaf: Node) -> Any:
    if isinstance(leaf, Value):
        return Value(0.0)
    return Tensor(np.zeros_like(leaf.data), dtype=leaf.data.dtype)  # type: ignore[attr-defined]


def _differentiate(
    f: Callable[..., Any], argnums: Any, has_aux: bool, what: str, args: tuple[Any, ...]
) -> tuple[Any, Any, Any]:
    """(value, gradients, aux) of f at args with respect to the arguments in argnums."""
    nums = _argnums(argnums, len(args))
    call = list(args)
    leaves, plain = [], []
    for i in nums:
        leaf, was_plain = _as_leaf(args[i], i)
        call[i] = leaf
        leaves.append(leaf)
        plain.append(was_plain)
    with enable_grad():
        result = f(*call)
    aux = None
    if has_aux:
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(f"{what} with has_aux=True needs f to return (output, aux)")
        result, aux = result
    out = _scalar_output(result, what)
    # Inputs that are nodes may belong to an outer transform: record this pass too.
    create_graph = not all(plain)
    grads = backpropagate(out, _seed(out, create_graph), create_graph, inputs=tuple(leaves))
    assert grads is not None
    shaped = []
    for g, leaf, was_plain in zip(grads, leaves, plain, strict=True):
        if was_plain:
            shaped.append(_plain(g, leaf))
        else:
            shaped.append(_zero_node(leaf) if g is None else g)
    value: Any = out
    if all(plain):
        data = out.data  # type: ignore[attr-defined]
        value = float(data) if isinstance(out, Value) else np.asarray(data).reshape(()).item()
    gradient = shaped[0] if not isinstance(argnums, tuple) else tuple(shaped)
    return value, gradient, aux


def grad(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The gradient of a scalar function, as a function.

    >>> df = grad(lambda x: x * x * x)
    >>> df(2.0)
    12.0
    >>> grad(grad(lambda x: x * x * x))(2.0)  # composes: the second derivative
    12.0
    """

    def gradient(*args: Any) -> Any:
        return _differentiate(f, argnums, False, "grad", args)[1]

    return gradient


def value_and_grad(
    f: Callable[..., Any], argnums: int | tuple[int, ...] = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """``f``'s value and gradient in one pass; with ``has_aux`` f returns ``(out, aux)``
    and the result is ``((value, aux), gradient)``.

    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (12.0, (4.0, 3.0))
    """

    def both(*args: Any) -> Any:
        value, gradient, aux = _differentiate(f, argnums, has_aux, "value_and_grad", args)
        return ((value, aux), gradient) if has_aux else (value, gradient)

    return both


def _outputs(result: Any) -> tuple[list[Node], tuple[int, ...]]:
    """The output elements to differentiate one by one, and the output's shape."""
    if isinstance(result, Value):
        return [result], ()
    if isinstance(result, Tensor):
        flat = result.reshape(-1)
        return [flat[i] for i in range(result.data.size)], result.shape
    if isinstance(result, Sequence) and all(isinstance(r, Value) for r in result):
        return list(result), (len(result),)
    raise TypeError(
        f"jacobian: the function must return a Value, a Tensor or a list of Values, "
        f"got {type(result).__name__}"
    )


def jacobian(f: Callable[..., Any], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The Jacobian: d output[i] / d input[j], shaped ``output.shape + input.shape``.

    One backward pass per output element. Results are numpy arrays (floats for a
    scalar output and a scalar input); with ``argnums`` a tuple, one per argument.

    >>> import numpy as np
    >>> from autodiff import Tensor
    >>> jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """

    def jac(*args: Any) -> Any:
        nums = _argnums(argnums, len(args))
        call = list(args)
        leaves = []
        for i in nums:
            x = args[i]
            data = x.data if isinstance(x, Node) else x  # type: ignore[attr-defined]
            leaf, _ = _as_leaf(data if isinstance(x, Node) else x, i)
            call[i] = leaf
            leaves.append(leaf)
        with enable_grad():
            result = f(*call)
        rows, out_shape = _outputs(result)
        blocks = []
        for leaf in leaves:
            in_shape = np.shape(leaf.data)  # type: ignore[attr-defined]
            matrix = np.zeros((len(rows), int(np.prod(in_shape, dtype=int))))
            for r, element in enumerate(rows):
                (g,) = backpropagate(element, _seed(element, False), inputs=(leaf,))  # type: ignore[misc]
                if g is not None:
                    matrix[r] = np.asarray(getattr(g, "data", g), dtype=np.float64).reshape(-1)
            block = matrix.reshape(out_shape + in_shape)
            blocks.append(float(block) if block.ndim == 0 else block)
        return blocks[0] if not isinstance(argnums, tuple) else tuple(blocks)

    return jac


def hessian(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """The matrix of second derivatives of a scalar function: ``jacobian(grad(f))``.

    >>> import numpy as np
    >>> A = np.array([[1.0, 2.0], [0.0, 3.0]])
    >>> hessian(lambda x: x @ (A @ x))(np.array([1.0, -1.0]))  # xᵀAx: A + Aᵀ
    array([[2., 2.],
           [2., 6.]])
    """
    if isinstance(argnums, tuple):
        raise TypeError("hessian takes one argnums (an int)")
    return jacobian(_node_grad(f, argnums), argnums)


def _node_grad(f: Callable[..., Any], argnums: int) -> Callable[..., Any]:
    """grad(f) that keeps its result a node, so that it can be differentiated again."""

    def g(*args: Any) -> Any:
        return _differentiate(f, argnums, False, "grad", args)[1]

    return g


def hvp(f: Callable[..., Any], argnums: int = 0) -> Callable[..., Any]:
    """Hessian-vector product ``(x, v) -> H(x) · v`` without forming the Hessian.

    Two backward passes: the gradient with ``create_graph``, then the gradient of
    ⟨∇f(x), v⟩ — about the cost of two gradients, whatever the size of x.

    >>> import numpy as np
    >>> hvp(lambda x: (x * x * x).sum())(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """

    def product(x: Any, v: Any, *rest: Any) -> Any:
        if isinstance(argnums, tuple) or argnums != 0:
            raise ValueError("hvp differentiates the first argument: argnums must be 0")
        leaf, _ = _as_leaf(x.data if isinstance(x, Node) else x, 0)  # type: ignore[attr-defined]
        with enable_grad():
            out = _scalar_output(f(leaf, *rest), "hvp")
            (g,) = backpropagate(out, _seed(out, True), True, inputs=(leaf,))  # type: ignore[misc]
            if g is None:
                return _plain(None, leaf)
            vv = np.asarray(v.data if isinstance(v, Node) else v)  # type: ignore[attr-defined]
            if np.shape(vv) != np.shape(leaf.data):  # type: ignore[attr-defined]
                raise ValueError(
                    f"hvp: v has shape {np.shape(vv)}, x has {np.shape(leaf.data)}"  # type: ignore[attr-defined]
                )
            inner = g * float(vv) if isinstance(g, Value) else (g * vv).sum()
        (h,) = backpropagate(inner, _seed(inner, False), inputs=(leaf,))  # type: ignore[misc]
        return _plain(h, leaf)

    return product


__all__ = ["grad", "hessian", "hvp", "jacobian", "value_and_grad"]
