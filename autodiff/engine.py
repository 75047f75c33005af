"""The chain-rule core, shared by Value and Tensor.

**Nodes.** A graph node (a :class:`Value` or a :class:`Tensor`, subclasses of
:class:`Node`) holds its ``data`` and ``grad`` and, when an op made it, three slots:
``_op``, the :class:`~autodiff.ops.Op` that produced it (``None`` for a leaf), and
``_a`` and ``_b``, its operands. An operand is another node or a plain constant (a
float, an array, an axis, ...); only nodes receive gradients. Operands sit in slots of
the node itself, not in per-node tuples or closures, so a node is one small object with
no reference cycles, freed the moment its graph is dropped.

**The op table.** Every op is one row of :mod:`autodiff.ops`: its forwards (on floats,
on arrays) and its vjps, ``vjp(g, out, *operands)``, the gradient of an operand given
``g``, the gradient of the output. How an op's operands sit in ``_a`` and ``_b`` is its
:class:`Layout` (UNARY, PARAM, RPARAM, BINARY, NARY), described once below: each layout
knows its operands and how to call the op's vjps on them, and everything that walks a
graph (the order, the backward pass, drawings, step pages, anomaly reports) asks it.

**The order.** :func:`toposort` lists every node the output depends on, each before
the nodes computed from it, by an iterative depth-first search (no recursion: a
million-node chain works). A fourth slot, ``_g``, is the pass's scratch space: the
node's mark while it is ordered, then the gradient it collects, None again after.

**The loop.** :func:`backpropagate` walks that order backwards: it takes a node's
gradient, asks the node's layout for each operand's contribution (the vjp), and adds
the contributions up on the operands. A node's gradient is complete when the loop
reaches it, because every node computed from it came later in the order. For
``y = x * x + x`` at ``x = 3``, with ``t = x * x``:

    forward, in order             backward, in reverse order
    x = 3        a leaf           y.g = 1                          the seed, dy/dy
    t = x * x    = 9              y = t + x: vjps g, g
    y = t + x    = 12                 t.g = 1
                                      x.g = 1
                                  t = x * x: vjps g * x, g * x
                                      x.g = 1 + 1 * 3 = 4
                                      x.g = 4 + 1 * 3 = 7
                                  x: a leaf, so x.grad += x.g
                                      x.grad = 7

which is what this gives:

>>> from autodiff import Value
>>> x = Value(3.0)
>>> (x * x + x).backward()
>>> x.grad
7.0

The other jobs of a pass (fitting Tensor gradients to shape, accumulating into
``.grad`` or returning gradients for ``inputs``, anomaly checks, ``create_graph``,
freeing the graph, one pass at a time) are named helpers the loop calls. A pass without
anomaly checks (nearly every one) takes ``_fast_pass``: the same loop specialised by
hand for speed, which the tests check against this one over the whole op table.

The grad mode (:func:`no_grad`, :func:`enable_grad`) and :func:`detect_anomaly` are per
thread, as PyTorch's: a thread that evaluates under ``no_grad`` does not stop another
one's recording.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any

import numpy as np

ndarray = np.ndarray


class Node:
    """Base of every graph node (Value, Tensor): what the core needs to walk a graph.

    Subclasses declare the slots ``data``, ``grad``, ``_op``, ``_a``, ``_b`` and ``_g``.
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
        return () if op is None else op.layout.operands(self._a, self._b)

    @property
    def op(self) -> str:
        """Name of the op that produced this node ("" for a leaf)."""
        return "" if self._op is None else self._op.name

    @property
    def parents(self) -> tuple[Any, ...]:
        """The nodes this one was computed from, in operand order (constants left out)."""
        return tuple(x for x in self._operands() if isinstance(x, Node))


# --- operand layouts: how each kind of op keeps its operands -------------------------


