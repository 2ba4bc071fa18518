"""Workers serve no HTTP API: importing a worker and its tasks must not import FastAPI
(shared.http_metrics holds the APIs' middleware apart from shared.observability)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("service", ["render", "views", "articles"])
def test_a_worker_and_its_tasks_do_not_import_fastapi(service: str) -> None:
    code = (
        f"import sys, services.{service}.worker, services.{service}.tasks\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
