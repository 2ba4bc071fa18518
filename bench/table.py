"""Which builder turns which benchmark's result dict into rows and notes, in table order."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bench import editor_rows, rows, scale_rows
from bench.rows import Row

Builder = tuple[Callable[[Any], list[Row]], Callable[[Any], list[str]]]
BUILDERS: dict[str, Builder] = {
    "pages": (rows.page_rows, rows.page_notes),
    "beacons": (rows.beacon_rows, rows.beacon_notes),
    "bot_matcher": (rows.bot_matcher_rows, rows.bot_matcher_notes),
    "views_memory": (rows.views_memory_rows, rows.views_memory_notes),
    "publish_to_live": (scale_rows.publish_rows, scale_rows.publish_notes),
    "render_vs_hugo": (scale_rows.build_rows, scale_rows.build_notes),
    "memory": (rows.memory_rows, rows.memory_notes),
    "memory_at_scale": (rows.memory_rows, rows.memory_notes_at_scale),
    "editor_screens": (editor_rows.editor_rows, editor_rows.editor_notes),
    "first_run": (rows.first_run_rows, rows.first_run_notes),
}


def build(results: Mapping[str, Any], *, lenient: bool = False) -> tuple[list[Row], list[str]]:
    """Rows and notes of every benchmark that produced a result, in the suite's order.
    ``lenient`` (re-rendering an old archive): a result this code cannot read is left out
    with a note; otherwise the error is raised, so a builder's bug fails the run."""
    found: list[Row] = []
    notes: list[str] = []
    for name, (make_rows, make_notes) in BUILDERS.items():
        result = results.get(name)
        if result is None:
            continue
        try:
            made, said = make_rows(result), make_notes(result)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if not lenient:
                raise
            # An archive from before this result's current shape: say so, keep the rest.
            notes.append(f"The {name} result of this archive is in an earlier shape this "
                         f"report cannot read ({type(exc).__name__}: {exc}); its rows are "
                         "left out.")  # fmt: skip
            continue
        found += made
        notes += said
    return found, notes
