"""The documentation site, built once per test session (or taken from ``.ci/run``'s build).

``.ci/run`` builds the site strictly before the tests and points ``AUTODIFF_DOCS_SITE``
at it, so the suite checks that very build; otherwise the first test that needs the
site builds it into a temporary folder with ``mkdocs build --strict``, which also runs
every tutorial in a Jupyter kernel. Needs the ``docs`` extra (``pip install -e ".[docs]"``):
skipped without it, except in CI, where a skip is a failure.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "docs" / "_hooks"


def _load_hook(name: str):
    spec = importlib.util.spec_from_file_location(f"docs_hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def hook():
    """``hook(name)``: one of the docs' hook modules (docs/_hooks/, outside any package)."""
    return _load_hook


def need_docs_extra() -> None:
    """Skip (fail in CI) unless the docs extra is installed."""
    for name in ("mkdocs", "material", "mkdocstrings", "jupytext", "nbclient", "ipykernel"):
        pytest.importorskip(name, reason='needs the docs extra: pip install -e ".[docs]"')


def _mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    """``mkdocs build --strict`` of ``config`` into ``site``; the result, output captured."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env["NO_MKDOCS_2_WARNING"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="session")
def mkdocs_build():
    """``mkdocs_build(config, site)``: a strict build in a subprocess (needs the docs extra)."""
    need_docs_extra()
    return _mkdocs_build


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """The built site's folder."""
    given = os.environ.get("AUTODIFF_DOCS_SITE")
    if given:
        path = Path(given)
        assert (path / "index.html").is_file(), f"AUTODIFF_DOCS_SITE={given} holds no built site"
        return path
    need_docs_extra()
    path = tmp_path_factory.mktemp("site")
    result = _mkdocs_build(ROOT / "mkdocs.yml", path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    return path