class Layout:
    """How the nodes of one kind of op keep their operands in the slots ``_a`` and
    ``_b``, and how the op's vjps are called on them: the one place that knows it.

    ``operands`` lists every operand (constants too) in call order, ``parents`` the
    nodes among them, and ``vjps`` each node operand's gradient: ``(position, operand,
    gradient)`` triples. ``recorded`` (``backward(create_graph=True)``) passes the vjps
    the nodes themselves, so that what they compute is recorded; otherwise their data.

    >>> from autodiff import Value
    >>> x = Value(4.0)
    >>> y = 2.0 / x
    >>> layout = y._op.layout
    >>> layout, layout.operands(y._a, y._b)[0], layout.parents(y)[0] is x
    (RPARAM, 2.0, True)
    >>> [(position, gx) for position, _, gx in layout.vjps(y._op, y, 1.0, False)]
    [(1, -0.125)]
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def operands(self, a: Any, b: Any) -> tuple[Any, ...]:
        """Every operand, in call order, from the values of the slots ``_a`` and ``_b``."""
        return (a, b)

    def parents(self, node: Node) -> tuple[Node, ...]:
        """The operands of ``node`` that are nodes (and so receive gradients)."""
        return (node._a,)

    def vjps(self, op: Any, node: Node, g: Any, recorded: bool) -> list[tuple[int, Node, Any]]:
        """``(position, operand, d(root)/d(operand) through node)`` for each node operand."""
        raise NotImplementedError


def _value(x: Any, recorded: bool) -> Any:
    """What a vjp is given for operand ``x``: the node itself when the pass records."""
    return x if recorded or not isinstance(x, Node) else x.data


class _Unary(Layout):
    """``f(x)``: the node x in ``_a``; ``vjp(g, out, x)``."""

    __slots__ = ()

    def operands(self, a: Any, b: Any) -> tuple[Any, ...]:
        return (a,)

    def vjps(self, op: Any, node: Node, g: Any, recorded: bool) -> list[tuple[int, Node, Any]]:
        x = node._a
        return [(0, x, op.vjp(g, _value(node, recorded), _value(x, recorded)))]


class _Param(Layout):
    """``f(x; p)``: the node x in ``_a``, a constant parameter p in ``_b`` (an exponent,
    an axis, a number on the right of ``x * 2``); ``vjp(g, out, x, p)``."""

    __slots__ = ()

    def vjps(self, op: Any, node: Node, g: Any, recorded: bool) -> list[tuple[int, Node, Any]]:
        x = node._a
        return [(0, x, op.vjp(g, _value(node, recorded), _value(x, recorded), node._b))]


class _RParam(Layout):
    """``f(c, x)``: a constant c in ``_a`` (the ``2`` of ``2 / x``), the node x in
    ``_b``; ``vjp_b(g, out, c, x)``, the binary op's vjp of its second operand."""

    __slots__ = ()

    def parents(self, node: Node) -> tuple[Node, ...]:
        return (node._b,)

    def vjps(self, op: Any, node: Node, g: Any, recorded: bool) -> list[tuple[int, Node, Any]]:
        x = node._b
        return [(1, x, op.vjp_b(g, _value(node, recorded), node._a, _value(x, recorded)))]


class _Binary(Layout):
    """``f(a, b)``: nodes a in ``_a`` and b in ``_b``; ``vjp(g, out, a, b)`` for a,
    ``vjp_b(g, out, a, b)`` for b."""

    __slots__ = ()

    def parents(self, node: Node) -> tuple[Node, ...]:
        return (node._a, node._b)

    def vjps(self, op: Any, node: Node, g: Any, recorded: bool) -> list[tuple[int, Node, Any]]:
        a, b = node._a, node._b
        out, xa, xb = _value(node, recorded), _value(a, recorded), _value(b, recorded)
        return [(0, a, op.vjp(g, out, xa, xb)), (1, b, op.vjp_b(g, out, xa, xb))]


class _Nary(Layout):
    """``f(x0, x1, ...)``: a tuple of operands in ``_a``, nodes or constants;
    ``vjp(g, out, *xs)`` gives one gradient per operand (None for a constant)."""

    __slots__ = ()

    def operands(self, a: Any, b: Any) -> tuple[Any, ...]:
        return tuple(a)

    def parents(self, node: Node) -> tuple[Node, ...]:
        return tuple(x for x in node._a if isinstance(x, Node))

    def vjps(self, op: Any, node: Node, g: Any, recorded: bool) -> list[tuple[int, Node, Any]]:
        xs = node._a
        gs = op.vjp(g, _value(node, recorded), *(_value(x, recorded) for x in xs))
        return [
            (i, x, gx)
            for i, (x, gx) in enumerate(zip(xs, gs, strict=True))
            if isinstance(x, Node) and gx is not None
        ]


