"""Every query of the views service."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from services.views.models import (
    AppliedBatch,
    ArticleTotal,
    DailyCount,
    DailyDimension,
    KnownArticle,
)


def _insert(session: Session):  # type: ignore[no-untyped-def]
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def get_known(session: Session, article_id: int) -> KnownArticle | None:
    return session.get(KnownArticle, article_id)


def known_by_slug(session: Session, slug: str) -> KnownArticle | None:
    return session.scalars(select(KnownArticle).where(KnownArticle.slug == slug)).first()


def live_ids(session: Session) -> Sequence[int]:
    return session.scalars(select(KnownArticle.article_id).where(KnownArticle.live.is_(True))).all()


def batch_applied(session: Session, batch_id: str) -> bool:
    return session.get(AppliedBatch, batch_id) is not None


def record_batch(session: Session, batch_id: str, views: int, now: datetime) -> None:
    session.add(AppliedBatch(batch_id=batch_id, views=views, applied_at=now))


def add_to_total(session: Session, article_id: int, n: int, now: datetime) -> None:
    ins = _insert(session)(ArticleTotal).values(
        article_id=article_id, total=n, imported=0, updated_at=now
    )
    stmt = ins.on_conflict_do_update(
        index_elements=["article_id"],
        set_={
            "total": ArticleTotal.total + ins.excluded.total,
            "updated_at": ins.excluded.updated_at,
        },
    )
    session.execute(stmt)


def set_imported(session: Session, article_id: int, n: int, now: datetime) -> None:
    """Set the imported part of a total (replacing an earlier import, so re-running is safe)."""
    ins = _insert(session)(ArticleTotal).values(
        article_id=article_id, total=n, imported=n, updated_at=now
    )
    stmt = ins.on_conflict_do_update(
        index_elements=["article_id"],
        set_={
            "total": ArticleTotal.total - ArticleTotal.imported + ins.excluded.imported,
            "imported": ins.excluded.imported,
            "updated_at": ins.excluded.updated_at,
        },
    )
    session.execute(stmt)


def add_to_day(session: Session, article_id: int, day: date, n: int) -> None:
    ins = _insert(session)(DailyCount).values(article_id=article_id, day=day, count=n, imported=0)
    stmt = ins.on_conflict_do_update(
        index_elements=["article_id", "day"], set_={"count": DailyCount.count + ins.excluded.count}
    )
    session.execute(stmt)


def clear_imported_days(session: Session, article_id: int) -> None:
    """Take an earlier dated import out of an article's daily counts."""
    session.execute(
        update(DailyCount)
        .where(DailyCount.article_id == article_id, DailyCount.imported != 0)
        .values(count=DailyCount.count - DailyCount.imported, imported=0)
    )


def set_imported_day(session: Session, article_id: int, day: date, n: int) -> None:
    """Add an imported day (after clear_imported_days) to the counted views of that day."""
    ins = _insert(session)(DailyCount).values(article_id=article_id, day=day, count=n, imported=n)
    stmt = ins.on_conflict_do_update(
        index_elements=["article_id", "day"],
        set_={"count": DailyCount.count + ins.excluded.count, "imported": ins.excluded.imported},
    )
    session.execute(stmt)


def add_to_dimension(
    session: Session, article_id: int, day: date, dimension: str, value: str, n: int
) -> None:
    ins = _insert(session)(DailyDimension).values(
        article_id=article_id, day=day, dimension=dimension, value=value[:255], count=n
    )
    stmt = ins.on_conflict_do_update(
        index_elements=["article_id", "day", "dimension", "value"],
        set_={"count": DailyDimension.count + ins.excluded.count},
    )
    session.execute(stmt)


def dimension_sums(
    session: Session, article_id: int, first_day: date, last_day: date
) -> list[tuple[str, str, int]]:
    """(dimension, value, views) of one article over a range of days, most viewed first."""
    views = func.sum(DailyDimension.count).label("views")
    stmt = (
        select(DailyDimension.dimension, DailyDimension.value, views)
        .where(
            DailyDimension.article_id == article_id,
            DailyDimension.day >= first_day,
            DailyDimension.day <= last_day,
        )
        .group_by(DailyDimension.dimension, DailyDimension.value)
        .order_by(DailyDimension.dimension, views.desc(), DailyDimension.value)
    )
    return [(r[0], r[1], int(r[2])) for r in session.execute(stmt)]


