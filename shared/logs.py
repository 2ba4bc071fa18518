"""Logging set-up shared by every process: plain lines by default, JSON lines when asked.

Every process (the APIs and uvicorn's access lines, the Celery workers, the scheduler, the
page server) calls :func:`configure_logging` with the ``HEALTHHUB_LOG_LEVEL`` and
``HEALTHHUB_LOG_JSON`` settings, so one format covers them all: with JSON on, each record is
one object (python-json-logger) with ``ts``, ``level``, ``logger``, ``msg``, the process's
``service``, the ``request_id`` of the request being handled (or of the request that sent
the task: see shared/celery.py), and any ``extra`` fields of the record.

uvicorn and Celery bring logging set-ups of their own. uvicorn's loggers lose their
handlers and propagate to the root handler configured here; Celery is told to leave logging
alone by a receiver of its ``setup_logging`` signal (shared/celery.py:
:func:`take_over_celery_logging`).
"""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter as _LibraryJsonFormatter

# The id of the request (or of the request that sent the task) being handled now.
request_id_var: ContextVar[str] = ContextVar("healthhub_request_id", default="")

# uvicorn configures these itself (handlers of their own, propagation off for some).
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record; names the fields of an access line."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        # uvicorn's access line: '%s - "%s %s HTTP/%s" %d' with these five arguments.
        args = record.args
        if record.name == "uvicorn.access" and isinstance(args, tuple) and len(args) == 5:
            record.client, record.method, record.path, record.http_version, record.status = args
        return True


# Celery logs a task's failure with extra={"data": context}, a context that holds the task's
# args and kwargs (an article's draft text, say). Of it only these fields are written.
TASK_CONTEXT_FIELDS = ("id", "name", "exc")


class JsonFormatter(_LibraryJsonFormatter):
    """python-json-logger with the field names of this project; an empty request id (work
    that no request started) is left out rather than written as ``""``; of Celery's task
    context (``data``) only TASK_CONTEXT_FIELDS, never the task's arguments."""

    def __init__(self, service: str = "") -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            rename_fields={"levelname": "level", "name": "logger", "message": "msg"},
            timestamp="ts",
            static_fields={"service": service} if service else None,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # uvicorn's copy of the message with terminal colour codes: noise in a JSON line.
        log_data.pop("color_message", None)
        if not log_data.get("request_id"):
            log_data.pop("request_id", None)
        if "data" in log_data:
            data = log_data.pop("data")
            if isinstance(data, dict):
                log_data["task"] = {k: data[k] for k in TASK_CONTEXT_FIELDS if k in data}
        return log_data


def configure_logging(level: str = "INFO", *, as_json: bool = False, service: str = "") -> None:
    """One stderr handler on the root logger, in the chosen format, at the chosen level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if as_json:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Python's warnings become records too, so they take the same format.
    logging.captureWarnings(True)
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        if name == "uvicorn.access" and not logger.propagate and not logger.handlers:
            # `--no-access-log` (how compose and `healthhub up` run the APIs: the privacy
            # promise). uvicorn writes access lines whenever this logger has a handler, its
            # parents' included, so it must stay cut off.
            continue
        logger.handlers.clear()
        logger.propagate = True
        # uvicorn set these to its own --log-level (INFO by default) before the app existed:
        # they take the settings' level from the root instead.
        logger.setLevel(logging.NOTSET)
