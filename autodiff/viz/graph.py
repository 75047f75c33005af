"""Drawings of computation graphs with every forward value and every gradient on them.

Each Value is a record ``label | data | grad``; each op is a small node of its own
between its inputs and its output, the classic forward/backward slide. Constants are
written into their op (``+1``, ``*-1``, ``1/x``). Tensors show label, shape, dtype and
gradient norm instead of numbers. Node ids come from the walk order, never ``id()``,
so the same graph always gives the same DOT source.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import warnings
from collections import deque
from typing import Any

import graphviz
import numpy as np

from ..atomic import write_atomic
from ..engine import FREED, PARAM, RPARAM, Node, toposort

INSTALL_HINT = (
    "Graphviz's 'dot' program is needed to render; install Graphviz "
    "(Debian/Ubuntu: apt-get install graphviz; macOS: brew install graphviz; "
    "others: https://graphviz.org/download/). The DOT source is still available as "
    "graph.source, or write it with a .gv/.dot file name."
)

LEAF_COLOUR = "#cfe2f3"  # inputs and parameters
PARAM_COLOUR = "#d9ead3"  # tensors that require grad: what training changes
ROOT_COLOUR = "#ffe599"
OP_COLOUR = "#eeeeee"


# dot's layout time grows fast with the node count and faster with long edges (a name
# used by many ops far apart): 70 uses of one variable already take it 25 s. The budget
# keeps a drawing readable and quick; the time limit stops the cases the budget misses.
DEFAULT_MAX_NODES = 1000
DEFAULT_TIMEOUT = 30.0  # seconds


class GraphvizNotFound(RuntimeError):
    """Rendering needs Graphviz's ``dot``, which is not installed."""


class RenderError(RuntimeError):
    """Graphviz's ``dot`` failed, crashed or ran past its time limit; the message is one
    line saying which and what to try."""


def _number(x: float, precision: int) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return f"{x:.{precision}f}"


def _escape(text: str) -> str:
    """Text made safe inside a record label."""
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _constant(c: Any, precision: int) -> str:
    if isinstance(c, (bool, np.bool_)):
        return str(c)
    if isinstance(c, (int, np.integer)):
        return str(int(c))
    if isinstance(c, (float, np.floating)):
        return f"{float(c):.{precision}g}"
    if isinstance(c, np.ndarray):
        if c.size == 1:
            return _constant(c.reshape(-1)[0].item(), precision)
        return "[" + "×".join(str(n) for n in c.shape) + "]"
    if isinstance(c, tuple):
        return ", ".join(_constant(x, precision) for x in c if x is not None)
    return repr(c)


def op_label(node: Any, precision: int = 4) -> str:
    """How ``node``'s op is written in a drawing: ``+1``, ``1/x``, ``**2``, ``exp``.

    >>> from autodiff import Value
    >>> op_label(1 / Value(2.0)), op_label(Value(2.0) + 1), op_label(-Value(1.0))
    ('1/x', '+1', '*-1')
    """
    op = node._op
    if op is None:
        return ""
    if op.layout is FREED:
        return "(freed)"
    if op.name == "neg":
        return "*-1"  # how the course draws a negation
    layout, operands = op.layout, node._operands()
    if layout is PARAM and op.symbol:  # x op c: the constant after the symbol
        return f"{op.symbol}{_constant(operands[1], precision)}"
    if layout is RPARAM:  # c op x; for + and * the order does not matter: "+1"
        c = _constant(operands[0], precision)
        if not op.symbol:  # a function of two operands, the constant first: arctan2(0.5, x)
            return f"{op.name}({c}, x)"
        return f"{op.symbol}{c}" if op.symbol in ("+", "*") else f"{c}{op.symbol}x"
    if layout is PARAM and operands[1] is not None:
        param = _constant(operands[1], precision)
        return f"{op.name}({param})" if param else op.name
    return op.name


def _record(node: Any, show_data: bool, show_grad: bool, precision: int) -> str:
    label = getattr(node, "label", "") or ""
    fields = [_escape(label)]
    data = node.data
    if isinstance(data, np.ndarray):
        shape = "×".join(str(n) for n in data.shape) or "scalar"
        fields.append(_escape(f"{shape} {data.dtype}"))
        if show_data and data.size == 1:
            fields.append("data " + _number(float(data.reshape(-1)[0]), precision))
        if show_grad:
            g = node.grad
            if g is None:
                fields.append("grad –")
            else:
                g = np.asarray(getattr(g, "data", g), dtype=np.float64)
                fields.append("‖grad‖ " + _number(float(np.sqrt(np.sum(g * g))), precision))
    else:
        if show_data:
            fields.append("data " + _number(float(data), precision))
        if show_grad:
            g = node.grad
            g = getattr(g, "data", g)  # a Value after backward(create_graph=True)
            fields.append("grad " + _number(float(g), precision))
    return "{ " + " | ".join(fields) + " }"


