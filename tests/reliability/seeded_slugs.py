"""Which category slugs a schemathesis case names: the seeded ones (see st_hooks.py). Apart
from the hook so that importing it registers no hook in the importing process."""

from __future__ import annotations

import os
import zlib
from typing import Any

SLUG_FIELDS = ("category", "parent")
# Fields naming people (a reviewer token's `person`, an article's `author_slugs`): the seeded
# people, listed in HEALTHHUB_ST_PEOPLE.
PERSON_FIELD = "person"
PEOPLE_LIST_FIELD = "author_slugs"


def seeded_slugs() -> list[str]:
    slugs = [s for s in os.environ.get("HEALTHHUB_ST_CATEGORIES", "").split(",") if s]
    if not slugs:
        raise RuntimeError("HEALTHHUB_ST_CATEGORIES names no category")
    return slugs


def seeded_people() -> list[str]:
    return [s for s in os.environ.get("HEALTHHUB_ST_PEOPLE", "").split(",") if s]


def _pick(value: str, choices: list[str]) -> str:
    return choices[zlib.crc32(value.encode()) % len(choices)]


def with_seeded_slugs(
    body: dict[str, Any], slugs: list[str], people: list[str] | None = None
) -> dict[str, Any]:
    """The body with each string slug field replaced by a seeded slug (the same generated
    slug always maps to the same seeded one, so shrinking stays stable); people likewise."""
    out = dict(body)
    for name in SLUG_FIELDS:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = _pick(value, slugs)
    if people:
        if isinstance(out.get(PERSON_FIELD), str):
            out[PERSON_FIELD] = _pick(out[PERSON_FIELD], people)
        names = out.get(PEOPLE_LIST_FIELD)
        if isinstance(names, list):
            out[PEOPLE_LIST_FIELD] = [_pick(str(n), people) for n in names]
    return out
