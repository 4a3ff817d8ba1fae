"""HTTP plumbing shared by every endpoint: auth, units of work, errors, query quirks."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import orjson
from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from revline.auth import service as auth_service
from revline.auth.service import Principal
from revline.config import Settings
from revline.errors import (
    ErrorDetail,
    MethodNotAllowed,
    NotFound,
    RateLimited,
    RevlineError,
    encodable,
)
from revline.errors import ValidationError as RevlineValidationError
from revline.kit import correlation
from revline.kit.db import Database
from revline.logging import log_event

logger = logging.getLogger("revline.api")

# Every answer carries the request's correlation id (errors also hold it in their body).
CORRELATION_HEADER = b"x-revline-correlation-id"


class PathQuirksMiddleware:
    """Accept the paths HubSpot clients send: a leading ``//`` and an optional trailing ``/``.

    The path is normalised before routing, so no redirect is ever answered. Each request also
    gets its correlation id here: kept in the request state, current while it is handled (so
    the jobs it enqueues carry it) and answered in the ``X-Revline-Correlation-Id`` header.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            clean = "/" + path.lstrip("/")
            if len(clean) > 1:
                clean = clean.rstrip("/") or "/"
            if clean != path:
                scope = dict(scope)
                scope["path"] = clean
                scope["raw_path"] = clean.encode()
            scope.setdefault("state", {})
            cid = str(uuid.uuid4())
            scope["state"]["correlation_id"] = cid

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((CORRELATION_HEADER, cid.encode()))
                    message = {**message, "headers": headers}
                await send(message)

            with correlation.bound(cid):
                await self.app(scope, receive, send_with_id)
            return
        await self.app(scope, receive, send)


def correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or uuid.uuid4())


def database(request: Request) -> Database:
    return request.app.state.db  # type: ignore[no-any-return]


def settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


@contextmanager
def unit_of_work(request: Request) -> Iterator[Session]:
    """The request's one transaction: committed when the block ends, rolled back on error."""
    with database(request).unit_of_work() as session:
        yield session


def require_token(request: Request) -> Principal:
    with unit_of_work(request) as session:
        principal = auth_service.authenticate(session, request.headers.get("authorization"))
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(require_token)]


def split_list(values: list[str] | None) -> list[str]:
    """Query lists arrive as repeated keys (``a=1&a=2``) or comma-separated (``a=1,2``)."""
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return list(dict.fromkeys(out))


def next_link(request: Request, after: str) -> str:
    base = settings(request).public_url
    url = request.url.include_query_params(after=after)
    if base:
        return base.rstrip("/") + url.path + "?" + url.query
    return str(url)


def paging(request: Request, after: str | None) -> dict[str, Any]:
    """HubSpot paging; omitted entirely on the last page (clients loop on an empty cursor)."""
    if not after:
        return {}
    return {"paging": {"next": {"after": after, "link": next_link(request, after)}}}


def parse_json_body(raw: bytes) -> Any:
    """A JSON request body (None when empty), for endpoints that take large bodies and read
    them themselves: orjson parses a 1,000-event batch several times faster than the standard
    library. JSON that orjson refuses but the standard allows (lone surrogate escapes) is
    read by the standard parser, so both kinds of body get the same answers as elsewhere."""
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        message = f"Invalid input JSON: {exc}"
        raise RevlineValidationError(
            message, errors=[ErrorDetail(message, "INVALID_INPUT", {"field": ["body"]})]
        ) from None


class FastJSONResponse(Response):
    """A JSON answer written by orjson; text orjson cannot encode (lone surrogates echoed
    from a request) is escaped the way every other answer escapes it."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except orjson.JSONEncodeError:
            return json.dumps(
                encodable(content), ensure_ascii=False, separators=(",", ":")
            ).encode()


def error_response(request: Request, error: RevlineError) -> JSONResponse:
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return JSONResponse(
        error.as_dict(correlation_id(request)), status_code=error.status_code, headers=headers
    )


def _describe(err: dict[str, Any]) -> tuple[str, str]:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
    where = ".".join(loc) or "body"
    if err.get("type") == "json_invalid":
        return "body", f"Invalid input JSON: {err.get('ctx', {}).get('error', 'malformed JSON')}"
    if err.get("type") == "missing":
        return where, f"{where} is required"
    return where, f"{where}: {err.get('msg', 'invalid value')}"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RevlineError)
    async def _revline(request: Request, exc: RevlineError) -> JSONResponse:
        return error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [_describe(dict(e)) for e in exc.errors()]
        message = "; ".join(m for _, m in details) or "Invalid request"
        error = RevlineValidationError(
            message,
            errors=[ErrorDetail(m, "INVALID_INPUT", {"field": [w]}) for w, m in details],
        )
        return error_response(request, error)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        error: RevlineError
        if exc.status_code == 404:
            error = NotFound(f"No route for {request.method} {request.url.path}")
        elif exc.status_code == 405:
            error = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}")
        elif 400 <= exc.status_code < 500:
            # Starlette's own 4xx answers (an undecodable body, say) are bad input.
            error = RevlineValidationError(str(exc.detail))
            error.status_code = exc.status_code
        else:
            error = RevlineError(str(exc.detail))
            error.status_code = exc.status_code
        return error_response(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        cid = correlation_id(request)
        log_event(
            logger,
            "api.unhandled_error",
            logging.ERROR,
            correlation_id=cid,
            path=request.url.path,
            error=repr(exc),
        )
        logger.exception("api.unhandled_error", exc_info=exc)
        return error_response(
            request, RevlineError(f"Internal error; see the server log for correlation id {cid}")
        )