class _Freed(Layout):
    """The layout of a node whose graph ``backward(retain_graph=False)`` freed."""

    __slots__ = ()

    def operands(self, a: Any, b: Any) -> tuple[Any, ...]:
        return ()

    def parents(self, node: Node) -> tuple[Node, ...]:
        raise RuntimeError(
            "backward through a graph that an earlier backward() freed; "
            "pass retain_graph=True to that backward to go through it again"
        )

    def vjps(self, op: Any, node: Node, g: Any, recorded: bool) -> list[tuple[int, Node, Any]]:
        self.parents(node)  # raises
        return []


UNARY = _Unary("UNARY")
PARAM = _Param("PARAM")  # a binary op applied to a constant right operand is PARAM too
RPARAM = _RParam("RPARAM")  # ... and to a constant left operand, RPARAM
BINARY = _Binary("BINARY")
NARY = _Nary("NARY")
FREED = _Freed("FREED")


class _FreedOp:
    """The op of a node whose graph a backward pass freed: it has no operands left."""

    __slots__ = ()
    name = "freed"
    layout = kind = FREED
    symbol = ""


FREED_OP = _FreedOp()


# --- the grad mode and anomaly detection, per thread ----------------------------------


class _ThreadSwitches(threading.local):
    """Each thread's own switches (class attributes are every new thread's defaults)."""

    grad_enabled = True
    anomaly = False


_THREAD = _ThreadSwitches()


class _Mode:
    """The calling thread's grad mode and anomaly switch, as every op reads them.

    ``plain`` is the fast-path test: True while no thread is inside a switch that
    changed something (``no_grad``, ``enable_grad`` under ``no_grad``,
    ``detect_anomaly``), when every thread records and checks nothing, so the op that
    builds a node reads one attribute and no thread-local. Otherwise each thread's own
    switches decide. A thread sets its own switch before counting it and restores it
    before uncounting, so whenever ``plain`` is True every thread's switches are the
    defaults.
    """

    __slots__ = ("plain", "_switched", "_lock")

    def __init__(self) -> None:
        self.plain = True
        self._switched = 0  # switches active in all threads together
        self._lock = threading.Lock()

    @property
    def grad_enabled(self) -> bool:
        """Whether the calling thread records graphs."""
        return self.plain or _THREAD.grad_enabled

    @property
    def anomaly(self) -> bool:
        """Whether the calling thread checks every value for nan and inf."""
        return not self.plain and _THREAD.anomaly

    def count(self, step: int) -> None:
        """One switch more (+1) or fewer (-1) active in some thread."""
        with self._lock:
            self._switched += step
            self.plain = self._switched == 0


MODE = _Mode()


@contextmanager
def _switched(name: str, value: bool) -> Iterator[None]:
    """Set one of the calling thread's switches for a block, restoring it afterwards."""
    previous = getattr(_THREAD, name)
    if previous == value:  # so already (``enable_grad`` while recording): the fast path stays
        yield
        return
    setattr(_THREAD, name, value)
    MODE.count(+1)
    try:
        yield
    finally:
        setattr(_THREAD, name, previous)
        MODE.count(-1)


def no_grad() -> AbstractContextManager[None]:
    """Run a block without recording any graph (in the calling thread).

    >>> from autodiff import Value, no_grad
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * 3
    >>> y.op, y.parents
    ('', ())
    """
    return _switched("grad_enabled", False)


def enable_grad() -> AbstractContextManager[None]:
    """Record graphs again inside a ``no_grad`` block (used by ``create_graph``).

    >>> from autodiff import Value, no_grad
    >>> with no_grad(), enable_grad():
    ...     y = Value(2.0) * 3
    >>> y.op
    '*'
    """
    return _switched("grad_enabled", True)


