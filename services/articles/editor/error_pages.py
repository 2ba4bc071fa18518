"""Error pages for answers the editor's own code never sees.

Under /editor some answers are made by the API's machinery, in problem+json: a method no
route takes (405, from the router), a form that does not parse (422, FastAPI's validation),
a body over the size limit (413, shared/limits.py, before any route runs). A browser would
show raw JSON. This middleware, for /editor paths only, replaces such an answer with the
editor's HTML error page: the same status, the problem's title and detail, and the same
headers (Allow, Retry-After...). The API's handlers stay as they are; the API is untouched.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.articles.editor import pages
from services.articles.editor.security import under_editor
from shared.problems import PROBLEM_JSON

_REPLACED = {"content-type", "content-length"}


def _problem(body: bytes) -> dict[str, Any]:
    try:
        found = json.loads(body)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


class HtmlErrors:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not under_editor(scope):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        body = bytearray()

        async def intercept(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                if headers.get("content-type", "").startswith(PROBLEM_JSON):
                    start = message  # held until its body is complete
                    return
            elif start is not None and message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._page(start, bytes(body), scope, receive, send)
                return
            await send(message)

        await self.app(scope, receive, intercept)

    async def _page(
        self, start: Message, body: bytes, scope: Scope, receive: Receive, send: Send
    ) -> None:
        status: int = start["status"]
        problem = _problem(body)
        title = str(problem.get("title") or "Request refused")
        detail = str(problem.get("detail") or "The request could not be handled.")
        response = pages.error_page(status, title, detail)
        for name, value in start.get("headers", []):
            if name.decode("latin-1").lower() not in _REPLACED:
                response.headers.append(name.decode("latin-1"), value.decode("latin-1"))
        await response(scope, receive, send)
