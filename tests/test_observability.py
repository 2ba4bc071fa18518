"""Health, readiness, metrics and request ids on every API."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from celery.signals import before_task_publish
from fastapi.testclient import TestClient

from services.articles.settings import ArticlesSettings
from services.render.pageserver import PageServer
from services.views.app import create_app as create_views_app
from services.views.settings import ViewsSettings
from shared.celery import REQUEST_ID_HEADER, make_celery
from shared.logs import JsonFormatter, RequestIdFilter, request_id_var
from tests.helpers import articles_client, auth, create_article, make_token, seed_categories
from tests.resources import free_port


def metric(text: str, name: str, **labels: str) -> float:
    for line in text.splitlines():
        if not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        if all(f'{k}="{v}"' in head for k, v in labels.items()) and (labels or head == name):
            return float(value)
    raise AssertionError(f"{name} {labels} not in metrics")


def test_articles_metrics_count_requests_by_route_and_report_the_outbox(
    articles_settings: ArticlesSettings,
) -> None:
    seed_categories(articles_settings)
    token = make_token(articles_settings)
    down = articles_settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}"})
    with articles_client(down) as client:
        article = create_article(client, token)
        client.post(f"/api/v1/articles/{article['id']}/publish", headers=auth(token))
        text = client.get("/metrics").text
        assert metric(text, "healthhub_outbox_backlog") == 1.0  # broker down: one event waits
        assert (
            metric(
                text,
                "healthhub_http_requests_total",
                route="/api/v1/articles/{article_id}/publish",
                status="200",
            )
            == 1.0
        )
        assert client.get("/healthz").json() == {"status": "ok", "service": "articles"}
        not_ready = client.get("/readyz")  # its Redis is away
        assert not_ready.status_code == 503
        assert not_ready.headers["content-type"].startswith("application/problem+json")
    with articles_client(articles_settings) as client:
        assert client.get("/readyz").json() == {"status": "ready"}


def test_request_ids_are_echoed_or_made_up(views_settings: ViewsSettings) -> None:
    with TestClient(create_views_app(views_settings)) as client:
        given = client.get("/healthz", headers={"X-Request-ID": "abc123"})
        assert given.headers["x-request-id"] == "abc123"
        assert given.json() == {"status": "ok", "service": "views"}
        made = client.get("/healthz").headers["x-request-id"]
        assert len(made) == 32
        text = client.get("/metrics").text
        assert metric(text, "healthhub_views_accepted_total") == 0.0
        assert client.get("/readyz").status_code == 200


def test_json_logs_carry_the_request_id() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id_var.set("rid-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    assert '"request_id": "rid-1"' in JsonFormatter().format(record)


def test_tasks_sent_during_a_request_carry_its_id(articles_settings: ArticlesSettings) -> None:
    app = make_celery("t", articles_settings)
    token = request_id_var.set("rid-42")
    try:
        with app.producer_or_acquire() as producer:
            captured: dict[str, object] = {}

            def grab(headers: dict[str, object] | None = None, **_: object) -> None:
                captured.update(headers or {})

            before_task_publish.connect(grab, weak=False)
            try:
                app.send_task("healthhub.articles.relay_outbox", producer=producer)
            finally:
                before_task_publish.disconnect(grab)
    finally:
        request_id_var.reset(token)
    assert captured[REQUEST_ID_HEADER] == "rid-42"


def test_page_server_reports_responses_and_readiness(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_bytes(b"home")
    with TestClient(PageServer(tmp_path)) as client:
        client.get("/")
        client.get("/missing")
        text = client.get("/metrics").text
        assert metric(text, "healthhub_pages_responses_total", status="200") == 1.0
        assert metric(text, "healthhub_pages_responses_total", status="404") == 1.0
        assert client.get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_health_endpoints_are_not_in_the_public_api_document(
    views_settings: ViewsSettings, path: str
) -> None:
    with TestClient(create_views_app(views_settings)) as client:
        assert path not in client.get("/openapi.json").json()["paths"]
