"""``mkdocs build --strict`` with the site's own configuration, on small made-up projects:
it fails on a failing example, a broken link or a missing reference, and it does not
fail when a new module arrives with members that have no docstring."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

GOOD_MODULE = '''"""A module added after the docs were written."""


def documented(x: float) -> float:
    """Twice ``x``.

    >>> documented(2.0)
    4.0
    """
    return 2 * x


def undocumented(x):
    return x


class Thing:
    value = 1

    def method(self):
        return self.value
'''

TUTORIAL = """# A tutorial

```python
print(6 * 7)
```
"""


def project(tmp_path: Path, pages: dict[str, str], modules: dict[str, str]) -> Path:
    """A project using the site's mkdocs.yml, with its own pages and a package ``toy``."""
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["hooks"] = [str(ROOT / h) for h in config["hooks"]]
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "mkdocstrings" in plugin:
            options = plugin["mkdocstrings"]["handlers"]["python"]["options"]
            options["extensions"] = [str(ROOT / e) for e in options["extensions"]]
    config["extra"]["api_reference"] = ["toy"]
    config["nav"] = list(pages)
    config.pop("extra_css", None)
    config["theme"] = {"name": "mkdocs"}  # quicker to build; the hooks do not depend on it
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    for name, text in pages.items():
        (tmp_path / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "docs" / name).write_text(text, encoding="utf-8")
    (tmp_path / "toy").mkdir()
    (tmp_path / "toy" / "__init__.py").write_text('"""A toy package."""\n', encoding="utf-8")
    for name, text in modules.items():
        (tmp_path / "toy" / f"{name}.py").write_text(text, encoding="utf-8")
    return tmp_path / "mkdocs.yml"


REEXPORTING_PACKAGE = '''"""A subpackage that re-exports names, some from other libraries."""

from json import dumps

from .inner import helper

__all__ = ["dumps", "helper"]
'''


def test_a_new_module_gets_its_page_and_undocumented_members_do_not_fail(tmp_path, mkdocs_build):
    pages = {"index.md": "# Home\n\nSee [documented][toy.fresh.documented].\n",
             "tutorials/one.md": TUTORIAL}  # fmt: skip
    config = project(tmp_path, pages, {"fresh": GOOD_MODULE})
    sub = tmp_path / "toy" / "sub"
    sub.mkdir()
    (sub / "__init__.py").write_text(REEXPORTING_PACKAGE, encoding="utf-8")
    (sub / "inner.py").write_text("def helper():\n    return 1\n", encoding="utf-8")
    exporter = 'from json import dumps\n\n__all__ = ["dumps", "f"]\n\n\ndef f():\n    return 1\n'
    (tmp_path / "toy" / "exporter.py").write_text(exporter, encoding="utf-8")
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode == 0, result.stderr[-4000:]
    sub_page = (tmp_path / "site" / "reference" / "toy.sub" / "index.html").read_text("utf-8")
    assert 'href="../toy.sub.inner/#toy.sub.inner.helper"' in sub_page
    page = (tmp_path / "site" / "reference" / "toy.fresh" / "index.html").read_text("utf-8")
    for name in ("toy.fresh.documented", "toy.fresh.undocumented", "toy.fresh.Thing.method"):
        assert f'id="{name}"' in page
    tutorial = (tmp_path / "site" / "tutorials" / "one" / "index.html").read_text("utf-8")
    assert "42" in tutorial
    assert (tmp_path / "site" / "tutorials" / "one.ipynb").is_file()


def test_strict_build_fails_on_a_failing_example(tmp_path, mkdocs_build):
    pages = {"index.md": "# Home\n", "tutorials/bad.md": "# Bad\n\n```python\n1 / 0\n```\n"}
    result = mkdocs_build(project(tmp_path, pages, {}), tmp_path / "site")
    assert result.returncode != 0
    assert "tutorial tutorials/bad.md: a code cell failed" in result.stderr
    assert "ZeroDivisionError" in result.stderr


def test_strict_fails_on_broken_links_missing_references_and_unrun_code(tmp_path, mkdocs_build):
    bad = (
        '# Bad\n\nA [link](nowhere.md), a <a href="../nowhere/">raw link</a>, '
        "a [reference][toy.fresh.missing].\n\n```python\nprint('never run')\n```\n"
    )
    pages = {"index.md": "# Home\n", "bad.md": bad}
    result = mkdocs_build(project(tmp_path, pages, {"fresh": GOOD_MODULE}), tmp_path / "site")
    assert result.returncode != 0
    out = result.stderr
    assert "'nowhere.md'" in out  # MkDocs' own check of Markdown links
    assert "broken internal link: bad/index.html: ../nowhere/ (no such file)" in out  # ours
    assert "toy.fresh.missing" in out  # autorefs
    assert "bad.md has a ```python block" in out  # code outside the tutorials never runs