def _walk(
    root: Any, max_depth: int | None, max_nodes: int | None
) -> tuple[list[Any], dict[int, int]]:
    """Nodes within ``max_depth`` ops of the root (breadth first, at most ``max_nodes``),
    and for each node on the cut-off frontier how many parents were left out."""
    kept = [root]
    depth = {id(root): 0}
    hidden: dict[int, int] = {}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        parents = node.parents
        d = depth[id(node)]
        missing = 0
        for p in parents:
            if id(p) in depth:
                continue
            if (max_depth is not None and d + 1 > max_depth) or (
                max_nodes is not None and len(kept) >= max_nodes
            ):
                missing += 1
                continue
            depth[id(p)] = d + 1
            kept.append(p)
            queue.append(p)
        if missing:
            hidden[id(node)] = missing
    return kept, hidden


def draw_graph(
    root: Any,
    show_data: bool = True,
    show_grad: bool = True,
    precision: int = 4,
    rankdir: str = "LR",
    max_depth: int | None = None,
    max_nodes: int | None = None,
    legend: bool = False,
    by_module: Any = False,
    model: Any = None,
) -> graphviz.Digraph:
    """Draw the computation graph that produced ``root`` (a Value or a Tensor).

    Every Value is a record ``label | data | grad`` and every op a small node between
    its inputs and its output. Leaves are blue, tensors that require grad (parameters)
    green, the output yellow. ``max_depth`` keeps only nodes within that many ops of
    ``root`` and ``max_nodes`` caps the count, keeping the nodes nearest ``root``;
    what is cut is shown as "… N more". Without ``max_nodes`` at most
    ``DEFAULT_MAX_NODES`` (1000) are drawn, with a warning when a graph is larger
    (pass a larger ``max_nodes`` to draw more: Graphviz slows down past a few
    thousand). Render with :func:`autodiff.viz.render` (``render(graph,
    "graph.svg")``); ``graph.source`` is the DOT text. ``by_module`` (True,
    "collapse" or a trace) and ``model`` draw it by module: see
    ``autodiff.viz.modules.draw_by_module``.

    >>> from autodiff import Value
    >>> x = Value(2.0, label="x")
    >>> y = (x * x).tanh(); y.label = "y"
    >>> y.backward()
    >>> print(draw_graph(y).source.count("record"))
    3
    """
    if not isinstance(root, Node):
        raise TypeError(f"draw_graph takes a Value or a Tensor, got {type(root).__name__}")
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"rankdir must be one of LR, RL, TB, BT; got {rankdir!r}")
    if not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ValueError(f"precision must be an int from 0 to 17, got {precision!r}")
    for name, limit in (("max_depth", max_depth), ("max_nodes", max_nodes)):
        if limit is not None and (not isinstance(limit, int) or limit < 1):
            raise ValueError(f"{name} must be a positive int or None, got {limit!r}")
    if root._op is not None and root._op.layout is FREED:  # type: ignore[attr-defined]
        raise ValueError(
            "the graph under this tensor was freed by backward(); call "
            "backward(retain_graph=True) to keep it for drawing"
        )
    if by_module is not False or model is not None:
        from .modules import draw_by_module

        grouping = True if by_module in (False, "collapse") else by_module
        return draw_by_module(
            root, grouping, model, collapse=by_module == "collapse", precision=precision,
            show_data=show_data, show_grad=show_grad, rankdir=rankdir, legend=legend,
        )  # fmt: skip
    kept, hidden = _walk(root, max_depth, DEFAULT_MAX_NODES if max_nodes is None else max_nodes)
    # Inputs first, in operand order, so the drawing reads left to right like the slide.
    position = {id(n): i for i, n in enumerate(toposort(root))}
    if max_nodes is None and len(kept) < len(position) and max_depth is None:
        warnings.warn(
            f"draw_graph: the graph has {len(position):,} nodes; drew the "
            f"{len(kept):,} nearest the output (pass max_nodes={len(position)} to draw "
            "them all; Graphviz gets slow past a few thousand)",
            stacklevel=2,
        )
    kept.sort(key=lambda n: position[id(n)])
    ids = {id(n): f"v{i}" for i, n in enumerate(kept)}
    dot = graphviz.Digraph(
        "autodiff",
        graph_attr={"rankdir": rankdir, "fontname": "Helvetica"},
        node_attr={"fontname": "Helvetica", "fontsize": "11"},
        edge_attr={"arrowsize": "0.7"},
    )
    for node in kept:
        nid = ids[id(node)]
        is_leaf = node._op is None
        fill = "white"
        if node is root:
            fill = ROOT_COLOUR
        elif is_leaf:
            fill = PARAM_COLOUR if getattr(node, "requires_grad", False) else LEAF_COLOUR
        dot.node(
            nid,
            _record(node, show_data, show_grad, precision),
            shape="record",
            style="filled",
            fillcolor=fill,
        )
        if node._op is None:
            continue
        oid = nid + "_op"
        dot.node(
            oid,
            op_label(node, precision),
            shape="ellipse",
            style="filled",
            fillcolor=OP_COLOUR,
            fontsize="10",
            height="0.3",
            margin="0.02",
        )
        dot.edge(oid, nid)
        for parent in node.parents:
            if id(parent) in ids:
                dot.edge(ids[id(parent)], oid)
        if id(node) in hidden:
            more = nid + "_more"
            dot.node(more, f"… {hidden[id(node)]} more", shape="plaintext", fontsize="10")
            dot.edge(more, oid, style="dashed")
    if legend:
        with dot.subgraph(name="cluster_legend") as key:
            key.attr(label="legend", fontsize="10", style="rounded")
            for i, (text, colour) in enumerate(
                [("input", LEAF_COLOUR), ("parameter", PARAM_COLOUR), ("output", ROOT_COLOUR)]
            ):
                key.node(f"legend{i}", text, shape="box", style="filled", fillcolor=colour)
            key.node("legend_op", "op", shape="ellipse", style="filled", fillcolor=OP_COLOUR)
    return dot


