"""Comparing two revisions for a person to read: which fields changed, and a line diff of
each (difflib), with a few lines of context around every change.

A revision's ``data`` is the article's whole editable state at that version (service.py
REVISION_FIELDS, plus the category and author slugs and ids). Every field is compared as
lines of text: a string by its lines, a list one item a line (a reference as its JSON), so
a changed tag or reference shows as one line removed and one added. The ids stored beside
the slugs (restoring.ID_KEYS) are left out: the slugs say the same thing, readably.

Nothing here escapes HTML: the template does (autoescape), which is the one place it can
be forgotten, and the tests look for it there.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Literal

from services.articles import restoring

CONTEXT_LINES = 3
# The order a reader expects; any other stored field follows, by name.
FIELD_ORDER = (
    "title",
    "slug",
    "category",
    "status",
    "summary",
    "body",
    "tags",
    "authors",
    "author_slugs",
    "references",
    "hero_media_id",
    "hero_image_url",
    "hero_image_alt",
    "reviewed_by",
    "last_reviewed",
)
LineKind = Literal["same", "removed", "added", "gap"]


@dataclass(frozen=True)
class Line:
    kind: LineKind
    old: int | None  # 1-based line number in the first revision chosen
    new: int | None  # in the second
    text: str


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    lines: list[Line]


def as_lines(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.splitlines()
    if isinstance(value, list):
        return [item if isinstance(item, str) else _json(item) for item in value]
    return [_json(value)]


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def line_diff(old: list[str], new: list[str], context: int = CONTEXT_LINES) -> list[Line]:
    """The changed lines with ``context`` unchanged ones around them; a ``gap`` line marks
    unchanged lines left out."""
    lines: list[Line] = []
    matcher = difflib.SequenceMatcher(None, old, new)
    for group in matcher.get_grouped_opcodes(context):
        if lines or (group and (group[0][1] > 0 or group[0][3] > 0)):
            lines.append(Line("gap", None, None, "…"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [Line("same", i1 + k + 1, j1 + k + 1, old[i1 + k]) for k in range(i2 - i1)]
                continue
            lines += [Line("removed", i + 1, None, old[i]) for i in range(i1, i2)]
            lines += [Line("added", None, j + 1, new[j]) for j in range(j1, j2)]
    if lines and matcher.get_opcodes()[-1][0] == "equal" and lines[-1].old != len(old):
        lines.append(Line("gap", None, None, "…"))
    return lines


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[FieldDiff]:
    """The fields whose values differ between two revisions' data, each with its diff."""
    names = [n for n in FIELD_ORDER if n in old or n in new]
    names += sorted((old.keys() | new.keys()) - set(FIELD_ORDER) - set(restoring.ID_KEYS))
    found: list[FieldDiff] = []
    for name in names:
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        lines = line_diff(as_lines(before), as_lines(after))
        if not lines:  # equal as text (e.g. null and an empty list): say so, plainly
            lines = [
                Line("removed", None, None, _json(before)),
                Line("added", None, None, _json(after)),
            ]
        found.append(FieldDiff(name, _label(name), lines))
    return found
