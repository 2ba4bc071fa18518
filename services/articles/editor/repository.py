"""Every query of the editor's own tables (users, sessions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from services.articles.models import EditorSession, User


def get_user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).one_or_none()


def list_users(session: Session) -> Sequence[User]:
    return session.scalars(select(User).order_by(User.email)).all()


def get_session(session: Session, id_hash: str) -> EditorSession | None:
    return session.get(EditorSession, id_hash)


def delete_session(session: Session, id_hash: str) -> None:
    session.execute(delete(EditorSession).where(EditorSession.id_hash == id_hash))


def delete_user_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(EditorSession).where(EditorSession.user_id == user_id))


def delete_expired_sessions(session: Session, now: datetime) -> None:
    session.execute(
        delete(EditorSession).where(
            or_(EditorSession.idle_expires_at <= now, EditorSession.absolute_expires_at <= now)
        )
    )
