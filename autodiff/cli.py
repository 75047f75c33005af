"""``python -m autodiff``: draw any expression's forward and backward pass.

    python -m autodiff graph "1/(1+exp(-(w0*x0+w1*x1+w2)))" \\
        --at w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o graph.svg

prints the value and every variable's gradient and writes the drawing;
``python -m autodiff step EXPR --at ... -o page.html`` writes a page that plays the
forward and backward pass node by node (see :mod:`autodiff.viz.step`). A bad
expression or argument is one line on stderr and exit status 2; a drawing that
Graphviz cannot make (missing, crashed, past ``--timeout``) is one line and status 1.
Drawings keep to ``--max-nodes`` nodes (default 1000) so that ``dot`` stays quick.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from typing import Any

from .engine import toposort
from .expr import FUNCTIONS, ExpressionError, evaluate, format_number, normal_name
from .value import Value
from .viz.graph import (
    DEFAULT_MAX_NODES,
    DEFAULT_TIMEOUT,
    GraphvizNotFound,
    RenderError,
    draw_graph,
    op_label,
    render,
)
from .viz.step import step_page

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _assignments(items: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    given: dict[str, str] = {}
    for item in items:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            hint = "" if sep else " (give the expression before --at)"
            raise ExpressionError(f"--at takes name=number, got {item.strip()!r}{hint}")
        key = normal_name(name)  # as Python reads the expression's names: 𝐱 is x
        if key in given:
            raise ExpressionError(f"--at gives {key!r} twice ({given[key]!r} and {item!r})")
        given[key] = item
        try:
            values[key] = float(number)
        except ValueError:
            raise ExpressionError(f"--at {name}: {number!r} is not a number") from None
    return values


_VALUED = {"-o", "--output", "--precision", "--rankdir", "--max-nodes", "--timeout"}
_OPTIONS = _VALUED | {"-h", "--help", "--at"}


def _is_option(token: str) -> bool:
    """Whether argparse should read ``token`` as one of our options (``--prec=3`` and
    ``-ofile.svg`` included); anything else starting with ``-`` is an expression."""
    if token in _OPTIONS or token == "--":
        return True
    if token.startswith("--"):
        stem = token.split("=", 1)[0]
        return any(o.startswith(stem) for o in _OPTIONS if o.startswith("--"))
    return token.startswith("-o") and token[2:3] not in ("", "*", "/", "+", "-", "(", ")")


def _expression_first(argv: Sequence[str]) -> list[str]:
    """``argv`` with an expression that starts with ``-`` (``"-x*2"``) shielded from
    argparse by a leading space (the parser strips it)."""
    out = list(argv)
    for i, token in enumerate(out):
        if i == 0 or not token.startswith("-") or out[i - 1] in _VALUED:
            continue
        if not _is_option(token):
            out[i] = " " + token
    return out


def _nonfinite(out: Value, leaves: dict[str, Value]) -> str | None:
    """A warning when the value or a gradient is nan or inf: where it first appears."""
    bad = [("f", out.data)] + [(f"df/d{n}", v.grad) for n, v in leaves.items()]
    bad = [(name, x) for name, x in bad if not math.isfinite(x)]
    if not bad:
        return None
    said = ", ".join(f"{name} = {format_number(x)}" for name, x in bad)
    for node in toposort(out):  # the first op whose inputs are finite but output is not
        finite_inputs = all(math.isfinite(p.data) for p in node.parents)
        if node._op is not None and not math.isfinite(node.data) and finite_inputs:
            xs = [format_number(p.data) for p in node.parents]
            op = node._op
            if len(xs) == 2 and op.symbol:
                how = f" {op.symbol} ".join(xs)  # 1 / 0
            else:
                how = f"{op_label(node)} at {', '.join(xs)}"  # log at -1, 1/x at 0
            return f"warning: {said}: {how} gives {node.data}"
    return f"warning: {said} at these values"


def _graph(args: argparse.Namespace) -> int:
    variables = _assignments(args.at)
    out, leaves = evaluate(args.expression, variables)
    unused = [n for n in variables if n not in leaves]
    if not isinstance(out, Value):
        raise ExpressionError("the expression uses no variable: nothing to differentiate")
    out.label = "f"
    out.backward()
    print(f"f = {format_number(out.data)}")
    for name in [n for n in variables if n in leaves]:
        print(f"df/d{name} = {format_number(leaves[name].grad)}")
    for name in unused:
        print(f"df/d{name} = 0 ({name} does not appear in the expression)")
    warning = _nonfinite(out, leaves)
    if warning:
        print(warning, file=sys.stderr)
    if not args.output:
        print("nothing drawn: give -o FILE (.svg, .png, .pdf or .gv) to write the drawing")
        return 0
    graph = draw_graph(
        out, precision=args.precision, rankdir=args.rankdir, max_nodes=args.max_nodes
    )
    count = sum(1 for _ in toposort(out))
    if count > args.max_nodes:
        print(
            f"note: the graph has {count:,} nodes; drew the {args.max_nodes:,} nearest f "
            f"(raise with --max-nodes {count})",
            file=sys.stderr,
        )
    try:
        render(graph, args.output, timeout=args.timeout)
    except GraphvizNotFound as err:
        return _dot_source_instead(graph, args.output, err)
    print(f"wrote {args.output}")
    return 0


def _dot_source_instead(graph: Any, output: str, err: GraphvizNotFound) -> int:
    """Without Graphviz: write the drawing's DOT source beside ``output``; status 1."""
    fallback = output.rsplit(".", 1)[0] + ".gv"
    render(graph, fallback)
    print(f"{err}\nwrote the DOT source to {fallback}", file=sys.stderr)
    return 1


