"""``python -m autodiff``: draw any expression's forward and backward pass.

    python -m autodiff graph "1/(1+exp(-(w0*x0+w1*x1+w2)))" \\
        --at w0=2 x0=-1 w1=-3 x1=-2 w2=-3 -o graph.svg

prints the value and every variable's gradient and writes the drawing;
``python -m autodiff step EXPR --at ... -o page.html`` writes a page that plays the
forward and backward pass node by node (see :mod:`autodiff.viz.step`). A bad
expression or argument is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .expr import ExpressionError, evaluate, format_number
from .value import Value
from .viz.graph import GraphvizNotFound, draw_graph, render
from .viz.step import step_page


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _assignments(items: Sequence[str]) -> dict[str, float]:
    values: dict[str, float] = {}
    for item in items:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"--at takes name=number, got {item!r}")
        try:
            values[name] = float(number)
        except ValueError:
            raise ExpressionError(f"--at {name}: {number!r} is not a number") from None
    return values


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
    if args.output:
        graph = draw_graph(out, precision=args.precision, rankdir=args.rankdir)
        try:
            render(graph, args.output)
        except GraphvizNotFound as err:
            fallback = args.output.rsplit(".", 1)[0] + ".gv"
            render(graph, fallback)
            print(f"{err}\nwrote the DOT source to {fallback}", file=sys.stderr)
            return 1
        print(f"wrote {args.output}")
    return 0


def _step(args: argparse.Namespace) -> int:
    variables = _assignments(args.at)
    out, _ = evaluate(args.expression, variables)
    if not isinstance(out, Value):
        raise ExpressionError("the expression uses no variable: nothing to differentiate")
    out.label = "f"
    try:
        step_page(out, args.output, precision=args.precision, rankdir=args.rankdir)
    except GraphvizNotFound as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"wrote {args.output}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command-line parser (subcommands: ``graph``, ``step``)."""
    parser = _Parser(prog="python -m autodiff", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    graph = commands.add_parser("graph", help="draw an expression's forward and backward pass")
    graph.add_argument("expression", help='e.g. "1/(1+exp(-(w0*x0+w1*x1+w2)))"')
    graph.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE", help="variable values")
    graph.add_argument("-o", "--output", help="file to draw into (.svg .png .pdf, or .gv for DOT)")
    graph.add_argument("--precision", type=int, default=4, help="digits shown (default 4)")
    graph.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"])
    graph.set_defaults(run=_graph)
    step = commands.add_parser(
        "step", help="write a page that plays the forward and backward pass node by node"
    )
    step.add_argument("expression", help='e.g. "1/(1+exp(-(w0*x0+w1*x1+w2)))"')
    step.add_argument("--at", nargs="*", default=[], metavar="NAME=VALUE", help="variable values")
    step.add_argument("-o", "--output", default="step.html", help="the page (default step.html)")
    step.add_argument("--precision", type=int, default=2, help="digits shown (default 2)")
    step.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"])
    step.set_defaults(run=_step)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status.

    >>> main(["graph", "x * x", "--at", "x=3"])
    f = 9
    df/dx = 6
    0
    """
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ExpressionError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
