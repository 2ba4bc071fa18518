"""The render Celery app."""

from __future__ import annotations

from celery import Celery

from services.render.settings import RenderSettings, get_settings
from shared.celery import make_celery


def create_celery(settings: RenderSettings | None = None) -> Celery:
    return make_celery(
        "healthhub-render", settings or get_settings(), include=["services.render.tasks"]
    )
