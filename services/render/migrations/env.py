"""Alembic environment of the render service (run through shared.db.migrate)."""

from services.render.models import Base
from shared.db import run_alembic_env

run_alembic_env(Base.metadata)
