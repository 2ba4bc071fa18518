"""bench.publish_sql runs end to end on a small SQLite read model and prints what it claims:
the applies' p50 and max, then the statements by total time."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import publish_sql
from shared.settings import sqlite_url


def test_the_diagnosis_times_every_apply_and_ranks_the_statements(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    publish_sql.measure(sqlite_url(tmp_path / "render.db"), 120, tmp_path, analyze=False)
    out = capsys.readouterr().out
    head = re.search(r"120 articles: (\d+) applies, p50 ([\d.]+) / max ([\d.]+) ms", out)
    assert head, out
    assert int(head[1]) == publish_sql.PUBLISHES  # counted from the timings taken
    assert 0 < float(head[2]) <= float(head[3])
    statements = re.findall(r"^\s+([\d.]+) ms in\s+(\d+) calls  (\S+)", out, re.MULTILINE)
    assert 1 <= len(statements) <= 8
    totals = [float(t) for t, _, _ in statements]
    assert totals == sorted(totals, reverse=True)
    assert any(sql.upper().startswith(("INSERT", "UPDATE")) for _, _, sql in statements)


def test_the_p50_is_interpolated_and_the_statements_ranked_by_total_time() -> None:
    spent = {f"SELECT {i}": [float(i)] * 2 for i in range(10)}
    out = publish_sql.summary(1_000, [4.0, 1.0, 3.0, 2.0], spent)
    # The median of an even count lies between the middle two: 2.5, not the upper one (3.0).
    assert out.splitlines()[0] == (
        "1,000 articles: 4 applies, p50 2.5 / max 4.0 ms; statements by total time:"
    )
    assert [line.split("calls  ")[1] for line in out.splitlines()[1:]] == [
        f"SELECT {i}" for i in range(9, 1, -1)
    ]
