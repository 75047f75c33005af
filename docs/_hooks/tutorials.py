"""MkDocs hook: run every tutorial as a Jupyter notebook and show what the engine printed.

A tutorial is a Markdown file under ``docs/tutorials/`` in jupytext's Markdown format:
prose, and ```` ```python ```` blocks that are the notebook's code cells (shell commands
are written in ```` ```console ```` blocks, which stay prose). At build time each
tutorial becomes a notebook (jupytext), runs in a real Jupyter kernel (nbclient and
ipykernel, started in the tutorial's folder as Jupyter would), and the page shows each
code cell followed by its outputs: printed text, SVG drawings and PNG plots as images,
HTML (the step-through pages) as it is. Nothing on a page is pasted output.

A cell that raises fails the build, naming the tutorial, the cell and the error. The
executed notebooks are written next to the pages (``tutorials/NAME.ipynb``), linked
from each page, for students who want to run and change them.

``python docs/_hooks/tutorials.py OUT`` writes the notebooks (unexecuted) into ``OUT``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import logging
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from mkdocs.exceptions import PluginError
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

log = logging.getLogger("mkdocs.hooks.tutorials")

FOLDER = "tutorials/"
KERNEL = "python3"
TIMEOUT = 300  # seconds a single cell may take

# Source text's hash -> (markdown shown, executed notebook); `mkdocs serve` reruns only
# the tutorials that changed.
_CACHE: dict[str, tuple[str, Any]] = {}
_RESULTS: dict[str, tuple[str, Any]] = {}


def is_tutorial(src_uri: str) -> bool:
    """Tutorial pages are the Markdown files of ``docs/tutorials/`` but its index."""
    return (
        src_uri.startswith(FOLDER) and src_uri.endswith(".md") and not src_uri.endswith("index.md")
    )


def notebook(text: str) -> Any:
    """The tutorial's Markdown as a notebook: ```python blocks are its code cells."""
    # Saying the notebook is Python up front keeps jupytext from guessing its language
    # from the first code block: a bash block is then a %%bash cell, refused below.
    header = (
        "---\njupyter:\n  kernelspec:\n    display_name: Python 3\n    language: python\n"
        f"    name: {KERNEL}\n---\n"
    )
    nb = jupytext.reads(header + text, fmt="md")
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("%%"):
            raise PluginError(
                f"a {cell.source.split()[0]} cell: write shell commands in ```console blocks"
            )
    return nb


def execute(nb: Any, folder: Path, name: str) -> Any:
    """Run ``nb`` in a fresh kernel started in ``folder``; a failing cell raises PluginError."""
    client = NotebookClient(
        nb,
        timeout=TIMEOUT,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(folder)}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        plain = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # the traceback without its colours
        raise PluginError(f"tutorial {name}: a code cell failed\n{plain}") from None
    return nb


def _image(mime: str, data: str, alt: str) -> str:
    """An <img> carrying the picture itself (a data URI), so the page needs no other file."""
    payload = data if mime == "image/png" else base64.b64encode(data.encode()).decode()
    kind = "drawing" if mime == "image/svg+xml" else "plot"
    return (
        f'<div class="cell-output cell-output-picture {kind}"><img alt="{html.escape(alt)}" '
        f'src="data:{mime};base64,{payload}"></div>'
    )


def _one_line(markup: str) -> str:
    """Raw HTML kept on one line, so Markdown passes it through untouched."""
    return markup.replace("\r", "").replace("\n", "&#10;") if "<" in markup else markup


def _merged_streams(outs: list[Any]) -> list[Any]:
    """The outputs with each run of printing to one stream joined into one output."""
    merged: list[Any] = []
    for out in outs:
        last = merged[-1] if merged else None
        if (
            last is not None
            and out["output_type"] == "stream"
            and last["output_type"] == "stream"
            and last["name"] == out["name"]
        ):
            merged[-1] = {**last, "text": last["text"] + out["text"]}
        else:
            merged.append(out)
    return merged


def outputs(cell: Any, alt: str) -> list[str]:
    """The Markdown for one code cell's outputs, in the order the kernel produced them."""
    shown = []
    for out in _merged_streams(cell.get("outputs", [])):
        kind = out["output_type"]
        if kind == "stream":
            text = out["text"].rstrip("\n")
            if text:
                shown.append(f"```text {{ .cell-output .{out['name']} }}\n{text}\n```")
        elif kind in ("execute_result", "display_data"):
            data = out["data"]
            if "image/svg+xml" in data:
                shown.append(_image("image/svg+xml", data["image/svg+xml"], alt))
            elif "image/png" in data:
                shown.append(_image("image/png", data["image/png"], alt))
            elif "text/html" in data:
                markup = data["text/html"]
                markup = "".join(markup) if isinstance(markup, list) else markup
                shown.append(f'<div class="cell-output">{_one_line(markup.strip())}</div>')
            elif "text/plain" in data:
                shown.append(f"```text {{ .cell-output }}\n{data['text/plain']}\n```")
    return shown


