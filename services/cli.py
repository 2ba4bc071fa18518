"""`healthhub`: the one command that knows every service. It runs the platform locally,
migrates, seeds, and mounts each service's own commands."""

from __future__ import annotations

import importlib
import logging
import signal
from collections.abc import Callable, Iterable
from typing import Annotated

import redis
import typer
from prometheus_client.core import Metric
from rich.console import Console

from services.articles import commands as articles_commands
from services.articles import metrics as articles_metrics
from services.articles.editor import commands as editor_commands
from services.articles.settings import get_settings as articles_settings
from services.cli_errors import main as run_cli
from services.render import commands as render_commands
from services.render import metrics as render_metrics
from services.render.runtime import get_runtime as get_render_runtime
from services.scheduler import run as run_scheduler
from services.seed import seed as seed_sample
from services.settings_reference import markdown as settings_markdown
from services.stack import WORKERS, WorkerName
from services.up import parse_started, run_all_migrations
from services.up import run as run_up
from services.views import commands as views_commands
from services.views import metrics as views_metrics
from services.views.settings import get_settings as views_settings
from shared.celery import take_over_celery_logging
from shared.db import Database
from shared.observability import serve_worker_metrics
from shared.settings import EMBEDDED_REDIS_PORT, BaseServiceSettings

app = typer.Typer(
    name="healthhub",
    help="HealthHub Publish: run and operate the platform.",
    no_args_is_help=True,
    # Settings hold database passwords and secrets: a traceback never prints local variables.
    pretty_exceptions_show_locals=False,
)
app.add_typer(articles_commands.token_app, name="token")
app.add_typer(editor_commands.user_app, name="user")
app.add_typer(views_commands.views_app, name="views")
app.command("render")(render_commands.render)
console = Console(highlight=False, soft_wrap=True)


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


@app.command()
def migrate() -> None:
    """Bring every service's database to the newest schema."""
    run_all_migrations()
    console.print("[green]Databases are up to date.[/green]")


@app.command()
def seed(
    timeout: Annotated[
        float,
        typer.Option(min=1, help="Seconds to wait for the views service to learn the articles."),
    ] = 60.0,
) -> None:
    """Load the sample health site (needs the workers running, e.g. under `healthhub up`)."""
    # Without the broker the events would wait in the outbox and the seed would time out
    # a minute later: say so at once.
    settings = BaseServiceSettings()
    redis.Redis.from_url(settings.broker_url, socket_connect_timeout=2, socket_timeout=2).ping()
    created, imported = seed_sample(timeout)
    console.print(
        f"Sample content: {created} article(s) created, {imported} view total(s) imported."
    )


@app.command()
def worker(
    service: Annotated[
        WorkerName,
        typer.Argument(help="Which queues to consume; render: both render queues."),
    ],
    concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 1,
    metrics_port: Annotated[
        int,
        typer.Option(
            envvar="HEALTHHUB_METRICS_PORT", help="Serve Prometheus metrics here (0: off)."
        ),
    ] = 0,
) -> None:
    """Run one service's Celery worker, logging as the settings say (HEALTHHUB_LOG_LEVEL,
    HEALTHHUB_LOG_JSON)."""
    module, queue = WORKERS[service.value]
    settings = BaseServiceSettings()
    take_over_celery_logging(
        settings.log_level, as_json=settings.log_json, service=f"{service.value}-worker"
    )
    if settings.log_level.upper() != "DEBUG":
        # One line per received and finished task drowns out everything else; failures are
        # still logged at WARNING and above.
        for noisy in ("celery.app.trace", "celery.worker.strategy"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    celery_app = importlib.import_module(module).create_celery()
    if metrics_port:
        serve_worker_metrics(metrics_port, worker_metrics(service.value.split("-")[0]))
    celery_app.worker_main(
        [
            # JSON logs: no banner (it is plain text on stdout).
            *(["--quiet"] if settings.log_json else []),
            "worker",
            "-Q",
            queue,
            "-c",
            str(concurrency),
            "-n",
            f"{service}@%h",
            "--loglevel",
            settings.log_level.upper(),
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
    embedded_redis_port: Annotated[
        int,
        typer.Option(
            envvar="HEALTHHUB_EMBEDDED_REDIS_PORT",
            min=1,
            max=65535,
            help="Port of the embedded Redis (used when HEALTHHUB_REDIS_URL is not set).",
        ),
    ] = EMBEDDED_REDIS_PORT,
    started_at: Annotated[
        str | None,
        typer.Option(envvar="HEALTHHUB_UP_STARTED", hidden=True, help="Set by `make up`."),
    ] = None,
) -> None:
    """Run the whole platform locally: Redis (embedded unless HEALTHHUB_REDIS_URL is set),
    migrations, the three APIs, the workers and the scheduler. Ctrl-C stops everything."""

    def on_signal(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    started = parse_started(started_at)  # an unparsable one: the time from here
    run_up(
        console,
        seed_content=seed_content,
        embedded_redis_port=embedded_redis_port,
        started_at=started,
        started_by="make up" if started else "healthhub up",
    )


def main() -> None:
    run_cli(app)


if __name__ == "__main__":
    main()
