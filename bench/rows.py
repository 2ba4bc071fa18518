"""From the result dicts of the benchmark modules to table rows and notes.

Everything in bench/results.md comes from here and bench/report.py, computed from the
archived result dicts: a figure or a note is never typed. Each figure carries what it is
(median of N, p95 of N, best of N, one run, peak) in its own cell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bench.loadgen import SATURATED, load_check, verdicts

MEMORY_TARGET_MB = 150.0
DECIMALS = {"req/s": 0, "beacons/s": 0, "views": 0, "ms": 1, "s": 1, "MB": 1, "pages": 1,
            "us": 2, "fields": 0}  # fmt: skip


@dataclass(frozen=True)
class Figure:
    value: float
    unit: str
    label: str  # whose figure: "page server", "target" ...
    stat: str = ""  # what it is: "median of 5", "p95 of 60", "best of 2", "peak" ...

    @property
    def number(self) -> str:
        return f"{self.value:,.{DECIMALS.get(self.unit, 1)}f} {self.unit}"

    def text(self) -> str:
        return f"{self.number} ({self.label}{', ' + self.stat if self.stat else ''})"


@dataclass(frozen=True)
class Row:
    name: str
    ours: Figure
    anchor: Figure
    target: str
    met: bool | None  # None: printed, with no target set for it at this size
    comparison: str  # the "ours / anchor" cell
    ratio: float | None = None  # for the chart; None when the row is not a ratio
    load: str = ""  # the load-generator check, for rows measured with wrk


def ratio_row(name: str, ours: Figure, anchor: Figure, target: str, load: str = "") -> Row:
    """A row judged by ours / anchor against a target such as ">= 1.5x" or "<= 1.0x"."""
    op, limit = target.split()
    value = ours.value / anchor.value if anchor.value else float("nan")
    bound = float(limit.rstrip("x"))
    met = value >= bound if op == ">=" else value <= bound
    return Row(name, ours, anchor, target, met, f"{value:.2f}x", value, load)


def printed_row(name: str, ours: Figure, anchor: Figure, target: str = "none: printed") -> Row:
    """A row printed beside its anchor with no target to meet here (and left out of the
    chart, whose bars are judged against targets). ``target`` says why, when a target
    exists for another size."""
    value = ours.value / anchor.value if anchor.value else float("nan")
    # Two decimals as in judged rows; three significant figures for a tiny ratio.
    shown = f"{value:.2f}x" if abs(value) >= 0.1 or value != value else f"{value:.3g}x"
    return Row(name, ours, anchor, target, None, shown)


def upper_bound(value: float, decimals: int = 2) -> float:
    """``value`` rounded up: a bound printed as "< x" must not be below the true figure."""
    scale = 10.0**decimals
    return math.ceil(value * scale - 1e-9) / scale


def load_pair(ours: Sequence[Mapping[str, Any]], anchor: Sequence[Mapping[str, Any]]) -> str:
    """The load-generator check of a row, from the runs of both sides: CPU seconds of wrk
    and of each server per run, and what they say."""
    o, a = load_check(ours), load_check(anchor)
    text = (
        f"wrk -t{o['threads']} -c{o['connections']}, per {o['wall_s']:.0f} s run (medians): "
        f"ours wrk {o['wrk_cpu_s']:.1f} / server {o['server_cpu_s']:.1f} CPU-s; "
        f"anchor wrk {a['wrk_cpu_s']:.1f} / server {a['server_cpu_s']:.1f} CPU-s"
    )
    said = verdicts({"ours": o, "anchor": a})
    if not any("limited by the load generator" in v for v in said):
        said.insert(0, f"wrk below {SATURATED:.0%} busy in every run")
    return "; ".join([text, *said])


def page_rows(r: Mapping[str, Any]) -> list[Row]:
    f, runs = r["req_per_s"], r["runs"]
    stat = f"median of {r['rounds']}"

    def fig(name: str) -> Figure:
        return Figure(f[name], "req/s", name, stat)

    return [
        ratio_row("Page reads: nginx gateway", fig("nginx gateway"), fig("bare nginx"),
                  ">= 0.9x", load_pair(runs["nginx gateway"], runs["bare nginx"])),
        ratio_row("Page reads: embedded page server", fig("page server"),
                  fig("FastAPI FileResponse"), ">= 1.5x",
                  load_pair(runs["page server"], runs["FastAPI FileResponse"])),
        ratio_row("Page reads: embedded page server vs StaticFiles", fig("page server"),
                  fig("Starlette StaticFiles"), ">= 1.5x",
                  load_pair(runs["page server"], runs["Starlette StaticFiles"])),
    ]  # fmt: skip


def page_notes(r: Mapping[str, Any]) -> list[str]:
    sent = "; ".join(
        f"{name} {s['content_encoding']}, {s['body_bytes']:,} B" for name, s in r["served"].items()
    )
    runs = "; ".join(
        f"{name} " + ", ".join(f"{x['requests_per_second']:,.0f}" for x in rs)
        for name, rs in r["runs"].items()
    )
    return [
        f"Page reads: one article page, {r['page_bytes']:,} bytes of HTML, "
        f"{r['gzip_bytes']:,} gzipped; wrk sends Accept-Encoding: gzip. Answer body as sent: "
        f"{sent}. {r['rounds']} interleaved rounds of {r['seconds_per_run']} s.",
        f"Page reads, every run in round order (req/s): {runs}.",
    ]


def beacon_rows(r: Mapping[str, Any]) -> list[Row]:
    f, runs = r["beacons_per_s"], r["runs"]
    stat = f"median of {r['rounds']}"
    throughput = ratio_row(
        "View beacons, one process",
        Figure(f["views API"], "beacons/s", "views API", stat),
        Figure(f["FastAPI + HINCRBY"], "beacons/s", "FastAPI + HINCRBY", stat),
        ">= 2.0x",
        load_pair(runs["views API"], runs["FastAPI + HINCRBY"]),
    )
    runs = f"total of {r['views_runs_with_warmups']} runs"
    difference = r["counted"] - r["accepted"]
    exact = Row(
        "Views accepted (client) vs counted (database)",
        Figure(r["counted"], "views", "counted in the views DB after the last flush", runs),
        Figure(r["accepted"], "views", "accepted: answers saying counted, seen by wrk", runs),
        "counted == accepted",
        bool(r["exact"]),
        f"difference {difference:+,}"
        + ("; per article: equal" if r["per_article_checked"] and r["exact"] else "")
        + (f"; {len(r['articles_differing'])} articles differ" if r["articles_differing"] else ""),
    )
    return [throughput, exact]


def beacon_notes(r: Mapping[str, Any]) -> list[str]:
    return [
        f"View beacons: {r['rounds']} round(s) of {r['seconds_per_run']} s, the two servers "
        "alternating, each fresh process warmed up for 1 s first; views / baseline per round: "
        + ", ".join(f"{x:.2f}x" for x in r["round_ratios"])
        + "."
        + (
            " Server CPU per beacon (median, the run's CPU over the beacons it answered): "
            + ", ".join(f"{n} {us:,.0f} µs" for n, us in r["server_cpu_us_per_beacon"].items())
            + "."
            if "server_cpu_us_per_beacon" in r
            else ""
        )
        + (
            " Redis CPU per beacon (median; Redis shares the two cores with the server and"
            " wrk): "
            + ", ".join(f"{n} {us:,.0f} µs" for n, us in r["redis_cpu_us_per_beacon"].items())
            + "."
            if "redis_cpu_us_per_beacon" in r
            else ""
        ),
        f"Exactness: {r['exactness']}. Beacons sent {r['beacons_sent']:,}, answered other "
        f"than counted {r['answers_not_counted']:,}, unanswered {r['beacons_unanswered']:,}; "
        f"the views service's own accepted counter: {r['server_accepted_counter']:,}.",
    ]


def memory_rows(peaks: Mapping[str, float]) -> list[Row]:
    return [
        ratio_row(
            f"Peak memory: {role}",
            Figure(mb, "MB", role, "peak RSS"),
            Figure(MEMORY_TARGET_MB, "MB", "target"),
            "<= 1.0x",
        )
        for role, mb in sorted(peaks.items())
    ]


def _memory_note(peaks: Mapping[str, float], during: str) -> list[str]:
    if not peaks:
        return []
    return [
        f"Peak memory: RSS of every platform process sampled every 0.5 s during {during}; a "
        "worker's pool processes count as the worker."
    ]


def memory_notes(peaks: Mapping[str, float]) -> list[str]:
    return _memory_note(peaks, "the beacon, publish-to-live and re-render rows")


def memory_notes_at_scale(peaks: Mapping[str, float]) -> list[str]:
    """`make bench-large`'s peaks, judged against the same 150 MB target by ``memory_rows``:
    a process that outgrows it as the site grows shows as a miss."""
    return _memory_note(
        peaks,
        "the runs of this table's other rows (make bench-large: publish-to-live at two sizes "
        "on both databases, bulk publishing, cold and warm builds, as far as the run held them)",
    )


def bot_matcher_rows(r: Mapping[str, Any]) -> list[Row]:
    return [
        printed_row(
            "Bot matcher per call, a new User-Agent every call",
            Figure(r["rotating_uncached_us"], "us", "our compiled matcher, uncached",
                   f"median of {r['rounds']}"),
            Figure(r["package_reader_us"], "us", "crawler-user-agents' own is_crawler, readers",
                   f"median of {r['package_rounds']}"),
        )
    ]  # fmt: skip


def bot_matcher_notes(r: Mapping[str, Any]) -> list[str]:
    return [
        f"Bot matcher: crawler-user-agents {r['list_version']}, {r['patterns']:,} patterns "
        f"compiled in {r['compile_ms']} ms. Per call (µs): reader agent uncached "
        f"{r['reader_uncached_us']}, bot agent uncached {r['bot_uncached_us']}, new agents "
        f"{r['rotating_uncached_us']}, cached verdict {r['cached_us']}; the package's is_crawler "
        f"on readers {r['package_reader_us']}, on bots {r['package_bot_us']}; device class "
        f"uncached {r['device_uncached_us']}, cached {r['device_cached_us']}. The issue sets "
        "no target: the matcher must not be the beacon's hot spot."
    ]


def views_memory_rows(r: Mapping[str, Any]) -> list[Row]:
    day = f"{r['beacons']:,} beacons over {r['articles']:,} articles"
    return [
        printed_row(
            f"Views Redis memory, a day of {day}",
            Figure(r["peak_mb"], "MB", "used_memory, peak of the day", "one run"),
            Figure(r["baseline_mb"], "MB", "empty Redis with the live-article set", "one run"),
        ),
        ratio_row(
            "Views Redis: admitted-values hash of an article-day, fields",
            Figure(r["dims_max_fields"], "fields", f"largest of {r['dims_keys']:,}", "one run"),
            Figure(r["dims_fields_cap"], "fields", "what the caps allow", "target"),
            "<= 1.0x",
        ),
    ]


def views_memory_notes(r: Mapping[str, Any]) -> list[str]:
    return [
        f"Views Redis memory (bench/views_memory.py): {r['beacons']:,} beacons "
        f"({r['counted']:,} counted) across {r['articles']:,} articles with realistic "
        f"referrers, played as 48 half-hours; used_memory peak {r['peak_mb']} MB, end of day "
        f"{r['end_of_day_mb']} MB; {r['dims_keys']:,} admitted-values hashes, "
        f"{r['dims_mb']} MB; at most {r['peak_buffer_fields']:,} buffer fields after half an "
        "hour (the flusher empties the buffer every few seconds)."
    ]


FIRST_RUN_TARGET_S = 60.0


def first_run_rows(r: Mapping[str, Any]) -> list[Row]:
    ours = Figure(
        r["seconds_to_first_page"], "s", "`make up`, fresh clone to first page", "one run"
    )
    return [
        ratio_row(
            "First run: fresh clone to the first page served",
            ours,
            Figure(FIRST_RUN_TARGET_S, "s", "target"),
            "<= 1.0x",
        )
    ]


def first_run_notes(r: Mapping[str, Any]) -> list[str]:
    shown = " / ".join(line.strip() for line in r["output_to_banner"] if line.strip())
    return [
        f"First run: `make up` in a fresh clone of commit {r['commit']} with the pip cache "
        f"warm (bench.first_run), {r['seconds_to_first_page']} s to the sample page; "
        f"{r['output_lines_before_banner']} output line(s) before the banner: {shown}"
    ]
