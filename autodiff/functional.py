"""Function transforms in the manner of JAX: grad, value_and_grad, jacobian, hessian, hvp,
and forward mode: jvp, jacfwd.

Each takes a function and returns a new function. The arguments to differentiate
(``argnums``, an int or a tuple of ints) may be Values, Tensors, plain numbers, numpy
arrays, or tuples, lists and dicts of them; results have the same structure.

- Plain inputs become fresh leaves and come back as plain results: floats for numbers,
  arrays for arrays, constant Tensors for Tensors that do not require grad.
- Inputs that are graph nodes (a Value, a Tensor that requires grad) are differentiated
  with ``create_graph``: the results are nodes with graphs of their own. That is what
  makes transforms compose: ``grad(grad(f))`` is the second derivative, because the outer
  ``grad`` hands the inner one its leaf. The same happens when ``f`` closes over a
  variable of an enclosing transform (``grad(lambda y: grad(lambda x: x * y)(1.0))``).

Nothing touches a user's ``.grad``: the core returns the gradients of the requested
inputs instead (``backpropagate(..., inputs=...)``).

Forward mode (``jvp``, ``jacfwd``) transposes the reverse mode instead of keeping a
second derivative table: for an output y = f(x) and a cotangent leaf u, the backward
pass with ``create_graph`` records g(u) = Jᵀu, which is linear in u, and the gradient
of ⟨g(u), v⟩ with respect to u is J v. So every op with a differentiable vjp (all
built-in ops, and user primitives whose vjp is written with differentiable
operations) has forward mode with no code of its own, and forward and reverse mode
cannot disagree. It costs one forward and two backward passes (one recorded):
``benchmarks/jvp.py`` measures it against a gradient.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .engine import Node, backpropagate, enable_grad, toposort
from .tensor import Tensor, stack
from .value import Value

Argnums = int | tuple[int, ...]

# The leaves of the transforms running now, innermost last. An inner transform whose
# own inputs are plain must still record its backward pass when f's output reaches one
# of them (f closes over an enclosing transform's variable): the enclosing transform
# differentiates what the inner one returns.
_ACTIVE: list[tuple[Node, ...]] = []


# --- arguments ---------------------------------------------------------------------------


def _check_argnums(argnums: Any, what: str) -> None:
    """Reject a malformed argnums when the transform is made, not when it is called."""
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    for a in nums:
        if isinstance(a, bool) or not isinstance(a, int):
            raise TypeError(f"{what}: argnums must be an int or a tuple of ints, got {argnums!r}")
    if not nums:
        raise ValueError(f"{what}: argnums is an empty tuple; name at least one argument")


def _positions(argnums: Argnums, n_args: int, what: str) -> tuple[int, ...]:
    nums = argnums if isinstance(argnums, tuple) else (argnums,)
    for a in nums:
        if not -n_args <= a < n_args:
            raise ValueError(
                f"{what}: argnums {a} is out of range for a call with {n_args} argument(s)"
            )
    positions = tuple(a % n_args for a in nums)
    if len(set(positions)) != len(positions):
        raise ValueError(f"{what}: argnums {argnums!r} names an argument twice")
    return positions


def _tree_leaves(tree: Any) -> list[Any]:
    """The items of nested tuples, lists and dicts, in order (anything else is one item)."""
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _tree_leaves(item)]
    if isinstance(tree, dict):
        return [leaf for item in tree.values() for leaf in _tree_leaves(item)]
    return [tree]


def _rebuild(tree: Any, items: Iterator[Any]) -> Any:
    """``tree``'s structure with its items replaced, in order, by ``items``."""
    if isinstance(tree, (tuple, list)):
        built = [_rebuild(item, items) for item in tree]
        if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a namedtuple
            return type(tree)(*built)
        return type(tree)(built)
    if isinstance(tree, dict):
        return {key: _rebuild(item, items) for key, item in tree.items()}
    return next(items)


