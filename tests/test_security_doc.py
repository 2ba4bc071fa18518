"""SECURITY.md keeps its promises section, its reporting section and a production checklist
that names every secret the example environment file asks for."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_security_md_has_its_three_parts() -> None:
    text = (ROOT / "SECURITY.md").read_text()
    for heading in ("## What we promise", "## Reporting a problem", "## Production checklist"):
        assert heading in text, heading
    for promise in (
        "No reader is identified", "**Roles.**", "Content-Security-Policy", "**TLS at the edge.**",
        "Strict-Transport-Security", "**Roles per service.**", "**Secrets.**",
    ):  # fmt: skip
        assert promise in text, promise


def test_the_checklist_names_every_secret_of_the_example_env_file() -> None:
    text = (ROOT / "SECURITY.md").read_text()
    checklist = text.split("## Production checklist", 1)[1]
    secrets = [
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "CHANGE-ME" in line and not line.startswith("#")
    ]
    assert len(secrets) >= 7
    assert [name for name in secrets if f"`{name}`" not in checklist] == []
