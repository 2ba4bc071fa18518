"""The beacon benchmark's exactness check (bench/accounting.py) fails on any miscount: fed
deliberately broken runs, it says so; fed an honest one, it passes."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.accounting import ClientTally, check, parse_tally, sum_tallies, views_per_article

ARTICLES = 100


def database_after(sent_per_thread: tuple[int, ...]) -> Counter[int]:
    """The views database after an honest run: every beacon counted once, in the article
    beacons.lua sends it to (written out beacon by beacon, not with the helper under test)."""
    totals: Counter[int] = Counter()
    for sent in sent_per_thread:
        for n in range(1, sent + 1):
            totals[(n % ARTICLES) + 1] += 1
    return totals


def honest_run() -> tuple[ClientTally, Counter[int]]:
    sent = (12_345, 11_002)  # two wrk threads
    return ClientTally(sent, counted=sum(sent), other=0), database_after(sent)


def test_an_honest_run_passes() -> None:
    tally, db = honest_run()
    result = check(tally, ARTICLES, db)
    assert result.exact
    assert result.per_article_checked
    assert result.accepted == result.counted == 23_347
    assert "accepted 23,347" in result.describe()
    assert "== counted 23,347" in result.describe()


def test_a_view_counted_twice_fails() -> None:
    tally, db = honest_run()
    db[7] += 1
    result = check(tally, ARTICLES, db)
    assert not result.exact
    assert (result.accepted, result.counted) == (23_347, 23_348)
    assert "!=" in result.describe()


def test_a_lost_view_fails() -> None:
    tally, db = honest_run()
    db[42] -= 1
    result = check(tally, ARTICLES, db)
    assert not result.exact
    assert result.counted == result.accepted - 1


def test_a_double_count_and_a_loss_that_cancel_in_the_totals_still_fail() -> None:
    tally, db = honest_run()
    db[7] += 1  # one view counted twice ...
    db[42] -= 1  # ... and another one lost: the totals agree
    result = check(tally, ARTICLES, db)
    assert result.accepted == result.counted
    assert not result.exact
    assert dict(result.differing) == {7: (db[7] - 1, db[7]), 42: (db[42] + 1, db[42])}
    assert "2 differ" in result.describe()


def test_a_view_of_an_article_the_client_never_viewed_fails() -> None:
    tally, db = honest_run()
    db[7] -= 1
    db[ARTICLES + 1] += 1
    assert not check(tally, ARTICLES, db).exact


def test_when_a_beacon_went_unanswered_only_the_totals_can_be_compared() -> None:
    sent = (1_000,)
    # 999 answers seen; the server counted the 1,000th, whose answer the client never got.
    tally = ClientTally(sent, counted=999, other=0)
    result = check(tally, ARTICLES, database_after(sent))
    assert not result.per_article_checked
    assert not result.exact
    assert "not checkable" in result.describe()


def test_answers_other_than_counted_are_not_accepted_views() -> None:
    sent = (1_000,)
    db = database_after(sent)
    db[2] -= 1  # the server answered one beacon "duplicate" and did not count it
    tally = ClientTally(sent, counted=999, other=1)
    result = check(tally, ARTICLES, db)
    assert result.exact
    assert not result.per_article_checked


@pytest.mark.parametrize("sent", [0, 1, 99, 100, 101, 250, 1_234])
def test_views_per_article_follows_the_scripts_rule(sent: int) -> None:
    assert views_per_article([sent, 7], ARTICLES) == database_after((sent, 7))


def test_the_tally_is_read_from_wrks_output_and_summed_over_runs() -> None:
    out = "Requests/sec: 1.0\nHH-ACCOUNTING sent=10,20 counted=29 other=1 drain=400\n"
    tally = parse_tally(out)
    assert tally == ClientTally((10, 20), counted=29, other=1)
    total = sum_tallies([tally, ClientTally((5,), counted=4, other=0)])
    assert (total.sent, total.counted, total.other, total.unanswered) == (35, 33, 1, 1)
    with pytest.raises(ValueError, match="HH-ACCOUNTING"):
        parse_tally("Requests/sec: 1.0\n")