def _as_leaf(x: Any, position: int, what: str) -> tuple[Node, bool]:
    """A node to differentiate with respect to, and whether the caller gave a plain value."""
    if isinstance(x, Value):
        return x, False
    if isinstance(x, Tensor):
        if x.requires_grad:
            return x, False
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        return Tensor(x.data, requires_grad=True, dtype=dtype), True
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x)), True
    if isinstance(x, np.ndarray) and x.dtype.kind in "iuf":
        dtype = x.dtype if x.dtype.kind == "f" else np.float64
        return Tensor(x, requires_grad=True, dtype=dtype), True
    held = f"an array of dtype {x.dtype}" if isinstance(x, np.ndarray) else f"a {type(x).__name__}"
    raise TypeError(
        f"{what}: argument {position} holds {held}; differentiate with respect to numbers, "
        "float or integer arrays, Values or Tensors (or tuples, lists and dicts of them)"
    )


class _Inputs:
    """f's arguments, those named by argnums replaced by leaves to differentiate."""

    def __init__(self, args: tuple[Any, ...], argnums: Argnums, what: str) -> None:
        self.argnums = argnums
        self.what = what
        self.positions = _positions(argnums, len(args), what)
        self.args = list(args)
        self.originals: list[Any] = []  # the caller's value of each leaf
        self.leaves: list[Node] = []
        self.plain = True
        for i in self.positions:
            items = _tree_leaves(args[i])
            nodes = []
            for item in items:
                leaf, was_plain = _as_leaf(item, i, what)
                nodes.append(leaf)
                self.plain = self.plain and was_plain
            self.originals += items
            self.leaves += nodes
            self.args[i] = _rebuild(args[i], iter(nodes))

    def call(self, f: Callable[..., Any]) -> Any:
        """f at the leaves, recording, with the leaves visible to nested transforms."""
        _ACTIVE.append(tuple(self.leaves))
        try:
            with enable_grad():
                return f(*self.args)
        finally:
            _ACTIVE.pop()

    def recording(self, outputs: list[Any]) -> bool:
        """Whether the backward pass must be recorded: some input is a node, or an
        output depends on a variable of an enclosing transform."""
        if not self.plain:
            return True
        if not _ACTIVE:
            return False
        outer = {id(leaf) for group in _ACTIVE for leaf in group}
        return any(
            id(node) in outer for out in outputs if isinstance(out, Node) for node in toposort(out)
        )

    def arrange(self, per_leaf: list[Any]) -> Any:
        """One result per leaf, regrouped like the differentiated arguments."""
        items = iter(per_leaf)
        grouped = tuple(_rebuild(self.args[i], items) for i in self.positions)
        return grouped if isinstance(self.argnums, tuple) else grouped[0]


# --- results -----------------------------------------------------------------------------


def _zeros_like(leaf: Node, shape: tuple[int, ...] = ()) -> Any:
    """A constant zero node: ``shape`` (an output's shape) followed by the leaf's shape."""
    if isinstance(leaf, Value) and not shape:
        return Value(0.0)
    data = np.asarray(leaf.data)  # type: ignore[attr-defined]
    return Tensor(
        np.zeros(shape + data.shape, dtype=data.dtype if data.dtype.kind == "f" else None)
    )


def _as_node(g: Any, leaf: Node) -> Any:
    """A recorded gradient as a node (a constant one when the output ignored the leaf)."""
    if g is None:
        return _zeros_like(leaf)
    if isinstance(g, Node):
        return g
    return Value(float(g)) if isinstance(leaf, Value) else Tensor(g)


def _like(array: Any, original: Any) -> Any:
    """An array result as the caller's kind of value: a float for a number's scalar
    result, a constant Tensor for a Tensor, else an ndarray."""
    if isinstance(original, Tensor):
        return Tensor(array)
    if isinstance(original, numbers.Real) and np.ndim(array) == 0:
        return float(array)
    return np.asarray(array)


def _plain_gradient(g: Any, leaf: Node, original: Any) -> Any:
    data = np.asarray(leaf.data)  # type: ignore[attr-defined]
    if g is None:
        return _like(np.zeros_like(data), original)
    if isinstance(g, Node):
        g = g.data  # type: ignore[attr-defined]
    return _like(np.array(g, dtype=data.dtype).reshape(data.shape), original)


def _plain_value(out: Any) -> float:
    if isinstance(out, Node):
        return float(np.asarray(out.data).reshape(-1)[0])  # type: ignore[attr-defined]
    return float(out)


