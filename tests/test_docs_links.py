"""Every relative link in README.md and docs/*.md leads somewhere: the file exists and, when
the link names a #section of a Markdown file, that file has a heading with that anchor
(GitHub's rule: lower case, punctuation dropped, spaces to hyphens, repeats numbered)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and [text](target "title"); images too. Autolinks (<https://…>) are absolute.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto:


def without_code(markdown: str) -> str:
    """The text outside fenced blocks and inline code, where a bracket is not a link."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def anchors(markdown: str) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for line in without_code(markdown).splitlines():
        heading = HEADING.match(line)
        if heading is None:
            continue
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.group(1))  # a link's text
        slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in LINK.findall(without_code(document.read_text())):
        if EXTERNAL.match(target):
            continue
        path, _, fragment = target.partition("#")
        destination = (document.parent / unquote(path)).resolve() if path else document
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif (
            fragment
            and destination.suffix == ".md"
            and unquote(fragment).lower() not in anchors(destination.read_text())
        ):
            broken.append(f"{target}: no such section")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_leads_somewhere(document: Path) -> None:
    assert broken_links(document) == []


def test_the_readme_links_into_every_document_in_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    linked = {t.partition("#")[0] for t in LINK.findall(readme)}
    assert {f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md")} <= linked


def test_the_readme_stays_a_front_door_under_10_kb() -> None:
    # Issue #15: the README leads into docs/; the detail lives there.
    assert len((ROOT / "README.md").read_bytes()) < 10_000


def test_a_broken_file_or_section_link_is_caught(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "guide.md").write_text("# Guide\n\n## Two commands\n\n## Two commands\n")
    page = tmp_path / "README.md"
    page.write_text(
        "[ok](docs/guide.md#two-commands) [again](docs/guide.md#two-commands-1) "
        "[gone](docs/missing.md) [typo](docs/guide.md#two-command) [web](https://example.org) "
        "`[code](nowhere.md)` [self](#nothing-here)\n"
    )
    assert broken_links(page) == [
        "docs/missing.md: no such file",
        "docs/guide.md#two-command: no such section",
        "#nothing-here: no such section",
    ]
