"""The buffer's field layout, through the real script and the real flusher: a view's count
and its closed-set dimensions are one field, open-ended dimensions a field each; fields in
the layout of earlier releases (left in Redis across an upgrade) are still applied exactly."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from services.views import buffer
from services.views.models import ArticleTotal, DailyCount, DailyDimension
from services.views.settings import ViewsSettings
from shared.db import Database
from tests.views.builders import T0, flush, learn, snapshot, views_redis

DAY = T0.date()
LIMITS = buffer.Limits(
    window_seconds=1800, reader_per_minute=100, address_per_minute=100, readers_per_address=8
)


def record(settings: ViewsSettings, *views: buffer.ViewArgs) -> list[int]:
    r = views_redis(settings)
    try:
        args = buffer.record_call(views=views, day=DAY, minute=0, limits=LIMITS)
        answer = r.eval(buffer.RECORD_VIEWS_LUA, 0, *args)
        return [int(code) for code in answer]
    finally:
        r.close()


def stored(settings: ViewsSettings) -> tuple[int, int, dict[tuple[str, str], int]]:
    db = Database(settings.views_database_url)
    try:
        with db.transaction() as s:
            total = s.scalar(select(ArticleTotal.total).where(ArticleTotal.article_id == 1))
            day = s.scalar(select(DailyCount.count).where(DailyCount.article_id == 1))
            dims = {
                (dim, value): n
                for dim, value, n in s.execute(
                    select(DailyDimension.dimension, DailyDimension.value, DailyDimension.count)
                )
            }
        return int(total or 0), int(day or 0), dims
    finally:
        db.dispose()


def test_a_view_is_one_count_field_with_its_closed_dimensions_and_one_per_open_one(
    views_settings: ViewsSettings,
) -> None:
    learn(views_settings, snapshot(1))
    search_phone = (("referrer", "search", 0), ("device", "phone", 0), ("domain", "google.com", 5))
    direct_desktop = (("referrer", "direct", 0), ("device", "desktop", 0))
    codes = record(
        views_settings,
        buffer.view_args(article_id=1, reader="a", address="a", dimensions=search_phone),
        buffer.view_args(article_id=1, reader="b", address="b", dimensions=search_phone),
        buffer.view_args(article_id=1, reader="c", address="c", dimensions=direct_desktop),
    )
    assert codes == [buffer.COUNTED] * 3
    r = views_redis(views_settings)
    fields = {k.decode(): int(v) for k, v in r.hgetall(buffer.BUFFER_KEY).items()}  # type: ignore[union-attr]
    r.close()
    assert fields == {
        f"1:{DAY};referrer=search;device=phone": 2,
        f"1:{DAY};referrer=direct;device=desktop": 1,
        f"1:{DAY}:domain:google.com": 2,
    }
    flush(views_settings)
    assert stored(views_settings) == (
        3,
        3,
        {
            ("referrer", "search"): 2,
            ("referrer", "direct"): 1,
            ("device", "phone"): 2,
            ("device", "desktop"): 1,
            ("domain", "google.com"): 2,
        },
    )


def test_fields_in_the_layout_of_earlier_releases_are_applied_exactly(
    views_settings: ViewsSettings,
) -> None:
    """Before one field carried a view's count and closed dimensions, each dimension had a
    field of its own (``1:<day>:referrer:search``): a buffer an upgrade finds in Redis is
    applied by the same rules, and mixed with new fields in one batch."""
    learn(views_settings, snapshot(1))
    r = views_redis(views_settings)
    r.hset(
        buffer.BUFFER_KEY,
        mapping={
            f"1:{DAY}": 4,
            f"1:{DAY}:referrer:search": 3,
            f"1:{DAY}:referrer:direct": 1,
            f"1:{DAY}:utm_campaign:a;b=c": 2,  # an open value may hold ';' and '='
            f"1:{DAY};referrer=search;device=tablet": 2,
        },
    )
    r.close()
    result = flush(views_settings)
    assert result.views == 6
    total, day, dims = stored(views_settings)
    assert (total, day) == (6, 6)
    assert dims == {
        ("referrer", "search"): 5,
        ("referrer", "direct"): 1,
        ("device", "tablet"): 2,
        ("utm_campaign", "a;b=c"): 2,
    }


def test_parse_field_reads_every_layout() -> None:
    day = date(2026, 3, 10)
    assert buffer.parse_field("7:2026-03-10") == buffer.Field(7, day, True, ())
    assert buffer.parse_field("7:2026-03-10;referrer=social;device=phone") == buffer.Field(
        7, day, True, (("referrer", "social"), ("device", "phone"))
    )
    # An open value keeps every character after the dimension's name, ':' ';' '=' included.
    assert buffer.parse_field("7:2026-03-10:utm_source:x:y;z=1") == buffer.Field(
        7, day, False, (("utm_source", "x:y;z=1"),)
    )


@pytest.mark.parametrize("value", ["a:b", "a;b", "a=b"])
def test_a_closed_value_holding_a_separator_is_refused_before_it_reaches_redis(value: str) -> None:
    with pytest.raises(ValueError, match="closed-set"):
        buffer.view_args(article_id=1, reader="r", address="a", dimensions=(("device", value, 0),))
    # The same value is fine as an open-ended one: its field keeps every character.
    args = buffer.view_args(article_id=1, reader="r", address="a", dimensions=(("utm", value, 5),))
    assert args[-3:] == ["utm", value, 5]