def _seed(out: Node, create_graph: bool, index: int | None = None) -> Any:
    """d(out)/d(out): ones, or a one-hot array picking out element ``index``."""
    if isinstance(out, Value):
        return Value(1.0) if create_graph else 1.0
    data = out.data  # type: ignore[attr-defined]
    if index is None:
        seed = np.ones(data.shape, dtype=data.dtype)
    else:
        seed = np.zeros(data.shape, dtype=data.dtype)
        seed.reshape(-1)[index] = 1
    return Tensor(seed) if create_graph else seed


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _scalar_output(result: Any, what: str) -> Any:
    """f's result checked to be one scalar: a Value, a one-element Tensor or a number."""
    if isinstance(result, Value) or _is_number(result):
        return result
    if isinstance(result, Tensor):
        if result.data.size != 1:
            raise ValueError(
                f"{what}: the function must return a scalar, got a Tensor of shape "
                f"{result.shape} (use jacobian for vector outputs, or reduce it, e.g. .sum())"
            )
        return result
    hint = ""
    if isinstance(result, tuple) and len(result) == 2:
        hint = " (to return auxiliary data as well, use value_and_grad(f, has_aux=True))"
    raise TypeError(
        f"{what}: the function must return a Value, a one-element Tensor or a number, "
        f"got {type(result).__name__}{hint}"
    )


# --- the transforms ----------------------------------------------------------------------


def _differentiate(
    f: Callable[..., Any], argnums: Argnums, has_aux: bool, what: str, args: tuple[Any, ...]
) -> tuple[Any, Any, Any]:
    """(value, gradients, aux) of scalar f at args with respect to the arguments in argnums."""
    inputs = _Inputs(args, argnums, what)
    result = inputs.call(f)
    aux = None
    if has_aux:
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                f"{what} with has_aux=True needs f to return a pair (output, aux), "
                f"got {type(result).__name__}"
            )
        result, aux = result
    out = _scalar_output(result, what)
    recording = inputs.recording([out])
    leaves = inputs.leaves
    if isinstance(out, Node):
        grads = backpropagate(out, _seed(out, recording), recording, inputs=tuple(leaves))
        assert grads is not None
    else:  # a constant: every gradient is zero
        grads = [None] * len(leaves)
    value: Any
    if recording:
        value = out if isinstance(out, Node) else Value(float(out))
        shaped = [_as_node(g, leaf) for g, leaf in zip(grads, leaves, strict=True)]
    else:
        value = _plain_value(out)
        shaped = [
            _plain_gradient(g, leaf, original)
            for g, leaf, original in zip(grads, leaves, inputs.originals, strict=True)
        ]
    return value, inputs.arrange(shaped), aux


