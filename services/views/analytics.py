"""Analytics editors ask for, from the per-day counters: an article's breakdown over a date
range and its daily series for a spreadsheet. Plain functions over a session, no HTTP."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy.orm import Session

from services.views import repository
from services.views.devices import DEVICE_CLASSES
from services.views.service import UnknownArticle
from services.views.sources import REFERRER_CLASSES, UTM_FIELDS

MAX_RANGE_DAYS = 366
LISTED_DIMENSIONS = ("domain", *UTM_FIELDS)


def effective_range(first: date, last: date) -> tuple[date, date]:
    """The range answered for: one longer than MAX_RANGE_DAYS is cut to the MAX_RANGE_DAYS
    ending at ``last``; an inverted one (first after last) stays as it is and covers no day,
    so its answer is empty. Both are stated in the API's parameters, so neither is an error."""
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        first = last - timedelta(days=MAX_RANGE_DAYS - 1)
    return first, last


@dataclass
class Breakdown:
    article_id: int
    first: date
    last: date
    views: int = 0
    referrers: dict[str, int] = field(default_factory=dict)
    devices: dict[str, int] = field(default_factory=dict)
    # dimension → [(value, views)], most viewed first; "(other)" holds what the caps folded.
    listed: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


def breakdown(session: Session, *, article_id: int, first: date, last: date) -> Breakdown:
    first, last = effective_range(first, last)
    if repository.get_known(session, article_id) is None:
        raise UnknownArticle(article_id)
    out = Breakdown(article_id=article_id, first=first, last=last)
    out.views = sum(repository.daily(session, article_id, first, last).values())
    out.referrers = dict.fromkeys(REFERRER_CLASSES, 0)
    out.devices = dict.fromkeys(DEVICE_CLASSES, 0)
    out.listed = {dim: [] for dim in LISTED_DIMENSIONS}
    for dim, value, n in repository.dimension_sums(session, article_id, first, last):
        if dim == "referrer":
            out.referrers[value] = out.referrers.get(value, 0) + n
        elif dim == "device":
            out.devices[value] = out.devices.get(value, 0) + n
        elif dim in out.listed:
            out.listed[dim].append((value, n))
    return out


CSV_COLUMNS = ("day", "views", *REFERRER_CLASSES, *DEVICE_CLASSES)


def daily_csv(session: Session, *, article_id: int, first: date, last: date) -> str:
    """One row per day (days without views as zeros): views, by referrer class and device."""
    first, last = effective_range(first, last)
    if repository.get_known(session, article_id) is None:
        raise UnknownArticle(article_id)
    views = repository.daily(session, article_id, first, last)
    cells: dict[tuple[date, str], int] = {}
    for day, dim, value, n in repository.daily_dimensions(session, article_id, first, last):
        if dim in ("referrer", "device"):
            cells[(day, value)] = n
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i in range((last - first).days + 1):
        day = first + timedelta(days=i)
        row: list[object] = [day.isoformat(), views.get(day, 0)]
        row += [cells.get((day, c), 0) for c in (*REFERRER_CLASSES, *DEVICE_CLASSES)]
        writer.writerow(row)
    return buf.getvalue()
