"""`make bench`: the whole benchmark suite, each figure beside its anchor measured in the
same run, written to bench/results.md (a table) and bench/results.png (a chart).

    python -m bench.run [--quick]

Rows: public page reads (bench.pages), view beacons (bench.beacons), publish-to-live
(bench.publish_to_live), full re-render vs Hugo (bench.render_vs_hugo), and the peak memory
of every platform process during the beacon, publish and re-render rows (bench.memory).
Every figure is a median of several runs, and ratios come from runs interleaved in the same
invocation (see each module). Nothing here is asserted: the figures are printed.
"""

from __future__ import annotations

import argparse
import platform
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import beacons, pages, publish_to_live, render_vs_hugo
from bench.memory import PeakMemory

OUT = Path(__file__).resolve().parent
MEMORY_TARGET_MB = 150.0


@dataclass
class Row:
    name: str
    ours: str
    ours_value: float
    anchor: str
    anchor_value: float
    ratio: float
    target: str
    higher_is_better: bool = True

    @property
    def meets(self) -> bool:
        limit = float(self.target.split()[-1].rstrip("x"))
        return self.ratio >= limit if self.higher_is_better else self.ratio <= limit


def page_rows(r: dict[str, Any]) -> list[Row]:
    f = r["req_per_s"]
    return [
        Row("Page reads: nginx gateway", "gateway req/s", f["nginx gateway"], "bare nginx req/s",
            f["bare nginx"], r["gateway_vs_bare_nginx"], ">= 0.9x"),
        Row("Page reads: embedded page server", "page server req/s", f["page server"],
            "FastAPI FileResponse req/s", f["FastAPI FileResponse"], r["page_server_vs_fastapi"], ">= 1.5x"),
    ]  # fmt: skip


def beacon_rows(r: dict[str, Any]) -> list[Row]:
    ours, anchor = r["median_views_rps"], r["median_baseline_rps"]
    rows = [
        Row(
            "View beacons, one process",
            "views API req/s",
            ours,
            "FastAPI + HINCRBY req/s",
            anchor,
            r["median_round_ratio"],
            ">= 2.0x",
        )
    ]
    rows.append(Row("Views accepted vs counted", "counted", r["counted"], "accepted", r["accepted"],
                    r["counted"] / r["accepted"] if r["accepted"] else float("nan"), ">= 1.0x"))  # fmt: skip
    return rows


def publish_rows(r: dict[str, Any]) -> list[Row]:
    return [
        Row(f"Publish-to-live p95, {int(r['articles']):,} articles", "p95 ms", r["p95_ms"],
            "target ms", 150.0, r["p95_ms"] / 150.0, "<= 1.0x", higher_is_better=False),
    ]  # fmt: skip


def rerender_rows(r: dict[str, Any]) -> list[Row]:
    procs = sorted(
        int(k.split("_")[2].removesuffix("proc")) for k in r if k.startswith("render_rerender_")
    )
    best = procs[-1]
    ours = r[f"render_rerender_{best}proc_s"]
    return [
        Row(f"Full re-render, {int(r['articles']):,} articles ({best} proc)", "seconds", ours,
            "Hugo seconds", r["hugo_s"], ours / r["hugo_s"], "<= 1.0x", higher_is_better=False),
    ]  # fmt: skip


def memory_rows(peaks: dict[str, float]) -> list[Row]:
    return [
        Row(
            f"Peak memory: {role}",
            "MB",
            mb,
            "target MB",
            MEMORY_TARGET_MB,
            mb / MEMORY_TARGET_MB,
            "<= 1.0x",
            higher_is_better=False,
        )
        for role, mb in sorted(peaks.items())
    ]


def run_row(name: str, fn: Callable[[], Any], errors: list[str]) -> Any:
    print(f"\n== {name}", flush=True)
    started = time.perf_counter()
    try:
        result = fn()
    except Exception:
        errors.append(f"{name}: {traceback.format_exc(limit=3)}")
        print(f"   failed: {errors[-1]}")
        return None
    print(f"   done in {time.perf_counter() - started:.0f}s: {result}", flush=True)
    return result


def write_markdown(rows: list[Row], notes: list[str], quick: bool, elapsed: float) -> Path:
    lines = [
        "# Benchmark results",
        "",
        f"{'Quick run' if quick else 'Full run'} of `make bench{' QUICK=1' if quick else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {elapsed / 60:.1f} min. "
        "Each figure is a median of several runs; ratios come from runs interleaved in one invocation.",
        "",
        "| row | ours | anchor | ratio | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.name} | {row.ours_value:,.1f} {row.ours} | {row.anchor_value:,.1f} {row.anchor} | "
            f"{row.ratio:.2f}x | {row.target} | {'yes' if row.meets else '**no**'} |"
        )
    if notes:
        lines += ["", "## Notes", "", *[f"- {n}" for n in notes]]
    path = OUT / "results.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def write_chart(rows: list[Row]) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 0.45 * len(rows) + 1.5))
    names = [r.name for r in rows][::-1]
    ratios = [r.ratio for r in rows][::-1]
    colours = ["#2e7d32" if r.meets else "#c62828" for r in rows][::-1]
    ax.barh(names, ratios, color=colours)
    for i, r in enumerate(rows[::-1]):
        ax.text(r.ratio, i, f" {r.ratio:.2f}x (target {r.target})", va="center", fontsize=8)
    ax.axvline(1.0, color="#555", linewidth=0.8)
    ax.set_xlabel("ours / anchor (green: target met)")
    ax.set_title("HealthHub Publish benchmarks")
    fig.tight_layout()
    path = OUT / "results.png"
    fig.savefig(path, dpi=110)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smaller suite, in about three minutes"
    )
    quick = parser.parse_args().quick
    started = time.perf_counter()
    errors: list[str] = []
    rows: list[Row] = []
    notes: list[str] = []
    result = run_row("page reads", lambda: pages.measure(quick), errors)
    if result:
        rows += page_rows(result)
    with PeakMemory() as memory:
        result = run_row("view beacons", lambda: beacons.measure(quick), errors)
        if result:
            rows += beacon_rows(result)
        result = run_row("publish-to-live", lambda: publish_to_live.run(quick=quick), errors)
        if result:
            rows += publish_rows(result)
            notes.append(
                f"Publish-to-live: {int(result['publishes'])} publishes, p50 {result['p50_ms']} ms, "
                f"p95 {result['p95_ms']} ms, max {result['max_ms']} ms."
            )
        result = run_row("full re-render vs Hugo", lambda: render_vs_hugo.run(quick=quick), errors)
        if result:
            rows += rerender_rows(result)
            notes.append("Re-render figures: " + ", ".join(f"{k} {v}" for k, v in result.items()))
    rows += memory_rows(memory.peaks)
    notes += [f"FAILED {e.splitlines()[0]}" for e in errors]
    elapsed = time.perf_counter() - started
    md = write_markdown(rows, notes, quick, elapsed)
    png = write_chart(rows)
    print("\n" + md.read_text())
    print(f"Wrote {md} and {png} in {elapsed / 60:.1f} min.")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
