"""Most viewed over the last 7 days: the views service sends render each article's 7-day
figure with its total, refreshes every recently viewed article once a UTC day (so one nobody
reads drops out), and history imported with dates lands on its days (real Redis, a real
broker queue; SQLite and PostgreSQL)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.views import notify, repository
from services.views.settings import ViewsSettings
from services.views.worker import create_celery
from shared.contracts import RENDER_LISTINGS_QUEUE, ViewCounts
from shared.db import Database
from tests.conftest import RedisDbs
from tests.resources import free_port
from tests.views.builders import T0, Clock, learn, snapshot, views_client, views_redis
from tests.views.test_import import run_import

TODAY = T0.date()


def sent(redis_dbs: RedisDbs) -> list[ViewCounts]:
    """ViewCounts messages on the render queue, oldest first."""
    raw = redis_dbs.client(redis_dbs.broker_db).lrange(RENDER_LISTINGS_QUEUE, 0, -1)
    return [
        ViewCounts.model_validate(json.loads(base64.b64decode(json.loads(m)["body"]))[0][0])
        for m in reversed(raw)
    ]


@pytest.fixture
def db(views_settings: ViewsSettings) -> Iterator[Database]:
    learn(views_settings, *(snapshot(i) for i in range(1, 6)))
    database = Database(views_settings.views_database_url)
    with database.transaction() as session:
        for article_id, per_day in {
            1: {0: 5, 6: 2, 7: 100},  # 7 in the last 7 days; 100 eight days ago
            2: {1: 4},
            3: {8: 9},  # eight days ago: drops out of the 7-day figure today
            4: {30: 50},  # long ago: nothing changes for it today
        }.items():
            for ago, n in per_day.items():
                repository.add_to_day(session, article_id, TODAY - timedelta(days=ago), n)
                repository.add_to_total(session, article_id, n, T0)
    yield database
    database.dispose()


def test_totals_go_to_render_with_their_7_day_figures(
    views_settings: ViewsSettings, redis_dbs: RedisDbs, db: Database
) -> None:
    r = views_redis(views_settings)
    celery = create_celery(views_settings)
    assert notify.send_due(celery, r, db, [1, 2, 5], now=T0, interval_seconds=30) == [1, 2, 5]
    r.close()
    (message,) = sent(redis_dbs)
    assert message.totals == {1: 107, 2: 4}
    assert message.recent == {1: 7, 2: 4}


def test_every_recently_viewed_article_is_refreshed_once_a_day(
    views_settings: ViewsSettings, redis_dbs: RedisDbs, db: Database
) -> None:
    r = views_redis(views_settings)
    celery = create_celery(views_settings)
    assert notify.refresh_recent(celery, r, db, now=T0) == 3
    assert notify.refresh_recent(celery, r, db, now=T0 + timedelta(hours=1)) == 0  # done today
    (message,) = sent(redis_dbs)
    # Article 3 is sent with 0: its last views are eight days old. Article 4 is not sent.
    assert message.recent == {1: 7, 2: 4, 3: 0}
    assert message.totals == {1: 107, 2: 4, 3: 9}
    assert notify.refresh_recent(celery, r, db, now=T0 + timedelta(days=1)) > 0  # a new day
    r.close()


def test_a_refresh_the_broker_refused_is_tried_again(
    views_settings: ViewsSettings, redis_dbs: RedisDbs, db: Database
) -> None:
    down = views_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}"})
    r = views_redis(views_settings)
    assert notify.refresh_recent(create_celery(down), r, db, now=T0) == 0
    assert notify.refresh_recent(create_celery(views_settings), r, db, now=T0) == 3
    r.close()
    assert len(sent(redis_dbs)) == 1


def test_an_old_message_without_recent_still_validates() -> None:
    old = {"totals": {"1": 3}, "as_of": T0.isoformat()}
    assert ViewCounts.model_validate(old).recent == {}


def test_dated_history_lands_on_its_days_and_only_recent_days_make_the_week(
    views_settings: ViewsSettings, redis_dbs: RedisDbs, tmp_path: Path
) -> None:
    # The import command runs on the real clock, so the API does here too.
    clock = Clock(datetime.now(UTC))
    today = clock.now.date()
    learn(views_settings, snapshot(1, slug="old-favourite"), snapshot(2, slug="this-week"))
    csv = tmp_path / "history.csv"
    week_ago = today - timedelta(days=3)
    csv.write_text(
        "slug,total,date\n"
        f"old-favourite,5000,{today - timedelta(days=400)}\n"
        "old-favourite,1000\n"  # no date: the total only
        f"this-week,40,{week_ago}\n"
        f"this-week,2,{week_ago}\n"  # the same day twice: added up
    )
    done = run_import(views_settings, redis_dbs, csv)
    assert done.returncode == 0, done.stderr
    assert sent(redis_dbs)[-1].recent == {1: 0, 2: 42}
    with views_client(views_settings, clock) as client:
        week = client.get("/api/v1/views/top", params={"window": "7d"}).json()["articles"]
        ever = client.get("/api/v1/views/top", params={"window": "all"}).json()["articles"]
        daily = client.get("/api/v1/views/2/daily", params={"days": 7}).json()["days"]
    assert [(a["article_id"], a["views"]) for a in week] == [(2, 42)]
    assert [(a["article_id"], a["views"]) for a in ever] == [(1, 6000), (2, 42)]
    assert {d["day"]: d["views"] for d in daily}[week_ago.isoformat()] == 42
    # Importing again replaces the dated days instead of adding to them.
    csv.write_text(f"this-week,10,{today}\n")
    assert run_import(views_settings, redis_dbs, csv).returncode == 0
    with views_client(views_settings, clock) as client:
        daily = client.get("/api/v1/views/2/daily", params={"days": 7}).json()["days"]
        total = client.get("/api/v1/views/2").json()["total"]
    assert {d["day"]: d["views"] for d in daily if d["views"]} == {today.isoformat(): 10}
    assert total == 10
