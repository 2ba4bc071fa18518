"""Rendering: the Jinja2 environment (autoescaped), pages and the static files' names.

Static files are served under names that carry a hash of their content
(``editor.3f2a9c1b0d.css``), so they can be cached for a year: a changed file is a new name.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse

from services.articles import review, tokens

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"


@dataclass(frozen=True)
class StaticFile:
    content: bytes
    media_type: str


@cache
def static_files() -> tuple[dict[str, str], dict[str, StaticFile]]:
    """(logical name → URL, hashed name → file), read once per process."""
    urls: dict[str, str] = {}
    files: dict[str, StaticFile] = {}
    for path in sorted(STATIC_DIR.iterdir()):
        if not path.is_file() or path.suffix not in (".js", ".css"):
            continue
        content = path.read_bytes()
        digest = hashlib.sha256(content).hexdigest()[:10]
        hashed = f"{path.stem}.{digest}{path.suffix}"
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        files[hashed] = StaticFile(content, f"{media_type}; charset=utf-8")
        urls[path.name] = f"/editor/static/{hashed}"
    return urls, files


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["static"] = lambda name: static_files()[0][name]
    # What a user's role allows, by the API's own rule (tokens.ROLE_GRANTS), e.g. whether
    # the navigation shows the admin screens.
    env.globals["grants"] = lambda user, needed: tokens.role_grants(user.role, needed)
    # Whether an article may be submitted for review, by the rule itself (review.SUBMITTABLE).
    env.globals["submittable"] = lambda article: article.status in review.SUBMITTABLE
    return env


def render(
    template: str, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    context.setdefault("user", None)
    context.setdefault("csrf_token", "")
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=headers)


def error_page(
    status: int, title: str, message: str, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    return render("error.html", status, headers, title=title, message=message, **context)
