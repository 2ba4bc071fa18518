"""The reference list of an article page and its JSON-LD ``citation`` (pure, no I/O).

The list is numbered in the article's order of references, as the body's markers are (see
markdown.py): ``[2]`` links to the list's ``#ref-2``. Each cited entry carries the ids of
the markers citing it, so the list links back to them; an entry nobody cites is listed too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from services.render.markdown import RenderedBody, safe_url
from shared.contracts import Reference

DOI_RESOLVER = "https://doi.org/"


def doi_url(doi: str) -> str:
    return DOI_RESOLVER + quote(doi, safe="/:;()._-")


@dataclass(frozen=True)
class ReferenceItem:
    number: int
    anchor: str
    title: str
    publisher: str
    url: str | None
    accessed: date | None
    doi: str | None
    doi_url: str | None
    backrefs: tuple[str, ...]


def reference_items(references: Sequence[Reference], body: RenderedBody) -> list[ReferenceItem]:
    backrefs = {c.index: c.backrefs for c in body.citations}
    items = []
    for index, ref in enumerate(references):
        items.append(
            ReferenceItem(
                number=index + 1,
                anchor=f"ref-{index + 1}",
                title=ref.title,
                publisher=ref.publisher,
                url=safe_url(ref.url),
                accessed=ref.accessed,
                doi=ref.doi,
                doi_url=doi_url(ref.doi) if ref.doi else None,
                backrefs=backrefs.get(index, ()),
            )
        )
    return items


def citation_ld(items: Sequence[ReferenceItem]) -> list[dict[str, Any]]:
    """schema.org CreativeWork items for the page's ``citation`` property."""
    out: list[dict[str, Any]] = []
    for item in items:
        work: dict[str, Any] = {"@type": "CreativeWork", "name": item.title}
        if item.url:
            work["url"] = item.url
        if item.publisher:
            work["publisher"] = {"@type": "Organization", "name": item.publisher}
        if item.doi and item.doi_url:
            work["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": item.doi}
            work["sameAs"] = item.doi_url
        out.append(work)
    return out
