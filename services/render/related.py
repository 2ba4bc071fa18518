"""Which article pages change their "Related articles" list when one article changes.

Each page's list is the top ``RELATED_LIMIT`` live articles by (shared tags desc, publish date
desc, id), and the list each page last showed is stored with those ordering keys
(``related_links``). When article X changes, only X's own entry moved: the keys of every other
entry on another page A are unchanged. So A's list changes exactly when

- A shows X now and X's entry changed (left, re-ranked, or its card text changed), or
- X now beats A's weakest shown entry (or A shows fewer than the limit): X enters.

That needs one query for the pages showing X and one for the pages X could enter, never a
re-ranking of every page. A stored list that is behind (its page is queued for re-render) is
at worst weaker than the real one, so the test above can only over-select, never miss.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.render import repository
from services.render.models import RelatedLink
from services.render.renderer import tag_slug
from shared.contracts import ArticleSnapshot

RELATED_LIMIT = 3
_OLDEST = datetime.min.replace(tzinfo=UTC)
RankKey = tuple[int, float, int]


def rank_key(shared_tags: int, published_at: datetime | None, article_id: int) -> RankKey:
    """Smaller is better: the order the related query sorts by."""
    return (-shared_tags, -(published_at or _OLDEST).timestamp(), article_id)


def _link_key(link: RelatedLink) -> RankKey:
    return rank_key(link.shared_tags, link.published_at, link.related_id)


def _card_text(snapshot: ArticleSnapshot) -> tuple[str, str, str, str]:
    return (snapshot.title, snapshot.summary, snapshot.category.slug, snapshot.slug)


def pages_to_refresh(
    session: Session, old: ArticleSnapshot | None, new: ArticleSnapshot
) -> set[int]:
    """Ids of the other live article pages whose related list changes with this snapshot.

    Call after the read model holds ``new`` (its tags and status are what is compared)."""
    x = new.id
    shared = (
        repository.live_sharing_tags(session, {tag_slug(t) for t in new.tags}, exclude=x)
        if new.is_live
        else {}
    )
    same_category = (
        set(repository.live_ids_in_category(session, new.category.slug, exclude=x))
        if new.is_live
        else set()
    )
    card_changed = old is None or _card_text(old) != _card_text(new)
    changed: set[int] = set()

    # Pages that show X now: they change unless X keeps the very same entry.
    showing = repository.pages_showing(session, x)
    for page_id, link in showing.items():
        still_eligible = page_id in shared or page_id in same_category
        same_key = _link_key(link) == rank_key(shared.get(page_id, 0), new.published_at, x)
        if not new.is_live or not still_eligible or not same_key or card_changed:
            changed.add(page_id)

    # Pages X could enter: live articles sharing a tag with it, or filed in its category.
    # A list's entries are stored in rank order, so its last entry is its weakest.
    candidates = (set(shared) | same_category) - set(showing)
    if candidates:
        weakest = repository.weakest_shown(session, candidates, RELATED_LIMIT - 1)
        for page_id in candidates:
            key = rank_key(shared.get(page_id, 0), new.published_at, x)
            last = weakest.get(page_id)
            if last is None or key < rank_key(last[1], last[2], last[0]):
                changed.add(page_id)
    return changed
