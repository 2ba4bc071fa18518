"""The local topology of the platform: what `healthhub up` and the end-to-end tests run."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from enum import StrEnum

from pydantic import Field

from services.supervisor import ProcessSpec, python_module
from shared.contracts import (
    ARTICLES_QUEUE,
    LEGACY_RENDER_QUEUE,
    RENDER_LISTINGS_QUEUE,
    RENDER_PAGES_QUEUE,
    VIEWS_QUEUE,
)
from shared.settings import BaseServiceSettings

# Worker services: name → (Celery app module, queues it consumes). Render runs as two services
# so that the page a reader waits for never queues behind listing work; `render` (both
# queues in one worker) is for small set-ups and tests, `healthhub up` runs the two.
WORKERS = {
    "articles": ("services.articles.worker", ARTICLES_QUEUE),
    "render-pages": ("services.render.worker", f"{RENDER_PAGES_QUEUE},{LEGACY_RENDER_QUEUE}"),
    "render-listings": ("services.render.worker", RENDER_LISTINGS_QUEUE),
    "render": (
        "services.render.worker",
        f"{RENDER_PAGES_QUEUE},{RENDER_LISTINGS_QUEUE},{LEGACY_RENDER_QUEUE}",
    ),
    "views": ("services.views.worker", VIEWS_QUEUE),
}


class WorkerName(StrEnum):
    """The keys of WORKERS, as a choice that `healthhub worker --help` lists."""

    articles = "articles"
    render_pages = "render-pages"
    render_listings = "render-listings"
    render = "render"
    views = "views"


# What `healthhub up` and the end-to-end stack run.
STACK_WORKERS = ("articles", "render-pages", "render-listings", "views")


class StackSettings(BaseServiceSettings):
    """Where `healthhub up` puts things."""

    host: str = "127.0.0.1"
    pages_port: int = Field(default=8000, ge=1, le=65535)
    articles_port: int = Field(default=8001, ge=1, le=65535)
    views_port: int = Field(default=8002, ge=1, le=65535)
    relay_interval_seconds: float = Field(default=2.0, gt=0)
    worker_concurrency: int = Field(default=1, ge=1)


def stack_specs(
    stack: StackSettings, base_env: Mapping[str, str] | None = None
) -> list[ProcessSpec]:
    """The local topology: page server, two APIs, four workers, one scheduler."""
    h = stack.host
    base = os.environ if base_env is None else base_env
    env = {
        "HEALTHHUB_SITE_URL": base.get("HEALTHHUB_SITE_URL", f"http://{h}:{stack.pages_port}"),
        "HEALTHHUB_VIEWS_URL": base.get("HEALTHHUB_VIEWS_URL", f"http://{h}:{stack.views_port}"),
    }
    uvicorn = ["-m", "uvicorn", "--factory", "--host", h, "--no-access-log"]
    specs = [
        ProcessSpec(
            "pages",
            [
                sys.executable,
                *uvicorn,
                "--port",
                str(stack.pages_port),
                "services.render.pageserver:create_app",
            ],
            env,
            f"http://{h}:{stack.pages_port}/healthz",
            service="pages",
        ),
        # --no-proxy-headers: the articles service decides itself which proxies to trust.
        ProcessSpec(
            "articles-api",
            [
                sys.executable,
                *uvicorn,
                "--no-proxy-headers",
                "--port",
                str(stack.articles_port),
                "services.articles.app:create_app",
            ],
            env,
            f"http://{h}:{stack.articles_port}/healthz",
            service="articles",
        ),
        # --no-proxy-headers: the views service decides itself which proxies to trust.
        ProcessSpec(
            "views-api",
            [
                sys.executable,
                *uvicorn,
                "--no-proxy-headers",
                "--port",
                str(stack.views_port),
                "services.views.app:create_app",
            ],
            env,
            f"http://{h}:{stack.views_port}/healthz",
            service="views",
        ),
    ]
    for name in STACK_WORKERS:
        specs.append(
            ProcessSpec(
                f"{name}-worker",
                python_module(
                    "services.cli", "worker", name, "--concurrency", str(stack.worker_concurrency)
                ),
                env,
            )
        )
    specs.append(ProcessSpec("scheduler", python_module("services.cli", "scheduler"), env))
    return specs
