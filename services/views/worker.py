"""The views Celery app."""

from __future__ import annotations

from celery import Celery

from services.views.settings import ViewsSettings, get_settings
from shared.celery import make_celery


def create_celery(settings: ViewsSettings | None = None) -> Celery:
    return make_celery(
        "healthhub-views", settings or get_settings(), include=["services.views.tasks"]
    )
