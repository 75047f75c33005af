"""The built documentation site: tutorials executed, notebooks, API reference, links."""

import html
import re

import pytest

from autodiff import __all__ as AUTODIFF_NAMES
from nn import __all__ as NN_NAMES

TUTORIALS = [
    "01-chain-rule",
    "02-by-hand-vs-engine",
    "03-four-equations",
    "04-costs",
    "05-training",
    "06-gradient-flow",
    "07-testing-gradients",
    "08-beyond-first-order",
]


def text_of(page) -> str:
    """The page's HTML as text, tags dropped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))


def test_every_tutorial_is_a_page_and_an_executed_notebook(site):
    nbformat = pytest.importorskip("nbformat")
    for name in TUTORIALS:
        page = site / "tutorials" / name / "index.html"
        assert page.is_file(), f"tutorial {name} was not built"
        nb = nbformat.read(str(site / "tutorials" / f"{name}.ipynb"), as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code, f"{name} has no code"
        assert all(c.execution_count for c in code), f"{name}: a cell did not run"
        prose = "".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert not re.search(r"\]\[(autodiff|nn)\.", prose), f"{name}: a site-only link"
        outputs = [o for c in code for o in c.outputs]
        assert not [o for o in outputs if o.output_type == "error"], name
        # Every printed line is on the page, as the kernel printed it.
        shown = text_of(page)
        for o in outputs:
            if o.output_type == "stream" and o.name == "stdout":
                for line in o.text.strip().splitlines():
                    assert line.strip() in shown, f"{name}: {line!r} is not on the page"


def test_pictures_are_what_the_engine_drew(site):
    """Graph drawings are inline SVG images, plots PNGs, step pages iframes."""

    def count(name, pattern):
        text = (site / "tutorials" / name / "index.html").read_text(encoding="utf-8")
        return len(re.findall(pattern, text))

    svg, png, frame = r'src="data:image/svg\+xml;base64,', r'src="data:image/png;base64,', "<iframe"
    assert count("01-chain-rule", svg) == 2  # op by op, and one sigmoid op
    assert count("01-chain-rule", frame) == 1
    assert count("02-by-hand-vs-engine", svg) == 1
    assert count("02-by-hand-vs-engine", frame) == 1
    assert count("02-by-hand-vs-engine", png) == 1
    assert count("04-costs", png) == 1
    assert count("05-training", png) == 2
    assert count("06-gradient-flow", png) == 2
    assert count("08-beyond-first-order", png) == 1


def test_the_course_numbers_appear_where_the_tutorials_teach_them(site):
    chain = text_of(site / "tutorials" / "01-chain-rule" / "index.html")
    for line in ("df/dw0 = -0.20", "df/dx0 =  0.39", "df/dw1 = -0.39", "df/dx1 = -0.59"):
        assert line in chain
    network = text_of(site / "tutorials" / "02-by-hand-vs-engine" / "index.html")
    assert "engine   ∂E/∂w5 = 0.082167041" in network
    assert "true gradient descent:           0.291027774" in network
    assert "hidden deltas through moved w5…: 0.291027924" in network
    costs = text_of(site / "tutorials" / "04-costs" / "index.html")
    assert "∂loss/∂z   [[-0.66  0.46  0.2 ]]" in costs


def test_api_reference_documents_every_public_name(site):
    """Each name of autodiff.__all__ and nn.__all__ has its entry, found by its id."""
    import importlib
    import inspect

    pages = {p: p.read_text(encoding="utf-8") for p in (site / "reference").rglob("*.html")}
    ids = set()
    for text in pages.values():
        ids.update(re.findall(r'id="([^"]+)"', text))
    missing = []
    for package, names in (("autodiff", AUTODIFF_NAMES), ("nn", NN_NAMES)):
        mod = importlib.import_module(package)
        for name in names:
            obj = getattr(mod, name)
            if inspect.ismodule(obj):
                if not (site / "reference" / obj.__name__ / "index.html").is_file():
                    missing.append(f"{package}.{name} (module page)")
            elif f"{obj.__module__}.{obj.__qualname__}" not in ids:
                missing.append(f"{package}.{name} ({obj.__module__}.{obj.__qualname__})")
    assert not missing, missing


def test_every_public_module_has_a_reference_page(site, hook):
    reference = hook("reference")
    for package in ("autodiff", "nn"):
        for module in reference.public_modules(package):
            assert (site / "reference" / module / "index.html").is_file(), module


def test_docstrings_render_as_markdown(site):
    """A docstring's ``>>>`` lines are a code block, not a quotation; Sphinx roles are code;
    private names and dunder methods stay out of the reference."""
    for module in ("autodiff.value", "nn", "autodiff"):
        text = (site / "reference" / module / "index.html").read_text(encoding="utf-8")
        assert "<blockquote>" not in text, module
        assert "&gt;&gt;&gt;" in text, module
        assert ":mod:" not in text, module
    value = (site / "reference" / "autodiff.value" / "index.html").read_text(encoding="utf-8")
    assert 'id="autodiff.value.Value.backward"' in value
    assert 'id="autodiff.value.Value.__add__"' not in value
    assert 'id="autodiff.value._to_float"' not in value


def test_no_broken_internal_links(site, hook):
    assert hook("linkcheck").broken_links(site) == []
