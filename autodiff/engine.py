"""The chain-rule core, shared by Value and Tensor.

A graph node (any subclass of :class:`Node`) carries three slots that describe how it
was made:

- ``_op``: the :class:`~autodiff.ops.Op` that produced it, or ``None`` for a leaf;
- ``_a`` and ``_b``: its operands, laid out by the op's ``kind``
  (see :mod:`autodiff.ops`). An operand is either another node or a plain constant
  (a float, an array, an axis, ...); only nodes receive gradients.

Keeping operands in slots of the node itself, instead of per-node tuples or closures,
keeps each node a single garbage-collector-tracked object with no reference cycles:
graphs are freed by reference counting the moment they are dropped. A fourth slot,
``_g``, is the backward pass's scratch space: the node's mark while the pass orders
the graph, then the gradient it collects, None again once the node is done.

This module holds everything that walks a graph: the topological order (iterative,
so a million-node chain works under the default recursion limit), the backward pass
(one loop for every op and both node types), the grad mode (``no_grad``) and anomaly
detection.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import numpy as np

ndarray = np.ndarray

# Op kinds: how a node's ``_a`` and ``_b`` slots hold its operands, and how its vjp
# is called. A binary op applied to one constant becomes PARAM or RPARAM, so the
# constant is never checked for nor differentiated.
UNARY = 1  # _a node;                  vjp(g, out, a) -> ga
PARAM = 2  # _a node, _b constant;     vjp(g, out, a, b) -> ga
RPARAM = 3  # _a constant, _b node;    vjp(g, out, a, b) -> gb
BINARY = 4  # _a and _b nodes;         vjp(g, out, a, b) -> ga, vjp_b(...) -> gb
NARY = 5  # _a a tuple of operands, nodes or constants; vjp(g, out, *xs) -> one per x
FREED_KIND = 6  # operands dropped by backward(retain_graph=False)


class _Freed:
    """The op of a node whose graph a backward pass freed: it has no operands left."""

    __slots__ = ()
    name = "freed"
    kind = FREED_KIND
    symbol = ""


FREED = _Freed()


class Node:
    """Base of every graph node (Value, Tensor): what the core needs to walk a graph.

    Subclasses declare the slots ``data``, ``grad``, ``_op``, ``_a`` and ``_b``.
    ``_fit_grad(g)`` is a hook that brings an incoming gradient to the node's own shape
    (Tensor sums away broadcast axes); ``None`` means gradients always fit.
    """

    __slots__ = ()
    # Slots each subclass declares; what the core reads and writes.
    data: Any
    grad: Any
    _op: Any
    _a: Any
    _b: Any
    _g: Any  # during a backward pass: the node's mark, then its running gradient
    _fit_grad: Any = None

    def _operands(self) -> tuple[Any, ...]:
        """Every operand of this node, constants included, in call order."""
        op = self._op
        if op is None:
            return ()
        kind = op.kind
        if kind == UNARY:
            return (self._a,)
        if kind == NARY:
            return tuple(self._a)
        if kind == FREED_KIND:
            return ()
        return (self._a, self._b)

    @property
    def op(self) -> str:
        """Name of the op that produced this node ("" for a leaf)."""
        return "" if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Any, ...]:
        """The nodes this one was computed from, in operand order (constants left out)."""
        return tuple(x for x in self._operands() if isinstance(x, Node))


class _Mode:
    """Process-wide switches read on every op; ``plain`` is the fast-path test."""

    __slots__ = ("grad_enabled", "anomaly", "plain")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.plain = True  # grad enabled and anomaly detection off

    def update(self) -> None:
        self.plain = self.grad_enabled and not self.anomaly


MODE = _Mode()


@contextmanager
def _switched(name: str, value: bool) -> Iterator[None]:
    """Set one MODE switch for a block, restoring it afterwards (also on errors)."""
    previous = getattr(MODE, name)
    setattr(MODE, name, value)
    MODE.update()
    try:
        yield
    finally:
        setattr(MODE, name, previous)
        MODE.update()


def no_grad() -> AbstractContextManager[None]:
    """Run a block without recording any graph.

    >>> from autodiff import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.op, y.parents
    ('', ())
    """
    return _switched("grad_enabled", False)


def enable_grad() -> AbstractContextManager[None]:
    """Record graphs again inside a ``no_grad`` block (used by ``create_graph``)."""
    return _switched("grad_enabled", True)


def detect_anomaly() -> AbstractContextManager[None]:
    """Raise ``FloatingPointError`` the moment a forward or backward value is nan or inf.

    The message names the op, its inputs' labels and values.

    >>> from autodiff import Value, detect_anomaly
    >>> with detect_anomaly():
    ...     Value(0.0, label="x").log()
    Traceback (most recent call last):
    ...
    FloatingPointError: forward of log gave -inf; inputs: x=0
    """
    return _switched("anomaly", True)


def _all_finite(x: Any) -> bool:
    if isinstance(x, Node):
        x = x.data
    if x is None:
        return True
    if isinstance(x, float):
        return math.isfinite(x)
    return bool(np.all(np.isfinite(x)))


def _describe(x: Any) -> str:
    if isinstance(x, Node):
        label = getattr(x, "label", "") or "?"
        return f"{label}={_short(x.data)}"
    return f"const={_short(x)}"


def _short(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.6g}"
    if isinstance(x, np.ndarray):
        if x.size <= 6:
            return np.array2string(x, precision=4, separator=", ")
        return f"array(shape={x.shape}, min={np.nanmin(x):.4g}, max={np.nanmax(x):.4g})"
    return repr(x)


def check_forward(op: Any, out: Any, operands: tuple[Any, ...]) -> None:
    """Anomaly check of a freshly computed forward value."""
    if not _all_finite(out):
        raise FloatingPointError(
            f"forward of {op.name} gave {_short(_plain(out))}; "
            f"inputs: {', '.join(_describe(x) for x in operands)}"
        )


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Node) else x


def toposort(root: Node) -> list[Node]:
    """Every node ``root`` depends on, each before the nodes computed from it.

    Iterative depth-first search: no recursion, so graph depth is unlimited.

    >>> from autodiff import Value
    >>> x = Value(2.0, label="x")
    >>> y = x * x + 1
    >>> [n.label or n.op for n in toposort(y)]
    ['x', '*', '+']
    """
    with _ONE_PASS_AT_A_TIME:  # the marks are the backward pass's too
        order = _marked_order(root)
        for node in order:
            node._g = None
    return order


# A node's ``_g`` slot is None outside a backward pass. The pass marks each node it
# reaches with _PENDING (so no visited set is needed), then collects the node's
# gradient there (so no gradient dict is needed), and sets it back to None when the
# node is done: slots are much cheaper than hashing every node into a set and a dict,
# and the backward pass is most of a scalar training step.
_PENDING = object()
_OPENED = object()  # in the depth-first search: its operands are being ordered


def _marked_order(root: Node) -> list[Node]:
    """``toposort``, leaving every node of the order marked ``_g = _PENDING``."""
    order: list[Node] = []
    stack: list[Any] = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    opened, pending = _OPENED, _PENDING
    try:
        while stack:
            node = pop()
            state = node._g
            if state is not None:
                if state is opened:  # back from its operands: they are all emitted
                    node._g = pending
                    emit(node)
                continue  # else emitted already, through another path
            op = node._op
            if op is None:
                node._g = pending
                emit(node)
                continue
            # Operands not ordered yet go on the stack above the node, marked opened,
            # which is seen again once they are all emitted; with none, emit it now.
            kind = op.kind
            if kind == BINARY:
                a = node._a
                b = node._b
                if b._g is None:
                    node._g = opened
                    push(node)
                    push(b)
                    if a._g is None:
                        push(a)
                    continue
                if a._g is None:
                    node._g = opened
                    push(node)
                    push(a)
                    continue
            elif kind <= RPARAM:  # UNARY, PARAM: the node in _a; RPARAM: in _b
                x = node._b if kind == RPARAM else node._a
                if x._g is None:
                    node._g = opened
                    push(node)
                    push(x)
                    continue
            elif kind == NARY:
                waiting = [x for x in node._a if isinstance(x, Node) and x._g is None]
                if waiting:
                    node._g = opened
                    push(node)
                    stack.extend(waiting)
                    continue
            else:
                raise RuntimeError(
                    "backward through a graph that an earlier backward() freed; "
                    "pass retain_graph=True to that backward to go through it again"
                )
            node._g = pending
            emit(node)
    except BaseException:
        _unmark(root)
        raise
    return order


def _unmark(root: Node) -> None:
    """Clear the marks an interrupted pass left. Every marked node hangs from ``root``
    by a path of marked nodes (a node is marked only after the node that uses it), so a
    walk through marked nodes finds them all."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node._g is None:
            continue
        node._g = None
        stack.extend(x for x in node._operands() if isinstance(x, Node))


