"""Which published articles are due for a new medical review.

Only articles in categories that require review (``requires_review``) are counted: elsewhere
nobody is asked to review, so nothing can be overdue.

An article's last review is the date of the approval in force; an article never reviewed
through the workflow keeps its older free-text ``last_reviewed`` date, if it has one and no
review record replaced it. It is due ``review_interval_months`` (its category's) after that;
with no review at all it has been due since it was published. The list is sorted by how
overdue, then by views in the last 7 days (the views service reports them through the
ViewCounts messages; see tasks.view_counts), so the most read of equally late articles
comes first.

Computed over narrow columns of the published articles (no bodies): an editorial report,
run on request and by the metrics scrape.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from services.articles import people_repository as repo


@dataclass(frozen=True)
class DueArticle:
    id: int
    slug: str
    title: str
    category: str
    last_reviewed: date | None
    due: date
    days_overdue: int
    recent_views: int
    total_views: int


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due_articles(session: Session, *, today: date, within_days: int = 0) -> list[DueArticle]:
    """Published articles overdue, or due within ``within_days``, most overdue first."""
    horizon = today + timedelta(days=within_days)
    items = []
    for row in repo.published_for_review(session):
        if row.approved_at is not None:
            last: date | None = row.approved_at.date()
        elif not row.tracked:
            last = row.legacy_reviewed
        else:
            last = None
        if last is not None:
            due = add_months(last, row.review_interval_months)
        else:
            due = (row.published_at or datetime.combine(today, datetime.min.time())).date()
        if due > horizon:
            continue
        items.append(
            DueArticle(
                id=row.id,
                slug=row.slug,
                title=row.title,
                category=row.category,
                last_reviewed=last,
                due=due,
                days_overdue=(today - due).days,
                recent_views=row.recent_views,
                total_views=row.total_views,
            )
        )
    items.sort(key=lambda d: (-d.days_overdue, -d.recent_views, d.id))
    return items


def count_overdue(session: Session, *, today: date) -> int:
    """Articles whose review is past due (due before today)."""
    return sum(1 for d in due_articles(session, today=today) if d.days_overdue > 0)
