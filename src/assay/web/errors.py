"""One JSON error shape for the API, a plain error page for people.

{"error": {"status": 404, "code": "not_found", "message": "...", "hint": "..."}}
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException

from assay.errors import (
    AssayError,
    InputError,
    LimitExceeded,
    StoreError,
    ToolMissing,
    UsageError,
)
from assay.registry import Forbidden, NotFound

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    411: "length_required",
    413: "too_large",
    422: "invalid_request",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error a route raises on purpose: status, one-line message, what to do."""

    def __init__(self, status: int, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.hint = status, message, hint


MAX_TEXT = 500  # an error is one line: a message naming 40,000 unknown keys is cut


def error_body(status: int, message: str, hint: str = "") -> dict[str, Any]:
    return {
        "error": {
            "status": status,
            "code": CODES.get(status, "error"),
            "message": _line(message),
            "hint": _line(hint),
        }
    }


def _line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "\u2026"


def status_of(err: AssayError) -> int:
    if isinstance(err, NotFound):
        return 404
    if isinstance(err, Forbidden):
        return 403
    if isinstance(err, LimitExceeded):
        return 413
    if isinstance(err, StoreError):
        return 503
    if isinstance(err, ToolMissing):
        return 503
    return 400 if isinstance(err, InputError | UsageError) else 500


def _respond(request: Request, status: int, message: str, hint: str = "") -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse(error_body(status, message, hint), status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "message": _line(message), "hint": _line(hint)},
        status_code=status,
    )


def install(app: FastAPI) -> None:
    """Route every error through ``_respond``."""

    @app.exception_handler(ApiError)
    async def _api(request: Request, err: ApiError) -> Response:
        return _respond(request, err.status, err.message, err.hint)

    @app.exception_handler(AssayError)
    async def _assay(request: Request, err: AssayError) -> Response:
        return _respond(request, status_of(err), err.message, err.hint)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, err: HTTPException) -> Response:
        message = err.detail if isinstance(err.detail, str) else "request failed"
        if err.status_code == 404:
            message = f"nothing at {request.url.path}"
        return _respond(request, err.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> Response:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return _respond(
            request,
            422,
            f"{where}: {first.get('msg', 'invalid request')}",
            "see /docs for the expected parameters",
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, err: Exception) -> Response:
        return _respond(
            request,
            500,
            f"internal error ({err.__class__.__name__})",
            "report this to the registry operator",
        )


__all__ = ["ApiError", "HTMLResponse", "error_body", "install", "status_of"]
