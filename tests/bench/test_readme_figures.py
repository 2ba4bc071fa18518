"""README.md and docs/ quote benchmark figures only from the latest results files.

What is checked: every section of README.md whose heading contains "benchmark" (any case,
any level), down to the next heading of the same or a higher level. A figure there is a
number followed by a unit of measurement: req/s, beacons/s, views, ms, µs (us), s, MB, or a
ratio written x or with the multiplication sign, as in "19,796 req/s", "135.3 ms", "2.24x".
Each must appear in bench/results.md written the same way (digits, separators and decimals;
x or the multiplication sign, µs or us, and a space before the unit do not matter). A README that rounds "19,796 req/s" to
"about 20k req/s" fails: it no longer quotes the results file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RESULTS = ROOT / "bench" / "results.md"
RESULTS_LARGE = ROOT / "bench" / "results-large.md"  # make bench-large
DOCS = sorted((ROOT / "docs").glob("*.md"))

UNITS = r"req/s|beacons/s|views|ms|µs|us|s|MB|x|×"
FIGURE = re.compile(
    rf"(?<![\w.,/-])(\d{{1,3}}(?:,\d{{3}})+|\d+)(\.\d+)?[ \u00a0\u202f]?({UNITS})(?![\w/])"
)
HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def figures(text: str) -> list[str]:
    """Every figure in `text`, normalised: "2.24 x" and "2.24x" (or with the multiplication
    sign) are all "2.24x"."""
    found = []
    for whole, decimals, unit in FIGURE.findall(text):
        unit = {"×": "x", "µs": "us"}.get(unit, unit)
        found.append(f"{whole}{decimals}{unit}")
    return found


def figure_sections(markdown: str) -> dict[str, str]:
    """Heading -> text of every section whose heading mentions benchmarks (code blocks
    included: a figure in an example is still quoted)."""
    sections: dict[str, str] = {}
    open_level, current = 0, ""
    fenced = False
    for line in markdown.splitlines():
        fenced ^= line.startswith("```")
        heading = None if fenced else HEADING.match(line)
        if heading and open_level and len(heading.group(1)) <= open_level:
            open_level = 0
        if heading and not open_level and "benchmark" in heading.group(2).lower():
            open_level, current = len(heading.group(1)), heading.group(2).strip()
            sections[current] = ""
        elif open_level:
            sections[current] += line + "\n"
    return sections


def unquoted(readme: str, results: str) -> list[str]:
    """The README's figures that bench/results.md does not contain."""
    sections = figure_sections(readme)
    if not sections:
        raise AssertionError("README has no benchmark section: nothing would be checked")
    available = set(figures(results))
    return [f for text in sections.values() for f in figures(text) if f not in available]


RESULTS_SAMPLE = """
| Page reads: embedded page server | 19,796 req/s (page server, median of 5) | 997 req/s |
| Views accepted | 364,660 views (counted) | 364,660 views (accepted) | difference +0 |
| Publish-to-live p95 | 135.3 ms (p95 of 30) | 150.0 ms (target) | 0.90x |
"""


def test_the_readme_quotes_only_figures_of_the_latest_results_file() -> None:
    readme = README.read_text()
    assert unquoted(readme, RESULTS.read_text()) == []


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_the_docs_quote_only_figures_of_the_latest_results_files(doc: Path) -> None:
    """A page of docs/ may have no benchmark section; one that has is held to the README's
    rule, against both results files (bench-large writes the second)."""
    results = RESULTS.read_text() + (RESULTS_LARGE.read_text() if RESULTS_LARGE.exists() else "")
    available = set(figures(results))
    sections = figure_sections(doc.read_text())
    assert [f for text in sections.values() for f in figures(text) if f not in available] == []


def test_the_readme_quotes_figures_and_links_the_results_file() -> None:
    sections = figure_sections(README.read_text())
    quoted = [f for text in sections.values() for f in figures(text)]
    assert len(quoted) >= 3, "the benchmark sections quote no figures: the check would be empty"
    assert any("(bench/results.md)" in text for text in sections.values())


def test_a_figure_typed_into_the_readme_is_caught() -> None:
    readme = (
        "# Project\n\n## Benchmarks\n\n"
        "The page server answers 19,796 req/s, 19.85x a FastAPI route, and publishes go live "
        "within 135.3 ms; accepted 364,660 views. Hugo took 31.5 s.\n\n"
        "## Configuration\n\nA flush every 5 s.\n"
    )
    # 31.5 s is not in the results; "5 s" is outside the benchmark sections.
    assert unquoted(readme, RESULTS_SAMPLE) == ["19.85x", "31.5s"]


def test_a_rounded_or_stale_figure_is_caught() -> None:
    readme = "## Views benchmark\n\n| throughput | 2,505 req/s | 19,800 req/s | 2.24× |\n"
    assert unquoted(readme, RESULTS_SAMPLE) == ["2,505req/s", "19,800req/s", "2.24x"]


def test_figures_are_recognised_however_they_are_written() -> None:
    text = "19,796 req/s, 2.24×, 2.24 x, 81.9 µs, 5,907.9 ms, 366.5 MB, 12 s, 364,660 views"
    assert figures(text) == ["19,796req/s", "2.24x", "2.24x", "81.9us", "5,907.9ms",
                             "366.5MB", "12s", "364,660views"]  # fmt: skip
    # Not figures: flags, names, versions, ranges of words.
    assert figures("wrk -t1 -c32 -d5s, -d5s, nginx/1.22.1, x86_64, 5-second rounds, 2x2") == []


def test_a_readme_without_benchmark_section_is_refused() -> None:
    with pytest.raises(AssertionError, match="no benchmark section"):
        unquoted("# Project\n\nFast: 19,796 req/s.\n", RESULTS_SAMPLE)


def test_a_section_ends_at_the_next_heading_of_its_level() -> None:
    readme = "## Benchmarks\n\n### Pages\n\n1.5x\n\n## Other\n\n2.5x\n"
    assert list(figure_sections(readme)) == ["Benchmarks"]
    assert figures(figure_sections(readme)["Benchmarks"]) == ["1.5x"]
