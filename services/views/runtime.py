"""What a views process holds for its lifetime: database and Redis connections."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import redis

from services.views.settings import ViewsSettings, get_settings
from shared.db import Database


@dataclass
class ViewsRuntime:
    settings: ViewsSettings
    db: Database
    redis: redis.Redis

    @classmethod
    def from_settings(cls, settings: ViewsSettings) -> ViewsRuntime:
        return cls(
            settings=settings,
            db=Database(settings.views_database_url),
            redis=redis.Redis.from_url(settings.views_redis_url, socket_timeout=5),
        )

    def close(self) -> None:
        self.db.dispose()
        self.redis.close()


@lru_cache
def get_runtime() -> ViewsRuntime:
    return ViewsRuntime.from_settings(get_settings())
