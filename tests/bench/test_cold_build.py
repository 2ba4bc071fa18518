"""The cold-build bench runs in a process of its own and reports what its render processes did."""

from __future__ import annotations

from pathlib import Path

from bench import cold_build


def test_the_cold_build_runs_in_its_own_process_and_writes_every_page(tmp_path: Path) -> None:
    figures = cold_build.in_own_process(40, tmp_path / "ours", 1)
    # 40 article pages plus the listings, feed, sitemap and static pages, each phase alike.
    assert figures["files"] > 40
    written = {
        p.relative_to(tmp_path / "ours" / "pages").as_posix()
        for p in (tmp_path / "ours" / "pages").rglob("index.html")
    }
    assert "index.html" in written
    articles = [p for p in written if p.count("/") == 2 and p.split("/")[1].startswith("article-")]
    assert len(articles) == 40  # <category>/article-<id>/index.html
    # Measured, not asserted as a speed: a render process holds at least the interpreter.
    assert 20 < figures["cold_peak_rss_mb"] < 400
    assert figures["cold"] > 0 and figures["warm"] > 0