def through(g: Any, out: Any, *operands: Any) -> Any:
    """The vjp of an operand that receives the output's gradient unchanged (both sides
    of ``x + y``, the left of ``x - y``). The backward pass knows it and skips the call.

    >>> through(2.5, None, 1.0, 3.0)
    2.5
    """
    return g


def backpropagate(
    root: Node,
    seed: Any,
    create_graph: bool = False,
    inputs: tuple[Node, ...] | None = None,
    free_graph: bool = False,
) -> list[Any] | None:
    """Accumulate d(root)/d(node) into ``node.grad`` for every node ``root`` depends on.

    ``seed`` is d(root)/d(root). Each node's contributions are summed during the pass
    and added to ``.grad`` once, so a node used several times gets the sum of its
    contributions, and running the pass twice accumulates exactly twice.

    With ``create_graph`` the vjps run on the graph nodes themselves with recording
    on, so each gradient is a node whose own backward gives higher derivatives.

    With ``inputs`` no ``.grad`` is touched: the gradients with respect to those
    nodes are returned instead (``None`` for an input ``root`` does not depend on),
    which is what the functional transforms (``grad``, ``jacobian``) build on.

    With ``free_graph`` every non-leaf node drops its operands afterwards, so the
    intermediate values can be reclaimed while the caller still holds the output.

    A pass keeps its running gradients on the nodes, so passes in different threads
    take turns (a lock), and a vjp must not run a backward pass over the graph that
    is being differentiated.
    """
    with _ONE_PASS_AT_A_TIME:
        order = _marked_order(root)
        root._g = seed
        pending = _PENDING
        # A graph holds one kind of node (Values and Tensors do not mix), so whether
        # gradients need fitting to their node's shape is known from the root.
        fitting = root._fit_grad is not None
        wanted: dict[Node, Any] | None = None if inputs is None else dict.fromkeys(inputs)
        anomaly = MODE.anomaly
        previous = MODE.grad_enabled
        if create_graph:  # the vjps run on nodes and must record, even inside no_grad
            MODE.grad_enabled = True
            MODE.plain = not anomaly
        # Otherwise the grad mode is left alone (vjps on plain numbers record nothing):
        # the mode is process-wide, and another thread may be building a graph meanwhile.
        try:
            for node in reversed(order):
                g = node._g
                node._g = None
                if g is pending:  # a vjp gave no gradient for it (None: zero)
                    continue
                if fitting:  # a Tensor: a gradient of another shape or type is brought to its own
                    data = node.data
                    if (
                        g.__class__ is not ndarray
                        or g.shape != data.shape
                        or g.dtype is not data.dtype
                    ):
                        g = node._fit_grad(g)
                if wanted is None:
                    acc = node.grad
                    if (acc.__class__ is float and acc == 0.0) or acc is None:
                        node.grad = g
                    else:
                        total = acc + g  # 0-d arrays add up to a numpy scalar: fit it back
                        node.grad = node._fit_grad(total) if fitting else total
                elif node in wanted:
                    wanted[node] = g
                op = node._op
                if op is None:
                    continue
                kind = op.kind
                vjp = op.vjp
                if kind == BINARY:  # the commonest first
                    a = node._a
                    b = node._b
                    if create_graph:
                        out, xa, xb = node, a, b
                    else:
                        out, xa, xb = node.data, a.data, b.data
                    ga = g if vjp is through else vjp(g, out, xa, xb)
                    vjp = op.vjp_b
                    gb = g if vjp is through else vjp(g, out, xa, xb)
                    if anomaly:
                        _check_backward(op, node, a, ga)
                        _check_backward(op, node, b, gb)
                    prev = a._g
                    a._g = ga if prev is pending else _sum(a, prev, ga) if fitting else prev + ga
                    prev = b._g
                    b._g = gb if prev is pending else _sum(b, prev, gb) if fitting else prev + gb
                elif kind <= PARAM:
                    a = node._a
                    out = node if create_graph else node.data
                    xa = a if create_graph else a.data
                    if vjp is through:
                        ga = g
                    elif kind == UNARY:
                        ga = vjp(g, out, xa)
                    else:
                        ga = vjp(g, out, xa, node._b)
                    if anomaly:
                        _check_backward(op, node, a, ga)
                    prev = a._g
                    a._g = ga if prev is pending else _sum(a, prev, ga) if fitting else prev + ga
                elif kind == RPARAM:
                    b = node._b
                    out = node if create_graph else node.data
                    if vjp is through:
                        gb = g
                    else:
                        gb = vjp(g, out, node._a, b if create_graph else b.data)
                    if anomaly:
                        _check_backward(op, node, b, gb)
                    prev = b._g
                    b._g = gb if prev is pending else _sum(b, prev, gb) if fitting else prev + gb
                else:
                    xs = node._a
                    out = node if create_graph else node.data
                    gs = op.vjp(g, out, *(x if create_graph else _plain(x) for x in xs))
                    for x, gx in zip(xs, gs, strict=True):
                        if isinstance(x, Node) and gx is not None:
                            if anomaly:
                                _check_backward(op, node, x, gx)
                            prev = x._g
                            x._g = (
                                gx
                                if prev is pending
                                else _sum(x, prev, gx)
                                if fitting
                                else prev + gx
                            )
        except BaseException:
            for node in order:  # the node that failed and those not reached keep marks
                node._g = None
            raise
        finally:
            if create_graph:
                MODE.grad_enabled = previous
                MODE.plain = previous and not MODE.anomaly
        if free_graph:
            for node in order:
                if node._op is not None:
                    node._op = FREED
                    node._a = node._b = None
        return None if wanted is None else [wanted[x] for x in inputs]  # type: ignore[union-attr]


# Reentrant: a user's vjp may run a backward pass of its own on another graph.
_ONE_PASS_AT_A_TIME = threading.RLock()


def _sum(node: Node, a: Any, b: Any) -> Any:
    """Two gradient contributions to a node whose gradients need fitting (a Tensor),
    each first brought to its shape.

    Adding them unreduced would be wrong: a broadcast (3, 3) contribution plus a (3,)
    one broadcasts the second over rows before the sum over rows, counting it 3 times.
    """
    fit = node._fit_grad
    return fit(a) + fit(b)


def _check_backward(op: Any, node: Node, x: Node, g: Any) -> None:
    if not _all_finite(g):
        raise FloatingPointError(
            f"backward of {op.name} gave {_short(_plain(g))} for input {_describe(x)}; "
            f"inputs: {', '.join(_describe(y) for y in node._operands())}"
        )


__all__ = [
    "BINARY",
    "FREED",
    "FREED_KIND",
    "MODE",
    "NARY",
    "PARAM",
    "RPARAM",
    "UNARY",
    "Node",
    "backpropagate",
    "check_forward",
    "detect_anomaly",
    "enable_grad",
    "no_grad",
    "through",
    "toposort",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
