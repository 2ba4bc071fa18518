"""Pieces of `healthhub up` that a full start (tests/test_first_run.py) cannot reach
cheaply: the start time `make up` passes, waiting for the sample page without stopping the
platform, and the editor token file's mode."""

from __future__ import annotations

import http.server
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.up import parse_started, wait_for_page, write_private
from tests.resources import free_port


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1795755697.0155907", 1795755697.0155907), ("1795755697", 1795755697.0)],
)
def test_the_start_time_make_up_passes_is_read(value: str, expected: float) -> None:
    assert parse_started(value) == expected


@pytest.mark.parametrize("value", [None, "", "1795755697.N", "nan", "inf", "soon"])
def test_a_missing_or_unparsable_start_time_is_left_out(value: str | None) -> None:
    assert parse_started(value) is None  # BSD `date +%s.%N` prints "1795755697.N"


@pytest.fixture
def page_server() -> Iterator[str]:
    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/page" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", free_port()), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_waiting_for_a_page_says_whether_it_was_served(page_server: str) -> None:
    assert wait_for_page(f"{page_server}/page", timeout=5) is True
    # Not served (404, or nobody listening): False after the timeout, no exception, so
    # `up` warns and keeps the platform running.
    assert wait_for_page(f"{page_server}/missing", timeout=0.5) is False
    assert wait_for_page(f"http://127.0.0.1:{free_port()}/page", timeout=0.5) is False


def test_the_token_file_is_never_readable_by_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = tmp_path / "dev-token"
    with monkeypatch.context() as m:
        # No chmod after the fact: the mode must be the one the file was created with.
        m.setattr(os, "chmod", lambda *a, **k: None)
        m.setattr(os, "fchmod", lambda *a, **k: None)
        old_umask = os.umask(0)  # what would make a plain create world-readable
        try:
            write_private(new, "hh_secret\n")
        finally:
            os.umask(old_umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert new.read_text() == "hh_secret\n"
    # A file left by an older run, readable by all: narrowed, and overwritten.
    new.chmod(0o644)
    write_private(new, "hh_other\n")
    assert stat.S_IMODE(new.stat().st_mode) == 0o600
    assert new.read_text() == "hh_other\n"
