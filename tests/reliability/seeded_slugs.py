"""Which category slugs (and library images) a schemathesis case names: the seeded ones (see
st_hooks.py). Apart from the hook so that importing it registers no hook in the importing
process."""

from __future__ import annotations

import os
import zlib
from datetime import date
from typing import Any

SLUG_FIELDS = ("category", "parent")
MEDIA_FIELDS = ("hero_media_id", "photo_media_id")
# Fields naming people (a reviewer token's `person`, an article's `author_slugs`): the seeded
# people, listed in HEALTHHUB_ST_PEOPLE.
PERSON_FIELD = "person"
PEOPLE_LIST_FIELD = "author_slugs"


def seeded_slugs() -> list[str]:
    slugs = [s for s in os.environ.get("HEALTHHUB_ST_CATEGORIES", "").split(",") if s]
    if not slugs:
        raise RuntimeError("HEALTHHUB_ST_CATEGORIES names no category")
    return slugs


def seeded_media() -> list[int]:
    """The library images the stack seeded (HEALTHHUB_ST_MEDIA); none is fine."""
    return [int(i) for i in os.environ.get("HEALTHHUB_ST_MEDIA", "").split(",") if i]


def seeded_people() -> list[str]:
    return [s for s in os.environ.get("HEALTHHUB_ST_PEOPLE", "").split(",") if s]


def _pick(value: str, choices: list[str]) -> str:
    return choices[zlib.crc32(value.encode()) % len(choices)]


def with_seeded_slugs(
    body: dict[str, Any],
    slugs: list[str],
    media: list[int] | None = None,
    people: list[str] | None = None,
) -> dict[str, Any]:
    """The body with each string slug field replaced by a seeded slug, each image id by a
    seeded image's and each person by a seeded person (the same generated value always maps
    to the same seeded one, so shrinking stays stable). Which categories, images and people
    exist is data, not schema."""
    out = dict(body)
    for name in MEDIA_FIELDS:
        value = out.get(name)
        # JSON Schema's integer takes 2453.0 too, and schemathesis sends it.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if media and isinstance(value, int) and not isinstance(value, bool):
            out[name] = media[value % len(media)]
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


def with_valid_citations(body: dict[str, Any], today: date) -> dict[str, Any]:
    """The body with what its references and citation markers must be beyond the schema:
    no date accessed after today (the schema says `date`; "not in the future" is data), no
    reference key twice, and no footnote marker in the Markdown (a marker must cite one of
    the references: a rule across fields). Other fields are left alone."""
    out = dict(body)
    refs = out.get("references")
    if isinstance(refs, list):
        seen: set[str] = set()
        fixed = []
        for ref in refs:
            if isinstance(ref, dict):
                ref = dict(ref)
                accessed = ref.get("accessed")
                if isinstance(accessed, str) and accessed > today.isoformat():
                    ref["accessed"] = today.isoformat()
                key = ref.get("key")
                if isinstance(key, str):
                    if key in seen:
                        ref.pop("key")
                    seen.add(key)
            fixed.append(ref)
        out["references"] = fixed
    text = out.get("body")
    if isinstance(text, str):
        out["body"] = text.replace("[^", "[\\^")
    return out
