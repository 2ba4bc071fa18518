"""docs/reliability.md shows exactly what the fault drills recorded: one row per drill that
records, each figure as the drill measured it (tests/reliability/report.py)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.reliability import report

DRILLS = Path(__file__).resolve().parent / "reliability"


def test_the_drills_table_is_the_one_the_records_make() -> None:
    doc = report.DOC.read_text()
    assert report.current_block(doc) == report.block(report.records()), (
        "docs/reliability.md is stale: run `make reliability-doc` after the drills"
    )


def test_every_drill_that_records_has_a_record_and_a_row() -> None:
    recorded_by_tests = {
        name
        for path in DRILLS.glob("test_*.py")
        for name in re.findall(r'record\(\s*"([a-z0-9-]+)"', path.read_text())
    }
    assert recorded_by_tests >= set(report.ORDER)
    assert {r["drill"] for r in report.records()} == recorded_by_tests


def test_a_changed_figure_shows_in_the_table() -> None:
    """The check above can fail: a record that differs from the doc makes another block."""
    rows = report.records()
    assert rows, "no drill records"
    rows[0] = {**rows[0], "figure": rows[0]["figure"] + " (changed)"}
    assert report.block(rows) != report.current_block(report.DOC.read_text())
