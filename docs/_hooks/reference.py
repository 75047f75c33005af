"""MkDocs hook: one API reference page per public module of the packages, found at build time.

The packages' folders are walked (nothing is imported), so a module added to
``autodiff`` or ``nn`` gets its page, and a place in the navigation, without editing
the docs. Each page is a mkdocstrings ``:::`` directive: the module's docstring and
every public name it defines (``__all__`` where the module has one). A package's page
also lists the names it re-exports, each linked to the page that documents it.
"""

from __future__ import annotations

import pkgutil
from pathlib import Path
from typing import Any

import griffe
from mkdocs.structure.files import File

PACKAGES = ("autodiff", "nn")  # unless mkdocs.yml's extra: api_reference: names others
FOLDER = "reference"
ROOT = Path(__file__).resolve().parents[2]


def _setup(config: Any) -> tuple[list[str], Path]:
    """The packages to document and the folder they are in (mkdocs.yml's folder)."""
    packages = list(config["extra"].get("api_reference", PACKAGES))
    return packages, Path(config["config_file_path"]).resolve().parent


def public_modules(package: str, root: Path = ROOT) -> list[str]:
    """``package`` and its modules and subpackages, depth first, private ones left out.

    A module is private when any part of its dotted name starts with an underscore
    (``__main__`` included).
    """
    found = [package]

    def walk(path: Path, prefix: str) -> None:
        for info in sorted(pkgutil.iter_modules([str(path)]), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            name = f"{prefix}.{info.name}"
            found.append(name)
            if info.ispkg:
                walk(path / info.name, name)

    walk(root / package.replace(".", "/"), package)
    return found


def page_uri(module: str) -> str:
    """Where ``module``'s page lives in the docs."""
    return f"{FOLDER}/{module}.md"


def _is_package(module: str, root: Path = ROOT) -> bool:
    return (root / module.replace(".", "/") / "__init__.py").exists()


def reexports(package: str, modules: list[str], root: Path = ROOT) -> list[tuple[str, str, str]]:
    """(name, kind, path of its definition) for each name ``package`` exports from elsewhere.

    griffe reads the sources (nothing is imported) and follows each re-export to where
    the name is defined: ``nn.Linear`` to ``nn.layers.linear.Linear``.
    """
    loaded = griffe.load(package, search_paths=[str(root)], resolve_aliases=True)
    rows = []
    for name in loaded.exports or ():
        member = loaded.get_member(name) if name in loaded.members else None
        if member is None:
            continue
        try:
            target = member.final_target if member.is_alias else member
        except (griffe.AliasResolutionError, griffe.CyclicAliasError):
            # From another library (``from json import dumps``): named, not documented here.
            rows.append((name, "external", member.target_path))
            continue
        if target.path == f"{package}.{name}" and not target.is_module:
            continue  # defined in the package itself: its page shows it
        rows.append((name, target.kind.value, target.path))
    return rows


def _link(path: str, kind: str, modules: list[str]) -> str:
    """The reference page (and anchor) that documents the object at ``path``."""
    if kind == "module" and path in modules:
        return page_uri(path).removeprefix(f"{FOLDER}/")
    home = path
    while home and home not in modules:
        home = home.rpartition(".")[0]
    return page_uri(home).removeprefix(f"{FOLDER}/") + f"#{path}"


def page(module: str, modules: list[str], root: Path = ROOT) -> str:
    """The Markdown of ``module``'s reference page."""
    if not _is_package(module, root):
        return f"# `{module}`\n\n::: {module}\n    options:\n      show_root_heading: false\n"
    text = [f"# `{module}`", "", f"::: {module}", "    options:", "      show_root_heading: false"]
    text += ["      members: false", ""]
    rows = reexports(module, modules, root)
    if rows:
        text += [
            "## Names exported here",
            "",
            "| name | what | documented in |",
            "| --- | --- | --- |",
        ]
        for name, kind, path in rows:
            shown = f"`{module}.{name}`"
            if kind != "external":
                shown = f"[{shown}]({_link(path, kind, modules)})"
            text.append(f"| {shown} | {kind} | `{path}` |")
        text.append("")
    subs = [m for m in modules if m.rpartition(".")[0] == module]
    if subs:
        text += ["## Modules", ""]
        text += [f"- [`{m}`]({page_uri(m).removeprefix(f'{FOLDER}/')})" for m in subs]
        text.append("")
    return "\n".join(text)


def _modules(packages: list[str], root: Path) -> list[str]:
    return [m for p in packages for m in public_modules(p, root)]


def on_config(config: Any) -> Any:
    """Append the reference's pages to the navigation, one section per package."""
    packages, root = _setup(config)
    modules = _modules(packages, root)
    section = [
        {package: [{m: page_uri(m)} for m in modules if m.split(".")[0] == package]}
        for package in packages
    ]
    config["nav"] = [*(config["nav"] or []), {"API reference": section}]
    return config


def on_files(files: Any, config: Any) -> Any:
    """Add the generated pages to the build."""
    packages, root = _setup(config)
    modules = _modules(packages, root)
    for module in modules:
        content = page(module, modules, root)
        files.append(File.generated(config, page_uri(module), content=content))
    return files
