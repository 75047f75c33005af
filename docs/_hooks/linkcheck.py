"""MkDocs hook: every internal link and image of the built site must lead somewhere.

After the build, each HTML page is read; every ``href`` and ``src`` that stays on the
site must name a file that exists, and its ``#fragment`` an element id of that file.
Each broken one is logged as a warning, so ``mkdocs build --strict`` fails on it.
MkDocs checks the links written in Markdown; this also covers what was generated (the
reference, the executed tutorials, the theme). ``python docs/_hooks/linkcheck.py SITE``
checks a built site from the command line.
"""

from __future__ import annotations

import logging
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

log = logging.getLogger("mkdocs.hooks.linkcheck")


class _Page(HTMLParser):
    """The ids and the (attribute, url) links of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("id", "name") and value:
                self.ids.add(value)
            elif key in ("href", "src") and value:
                self.links.append(value)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8", errors="replace"))
    return page


def broken_links(site: Path) -> list[str]:
    """Every internal link of ``site`` that leads nowhere, as 'page: link (why)'."""
    site = site.resolve()
    pages = {p: _parse(p) for p in site.rglob("*.html")}
    broken = []
    for path, page in sorted(pages.items()):
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("data:", "javascript:", "mailto:")):
                continue
            where = f"{path.relative_to(site)}: {link}"
            # Absolute paths (the 404 page uses them) start at the site's root.
            base = site if parts.path.startswith("/") else path.parent
            target = (base / unquote(parts.path).lstrip("/")).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{where} (no such file)")
                continue
            if parts.fragment and target.suffix == ".html":
                ids = pages[target].ids if target in pages else _parse(target).ids
                if unquote(parts.fragment) not in ids:
                    broken.append(f"{where} (no element with id '{parts.fragment}')")
    return broken


def on_post_build(config: Any) -> None:
    """Warn about each broken internal link (strict mode turns warnings into a failure)."""
    for problem in broken_links(Path(config["site_dir"])):
        log.warning("broken internal link: %s", problem)


if __name__ == "__main__":
    problems = broken_links(Path(sys.argv[1] if len(sys.argv) > 1 else "site"))
    print("\n".join(problems) or "no broken internal links")
    sys.exit(1 if problems else 0)
