"""Rows and notes of the render-at-scale benchmarks: publish-to-live at several site sizes
and backends, listings freshness, pages written per publish, bursts, bulk publishing, and
the cold build against Hugo. Computed from the result dicts, never typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bench.rows import MEMORY_TARGET_MB, Figure, Row, printed_row, ratio_row, upper_bound

LIVE_TARGET_MS = 150.0
FRESH_TARGET_MS = 2000.0
BURST_TARGET_MS = 1000.0
BULK_TARGET_S = 120.0
# The issue sets the cold-build targets (<= 1.0x Hugo, <= 150 MB per render process) for the
# 10,000-article corpus; at other sizes the Hugo ratios are printed, not judged (Hugo's own
# time grows faster than linearly there), and the memory target is judged all the same.
BUILD_TARGET_ARTICLES = 10_000
ELSEWHERE = f"none here: printed (<= 1.0x is the target at {BUILD_TARGET_ARTICLES:,} articles)"


def _where(run: Mapping[str, Any]) -> str:
    return f"{int(run['articles']):,} articles, {run['backend']}"


def publish_rows(r: Mapping[str, Any]) -> list[Row]:
    rows: list[Row] = []
    runs = r["runs"]
    for run in runs:
        live, fresh = run["live_ms"], run["listings_fresh_ms"]
        n = int(live["n"])
        rows.append(ratio_row(
            f"Publish-to-live p95, {_where(run)}",
            Figure(live["p95"], "ms", "publish request to page served", f"p95 of {n}"),
            Figure(LIVE_TARGET_MS, "ms", "target"), "<= 1.0x",
        ))  # fmt: skip
        rows.append(ratio_row(
            f"Listings fresh p95, {_where(run)}",
            Figure(fresh["p95"], "ms", "publish request to home, category, feed, sitemap showing it", f"p95 of {n}"),
            Figure(FRESH_TARGET_MS, "ms", "target"), "<= 1.0x",
        ))  # fmt: skip
        if "burst_live_ms" in run:
            burst = run["burst_live_ms"]
            rows.append(ratio_row(
                f"Burst of 50 publishes in 10 s, p95 live, {_where(run)}",
                Figure(burst["p95"], "ms", "each publish request to its page served", f"p95 of {int(burst['n'])}"),
                Figure(BURST_TARGET_MS, "ms", "target"), "<= 1.0x",
            ))  # fmt: skip
    for backend in sorted({run["backend"] for run in runs}):
        mine = sorted(
            (run for run in runs if run["backend"] == backend), key=lambda x: x["articles"]
        )
        if len(mine) < 2:
            continue
        small, large = mine[0], mine[-1]
        rows.append(ratio_row(
            f"Size independence, {backend}: p95 at {int(large['articles']):,} / at {int(small['articles']):,}",
            Figure(large["live_ms"]["p95"], "ms", f"p95 at {int(large['articles']):,}", f"p95 of {int(large['live_ms']['n'])}"),
            Figure(small["live_ms"]["p95"], "ms", f"p95 at {int(small['articles']):,}", f"p95 of {int(small['live_ms']['n'])}"),
            "<= 1.5x",
        ))  # fmt: skip
        rows.append(ratio_row(
            f"Pages written per publish, {backend}: at {int(large['articles']):,} / at {int(small['articles']):,}",
            Figure(large["pages_written_per_publish"]["p50"], "pages", f"at {int(large['articles']):,}", f"median of {int(large['pages_written_per_publish']['n'])}"),
            Figure(small["pages_written_per_publish"]["p50"], "pages", f"at {int(small['articles']):,}", f"median of {int(small['pages_written_per_publish']['n'])}"),
            "<= 1.0x",
        ))  # fmt: skip
    if "bulk" in r:
        bulk = r["bulk"]
        rows.append(ratio_row(
            f"Bulk: {int(bulk['publishes']):,} publishes by {int(bulk['clients'])} clients, last page live after the last publish",
            Figure(bulk["last_live_after_s"], "s", "last publish answered to last page served", "one run"),
            Figure(BULK_TARGET_S, "s", "target"), "<= 1.0x",
        ))  # fmt: skip
        after = bulk["after_live_ms"]
        rows.append(ratio_row(
            "Publish-to-live p95 right after the bulk",
            Figure(after["p95"], "ms", "publish request to page served", f"p95 of {int(after['n'])}"),
            Figure(LIVE_TARGET_MS, "ms", "target"), "<= 1.0x",
        ))  # fmt: skip
    return rows


def publish_notes(r: Mapping[str, Any]) -> list[str]:
    notes = []
    for run in r["runs"]:
        live, fresh, pages = (
            run["live_ms"],
            run["listings_fresh_ms"],
            run["pages_written_per_publish"],
        )
        text = (
            f"Publish-to-live, {_where(run)}: site built by `healthhub render --all` through the "
            f"workers in {run['site_build_s']} s; {int(live['n'])} publishes one at a time: live "
            f"p50 {live['p50']} / p95 {live['p95']} / max {live['max']} ms; listings fresh p50 "
            f"{fresh['p50']} / p95 {fresh['p95']} / max {fresh['max']} ms; pages written per "
            f"publish (each with its .gz copy) p50 {pages['p50']} / max {pages['max']}."
        )
        if "publish_answered_ms" in run:
            a = run["publish_answered_ms"]
            text += (
                f" The publish request itself was answered (client round trip to the articles "
                f"API) in p50 {a['p50']} / p95 {a['p95']} / max {a['max']} ms."
            )
        if "related_entered_per_publish" in run:
            e = run["related_entered_per_publish"]
            text += (
                f" Other pages whose related list the new article enters, re-rendered by the"
                f" related-refresh schedule {run['related_refresh_s']:g} s later (not the"
                f" publish's work): p50 {e['p50']} / max {e['max']}."
            )
        if "burst_live_ms" in run:
            b = run["burst_live_ms"]
            text += f" Burst: {int(b['n'])} of 50 pages live, p50 {b['p50']} / p95 {b['p95']} / max {b['max']} ms."
        notes.append(text)
    if "bulk" in r:
        b = r["bulk"]
        notes.append(
            f"Bulk: {int(b['publishes']):,} articles created and published through the API by "
            f"{int(b['clients'])} clients in {b['publishing_s']} s on the embedded set-up "
            f"(SQLite); every page live {b['last_live_after_s']} s after the last publish "
            f"answered; then {int(b['after_live_ms']['n'])} publishes: p50 "
            f"{b['after_live_ms']['p50']} / p95 {b['after_live_ms']['p95']} ms."
        )
    return notes


def build_rows(r: Mapping[str, Any]) -> list[Row]:
    rows: list[Row] = []
    n = int(r["articles"])
    judged = n == BUILD_TARGET_ARTICLES
    hugo = _hugo_figure(r)
    for p in sorted(
        int(k.split("_")[2].removesuffix("proc"))
        for k in r
        if k.startswith("render_cold_") and k.endswith("proc_s")
    ):
        rows.append(_against_hugo(
            f"Cold build, {n:,} articles ({p} processes) vs Hugo cold build",
            Figure(r[f"render_cold_{p}proc_s"], "s", "render --all, empty store and caches", "one run"),
            hugo, r, judged,
        ))  # fmt: skip
        rows.append(_against_hugo(
            f"Warm re-render, {n:,} articles ({p} processes) vs Hugo cold build",
            Figure(r[f"render_warm_{p}proc_s"], "s", "render --all again, related lists stored", "one run"),
            hugo, r, judged,
        ))  # fmt: skip
        rss = Figure(
            r[f"render_cold_{p}proc_peak_rss_mb"],
            "MB",
            "largest of the render processes",
            "peak RSS",
        )
        # Judged at every size: the issue sets it for 10,000 articles, but a render process
        # that outgrows 150 MB on a larger site must read as a miss, not a printed figure.
        name = f"Peak RSS of a render process, cold build of {n:,} articles"
        rows.append(ratio_row(name, rss, Figure(MEMORY_TARGET_MB, "MB", "target"), "<= 1.0x"))
    return rows


def _hugo_finished(r: Mapping[str, Any]) -> bool:
    return float(r.get("hugo_finished", 1.0)) == 1.0  # archives before the limit: finished


def _hugo_figure(r: Mapping[str, Any]) -> Figure:
    if _hugo_finished(r):
        return Figure(r["hugo_s"], "s", "Hugo build, same corpus", "one run")
    return Figure(
        r["hugo_s"], "s", "Hugo build, same corpus, stopped unfinished at this limit: a lower bound",
        "one run",
    )  # fmt: skip


def _against_hugo(name: str, ours: Figure, hugo: Figure, r: Mapping[str, Any], judged: bool) -> Row:
    """Ours / Hugo, judged against 1.0x at the target size and printed at others. When Hugo
    was stopped unfinished its time is a lower bound, so the ratio is an upper bound, rounded
    up ("< 0.35x"): below 1.0 it says the target is met, above it it says nothing (n/a),
    since Hugo might have taken longer still."""
    row = (
        ratio_row(name, ours, hugo, "<= 1.0x")
        if judged
        else printed_row(name, ours, hugo, ELSEWHERE)
    )
    if _hugo_finished(r):
        return row if judged else replace(row, comparison=f"{ours.value / hugo.value:.2f}x")
    bound = upper_bound(ours.value / hugo.value)
    met = (True if bound <= 1.0 else None) if judged else None
    return replace(row, comparison=f"< {bound:.2f}x", met=met)


def build_notes(r: Mapping[str, Any]) -> list[str]:
    return [
        f"Full build, {int(r['articles']):,} articles: files written by ours "
        f"{int(r['render_files']):,} (each with a .gz copy), by Hugo {int(r['hugo_files']):,}"
        + ("" if _hugo_finished(r) else f" when it was stopped unfinished after {r['hugo_s']} s")
        + "; "
        "ours and Hugo in the same invocation, one run each: "
        + ", ".join(f"{k} {_raw(k, v, r)}" for k, v in r.items())
        + "."
    ]


def _raw(key: str, value: Any, r: Mapping[str, Any]) -> str:
    """A raw figure of the notes; against an unfinished Hugo, its time is a lower bound and
    each ratio to it an upper bound, recomputed and rounded up (archives before the bound
    was rounded up hold it rounded to nearest), and they say so."""
    if _hugo_finished(r):
        return f"{value}"
    if key == "hugo_s":
        return f"> {value} (stopped unfinished)"
    if key == "hugo_files":
        return f"{value} (when stopped)"
    if key.endswith("_vs_hugo"):
        kind, procs = key.split("_")[:2]  # "cold", "2proc"
        return f"< {upper_bound(r[f'render_{kind}_{procs}_s'] / r['hugo_s']):.2f}"
    return f"{value}"
