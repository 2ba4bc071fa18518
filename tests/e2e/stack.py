"""The platform as real local processes, for end-to-end tests: the same topology as
`healthhub up` (services.cli.stack_specs), on free ports, with its own Redis and databases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis as redis_py

from services.stack import StackSettings, stack_specs
from services.supervisor import ProcessSpec, Supervisor
from tests.resources import RedisServer, free_port


@dataclass
class Stack:
    root: Path
    env: dict[str, str]
    redis: RedisServer
    settings: StackSettings
    supervisor: Supervisor
    log_lines: list[str] = field(default_factory=list)

    @property
    def pages(self) -> str:
        return f"http://127.0.0.1:{self.settings.pages_port}"

    @property
    def articles(self) -> str:
        return f"http://127.0.0.1:{self.settings.articles_port}"

    @property
    def views(self) -> str:
        return f"http://127.0.0.1:{self.settings.views_port}"

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "services.cli", *args],
            env=self.env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return out.stdout.strip()

    def user(self, email: str, role: str, password: str) -> None:
        """An editor account, made as an operator would (`healthhub user create`)."""
        subprocess.run(
            [sys.executable, "-m", "services.cli", "user", "create", "--email", email,
             "--name", email.split("@")[0], "--role", role, "--password-stdin"],
            env=self.env, input=password + "\n", capture_output=True, text=True, timeout=60,
            check=True,
        )  # fmt: skip

    def token(self, role: str = "editor") -> str:
        return self.cli("token", "create", "--name", "e2e", "--role", role)

    def redis_client(self, db: int = 0) -> redis_py.Redis:
        return redis_py.Redis.from_url(f"{self.redis.url}/{db}")

    def log(self) -> str:
        return "\n".join(self.log_lines[-300:])

    def stop(self) -> None:
        # Every process gets its SIGTERM at once: Supervisor.stop() goes one by one, newest
        # first, and a Celery worker's warm shutdown takes a second or two, so a stack took
        # seconds per worker to stop. Nothing reads the platform once a test is done with it;
        # given_up keeps the watchdog from restarting what exits here. Supervisor.stop() then
        # waits for each (and SIGKILLs one that hangs) as before.
        for running in self.supervisor.running:
            running.given_up = True
            if running.proc.poll() is None:
                running.proc.send_signal(signal.SIGTERM)
        self.supervisor.stop()
        self.redis.close()


ExtraSpecs = Callable[[StackSettings, dict[str, str]], list[ProcessSpec]]


def start_stack(root: Path, extra: ExtraSpecs | None = None, **overrides: str) -> Stack:
    redis = RedisServer.launch()
    settings = StackSettings(
        pages_port=free_port(),
        articles_port=free_port(),
        views_port=free_port(),
        var_dir=root,
        worker_concurrency=int(overrides.get("HEALTHHUB_WORKER_CONCURRENCY", "1")),
    )
    env = {
        **os.environ,
        "HEALTHHUB_REDIS_URL": redis.url,
        "HEALTHHUB_VAR_DIR": str(root),
        "HEALTHHUB_PAGES_PORT": str(settings.pages_port),
        "HEALTHHUB_ARTICLES_PORT": str(settings.articles_port),
        "HEALTHHUB_VIEWS_PORT": str(settings.views_port),
        "HEALTHHUB_RELAY_INTERVAL_SECONDS": "0.5",
        "HEALTHHUB_FLUSH_INTERVAL_SECONDS": "0.5",
        "HEALTHHUB_PAGE_COUNT_INTERVAL_SECONDS": "1",
        "HEALTHHUB_INDEX_COALESCE_SECONDS": "0.1",
        # Tests see a publish's whole effect at once (the benchmarks run the default).
        "HEALTHHUB_RELATED_REFRESH_SECONDS": "0",
        "HEALTHHUB_ENVIRONMENT": "test",
        **overrides,
    }
    lines: list[str] = []
    supervisor = Supervisor(log_sink=lambda name, line: lines.append(f"{name} | {line}"), env=env)
    stack = Stack(root, env, redis, settings, supervisor, lines)
    try:
        stack.cli("migrate")
        for spec in [*stack_specs(settings, env), *(extra(settings, env) if extra else [])]:
            supervisor.start(spec)
        supervisor.wait_ready(timeout=60)
    except BaseException:
        print(stack.log())
        stack.stop()
        raise
    return stack


def wait_for(
    what: str, check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1
) -> Any:
    """Poll until check() returns something truthy; fail with `what` after the timeout."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except httpx.HTTPError as exc:
            # Not ready yet. (An exception object is truthy: it must never end the wait.)
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}; last: {last!r}")
