"""The docs' build hooks, piece by piece, on small inputs."""

import pytest


def test_doctest_examples_are_fenced_and_roles_become_code(hook):
    pytest.importorskip("griffe")
    blocks = hook("doctest_blocks")
    text = "Adds.\n\n>>> 1 + 1\n2\n\nSee :func:`~nn.fit` and :mod:`nn.init`.\n\n    >>> x = 3"
    assert blocks.markdown_docstring(text).splitlines() == [
        "Adds.",
        "",
        "",
        "```pycon",
        ">>> 1 + 1",
        "2",
        "```",
        "",
        "See `nn.fit` and `nn.init`.",
        "",
        "",
        "```pycon",
        "    >>> x = 3",
        "```",
    ]


def test_broken_links_names_missing_files_and_anchors(hook, tmp_path):
    linkcheck = hook("linkcheck")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text(
        '<h1 id="top">A</h1><a href="../b/">b</a><a href="../b/#there">b</a>'
        '<a href="#top">self</a><a href="../c/">c</a><a href="#gone">gone</a>'
        '<img src="pic.png"><a href="https://example.org/x">out</a><a href="/a/">root</a>',
        encoding="utf-8",
    )
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "index.html").write_text('<p id="here">B</p>', encoding="utf-8")
    assert linkcheck.broken_links(tmp_path) == [
        "a/index.html: ../b/#there (no element with id 'there')",
        "a/index.html: ../c/ (no such file)",
        "a/index.html: #gone (no element with id 'gone')",
        "a/index.html: pic.png (no such file)",
    ]


def test_public_modules_walks_subpackages_and_skips_private_ones(hook, tmp_path):
    pytest.importorskip("griffe")
    pytest.importorskip("mkdocs")
    reference = hook("reference")
    for path in ("toy/__init__.py", "toy/b.py", "toy/_hidden.py", "toy/__main__.py",
                 "toy/sub/__init__.py", "toy/sub/a.py", "toy/_private/__init__.py",
                 "toy/_private/c.py"):  # fmt: skip
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text('"""x"""\n', encoding="utf-8")
    assert reference.public_modules("toy", tmp_path) == ["toy", "toy.b", "toy.sub", "toy.sub.a"]


def test_consecutive_prints_make_one_output_block(hook):
    pytest.importorskip("jupytext")
    pytest.importorskip("nbclient")
    tutorials = hook("tutorials")
    cell = {
        "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "a\n"},
            {"output_type": "stream", "name": "stdout", "text": "b\n"},
            {"output_type": "stream", "name": "stderr", "text": "warned\n"},
            {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo="}},
        ]
    }
    shown = tutorials.outputs(cell, "alt")
    assert shown[0] == "```text { .cell-output .stdout }\na\nb\n```"
    assert shown[1] == "```text { .cell-output .stderr }\nwarned\n```"
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in shown[2]
    assert len(shown) == 3


def test_shell_cells_are_refused(hook):
    pytest.importorskip("jupytext")
    pytest.importorskip("nbclient")
    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match="console"):
        hook("tutorials").notebook("# T\n\n```bash\nls\n```\n")
