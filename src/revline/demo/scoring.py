"""The demo's score models: a fit model on titles, company size and industry, an engagement
model on tracked behaviour (pricing visits, the demo form, opens that fade, meetings), and
the fit x engagement grade sales would sort their queue by."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from revline.scoring import service as scoring


def _title(token: str, points: int) -> dict[str, Any]:
    return {"property": "jobtitle", "operator": "CONTAINS_TOKEN", "value": token, "points": points}


MODELS: list[dict[str, Any]] = [
    {
        "name": "fit",
        "label": "Fit",
        "description": "Who we sell to: senior titles at mid-sized software and services firms.",
        "maxScore": 100,
        "groups": [
            {
                "name": "Seniority",
                "maxPoints": 40,
                "rules": [
                    {"name": "chief", **_title("chief", 40)},
                    {"name": "vp", **_title("vp", 35)},
                    {"name": "head", **_title("head", 25)},
                    {"name": "director", **_title("director", 25)},
                    {"name": "manager", **_title("manager", 15)},
                    {"name": "founder", **_title("founder", 30)},
                ],
            },
            {
                "name": "Company",
                "rules": [
                    {
                        "name": "size",
                        "companyProperty": "numberofemployees",
                        "operator": "BETWEEN",
                        "value": 50,
                        "highValue": 5000,
                        "points": 25,
                    },
                    {
                        "name": "tiny",
                        "companyProperty": "numberofemployees",
                        "operator": "LT",
                        "value": 10,
                        "points": -10,
                    },
                    {
                        "name": "industry",
                        "companyProperty": "industry",
                        "operator": "IN",
                        "values": ["COMPUTER_SOFTWARE", "INFORMATION_TECHNOLOGY_AND_SERVICES"],
                        "points": 20,
                    },
                    {"name": "phone", "property": "phone", "operator": "HAS_PROPERTY", "points": 5},
                ],
            },
        ],
        "labels": [
            {"label": "A", "minScore": 60},
            {"label": "B", "minScore": 30},
            {"label": "C", "minScore": 0},
        ],
    },
    {
        "name": "engagement",
        "label": "Engagement",
        "description": "What they did lately: pricing, the demo form, email, meetings.",
        "maxScore": 100,
        "groups": [
            {
                "name": "Behaviour",
                "rules": [
                    {
                        "name": "pricing",
                        "event": "page_view",
                        "where": [{"property": "path", "operator": "EQ", "value": "/pricing"}],
                        "points": 10,
                        "maxPoints": 30,
                        "inLastDays": 30,
                    },
                    {
                        "name": "demo-form",
                        "event": "form_submitted",
                        "where": [{"property": "form_id", "operator": "EQ", "value": "demo"}],
                        "points": 30,
                        "maxPoints": 30,
                    },
                    {
                        "name": "opens",
                        "event": "email_opened",
                        "points": 2,
                        "maxPoints": 20,
                        "decayDays": 30,
                    },
                    {
                        "name": "visits",
                        "event": "page_view",
                        "points": 1,
                        "maxPoints": 15,
                        "decayDays": 14,
                    },
                    {"name": "meeting", "event": "meeting_booked", "points": 25, "maxPoints": 25},
                ],
            }
        ],
        "thresholds": [{"minScore": 60, "lifecycleStage": "marketingqualifiedlead"}],
        "labels": [
            {"label": "1", "minScore": 50},
            {"label": "2", "minScore": 20},
            {"label": "3", "minScore": 0},
        ],
    },
    {
        "name": "grade",
        "label": "Grade",
        "description": "Fit x engagement: A1 is a great fit that is engaging now.",
        "kind": "combined",
        "grid": True,
        "components": [{"model": "fit"}, {"model": "engagement"}],
    },
]


def create_models(session: Session, today: date) -> list[str]:
    """Create (and score with) the demo's models; answers their names."""
    now = datetime.combine(today, time(12), tzinfo=UTC)
    return [scoring.create_model(session, body, now=now).model.name for body in MODELS]
