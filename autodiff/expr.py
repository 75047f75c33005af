"""Safe expressions: a string like ``"1/(1+exp(-(w0*x0+w1*x1+w2)))"`` into a Value graph.

The string is parsed with :mod:`ast` and only a whitelist is accepted: numbers, names,
``+ - * / **``, unary ``-`` and ``+``, parentheses and calls of ``exp log tanh sigmoid
relu abs sqrt`` and numpy's scalar functions (``sin``, ``log1p``, ... :data:`FUNCTIONS`)
with one argument. Nothing is ever evaluated by Python: the tree is
walked (iteratively) and each node becomes an op of the engine, so ``10**10**10`` is
IEEE infinity at once rather than a huge integer.
"""

from __future__ import annotations

import ast
import math
import unicodedata
from collections.abc import Mapping
from typing import Any

from . import ops
from .value import Value

FUNCTIONS = (
    *("exp", "log", "tanh", "sigmoid", "relu", "abs", "sqrt"),
    # numpy's scalar functions, each one op of the table and a method of Value
    *("sin", "cos", "tan", "arcsin", "arccos", "arctan"),
    *("sinh", "cosh", "arcsinh", "arccosh", "arctanh"),
    *("exp2", "expm1", "log2", "log10", "log1p", "square", "reciprocal", "cbrt"),
    *("deg2rad", "rad2deg", "sinc", "fabs", "sign", "floor", "ceil", "rint", "trunc"),
)
_BINARY = {
    ast.Add: ops.ADD,
    ast.Sub: ops.SUB,
    ast.Mult: ops.MUL,
    ast.Div: ops.DIV,
    ast.Pow: ops.POW,
}
MAX_LENGTH = 10_000  # characters; ast itself recurses on deep nesting


class ExpressionError(ValueError):
    """The expression is not one this parser accepts; the message says what and where."""


def _where(node: ast.AST) -> str:
    col = getattr(node, "col_offset", None)
    return f" at column {col + 1}" if col is not None else ""


def parse(text: str) -> ast.Expression:
    """Parse ``text`` and check every node against the whitelist.

    >>> parse("exp(x) + 1").body.__class__.__name__
    'BinOp'
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        col = f" at column {err.offset}" if err.offset else ""
        raise ExpressionError(f"syntax error{col}: {err.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None
    for node in ast.walk(tree):
        _check(node)
    return tree


def _check(node: ast.AST) -> None:
    if isinstance(node, (ast.Expression, ast.Load)):
        return
    if isinstance(node, (ast.operator, ast.unaryop)):
        return  # judged with their BinOp/UnaryOp
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            hint = "; for a power write ** (x**2)" if isinstance(node.op, ast.BitXor) else ""
            raise ExpressionError(
                f"operator {type(node.op).__name__} is not allowed{_where(node)}{hint}"
            )
        return
    if isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(f"operator {type(node.op).__name__} is not allowed{_where(node)}")
        return
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ExpressionError(
                f"only numbers are allowed as constants, got {value!r}{_where(node)}"
            )
        try:
            float(value)
        except OverflowError:  # an int literal past 1.8e308 (decimal or hex)
            raise ExpressionError(
                f"the number{_where(node)} is too large for a float (more than 1.8e308)"
            ) from None
        return
    if isinstance(node, ast.Name):
        return
    if isinstance(node, ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or func.id not in FUNCTIONS:
            if isinstance(func, ast.Name):
                shown = func.id
            elif isinstance(func, ast.Attribute):
                shown = f".{func.attr}"  # a method: __import__('os').system(...)
            else:
                shown = type(func).__name__.lower()
            raise ExpressionError(
                f"call of {shown!r} is not allowed{_where(node)}; functions: {', '.join(FUNCTIONS)}"
            )
        if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{func.id}() takes exactly one argument{_where(node)}")
        return
    kind = type(node).__name__
    names = {
        "Attribute": "attribute access",
        "Subscript": "subscripts",
        "Lambda": "lambdas",
        "ListComp": "comprehensions",
        "GeneratorExp": "comprehensions",
        "SetComp": "comprehensions",
        "DictComp": "comprehensions",
        "Compare": "comparisons",
        "BoolOp": "boolean operators",
        "IfExp": "conditional expressions",
        "NamedExpr": "assignments",
        "JoinedStr": "strings",
    }
    raise ExpressionError(f"{names.get(kind, kind)} not allowed{_where(node)}")


def normal_name(name: str) -> str:
    """``name`` as Python reads it in an expression (NFKC-normalized: ``𝐱`` is ``x``).

    >>> normal_name("𝐱₀") == "x0"
    True
    """
    return unicodedata.normalize("NFKC", name)


def names(tree: ast.Expression) -> list[str]:
    """The variable names used, each once, in the order of a breadth-first walk of the tree
    (function names left out)."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    seen: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in called and node.id not in seen:
            seen.append(node.id)
    return seen


