"""The related-list marks of a listings run turned into article pages to render.

A change leaves ``relatedof:`` marks (pages showing the article: worked out at once) and
``relatedentry:`` marks (pages it enters: worked out once they are ``entry_after`` old, on
the related-refresh schedule). Each is worked out from a read snapshot (the queries scan
the pages sharing a tag), then recorded in a short write: a publish never waits for this on
SQLite's write lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.render import related, repository
from services.render.dirty_keys import ENTRY_KEY_PREFIX, RELATED_KEY_PREFIX, article_key
from services.render.repository import DirtyMark
from shared.db import Database


@dataclass
class RelatedWork:
    done: list[str] = field(default_factory=list)
    # Entry checks that are due but left for the next run (ENTRY_CHECKS_PER_RUN).
    pending: int = 0


def entries_due(marks: Mapping[str, DirtyMark], now: datetime, entry_after: timedelta) -> list[str]:
    """The ``relatedentry:`` keys whose refresh time has come, oldest mark first."""
    due_at = now - entry_after
    due = [
        (m.marked_at, k)
        for k, m in marks.items()
        if k.startswith(ENTRY_KEY_PREFIX) and m.marked_at <= due_at
    ]
    return [k for _, k in sorted(due)]


def work_out(
    db: Database, marks: Mapping[str, DirtyMark], now: datetime, entry_after: timedelta
) -> RelatedWork:
    """Mark the article pages that the related marks among ``marks`` name; clear the marks."""
    work = RelatedWork()
    for key in sorted(k for k in marks if k.startswith(RELATED_KEY_PREFIX)):
        article_id, _, flag = key.removeprefix(RELATED_KEY_PREFIX).partition(":")
        with db.reading() as session:
            pages = related.pages_to_refresh(session, int(article_id), flag == "card")
        _record(db, pages, key, marks[key], now)
        work.done.append(key)
    due = entries_due(marks, now, entry_after)
    for key in due[: related.ENTRY_CHECKS_PER_RUN]:
        raw = key.removeprefix(ENTRY_KEY_PREFIX)
        entered: set[int] = set()
        if raw.isdigit():
            with db.reading() as session:
                entered = related.pages_entered(session, int(raw))
        _record(db, entered, key, marks[key], now)
        work.done.append(key)
    work.pending = max(0, len(due) - related.ENTRY_CHECKS_PER_RUN)
    return work


def _record(db: Database, pages: set[int], key: str, seen: DirtyMark, now: datetime) -> None:
    with db.transaction() as session:
        repository.mark_dirty(session, {article_key(p) for p in pages}, now)
        repository.clear_dirty(session, key, seen)
