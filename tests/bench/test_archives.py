"""The committed results files are what the report makes of the committed archives: every
archive still renders, and bench/results.md and bench/results-large.md are the renderings of
the newest archive of each kind, figure for figure."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.report import COMMANDS, render_markdown, stem_of
from bench.table import build

ROOT = Path(__file__).resolve().parents[2]
ARCHIVES = sorted((ROOT / "bench" / "results").glob("*.json"))
LARGE = sorted((ROOT / "bench" / "results" / "large").glob("*.json"))
RENDERER_LINE = "- Table rendered from the archive by the report code"
EARLIER_SHAPE = "in an earlier shape this report cannot read"
# Archives whose results predate a builder's current shape (named, so that a builder that
# stops reading a newer archive fails here instead of turning into a note).
OLD_SHAPES = {"2026-11-27T0020Z-d6902741e5a0.json": {"publish_to_live"}}


def command_of(path: Path) -> str:
    stem = stem_of(path)
    assert stem is not None, path
    return COMMANDS[stem]


def without_renderer_line(markdown: str) -> str:
    """The table without the line naming the report code's commit, which moves with every
    change of that code while the figures and verdicts of an old run stay what they were."""
    return "\n".join(line for line in markdown.splitlines() if not line.startswith(RENDERER_LINE))


@pytest.mark.parametrize("path", ARCHIVES + LARGE, ids=[p.name for p in ARCHIVES + LARGE])
def test_every_committed_archive_renders_every_result(path: Path) -> None:
    saved = json.loads(path.read_text())
    text = render_markdown(saved, command_of(path), lenient=True)
    assert "## Figures" in text and text.count("\n| ") > 2  # a header row and rows
    unread = {name for name in saved["results"] if f"The {name} result of" in text}
    assert unread == OLD_SHAPES.get(path.name, set())
    assert (EARLIER_SHAPE in text) == bool(unread)


def test_a_result_in_an_earlier_shape_is_a_note_when_lenient_and_an_error_otherwise() -> None:
    old: dict[str, Any] = {"publish_to_live": {"p50_ms": 30.0, "p95_ms": 50.0}}  # pre-"runs"
    rows, notes = build(old, lenient=True)
    assert rows == [] and len(notes) == 1
    assert notes[0].startswith(f"The publish_to_live result of this archive is {EARLIER_SHAPE}")
    with pytest.raises(KeyError, match="runs"):
        build(old)


@pytest.mark.parametrize(
    ("archives", "results"),
    [(ARCHIVES, "results.md"), (LARGE, "results-large.md")],
    ids=["make-bench", "make-bench-large"],
)
def test_the_results_file_is_the_rendering_of_the_newest_archive(
    archives: list[Path], results: str
) -> None:
    assert archives, "no archive committed: the results file would have no source"
    newest = archives[-1]
    rendered = render_markdown(json.loads(newest.read_text()), command_of(newest))
    committed = (ROOT / "bench" / results).read_text()
    assert without_renderer_line(committed) == without_renderer_line(rendered)


def test_an_archive_belongs_to_the_results_file_of_its_directory() -> None:
    assert stem_of(ROOT / "bench/results/x.json") == "results"
    assert stem_of(ROOT / "bench/results/large/x.json") == "results-large"
    assert stem_of(Path("/tmp/x.json")) is None
    assert stem_of(ROOT / "bench/results/first-run/x.json") is None
    assert stem_of(Path("/tmp/large/x.json")) is None  # "large" but not under results/


def run_report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench.report", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """Where the report writes in these tests: never the checkout's bench/."""
    (tmp_path / "out").mkdir()
    return tmp_path / "out"


def test_the_report_writes_an_archive_into_its_own_results_file(out: Path) -> None:
    done = run_report(str(LARGE[-1]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["results-large.md", "results-large.png"]
    assert "Full run of `make bench-large`" in (out / "results-large.md").read_text()


def test_the_report_refuses_to_write_an_archive_into_the_other_results_file(out: Path) -> None:
    done = run_report(str(LARGE[-1]), "--stem", "results", "--out", str(out))
    assert done.returncode == 2
    assert "make bench-large archive" in done.stderr
    assert list(out.iterdir()) == []


def test_the_report_refuses_an_archive_from_outside_the_results_directories(
    tmp_path: Path, out: Path
) -> None:
    copied = tmp_path / "copied.json"
    shutil.copy(LARGE[-1], copied)
    done = run_report(str(copied), "--out", str(out))
    assert done.returncode == 2 and "not in a results/ or results/large/ directory" in done.stderr
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        ("[1, 2]", "is not a benchmark archive"),
        ('{"conditions": {}, "results": {}, "name": "x"}', "is not a benchmark archive"),
        (
            '{"conditions": {}, "results": [], "name": "x", "errors": [], "quick": false, '
            '"elapsed_s": 1}',
            "is not a readable benchmark archive",
        ),
    ],
    ids=["not-json", "a-list", "keys-missing", "results-a-list"],
)
def test_the_report_answers_a_broken_archive_with_a_message(
    tmp_path: Path, out: Path, content: str, message: str
) -> None:
    (tmp_path / "results").mkdir()
    broken = tmp_path / "results" / "broken.json"
    broken.write_text(content)
    done = run_report(str(broken), "--out", str(out))
    assert done.returncode == 2 and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert list(out.iterdir()) == []


def test_the_report_answers_a_missing_archive_with_a_message(tmp_path: Path) -> None:
    done = run_report(str(tmp_path / "results" / "nope.json"))
    assert done.returncode == 2 and "no such archive" in done.stderr
    assert "Traceback" not in done.stderr
