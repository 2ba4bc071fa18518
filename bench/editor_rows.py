"""Rows and notes of bench/editor_screens.py (every editor screen's response time)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bench.rows import Figure, Row, ratio_row


def editor_rows(r: Mapping[str, Any]) -> list[Row]:
    return [
        ratio_row(
            f"Editor: slowest screen's p95, {r['articles']:,} articles",
            Figure(r["slowest_p95_ms"], "ms", r["slowest"], f"p95 of {r['requests']}"),
            Figure(r["target_ms"], "ms", "target"),
            "<= 1.0x",
        )
    ]


def editor_notes(r: Mapping[str, Any]) -> list[str]:
    screens = "; ".join(f"{name} {t['p95_ms']} ms" for name, t in sorted(r["screens"].items()))
    return [
        f"Editor screens (bench/editor_screens.py): one articles API process on SQLite with "
        f"{r['articles']:,} published articles, a signed-in admin, {r['requests']} requests "
        f"per screen over loopback. p95 per screen: {screens}. The same server's /healthz: "
        f"p95 {r['healthz']['p95_ms']} ms, median {r['healthz']['median_ms']} ms."
    ]
