"""The built-in event types and what their properties must look like.

A property schema maps a property name to ``{"type": ..., "required": bool, "options": [...]}``
with type ``string``, ``number``, ``bool``, ``datetime``, ``object`` or ``enumeration`` (then
``options`` lists the allowed values). Properties an event carries beyond its schema are kept
as they are. An event type's *key property* is the one its daily counts are kept by
(``page_view`` by ``path``), so "visited /pricing twice in 30 days" needs no raw events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROPERTY_TYPES = ("string", "number", "bool", "datetime", "enumeration", "object")
# Written by Revline itself; they cannot be sent through the API or defined again.
SYSTEM_TYPES = frozenset({"segment_entered", "segment_exited"})


@dataclass(frozen=True)
class EventType:
    name: str
    label: str
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_property: str | None = None
    builtin: bool = True
    description: str | None = None


def _text(required: bool = False) -> dict[str, Any]:
    return {"type": "string", "required": required}


_UTM = {f"utm_{k}": _text() for k in ("source", "medium", "campaign", "term", "content")}

BUILT_IN: dict[str, EventType] = {
    t.name: t
    for t in (
        EventType(
            "page_view",
            "Page view",
            {"url": _text(), "path": _text(), "referrer": _text(), "title": _text(), **_UTM},
            key_property="path",
        ),
        EventType(
            "form_submitted",
            "Form submitted",
            {"form_id": _text(required=True), "fields": {"type": "object", "required": False}},
            key_property="form_id",
        ),
        EventType("email_opened", "Email opened", {"email_id": _text()}, "email_id"),
        EventType(
            "email_clicked", "Email clicked", {"email_id": _text(), "url": _text()}, "email_id"
        ),
        EventType("signed_up", "Signed up", {"plan": _text()}, "plan"),
        EventType("meeting_booked", "Meeting booked", {"meeting_type": _text()}, "meeting_type"),
        EventType(
            "subscription_activated",
            "Subscription activated",
            {"plan": _text(), "mrr": {"type": "number", "required": False}},
            "plan",
        ),
        EventType(
            "subscription_cancelled",
            "Subscription cancelled",
            {"plan": _text(), "reason": _text()},
            "plan",
        ),
        EventType("product_action", "Product action", {"name": _text(required=True)}, "name"),
        EventType(
            "segment_entered",
            "Entered segment",
            {"segment_id": _text(required=True), "segment_name": _text()},
            "segment_id",
        ),
        EventType(
            "segment_exited",
            "Left segment",
            {"segment_id": _text(required=True), "segment_name": _text()},
            "segment_id",
        ),
    )
}
