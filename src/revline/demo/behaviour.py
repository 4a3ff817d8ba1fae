"""The demo's tracked behaviour and segments.

Each contact gets a few weeks of behaviour that fits its story: warmer stages visit more
pages and open more emails, qualified people ask for a demo, customers use the product. One
contact in ten browsed anonymously before being identified by a form (so the demo shows
stitched visits in the timeline). Planned from the seed and the reference day, never from
the clock; written through the events service, then four segments marketing would keep are
created (they build their membership at once).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from revline.demo.planning import ContactPlan
from revline.events import service as events
from revline.segments import service as segments

BATCH = 1_000
WINDOW_DAYS = 60
_PATHS: list[tuple[str, float]] = [
    ("/", 30),
    ("/features", 18),
    ("/blog/pipeline-reviews", 12),
    ("/pricing", 10),
    ("/customers", 8),
    ("/docs", 8),
    ("/integrations", 8),
    ("/demo", 6),
]
# How lively each lifecycle stage is, relative to a lead.
_WARMTH = {
    "subscriber": 0.6,
    "lead": 1.0,
    "marketingqualifiedlead": 2.0,
    "salesqualifiedlead": 2.5,
    "opportunity": 3.0,
    "customer": 2.0,
    "evangelist": 1.5,
}
_QUALIFIED = frozenset({"marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer"})
_ACTIONS = ("created_report", "invited_user", "connected_inbox", "imported_contacts")

SEGMENTS: list[tuple[str, dict[str, Any]]] = [
    (
        "Visited pricing twice in 30 days",
        {
            "event": "page_view",
            "where": [{"property": "path", "operator": "EQ", "value": "/pricing"}],
            "atLeast": 2,
            "inLastDays": 30,
        },
    ),
    (
        "US demo requesters",
        {
            "and": [
                {"property": "country", "operator": "EQ", "value": "United States"},
                {
                    "event": "form_submitted",
                    "where": [{"property": "form_id", "operator": "EQ", "value": "demo"}],
                },
            ]
        },
    ),
    (
        "Engaged by email in 14 days",
        {"event": "email_opened", "atLeast": 2, "inLastDays": 14},
    ),
    (
        "Software customers",
        {
            "and": [
                {"property": "lifecyclestage", "operator": "EQ", "value": "customer"},
                {"companyProperty": "industry", "operator": "EQ", "value": "COMPUTER_SOFTWARE"},
            ]
        },
    ),
]


def _at(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _pick(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def plan_events(contacts: Sequence[ContactPlan], seed: int, today: date) -> list[dict[str, Any]]:
    """API inputs for every contact's behaviour, oldest first (``contacts`` carry their ids)."""
    rng = random.Random(seed * 7_919 + 17)
    end = datetime.combine(today, time(12), tzinfo=UTC)
    out: list[tuple[datetime, dict[str, Any]]] = []
    for n, c in enumerate(contacts):
        start = max(c.created, end - timedelta(days=WINDOW_DAYS))
        span = max(int((end - start).total_seconds()), 3_600)

        def moment(rng: random.Random = rng, start: datetime = start, span: int = span) -> datetime:
            return start + timedelta(seconds=rng.randrange(span))

        warmth = _WARMTH.get(c.stage, 1.0)
        who: dict[str, str] = {"id": str(c.id)}
        anonymous = f"demo-visitor-{seed}-{n}" if rng.random() < 0.1 else None
        for _ in range(min(int(rng.expovariate(1 / (3 * warmth))), 30)):
            path = _pick(rng, _PATHS)
            # The anonymous visitor's views are sent without the contact, as a site would.
            ref = {"anonymousId": anonymous} if anonymous else who
            props = {"path": path, "url": f"https://www.example.com{path}"}
            out.append((moment(), {"type": "page_view", "contact": ref, "properties": props}))
        if anonymous:
            # The form that identifies the visitor: its earlier views move to the contact.
            identified = {**who, "anonymousId": anonymous}
            form: dict[str, Any] = {"form_id": "newsletter", "fields": {"email": c.email}}
            out.append((end - timedelta(hours=1 + n % 24), _form(identified, form)))
        for _ in range(min(int(rng.expovariate(1 / (2 * warmth))), 20)):
            props = {"email_id": f"campaign-{rng.randrange(8)}"}
            out.append((moment(), {"type": "email_opened", "contact": who, "properties": props}))
        if c.stage in _QUALIFIED and rng.random() < 0.5:
            out.append((moment(), _form(who, {"form_id": "demo"})))
        if c.stage in ("opportunity", "customer") and rng.random() < 0.4:
            props = {"meeting_type": "demo"}
            out.append((moment(), {"type": "meeting_booked", "contact": who, "properties": props}))
        if c.stage in ("customer", "evangelist"):
            for _ in range(rng.randrange(1, 6)):
                props = {"name": rng.choice(_ACTIONS)}
                out.append(
                    (moment(), {"type": "product_action", "contact": who, "properties": props})
                )
    out.sort(key=lambda pair: pair[0])
    return [{**event, "occurredAt": _at(when)} for when, event in out]


def _form(who: dict[str, str], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "form_submitted", "contact": who, "properties": props}


def write_behaviour(
    session: Session, contacts: Sequence[ContactPlan], seed: int, today: date
) -> tuple[int, list[str]]:
    """Store the planned events, then create the demo segments; answers how many events were
    stored and the segments' names."""
    planned = plan_events(contacts, seed, today)
    now = datetime.combine(today, time(12), tzinfo=UTC)
    stored = 0
    for i in range(0, len(planned), BATCH):
        result = events.ingest_events(session, planned[i : i + BATCH], now=now, source="import")
        if result.errors:
            first = result.errors[0]
            where = first.context.get("inputIndex", ["?"])[0]
            raise RuntimeError(f"demo event {i + int(where)} refused: {first.message}")
        stored += result.stored
    names = []
    for name, conditions in SEGMENTS:
        view, _ = segments.create_segment(session, name, "dynamic", conditions)
        names.append(view.segment.name)
    return stored, names
