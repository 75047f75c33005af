"""Griffe extension: show a docstring's doctest examples as Python sessions.

The packages' docstrings carry runnable examples (``>>>`` lines and the output they
print), run by the test suite with ``--doctest-modules``. In Markdown a ``>>>`` line
would read as a quotation; this fences each run of example lines as ``pycon`` so the
reference shows them as code, exactly as written.
"""

from __future__ import annotations

from typing import Any

import griffe


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


class DoctestBlocks(griffe.Extension):
    """Fence the doctest examples of every docstring griffe loads."""

    def on_object(self, *, obj: Any, **kwargs: Any) -> None:
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_examples(obj.docstring.value)