def detect_anomaly() -> AbstractContextManager[None]:
    """Raise ``FloatingPointError`` the moment a forward or backward value is nan or inf
    (in the calling thread). The message names the op, its inputs' labels and values.

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


def check_forward(op: Any, out: Any, a: Any, b: Any) -> None:
    """Anomaly check of a freshly computed forward value of ``op`` on slots ``a``, ``b``."""
    if not _all_finite(out):
        operands = op.layout.operands(a, b)
        raise FloatingPointError(
            f"forward of {op.name} gave {_short(_plain(out))}; "
            f"inputs: {', '.join(_describe(x) for x in operands)}"
        )


def recording(op: Any, out: Any, a: Any, b: Any) -> bool:
    """Whether the calling thread records the node ``op`` made (``out`` from the slot
    values ``a``, ``b``), after checking ``out`` when anomaly detection is on. Node
    builders call it only when ``MODE.plain`` is False.

    >>> from autodiff.ops import EXP
    >>> with no_grad():
    ...     recording(EXP, 1.0, 0.0, None)
    False
    """
    if MODE.anomaly:
        check_forward(op, out, a, b)
    return MODE.grad_enabled


def _check_backward(op: Any, node: Node, x: Node, g: Any) -> None:
    if not _all_finite(g):
        raise FloatingPointError(
            f"backward of {op.name} gave {_short(_plain(g))} for input {_describe(x)}; "
            f"inputs: {', '.join(_describe(y) for y in node._operands())}"
        )


def _plain(x: Any) -> Any:
    return x.data if isinstance(x, Node) else x


# --- the order --------------------------------------------------------------------------

# A node's ``_g`` slot is None outside a backward pass. The pass marks each node it
# reaches with _PENDING (so no visited set is needed), then collects the node's
# gradient there (so no gradient dict is needed), and sets it back to None when the
# node is done: slots are much cheaper than hashing every node into a set and a dict,
# and the backward pass is most of a scalar training step.
_PENDING = object()
_OPENED = object()  # in the depth-first search: its operands are being ordered

# Reentrant: a user's vjp may run a backward pass of its own on another graph.
_ONE_PASS_AT_A_TIME = threading.RLock()


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
        _clear_marks(order)
    return order


def _marked_order(root: Node) -> list[Node]:
    """``toposort``, leaving every node of the order marked ``_g = _PENDING``."""
    order: list[Node] = []
    stack: list[Node] = [root]
    try:
        while stack:
            node = stack.pop()
            if node._g is _OPENED:  # back from its operands: they are all in the order
                node._g = _PENDING
                order.append(node)
            elif node._g is None:  # not seen yet (else in the order through another path)
                op = node._op
                waiting = [] if op is None else [x for x in op.layout.parents(node) if x._g is None]
                if waiting:  # order them first (the first operand first), then this node
                    node._g = _OPENED
                    stack.append(node)
                    stack.extend(reversed(waiting))
                else:
                    node._g = _PENDING
                    order.append(node)
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


def _clear_marks(order: list[Node]) -> None:
    for node in order:
        node._g = None


# --- the backward pass --------------------------------------------------------------------

# Whether passes without anomaly checks take ``_fast_pass``; False sends every pass
# through the loop of ``backpropagate`` (the tests compare the two).
SPECIALISED = True


def through(g: Any, out: Any, *operands: Any) -> Any:
    """The vjp of an operand that receives the output's gradient unchanged (both sides
    of ``x + y``, the left of ``x - y``). The fast pass knows it and skips the call.

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

    With ``free_graph`` every non-leaf node drops its operands as soon as its vjps have
    run, so the intermediate values and gradients are reclaimed during the pass (the
    caller still holds what it kept). A pass that fails midway has freed the nodes it
    went through, as PyTorch's does: the forward must run again.

    A pass keeps its running gradients on the nodes, so passes in different threads
    take turns (a lock), and a vjp must not run a backward pass over the graph that
    is being differentiated.
    """
    checking = MODE.anomaly
    if SPECIALISED and not checking:
        return _fast_pass(root, seed, create_graph, inputs, free_graph)
    with _ONE_PASS_AT_A_TIME:
        order = _marked_order(root)
        root._g = seed
        sink = _Sink(inputs)
        try:
            with _grad_mode_for(create_graph):
                for node in _freeing(order) if free_graph else reversed(order):
                    g, node._g = node._g, None
                    if g is _PENDING:  # no gradient reached it
                        continue
                    g = _fitted(node, g)
                    sink.collect(node, g)
                    op = node._op
                    if op is None:  # a leaf
                        continue
                    # The chain rule: d(root)/d(x) += d(root)/d(node) · d(node)/d(x), the
                    # vjp giving the product for each operand x that is a node.
                    for _, x, gx in op.layout.vjps(op, node, g, create_graph):
                        if checking:
                            _check_backward(op, node, x, gx)
                        x._g = _accumulate(x, x._g, gx)
        except BaseException:
            _clear_marks(order)  # the node that failed and those not reached keep marks
            raise
        return sink.result()


def _accumulate(node: Node, total: Any, g: Any) -> Any:
    """``total + g``: one more contribution to ``node``'s gradient.

    A Tensor's contributions are each brought to its shape first: adding them
    unreduced would be wrong, a broadcast (3, 3) contribution plus a (3,) one
    broadcasts the second over rows before the sum over rows, counting it 3 times.
    """
    if total is _PENDING:  # the first contribution
        return g
    fit = node._fit_grad
    return total + g if fit is None else fit(total) + fit(g)


def _fitted(node: Node, g: Any) -> Any:
    """``g`` brought to ``node``'s shape and dtype (a Tensor's; a Value's always fits)."""
    fit = node._fit_grad
    return g if fit is None else fit(g)


