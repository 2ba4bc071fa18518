"""Fault scenarios run against the real platform (tests/e2e/stack.py), bounded in time."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from tests.e2e.stack import Stack, start_stack


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="package")
def drill_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """One platform with sample content for the fault drills of a test worker (starting one
    costs more than a drill). Each drill leaves it running and measures from its own start;
    a 2 s scheduler lease, so a killed scheduler is replaced within a drill."""
    running = start_stack(tmp_path_factory.mktemp("drills"), HEALTHHUB_SCHEDULER_LEASE_SECONDS="2")
    try:
        running.cli("seed")
        yield running
    finally:
        if running.redis.proc is not None:
            os.kill(running.redis.proc.pid, signal.SIGCONT)
        running.stop()


@pytest.fixture(autouse=True)
def _drill_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if "drill_stack" in request.fixturenames and report is not None and report.failed:
        print(request.getfixturevalue("drill_stack").log())
