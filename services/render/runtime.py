"""What a render process holds for its lifetime: database, page store, Redis, site config."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import redis

from services.render.renderer import Site
from services.render.settings import RenderSettings, get_settings
from services.render.store import PageStore
from shared.db import Database


@dataclass
class RenderRuntime:
    settings: RenderSettings
    db: Database
    store: PageStore
    redis: redis.Redis
    site: Site

    @classmethod
    def from_settings(cls, settings: RenderSettings) -> RenderRuntime:
        return cls(
            settings=settings,
            db=Database(settings.render_database_url),
            store=PageStore(settings.page_store_dir),
            redis=redis.Redis.from_url(settings.render_redis_url, socket_timeout=5),
            site=Site(
                name=settings.site_name,
                url=settings.site_url,
                views_url=settings.views_url,
                page_size=settings.listing_page_size,
                shard_size=settings.sitemap_shard_size,
            ),
        )

    def close(self) -> None:
        self.db.dispose()
        self.redis.close()


@lru_cache
def get_runtime() -> RenderRuntime:
    return RenderRuntime.from_settings(get_settings())
