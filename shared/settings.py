"""Settings base: every service's settings extend :class:`BaseServiceSettings`.

All settings come from ``HEALTHHUB_*`` environment variables. The defaults are the embedded
mode: SQLite files and an embedded Redis under ``./var``, so a fresh clone runs with no set-up.
Settings are never instantiated at import time: each service exposes a cached ``get_settings()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BeforeValidator, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# A log level in any case ("info" works as "INFO"); anything else is refused at start, not
# at the first log call of a worker.
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
]

EMBEDDED_REDIS_PORT = 6380
EMBEDDED_REDIS_URL = f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}"
PLACEHOLDER_SECRETS = frozenset({"", "change-me", "changeme", "development-only-salt"})
# Words that mark a value copied from an example file, in any case and spelling.
PLACEHOLDER_MARKERS = ("changeme", "change-me", "change_me", "change me", "example", "placeholder")
MIN_SECRET_LENGTH = 32
MIN_PASSWORD_LENGTH = 16


def secret_problem(name: str, value: str, min_length: int = MIN_SECRET_LENGTH) -> str | None:
    """Why ``value`` is not a production secret (a placeholder, too short), or None."""
    lowered = value.strip().lower()
    if lowered in PLACEHOLDER_SECRETS or any(m in lowered for m in PLACEHOLDER_MARKERS):
        return f"{name} is a placeholder; set it to a random value (e.g. `openssl rand -hex 32`)."
    if len(value) < min_length:
        return f"{name} is shorter than {min_length} characters; use a long random value."
    return None


def require_secret(name: str, value: str, min_length: int = MIN_SECRET_LENGTH) -> None:
    problem = secret_problem(name, value, min_length)
    if problem is not None:
        raise ValueError(problem)


def require_database_password(name: str, url: str, variable: str) -> None:
    """A production database URL with a password must carry a real one: ``variable`` is
    where it comes from in compose (each service's own role: ARTICLES_DB_PASSWORD, ...). A
    URL without one (socket or certificate auth) is left alone."""
    password = urlsplit(url).password
    if password is not None:
        require_secret(f"the password in {name} ({variable})", password, MIN_PASSWORD_LENGTH)


def require_redis_password(name: str, url: str) -> None:
    """A production Redis must ask for a password (compose: REDIS_PASSWORD): the queues and
    the view buffers are readable and writable by anything that reaches it. Unlike a database
    URL, a Redis URL without a password is refused: Redis has no other authentication."""
    password = urlsplit(url).password
    if password is None:
        raise ValueError(
            f"{name} has no password (REDIS_PASSWORD); production Redis must require one "
            "(redis://:<password>@host:6379)."
        )
    require_secret(f"the password in {name} (REDIS_PASSWORD)", password, MIN_PASSWORD_LENGTH)


def require_redis_url(name: str, url: str) -> None:
    """A Redis URL that the Redis client can use: refused here, in one line naming the
    variable, rather than by the client as a traceback at the first connection. Only
    redis:// and rediss://: a database is chosen by the URL's path (redis_url_with_db),
    which a unix:// socket path cannot carry."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ValueError(
            f"{name} must be a redis:// or rediss:// URL with a host "
            "(redis://[:password@]host:port)."
        )
    try:
        parts.port  # noqa: B018 - parsing it is the check
    except ValueError:
        raise ValueError(f"{name} has a port that is not a number from 0 to 65535.") from None


def redis_url_with_db(url: str, db: int) -> str:
    """Return ``url`` pointing at Redis database ``db`` (replacing any database in the path)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


class BaseServiceSettings(BaseSettings):
    """What every service needs: where Redis is, where local state lives, how to log."""

    model_config = SettingsConfigDict(env_prefix="HEALTHHUB_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    var_dir: Path = Path("var")
    redis_url: str = EMBEDDED_REDIS_URL
    # The broker and the view buffers live in separate Redis databases, so a broker flush or
    # a key-space scan of one never touches the other.
    broker_db: int = Field(default=0, ge=0, le=15)
    views_redis_db: int = Field(default=1, ge=0, le=15)
    views_redis: str = Field(
        default="",
        description=(
            "A Redis used only by views (URL with its database), with its own maxmemory, so a "
            "beacon flood cannot fill the broker's Redis; empty: database "
            "HEALTHHUB_VIEWS_REDIS_DB of HEALTHHUB_REDIS_URL."
        ),
    )
    log_level: LogLevel = Field(
        default="INFO", description="DEBUG, INFO, WARNING, ERROR or CRITICAL (any case)."
    )
    log_json: bool = False
    # Celery: the visibility timeout must exceed every task's time limit, or Redis redelivers
    # a task that is still running (at-least-once becomes at-least-twice for long tasks).
    task_time_limit: int = Field(default=300, ge=1)
    visibility_timeout: int = Field(default=3600, ge=60)
    media_dir: Path = Field(
        default=Path(),
        description=(
            "Where the media library's image files live (written by the articles API, served "
            "read-only by the page server and nginx under /media/); empty: <var_dir>/media."
        ),
    )

    @model_validator(mode="after")
    def _visibility_outlasts_tasks(self) -> BaseServiceSettings:
        if self.visibility_timeout <= self.task_time_limit:
            raise ValueError(
                "HEALTHHUB_VISIBILITY_TIMEOUT must be longer than HEALTHHUB_TASK_TIME_LIMIT"
            )
        require_redis_url("HEALTHHUB_REDIS_URL", self.redis_url)
        if self.views_redis:
            require_redis_url("HEALTHHUB_VIEWS_REDIS", self.views_redis)
        if self.environment == "production":
            require_redis_password("HEALTHHUB_REDIS_URL", self.redis_url)
            if self.views_redis:
                require_redis_password("HEALTHHUB_VIEWS_REDIS", self.views_redis)
        return self

    @property
    def broker_url(self) -> str:
        return redis_url_with_db(self.redis_url, self.broker_db)

    @property
    def views_redis_url(self) -> str:
        return self.views_redis or redis_url_with_db(self.redis_url, self.views_redis_db)

    @property
    def media_root(self) -> Path:
        return self.media_dir if self.media_dir != Path() else self.var_dir / "media"

    def default_sqlite_url(self, name: str) -> str:
        return sqlite_url(self.var_dir / f"{name}.db")
