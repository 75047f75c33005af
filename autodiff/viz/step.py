"""A page that plays backpropagation node by node: ``step_page(root)``.

One self-contained HTML file (the Graphviz SVG of :func:`draw_graph`, inline CSS and
JS; nothing is fetched, it opens from disk). The forward pass runs in topological
order: each node lights up and its value appears. The backward pass runs in reverse:
each node's gradient appears and the side panel shows the chain-rule step that made
it, with numbers, e.g. ``∂f/∂x0 = w0 · ∂f/∂(w0·x0) = 2.00 × 0.20 = 0.39``; a node used
twice shows the sum of its contributions. Every number is computed here in Python
(the gradients by the engine's own backward pass, each local factor by calling the
op's vjp with the gradient 1), so the page only toggles CSS classes: stepping costs
the same on a graph of thousands of nodes.

Controls: next / previous / play / reset, arrow keys (Space plays, Home and End jump),
a speed slider. The step is kept in the URL fragment (``page.html#step=7``); opening a
page with a fragment shows that step at once, ``#step=end`` the finished backward pass.

**Layers.** Each node belongs to a layer, shown as a list of checkboxes beside the
graph. Folding a layer fades its nodes and makes next/previous pass over each run of
its nodes in one step, so a large network can be played layer by layer. With
``layers="prefix"`` (the default) a labelled node's layer is its label up to the first
all-digit part (``layers.0.neurons.1.w.0`` → ``layers.0``; ``w0`` has none), and an
unlabelled node takes the last (in natural order) layer of its operands, so the
products and sums of a neuron join its weights' layer. ``layers="depth"`` groups by
the longest path from the inputs; a callable maps a node to its layer name (or None).
"""

from __future__ import annotations

import html
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..atomic import write_atomic
from ..engine import BINARY, PARAM, RPARAM, Node, backpropagate, toposort
from .graph import (
    DEFAULT_MAX_NODES,
    DEFAULT_TIMEOUT,
    _constant,
    _number,
    draw_graph,
    op_label,
    run_dot,
)

SVG_NS = "http://www.w3.org/2000/svg"
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")

MAX_NAME = 20  # longer expressions are called by their node id (v12) instead


@dataclass
class Step:
    """One step of the player: a node's value (forward) or gradient (backward) appears.

    ``number`` counts from 1; ``index`` is the node's place in topological order (its
    drawing id is ``v{index}``); ``lines`` is the side panel's text.
    """

    number: int
    phase: str
    index: int
    name: str
    layer: str
    text: str
    finite: bool
    lines: list[str] = field(default_factory=list)


class StepPage:
    """The player page: ``html`` is the whole file; shows inline in Jupyter.

    >>> from autodiff import Value
    >>> x = Value(3.0, label="x")
    >>> page = step_page(x * x)
    >>> page.steps[-1].lines[0]
    '∂f/∂x = x · ∂f/∂f + x · ∂f/∂f = 3.00 × 1.00 + 3.00 × 1.00 = 6.00'
    >>> page.html.startswith("<!DOCTYPE html>")
    True
    """

    def __init__(self, html_text: str, steps: list[Step], names: list[str]) -> None:
        self.html = html_text
        self.steps = steps
        self.names = names  # node names in topological order

    def save(self, path: str | os.PathLike[str]) -> str:
        """Write the page to ``path`` (UTF-8, atomically); returns the path."""
        data = self.html.encode("utf-8")
        return write_atomic(path, lambda f: f.write(data), sync=False)

    def _repr_html_(self) -> str:
        # An iframe keeps the page's script, styles, keys and fragment to itself.
        return (
            '<iframe style="width:100%;height:560px;border:1px solid #ccc" '
            f'srcdoc="{html.escape(self.html, quote=True)}"></iframe>'
        )


def _wrap(text: str) -> str:
    """``text`` in parentheses unless it is one name or number (for ``∂f/∂(w0·x0)``)."""
    return text if re.fullmatch(r"[\w.]+", text) else f"({text})"


def _precedence(text: str) -> int:
    """How tightly ``text`` binds: 1 a sum, 2 a product, 3 a negation, 4 a power, 5 an atom."""
    depth, level = 0, 5
    for k, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            if ch in "+-" and k > 0 and text[k - 1] == " ":
                return 1  # binary + and - are written with spaces around them
            if ch in "·×/":
                level = min(level, 2)
            elif ch == "-" and k == 0:
                level = min(level, 3)
            elif ch == "*":
                level = min(level, 4)
    return level


