"""Telling the render service about new totals, so pages show a recent count."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import Celery

from shared.contracts import RENDER_QUEUE, RENDER_VIEW_COUNTS_TASK, ViewCounts

log = logging.getLogger("healthhub.views.notify")


def send_totals(celery_app: Celery, totals: dict[int, int], *, now: datetime) -> bool:
    if not totals:
        return False
    payload = ViewCounts(totals=totals, as_of=now).model_dump(mode="json")
    try:
        celery_app.send_task(
            RENDER_VIEW_COUNTS_TASK, args=[payload], queue=RENDER_QUEUE, retry=False
        )
    except Exception as exc:  # counts are refreshed again on the next flush
        log.warning("could not send view totals to render: %s", exc)
        return False
    return True
