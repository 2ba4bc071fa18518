"""docs/reliability.md's table of fault drills, made from the records the drills leave
(tests/reliability/results/<drill>.json, written by each drill after its assertions passed).

    make reliability-doc    # run the drills with HEALTHHUB_RECORD_DRILLS=1, then this module
    python -m tests.reliability.report    # only rewrite the table from the records

tests/test_reliability_doc.py fails when the table and the records disagree, so a figure in
the table is always one a drill measured, never one typed in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "reliability.md"
RESULTS = Path(__file__).resolve().parent / "results"
BEGIN = (
    "<!-- drills:begin: made by `make reliability-doc` from tests/reliability/results/*.json; "
    "do not edit -->"
)
END = "<!-- drills:end -->"
# The order of the rows; a drill not listed goes last, by name.
ORDER = ("redis-sigkill", "redis-sigstop", "views-processes-sigkill", "views-redis-full")


def records(results: Path = RESULTS) -> list[dict[str, Any]]:
    found = [json.loads(p.read_text()) for p in sorted(results.glob("*.json"))]
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(found, key=lambda r: (rank.get(r["drill"], len(ORDER)), r["drill"]))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| drill | scenario | what the test does | what it checks | measured (last recorded run) "
        "| recorded (commit, UTC) |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        when = f"`{r['commit']}`, {r['recorded_at']}" if "commit" in r else "not recorded"
        cells = (f"`{r['drill']}`", r["scenario"], r["does"], r["checks"], r["figure"], when)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def block(rows: list[dict[str, Any]]) -> str:
    return f"{BEGIN}\n{table(rows)}\n{END}"


def current_block(doc: str) -> str | None:
    match = re.search(re.escape(BEGIN) + r".*?" + re.escape(END), doc, flags=re.DOTALL)
    return match[0] if match else None


def main() -> None:
    doc = DOC.read_text()
    old = current_block(doc)
    if old is None:
        raise SystemExit(f"{DOC} has no drills block ({BEGIN} ... {END})")
    DOC.write_text(doc.replace(old, block(records())))
    print(f"{DOC.relative_to(ROOT)}: {len(records())} drill(s)")


if __name__ == "__main__":
    main()
