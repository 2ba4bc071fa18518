"""Settings of the views service (``HEALTHHUB_*`` environment variables)."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

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
    address_rate_limit_per_minute: int = Field(
        default=600,
        ge=1,
        description="Beacons per client address (an IPv6 /64) per minute, all agents together, before 429.",
    )
    readers_per_address: int = Field(
        default=8,
        ge=1,
        description="Distinct readers counted per address (IPv6 /64) per article per dedupe window; more are answered, not counted.",
    )
    site_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public base URL of the site (render: links, sitemap, feed; views: beacons from any other origin are not counted).",
    )
    referrer_domains_per_day: int = Field(
        default=20,
        ge=1,
        description="Referring domains kept per article per day; views from others are filed under (other).",
    )
    utm_values_per_day: int = Field(
        default=10,
        ge=1,
        description="Values of each utm_* parameter kept per article per day; the rest are filed under (other).",
    )
    analytics_retention_days: int = Field(
        default=400,
        ge=1,
        description="Days the per-day source and device counters are kept (view counts themselves are kept for good).",
    )
    editor_token_hashes: list[str] = Field(
        default_factory=list,
        description="SHA-256 digests (hex, JSON list) of the tokens that may read analytics and withdrawn articles' counts.",
    )
    beacon_redis_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="How long the views API waits for Redis before answering 503; after a timeout it refuses beacons at once (probing once a second) until Redis answers.",
    )
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
        self.site_url = _checked_site_url(self.site_url)
        self.editor_token_hashes = [h.strip().lower() for h in self.editor_token_hashes]
        if self.environment == "production":
            require_secret("HEALTHHUB_SALT_SECRET", self.salt_secret)
            require_database_password(
                "HEALTHHUB_VIEWS_DATABASE_URL", self.views_database_url, "VIEWS_DB_PASSWORD"
            )
        return self


def _checked_site_url(url: str) -> str:
    """HEALTHHUB_SITE_URL without its trailing slash; an error unless it is an http(s) URL
    with a host (beacons are judged against its origin: a typo would count no one)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - parsing the port raises on a bad one
    except ValueError as exc:
        raise ValueError(f"HEALTHHUB_SITE_URL is not a URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "HEALTHHUB_SITE_URL must be an http:// or https:// URL with a host, "
            f"like https://health.example.org (got {url!r})"
        )
    return url.strip().rstrip("/")


@lru_cache
def get_settings() -> ViewsSettings:
    return ViewsSettings()
