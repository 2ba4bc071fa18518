"""Full-text search behind one function: PostgreSQL tsvector/tsquery, SQLite FTS5.

Both indexes are built by migration 0002. On PostgreSQL the expression below must stay
identical to the indexed one, or the planner falls back to a sequential scan.
"""

from __future__ import annotations

import re

from sqlalchemy import ColumnElement, func, literal_column, select, table, text
from sqlalchemy.orm import Session

from services.articles.models import Article

# Stemming for English, the language of the sample site; the body is cut at 200 kB so the
# tsvector of even a 1 MB body stays under PostgreSQL's 1 MB tsvector limit.
PG_CONFIG = "english"
INDEXED_BODY_CHARS = 200_000
_WORD = re.compile(r"\w+", re.UNICODE)


def fts5_query(q: str) -> str | None:
    """The reader's words as an FTS5 query: every word must match (a prefix of the last one
    too, for search-as-you-type). Quoting each word means no input is FTS5 syntax, so no
    input can make the query fail."""
    words = _WORD.findall(q)
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def matches(session: Session, q: str) -> ColumnElement[bool]:
    """A WHERE clause: articles whose title, summary or body match the words of ``q``."""
    if session.get_bind().dialect.name == "postgresql":
        config: ColumnElement[str] = literal_column(f"'{PG_CONFIG}'::regconfig")
        document = func.to_tsvector(
            config,
            Article.title
            + literal_column("' '")
            + Article.summary
            + literal_column("' '")
            + func.left(Article.body, literal_column(str(INDEXED_BODY_CHARS))),
        )
        return document.op("@@")(func.websearch_to_tsquery(config, q))
    query = fts5_query(q)
    if query is None:
        return Article.id.is_(None)  # nothing searchable: match nothing
    fts = table("articles_fts")
    match = text("articles_fts MATCH :fts_query").bindparams(fts_query=query)
    return Article.id.in_(select(literal_column("rowid")).select_from(fts).where(match))
