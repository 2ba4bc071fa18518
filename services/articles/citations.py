"""Checking a body's citation markers against the article's references (on every save).

A marker is a footnote reference (``[^label]``, see shared.contracts.citation_label). A
label with no reference would render as literal text, so it is refused with a 422 naming
it. So is a footnote definition written in the body: the reference list is built from the
structured references, and a definition would give a marker text nobody validated.

Most bodies are settled by a regular expression: every candidate marker names a known
label and no line looks like a definition. Only otherwise is the body parsed (markdown-it
with the footnote plugin, nesting limited like the renderer's slow path), so that a marker
shown as code (`` `[^1]` ``) is not taken for a citation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from markdown_it import MarkdownIt
from mdit_py_plugins.footnote import footnote_plugin

from services.articles.errors import FootnoteDefinitionInBody, UnknownCitation
from services.articles.models import Article
from services.articles.reference_schemas import ReferenceIn
from shared.contracts import citation_label

_CANDIDATE = re.compile(r"\[\^([^\]\s]+)\]")
_DEFINITION_LINE = re.compile(r"^[ \t>]*\[\^[^\]\s]+\]:", re.M)
_FOOTNOTE_REF = re.compile(r'<sup class="footnote-ref"><a href="#fn(\d+)"')
_ITEM = re.compile(r'<li id="fn(\d+)" class="footnote-item">(.*?)</li>', re.S)
_PROBE = "hhprobe"
_PROBE_RE = re.compile(rf"{_PROBE}(\d+)\b")


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "maxNesting": 16}).use(footnote_plugin)


def check_citations(body: str, labels: Sequence[str]) -> None:
    """Raise UnknownCitation or FootnoteDefinitionInBody; return when every marker cites one
    of ``labels`` (the references' labels, in order)."""
    known = set(labels)
    unknown = [c for c in dict.fromkeys(_CANDIDATE.findall(body)) if c not in known]
    if not unknown and _DEFINITION_LINE.search(body) is None:
        return
    md = _parser()
    if "footnote-ref" in md.render(body):
        # Markers resolved by the body alone: it defines footnotes of its own.
        raise FootnoteDefinitionInBody()
    if not unknown:
        return
    probes = "\n\n".join(f"[^{label}]: {_PROBE}{i}" for i, label in enumerate(unknown))
    html = md.render(f"{body}\n\n{probes}\n")
    cited_numbers = set(_FOOTNOTE_REF.findall(html))
    missing = [
        unknown[int(probe.group(1))]
        for number, inner in _ITEM.findall(html)
        if number in cited_numbers and (probe := _PROBE_RE.search(inner)) is not None
    ]
    if missing:
        raise UnknownCitation(missing, list(labels))


def stored_reference(ref: ReferenceIn) -> dict[str, str | None]:
    """A reference as the articles table (and every revision) stores it."""
    return {
        "title": ref.title,
        "publisher": ref.publisher,
        "url": str(ref.url),
        "accessed": ref.accessed.isoformat(),
        "doi": ref.doi,
        "key": ref.key,
    }


def check_article_citations(article: Article) -> None:
    """Every marker of the article's body cites one of its (stored) references."""
    labels = [citation_label(i, r.get("key")) for i, r in enumerate(article.references, 1)]
    check_citations(article.body, labels)