def _operand(text: str, needed: int) -> str:
    return text if _precedence(text) >= needed else f"({text})"


_BINDS = {"+": 1, "-": 1, "·": 2, "×": 2, "/": 2, "**": 4, "@": 2}


def _formula(node: Any, parts: list[str], times: str) -> str:
    """How ``node`` is computed from its node operands written as ``parts`` (constants
    are taken from the node), e.g. ``w0·x0``, ``exp(-n)``, ``1/(n + 1)``; ``times``
    is the multiplication sign (``·`` between names, ``×`` between numbers)."""
    op = node._op
    kind = op.layout
    a, b = (*node._operands(), None, None)[:2]
    symbol = times if op.symbol == "*" else op.symbol
    if op.name == "neg":  # -x, but -(1.00): "-1.00" would read as a number
        return f"-{parts[0]}" if re.fullmatch(r"[A-Za-z_][\w.]*", parts[0]) else f"-({parts[0]})"
    if symbol and kind in (BINARY, PARAM, RPARAM):
        if kind is BINARY:
            left, right = parts
        elif kind is PARAM:
            left, right = parts[0], _constant(b, 4)
        elif op.symbol in ("+", "*"):  # c + x is written x + c, as the drawing does
            left, right = parts[0], _constant(a, 4)
        else:
            left, right = _constant(a, 4), parts[0]
        binds = _BINDS.get(symbol, 2)
        spaced = f" {symbol} " if binds == 1 else symbol
        # a - (b - c), a/(b·c), and a negation never glued to an operator: a·(-b)
        right_needs = binds + 1 if symbol in ("-", "/", "**") else binds
        if right.startswith("-"):
            right_needs = 5
        left_needs = binds + 1 if symbol == "**" else binds
        return f"{_operand(left, left_needs)}{spaced}{_operand(right, right_needs)}"
    if kind is PARAM and b is not None:
        return f"{op_label(node)}({parts[0]})"
    return f"{op.name}({', '.join(parts)})"


def _local_grads(node: Any, g: float) -> list[tuple[int, Any, float]]:
    """``(operand position, operand, its gradient)`` for each node operand of
    ``node`` given ``g`` = d(root)/d(node): the op's vjps, called through the operand
    layout (:class:`autodiff.engine.Layout`) as the backward pass calls them."""
    op = node._op
    return [(i, x, float(gx)) for i, x, gx in op.layout.vjps(op, node, g, False)]


def _local_symbol(node: Any, position: int, names: dict[int, str], name: str) -> str:
    """The local derivative of ``node`` with respect to its operand at ``position``,
    written for the panel: the other factor of a product, 1 or -1 for sums and
    differences, ``∂u/∂x`` otherwise (its value is always the vjp's number)."""
    op = node._op
    if op.name == "*":
        a, b = node._operands()
        if op.layout is BINARY:
            return _operand(names[id(b if position == 0 else a)], 2)
        return _wrap(_constant(b if op.layout is PARAM else a, 4))
    if op.name == "+":
        return "1"
    if op.name == "-":
        return "-1" if position == 1 else "1"
    if op.name == "neg":
        return "-1"
    return f"∂{_wrap(names[id(node)])}/∂{_wrap(name)}"


def _natural(text: str) -> list[Any]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def _prefix_layer(label: str) -> str | None:
    parts = label.split(".")
    for i, part in enumerate(parts[:-1]):
        if part.isdigit():
            return ".".join(parts[: i + 1])
    return None


def _layers(order: list[Any], how: str | Callable[[Any], str | None]) -> list[str]:
    layer: dict[int, str] = {}
    depth: dict[int, int] = {}
    for node in order:
        ds = [depth[id(p)] for p in node.parents]
        depth[id(node)] = 1 + max(ds) if ds else 0
        if how == "depth":
            layer[id(node)] = f"depth {depth[id(node)]}"
            continue
        if callable(how):
            got = how(node)
        else:
            got = _prefix_layer(getattr(node, "label", "") or "")
        if got is None:
            inherited = [layer[id(p)] for p in node.parents if layer[id(p)]]
            got = max(inherited, key=_natural) if inherited else ""
        layer[id(node)] = got
    return [layer[id(n)] or "graph" for n in order]


