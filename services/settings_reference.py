"""The configuration reference: every HEALTHHUB_* variable, from the settings models
themselves, with its embedded default and its value in the compose file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import BaseSettings

from services.articles.settings import ArticlesSettings
from services.render.settings import RenderSettings
from services.scheduler import SchedulerSettings
from services.stack import StackSettings
from services.views.settings import ViewsSettings
from shared.settings import BaseServiceSettings

MODELS: tuple[tuple[str, type[BaseSettings]], ...] = (
    ("all", BaseServiceSettings),
    ("articles", ArticlesSettings),
    ("views", ViewsSettings),
    ("render", RenderSettings),
    ("scheduler", SchedulerSettings),
    ("healthhub up", StackSettings),
)
ROOT = Path(__file__).resolve().parents[1]

# What each variable is for, where the model itself does not say.
DESCRIPTIONS = {
    "HEALTHHUB_ARTICLES_DATABASE_URL": "Articles database (SQLAlchemy URL); default `sqlite:///<var>/articles.db`.",
    "HEALTHHUB_VIEWS_DATABASE_URL": "Views database; default `sqlite:///<var>/views.db`.",
    "HEALTHHUB_RENDER_DATABASE_URL": "Render read-model database; default `sqlite:///<var>/render.db`.",
    "HEALTHHUB_PAGE_STORE_DIR": "Where rendered pages are written (and served from); default `<var>/pages`.",
    "HEALTHHUB_REDIS_URL": "Redis server; `healthhub up` starts an embedded one on 6380 when this is unset.",
    "HEALTHHUB_BROKER_DB": "Redis database of the Celery broker.",
    "HEALTHHUB_VIEWS_REDIS_DB": "Redis database of the view buffers and dedupe keys.",
    "HEALTHHUB_RENDER_REDIS_DB": "Redis database of render's coordination flags and counters.",
    "HEALTHHUB_ENVIRONMENT": "`development`, `test` or `production` (production refuses placeholder secrets).",
    "HEALTHHUB_VAR_DIR": "Local state (SQLite files, embedded Redis, pages, scheduler state).",
    "HEALTHHUB_LOG_LEVEL": "Log level of every process.",
    "HEALTHHUB_LOG_JSON": "JSON log lines (with request ids) instead of plain text.",
    "HEALTHHUB_TASK_TIME_LIMIT": "Hard time limit of any Celery task, seconds.",
    "HEALTHHUB_VISIBILITY_TIMEOUT": "Redis visibility timeout, seconds; must exceed the task time limit.",
    "HEALTHHUB_RELAY_GRACE_SECONDS": "The outbox relay re-sends events older than this that are still unsent.",
    "HEALTHHUB_RELAY_BATCH_SIZE": "Outbox events per relay batch.",
    "HEALTHHUB_MAX_BODY_BYTES": "Largest article body (Markdown), bytes; above it: 413.",
    "HEALTHHUB_DEDUPE_WINDOW_SECONDS": "One reader is counted once per article within this window.",
    "HEALTHHUB_SALT_SECRET": "Secret mixed into the daily salt of reader hashes (required in production).",
    "HEALTHHUB_TRUSTED_PROXIES": "Peers (addresses or networks, JSON list) whose X-Forwarded-For is believed.",
    "HEALTHHUB_RATE_LIMIT_PER_MINUTE": "Beacons per client per minute before 429.",
    "HEALTHHUB_MAX_BEACON_BYTES": "Largest beacon request body, bytes; above it: 413.",
    "HEALTHHUB_FLUSH_INTERVAL_SECONDS": "How often the scheduler runs the views flusher.",
    "HEALTHHUB_PAGE_COUNT_INTERVAL_SECONDS": "At most one count update per article to render per this many seconds.",
    "HEALTHHUB_CORS_ORIGINS": "Origins allowed to read counts from browsers (JSON list).",
    "HEALTHHUB_SITE_NAME": "Site name in titles, feed and JSON-LD.",
    "HEALTHHUB_INDEX_COALESCE_SECONDS": "Index pages are rendered at most once per this delay during a burst.",
    "HEALTHHUB_VIEW_RERENDER_SECONDS": "Render re-renders an article page for a new count at most this often.",
    "HEALTHHUB_HOST": "Interface the local APIs listen on.",
    "HEALTHHUB_PAGES_PORT": "Port of the page server (public site).",
    "HEALTHHUB_ARTICLES_PORT": "Port of the articles API.",
    "HEALTHHUB_VIEWS_PORT": "Port of the views API.",
    "HEALTHHUB_RELAY_INTERVAL_SECONDS": "How often the scheduler runs the outbox relay.",
    "HEALTHHUB_CONTENT_RATE_LIMIT_PER_MINUTE": "Public content API requests per client per minute (per API process) before 429.",
    "HEALTHHUB_SEARCH_RATE_LIMIT_PER_MINUTE": "Searches (`q`) per client per minute (per API process) before 429.",
    "HEALTHHUB_PUBLISH_SEND_WAIT_SECONDS": "How long a publish waits for the broker before answering; the send goes on (or the relay delivers).",
    "HEALTHHUB_SCHEDULER_LEASE_SECONDS": "A standby scheduler takes over within this time when the active one dies.",
    "HEALTHHUB_WORKER_CONCURRENCY": "Pool processes per Celery worker started by `healthhub up`.",
}
# Read outside the settings models (by a CLI option, the image or the tests).
EXTRA = (
    (
        "HEALTHHUB_METRICS_PORT",
        "workers",
        "0",
        "default",
        "Port of a worker's Prometheus metrics (0: off).",
    ),
    (
        "HEALTHHUB_HEALTHCHECK_URL",
        "image",
        "http://127.0.0.1:8000/healthz",
        "default",
        "What the image's HEALTHCHECK fetches.",
    ),
)


def compose_values(path: Path = ROOT / "docker-compose.yml") -> dict[str, str]:
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    values: dict[str, str] = {}
    for service in data["services"].values():
        for name, value in (service.get("environment") or {}).items():
            if name.startswith("HEALTHHUB_"):
                values.setdefault(name, str(value))
    return values


def _default(field: Any) -> str:
    if field.default_factory is not None:
        return repr(field.default_factory())
    value = field.default
    return "(derived)" if value in ("", None) or str(value) in ("", ".") else str(value)


def rows() -> list[tuple[str, str, str, str, str]]:
    """(variable, used by, embedded default, compose value, description)."""
    seen: dict[str, tuple[str, str, str, str, str]] = {}
    compose = compose_values()
    for used_by, model in MODELS:
        for name, field in model.model_fields.items():
            env = f"HEALTHHUB_{name.upper()}"
            if env in seen:
                continue
            description = (field.description or DESCRIPTIONS.get(env, "")).replace("|", "\\|")
            seen[env] = (env, used_by, _default(field), compose.get(env, "default"), description)
    for extra in EXTRA:
        seen.setdefault(extra[0], extra)
    return sorted(seen.values())


def markdown() -> str:
    lines = [
        "| variable | used by | embedded default | compose | what it is |",
        "|---|---|---|---|---|",
    ]
    for env, used_by, default, compose, description in rows():
        lines.append(f"| `{env}` | {used_by} | `{default}` | `{compose}` | {description} |")
    return "\n".join(lines)