def run_dot(graph: graphviz.Digraph, fmt: str, timeout: float | None = DEFAULT_TIMEOUT) -> bytes:
    """``graph`` laid out by Graphviz's ``dot`` in format ``fmt`` (``"svg"``, ``"png"``…).

    Raises GraphvizNotFound (saying how to install it) without ``dot``, and a one-line
    RenderError when ``dot`` fails, crashes or runs longer than ``timeout`` seconds
    (None: no limit); a bad format is a ValueError.
    """
    if fmt not in graphviz.FORMATS:
        raise ValueError(f"Graphviz cannot write {fmt!r} files; try svg, png or pdf")
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFound(INSTALL_HINT)
    records = graph.source.count("shape=record")  # one per Value or Tensor drawn
    shapes = sum(1 for line in graph.body if "->" not in line and "[" in line)
    size = f"a graph of {records or shapes:,} nodes"
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=graph.source.encode(), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        raise RenderError(
            f"Graphviz's dot did not finish within {timeout:g} s on {size}: draw fewer "
            "nodes (max_nodes, max_depth) or allow more time (timeout)"
        ) from None
    if done.returncode < 0:
        raise RenderError(
            f"Graphviz's dot crashed (signal {-done.returncode}) on {size}: draw fewer "
            "nodes (max_nodes, max_depth)"
        )
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip().splitlines()
        raise RenderError(
            f"Graphviz's dot failed (exit status {done.returncode})"
            + (f": {said[0]}" if said else "")
        )
    return done.stdout


def render(
    graph: graphviz.Digraph, path: str | os.PathLike[str], timeout: float | None = DEFAULT_TIMEOUT
) -> str:
    """Write ``graph`` to ``path``, the format taken from its extension.

    ``.svg``, ``.png``, ``.pdf`` (and any other format Graphviz knows) run ``dot``,
    stopped after ``timeout`` seconds (see :func:`run_dot` for the errors); ``.gv``
    and ``.dot`` write the DOT source and need no Graphviz. The file is replaced
    atomically, with the usual permissions. Returns the path written.

    >>> import os, tempfile
    >>> from autodiff import Value
    >>> path = os.path.join(tempfile.mkdtemp(), "g.gv")
    >>> render(draw_graph(Value(2.0, label="x") * 3), path) == path
    True
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if not ext:
        raise ValueError(f"cannot tell the format of {path!r}: give it an extension like .svg")
    if ext in ("gv", "dot"):
        data = graph.source.encode()
    else:
        data = run_dot(graph, ext, timeout)
    return write_atomic(path, lambda f: f.write(data), sync=False)


__all__ = [
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "INSTALL_HINT",
    "LEAF_COLOUR",
    "OP_COLOUR",
    "PARAM_COLOUR",
    "ROOT_COLOUR",
    "GraphvizNotFound",
    "RenderError",
    "draw_graph",
    "op_label",
    "render",
    "run_dot",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