def _add_to_grad(node: Node, g: Any) -> None:
    """``node.grad += g``, where a grad of 0 or None (nothing accumulated yet) takes ``g``
    itself, so that under ``create_graph`` the grad is the gradient's own node."""
    total = node.grad
    if total is None or (total.__class__ is float and total == 0.0):
        node.grad = g
    else:
        node.grad = _fitted(node, total + g)  # 0-d arrays add up to a numpy scalar


class _Sink:
    """Where a pass leaves each node's complete gradient: added to its ``.grad``, or,
    given ``inputs``, kept for those nodes and returned (no ``.grad`` is touched)."""

    __slots__ = ("inputs", "wanted")

    def __init__(self, inputs: tuple[Node, ...] | None) -> None:
        self.inputs = inputs
        self.wanted: dict[Node, Any] | None = None if inputs is None else dict.fromkeys(inputs)

    def collect(self, node: Node, g: Any) -> None:
        if self.wanted is None:
            _add_to_grad(node, g)
        elif node in self.wanted:
            self.wanted[node] = g

    def result(self) -> list[Any] | None:
        if self.wanted is None or self.inputs is None:
            return None
        return [self.wanted[x] for x in self.inputs]


def _grad_mode_for(create_graph: bool) -> AbstractContextManager[None]:
    """Recording on for ``create_graph`` (even inside ``no_grad``): the vjps run on nodes
    and their results must be nodes with graphs. Otherwise the vjps run on plain data
    and the mode is left alone."""
    if create_graph and not MODE.grad_enabled:
        return enable_grad()
    return nullcontext()


def _freeing(order: list[Node]) -> Iterator[Node]:
    """``reversed(order)`` for a pass that frees the graph (``backward(retain_graph=False)``):
    each node is taken out of the list and its operands dropped when the pass asks for
    the next one, so a node nothing else holds, its value and its gradient, is reclaimed
    as soon as its vjps have run and a pass needs far less memory than the whole graph.
    The node whose vjp fails, and those after it, stay as they are (and in ``order``)."""
    while order:
        node = order.pop()
        yield node
        if node._op is not None:  # asked for the next one: this one's vjps have run
            node._op = FREED_OP
            node._a = node._b = None


# --- the same pass, specialised by hand for speed --------------------------------------
# Every pass without anomaly checks (nearly every training step, every transform) takes
# this one. On a scalar graph the generic loop's calls per node (the layout's parents
# and vjps, a list per node, the helpers) cost about as much as the arithmetic, so here
# the order and the loop are written out per layout with the helpers inlined: the same
# steps in the same order. tests/autodiff/test_engine.py checks over every op
# of the table that both give identical gradients, first and second order.


