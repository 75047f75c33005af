"""Drawing a graph by module: the nodes each module call made, grouped into one box.

A model of 20 layers makes hundreds of nodes; grouped by the module that made them it
reads on one screen, and the edges between modules, labelled with the norm of the
gradient that crossed them, show the gradient flow layer by layer.

Which module made which node is recorded while the forward pass runs: inside
``recording()`` every call of a module (any object whose ``__call__`` reports itself
through ``note_call``, as ``nn.Module`` does) is noted with its inputs and output. A
node belongs to the innermost call whose output it leads to without passing through
that call's inputs. This module knows nothing of nn: modules are named through an
optional ``named_modules()`` of the model, as ``nn.Module`` has.

>>> from autodiff import Tensor
>>> class Double:
...     def __call__(self, x):
...         out = x * 2
...         note_call(self, (x,), out)
...         return out
>>> x = Tensor([1.0, 2.0], requires_grad=True)
>>> with recording() as trace:
...     y = Double()(x).sum()
>>> len(trace.calls)
1
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import graphviz
import numpy as np

from ..engine import Node, toposort

#: The traces being recorded, of every thread: a plain list, so that ``Module.__call__``
#: pays one truth test when nothing records.
ACTIVE: list[ModuleTrace] = []
_last = threading.local()


class Call:
    """One module call: the module, the nodes it was given and the node it returned."""

    __slots__ = ("owner", "inputs", "output")

    def __init__(self, owner: Any, inputs: tuple[Any, ...], output: Any) -> None:
        self.owner, self.inputs, self.output = owner, inputs, output


class ModuleTrace:
    """The module calls made in one thread while ``recording()`` was active, in the order
    they returned (inner modules before the container that called them)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.thread = threading.get_ident()


@contextmanager
def recording() -> Iterator[ModuleTrace]:
    """Record module calls in this thread (other threads are not affected).

    The trace is also kept as this thread's last one, which
    ``draw_graph(root, by_module=True)`` uses.
    """
    trace = ModuleTrace()
    ACTIVE.append(trace)
    try:
        yield trace
    finally:
        ACTIVE.remove(trace)
        _last.trace = trace


def last_trace() -> ModuleTrace | None:
    """The trace of the last ``recording()`` that ended in this thread, or None."""
    return getattr(_last, "trace", None)


def note_call(owner: Any, inputs: tuple[Any, ...], output: Any) -> None:
    """Note that ``owner`` turned ``inputs`` into ``output`` (for every trace of this thread)."""
    me = threading.get_ident()
    nodes = tuple(x for x in inputs if isinstance(x, Node))
    for trace in ACTIVE:
        if trace.thread == me and isinstance(output, Node):
            trace.calls.append(Call(owner, nodes, output))


def _names(trace: ModuleTrace, model: Any) -> list[str]:
    """A readable name per call: the model's dotted name and the class, numbered when a
    module is called more than once."""
    known: dict[int, str] = {}
    if model is not None and hasattr(model, "named_modules"):
        known = {id(m): name for name, m in model.named_modules()}
    seen: dict[int, int] = {}
    names = []
    for call in trace.calls:
        kind = type(call.owner).__name__
        name = known.get(id(call.owner))
        base = f"{name} ({kind})" if name else kind
        n = seen[id(call.owner)] = seen.get(id(call.owner), 0) + 1
        names.append(base if n == 1 else f"{base} call {n}")
    return names


def assign(root: Any, trace: ModuleTrace) -> dict[int, int]:
    """For each node of ``root``'s graph made inside a recorded call, the index of the
    innermost such call (nodes made outside every call are left out)."""
    in_graph = {id(n) for n in toposort(root)}
    group: dict[int, int] = {}
    for k, call in enumerate(trace.calls):
        if id(call.output) not in in_graph:
            continue
        stop = {id(x) for x in call.inputs}
        stack, seen = [call.output], {id(call.output)}
        while stack:
            node = stack.pop()
            group.setdefault(id(node), k)  # calls return inner first: the innermost wins
            for p in node.parents:
                if id(p) not in seen and id(p) not in stop:
                    seen.add(id(p))
                    stack.append(p)
    return group


def _grad_norm(node: Any) -> float | None:
    g = getattr(node, "grad", None)
    if g is None:
        return None
    g = np.asarray(getattr(g, "data", g), dtype=np.float64)
    return float(np.sqrt(np.sum(g * g)))


def _edge_label(norms: list[float], precision: int) -> str:
    if not norms:
        return ""
    total = math.sqrt(sum(n * n for n in norms))
    return f"‖grad‖ {total:.{precision}g}"


def crossings(
    root: Any, group: dict[int, int]
) -> dict[tuple[int | None, int | None], dict[int, Any]]:
    """Edges whose ends lie in different groups (None: outside every call), keyed by
    (source group, target group), with the source nodes that cross."""
    out: dict[tuple[int | None, int | None], dict[int, Any]] = {}
    for node in toposort(root):
        g_to = group.get(id(node))
        for p in node.parents:
            g_from = group.get(id(p))
            if g_from != g_to:
                out.setdefault((g_from, g_to), {})[id(p)] = p
    return out


