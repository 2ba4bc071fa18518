"""A Hugo build that runs past its time limit is stopped and recorded as unfinished, and the
report then prints its time as a lower bound and our ratio as an upper bound."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from bench.render_vs_hugo import hugo
from bench.scale_rows import build_notes, build_rows

# Called as Hugo is: <bin> --quiet -s <site> -d <out>. Writes one page and its pid, then
# runs for as long as it is told (or fails when told to).
FAKE_HUGO = """#!/bin/sh
mkdir -p "$5"
echo page > "$5/index.html"
echo $$ > "$3/pid"
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
    built = hugo(binary, site, limit_s=1.0)
    assert not built.finished
    assert built.seconds == 1.0  # the limit: a lower bound on Hugo's time
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


def test_a_failed_build_raises(tmp_path: Path) -> None:
    binary, site = fake_hugo(tmp_path, "fail")
    with pytest.raises(subprocess.CalledProcessError):
        hugo(binary, site, limit_s=60.0)


def figures(finished: float | None) -> dict[str, float]:
    r = {"articles": 100_000.0, "render_cold_2proc_s": 366.7, "render_warm_2proc_s": 245.0,
         "render_cold_2proc_peak_rss_mb": 210.1, "render_files": 121_355.0,
         "hugo_s": 1200.0, "hugo_files": 40_000.0}  # fmt: skip
    if finished is not None:
        r["hugo_finished"] = finished
    return r


def test_an_unfinished_hugo_is_a_lower_bound_and_our_ratio_an_upper_bound() -> None:
    cold, warm, _rss = build_rows(figures(0.0))
    assert cold.comparison == "< 0.31x"  # 366.7 / 1200, at most
    assert warm.comparison == "< 0.20x"
    assert cold.met is True
    assert "stopped unfinished" in cold.anchor.text() and "lower bound" in cold.anchor.text()
    assert "stopped unfinished after 1200.0 s" in build_notes(figures(0.0))[0]


def test_a_finished_hugo_and_older_archives_print_plain_ratios() -> None:
    for finished in (1.0, None):
        cold, _warm, _rss = build_rows(figures(finished))
        assert cold.comparison == "0.31x"
        assert "lower bound" not in cold.anchor.text()
        assert "stopped" not in build_notes(figures(finished))[0]
