"""CLI commands of the render service."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from services.render import rebuild, repository, service
from services.render.runtime import RenderRuntime
from services.render.settings import get_settings
from services.render.worker import create_celery
from shared.db import migrate

MIGRATIONS = Path(__file__).parent / "migrations"
console = Console(highlight=False)


def run_migrations() -> None:
    migrate(get_settings().render_database_url, MIGRATIONS)


def render(
    everything: Annotated[
        bool, typer.Option("--all", help="Re-render every page from the render read model.")
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, help="Articles per worker task.")] = 200,
    timeout: Annotated[
        float, typer.Option(min=1, help="Give up after this many seconds without progress.")
    ] = 120.0,
    reindex: Annotated[
        bool,
        typer.Option(
            "--reindex",
            help="Rebuild listing membership from the snapshots first (done anyway when a "
            "read model from before listings at scale has none).",
        ),
    ] = False,
) -> None:
    """Re-render the site across all running render workers (after a template or setting
    change), with a progress bar. Needs the render workers running (`healthhub up`)."""
    if not everything:
        # The one target today; said in full, so `healthhub render` alone is not a riddle.
        typer.echo(
            "Nothing to render: name a target. `healthhub render --all` re-renders every page "
            "from the render read model across the running render workers "
            "(see `healthhub render --help`).",
            err=True,
        )
        raise typer.Exit(2)
    rt = RenderRuntime.from_settings(get_settings())
    try:
        if reindex or rebuild.needs_reindex(rt.db):
            reindexed = rebuild.reindex(rt.db)
            console.print(f"Listing index rebuilt from {reindexed} live article(s).")
        with rt.db.reading() as session:
            work = rebuild.Work(
                article_ids=repository.live_ids(session),
                index_keys=sorted(service.full_listing_keys(session)),
            )
            navigation = service.current_navigation(session)
        job_id = rebuild.new_job_id()
        batches = rebuild.plan(
            work.article_ids, work.index_keys, job_id=job_id, batch_size=batch_size
        )
        rebuild.send(create_celery(), batches)
        # Every page is now queued with this navigation: a listings run compares with it,
        # and must not take a site built this way for a navigation change.
        service.remember_navigation(rt.db, navigation)
        columns = (
            TextColumn("Rendering"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            bar = progress.add_task("render", total=work.total)
            try:
                for done in rebuild.follow(rt.redis, job_id, work.total, timeout=timeout):
                    progress.update(bar, completed=done)
            except TimeoutError as exc:
                console.print(f"[red]Stopped waiting: {exc}. Are the render workers running?[/red]")
                raise typer.Exit(1) from exc
        console.print(
            f"[green]Rendered {len(work.article_ids)} article(s) and "
            f"{len(work.index_keys)} index key(s) in {len(batches)} batch(es).[/green]"
        )
    finally:
        rt.close()
