"""Schemathesis hooks for `st run` (loaded through SCHEMATHESIS_HOOKS): a positive case that
names a category (an article's `category`, a category's `parent`) names one the stack
seeded, listed in HEALTHHUB_ST_CATEGORIES. Which slugs exist is data, not schema, so a
generated slug is almost never one; negative cases are left alone, so their broken fields
stay broken."""

from __future__ import annotations

import os
import zlib
from typing import Any

import schemathesis

SLUG_FIELDS = ("category", "parent")


def seeded_slugs() -> list[str]:
    slugs = [s for s in os.environ.get("HEALTHHUB_ST_CATEGORIES", "").split(",") if s]
    if not slugs:
        raise RuntimeError("HEALTHHUB_ST_CATEGORIES names no category")
    return slugs


def with_seeded_slugs(body: dict[str, Any], slugs: list[str]) -> dict[str, Any]:
    """The body with each string slug field replaced by a seeded slug (the same generated
    slug always maps to the same seeded one, so shrinking stays stable)."""
    out = dict(body)
    for name in SLUG_FIELDS:
        value = out.get(name)
        if isinstance(value, str):
            out[name] = slugs[zlib.crc32(value.encode()) % len(slugs)]
    return out


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    meta = case.meta
    positive = meta is None or meta.generation.mode.is_positive
    if positive and isinstance(case.body, dict):
        case.body = with_seeded_slugs(case.body, seeded_slugs())
    return case
