"""bench/results.md is computed from an archived run: every figure says what it is, the
exactness row fails on any difference, a saturated load generator is named."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bench import conditions
from bench.report import render_markdown, write

STAT = re.compile(r"\((?:[^()]*, )?(median of \d+|p95 of \d+|best of \d+|one run|peak RSS|"
                  r"total of \d+ runs|target)\)$")  # fmt: skip


def runs(n: int = 5, limited: int = 0, rate: float = 100.0) -> list[dict[str, Any]]:
    """Per-run figures as bench/loadgen.py archives them; the first `limited` runs had wrk
    saturated."""
    return [
        {"requests_per_second": rate, "beacons_per_s": rate, "threads": 1, "connections": 32,
         "wall_s": 5.0, "wrk_cpu_s": 4.8 if i < limited else 1.2, "server_cpu_s": 4.9,
         "wrk_busy": 0.96 if i < limited else 0.24, "limited_by_load_generator": i < limited}
        for i in range(n)
    ]  # fmt: skip


def archive(
    *,
    accepted: int = 1000,
    counted: int = 1000,
    limited_runs: int = 0,
    dims_fields: int = 47,
    first_page_s: float = 48.2,
) -> dict[str, Any]:
    names = ["page server", "FastAPI FileResponse", "Starlette StaticFiles", "nginx gateway",
             "bare nginx"]  # fmt: skip
    pages = {
        "page_bytes": 14_000, "gzip_bytes": 5_000, "rounds": 5, "seconds_per_run": 5,
        "served": {n: {"content_encoding": "gzip", "body_bytes": 5_000} for n in names},
        "runs": {n: runs(limited=limited_runs if n == "bare nginx" else 0) for n in names},
        "req_per_s": dict(zip(names, [20_000.0, 1_300.0, 900.0, 50_000.0, 52_000.0], strict=True)),
    }  # fmt: skip
    beacons = {
        "rounds": 5, "seconds_per_run": 5, "round_ratios": [2.1, 2.3],
        "beacons_per_s": {"views API": 9_000.0, "FastAPI + HINCRBY": 4_000.0},
        "runs": {"views API": runs(), "FastAPI + HINCRBY": runs()},
        "accepted": accepted, "counted": counted, "exact": accepted == counted,
        "exactness": "...", "per_article_checked": True, "articles_differing": {},
        "views_runs_with_warmups": 10, "beacons_sent": accepted, "answers_not_counted": 0,
        "beacons_unanswered": 0, "server_accepted_counter": accepted,
    }  # fmt: skip
    results = {
        "pages": pages,
        "beacons": beacons,
        "publish_to_live": {"runs": [
            {"articles": n, "backend": "sqlite", "site_build_s": 12.0,
             "live_ms": {"n": 20.0, "p50": 25.0, "p95": p95, "max": 80.0},
             "listings_fresh_ms": {"n": 20.0, "p50": 300.0, "p95": 450.0, "max": 500.0},
             "pages_written_per_publish": {"n": 20.0, "p50": 17.0, "p95": 19.0, "max": 19.0}}
            for n, p95 in ((1000, 64.0), (10000, 70.0))
        ]},
        "render_vs_hugo": {"articles": 1000.0, "render_cold_2proc_s": 2.2,
                           "render_warm_2proc_s": 1.6, "render_cold_2proc_peak_rss_mb": 110.0,
                           "render_files": 1300, "hugo_s": 3.1, "hugo_files": 1280},
        "memory": {"pages": 70.2, "render-worker": 300.1},
        "bot_matcher": {"list_version": "1.0", "patterns": 1500, "compile_ms": 50.0,
                        "rounds": 20, "package_rounds": 3, "reader_uncached_us": 1.1,
                        "bot_uncached_us": 0.9, "rotating_uncached_us": 1.2, "cached_us": 0.05,
                        "package_reader_us": 400.0, "package_bot_us": 120.0,
                        "device_uncached_us": 9.0, "device_cached_us": 0.06},
        "views_memory": {"beacons": 999_984, "counted": 999_984, "articles": 10_000,
                         "baseline_mb": 1.5, "peak_mb": 30.0, "end_of_day_mb": 7.3,
                         "dims_keys": 10_000, "dims_mb": 5.0, "dims_max_fields": dims_fields,
                         "dims_fields_cap": 54, "peak_buffer_fields": 28_000},
        "first_run": {"commit": "abc123", "seconds_to_first_page": first_page_s,
                      "output_lines_before_banner": 6,
                      "output_to_banner": ["==> Creating the virtual environment\n",
                                           "HealthHub is running.\n"]},
    }  # fmt: skip
    conditions = {
        "started_utc": "2026-11-25T17:35:00+00:00", "finished_utc": "2026-11-25T17:53:00+00:00",
        "cpu_model": "AMD EPYC", "cores": 2, "machine": "x86_64", "commit": "abc123",
        "dirty": False, "load_average_before": [0.5, 0.4, 0.3],
        "load_average_after": [1.5, 1.0, 0.5], "python": "3.11.7",
        "tools": {"wrk": "wrk 4.1.0", "nginx": "nginx/1.22.1", "hugo": "hugo v0.111.3"},
    }  # fmt: skip
    # Through JSON, as the archive is read back.
    saved: dict[str, Any] = json.loads(json.dumps({
        "name": "2026-11-25T1735Z-abc123", "quick": False, "elapsed_s": 1080.0,
        "conditions": conditions, "results": results, "errors": [],
    }))  # fmt: skip
    return saved


def table_rows(markdown: str) -> list[list[str]]:
    lines = [line for line in markdown.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in lines[1:]]


def test_every_figure_says_what_it_is() -> None:
    rows = table_rows(render_markdown(archive()))
    # pages 3, beacons 2, bot matcher 1, views Redis 2, publish-to-live 6, full build 3, memory 2
    assert len(rows) == 20
    for row in rows:
        for cell in row[1:3]:
            assert STAT.search(cell), cell


def test_no_claim_that_every_figure_is_a_median() -> None:
    assert "every figure is a median" not in render_markdown(archive()).lower()


def test_the_conditions_of_the_run_are_written() -> None:
    text = render_markdown(archive())
    for expected in ("AMD EPYC, 2 cores", "before 0.50, 0.40, 0.30", "after 1.50, 1.00, 0.50",
                     "commit `abc123`", "nginx/1.22.1", "2026-11-25 17:35 to 2026-11-25 17:53 UTC"):  # fmt: skip
        assert expected in text
    assert "CPU probe" not in text  # an archive from before the probe has no speed line


def test_the_machine_speed_is_written_beside_the_load() -> None:
    saved = archive()
    saved["conditions"] |= {"cpu_probe_before_s": 0.412, "cpu_probe_after_s": 0.957,
                            "cpu_steal_percent": 12.5}  # fmt: skip
    text = render_markdown(saved)
    assert "0.412 s before, 0.957 s after; CPU steal during the run: 12.5%" in text
    saved["conditions"]["cpu_steal_percent"] = None
    assert "CPU steal during the run: not measured" in render_markdown(saved)


def test_memory_peaks_are_judged_in_make_bench_and_in_make_bench_large() -> None:
    judged = [r for r in table_rows(render_markdown(archive())) if r[0].startswith("Peak memory")]
    saved = archive()
    saved["results"]["memory"] = {"articles-api": 120.0, "render-listings-worker": 197.9}
    large = [
        r for r in table_rows(render_markdown(saved, "make bench-large"))
        if r[0].startswith("Peak memory")
    ]  # fmt: skip
    assert len(judged) == len(large) == 2
    assert {r[5] for r in judged} <= {"yes", "**no**"} and {r[4] for r in judged} == {"<= 1.0x"}
    by_role = {r[0]: r for r in large}
    assert by_role["Peak memory: render-listings-worker"][5] == "**no**"  # 197.9 > 150
    assert by_role["Peak memory: render-listings-worker"][3] == "1.32x"
    assert by_role["Peak memory: articles-api"][5] == "yes"
    text = render_markdown(saved, "make bench-large")
    assert "bulk publishing, cold and warm builds" in text  # its own runs
    assert "during the beacon" not in text


def test_an_archive_with_memory_at_scale_renders_like_an_old_one() -> None:
    old, new = archive(), archive()
    peaks = {"pages": 90.0, "render-pages-worker": 151.0}
    old["results"]["memory"] = peaks
    new["results"].pop("memory", None)
    new["results"]["memory_at_scale"] = peaks
    assert render_markdown(old, "make bench-large") == render_markdown(new, "make bench-large")


def test_a_printed_ratio_has_two_decimals_and_a_tiny_one_three_figures() -> None:
    from bench.rows import Figure, printed_row

    big = printed_row("r", Figure(96.5, "MB", "x"), Figure(100.0, "MB", "y"))
    tiny = printed_row("r", Figure(1.51, "us", "x"), Figure(223.6, "us", "y"))
    assert (big.comparison, tiny.comparison) == ("0.96x", "0.00675x")  # not 0.965x, not 0.01x


IN_GIT = conditions.report_code()["commit"] != "unknown"


@pytest.mark.skipif(not IN_GIT, reason="needs a git checkout: the line names a commit")
def test_a_table_rendered_by_later_report_code_names_that_code() -> None:
    code = conditions.report_code()
    later = render_markdown(archive())  # run at abc123, not a commit this checkout holds
    line = "- Table rendered from the archive by the report code"
    assert (
        f"{line} (`bench/report.py` and its row builders) as of commit `{code['commit']}`" in later
    )
    saved = archive()
    saved["conditions"]["commit"] = conditions.commit()["commit"]  # a run of this very code
    assert (line in render_markdown(saved)) == code["dirty"]


@pytest.mark.skipif(not Path("/proc/stat").exists(), reason="no /proc/stat: not Linux")
def test_the_probe_and_the_steal_share_come_from_the_machine() -> None:
    first = conditions.cpu_times()
    assert len(first) == 8 and all(x >= 0 for x in first)  # Linux: /proc/stat
    assert conditions.cpu_probe_s() > 0
    later = conditions.cpu_times()
    steal = conditions.steal_percent(first, later)
    assert steal is not None and 0 <= steal <= 100
    assert conditions.steal_percent([0] * 8, [10, 0, 10, 60, 0, 0, 0, 20]) == 20.0
    assert conditions.steal_percent([], later) is None


def test_odd_cpu_counters_give_no_steal_figure_instead_of_stopping_the_run() -> None:
    parse = conditions.parse_cpu_line
    assert parse("cpu  10 0 10 60 0 0 0 20 0 0") == [10, 0, 10, 60, 0, 0, 0, 20]
    assert parse("") == [] and parse("intr 1 2 3") == [] and parse("cpu 1 x 3") == []
    assert parse("cpu0 1 2 3 4 5 6 7 8") == []  # one core's line, not the machine's
    steal = conditions.steal_percent
    assert steal([1] * 8, [1] * 8) is None  # nothing moved
    assert steal([1] * 8, [2] * 7) is None  # counters of different lengths
    assert steal([0, 0, 0, 0, 0, 0, 0, 9], [5, 0, 5, 5, 0, 0, 0, 4]) is None  # went backwards


def test_an_exact_count_passes_and_one_view_more_fails() -> None:
    exact = {r[0]: r for r in table_rows(render_markdown(archive()))}
    row = exact["Views accepted (client) vs counted (database)"]
    assert row[5] == "yes"
    off = {r[0]: r for r in table_rows(render_markdown(archive(counted=1001)))}
    row = off["Views accepted (client) vs counted (database)"]
    assert row[5] == "**no**"
    assert "1,001 views" in row[1]
    assert "1,000 views" in row[2]
    assert "difference +1" in row[3]


def test_a_saturated_load_generator_is_named_in_its_row() -> None:
    rows = {r[0]: r for r in table_rows(render_markdown(archive(limited_runs=3)))}
    assert "limited by the load generator" in rows["Page reads: nginx gateway"][6]
    assert "anchor in 3 of 5 runs" in rows["Page reads: nginx gateway"][6]
    assert "anchor wrk 4.8 / server 4.9 CPU-s" in rows["Page reads: nginx gateway"][6]
    assert "limited by the load generator" not in rows["Page reads: embedded page server"][6]
    assert "ours wrk 1.2 / server 4.9 CPU-s" in rows["Page reads: embedded page server"][6]


def test_a_quick_run_says_so() -> None:
    quick = archive()
    quick["quick"] = True
    assert "**Quick run**" in render_markdown(quick)
    assert "**Quick run**" not in render_markdown(archive())


def test_the_large_results_name_the_command_that_made_them(tmp_path: Path) -> None:
    md, _ = write(archive(), out=tmp_path, stem="results-large")
    assert "Full run of `make bench-large`." in md.read_text()
    assert f"from `bench/results/large/{archive()['name']}.json`" in md.read_text()
    md, _ = write(archive(), out=tmp_path, stem="results")
    assert "Full run of `make bench`." in md.read_text()


def test_a_run_where_the_server_had_no_full_core_says_so() -> None:
    starved = archive()
    for run in starved["results"]["pages"]["runs"]["page server"][:2]:
        run["server_cpu_s"] = 2.0  # of a 5 s run, wrk not saturated either
    rows = {r[0]: r for r in table_rows(render_markdown(starved))}
    check = rows["Page reads: embedded page server"][6]
    assert "neither wrk nor the server used 90% of a core: ours in 2 of 5 runs" in check
    assert "wrk below 90% busy in every run" in check


def test_the_bot_matcher_and_views_redis_rows_are_printed_and_the_caps_judged() -> None:
    rows = {r[0]: r for r in table_rows(render_markdown(archive()))}
    matcher = rows["Bot matcher per call, a new User-Agent every call"]
    assert "1.20 us" in matcher[1] and "400.00 us" in matcher[2]
    assert (matcher[4], matcher[5]) == ("none: printed", "n/a")  # the issue sets no target
    memory = rows["Views Redis memory, a day of 999,984 beacons over 10,000 articles"]
    assert "30.0 MB" in memory[1] and memory[5] == "n/a"
    caps = "Views Redis: admitted-values hash of an article-day, fields"
    assert rows[caps][5] == "yes"
    over = {r[0]: r for r in table_rows(render_markdown(archive(dims_fields=55)))}
    assert over[caps][5] == "**no**"


def test_the_first_run_row_is_judged_against_sixty_seconds() -> None:
    name = "First run: fresh clone to the first page served"
    rows = {r[0]: r for r in table_rows(render_markdown(archive()))}
    assert "48.2 s" in rows[name][1] and "60.0 s" in rows[name][2] and rows[name][5] == "yes"
    slow = {r[0]: r for r in table_rows(render_markdown(archive(first_page_s=71.0)))}
    assert slow[name][5] == "**no**"


def test_the_publish_notes_give_the_articles_api_part_of_publish_to_live() -> None:
    from bench.scale_rows import publish_notes

    run = archive()["results"]["publish_to_live"]["runs"][0]
    assert "client round trip" not in publish_notes({"runs": [run]})[0]  # older archives
    run["publish_answered_ms"] = {"n": 20.0, "p50": 19.8, "p95": 24.7, "max": 30.1}
    assert (
        "(client round trip to the articles API) in p50 19.8 / p95 24.7 / max 30.1 ms"
        in publish_notes({"runs": [run]})[0]
    )