def _fast_pass(
    root: Node,
    seed: Any,
    create_graph: bool,
    inputs: tuple[Node, ...] | None,
    free_graph: bool,
) -> list[Any] | None:
    """``backpropagate`` without anomaly checks, specialised by hand."""
    if create_graph and not MODE.grad_enabled:  # _grad_mode_for, outside the common case
        with enable_grad():
            return _fast_pass(root, seed, create_graph, inputs, free_graph)
    with _ONE_PASS_AT_A_TIME:
        order = _fast_order(root)
        root._g = seed
        pending = _PENDING
        recorded = create_graph
        wanted: dict[Node, Any] | None = None if inputs is None else dict.fromkeys(inputs)
        # A graph holds one kind of node (Values and Tensors do not mix), so whether
        # gradients need fitting to their node's shape is known from the root.
        fitting = root._fit_grad is not None
        try:
            for node in _freeing(order) if free_graph else reversed(order):
                g = node._g
                node._g = None
                if g is pending:
                    continue
                if fitting:  # _fitted, with the check for the common case inlined
                    data = node.data
                    if (
                        g.__class__ is not ndarray
                        or g.shape != data.shape
                        or g.dtype is not data.dtype
                    ):
                        g = node._fit_grad(g)
                if wanted is None:  # _Sink.collect, and _add_to_grad
                    acc = node.grad  # a Value's 0.0 tested first: nearly every node
                    if (acc.__class__ is float and acc == 0.0) or acc is None:
                        node.grad = g
                    else:
                        node.grad = node._fit_grad(acc + g) if fitting else acc + g
                elif node in wanted:
                    wanted[node] = g
                op = node._op
                if op is None:
                    continue
                # Each layout's vjps (Layout.vjps), inlined; ``through`` not called.
                layout = op.layout
                vjp = op.vjp
                if layout is BINARY:  # the commonest first
                    x = node._a
                    b = node._b
                    if recorded:
                        out, xa, xb = node, x, b
                    else:
                        out, xa, xb = node.data, x.data, b.data
                    gx = g if vjp is through else vjp(g, out, xa, xb)
                    prev = x._g  # _accumulate, for a; b's below
                    x._g = gx if prev is pending else _sum(x, prev, gx) if fitting else prev + gx
                    vjp = op.vjp_b
                    gx = g if vjp is through else vjp(g, out, xa, xb)
                    x = b
                elif layout is UNARY:
                    x = node._a
                    if vjp is through:
                        gx = g
                    elif recorded:
                        gx = vjp(g, node, x)
                    else:
                        gx = vjp(g, node.data, x.data)
                elif layout is PARAM:
                    x = node._a
                    if vjp is through:
                        gx = g
                    elif recorded:
                        gx = vjp(g, node, x, node._b)
                    else:
                        gx = vjp(g, node.data, x.data, node._b)
                elif layout is RPARAM:
                    x = node._b
                    vjp = op.vjp_b
                    if vjp is through:
                        gx = g
                    elif recorded:
                        gx = vjp(g, node, node._a, x)
                    else:
                        gx = vjp(g, node.data, node._a, x.data)
                else:  # NARY, rare: the generic path
                    for _, x, gx in layout.vjps(op, node, g, recorded):
                        x._g = _accumulate(x, x._g, gx)
                    continue
                prev = x._g
                x._g = gx if prev is pending else _sum(x, prev, gx) if fitting else prev + gx
        except BaseException:
            _clear_marks(order)
            raise
    return None if wanted is None else [wanted[x] for x in inputs]  # type: ignore[union-attr]


def _sum(node: Node, a: Any, b: Any) -> Any:
    fit = node._fit_grad
    return fit(a) + fit(b)


def _fast_order(root: Node) -> list[Node]:
    """``_marked_order`` with each layout's parents read inline."""
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
            layout = op.layout
            if layout is BINARY:
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
            elif layout is UNARY or layout is PARAM or layout is RPARAM:
                x = node._b if layout is RPARAM else node._a
                if x._g is None:
                    node._g = opened
                    push(node)
                    push(x)
                    continue
            else:  # NARY; FREED raises
                waiting = [x for x in layout.parents(node) if x._g is None]
                if waiting:
                    node._g = opened
                    push(node)
                    stack.extend(reversed(waiting))
                    continue
            node._g = pending
            emit(node)
    except BaseException:
        _unmark(root)
        raise
    return order


__all__ = [
    "BINARY",
    "FREED",
    "MODE",
    "NARY",
    "PARAM",
    "RPARAM",
    "UNARY",
    "Layout",
    "Node",
    "backpropagate",
    "check_forward",
    "detect_anomaly",
    "enable_grad",
    "no_grad",
    "recording",
    "through",
    "toposort",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
