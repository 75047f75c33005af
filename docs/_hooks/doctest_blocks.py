"""Griffe extension: docstrings written for doctest and Sphinx, shown as Markdown.

The packages' docstrings carry runnable examples (``>>>`` lines and the output they
print), run by the test suite with ``--doctest-modules``. In Markdown a ``>>>`` line
would read as a quotation; this fences each run of example lines as ``pycon`` so the
reference shows them as code, exactly as written; Sphinx roles (``:mod:`x```) become
code too.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:mod|func|class|meth|data|attr|obj|exc):`~?([^`]+)`")


def markdown_docstring(text: str) -> str:
    """A docstring written for doctest and Sphinx habits, as Markdown.

    Examples are fenced (:func:`fence_examples`) and Sphinx roles such as
    ``:mod:`autodiff.engine``` become plain code.

    >>> markdown_docstring("See :mod:`nn.init`.")
    'See `nn.init`.'
    """
    return fence_examples(ROLE.sub(r"`\1`", text))


def fence_examples(text: str) -> str:
    """``text`` with every doctest example (prompt lines and their output) fenced.

    An example starts at a ``>>>`` line and runs to the next blank line, as in doctest.
    """
    out: list[str] = []
    inside = False
    for line in text.splitlines():
        starts = line.lstrip().startswith(">>>")
        if starts and not inside:
            out += ["", "```pycon"]
            inside = True
        elif inside and not line.strip():
            out.append("```")
            inside = False
        out.append(line)
    if inside:
        out.append("```")
    return "\n".join(out)


def _walk(obj: Any) -> None:
    """Fence the examples of ``obj`` and of every object defined inside it."""
    stack = [obj]
    while stack:
        current = stack.pop()
        if current.docstring is not None:
            current.docstring.value = markdown_docstring(current.docstring.value)
        stack.extend(m for m in current.members.values() if not m.is_alias)


class DoctestBlocks(griffe.Extension):
    """Rewrite every docstring of a package once griffe has loaded all of it."""

    def on_package(self, *, pkg: Any, **kwargs: Any) -> None:
        _walk(pkg)
