"""`make bench`: the whole benchmark suite, each figure beside its anchor measured in the
same run. Archives the raw results as bench/results/<UTC date>-<commit>.json, then writes
bench/results.md (table, notes, conditions) and bench/results.png from that archive
(bench/report.py).

    python -m bench.run [--quick]

Rows: public page reads (bench.pages), view beacons and their exactness (bench.beacons),
the bot matcher's cost per call (bench.bot_matcher), the views Redis memory for a day of
beacons (bench.views_memory), publish-to-live (bench.publish_to_live), full re-render vs Hugo (bench.render_vs_hugo), and
the peak memory of every platform process during the beacon, publish and re-render rows
(bench.memory), and the time from `make up` in a fresh clone to the first page
(bench.first_run). Nothing here is asserted: the figures are printed and archived; a benchmark
that fails is reported as FAILED in the notes and makes the command exit non-zero.
"""

from __future__ import annotations

import argparse
import json
import time
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bench import (
    beacons,
    bot_matcher,
    conditions,
    editor_screens,
    first_run,
    pages,
    publish_to_live,
    render_vs_hugo,
    report,
    views_memory,
)
from bench.memory import PeakMemory


def run_row(name: str, fn: Callable[[], Any], errors: list[str]) -> Any:
    print(f"\n== {name}", flush=True)
    started = time.perf_counter()
    try:
        result = fn()
    except Exception:
        errors.append(f"{name}: {traceback.format_exc(limit=3)}")
        print(f"   failed: {errors[-1]}")
        return None
    print(f"   done in {time.perf_counter() - started:.0f}s", flush=True)
    return result


def run_suite(quick: bool) -> dict[str, Any]:
    """Every benchmark, in order; the archive's content."""
    started = time.perf_counter()
    before = conditions.before()
    errors: list[str] = []
    results: dict[str, Any] = {}
    results["pages"] = run_row("page reads", lambda: pages.measure(quick), errors)
    with PeakMemory() as memory:
        results["beacons"] = run_row("view beacons", lambda: beacons.measure(quick), errors)
        results["publish_to_live"] = run_row(
            "publish-to-live", lambda: publish_to_live.run(quick=quick), errors
        )
        results["render_vs_hugo"] = run_row(
            "full re-render vs Hugo", lambda: render_vs_hugo.run(quick=quick), errors
        )
    # Outside the peak-memory sampler: neither starts a platform process.
    results["bot_matcher"] = run_row("bot matcher", lambda: bot_matcher.measure(quick), errors)
    results["views_memory"] = run_row(
        "views Redis memory", lambda: views_memory.measure(quick), errors
    )
    results["memory"] = {role: round(mb, 1) for role, mb in memory.peaks.items()}
    results["editor_screens"] = run_row(
        "editor screens", lambda: editor_screens.measure(quick), errors
    )
    # Last: `make up` from a fresh clone of this commit (bench.first_run), on free ports.
    results["first_run"] = run_row(
        "first run", lambda: first_run.measure(first_run.ROOT, None, timeout=600), errors
    )
    return envelope(results, errors, before, started, quick)


def envelope(
    results: dict[str, Any],
    errors: list[str],
    before: dict[str, Any],
    started: float,
    quick: bool,
) -> dict[str, Any]:
    """What an archive holds: the results with the run's name, conditions and errors."""
    after = conditions.after(before)
    stamp = datetime.fromisoformat(after["started_utc"]).strftime("%Y-%m-%dT%H%MZ")
    return {
        "name": f"{stamp}-{after['commit']}{'-dirty' if after['dirty'] else ''}",
        "quick": quick,
        "elapsed_s": round(time.perf_counter() - started, 1),
        "conditions": after,
        "results": {k: v for k, v in results.items() if v is not None},
        "errors": errors,
    }


def archive(run: dict[str, Any], directory: Path = report.ARCHIVE) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{run['name']}.json"
    path.write_text(json.dumps(run, indent=1) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smaller suite, in about three minutes"
    )
    run = run_suite(parser.parse_args().quick)
    raw = archive(run)
    md, png = report.write(json.loads(raw.read_text()))  # from the archive, as it was saved
    print("\n" + md.read_text())
    print(f"Archived {raw}; wrote {md} and {png} in {run['elapsed_s'] / 60:.1f} min.")
    if run["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