def markdown(nb: Any, name: str) -> str:
    """The page: prose as written, each code cell followed by what it produced."""
    parts = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        elif cell.cell_type == "code":
            parts.append(f"```python\n{cell.source}\n```")
            parts.extend(outputs(cell, f"output of cell {i} of {name}"))
    return "\n\n".join(parts) + "\n"


def _notebook_link(src_uri: str) -> str:
    stem = Path(src_uri).stem
    return (
        f'<p class="notebook-link">Run this tutorial yourself: '
        f'<a href="../{stem}.ipynb" download>{stem}.ipynb</a> '
        "(a Jupyter notebook made from this page).</p>"
    )


def _run(src_uri: str, text: str, folder: Path) -> tuple[str, Any]:
    key = hashlib.sha256(text.encode()).hexdigest()
    if key not in _CACHE:
        began = time.perf_counter()
        nb = execute(notebook(text), folder, src_uri)
        shown = markdown(nb, src_uri)
        _CACHE[key] = (shown, nb)
        seconds = time.perf_counter() - began
        log.info("tutorials: ran %s in %.1f s", src_uri, seconds)
    return _CACHE[key]


def _kernel_environment() -> None:
    """What the kernels inherit: this checkout's packages first on the path, as the
    build imports them, and hypothesis's example database outside the docs folder."""
    root = str(Path(__file__).resolve().parents[2])
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, *paths) if p)
    os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", tempfile.mkdtemp(prefix="hypothesis-"))


def on_files(files: Any, config: Any) -> Any:
    """Run all tutorials up front, as many at a time as there are cores."""
    _RESULTS.clear()
    _kernel_environment()
    jobs = {
        f.src_uri: (Path(f.abs_src_path).read_text(encoding="utf-8"), Path(f.abs_src_path).parent)
        for f in files.documentation_pages()
        if is_tutorial(f.src_uri)
    }
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        futures = {
            uri: pool.submit(_run, uri, text, folder) for uri, (text, folder) in jobs.items()
        }
        for uri, future in futures.items():
            _RESULTS[uri] = future.result()
    return files


def on_page_markdown(markdown_text: str, page: Any, config: Any, files: Any) -> str:
    """A tutorial's page is its executed notebook, with a link to download it."""
    uri = page.file.src_uri
    if not is_tutorial(uri):
        if "```python" in markdown_text:
            # Only the tutorials' code runs at build time: an example anywhere else
            # would show output nobody checked.
            log.warning("%s has a ```python block; examples belong in docs/tutorials/", uri)
        return markdown_text
    shown, _ = _RESULTS[uri]
    lines = shown.split("\n", 1)
    # The link goes under the page's title (its first line, a level-one heading).
    return lines[0] + "\n\n" + _notebook_link(uri) + "\n\n" + (lines[1] if len(lines) > 1 else "")


AUTOREF = re.compile(r"\[([^\]]+)\]\[[\w.]+\]")


def for_jupyter(nb: Any) -> Any:
    """A copy of ``nb`` whose prose reads well in Jupyter: links into the API reference
    (``[text][autodiff.value.Value]``, which only the site resolves) become their text."""
    copy = nbformat.from_dict(nb)
    for cell in copy.cells:
        if cell.cell_type == "markdown":
            cell.source = AUTOREF.sub(r"\1", cell.source)
    return copy


def on_post_build(config: Any) -> None:
    """Write the executed notebooks beside the pages."""
    site = Path(config["site_dir"])
    for uri, (_, nb) in _RESULTS.items():
        target = site / FOLDER / (Path(uri).stem + ".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(for_jupyter(nb), str(target))


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "notebooks")
    out.mkdir(parents=True, exist_ok=True)
    for source in sorted((Path(__file__).resolve().parents[1] / FOLDER).glob("*.md")):
        if is_tutorial(f"{FOLDER}{source.name}"):
            nbformat.write(
                notebook(source.read_text(encoding="utf-8")), str(out / f"{source.stem}.ipynb")
            )
            print(out / f"{source.stem}.ipynb")
