"""One error hierarchy for every expected failure, rendered once in HubSpot's error shape."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorDetail:
    """One specific problem inside an error (for example one bad property value)."""

    message: str
    code: str | None = None
    context: dict[str, list[str]] = field(default_factory=dict)
    in_: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"message": self.message}
        if self.code is not None:
            out["code"] = self.code
        if self.context:
            out["context"] = self.context
        if self.in_ is not None:
            out["in"] = self.in_
        return out


class RevlineError(Exception):
    """Base class: an HTTP status, a stable category, a message and optional details."""

    status_code = 500
    category = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        errors: list[ErrorDetail] | None = None,
        context: dict[str, list[str]] | None = None,
        sub_category: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.context = context or {}
        self.sub_category = sub_category

    def as_dict(self, correlation_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id,
            "category": self.category,
            "errors": [e.as_dict() for e in self.errors],
            "context": self.context,
            "links": {},
        }
        if self.sub_category:
            body["subCategory"] = self.sub_category
        safe: dict[str, Any] = encodable(body)
        return safe


def encodable(value: Any) -> Any:
    """Messages echo client text, which may hold lone surrogates (valid in JSON's ``\\ud800``
    escapes) that no UTF-8 encoder can write: render those as escapes instead of failing."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list):
        return [encodable(v) for v in value]
    if isinstance(value, dict):
        return {encodable(k): encodable(v) for k, v in value.items()}
    return value


class ValidationError(RevlineError):
    status_code = 400
    category = "VALIDATION_ERROR"


class NotFound(RevlineError):
    status_code = 404
    category = "OBJECT_NOT_FOUND"


class Conflict(RevlineError):
    status_code = 409
    category = "CONFLICT"


class Unauthorized(RevlineError):
    status_code = 401
    category = "INVALID_AUTHENTICATION"


class Forbidden(RevlineError):
    status_code = 403
    category = "MISSING_SCOPES"


class MethodNotAllowed(RevlineError):
    status_code = 405
    category = "METHOD_NOT_ALLOWED"


class RateLimited(RevlineError):
    status_code = 429
    category = "RATE_LIMITS"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
