"""The edit form as data: what a browser posts, turned into the API's own request models.

The form is a flat ``Draft`` of strings (what the inputs hold), so a refused form comes back
exactly as typed. ``payload`` turns it into the JSON the API would receive, and the API's
models (ArticleCreate, ArticleUpdate) validate it: there is no second copy of any rule here,
only the mapping of inputs to fields and of pydantic's errors back to inputs.

An update sends only the fields whose value differs from the article as saved, as an API
client sending a PATCH would: an untouched author list is not re-linked, an untouched review
line is not "set by hand", and what the service compares (approval withdrawal) sees the edit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from services.articles.schemas import ArticleCreate, ArticleOut, ArticleUpdate

REFERENCE_PARTS = ("title", "publisher", "url", "accessed", "doi", "key")
# Blank reference rows the form offers below the filled ones.
SPARE_REFERENCES = 2
# Longest id typed in a form that is still read as a number (MAX_ID has 10 digits).
_ID_DIGITS = 10


@dataclass(frozen=True)
class Draft:
    """The form's inputs, as typed. Lists are one entry per line (names) or per comma (tags)."""

    title: str = ""
    slug: str = ""
    category: str = ""
    summary: str = ""
    body: str = ""
    tags: str = ""
    author_slugs: tuple[str, ...] = ()
    authors: str = ""
    hero_media_id: str = ""
    hero_image_alt: str = ""
    reviewed_by: str = ""
    last_reviewed: str = ""
    references: tuple[tuple[str, ...], ...] = field(default=())
    # An old external hero (retired: the API takes only null for it, which drops it).
    drop_hero_image_url: bool = False

    def reference_rows(self) -> list[dict[str, str]]:
        """The filled references and a few blank rows, for the template."""
        rows = [dict(zip(REFERENCE_PARTS, r, strict=True)) for r in self.references]
        return rows + [dict.fromkeys(REFERENCE_PARTS, "") for _ in range(SPARE_REFERENCES)]


# Field names in the order the form shows them; labels for messages and the conflict view.
LABELS: dict[str, str] = {
    "title": "Title",
    "slug": "Slug",
    "category": "Category",
    "summary": "Summary",
    "body": "Body",
    "tags": "Tags",
    "author_slugs": "Authors (people)",
    "authors": "Authors (names)",
    "hero_media_id": "Hero image",
    "hero_image_alt": "Hero alt text",
    "reviewed_by": "Reviewed by",
    "last_reviewed": "Last reviewed",
    "references": "References",
}