def _step_data(
    root: Any, precision: int, layers: str | Callable[[Any], str | None]
) -> tuple[list[Any], list[str], list[float], list[Step]]:
    """Topological order, node names, gradients and the 2·N steps."""
    order: list[Any] = list(toposort(root))
    grads = [float(g) for g in backpropagate(root, 1.0, inputs=tuple(order)) or []]
    index = {id(n): i for i, n in enumerate(order)}
    names: dict[int, str] = {}
    for i, node in enumerate(order):
        label = getattr(node, "label", "") or ""
        if label:
            names[id(node)] = label
        elif node._op is None:
            names[id(node)] = f"v{i}"
        else:
            text = _formula(node, [names[id(p)] for p in node.parents], "·")
            names[id(node)] = text if len(text) <= MAX_NAME else f"v{i}"
    fname = getattr(root, "label", "") or "f"
    names[id(root)] = fname
    layer_of = _layers(order, layers)

    def num(x: float) -> str:
        return _number(x, precision)

    def factor(x: float) -> str:  # a negative factor after the first in parentheses
        return f"({num(x)})" if num(x).startswith("-") else num(x)

    # Who consumes each node: (consumer, operand position), in topological order.
    consumers: dict[int, list[tuple[Any, int, float, float]]] = {}
    for node in order:
        if node._op is None:
            continue
        g = grads[index[id(node)]]
        ones = _local_grads(node, 1.0)
        contributions = _local_grads(node, g)
        for (pos, x, local), (_, _, part) in zip(ones, contributions, strict=True):
            consumers.setdefault(id(x), []).append((node, pos, local, part))

    steps: list[Step] = []
    n = len(order)
    for i, node in enumerate(order):
        name = names[id(node)]
        value = float(node.data)
        if node._op is None:
            lines = [f"{name} = {num(value)}", "an input: its value is given"]
        else:
            parents = node.parents
            symbolic = _formula(node, [names[id(p)] for p in parents], "·")
            numeric = _formula(node, [num(float(p.data)) for p in parents], "×")
            lines = [f"{name} = {symbolic} = {numeric} = {num(value)}", f"op: {op_label(node)}"]
            if symbolic == name:
                lines[0] = f"{name} = {numeric} = {num(value)}"
        steps.append(
            Step(i + 1, "forward", i, name, layer_of[i], num(value), math.isfinite(value), lines)
        )
    for k, node in enumerate(reversed(order)):
        i = n - 1 - k
        name = names[id(node)]
        g = grads[i]
        d = f"∂{fname}/∂{_wrap(name)}"
        if node is root:
            lines = [f"{d} = 1 (the seed: the output's gradient with respect to itself)"]
        else:
            uses = consumers[id(node)]
            terms = [
                f"{_local_symbol(c, pos, names, name)} · ∂{fname}/∂{_wrap(names[id(c)])}"
                for c, pos, _, _ in uses
            ]
            products = [
                f"{factor(local) if j else num(local)} × {factor(grads[index[id(c)]])}"
                for j, (c, _, local, _) in enumerate(uses)
            ]
            lines = [f"{d} = {' + '.join(terms)} = {' + '.join(products)} = {num(g)}"]
            if len(uses) > 1:
                parts = " + ".join(factor(p) if j else num(p) for j, (*_, p) in enumerate(uses))
                lines.append(f"{name} is used {len(uses)} times: the contributions add up, {parts}")
        steps.append(
            Step(n + k + 1, "backward", i, name, layer_of[i], num(g), math.isfinite(g), lines)
        )
    return order, [names[id(x)] for x in order], grads, steps