def evaluate(text: str, variables: Mapping[str, Any]) -> tuple[Any, dict[str, Value]]:
    """Build the graph of ``text`` with ``variables`` as labelled leaves.

    Returns ``(result, leaves)``: the output (a Value, or a float when no variable is
    used) and the leaf Value of each variable, one per name however often it appears.

    >>> out, leaves = evaluate("x * x + 1", {"x": 3.0})
    >>> out.data, leaves["x"].label
    (10.0, 'x')
    """
    tree = parse(text)
    variables = {normal_name(k): v for k, v in variables.items()}
    leaves: dict[str, Value] = {}
    for name in names(tree):
        if name in FUNCTIONS:
            raise ExpressionError(f"{name} is a function: call it as {name}(...)")
        if name not in variables:
            raise ExpressionError(f"variable {name!r} has no value (give it with --at {name}=...)")
        leaves[name] = Value(variables[name], label=name)
    # Post-order walk with an explicit stack: children's results before their parent's.
    results: dict[int, Any] = {}
    stack: list[tuple[ast.AST, bool]] = [(tree.body, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            stack.append((node, True))
            for child in reversed(_children(node)):
                stack.append((child, False))
            continue
        results[id(node)] = _apply(node, [results[id(c)] for c in _children(node)], leaves)
    return results[id(tree.body)], leaves


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _apply(node: ast.AST, args: list[Any], leaves: dict[str, Value]) -> Any:
    if isinstance(node, ast.Constant):
        return float(node.value)  # type: ignore[arg-type]  # parse() let only numbers in
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        (x,) = args
        return -x if isinstance(node.op, ast.USub) else x
    if isinstance(node, ast.BinOp):
        op = _BINARY[type(node.op)]
        a, b = args
        if isinstance(a, Value) or isinstance(b, Value):
            return {
                ops.ADD: lambda: a + b,
                ops.SUB: lambda: a - b,
                ops.MUL: lambda: a * b,
                ops.DIV: lambda: a / b,
                ops.POW: lambda: a**b,
            }[op]()
        return op.scalar(a, b)  # type: ignore[misc]  # numbers only: the IEEE kernel
    if isinstance(node, ast.Call):
        (x,) = args
        name = node.func.id  # type: ignore[attr-defined]
        if isinstance(x, Value):
            return getattr(x, name)()
        return ops.OPS[name].scalar(x)  # type: ignore[misc]
    raise ExpressionError(f"{type(node).__name__} not allowed")  # unreachable after parse


def format_number(x: float) -> str:
    """A number as the command line prints it (nan and inf spelled out)."""
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return f"{x:.6g}"


__all__ = [
    "FUNCTIONS",
    "MAX_LENGTH",
    "ExpressionError",
    "evaluate",
    "format_number",
    "names",
    "normal_name",
    "parse",
]


def __dir__() -> list[str]:  # tab completion shows this module's own names, not its imports
    return sorted(__all__)
