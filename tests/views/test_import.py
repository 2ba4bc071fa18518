"""`healthhub views import FILE`: historic totals by slug, run as the real command."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from services.views import commands
from services.views.settings import ViewsSettings
from shared.contracts import RENDER_LISTINGS_QUEUE, RENDER_VIEW_COUNTS_TASK
from tests.conftest import RedisDbs
from tests.views.builders import T0, flush, learn, snapshot, views_client


def run_import(
    settings: ViewsSettings, redis_dbs: RedisDbs, path: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HEALTHHUB_VIEWS_DATABASE_URL": settings.views_database_url,
        "HEALTHHUB_REDIS_URL": redis_dbs.url,
        "HEALTHHUB_BROKER_DB": str(redis_dbs.broker_db),
        "HEALTHHUB_VIEWS_REDIS_DB": str(redis_dbs.views_db),
        "HEALTHHUB_VAR_DIR": str(settings.var_dir),
        "HEALTHHUB_ENVIRONMENT": "test",
    }
    return subprocess.run(
        [sys.executable, "-m", "services.cli", "views", "import", str(path)],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def totals_of(settings: ViewsSettings, *ids: int) -> list[int]:
    with views_client(settings) as client:
        return [client.get(f"/api/v1/views/{i}").json()["total"] for i in ids]


def render_messages(redis_dbs: RedisDbs) -> list[dict[str, object]]:
    broker = redis_dbs.client(redis_dbs.broker_db)
    out = []
    for raw in broker.lrange(RENDER_LISTINGS_QUEUE, 0, -1):
        message = json.loads(raw)
        assert message["headers"]["task"] == RENDER_VIEW_COUNTS_TASK
        out.append(json.loads(base64.b64decode(message["body"]))[0][0])
    return out


def test_import_sets_totals_by_slug_and_tells_render(
    views_settings: ViewsSettings, redis_dbs: RedisDbs, tmp_path: Path
) -> None:
    learn(views_settings, snapshot(1, slug="first"), snapshot(2, slug="second"))
    csv = tmp_path / "totals.csv"
    csv.write_text("slug,total\nfirst,4617\nsecond,12\n")
    done = run_import(views_settings, redis_dbs, csv)
    assert done.returncode == 0, done.stderr
    assert "Imported totals for 2 article(s)." in done.stdout
    assert totals_of(views_settings, 1, 2) == [4617, 12]
    assert render_messages(redis_dbs)[-1]["totals"] == {"1": 4617, "2": 12}


def test_importing_again_replaces_the_import_and_keeps_counted_views(
    views_settings: ViewsSettings, redis_dbs: RedisDbs, tmp_path: Path
) -> None:
    learn(views_settings, snapshot(1, slug="first"))
    csv = tmp_path / "totals.csv"
    csv.write_text("first,100\n")
    assert run_import(views_settings, redis_dbs, csv).returncode == 0
    with views_client(views_settings) as client:
        assert (
            client.post("/api/v1/views/1", headers={"User-Agent": "Mozilla/5.0"}).status_code == 202
        )
    flush(views_settings, T0)
    assert totals_of(views_settings, 1) == [101]
    assert run_import(views_settings, redis_dbs, csv).returncode == 0  # the same file again
    assert totals_of(views_settings, 1) == [101]
    csv.write_text("first,200\n")  # a corrected file
    assert run_import(views_settings, redis_dbs, csv).returncode == 0
    assert totals_of(views_settings, 1) == [201]


def test_a_file_naming_an_unknown_article_imports_nothing_and_says_why(
    views_settings: ViewsSettings, redis_dbs: RedisDbs, tmp_path: Path
) -> None:
    learn(views_settings, snapshot(1, slug="first"))
    csv = tmp_path / "totals.csv"
    csv.write_text("first,100\nmissing,5\n")
    done = run_import(views_settings, redis_dbs, csv)
    assert done.returncode == 1
    assert "Nothing imported" in done.stderr
    assert "No article 'missing'" in done.stderr
    assert totals_of(views_settings, 1) == [0]


# A malformed file is refused while it is read (read_totals_csv), before any query: the
# database plays no part, so these run on SQLite only; the unknown-article case above,
# refused by a query, runs on both.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("first,many\n", "line 1: expected `slug,total[,date]`"),
        ("first,100,extra\n", "line 1: `extra` is not a date"),
        ("first,100,2026-03-10,x\n", "line 1: expected `slug,total[,date]`"),
        ("first,100,2999-01-01\n", "line 1: 2999-01-01 is in the future"),
        ("first,-5\n", "line 1: expected `slug,total[,date]`"),
    ],
)
def test_a_malformed_file_imports_nothing_and_says_why(
    views_settings: ViewsSettings, redis_dbs: RedisDbs, tmp_path: Path, content: str, message: str
) -> None:
    learn(views_settings, snapshot(1, slug="first"))
    csv = tmp_path / "totals.csv"
    csv.write_text(content)
    done = run_import(views_settings, redis_dbs, csv)
    assert done.returncode == 1
    assert "Nothing imported" in done.stderr
    assert message in done.stderr
    assert totals_of(views_settings, 1) == [0]


def test_read_totals_csv_skips_a_header_and_blank_lines(tmp_path: Path) -> None:
    csv = tmp_path / "t.csv"
    csv.write_text("Slug,Total\n\n a ,1\nb, 22 \n")
    assert commands.read_totals_csv(csv) == [("a", 1, None), ("b", 22, None)]
