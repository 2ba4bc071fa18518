"""Schemathesis hooks for `st run` (loaded through SCHEMATHESIS_HOOKS): a positive case that
names a category (an article's `category`, a category's `parent`) names one the stack
seeded, listed in HEALTHHUB_ST_CATEGORIES. Which slugs exist is data, not schema, so a
generated slug is almost never one; negative cases are left alone, so their broken fields
stay broken."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import schemathesis

from tests.reliability.seeded_slugs import (
    seeded_media,
    seeded_people,
    seeded_slugs,
    with_seeded_slugs,
    with_valid_citations,
)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Right before each request, in every phase (map_case would miss the bodies the stateful
    phase builds from links)."""
    meta = case.meta
    positive = meta is None or meta.generation.mode.is_positive
    if positive and isinstance(case.body, dict):
        case.body = with_valid_citations(
            with_seeded_slugs(case.body, seeded_slugs(), seeded_media(), seeded_people()),
            datetime.now(UTC).date(),
        )