def draw_by_module(
    root: Any,
    by_module: Any = True,
    model: Any = None,
    collapse: bool = False,
    precision: int = 4,
    **draw: Any,
) -> graphviz.Digraph:
    """``root``'s graph with the nodes of each module call in one box (a Graphviz
    cluster), or, with ``collapse``, one node per module call; every edge between two
    modules is labelled with the norm of the gradient that crossed it (the gradient of
    the value leaving the module, summed over where it went).

    ``by_module``: a ``ModuleTrace``, or True for this thread's last ``recording()``.
    ``model`` names the boxes (its ``named_modules()``). The rest goes to ``draw_graph``.
    """
    from .graph import draw_graph

    trace = by_module if isinstance(by_module, ModuleTrace) else last_trace()
    if trace is None:
        raise ValueError(
            "draw_graph(by_module=...) needs the forward pass recorded: run it inside "
            "autodiff.viz.modules.recording() (nn.diagnostics.record_modules())"
        )
    group = assign(root, trace)
    if not group:
        raise ValueError(
            "no node of this graph was made inside a recorded module call: record the "
            "forward pass that produced it"
        )
    names = _names(trace, model)
    order = toposort(root)
    ids = {id(n): f"v{i}" for i, n in enumerate(order)}  # draw_graph's ids: walk order
    edges = crossings(root, group)
    if not collapse:
        dot = draw_graph(root, precision=precision, **draw)
        members: dict[int, list[Any]] = {}
        for node in order:
            if id(node) in group:
                members.setdefault(group[id(node)], []).append(node)
        for k, nodes in members.items():
            with dot.subgraph(name=f"cluster_m{k}") as box:
                box.attr(label=names[k], style="rounded,filled", fillcolor="#f7f7f7")
                for node in nodes:
                    box.node(ids[id(node)])
                    if node._op is not None:
                        box.node(ids[id(node)] + "_op")
        labelled: dict[tuple[str, str], str] = {}
        for crossing in edges.values():
            for p in crossing.values():
                norm = _grad_norm(p)
                if norm is None:
                    continue
                for node in order:
                    if any(q is p for q in node.parents) and group.get(id(node)) != group.get(
                        id(p)
                    ):
                        labelled[(ids[id(p)], ids[id(node)] + "_op")] = _edge_label(
                            [norm], precision
                        )
        dot.body = [_label_edge(line, labelled) for line in dot.body]
        return dot
    dot = graphviz.Digraph(
        "autodiff_modules",
        graph_attr={"rankdir": draw.get("rankdir", "LR"), "fontname": "Helvetica"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7", "fontsize": "9"},
    )
    for k, call in enumerate(trace.calls):
        if k not in group.values():
            continue
        out = call.output
        shape = "×".join(str(n) for n in np.shape(out.data)) or "scalar"
        norm = _grad_norm(out)
        grad = f"‖grad‖ {norm:.{precision}g}" if norm is not None else "grad –"
        label = "{ " + " | ".join(_esc(t) for t in (names[k], f"out {shape}", grad)) + " }"
        dot.node(f"m{k}", label, shape="record", style="filled,rounded", fillcolor="#d9ead3")
    outside = [n for n in order if id(n) not in group]
    for node in outside:
        norm = _grad_norm(node)
        text = getattr(node, "label", "") or (node._op.name if node._op is not None else "input")
        if norm is not None:
            text += f" ‖grad‖ {norm:.{precision}g}"
        fill = "#ffe599" if node is root else "#cfe2f3"
        dot.node(ids[id(node)], _esc(text), shape="box", style="filled", fillcolor=fill)
        for p in node.parents:
            if id(p) not in group:
                dot.edge(ids[id(p)], ids[id(node)])
    for (g_from, g_to), crossing in edges.items():
        src_nodes = list(crossing.values())
        dst = f"m{g_to}" if g_to is not None else None
        norms = [n for n in (_grad_norm(p) for p in src_nodes) if n is not None]
        if g_from is not None:
            targets = [dst] if dst else _targets(order, src_nodes, group, ids)
            for t in targets:
                dot.edge(f"m{g_from}", t, label=_edge_label(norms, precision))
        else:
            for p in src_nodes:
                dot.edge(ids[id(p)], dst or ids[id(p)], label=_edge_label(norms, precision))
    return dot


def _targets(order: list[Any], sources: list[Any], group: dict[int, int], ids: dict) -> list[str]:
    """Nodes outside every call that take one of ``sources`` as an operand."""
    wanted = {id(p) for p in sources}
    return [
        ids[id(n)] for n in order if id(n) not in group and any(id(p) in wanted for p in n.parents)
    ]


def _esc(text: str) -> str:
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _label_edge(line: str, labels: dict[tuple[str, str], str]) -> str:
    """A DOT edge line ``\\ta -> b`` with ``[label=...]`` added if it is one to label."""
    parts = line.strip().split(" -> ")
    if len(parts) == 2 and (parts[0], parts[1]) in labels:
        text = labels[(parts[0], parts[1])]
        return f'\t{parts[0]} -> {parts[1]} [label="{text}" fontsize=9]\n'
    return line


__all__ = [
    "ACTIVE",
    "Call",
    "ModuleTrace",
    "assign",
    "crossings",
    "draw_by_module",
    "last_trace",
    "note_call",
    "recording",
]
