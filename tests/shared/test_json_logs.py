"""With HEALTHHUB_LOG_JSON on, every line a process writes is one JSON object: checked on a
real Celery worker process (with the request id of the request that sent the task) and on
a real page server process (uvicorn's own lines and its access lines)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from celery import Celery

from shared.contracts import VIEWS_ARTICLE_CHANGED_TASK
from shared.settings import BaseServiceSettings
from tests.conftest import RedisDbs
from tests.resources import free_port


def json_env(redis_dbs: RedisDbs, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "HEALTHHUB_ENVIRONMENT": "test",
        "HEALTHHUB_VAR_DIR": str(tmp_path),
        "HEALTHHUB_REDIS_URL": redis_dbs.url,
        "HEALTHHUB_BROKER_DB": str(redis_dbs.broker_db),
        "HEALTHHUB_VIEWS_REDIS_DB": str(redis_dbs.views_db),
        "HEALTHHUB_RENDER_REDIS_DB": str(redis_dbs.render_db),
        "HEALTHHUB_LOG_JSON": "true",
        "HEALTHHUB_LOG_LEVEL": "INFO",
        **extra,
    }


@contextmanager
def process(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A process whose stdout and stderr both go to `log`; always stopped on exit."""
    with log.open("wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def records(log: Path) -> list[dict[str, Any]]:
    """Every line of the log parsed as JSON (a plain-text line fails the test)."""
    parsed = []
    for line in log.read_text().splitlines():
        if not line.strip():
            continue
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise AssertionError(
                f"not a JSON line: {line!r}\nwhole log:\n{log.read_text()}"
            ) from exc
    return parsed


def wait_for_record(log: Path, match: dict[str, str], timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in records(log):
            if all(needle in str(record.get(key, "")) for key, needle in match.items()):
                return record
        time.sleep(0.2)
    raise AssertionError(f"no record matching {match}; log:\n{log.read_text()}")


def test_a_worker_logs_json_lines_carrying_the_request_id_of_the_task(
    redis_dbs: RedisDbs, tmp_path: Path
) -> None:
    env = json_env(redis_dbs, tmp_path)
    log = tmp_path / "worker.log"
    with process([sys.executable, "-m", "services.cli", "worker", "views"], env, log) as proc:
        ready = wait_for_record(log, {"msg": "ready"})
        assert ready["service"] == "views-worker"
        assert {"ts", "level", "logger"} <= ready.keys()
        # A task sent during a request carries its id; the worker logs the task's failure
        # (a malformed payload) with that id.
        settings = BaseServiceSettings(
            redis_url=redis_dbs.url,
            broker_db=redis_dbs.broker_db,
            views_redis_db=redis_dbs.views_db,
        )
        sender = Celery("test-sender", broker=settings.broker_url)
        sender.send_task(
            VIEWS_ARTICLE_CHANGED_TASK,
            args=[{"not": "an article event"}],
            queue="views",
            headers={"healthhub_request_id": "rid-json-logs-1"},
        )
        failed = wait_for_record(log, {"request_id": "rid-json-logs-1"})
        assert failed["level"] == "ERROR"
        assert "ValidationError" in failed["msg"] + str(failed.get("exc_info", ""))
        # A failing task's arguments (a draft's text, say) are never written: Celery hands
        # them to the log record (extra "data"); only the task's id, name and error remain.
        secret = "draft text that must not reach a log"
        sender.send_task(
            VIEWS_ARTICLE_CHANGED_TASK,
            args=[{"not": "an article event"}],
            kwargs={"draft": secret},
            queue="views",
            headers={"healthhub_request_id": "rid-json-logs-2"},
        )
        with_args = wait_for_record(log, {"request_id": "rid-json-logs-2", "level": "ERROR"})
        assert set(with_args["task"]) == {"id", "name", "exc"}, with_args
        assert with_args["task"]["name"] == VIEWS_ARTICLE_CHANGED_TASK
        assert "data" not in with_args
        assert secret not in log.read_text()
        assert proc.poll() is None
    records(log)  # every line, to the last one written while stopping, is JSON


def test_the_page_server_logs_json_lines_and_json_access_lines(
    redis_dbs: RedisDbs, tmp_path: Path
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.html").write_text("<h1>Home</h1>")
    env = json_env(redis_dbs, tmp_path, HEALTHHUB_PAGE_STORE_DIR=str(pages))
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "services.render.pageserver:create_app",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    log = tmp_path / "pages.log"
    with process(argv, env, log):
        wait_for_record(log, {"msg": "Uvicorn running"})
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/no-such-page").status_code == 404
        hit = wait_for_record(log, {"logger": "uvicorn.access", "path": "/no-such-page"})
        assert hit["status"] == 404
        assert hit["method"] == "GET"
        assert hit["service"] == "pages"
    assert records(log)
    # uvicorn's copy of each message with terminal colour codes is not written.
    assert "color_message" not in log.read_text() and "\\u001b" not in log.read_text()


def test_the_log_level_of_the_settings_holds_for_uvicorns_own_lines(
    redis_dbs: RedisDbs, tmp_path: Path
) -> None:
    # uvicorn sets its loggers to its own --log-level (INFO) before the app is created.
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.html").write_text("<h1>Home</h1>")
    env = json_env(
        redis_dbs, tmp_path, HEALTHHUB_PAGE_STORE_DIR=str(pages), HEALTHHUB_LOG_LEVEL="WARNING"
    )
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "services.render.pageserver:create_app",
        "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip
    log = tmp_path / "pages.log"
    with process(argv, env, log):
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        assert answer.status_code == 200
        assert httpx.get(f"http://127.0.0.1:{port}/no-such-page").status_code == 404
        time.sleep(0.5)  # an access line would be written by now
    # No "Uvicorn running on ...", no access line: nothing below WARNING.
    assert [r for r in records(log) if r["level"] in ("DEBUG", "INFO")] == []


def test_no_access_log_stays_off_at_info(redis_dbs: RedisDbs, tmp_path: Path) -> None:
    """`--no-access-log` (compose and `healthhub up` run the APIs so: the privacy promise)
    writes no access line, whatever the log level: uvicorn writes them whenever the access
    logger reaches a handler, so the logging set-up must not re-attach it."""
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "index.html").write_text("<h1>Home</h1>")
    env = json_env(
        redis_dbs, tmp_path, HEALTHHUB_PAGE_STORE_DIR=str(pages), HEALTHHUB_LOG_LEVEL="INFO"
    )
    port = free_port()
    argv = [
        sys.executable, "-m", "uvicorn", "--factory", "services.render.pageserver:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
    ]  # fmt: skip
    log = tmp_path / "pages.log"
    with process(argv, env, log):
        wait_for_record(log, {"msg": "Uvicorn running"})  # INFO lines are written
        assert httpx.get(f"http://127.0.0.1:{port}/no-such-page").status_code == 404
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        time.sleep(0.5)  # an access line would be written by now
    assert [r for r in records(log) if r.get("logger") == "uvicorn.access"] == []
