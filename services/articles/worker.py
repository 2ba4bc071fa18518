"""The articles Celery app: the outbox relay runs here; the API uses it to send events."""

from __future__ import annotations

from celery import Celery

from services.articles.settings import ArticlesSettings, get_settings
from shared.celery import make_celery


def create_celery(settings: ArticlesSettings | None = None) -> Celery:
    return make_celery(
        "healthhub-articles", settings or get_settings(), include=["services.articles.tasks"]
    )
