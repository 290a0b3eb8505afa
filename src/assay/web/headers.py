"""Security headers on every response: a Content-Security-Policy with no inline script,
``X-Content-Type-Options: nosniff``, ``frame-ancestors 'none'`` (and its older twin
``X-Frame-Options: DENY``), no referrer leaving the site.

Pages use ``/static`` files only. Some pages are not ours to rewrite and get a policy of their
own: the developer report (one self-contained HTML file; its ``<style>`` is allowed by hash,
see ``report_policy``) and the API documentation, ``/docs`` and ``/redoc`` (their inline
script is allowed by hash, their files come from this site: ``web.docs``; the UIs set inline
styles, and ReDoc runs its search in a ``blob:`` worker).

``HeadAsGet`` answers HEAD on every GET route: the GET response's status and headers, no body.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
NONE = "'none'"
DOCS_PATHS = ("/docs", "/docs/oauth2-redirect", "/redoc")
_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)
_STYLE = re.compile(r"<style>(.*?)</style>", re.S)
COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


def _hash(data: bytes) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(data).digest()).decode() + "'"


def report_policy(html: str) -> str:
    """The policy of a developer report: no script at all; its own ``<style>`` blocks in the
    document head by hash; inline style attributes (bar widths) allowed."""
    head = html.split("</head>", 1)[0]
    hashes = " ".join(_hash(m.encode()) for m in _STYLE.findall(head))
    return (
        f"default-src 'none'; script-src 'none'; style-src-elem {hashes or NONE}; "
        "style-src-attr 'unsafe-inline'; img-src data:; form-action 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )


def _docs_policy(body: bytes) -> str:
    hashes = " ".join(_hash(m) for m in _SCRIPT.findall(body))
    return (
        f"default-src 'none'; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src blob:; "
        "base-uri 'none'; frame-ancestors 'none'"
    )


class SecurityHeaders:
    """ASGI middleware: adds the headers above to every HTTP response (a policy a route set
    itself is kept)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope.get("path") in DOCS_PATHS:
            await self._buffered(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _add(list(message.get("headers", [])), None)
            await send(message)

        await self.app(scope, receive, with_headers)

    async def _buffered(self, scope: Scope, receive: Receive, send: Send) -> None:
        """``/docs``: small, made by FastAPI from its settings; its scripts are hashed."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def collect(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    body = b"".join(chunks)
                    start["headers"] = _add(list(start.get("headers", [])), _docs_policy(body))
                    await send(start)
                    await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, collect)


def _add(headers: list[tuple[bytes, bytes]], policy: str | None) -> list[tuple[bytes, bytes]]:
    names = {k.lower() for k, _ in headers}
    if b"content-security-policy" not in names:
        if policy is None:
            kind = dict(headers).get(b"content-type", b"")
            policy = PAGE_POLICY if kind.startswith(b"text/html") else OTHER_POLICY
        headers.append((b"content-security-policy", policy.encode()))
    headers.extend((k, v) for k, v in COMMON if k not in names)
    return headers


class HeadAsGet:
    """ASGI middleware: a HEAD request runs as GET and its body is dropped (the headers,
    ``content-length`` included, stay those of the GET)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