def daily_dimensions(
    session: Session, article_id: int, first_day: date, last_day: date
) -> list[tuple[date, str, str, int]]:
    stmt = (
        select(
            DailyDimension.day, DailyDimension.dimension, DailyDimension.value, DailyDimension.count
        )
        .where(
            DailyDimension.article_id == article_id,
            DailyDimension.day >= first_day,
            DailyDimension.day <= last_day,
        )
        .order_by(DailyDimension.day, DailyDimension.dimension, DailyDimension.value)
    )
    return [(r[0], r[1], r[2], int(r[3])) for r in session.execute(stmt)]


def delete_dimensions_before(session: Session, first_kept: date) -> int:
    result = session.execute(delete(DailyDimension).where(DailyDimension.day < first_kept))
    return int(getattr(result, "rowcount", 0) or 0)


def totals(session: Session, ids: Sequence[int]) -> dict[int, int]:
    if not ids:
        return {}
    stmt = select(ArticleTotal.article_id, ArticleTotal.total).where(
        ArticleTotal.article_id.in_(ids)
    )
    return {row[0]: row[1] for row in session.execute(stmt)}


def sums_since(session: Session, ids: Sequence[int], first_day: date) -> dict[int, int]:
    """Views since first_day (today included) of each article in ids; absent: none."""
    if not ids:
        return {}
    stmt = (
        select(DailyCount.article_id, func.sum(DailyCount.count))
        .where(DailyCount.article_id.in_(ids), DailyCount.day >= first_day)
        .group_by(DailyCount.article_id)
    )
    return {row[0]: int(row[1]) for row in session.execute(stmt)}


def viewed_since(session: Session, first_day: date) -> list[int]:
    stmt = (
        select(DailyCount.article_id)
        .where(DailyCount.day >= first_day, DailyCount.count > 0)
        .distinct()
        .order_by(DailyCount.article_id)
    )
    return list(session.scalars(stmt))


def total(session: Session, article_id: int) -> int:
    row = session.get(ArticleTotal, article_id)
    return row.total if row else 0


def sum_since(session: Session, article_id: int, first_day: date) -> int:
    stmt = select(func.coalesce(func.sum(DailyCount.count), 0)).where(
        DailyCount.article_id == article_id, DailyCount.day >= first_day
    )
    return int(session.scalar(stmt) or 0)


def daily(
    session: Session, article_id: int, first_day: date, last_day: date | None = None
) -> dict[date, int]:
    stmt = (
        select(DailyCount.day, DailyCount.count)
        .where(DailyCount.article_id == article_id, DailyCount.day >= first_day)
        .order_by(DailyCount.day)
    )
    if last_day is not None:
        stmt = stmt.where(DailyCount.day <= last_day)
    return {row[0]: row[1] for row in session.execute(stmt)}


def top_since(
    session: Session, first_day: date, *, category: str | None, limit: int
) -> list[tuple[int, str, str, int]]:
    """(article id, slug, category, views) of the live articles most viewed since first_day."""
    views = func.sum(DailyCount.count).label("views")
    stmt = (
        select(KnownArticle.article_id, KnownArticle.slug, KnownArticle.category_slug, views)
        .join(DailyCount, DailyCount.article_id == KnownArticle.article_id)
        .where(KnownArticle.live.is_(True), DailyCount.day >= first_day)
        .group_by(KnownArticle.article_id, KnownArticle.slug, KnownArticle.category_slug)
        .order_by(views.desc(), KnownArticle.article_id)
        .limit(limit)
    )
    if category is not None:
        stmt = stmt.where(KnownArticle.category_slug == category)
    return [(r[0], r[1], r[2], int(r[3])) for r in session.execute(stmt)]


def top_all_time(
    session: Session, *, category: str | None, limit: int
) -> list[tuple[int, str, str, int]]:
    """Like top_since, over the totals (imported history included)."""
    stmt = (
        select(
            KnownArticle.article_id,
            KnownArticle.slug,
            KnownArticle.category_slug,
            ArticleTotal.total,
        )
        .join(ArticleTotal, ArticleTotal.article_id == KnownArticle.article_id)
        .where(KnownArticle.live.is_(True), ArticleTotal.total > 0)
        .order_by(ArticleTotal.total.desc(), KnownArticle.article_id)
        .limit(limit)
    )
    if category is not None:
        stmt = stmt.where(KnownArticle.category_slug == category)
    return [(r[0], r[1], r[2], int(r[3])) for r in session.execute(stmt)]