def _plain(value: object) -> str:
    """Text as typed: a browser sends a textarea's lines ending CR LF, and Markdown stored
    with them would differ from the same text sent through the API. An uploaded file is
    not text."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else ""


def _text(form: FormData, name: str) -> str:
    return _plain(form.get(name))


def _texts(form: FormData, name: str) -> list[str]:
    return [_plain(v) for v in form.getlist(name)]


def read_form(form: FormData) -> Draft:
    """The posted inputs (missing ones are empty; files are ignored)."""
    columns = [_texts(form, f"ref_{part}") for part in REFERENCE_PARTS]
    rows = max((len(c) for c in columns), default=0)
    references = tuple(
        tuple(c[i].strip() if i < len(c) else "" for c in columns) for i in range(rows)
    )
    return Draft(
        title=_text(form, "title"),
        slug=_text(form, "slug"),
        category=_text(form, "category"),
        summary=_text(form, "summary"),
        body=_text(form, "body"),
        tags=_text(form, "tags"),
        author_slugs=tuple(s for s in _texts(form, "author_slugs") if s),
        authors=_text(form, "authors"),
        hero_media_id=_text(form, "hero_media_id"),
        hero_image_alt=_text(form, "hero_image_alt"),
        reviewed_by=_text(form, "reviewed_by"),
        last_reviewed=_text(form, "last_reviewed"),
        references=tuple(r for r in references if any(r)),
        drop_hero_image_url=form.get("drop_hero_image_url") == "on",
    )


def from_article(article: ArticleOut) -> Draft:
    """The form as the API presents the article (people as slugs, references as rows)."""
    people = bool(article.author_slugs)
    return Draft(
        title=article.title,
        slug=article.slug,
        category=article.category,
        summary=article.summary,
        body=article.body,
        tags=", ".join(article.tags),
        author_slugs=tuple(article.author_slugs),
        authors="" if people else "\n".join(article.authors),
        hero_media_id=str(article.hero_media_id or ""),
        hero_image_alt=article.hero_image_alt or "",
        reviewed_by=article.reviewed_by or "",
        last_reviewed=article.last_reviewed.isoformat() if article.last_reviewed else "",
        references=tuple(
            tuple(str(getattr(r, part) or "") for part in REFERENCE_PARTS)
            for r in article.references
        ),
    )


def from_revision(data: Mapping[str, Any]) -> Draft:
    """The form as a stored revision holds the article (the base of a three-way merge)."""
    slugs = tuple(str(s) for s in data.get("author_slugs") or ())
    return Draft(
        title=str(data.get("title") or ""),
        slug=str(data.get("slug") or ""),
        category=str(data.get("category") or ""),
        summary=str(data.get("summary") or ""),
        body=str(data.get("body") or ""),
        tags=", ".join(str(t) for t in data.get("tags") or ()),
        author_slugs=slugs,
        authors="" if slugs else "\n".join(str(a) for a in data.get("authors") or ()),
        hero_media_id=str(data.get("hero_media_id") or ""),
        hero_image_alt=str(data.get("hero_image_alt") or ""),
        reviewed_by=str(data.get("reviewed_by") or ""),
        last_reviewed=str(data.get("last_reviewed") or ""),
        references=tuple(
            tuple(str(r.get(part) or "") for part in REFERENCE_PARTS)
            for r in data.get("references") or ()
            if isinstance(r, Mapping)
        ),
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _number(text: str) -> int | str:
    """A typed id: a number when it is one (the model then checks its range), else the text
    (the model refuses it with its own message)."""
    text = text.strip()
    if len(text) <= _ID_DIGITS and text.isascii() and text.isdigit():
        return int(text)
    return text


def payload(draft: Draft) -> dict[str, Any]:
    """The JSON an API client would send for this form (blank optional fields: null)."""
    references = [
        {part: value or None for part, value in zip(REFERENCE_PARTS, row, strict=True)}
        for row in draft.references
    ]
    return {
        "title": draft.title,
        "slug": draft.slug.strip() or None,
        "category": draft.category,
        "summary": draft.summary,
        "body": draft.body,
        "tags": [t.strip() for t in draft.tags.split(",") if t.strip()],
        "author_slugs": list(draft.author_slugs) or None,
        "authors": _lines(draft.authors) or None,
        "hero_media_id": _number(draft.hero_media_id) if draft.hero_media_id.strip() else None,
        "hero_image_alt": draft.hero_image_alt.strip() or None,
        "reviewed_by": draft.reviewed_by.strip() or None,
        "last_reviewed": draft.last_reviewed.strip() or None,
        "references": references,
    }


def changed(draft: Draft, saved: Draft) -> list[str]:
    """The fields whose value differs between two forms, in form order."""
    mine, theirs = payload(draft), payload(saved)
    return [name for name in LABELS if mine[name] != theirs[name]]


class FormErrors(Exception):
    """The form was refused; ``errors`` maps an input's name (or "form") to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(m for ms in errors.values() for m in ms))
        self.errors = errors


def _where(loc: tuple[int | str, ...]) -> str:
    """pydantic's location of an error as the form's input name (``references`` rows are
    ``references.<n>``, the template shows them by that row)."""
    if not loc or loc[0] not in LABELS:
        return "form"
    if loc[0] == "references" and len(loc) > 1 and isinstance(loc[1], int):
        return f"references.{loc[1]}"
    return str(loc[0])


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if loc[:1] == ("references",) and len(loc) > 2:
            message = f"{str(loc[2]).capitalize()}: {message}"
        found.setdefault(_where(loc), []).append(message)
    return found


def _both_author_kinds(data: Mapping[str, Any]) -> None:
    if data.get("author_slugs") and data.get("authors"):
        raise FormErrors(
            {"authors": ["Pick authors from the people list or type names, not both."]}
        )


def for_create(draft: Draft) -> ArticleCreate:
    data = payload(draft)
    _both_author_kinds(data)
    try:
        return ArticleCreate.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        raise FormErrors(errors_of(exc)) from exc


def for_update(draft: Draft, saved: Draft, *, version: int, typo_only: bool) -> ArticleUpdate:
    """Only the fields that differ from the saved article (see the module docstring)."""
    data = payload(draft)
    _both_author_kinds(data)
    names = changed(draft, saved)
    sent: dict[str, Any] = {name: data[name] for name in names}
    # Clearing a list is sending it empty: null would mean "leave it".
    for name in ("author_slugs", "authors"):
        if name in sent and sent[name] is None:
            sent[name] = []
    if "author_slugs" in sent and not sent["author_slugs"] and data["authors"]:
        del sent["author_slugs"]  # names replace the people: authors carries them
    if draft.drop_hero_image_url:
        sent["hero_image_url"] = None
    try:
        return ArticleUpdate.model_validate({**sent, "version": version, "typo_only": typo_only})
    except ValidationError as exc:
        raise FormErrors(errors_of(exc)) from exc


def take_theirs(draft: Draft, saved: Draft, names: list[str]) -> Draft:
    """The form with the named fields replaced by the saved article's values (a merge)."""
    chosen = {name: getattr(saved, name) for name in names if name in LABELS}
    if "author_slugs" in chosen or "authors" in chosen:
        chosen["author_slugs"], chosen["authors"] = saved.author_slugs, saved.authors
    return replace(draft, **chosen)
