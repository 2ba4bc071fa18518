"""The benchmark corpus is all in the past, whatever its size: an article published now must
land at the head of every listing, as on a real site."""

from __future__ import annotations

from datetime import timedelta

from bench.corpus import SPAN_MINUTES, START, make_corpus, spacing_minutes


def test_the_largest_corpus_ends_within_its_five_years() -> None:
    for n in (1_000, 10_000, 100_000, 250_000):
        last = START + timedelta(minutes=spacing_minutes(n) * (n - 1) + 100)
        assert last < START + timedelta(minutes=SPAN_MINUTES), n


def test_the_published_corpora_keep_their_dates() -> None:
    """1,000 and 10,000 articles are dated as before (figures stay comparable across runs)."""
    assert spacing_minutes(1_000) == spacing_minutes(10_000) == 137
    dates = [a.published_at for a in make_corpus(3)]
    assert dates[0] is not None and dates[2] is not None
    # 137 minutes apart, plus up to 100 minutes of jitter each.
    assert (
        timedelta(minutes=2 * 137 - 100) <= dates[2] - dates[0] <= timedelta(minutes=2 * 137 + 100)
    )