def steps_of(
    root: Any, precision: int = 2, layers: str | Callable[[Any], str | None] = "prefix"
) -> list[Step]:
    """The player's steps for ``root``, without drawing (no Graphviz needed): N forward
    steps in topological order, then N backward steps in reverse order.

    >>> from autodiff import Value
    >>> w0, x0 = Value(2.0, label="w0"), Value(-1.0, label="x0")
    >>> for s in steps_of(w0 * x0):
    ...     print(s.number, s.phase, s.name, s.text, s.lines[0])
    1 forward w0 2.00 w0 = 2.00
    2 forward x0 -1.00 x0 = -1.00
    3 forward f -2.00 f = w0·x0 = 2.00×(-1.00) = -2.00
    4 backward f 1.00 ∂f/∂f = 1 (the seed: the output's gradient with respect to itself)
    5 backward x0 2.00 ∂f/∂x0 = w0 · ∂f/∂f = 2.00 × 1.00 = 2.00
    6 backward w0 -1.00 ∂f/∂w0 = x0 · ∂f/∂f = -1.00 × 1.00 = -1.00
    """
    _check(root, precision, layers)
    return _step_data(root, precision, layers)[3]


def _check(root: Any, precision: Any, layers: Any) -> None:
    if not isinstance(root, Node) or not isinstance(getattr(root, "data", None), float):
        raise TypeError(f"step_page takes a scalar Value, got {type(root).__name__}")
    if not (layers in ("prefix", "depth") or callable(layers)):
        raise ValueError(f"layers must be 'prefix', 'depth' or a callable, got {layers!r}")
    if not isinstance(precision, int) or not 0 <= precision <= 17:
        raise ValueError(f"precision must be an int from 0 to 17, got {precision!r}")


