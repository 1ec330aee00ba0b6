"""A ceiling on every request body, so that no route reads more than it could ever accept.

Form posts (logging in, pool postings, model text) may be at most TOTALPLACE_MAX_FORM_BYTES; the routes that
stream uploads (``upload_stream.UPLOAD_PATHS``) the import limit plus room for the form. A Content-Length past
the ceiling is answered 413 before anything is read; a body that runs past it (chunked, or a Content-Length
that lied) is cut off as soon as it does. Starlette's own form parser holds a urlencoded body whole in memory
before a route sees who sent it; this is what bounds that.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from totalplace import settings
from totalplace.errors import RequestTooLargeError, TotalplaceError
from totalplace.web.upload_stream import UPLOAD_PATHS, body_limit

RenderError = Callable[[Request, TotalplaceError], Awaitable[Response]]


def limit_for(path: str) -> int:
    """The largest body a request to ``path`` may send."""
    return body_limit() if path in UPLOAD_PATHS else settings.get_int("max_form_bytes")


def _refusal(limit: int) -> RequestTooLargeError:
    return RequestTooLargeError(
        f"the request body is larger than {limit:,} bytes, so it was refused without being read further",
        hint="send less; the limits are TOTALPLACE_MAX_FORM_BYTES and TOTALPLACE_MAX_IMPORT_BYTES",
    )


class BodyLimitMiddleware:
    """Answers 413 (TP205) for a body past its path's limit, by Content-Length or as it arrives."""

    def __init__(self, app: ASGIApp, *, render: RenderError) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope["path"])
        if _declared_length(scope) > limit:
            await self._answer(scope, receive, send, limit)
            return
        metered = _MeteredBody(receive, send, limit)
        try:
            await self.app(scope, metered.receive, metered.send)
        except Exception:
            if not metered.exceeded:
                raise
        if metered.exceeded and not metered.started:
            await self._answer(scope, receive, send, limit)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = await self.render(Request(scope, receive), _refusal(limit))
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)


def _declared_length(scope: Scope) -> int:
    """The request's Content-Length, or 0 when it gives none a number (the body is then counted as read)."""
    declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
    return int(declared) if declared is not None and declared.strip().isdigit() else 0


class _MeteredBody:
    """One request's body, counted as the app reads it: past the limit, reading raises the refusal and the
    app's own answer to the cut-off body is held back, so the 413 is sent instead."""

    def __init__(self, receive: Receive, send: Send, limit: int) -> None:
        self._receive = receive
        self._send = send
        self.limit = limit
        self.received = 0
        self.exceeded = False
        self.started = False

    async def receive(self) -> Message:
        """The next message of the body, or the refusal once the body passes the limit."""
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                self.exceeded = True
                raise _refusal(self.limit)
        return message

    async def send(self, message: Message) -> None:
        """Pass the app's answer on, unless the body was cut off before the answer started."""
        if self.exceeded and not self.started:
            return  # the app's answer to the cut-off body is replaced by the 413
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)
