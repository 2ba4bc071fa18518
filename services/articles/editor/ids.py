"""Ids and versions typed into URLs and forms, read once for every screen."""

from __future__ import annotations

from services.articles.fields import MAX_ID

_DIGITS = len(str(MAX_ID))


def parse_id(text: str) -> int | None:
    """A positive 32-bit id or version from a path segment or a form field; None for
    anything that cannot be one (``abc``, ``-1``, ``0``, a number past any id). The length
    is checked first: int() of over 4,300 digits raises instead of answering."""
    text = text.strip()
    if not (0 < len(text) <= _DIGITS and text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if 0 < number <= MAX_ID else None
