"""make_celery(): the one Celery app factory, with routes built from the contracts.

Delivery is at-least-once: tasks are acknowledged after they finish (``acks_late``), a task
whose worker dies is re-queued (``task_reject_on_worker_lost``), and each worker reserves one
message at a time. The Redis visibility timeout outlasts every task's time limit, so a slow
task is not handed to a second worker while the first is still on it.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import IO, Any

import celery.apps.worker as celery_worker_app
from celery import Celery
from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from kombu import Queue  # type: ignore[attr-defined]

from shared.contracts import (
    ALL_QUEUES,
    ARTICLES_QUEUE,
    LEGACY_RENDER_QUEUE,
    OUTBOX_RELAY_TASK,
    PUBLISH_SCHEDULED_TASK,
    RENDER_INDEXES_TASK,
    RENDER_LISTINGS_QUEUE,
    TASK_QUEUES,
    VIEWS_FLUSH_TASK,
    VIEWS_QUEUE,
)
from shared.logs import JsonFormatter, configure_logging, request_id_var
from shared.settings import BaseServiceSettings

# How long the publisher waits for the broker before giving up; the outbox relay re-sends.
PUBLISH_CONNECT_TIMEOUT = 1.0


def beat_schedule(
    relay_every: float,
    flush_every: float,
    indexes_every: float = 30.0,
    publish_every: float = 1.0,
) -> dict[str, dict[str, Any]]:
    """Periodic work, run by the single scheduler process (celery beat)."""
    return {
        # A safety net: index renders are normally scheduled by the change itself.
        "render-indexes": {
            "task": RENDER_INDEXES_TASK,
            "schedule": timedelta(seconds=indexes_every),
            "options": {"queue": RENDER_LISTINGS_QUEUE, "expires": indexes_every * 2},
        },
        "relay-outbox": {
            "task": OUTBOX_RELAY_TASK,
            "schedule": timedelta(seconds=relay_every),
            "options": {"queue": ARTICLES_QUEUE, "expires": relay_every * 5},
        },
        # Scheduled articles go live within seconds of their time. The schedule itself lives
        # in the articles database, so restarting beat loses nothing.
        "publish-scheduled": {
            "task": PUBLISH_SCHEDULED_TASK,
            "schedule": timedelta(seconds=publish_every),
            "options": {"queue": ARTICLES_QUEUE, "expires": publish_every * 5},
        },
        "flush-views": {
            "task": VIEWS_FLUSH_TASK,
            "schedule": timedelta(seconds=flush_every),
            "options": {"queue": VIEWS_QUEUE, "expires": flush_every * 5},
        },
    }


def make_celery(
    name: str,
    settings: BaseServiceSettings,
    *,
    include: Iterable[str] = (),
    schedule: dict[str, dict[str, Any]] | None = None,
) -> Celery:
    app = Celery(name, broker=settings.broker_url, include=list(include))
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        result_backend=None,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=max(1, settings.task_time_limit - 10),
        broker_transport_options={
            "visibility_timeout": settings.visibility_timeout,
            "socket_connect_timeout": PUBLISH_CONNECT_TIMEOUT,
            "socket_timeout": 5,
        },
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=PUBLISH_CONNECT_TIMEOUT,
        task_queues=[Queue(q) for q in (*ALL_QUEUES, LEGACY_RENDER_QUEUE)],
        task_default_queue=ARTICLES_QUEUE,
        task_routes={task: {"queue": queue} for task, queue in TASK_QUEUES.items()},
        task_create_missing_queues=False,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
        timezone="UTC",
        beat_schedule=schedule or {},
    )
    return app


# --- request ids follow the work into tasks ----------------------------------------------
REQUEST_ID_HEADER = "healthhub_request_id"


@before_task_publish.connect
def _stamp_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    rid = request_id_var.get()
    if rid and headers is not None:
        headers.setdefault(REQUEST_ID_HEADER, rid)


@task_prerun.connect
def _adopt_request_id(task: Any = None, **_: Any) -> None:
    rid = getattr(getattr(task, "request", None), REQUEST_ID_HEADER, None) if task else None
    request_id_var.set(rid or "")


@task_postrun.connect
def _forget_request_id(**_: Any) -> None:
    request_id_var.set("")


# --- logging: Celery's processes log like every other process (shared/logs.py) ---------
def take_over_celery_logging(level: str, *, as_json: bool, service: str) -> None:
    """Make Celery (worker or beat, and the worker's pool processes) use
    :func:`configure_logging` instead of its own set-up: Celery skips its own when a
    receiver of ``setup_logging`` exists."""

    def _configure(**_: Any) -> None:
        configure_logging(level, as_json=as_json, service=service)

    setup_logging.connect(_configure, weak=False)
    configure_logging(level, as_json=as_json, service=service)
    if as_json:
        celery_worker_app.safe_say = _json_say(JsonFormatter(service))


def _json_say(formatter: logging.Formatter) -> Callable[..., None]:
    """Celery's worker tells of its shutdown from its signal handlers with ``safe_say``, a
    raw ``os.write`` that bypasses logging (a logging lock may be held when the signal
    lands). This replacement keeps the raw write and only formats the line as a record."""

    def say(msg: str, f: IO[str] = sys.__stderr__) -> None:  # type: ignore[assignment]
        record = logging.LogRecord(
            "celery.apps.worker", logging.WARNING, __file__, 0, msg.strip(), None, None
        )
        record.request_id = ""
        os.write(f.fileno(), (formatter.format(record) + "\n").encode())

    return say
