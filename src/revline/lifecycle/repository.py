"""All SQL of the lead-working features."""

from __future__ import annotations

from sqlalchemy.orm import Session

from revline.models import LeadConversion


def get_conversion(session: Session, contact_id: int) -> LeadConversion | None:
    return session.get(LeadConversion, contact_id)


def add_conversion(session: Session, row: LeadConversion) -> None:
    session.add(row)
    session.flush()
