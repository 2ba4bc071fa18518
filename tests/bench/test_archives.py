"""The committed results files are what the report makes of the committed archives: every
archive still renders, and bench/results.md and bench/results-large.md are the renderings of
the newest archive of each kind, figure for figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.report import COMMANDS, render_markdown, stem_of

ROOT = Path(__file__).resolve().parents[2]
ARCHIVES = sorted((ROOT / "bench" / "results").glob("*.json"))
LARGE = sorted((ROOT / "bench" / "results" / "large").glob("*.json"))
RENDERER_LINE = "- Table rendered from the archive by the report code"


def without_renderer_line(markdown: str) -> str:
    """The table without the line naming the report code's commit, which moves with every
    change of that code while the figures and verdicts of an old run stay what they were."""
    return "\n".join(line for line in markdown.splitlines() if not line.startswith(RENDERER_LINE))


@pytest.mark.parametrize("path", ARCHIVES + LARGE, ids=[p.name for p in ARCHIVES + LARGE])
def test_every_committed_archive_renders(path: Path) -> None:
    text = render_markdown(json.loads(path.read_text()), COMMANDS[stem_of(path)])
    assert "## Figures" in text and "| row | ours | anchor |" in text
    assert f"{path.parent.relative_to(ROOT).as_posix()}/{path.name}" in text  # its own path


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
    rendered = render_markdown(json.loads(newest.read_text()), COMMANDS[stem_of(newest)])
    committed = (ROOT / "bench" / results).read_text()
    assert without_renderer_line(committed) == without_renderer_line(rendered)


def test_an_archive_belongs_to_the_results_file_of_its_directory() -> None:
    assert stem_of(ROOT / "bench/results/x.json") == "results"
    assert stem_of(ROOT / "bench/results/large/x.json") == "results-large"


def run_report(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench.report", *args], cwd=ROOT,
                          capture_output=True, text=True, check=False, timeout=120)  # fmt: skip


def test_the_report_refuses_to_write_an_archive_into_the_other_results_file() -> None:
    before = (ROOT / "bench" / "results.md").read_bytes()
    done = run_report(str(LARGE[-1]), "--stem", "results")
    assert done.returncode == 2
    assert "make bench-large archive" in done.stderr
    assert (ROOT / "bench" / "results.md").read_bytes() == before


def test_the_report_answers_a_missing_or_broken_archive_with_a_message(tmp_path: Path) -> None:
    missing = run_report(str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "no such archive" in missing.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    done = run_report(str(broken))
    assert done.returncode == 2 and "cannot read" in done.stderr
    other = tmp_path / "other.json"
    other.write_text("[1, 2]")
    wrong = run_report(str(other))
    assert wrong.returncode == 2 and "not a benchmark archive" in wrong.stderr
    assert "Traceback" not in done.stderr + missing.stderr + wrong.stderr