def _step(args: argparse.Namespace) -> int:
    variables = _assignments(args.at)
    out, _ = evaluate(args.expression, variables)
    if not isinstance(out, Value):
        raise ExpressionError("the expression uses no variable: nothing to differentiate")
    out.label = "f"
    count = sum(1 for _ in toposort(out))
    if count > args.max_nodes:
        raise ExpressionError(
            f"the graph has {count:,} nodes, more than --max-nodes {args.max_nodes:,} "
            "(the page plays every node): raise --max-nodes to try"
        )
    try:
        step_page(
            out,
            args.output,
            precision=args.precision,
            rankdir=args.rankdir,
            max_nodes=args.max_nodes,
            timeout=args.timeout,
        )
    except GraphvizNotFound as err:  # the page's layout needs dot: the drawing instead
        out.backward()
        graph = draw_graph(out, precision=args.precision, rankdir=args.rankdir, max_nodes=count)
        return _dot_source_instead(graph, args.output, err)
    print(f"wrote {args.output}")
    return 0


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not positive")
    return n


def _seconds(text: str) -> float | None:
    try:
        t = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not t > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not positive")
    return None if math.isinf(t) else t


def _drawing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-nodes",
        type=_positive_int,
        default=DEFAULT_MAX_NODES,
        metavar="N",
        help=f"draw at most N nodes (default {DEFAULT_MAX_NODES})",
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"stop Graphviz after this long (default {DEFAULT_TIMEOUT:g}; inf: no limit)",
    )


def _grammar() -> str:
    return (
        "expressions: numbers, names, + - * / ** (power: x**2, not x^2), unary -, "
        f"parentheses, and the functions {', '.join(FUNCTIONS)}, each of one argument. "
        'An expression may start with "-": graph "-x*2" --at x=1.'
    )


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (subcommands: ``graph``, ``step``)."""
    parser = _Parser(
        prog="python -m autodiff", description=__doc__.split("\n\n")[0], epilog=_grammar()
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    graph = commands.add_parser(
        "graph", help="draw an expression's forward and backward pass", epilog=_grammar()
    )
    graph.add_argument("expression", help='e.g. "1/(1+exp(-(w0*x0+w1*x1+w2)))"')
    graph.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE", help="variable values")
    graph.add_argument("-o", "--output", help="file to draw into (.svg .png .pdf, or .gv for DOT)")
    graph.add_argument("--precision", type=int, default=4, help="digits shown (default 4)")
    graph.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"])
    _drawing_options(graph)
    graph.set_defaults(run=_graph)
    step = commands.add_parser(
        "step",
        help="write a page that plays the forward and backward pass node by node",
        epilog=_grammar(),
    )
    step.add_argument("expression", help='e.g. "1/(1+exp(-(w0*x0+w1*x1+w2)))"')
    step.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE", help="variable values")
    step.add_argument("-o", "--output", default="step.html", help="the page (default step.html)")
    step.add_argument("--precision", type=int, default=2, help="digits shown (default 2)")
    step.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"])
    _drawing_options(step)
    step.set_defaults(run=_step)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    >>> main(["graph", "-x * x", "--at", "x=3"])
    f = -9
    df/dx = -6
    nothing drawn: give -o FILE (.svg, .png, .pdf or .gv) to write the drawing
    0
    """
    args = build_parser().parse_args(_expression_first(sys.argv[1:] if argv is None else argv))
    try:
        return int(args.run(args))
    except (GraphvizNotFound, RenderError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as err:  # ExpressionError is a ValueError
        print(f"error: {err}", file=sys.stderr)
        return 2


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
