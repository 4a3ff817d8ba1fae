"""Checking events and event definitions in plain Python, without the database.

Ingestion validates a thousand events per call, so every check here is a few dictionary
lookups: the definitions are loaded once per batch and handed in.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from revline.errors import ErrorDetail, ValidationError
from revline.events.definitions import BUILT_IN, PROPERTY_TYPES, SYSTEM_TYPES, EventType
from revline.kit.pagination import parse_id
from revline.kit.validation import is_storable

NAME = re.compile(r"^[a-z][a-z0-9_]{0,99}\Z")
# The same shape the contact rules accept, so an event never names an address that a
# contact could not hold.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
MAX_EMAIL = 254
MAX_ANONYMOUS_ID = 255
MAX_IDEMPOTENCY_KEY = 255
MAX_PROPERTIES = 100
MAX_PROPERTY_NAME = 100
MAX_STRING = 10_000
# The whole properties document, as JSON: a generous page URL plus a form's fields fits.
MAX_PROPERTIES_BYTES = 32_768
MAX_DETAIL = 255
MAX_LABEL = 255
MAX_DESCRIPTION = 2_000
MAX_OPTIONS = 500
# Clocks on sending machines run a little ahead; an event further ahead is a bug upstream.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def problem(field_name: str, code: str, message: str) -> ValidationError:
    return ValidationError(
        message, errors=[ErrorDetail(message, code, {"field": [field_name]})], context={}
    )


@dataclass
class ParsedEvent:
    """One event as checked: what will be stored, before its contact is known."""

    event_type: str
    occurred_at: datetime
    properties: dict[str, Any]
    detail: str | None
    idempotency_key: str | None
    contact_id: int | None = None
    email: str | None = None
    anonymous_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _pick(item: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in item:
            return item[name]
    return None


def parse_time(raw: Any, field_name: str, now: datetime) -> datetime:
    """ISO-8601 text or epoch milliseconds, as an aware UTC datetime."""
    if raw is None:
        return now
    try:
        if isinstance(raw, bool):
            raise ValueError
        if isinstance(raw, int | float) or (isinstance(raw, str) and raw.strip().isdigit()):
            ms = float(raw)
            if not math.isfinite(ms):
                raise ValueError
            value = datetime.fromtimestamp(ms / 1000, tz=UTC)
        elif isinstance(raw, str):
            text = raw.strip()
            if text.endswith(("Z", "z")):
                text = text[:-1] + "+00:00"
            value = datetime.fromisoformat(text)
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        else:
            raise ValueError
    except (ValueError, OverflowError, OSError):
        raise problem(
            field_name,
            "INVALID_DATETIME",
            f"{field_name} must be an ISO-8601 timestamp or epoch milliseconds, not {raw!r}",
        ) from None
    if value < EARLIEST:
        raise problem(field_name, "INVALID_DATETIME", f"{field_name} is before 1970")
    if value > now + FUTURE_TOLERANCE:
        raise problem(
            field_name,
            "OCCURRED_IN_FUTURE",
            f"{field_name} is more than {int(FUTURE_TOLERANCE.total_seconds() // 60)} minutes "
            "in the future",
        )
    return value


def _text(raw: Any, field_name: str, limit: int) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise problem(field_name, "INVALID_STRING", f"{field_name} must be a non-empty string")
    if len(raw) > limit:
        raise problem(field_name, "TOO_LONG", f"{field_name} is longer than {limit} characters")
    if not is_storable(raw):
        raise problem(
            field_name,
            "INVALID_STRING",
            f"{field_name} must be valid Unicode text without NUL characters",
        )
    return raw


def parse_email(raw: Any, field_name: str = "contact.email") -> str:
    email = _text(raw, field_name, MAX_EMAIL).strip().lower()
    if not EMAIL.match(email):
        raise problem(field_name, "INVALID_EMAIL", f"Email address {email} is invalid")
    return email


def parse_anonymous_id(raw: Any, field_name: str = "contact.anonymousId") -> str:
    return _text(raw, field_name, MAX_ANONYMOUS_ID).strip()


def parse_contact_id(raw: Any, field_name: str = "contact.id") -> int:
    ident = None if isinstance(raw, bool) else parse_id(str(raw)) if raw is not None else None
    if ident is None or not isinstance(raw, int | str):
        raise problem(field_name, "INVALID_ID", f"{field_name} must be a contact id, not {raw!r}")
    return ident


def parse_contact_ref(
    raw: Any, *, anonymous_allowed: bool
) -> tuple[int | None, str | None, str | None]:
    """(contact id, email, anonymous id) of a ``contact`` object: exactly one of id and email,
    or (when allowed) only an anonymous id."""
    if not isinstance(raw, dict):
        raise problem("contact", "INVALID_CONTACT", "contact must be an object")
    has_id = raw.get("id") is not None
    has_email = raw.get("email") is not None
    anon_raw = _pick(raw, "anonymousId", "anonymous_id") if anonymous_allowed else None
    if has_id and has_email:
        raise problem(
            "contact", "INVALID_CONTACT", "contact must name the person by id or by email, not both"
        )
    if not (has_id or has_email or anon_raw is not None):
        wanted = "id, email or anonymousId" if anonymous_allowed else "id or email"
        raise problem("contact", "INVALID_CONTACT", f"contact needs one of {wanted}")
    contact_id = parse_contact_id(raw["id"]) if has_id else None
    email = parse_email(raw["email"]) if has_email else None
    anonymous_id = parse_anonymous_id(anon_raw) if anon_raw is not None else None
    return contact_id, email, anonymous_id


def _storable_tree(value: Any) -> bool:
    if isinstance(value, str):
        return is_storable(value) and len(value) <= MAX_STRING
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and is_storable(k) and _storable_tree(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return all(_storable_tree(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def _value_problem(spec: dict[str, Any], value: Any) -> str | None:
    """Why ``value`` does not fit ``spec`` (None when it does)."""
    kind = spec.get("type")
    if kind == "string":
        return None if isinstance(value, str) else "must be a string"
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    if kind == "bool":
        return None if isinstance(value, bool) else "must be true or false"
    if kind == "object":
        return None if isinstance(value, dict) else "must be an object"
    if kind == "datetime":
        if isinstance(value, bool):
            return "must be an ISO-8601 timestamp or epoch milliseconds"
        if isinstance(value, int):
            return None
        if isinstance(value, str):
            try:
                datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            except ValueError:
                return "must be an ISO-8601 timestamp or epoch milliseconds"
            return None
        return "must be an ISO-8601 timestamp or epoch milliseconds"
    if kind == "enumeration":
        options = spec.get("options") or []
        if isinstance(value, str) and value in options:
            return None
        return f"must be one of {', '.join(map(str, options))}"
    return None


def _size_bound(raw: dict[str, Any]) -> int:
    """An upper bound of the document's size as JSON, without writing it: each character
    takes at most 6 bytes (a ``\\u00XX`` escape). Nested values make the bound unknown."""
    total = 2
    for name, value in raw.items():
        total += 6 * len(name) + 4
        if isinstance(value, str):
            total += 6 * len(value) + 2
        elif value is None or isinstance(value, bool | int | float):
            total += 32
        else:
            return MAX_PROPERTIES_BYTES + 1
    return total


def check_properties(raw: Any, event_type: EventType) -> dict[str, Any]:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise problem("properties", "INVALID_PROPERTIES", "properties must be an object")
    if len(raw) > MAX_PROPERTIES:
        raise problem(
            "properties", "TOO_MANY_PROPERTIES", f"at most {MAX_PROPERTIES} properties are allowed"
        )
    for name, value in raw.items():
        where = f"properties.{name}"
        if not name or len(name) > MAX_PROPERTY_NAME or not is_storable(name):
            raise problem(
                "properties",
                "INVALID_PROPERTY_NAME",
                f"property names must be 1 to {MAX_PROPERTY_NAME} characters of text",
            )
        if not _storable_tree(value):
            raise problem(
                where,
                "INVALID_PROPERTY_VALUE",
                f"{where} holds text longer than {MAX_STRING} characters, a NUL character "
                "or a number that is not finite",
            )
        spec = event_type.properties.get(name)
        if spec is not None and value is not None:
            why = _value_problem(spec, value)
            if why is not None:
                code = "INVALID_OPTION" if spec.get("type") == "enumeration" else "INVALID_TYPE"
                raise problem(where, code, f"{where} {why}")
    for name, spec in event_type.properties.items():
        if spec.get("required") and raw.get(name) is None:
            raise problem(
                f"properties.{name}",
                "MISSING_PROPERTY",
                f"properties.{name} is required for {event_type.name} events",
            )
    if _size_bound(raw) <= MAX_PROPERTIES_BYTES:
        return raw
    size = len(json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_PROPERTIES_BYTES:
        raise problem(
            "properties",
            "PROPERTIES_TOO_LARGE",
            f"properties take {size} bytes as JSON; at most {MAX_PROPERTIES_BYTES} are allowed",
        )
    return raw


def detail_of(event_type: EventType, properties: dict[str, Any]) -> str | None:
    """The key property's value as text (cut to the column's width), or None."""
    if event_type.key_property is None:
        return None
    value = properties.get(event_type.key_property)
    if value is None or isinstance(value, dict | list):
        return None
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return text[:MAX_DETAIL]


def parse_event_type(raw: Any, types: dict[str, EventType]) -> EventType:
    if not isinstance(raw, str) or not raw:
        raise problem("type", "INVALID_EVENT_TYPE", "type must be an event type name")
    if raw in SYSTEM_TYPES:
        raise problem("type", "SYSTEM_EVENT_TYPE", f"{raw} events are written by Revline itself")
    found = types.get(raw)
    if found is None:
        shown = raw if len(raw) <= 100 else raw[:100] + "..."
        raise problem("type", "UNKNOWN_EVENT_TYPE", f"Event type {shown!r} is not defined")
    return found


def parse_event(item: Any, types: dict[str, EventType], now: datetime) -> ParsedEvent:
    """One API event, checked against its type; raises a ValidationError naming the field."""
    if not isinstance(item, dict):
        raise problem("body", "INVALID_INPUT", "an event must be an object")
    event_type = parse_event_type(item.get("type"), types)
    occurred_at = parse_time(_pick(item, "occurredAt", "occurred_at"), "occurredAt", now)
    contact_id, email, anonymous_id = parse_contact_ref(item.get("contact"), anonymous_allowed=True)
    properties = check_properties(item.get("properties"), event_type)
    key_raw = _pick(item, "idempotencyKey", "idempotency_key")
    key = _text(key_raw, "idempotencyKey", MAX_IDEMPOTENCY_KEY) if key_raw is not None else None
    return ParsedEvent(
        event_type=event_type.name,
        occurred_at=occurred_at,
        properties=properties,
        detail=detail_of(event_type, properties),
        idempotency_key=key,
        contact_id=contact_id,
        email=email,
        anonymous_id=anonymous_id,
    )


# --- definitions ------------------------------------------------------------------------


def check_definition_name(raw: Any) -> str:
    if not isinstance(raw, str) or not NAME.match(raw):
        raise problem(
            "name",
            "INVALID_NAME",
            "name must start with a lower-case letter and hold only a-z, 0-9 and _ "
            "(at most 100 characters)",
        )
    if raw in BUILT_IN:
        raise problem("name", "BUILT_IN_NAME", f"{raw} is a built-in event type")
    return raw


def check_label(raw: Any) -> str:
    return _text(raw, "label", MAX_LABEL).strip()


def check_description(raw: Any) -> str | None:
    if raw is None:
        return None
    return _text(raw, "description", MAX_DESCRIPTION)


def check_schema(raw: Any) -> dict[str, dict[str, Any]]:
    """A property schema ``{name: {type, required, options}}``, normalised."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise problem("properties", "INVALID_SCHEMA", "properties must be an object")
    if len(raw) > MAX_PROPERTIES:
        raise problem(
            "properties", "TOO_MANY_PROPERTIES", f"at most {MAX_PROPERTIES} properties are allowed"
        )
    out: dict[str, dict[str, Any]] = {}
    for name, spec in raw.items():
        where = f"properties.{name}"
        if not NAME.match(name):
            raise problem(
                where,
                "INVALID_NAME",
                "property names start with a lower-case letter and hold only a-z, 0-9 and _",
            )
        if not isinstance(spec, dict):
            raise problem(where, "INVALID_SCHEMA", f"{where} must be an object")
        kind = spec.get("type")
        if kind not in PROPERTY_TYPES:
            raise problem(
                f"{where}.type",
                "INVALID_TYPE",
                f"{where}.type must be one of {', '.join(PROPERTY_TYPES)}",
            )
        required = spec.get("required", False)
        if not isinstance(required, bool):
            raise problem(
                f"{where}.required", "INVALID_SCHEMA", f"{where}.required must be true or false"
            )
        entry: dict[str, Any] = {"type": kind, "required": required}
        options = spec.get("options")
        if kind == "enumeration":
            if (
                not isinstance(options, list)
                or not options
                or len(options) > MAX_OPTIONS
                or not all(
                    isinstance(o, str) and o and is_storable(o) and len(o) <= MAX_DETAIL
                    for o in options
                )
                or len(set(options)) != len(options)
            ):
                raise problem(
                    f"{where}.options",
                    "INVALID_OPTIONS",
                    f"{where}.options must list 1 to {MAX_OPTIONS} distinct non-empty strings",
                )
            entry["options"] = list(options)
        elif options is not None:
            raise problem(
                f"{where}.options",
                "INVALID_OPTIONS",
                "options belong to enumeration properties only",
            )
        out[name] = entry
    return out


def check_key_property(raw: Any, schema: dict[str, dict[str, Any]]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or raw not in schema:
        raise problem(
            "keyProperty", "INVALID_KEY_PROPERTY", "keyProperty must name one of the properties"
        )
    if schema[raw]["type"] == "object":
        raise problem(
            "keyProperty", "INVALID_KEY_PROPERTY", "keyProperty cannot be an object property"
        )
    return raw
