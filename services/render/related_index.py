"""The related-articles rule computed in memory, for rendering many pages at once.

A full re-render needs the related list of every page. Ranking each with the SQL query
(repository.related_ranked) costs two queries a page and scans the postings of its tags, so
its total grows with the square of the site. Here one process reads the tag postings once
and ranks each page from set intersections: candidates sharing two or more tags come from
the pairwise intersections of the page's tag sets (small), those sharing one tag are the
oldest of each tag's list, and the category fill is the oldest of the category. Same rule,
same order as the SQL query (tests/render/test_related_index.py compares the two).
"""

from __future__ import annotations

import heapq
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.render import repository
from services.render.models import Snapshot, SnapshotTag
from services.render.related import RELATED_LIMIT

_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class RelatedIndex:
    """Postings of the live read model: who carries which tag, in publish order.

    Held by every render process for a cold build, so it is kept small: an article's place
    in publish order is one int (its rank), not a (datetime, id) key, and every id and tag
    is one shared object, not a fresh one per database row (at 10,000 articles this took the
    index from about 16 MB to a third of that; it grows with the site, the pages do not)."""

    fingerprint: tuple[object, ...]
    rank: dict[int, int] = field(default_factory=dict)
    category: dict[int, str] = field(default_factory=dict)
    tags_of: dict[int, tuple[str, ...]] = field(default_factory=dict)
    by_tag: dict[str, set[int]] = field(default_factory=dict)
    by_tag_oldest: dict[str, list[int]] = field(default_factory=dict)
    by_category_oldest: dict[str, list[int]] = field(default_factory=dict)

    def ranked(self, article_id: int) -> list[tuple[int, int]]:
        """(related id, shared tags) of this page's list, best first."""
        tags = self.tags_of.get(article_id, ())
        sets = [self.by_tag[t] for t in tags if t in self.by_tag]
        chosen: list[tuple[int, int]] = []
        seen = {article_id}
        if len(sets) >= 2:
            several: set[int] = set()
            for a, b in itertools.combinations(sets, 2):
                several |= a & b
            several.discard(article_id)
            scored = [(-sum(i in s for s in sets), self.rank[i], i) for i in several]
            for neg, _, i in heapq.nsmallest(RELATED_LIMIT, scored):
                chosen.append((i, -neg))
                seen.add(i)
        if len(chosen) < RELATED_LIMIT and sets:
            lists = [self.by_tag_oldest[t] for t in tags if t in self.by_tag_oldest]
            for i in self._oldest(lists, seen):
                chosen.append((i, sum(i in s for s in sets)))
                seen.add(i)
                if len(chosen) == RELATED_LIMIT:
                    break
        if len(chosen) < RELATED_LIMIT:
            fill = self.by_category_oldest.get(self.category.get(article_id, ""), [])
            for i in fill:
                if i not in seen:
                    chosen.append((i, 0))
                    seen.add(i)
                    if len(chosen) == RELATED_LIMIT:
                        break
        return chosen

    def _oldest(self, lists: list[list[int]], seen: set[int]) -> Iterator[int]:
        merged = heapq.merge(*lists, key=self.rank.__getitem__)
        for i, _ in itertools.groupby(merged):
            if i not in seen:
                yield i


STREAM_ROWS = 5_000


def load(session: Session) -> RelatedIndex:
    index = RelatedIndex(fingerprint=repository.read_model_fingerprint(session))
    # Both reads stream in chunks (yield_per): buffered, the tag rows of a 100,000-article
    # site (three per article) were held whole, twice over, while the index was built.
    live = (
        select(Snapshot.article_id, Snapshot.category_slug)
        .where(Snapshot.status == "published")
        .order_by(func.coalesce(Snapshot.published_at, _OLDEST), Snapshot.article_id)
        .execution_options(yield_per=STREAM_ROWS)
    )
    names: dict[str, str] = {}  # one object per category and tag name
    by_category: dict[str, list[int]] = defaultdict(list)
    for article_id, category in session.execute(live):
        index.rank[article_id] = len(index.rank)
        category = names.setdefault(category, category)
        index.category[article_id] = category
        by_category[category].append(article_id)  # in publish order already
    ids = {i: i for i in index.rank}  # one int object per id, shared by every posting
    tags: dict[int, list[str]] = defaultdict(list)
    by_tag: dict[str, list[int]] = defaultdict(list)
    postings = select(SnapshotTag.article_id, SnapshotTag.tag_slug).execution_options(
        yield_per=STREAM_ROWS
    )
    for found, tag in session.execute(postings):
        shared_id = ids.get(found)
        if shared_id is not None:
            tag = names.setdefault(tag, tag)
            tags[shared_id].append(tag)
            by_tag[tag].append(shared_id)
    index.tags_of = {i: tuple(t) for i, t in tags.items()}
    index.by_tag = {t: set(found) for t, found in by_tag.items()}
    index.by_tag_oldest = {
        t: sorted(found, key=index.rank.__getitem__) for t, found in by_tag.items()
    }
    index.by_category_oldest = dict(by_category)
    return index


_cached: RelatedIndex | None = None


def current(session: Session) -> RelatedIndex:
    """This process's index, loaded again only when the read model changed."""
    global _cached
    if _cached is None or _cached.fingerprint != repository.read_model_fingerprint(session):
        _cached = None  # the old index goes before the new one is built, not after
        _cached = load(session)
    return _cached
