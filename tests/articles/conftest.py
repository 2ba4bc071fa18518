"""Fixtures of the articles tests: a migrated database with the test categories."""

from __future__ import annotations

import pytest

from services.articles.settings import ArticlesSettings
from tests.helpers import seed_categories


@pytest.fixture
def settings(articles_settings: ArticlesSettings) -> ArticlesSettings:
    seed_categories(articles_settings)
    return articles_settings
