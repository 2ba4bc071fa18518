"""Which category slugs a schemathesis case names: the seeded ones (see st_hooks.py). Apart
from the hook so that importing it registers no hook in the importing process."""

from __future__ import annotations

import os
import zlib
from typing import Any

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
