"""Settings of the articles service (``HEALTHHUB_*`` environment variables)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator

from shared.db import normalise_database_url
from shared.settings import BaseServiceSettings, require_database_password


class ArticlesSettings(BaseServiceSettings):
    articles_database_url: str = ""
    # The relay re-sends outbox rows older than this; younger ones are still being sent
    # by the request that wrote them.
    relay_grace_seconds: float = Field(default=2.0, ge=0)
    relay_batch_size: int = Field(default=200, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1)
    # X-Forwarded-For is believed only from these peers (the gateway); uvicorn runs with
    # --no-proxy-headers so that no other peer can choose its address.
    trusted_proxies: list[str] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    # Per client and API process, per minute: the public content API, and searches (`q`).
    content_rate_limit_per_minute: int = Field(default=600, ge=1)
    search_rate_limit_per_minute: int = Field(default=60, ge=1)
    # A publish answers after its commit; it waits at most this long for the broker to take
    # the events (a frozen Redis must not hold an editor up: the relay delivers them later).
    publish_send_wait_seconds: float = Field(default=0.05, ge=0, le=5)
    # The media library: the largest upload taken (bytes of the file as sent) and the largest
    # image decoded (width x height: a 40-megapixel image decodes to about 160 MB of RGBA).
    media_max_bytes: int = Field(
        default=15_000_000,
        ge=1_000,
        le=200_000_000,
        description="Largest image upload to the media library, bytes; above it: 413.",
    )
    media_max_pixels: int = Field(
        default=40_000_000,
        ge=10_000,
        le=200_000_000,
        description="Largest image decoded (width x height); larger ones (decompression "
        "bombs included) are refused with 422 before their pixels are decoded.",
    )
    # The editor (services/articles/editor): how long a signed-in browser stays signed in.
    editor_idle_minutes: int = Field(
        default=30,
        ge=1,
        le=24 * 60,
        description="An editor session unused this many minutes ends (sign in again).",
    )
    editor_absolute_hours: int = Field(
        default=12,
        ge=1,
        le=24 * 30,
        description="An editor session ends this many hours after sign-in, however used.",
    )
    editor_sign_in_failures: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="Failed editor sign-ins allowed per client address, and per email from "
        "one address, in HEALTHHUB_EDITOR_SIGN_IN_WINDOW_MINUTES (per API process); then 429.",
    )
    editor_sign_in_email_failures: int = Field(
        default=100,
        ge=1,
        le=100_000,
        description="Failed editor sign-ins allowed per email from all addresses together in "
        "the window (per API process); high, so nobody can lock an editor out. Then 429.",
    )
    editor_sign_in_window_minutes: int = Field(
        default=15,
        ge=1,
        le=24 * 60,
        description="The window, minutes, in which failed editor sign-ins are counted.",
    )

    # The editor's numbers (30-day chart, referrers, devices) come from the views API over
    # HTTP: the articles service never reads the views database.
    views_api_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Base URL of the views API as the articles API reaches it (internal; the "
        "editor reads an article's daily views and breakdown there); empty = no such numbers.",
    )
    views_api_token: str = Field(
        default="",
        description="Bearer token the editor sends to the views API: one whose SHA-256 digest "
        "is in the views service's HEALTHHUB_EDITOR_TOKEN_HASHES (empty: public numbers only).",
    )
    views_api_timeout_seconds: float = Field(
        default=1.0,
        gt=0,
        le=10,
        description="How long an editor page waits for the views API before showing "
        '"numbers unavailable".',
    )

    @model_validator(mode="after")
    def _defaults(self) -> ArticlesSettings:
        self.articles_database_url = normalise_database_url(
            self.articles_database_url or self.default_sqlite_url("articles")
        )
        self.views_api_url = self.views_api_url.strip().rstrip("/")
        if self.environment == "production":
            require_database_password(
                "HEALTHHUB_ARTICLES_DATABASE_URL",
                self.articles_database_url,
                "ARTICLES_DB_PASSWORD",
            )
        return self


@lru_cache
def get_settings() -> ArticlesSettings:
    return ArticlesSettings()
