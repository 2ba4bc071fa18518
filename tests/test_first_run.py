"""`make up` from a fresh clone, as a newcomer runs it: the output before the banner is one
progress line per step, the banner says how long the first page took, the sample page is
served, and Ctrl-C stops every process it started.

The clone gets this checkout's uncommitted changes too, so the test runs the code being
written. It creates the clone's own virtual environment from pip's cache (warm on a machine
that installed the project before), so it takes a minute or two; it runs on free ports.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from bench.first_run import BANNER, SAMPLE_PAGE, make_up

pytestmark = pytest.mark.e2e
STEPS = (
    "Creating the virtual environment",
    "Installing the runtime dependencies",
    "Starting the embedded Redis",
    "Migrating the databases",
    "Starting the services",
    "Loading the sample site",
)


@pytest.mark.timeout(900)
def test_make_up_in_a_fresh_clone_prints_only_progress_then_serves_the_sample_site(
    tmp_path: Path,
) -> None:
    with make_up(tmp_path, with_changes=True) as run:
        run.wait_for_page(timeout=600)
        run.wait_for_line(BANNER, timeout=60)
        at = next(i for i, line in enumerate(run.lines) if BANNER in line)
        before = [line for line in run.lines[:at] if line.strip()]
        assert all(line.startswith("==> ") for line in before), run.output()
        assert [next(s for s in STEPS if s in line) for line in before] == list(STEPS), before
        assert re.search(r"First page served \d+\.\d s after `make up` started", run.lines[at])

        # The editor's address and a first admin's sign-in, printed whole and working.
        editor = re.search(
            r"Editor +(http://\S+/editor/) +sign in as (\S+), password (\S+) ", run.output()
        )
        assert editor, run.output()
        url, email, password = editor.groups()
        with httpx.Client(base_url=url, timeout=10) as browser:
            form = browser.get("sign-in")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert form.status_code == 200 and csrf
            signed = browser.post(
                "sign-in", data={"email": email, "password": password, "csrf_token": csrf[1]}
            )
            assert signed.status_code == 303, signed.text
            articles = browser.get(url)
            assert articles.status_code == 200
            assert "Is osteoporosis an autoimmune disease?" in articles.text

        page = httpx.get(run.pages_url + SAMPLE_PAGE, timeout=10)
        assert page.status_code == 200
        assert "Is osteoporosis an autoimmune disease?" in page.text
        # Runtime dependencies only: none of the test tools, and only the runtime stamp.
        venv = run.clone / ".venv"
        assert not list((venv / "bin").glob("pytest*"))
        assert [p.name.rsplit("-", 1)[0] for p in venv.glob(".installed-*")] == [".installed-run"]
        assert run.stop(), "processes of `make up` were still running after Ctrl-C"
