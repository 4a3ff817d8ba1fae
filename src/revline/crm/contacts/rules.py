"""Contacts: emails are stored trimmed and lower-cased, and must look like an address; the
lifecycle stage only moves forward; lead statuses follow their rules."""

from __future__ import annotations

import re

from revline.crm import matching
from revline.crm.lifecycle import rules as lifecycle_rules
from revline.crm.records.context import WriteContext

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


def normalise_email(raw: str) -> str:
    return raw.strip().lower()


def prepare(ctx: WriteContext) -> None:
    email = ctx.values.get("email")
    if isinstance(email, str):
        email = normalise_email(email)
        ctx.values["email"] = email
        if not _EMAIL.match(email):
            ctx.problem("email", "INVALID_EMAIL", f"Email address {email} is invalid")
    lifecycle_rules.prepare_stage(ctx)
    lifecycle_rules.prepare_lead_status(ctx)
    if ctx.creating or any(n in ctx.values for n in ("email", "phone", "mobilephone", "company")):
        keys = matching.contact_keys(
            ctx.effective("email"),
            ctx.effective("phone"),
            ctx.effective("mobilephone"),
            ctx.effective("company"),
        )
        ctx.values.update(keys)
