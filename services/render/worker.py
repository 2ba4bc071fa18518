"""The render Celery app."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from celery.signals import worker_ready

from services.render.runtime import get_runtime
from services.render.settings import RenderSettings, get_settings
from shared.celery import make_celery

log = logging.getLogger("healthhub.render.worker")


def create_celery(settings: RenderSettings | None = None) -> Celery:
    return make_celery(
        "healthhub-render", settings or get_settings(), include=["services.render.tasks"]
    )


@worker_ready.connect
def _sweep_page_store(**_: Any) -> None:
    """A writer killed between writing its temp file and renaming it leaves the temp file
    behind (never a partial page); sweep old ones when a worker starts."""
    removed = get_runtime().store.sweep_temp_files()
    if removed:
        log.info("removed %d temp file(s) left by a killed writer", removed)
