"""Settings of the render service (``HEALTHHUB_*`` environment variables)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator

from services.render.renderer import PAGE_SIZE, SHARD_SIZE
from shared.db import normalise_database_url
from shared.settings import BaseServiceSettings, redis_url_with_db, require_database_password


class RenderSettings(BaseServiceSettings):
    render_database_url: str = ""
    page_store_dir: Path = Path()
    site_name: str = "HealthHub"
    site_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Public base URL of the site, for canonical links, the sitemap and the feed.",
    )
    views_url: str = Field(
        default="http://127.0.0.1:8002",
        description="Base URL of the views API as readers' browsers reach it; empty = same origin.",
    )
    listing_page_size: int = Field(
        default=PAGE_SIZE, ge=2, le=200, description="Articles per category or tag page."
    )
    sitemap_shard_size: int = Field(
        default=SHARD_SIZE, ge=2, le=50_000, description="URLs per sitemap file (at most 50,000)."
    )
    # Render keeps a little coordination state (the "index render scheduled" flag) in its
    # own Redis database, apart from the broker and the view buffers.
    render_redis_db: int = Field(default=2, ge=0, le=15)
    # A burst of publishes renders the index pages once per this many seconds at most.
    index_coalesce_seconds: float = Field(default=0.5, ge=0)
    # A page is re-rendered for a new view count at most once per this many seconds (0: off).
    # A count held back waits for the next index run (≤ 30 s, the scheduler's safety net).
    # Off by default: a delayed (ETA) task would bound the wait better, but a worker holding
    # an ETA task hung through a broker restart in the e2e outage test.
    view_rerender_seconds: float = Field(default=0.0, ge=0, le=30)
    related_refresh_seconds: float = Field(
        default=300.0,
        ge=0,
        le=86_400,
        description=(
            "How long after a publish the other pages whose related list the new article"
            " enters are re-rendered (picked up by the next listings run after that, within"
            " the scheduler's 30 s). Pages that show a withdrawn or changed article are"
            " re-rendered at once. 0: with the publish's own listing work."
        ),
    )

    @model_validator(mode="after")
    def _defaults(self) -> RenderSettings:
        self.render_database_url = normalise_database_url(
            self.render_database_url or self.default_sqlite_url("render")
        )
        if self.page_store_dir == Path():
            self.page_store_dir = self.var_dir / "pages"
        self.site_url = self.site_url.rstrip("/")
        self.views_url = self.views_url.rstrip("/")
        if self.environment == "production":
            require_database_password(
                "HEALTHHUB_RENDER_DATABASE_URL", self.render_database_url, "RENDER_DB_PASSWORD"
            )
        return self

    @property
    def render_redis_url(self) -> str:
        return redis_url_with_db(self.redis_url, self.render_redis_db)


@lru_cache
def get_settings() -> RenderSettings:
    return RenderSettings()