def _svg(
    root: Any,
    order: list[Any],
    grads: list[float],
    precision: int,
    rankdir: str,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> str:
    """draw_graph's SVG with classes the player toggles: record and op nodes get ids
    ``n-v3`` / ``n-v3_op``, the data and grad texts classes ``val`` / ``grd``."""
    saved = [node.grad for node in order]
    try:  # draw with the true gradients so records are laid out for their numbers
        for node, grad in zip(order, grads, strict=True):
            node.grad = grad
        graph = draw_graph(root, precision=precision, rankdir=rankdir, max_nodes=len(order))
    finally:
        for node, grad in zip(order, saved, strict=True):
            node.grad = grad
    svg = run_dot(graph, "svg", timeout).decode("utf-8")
    tree = ET.fromstring(svg)
    tag = f"{{{SVG_NS}}}"
    for g in tree.iter(f"{tag}g"):
        kind = g.get("class")
        title = g.find(f"{tag}title")
        if title is None or title.text is None or kind not in ("node", "edge"):
            continue
        key = title.text
        if kind == "edge":
            g.set("id", "e-" + key.replace("->", "-"))
            continue
        g.set("id", "n-" + key)
        if key.endswith("_op"):
            g.set("class", "node opn")
            continue
        g.set("class", "node rec")
        i = int(key[1:]) if key[1:].isdigit() else -1
        for text in g.iter(f"{tag}text"):
            content = text.text or ""
            if content.startswith("data "):
                bad = not math.isfinite(float(order[i].data))
                text.set("class", "val bad" if bad else "val")
            elif content.startswith("grad "):
                bad = not math.isfinite(grads[i])
                text.set("class", "grd bad" if bad else "grd")
    return ET.tostring(tree, encoding="unicode")


def step_page(
    root: Any,
    path: str | os.PathLike[str] | None = None,
    precision: int = 2,
    layers: str | Callable[[Any], str | None] = "prefix",
    title: str | None = None,
    rankdir: str = "LR",
    max_nodes: int = DEFAULT_MAX_NODES,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> StepPage:
    """A self-contained HTML page that plays ``root``'s forward and backward pass.

    ``root`` is a scalar Value; its graph is not changed (no ``.grad`` is touched:
    the gradients come from ``backpropagate(inputs=...)``). Numbers are shown with
    ``precision`` digits, nan and inf as such and highlighted. ``layers`` groups
    nodes for folding ("prefix", "depth" or a callable; see the module docstring).
    Writes the page to ``path`` if given. Needs Graphviz's ``dot`` for the layout
    (GraphvizNotFound without it), which is stopped after ``timeout`` seconds; a graph
    of more than ``max_nodes`` nodes (default 1000) is refused, since the page plays
    every node: raise it to try a larger one.

    >>> from autodiff import Value
    >>> w0, x0 = Value(2.0, label="w0"), Value(-1.0, label="x0")
    >>> page = step_page(w0 * x0)
    >>> [s.name for s in page.steps]
    ['w0', 'x0', 'f', 'f', 'x0', 'w0']
    """
    _check(root, precision, layers)
    count = sum(1 for _ in toposort(root))
    if not isinstance(max_nodes, int) or isinstance(max_nodes, bool) or max_nodes < 1:
        raise ValueError(f"step_page: max_nodes must be a positive int, got {max_nodes!r}")
    if count > max_nodes:
        raise ValueError(
            f"step_page: the graph has {count:,} nodes, more than max_nodes={max_nodes:,}; "
            "the page plays every node and Graphviz gets slow past a few thousand: pass a "
            "larger max_nodes to try, or step through a smaller expression"
        )
    order, names, grads, steps = _step_data(root, precision, layers)
    svg = _svg(root, order, grads, precision, rankdir, timeout)
    index = {id(n): i for i, n in enumerate(order)}
    data = {
        "n": len(order),
        "names": names,
        "layers": [s.layer for s in steps[: len(order)]],
        "consumers": _edges_out(order),
        "parents": [sorted({index[id(p)] for p in node.parents}) for node in order],
        "steps": [
            {"i": s.index, "phase": s.phase, "text": s.text, "ok": s.finite, "lines": s.lines}
            for s in steps
        ],
    }
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    heading = title or f"Backpropagation through {names[-1]}, step by step"
    page = (
        _TEMPLATE.replace("%TITLE%", html.escape(heading))
        .replace("%CSS%", _CSS)
        .replace("%JS%", _JS)
        .replace("%SVG%", svg)
        .replace("%DATA%", payload)
    )
    result = StepPage(page, steps, names)
    if path is not None:
        result.save(path)
    return result


def _edges_out(order: list[Any]) -> list[list[int]]:
    """For each node, the indices of the nodes whose op uses it (edges to light up
    when its gradient is computed)."""
    index = {id(n): i for i, n in enumerate(order)}
    out: list[list[int]] = [[] for _ in order]
    for i, node in enumerate(order):
        for p in node.parents:
            if i not in out[index[id(p)]]:
                out[index[id(p)]].append(i)
    return out


_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%TITLE%</title>
<style>%CSS%</style></head>
<body>
<header><h1>%TITLE%</h1>
<div id="bar">
<button id="reset" title="reset (Home)">&#xAB; reset</button>
<button id="prev" title="previous (&#x2190;)">&#x25C0; prev</button>
<button id="play" title="play / pause (Space)">&#x25B6; play</button>
<button id="next" title="next (&#x2192;)">next &#x25B6;</button>
<label>speed <input id="speed" type="range" min="0.5" max="20" step="0.5" value="2"></label>
<span id="speedval"></span>
<label><input id="fit" type="checkbox"> fit to width</label>
<span id="counter"></span>
</div></header>
<main>
<div id="graph">%SVG%</div>
<aside id="panel">
<div id="phase"></div>
<div id="readout"></div>
<div id="lines"></div>
<details id="layerbox"><summary>layers (fold to step over them)</summary>
<div id="layers"></div></details>
</aside>
</main>
<script type="application/json" id="stepdata">%DATA%</script>
<script>%JS%</script>
</body></html>
"""

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222}
header{padding:6px 12px;border-bottom:1px solid #ddd;background:#fafafa}
h1{font-size:16px;margin:2px 0 6px}
#bar{display:flex;gap:8px;align-items:center;flex-wrap:wrap;font-size:13px}
button{font-size:13px;padding:3px 10px;cursor:pointer}
#counter{margin-left:12px;color:#555}
main{display:flex;height:calc(100vh - 74px);min-height:300px}
#graph{flex:1;overflow:auto;padding:8px}
#panel{width:34%;min-width:260px;max-width:520px;border-left:1px solid #ddd;padding:10px 14px;
overflow:auto;font-size:14px;background:#fcfcfc}
#phase{font-weight:bold;margin-bottom:6px}
#readout{font-size:18px;margin-bottom:10px}
#lines div{font-family:Menlo,Consolas,monospace;margin:6px 0;line-height:1.4}
#lines div:first-child{font-size:15px;background:#fff6d6;padding:6px;border-radius:4px}
.badnum{color:#c00;font-weight:bold}
#graph svg text.val,#graph svg text.grd{visibility:hidden}
#graph svg .has-val text.val,#graph svg .has-grad text.grd{visibility:visible}
#graph svg text.grd{fill:#b45f06;font-weight:bold}
#graph svg text.bad{fill:#d00000;font-weight:bold}
#graph svg .has-val text.bad,#graph svg .has-grad text.grd.bad{text-decoration:underline}
#graph svg g.node{transition:opacity .15s}
#graph svg g.node:not(.has-val){opacity:.4}
#graph svg g.node.has-val{opacity:1}
#graph svg g.node.current polygon,#graph svg g.node.current ellipse{stroke:#e69138;stroke-width:4}
#graph svg g.node.current.backward polygon,
#graph svg g.node.current.backward ellipse{stroke:#cc0000}
#graph svg g.edge.active path{stroke:#e69138;stroke-width:2.5}
#graph svg g.edge.active.backward path{stroke:#cc0000}
#graph svg g.edge.active polygon{fill:#e69138;stroke:#e69138}
#graph svg g.edge.active.backward polygon{fill:#cc0000;stroke:#cc0000}
#graph.fit svg{width:100%;height:auto}
#graph svg g.node.folded{opacity:.15}
#layers label{display:block;font-size:13px}
"""

_JS = r"""
(function(){
"use strict";
var D = JSON.parse(document.getElementById("stepdata").textContent);
var N = D.n, TOTAL = 2 * N, cur = 0, timer = null;
var rec = [], opn = [];
for (var i = 0; i < N; i++) {
  rec.push(document.getElementById("n-v" + i));
  opn.push(document.getElementById("n-v" + i + "_op"));
}
function cls(el, name, on) { if (el) el.classList.toggle(name, on); }
var folded = {};
function layerOf(s) { return D.layers[D.steps[s - 1].i]; }
function sameRun(a, b) {
  return a >= 1 && b >= 1 && a <= TOTAL && b <= TOTAL &&
    D.steps[a - 1].phase === D.steps[b - 1].phase && layerOf(a) === layerOf(b);
}
var lit = [];
function highlight(s) {
  lit.forEach(function (el) { el.classList.remove("current", "active", "backward"); });
  lit = [];
  if (s < 1) return;
  var st = D.steps[s - 1], i = st.i, back = st.phase === "backward";
  function mark(el, name) {
    if (!el) return;
    el.classList.add(name);
    if (back) el.classList.add("backward");
    lit.push(el);
  }
  mark(rec[i], "current"); mark(opn[i], "current");
  if (!back) {
    mark(document.getElementById("e-v" + i + "_op-v" + i), "active");
    D.parents[i].forEach(function (p) {
      mark(document.getElementById("e-v" + p + "-v" + i + "_op"), "active");
    });
  } else {
    D.consumers[i].forEach(function (c) {
      mark(document.getElementById("e-v" + i + "-v" + c + "_op"), "active");
      mark(document.getElementById("e-v" + c + "_op-v" + c), "active");
    });
  }
  if (rec[i] && rec[i].scrollIntoView) rec[i].scrollIntoView({block: "nearest", inline: "nearest"});
}
function apply(s, on) { // step s's effect switched on or off
  var st = D.steps[s - 1], i = st.i;
  if (st.phase === "forward") { cls(rec[i], "has-val", on); cls(opn[i], "has-val", on); }
  else cls(rec[i], "has-grad", on);
}
function show(target, fromHash) {
  target = Math.max(0, Math.min(TOTAL, target));
  if (target > cur) for (var s = cur + 1; s <= target; s++) apply(s, true);
  else for (var s2 = cur; s2 > target; s2--) apply(s2, false);
  cur = target;
  highlight(cur);
  render();
  if (!fromHash) {
    var frag = "#step=" + (cur === TOTAL ? "end" : cur);
    try { history.replaceState(null, "", frag); } catch (e) {}
  }
}
function line(text, bad) {
  var d = document.createElement("div"); d.textContent = text;
  if (bad) d.classList.add("badnum");
  return d;
}
function render() {
  var phase = document.getElementById("phase"), lines = document.getElementById("lines"),
      readout = document.getElementById("readout");
  lines.textContent = ""; readout.textContent = "";
  document.getElementById("counter").textContent = "step " + cur + " / " + TOTAL;
  if (cur === 0) {
    phase.textContent = "Ready: press next (\u2192) to run the forward pass.";
    return;
  }
  var st = D.steps[cur - 1];
  var part = st.phase === "forward" ? "forward pass" : "backward pass";
  var done = cur === N ? " \u2014 done; next starts the backward pass" :
             cur === TOTAL ? " \u2014 done: every gradient is known" : "";
  phase.textContent = part + ", " + (st.phase === "forward" ? "node " : "gradient of ") +
    D.names[st.i] + done;
  var what = st.phase === "forward" ? "value " : "grad ";
  var r = document.createElement("span");
  r.id = "readout-text";
  r.textContent = D.names[st.i] + ": " + what + st.text;
  if (!st.ok) r.classList.add("badnum");
  readout.appendChild(r);
  st.lines.forEach(function (t, k) { lines.appendChild(line(t, k === 0 && !st.ok)); });
}
function next() {
  var t = cur + 1;
  if (folded[layerOf(Math.min(t, TOTAL))]) while (t < TOTAL && sameRun(t, t + 1)) t++;
  show(t);
}
function prev() {
  if (cur < 1) return;
  var t = cur;
  if (folded[layerOf(t)]) while (t > 1 && sameRun(t, t - 1)) t--;
  show(t - 1);
}
function stop() {
  if (timer) { clearInterval(timer); timer = null; }
  playBtn.textContent = "\u25B6 play";
}
function play() {
  if (timer) { stop(); return; }
  if (cur >= TOTAL) show(0);
  playBtn.textContent = "\u23F8 pause";
  timer = setInterval(function () { if (cur >= TOTAL) stop(); else next(); }, 1000 / speed());
}
function speed() { return parseFloat(document.getElementById("speed").value) || 2; }
var playBtn = document.getElementById("play");
document.getElementById("next").onclick = function () { stop(); next(); };
document.getElementById("prev").onclick = function () { stop(); prev(); };
document.getElementById("reset").onclick = function () { stop(); show(0); };
playBtn.onclick = play;
function speedLabel() { document.getElementById("speedval").textContent = speed() + " steps/s"; }
document.getElementById("speed").oninput = function () {
  speedLabel(); if (timer) { stop(); play(); }
};
speedLabel();
document.addEventListener("keydown", function (e) {
  if (e.target && e.target.tagName === "INPUT" && e.target.type !== "checkbox") return;
  if (e.key === "ArrowRight") { stop(); next(); }
  else if (e.key === "ArrowLeft") { stop(); prev(); }
  else if (e.key === " ") { play(); }
  else if (e.key === "Home") { stop(); show(0); }
  else if (e.key === "End") { stop(); show(TOTAL); }
  else return;
  e.preventDefault();
});
// Layers: one checkbox each; folding fades the layer and steps over it in one go.
var names = [];
D.layers.forEach(function (l) { if (names.indexOf(l) < 0) names.push(l); });
var box = document.getElementById("layers");
names.forEach(function (l) {
  var lab = document.createElement("label"), cb = document.createElement("input");
  cb.type = "checkbox"; cb.dataset.layer = l;
  var count = D.layers.filter(function (x) { return x === l; }).length;
  cb.onchange = function () {
    folded[l] = cb.checked;
    D.layers.forEach(function (x, i) {
      if (x === l) { cls(rec[i], "folded", cb.checked); cls(opn[i], "folded", cb.checked); }
    });
  };
  lab.appendChild(cb);
  lab.appendChild(document.createTextNode(" " + l + " (" + count + " nodes)"));
  box.appendChild(lab);
});
if (names.length < 2) document.getElementById("layerbox").style.display = "none";
var fit = document.getElementById("fit");
function setFit() { cls(document.getElementById("graph"), "fit", fit.checked); }
fit.onchange = setFit; setFit();
function fromHash() {
  var m = /step=(end|\d+)/.exec(location.hash || "");
  if (!m) return false;
  stop();
  show(m[1] === "end" ? TOTAL : parseInt(m[1], 10), true);
  return true;
}
window.addEventListener("hashchange", fromHash);
if (!fromHash()) show(0, true);
window.stepPlayer = {
  show: show, next: next, prev: prev, total: TOTAL, current: function () { return cur; }
};
})();
"""


__all__ = [
    "MAX_NAME",
    "SVG_NS",
    "Step",
    "StepPage",
    "step_page",
    "steps_of",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