def grad(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The gradient of a scalar function, as a function of the same arguments.

    ``argnums`` picks the argument (an int) or arguments (a tuple: a tuple of gradients
    comes back) to differentiate. f must return a Value, a one-element Tensor or a
    number (a constant: zero gradient).

    >>> import numpy as np
    >>> df = grad(lambda x: x * x * x)
    >>> df(2.0)
    12.0
    >>> grad(grad(lambda x: x * x * x))(2.0)  # composes: the second derivative, 6x
    12.0
    >>> grad(lambda x: (x * x).sum())(np.array([1.0, 2.0]))
    array([2., 4.])
    >>> grad(lambda p: p["w"] * p["b"])({"w": 2.0, "b": 5.0})
    {'w': 5.0, 'b': 2.0}
    """
    _check_argnums(argnums, "grad")

    def gradient(*args: Any) -> Any:
        return _differentiate(f, argnums, False, "grad", args)[1]

    return gradient


def value_and_grad(
    f: Callable[..., Any], argnums: Argnums = 0, has_aux: bool = False
) -> Callable[..., Any]:
    """f's value and gradient from one forward and one backward pass.

    With ``has_aux`` f returns a pair ``(output, aux)``; aux is passed through
    untouched and the result is ``((value, aux), gradient)``.

    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (12.0, (4.0, 3.0))
    >>> value_and_grad(lambda x: (x * x, "square"), has_aux=True)(3.0)
    ((9.0, 'square'), 6.0)
    """
    _check_argnums(argnums, "value_and_grad")
    if not isinstance(has_aux, bool):
        raise TypeError(f"value_and_grad: has_aux must be True or False, got {has_aux!r}")

    def both(*args: Any) -> Any:
        value, gradient, aux = _differentiate(f, argnums, has_aux, "value_and_grad", args)
        return ((value, aux), gradient) if has_aux else (value, gradient)

    return both


def _output_shape(out: Any, what: str) -> tuple[int, ...]:
    if isinstance(out, Value) or _is_number(out):
        return ()
    if isinstance(out, Tensor):
        return out.shape
    raise TypeError(
        f"{what}: the function must return Values, Tensors or numbers (or tuples, "
        f"lists and dicts of them), got {type(out).__name__}"
    )


def _jacobian_blocks(out: Any, inputs: _Inputs, recording: bool) -> list[Any]:
    """d(out)/d(leaf) for every leaf, each shaped ``out.shape + leaf.shape``."""
    leaves = tuple(inputs.leaves)
    out_shape = _output_shape(out, "jacobian")
    n_out = int(np.prod(out_shape, dtype=int))
    if isinstance(out, Node):
        # One backward pass per output element, each seeded with a one-hot cotangent.
        rows = []
        for k in range(n_out):
            seed = _seed(out, recording, None if isinstance(out, Value) else k)
            rows.append(backpropagate(out, seed, recording, inputs=leaves))
    else:
        rows = [[None] * len(leaves)]
    return [
        _assemble([row[j] for row in rows], out_shape, leaf, original, recording, False)  # type: ignore[index]
        for j, (leaf, original) in enumerate(zip(leaves, inputs.originals, strict=True))
    ]


def _assemble(
    parts: list[Any],
    out_shape: tuple[int, ...],
    leaf: Node,
    original: Any,
    recording: bool,
    by_column: bool,
) -> Any:
    """One Jacobian block, ``out_shape + leaf.shape``, from its rows (one gradient per
    output element, reverse mode) or its columns (``by_column``: one output tangent per
    leaf element, forward mode); None parts are zeros."""
    in_shape = np.shape(leaf.data)  # type: ignore[attr-defined]
    data = np.asarray(leaf.data)  # type: ignore[attr-defined]
    if recording:
        if isinstance(leaf, Value):  # one part; a Tensor output never depends on a Value
            return _zeros_like(leaf, out_shape) if out_shape else _as_node(parts[0], leaf)
        if not parts or (not out_shape and not by_column):
            return _as_node(parts[0], leaf) if parts else _zeros_like(leaf, out_shape)
        if not by_column:
            return stack([_as_node(g, leaf) for g in parts]).reshape(out_shape + in_shape)
        zero = Tensor(np.zeros(out_shape, dtype=data.dtype), dtype=data.dtype)
        columns = [g if isinstance(g, Node) else zero for g in parts]
        return stack(columns, axis=-1).reshape(out_shape + in_shape)
    n_out = int(np.prod(out_shape, dtype=int))
    matrix = np.zeros((n_out, int(np.prod(in_shape, dtype=int))), dtype=data.dtype)
    for r, g in enumerate(parts):
        if g is not None:
            values = np.asarray(getattr(g, "data", g)).reshape(-1)
            if by_column:
                matrix[:, r] = values
            else:
                matrix[r] = values
    return _like(matrix.reshape(out_shape + in_shape), original)


def jacobian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The Jacobian: d output[i] / d input[j], shaped ``output.shape + input.shape``.

    One backward pass per output element. f may return a Value, a Tensor, a number or
    a tuple, list or dict of them; the result has that structure, and in it, for
    ``argnums`` a tuple, one block per argument (as JAX does).

    >>> import numpy as np
    >>> jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> jacobian(lambda a, b: [a * b, a + b], argnums=(0, 1))(2.0, 3.0)
    [(3.0, 2.0), (1.0, 1.0)]
    """
    _check_argnums(argnums, "jacobian")
    return _jacobian_transform(f, argnums, "jacobian", _jacobian_blocks)


def _jacobian_transform(
    f: Callable[..., Any],
    argnums: Argnums,
    what: str,
    blocks: Callable[[Any, _Inputs, bool], list[Any]],
) -> Callable[..., Any]:
    """The Jacobian of f as a function, one block per output and leaf from ``blocks``."""

    def jac(*args: Any) -> Any:
        inputs = _Inputs(args, argnums, what)
        result = inputs.call(f)
        outputs = _tree_leaves(result)
        recording = inputs.recording(outputs)
        per_output = [inputs.arrange(blocks(out, inputs, recording)) for out in outputs]
        return _rebuild(result, iter(per_output))

    return jac


def hessian(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The matrix of second derivatives of a scalar function: ``jacobian(grad(f))``.

    Shaped ``input.shape + input.shape``; with ``argnums`` a tuple, a tuple of tuples
    of blocks ``H[i][j] = d²f / dx_i dx_j``.

    >>> import numpy as np
    >>> from autodiff import Tensor
    >>> A = Tensor([[1.0, 2.0], [0.0, 3.0]])
    >>> hessian(lambda x: x @ (A @ x))(np.array([1.0, -1.0]))  # xᵀAx: A + Aᵀ
    array([[2., 2.],
           [2., 6.]])
    >>> hessian(lambda x, y: x * x * y, argnums=(0, 1))(3.0, 2.0)
    ((4.0, 6.0), (6.0, 0.0))
    """
    _check_argnums(argnums, "hessian")

    def gradient(*args: Any) -> Any:
        return _differentiate(f, argnums, False, "hessian", args)[1]

    return jacobian(gradient, argnums)


def _inner_product(g: Any, v: Any, what: str) -> Any:
    """⟨g, v⟩ for a gradient node g and a tangent v of the same shape."""
    v_data = v.data if isinstance(v, Node) else v  # type: ignore[attr-defined]
    g_shape, v_shape = np.shape(g.data), np.shape(v_data)
    if g_shape != v_shape:
        raise ValueError(f"{what}: v has shape {v_shape} where x has shape {g_shape}")
    if isinstance(g, Value):
        return g * (v if isinstance(v, Value) else float(v_data))
    return (g * v).sum()


def hvp(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """Hessian-vector product ``(x, v) -> H(x) · v`` without forming the Hessian.

    The returned function takes f's arguments followed by the tangent ``v``, shaped like
    the argument (a tuple of tangents for ``argnums`` a tuple). It is the gradient of
    ⟨∇f(x), v⟩: one backward pass with ``create_graph``, one through it, so it costs
    about two gradients whatever the size of x.

    >>> import numpy as np
    >>> hvp(lambda x: (x * x * x).sum())(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    >>> hvp(lambda a, x: a * x * x, argnums=1)(3.0, 5.0, 2.0)  # d²/dx² = 2a, times v
    12.0
    """
    _check_argnums(argnums, "hvp")

    def product(*args: Any) -> Any:
        if len(args) < 2:
            raise TypeError("hvp: call the product as hvp(f)(*args, v): f's arguments, then v")
        *xs, v = args
        tangents = v if isinstance(argnums, tuple) else (v,)
        if isinstance(argnums, tuple) and not (isinstance(v, tuple) and len(v) == len(argnums)):
            raise TypeError(f"hvp: with argnums={argnums!r}, v must be a tuple of {len(argnums)}")

        def directional(*ys: Any) -> Any:
            # The inner gradient sees nodes (the leaves made below), so it is recorded.
            g = _differentiate(f, argnums, False, "hvp", tuple(ys))[1]
            gs = g if isinstance(argnums, tuple) else (g,)
            total: Any = 0.0
            for gi, vi in zip(gs, tangents, strict=True):
                flat_g, flat_v = _tree_leaves(gi), _tree_leaves(vi)
                if len(flat_g) != len(flat_v):
                    raise ValueError(f"hvp: v has {len(flat_v)} parts where x has {len(flat_g)}")
                for a, b in zip(flat_g, flat_v, strict=True):
                    total = total + _inner_product(a, b, "hvp")
            return total

        return _differentiate(directional, argnums, False, "hvp", tuple(xs))[1]

    return product


# --- forward mode --------------------------------------------------------------------------


class _Linearized:
    """The transposed Jacobian of one output at the inputs, recorded as a graph.

    ``gradients[i]`` is Jᵢᵀ u for the cotangent leaf ``u`` (a node linear in u);
    differentiating it with respect to u pushes tangents forward.

    Unless the results must be differentiable in x too (``recording``), the backward
    pass runs without ``create_graph``: the vjps then see the forward values as plain
    numbers and arrays and only the incoming gradient as a node, so what they compute
    from x alone (1 - out², A⁻¹, ...) is done once on numbers, and the record holds
    just the chain that is linear in u, which the passes through it walk.
    """

    def __init__(self, out: Node, leaves: tuple[Node, ...], recording: bool) -> None:
        self.u = _cotangent(out)
        self.recording = recording
        with enable_grad():  # the chain in u is recorded, even inside no_grad
            grads = backpropagate(out, self.u, recording, inputs=leaves)
        assert grads is not None
        self.gradients: list[Any] = grads

    def push(self, tangents: list[Any]) -> Any:
        """J v for one tangent per leaf: d⟨Jᵀu, v⟩/du. None when J v is 0."""
        total: Any = None
        for g, v in zip(self.gradients, tangents, strict=True):
            if isinstance(g, Node):
                term = _inner_product(g, v, "jvp")
                total = term if total is None else total + term
        if total is None:  # no leaf reaches the output
            return None
        return self._transpose(total, _seed(total, self.recording))

    def column(self, i: int, k: int | None) -> Any:
        """d out / d (leaf i, element k): Jᵀu's element differentiated in u."""
        g = self.gradients[i]
        if not isinstance(g, Node):
            return None
        return self._transpose(g, _seed(g, self.recording, k))

    def _transpose(self, root: Node, seed: Any) -> Any:
        return backpropagate(root, seed, self.recording, inputs=(self.u,))[0]  # type: ignore[index]


def _cotangent(out: Node) -> Node:
    """A leaf shaped like ``out`` to seed the recorded backward pass. Its value does not
    matter (Jᵀu is linear in u); ones keep every product with it finite."""
    if isinstance(out, Value):
        return Value(1.0)
    data = out.data  # type: ignore[attr-defined]
    return Tensor(np.ones(data.shape, dtype=data.dtype), requires_grad=True, dtype=data.dtype)


def _tangent(v: Any, leaf: Node, position: int) -> Any:
    """A tangent checked against its primal: a number for a Value, an array of the
    primal's shape (and dtype) for a Tensor; a node stays one (it may be differentiated)."""
    if isinstance(leaf, Value):
        if isinstance(v, Value):
            return v
        if not _is_number(v) and not (isinstance(v, np.ndarray) and v.shape == ()):
            raise TypeError(
                f"jvp: the tangent of argument {position} must be a number, like its primal, "
                f"got {type(v).__name__}"
            )
        return float(v)
    shape, dtype = leaf.data.shape, leaf.data.dtype  # type: ignore[attr-defined]
    if isinstance(v, Tensor) and v.requires_grad:
        data = v.data
    else:
        v = data = np.asarray(v.data if isinstance(v, Tensor) else v, dtype=dtype)
    if data.shape != shape:
        raise ValueError(
            f"jvp: the tangent of argument {position} has shape {data.shape}, "
            f"its primal has shape {shape}"
        )
    return v


def _forward_output(out: Any, recording: bool, as_tensor: bool) -> Any:
    """An output (or its tangent) for the caller: a node when recording, else a float
    for a Value, a constant Tensor or an array for a Tensor (as the primals were)."""
    if recording:
        return out
    if isinstance(out, Value):
        return out.data
    if isinstance(out, Tensor):
        out = out.data
    if isinstance(out, np.ndarray):
        return Tensor(out, dtype=out.dtype) if as_tensor else out
    return out


def jvp(f: Callable[..., Any], primals: Any, tangents: Any) -> tuple[Any, Any]:
    """f's value and its Jacobian-vector product: ``(f(*primals), J · tangents)``.

    ``primals`` and ``tangents`` are tuples (or lists) of f's arguments and of a tangent
    for each, with the same structure and shapes. f may return a Value, a Tensor, a
    number or tuples, lists and dicts of them; the tangent has the same structure.
    Inputs that are graph nodes (inside another transform) give recorded results, so
    jvp composes with grad, jacobian and hessian.

    >>> import numpy as np
    >>> jvp(lambda x: x * x * x, (2.0,), (1.0,))  # (x³, 3x²·v)
    (8.0, 12.0)
    >>> jvp(lambda x, y: x * y, (np.array([1.0, 2.0]), np.array([3.0, 4.0])),
    ...     (np.array([1.0, 0.0]), np.array([0.0, 1.0])))
    (array([3., 8.]), array([3., 2.]))
    """
    for what, xs in (("primals", primals), ("tangents", tangents)):
        if not isinstance(xs, (tuple, list)):
            raise TypeError(
                f"jvp: {what} must be a tuple of f's arguments, got {type(xs).__name__}"
            )
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: {len(primals)} primal(s) but {len(tangents)} tangent(s); give one tangent "
            "per argument"
        )
    if not primals:
        raise ValueError("jvp: primals is empty; give at least one argument")
    inputs = _Inputs(tuple(primals), tuple(range(len(primals))), "jvp")
    flat: list[Any] = []
    for position, (p, t) in enumerate(zip(primals, tangents, strict=True)):
        ps, ts = _tree_leaves(p), _tree_leaves(t)
        if len(ps) != len(ts):
            raise ValueError(
                f"jvp: argument {position} has {len(ps)} part(s) but its tangent {len(ts)}"
            )
        flat += ts
    flat = [
        _tangent(v, leaf, i) for i, (v, leaf) in enumerate(zip(flat, inputs.leaves, strict=True))
    ]
    result = inputs.call(f)
    outputs = _tree_leaves(result)
    recording = inputs.recording(outputs) or any(isinstance(v, Node) for v in flat)
    as_tensor = any(isinstance(x, Tensor) for x in inputs.originals)
    leaves = tuple(inputs.leaves)
    values, pushed = [], []
    for out in outputs:
        if not isinstance(out, (Node, numbers.Real)) or isinstance(out, bool):
            raise TypeError(
                f"jvp: the function must return Values, Tensors or numbers (or tuples, lists "
                f"and dicts of them), got {type(out).__name__}"
            )
        t = _Linearized(out, leaves, recording).push(flat) if isinstance(out, Node) else None
        if t is None:
            t = _zero_tangent(out)
        values.append(_forward_output(out, recording, as_tensor))
        pushed.append(_forward_output(t, recording, as_tensor))
    return _rebuild(result, iter(values)), _rebuild(result, iter(pushed))


def _zero_tangent(out: Any) -> Any:
    """The tangent of an output no input reaches."""
    if isinstance(out, Tensor):
        return Tensor(np.zeros_like(out.data), dtype=out.dtype)
    return Value(0.0)


def jacfwd(f: Callable[..., Any], argnums: Argnums = 0) -> Callable[..., Any]:
    """The Jacobian by forward mode: one tangent per input element, shaped
    ``output.shape + input.shape`` like :func:`jacobian` (which takes one backward pass
    per output element: jacfwd is the cheaper for wide outputs and narrow inputs).

    >>> import numpy as np
    >>> jacfwd(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    >>> jacfwd(jacfwd(lambda x: x * x * x))(2.0)  # composes: 6x
    12.0
    """
    _check_argnums(argnums, "jacfwd")
    return _jacobian_transform(f, argnums, "jacfwd", _forward_blocks)


def _forward_blocks(out: Any, inputs: _Inputs, recording: bool) -> list[Any]:
    """d(out)/d(leaf) for every leaf by forward mode, each ``out.shape + leaf.shape``."""
    out_shape = _output_shape(out, "jacfwd")
    leaves = tuple(inputs.leaves)
    linear = _Linearized(out, leaves, recording) if isinstance(out, Node) else None
    blocks = []
    for i, (leaf, original) in enumerate(zip(leaves, inputs.originals, strict=True)):
        in_shape = np.shape(leaf.data)  # type: ignore[attr-defined]
        n_in = int(np.prod(in_shape, dtype=int))
        if linear is None:
            columns: list[Any] = [None] * n_in
        else:
            columns = [
                linear.column(i, None if isinstance(leaf, Value) else k) for k in range(n_in)
            ]
        blocks.append(_assemble(columns, out_shape, leaf, original, recording, by_column=True))
    return blocks


__all__ = ["grad", "hessian", "hvp", "jacfwd", "jacobian", "jvp", "value_and_grad"]
