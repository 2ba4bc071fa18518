"""The configuration reference (docs/operations.md) is the one the settings models produce."""

from __future__ import annotations

from pathlib import Path

from services.settings_reference import markdown, rows

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def test_the_reference_lists_every_setting_as_the_models_define_it() -> None:
    assert markdown() in REFERENCE.read_text(), (
        "docs/operations.md is stale: paste `healthhub settings` into it"
    )


def test_every_setting_says_what_it_is() -> None:
    assert [env for env, *_, description in rows() if not description] == []
