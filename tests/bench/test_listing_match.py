"""The publish-to-live bench's "listed" check matches the whole path."""

from __future__ import annotations

from bench.publish_to_live import links_to


def test_a_listing_names_the_path_itself_not_a_longer_one() -> None:
    page = '<a href="/health/bench-article-10">Ten</a> <loc>https://h.example/health/b</loc>'
    assert not links_to(page, "/health/bench-article-1")
    assert links_to(page, "/health/bench-article-10")
    assert links_to(page, "/health/b")
    assert links_to(
        '<link href="https://h.example/health/bench-article-1"/>', "/health/bench-article-1"
    )
    assert not links_to('<a href="/health/bench-article-1-v2">', "/health/bench-article-1")
