"""Alembic environment of the articles service (run through shared.db.migrate)."""

from services.articles.models import Base
from shared.db import run_alembic_env

run_alembic_env(Base.metadata)
