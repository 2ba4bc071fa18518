"""Fault scenarios run against the real platform (tests/e2e/stack.py), bounded in time."""

from __future__ import annotations

import pytest

pytest_plugins = ["tests.e2e.conftest"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.e2e)
