"""The dirty keys a change leaves for the listings worker that name article pages.

Listing keys (``<listing>|from|…``, ``home``, ``feed``) are listings.py's and
listing_pages.py's; profile keys are people.py's. These three say which article pages to
render again, and how to find them:

- ``article:<id>``: render this article page again (its related list or view count changed);
- ``relatedof:<id>[:card]``: find the pages whose related list shows the article and changes
  with it (``:card``: its title, summary or URL changed too), at once;
- ``relatedentry:<id>``: find the pages whose related list the article now enters, on the
  related-refresh schedule (related.py says why).
"""

from __future__ import annotations

ARTICLE_KEY_PREFIX = "article:"
RELATED_KEY_PREFIX = "relatedof:"
ENTRY_KEY_PREFIX = "relatedentry:"


def article_key(article_id: int) -> str:
    """An article page to render again (its related list or its view count changed)."""
    return f"{ARTICLE_KEY_PREFIX}{article_id}"


def related_key(article_id: int, card_changed: bool) -> str:
    """Work out which other pages showing this article its change touches."""
    return f"{RELATED_KEY_PREFIX}{article_id}{':card' if card_changed else ''}"


def entry_key(article_id: int) -> str:
    """Work out, on the related-refresh schedule, which other pages this article enters."""
    return f"{ENTRY_KEY_PREFIX}{article_id}"
