"""A Hugo build that runs past its time limit is stopped and recorded as unfinished, and the
report then prints its time as a lower bound and our ratio as an upper bound."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import render_vs_hugo
from bench.render_vs_hugo import hugo
from bench.rows import upper_bound
from bench.scale_rows import ELSEWHERE, build_notes, build_rows

# Called as Hugo is: <bin> --quiet -s <site> -d <out>. Writes one page and its pid, then
# runs for as long as it is told (or fails when told to).
FAKE_HUGO = """#!/bin/sh
echo $$ > "$3/pid"
mkdir -p "$5"
echo page > "$5/index.html"
[ "$(cat "$3/mode")" = fail ] && exit 3
exec sleep "$(cat "$3/mode")"
"""


def fake_hugo(tmp_path: Path, mode: str) -> tuple[str, Path]:
    binary = tmp_path / "hugo"
    binary.write_text(FAKE_HUGO)
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    site = tmp_path / "site"
    site.mkdir()
    (site / "mode").write_text(mode)
    return str(binary), site


def test_a_build_past_its_limit_is_stopped_and_marked_unfinished(tmp_path: Path) -> None:
    binary, site = fake_hugo(tmp_path, "300")
    started = time.monotonic()
    built = hugo(binary, site, limit_s=3.0)
    assert time.monotonic() - started >= 3.0  # it ran until the limit, then was stopped
    assert not built.finished
    assert built.seconds == 3.0  # the limit: a lower bound on Hugo's time
    assert built.files == 1  # what it had written when stopped
    pid = int((site / "pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # stopped and reaped, not left running


def test_a_build_within_its_limit_is_timed(tmp_path: Path) -> None:
    binary, site = fake_hugo(tmp_path, "0")
    built = hugo(binary, site, limit_s=60.0)
    assert built.finished
    assert 0 < built.seconds < 60.0
    assert built.files == 1


def test_an_interrupted_build_is_stopped_not_left_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C (or any error) while waiting on Hugo stops it: a bench left behind would keep
    a core busy under every later run."""
    binary, site = fake_hugo(tmp_path, "300")

    class Interrupted(subprocess.Popen[bytes]):
        def wait(self, timeout: float | None = None) -> int:
            if timeout is not None:  # the wait for the build: interrupted, as by Ctrl-C
                while not (site / "pid").exists():
                    time.sleep(0.01)
                raise KeyboardInterrupt
            return super().wait()

    monkeypatch.setattr(subprocess, "Popen", Interrupted)
    with pytest.raises(KeyboardInterrupt):
        hugo(binary, site, limit_s=60.0)
    with pytest.raises(ProcessLookupError):
        os.kill(int((site / "pid").read_text()), 0)


def test_a_failed_build_raises(tmp_path: Path) -> None:
    binary, site = fake_hugo(tmp_path, "fail")
    with pytest.raises(subprocess.CalledProcessError):
        hugo(binary, site, limit_s=60.0)


def figures(finished: float | None, articles: int = 10_000) -> dict[str, float]:
    r = {"articles": float(articles), "render_cold_2proc_s": 366.7, "render_warm_2proc_s": 245.0,
         "render_cold_2proc_peak_rss_mb": 210.1, "render_files": 121_355.0,
         "hugo_s": 1200.0, "hugo_files": 40_000.0}  # fmt: skip
    if finished is not None:
        r["hugo_finished"] = finished
    return r


def test_an_unfinished_hugo_is_a_lower_bound_and_our_ratio_an_upper_bound() -> None:
    cold, warm, _rss = build_rows(figures(0.0))
    assert cold.comparison == "< 0.31x"  # 366.7 / 1200 = 0.3056, at most
    assert warm.comparison == "< 0.21x"  # 245.0 / 1200 = 0.2042: rounded up, never down
    assert cold.met is True
    assert "stopped unfinished" in cold.anchor.text() and "lower bound" in cold.anchor.text()
    notes = build_notes(figures(0.0))[0]
    assert "stopped unfinished after 1200.0 s" in notes
    assert "hugo_s > 1200.0 (stopped unfinished)" in notes
    # An archive holding the ratio rounded to nearest is printed with the bound rounded up.
    assert (
        "warm_2proc_vs_hugo < 0.21." in build_notes(figures(0.0) | {"warm_2proc_vs_hugo": 0.2})[0]
    )
    half = figures(0.0) | {"render_cold_2proc_s": 600.0, "cold_2proc_vs_hugo": 0.5}
    assert "cold_2proc_vs_hugo < 0.50." in build_notes(half)[0]  # 0.5 exactly, kept to 2 dp


def test_an_upper_bound_above_the_target_decides_nothing() -> None:
    r = figures(0.0) | {"render_cold_2proc_s": 1500.0}  # slower than Hugo's lower bound
    cold, _warm, _rss = build_rows(r)
    assert cold.comparison == "< 1.25x"
    assert cold.met is None  # Hugo might have taken longer still: not a fail, not a pass


def test_a_finished_hugo_and_older_archives_print_plain_ratios() -> None:
    for finished in (1.0, None):
        cold, _warm, _rss = build_rows(figures(finished))
        assert cold.comparison == "0.31x"
        assert cold.met is True
        assert "lower bound" not in cold.anchor.text()
        assert "stopped" not in build_notes(figures(finished))[0]


def test_the_hugo_ratios_are_judged_at_10k_articles_and_the_memory_target_at_every_size() -> None:
    cold, warm, rss = build_rows(figures(1.0, articles=10_000))
    assert (cold.met, warm.met, rss.met) == (True, True, False)  # 210.1 MB > 150 MB
    assert rss.target == "<= 1.0x" and rss.comparison == "1.40x"
    for finished in (1.0, 0.0):
        cold, warm, rss = build_rows(figures(finished, articles=100_000))
        assert [cold.met, warm.met] == [None, None]
        assert cold.target == warm.target == ELSEWHERE
        assert cold.comparison == ("0.31x" if finished else "< 0.31x")
        # 210.1 MB at 100,000 articles is a miss, not a printed figure.
        assert (rss.met, rss.target, rss.comparison) == (False, "<= 1.0x", "1.40x")
    small = figures(1.0, articles=1_000) | {"render_cold_2proc_peak_rss_mb": 96.0}
    assert build_rows(small)[2].met is True


def _site_with_mode(mode: str) -> Callable[[object, Path], None]:
    def write(_corpus: object, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        (root / "mode").write_text(mode)

    return write


def test_run_records_an_unfinished_hugo_and_checks_a_finished_one_for_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole bench row with a stand-in Hugo: stopped, it is recorded as unfinished (its
    partial output is not judged); finished without the articles' pages, the row fails."""
    binary, _ = fake_hugo(tmp_path, "0")
    monkeypatch.setattr(render_vs_hugo, "ensure_hugo", lambda: binary)
    monkeypatch.setattr(render_vs_hugo, "write_hugo_site", _site_with_mode("300"))
    f = render_vs_hugo.run(articles=20, processes=(1,), hugo_limit_s=3.0)
    assert f["hugo_finished"] == 0.0 and f["hugo_s"] == 3.0 and f["hugo_files"] == 1.0
    assert f["cold_1proc_vs_hugo"] == upper_bound(f["render_cold_1proc_s"] / 3.0)

    monkeypatch.setattr(render_vs_hugo, "write_hugo_site", _site_with_mode("0"))
    with pytest.raises(RuntimeError, match="Hugo left out"):
        render_vs_hugo.run(articles=20, processes=(1,), hugo_limit_s=60.0)
