"""Alembic environment of the views service (run through shared.db.migrate)."""

from services.views.models import Base
from shared.db import run_alembic_env

run_alembic_env(Base.metadata)
