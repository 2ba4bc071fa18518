"""Settings of the views service (``HEALTHHUB_*`` environment variables)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator

from shared.db import normalise_database_url
from shared.settings import BaseServiceSettings, require_database_password, require_secret


class ViewsSettings(BaseServiceSettings):
    views_database_url: str = ""
    # One reader is counted once per article within this window.
    dedupe_window_seconds: int = Field(default=1800, ge=1)
    # Mixed into the daily salt, so hashes cannot be recomputed from Redis contents alone.
    salt_secret: str = "development-only-salt"  # noqa: S105 - refused in production
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    rate_limit_per_minute: int = Field(default=120, ge=1)
    max_beacon_bytes: int = Field(default=2048, ge=0)
    flush_interval_seconds: float = Field(default=5.0, gt=0)
    # An article's total is sent to render (which re-renders its page) at most this often.
    # With the flush interval it bounds how far the count written into a page lags: 30 + 5 s.
    page_count_interval_seconds: float = Field(default=30.0, ge=0)
    # Allowed origins for the counts API (the public site reads counts from the browser).
    cors_origins: list[str] = Field(default_factory=lambda: ["*"])

    @model_validator(mode="after")
    def _defaults(self) -> ViewsSettings:
        self.views_database_url = normalise_database_url(
            self.views_database_url or self.default_sqlite_url("views")
        )
        if self.environment == "production":
            require_secret("HEALTHHUB_SALT_SECRET", self.salt_secret)
            require_database_password("HEALTHHUB_VIEWS_DATABASE_URL", self.views_database_url)
        return self


@lru_cache
def get_settings() -> ViewsSettings:
    return ViewsSettings()
