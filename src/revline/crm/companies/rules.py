"""Companies: the domain is stored bare (no scheme, ``www.`` or path) and lower-cased; the
lifecycle stage only moves forward."""

from __future__ import annotations

import re

from revline.crm import matching
from revline.crm.lifecycle import rules as lifecycle_rules
from revline.crm.records.context import WriteContext

_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def normalise_domain(raw: str) -> str:
    value = raw.strip().lower()
    value = re.sub(r"^[a-z][a-z0-9+.-]*://", "", value)
    value = value.split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
    if value.startswith("www."):
        value = value[4:]
    return value.rstrip(".")


def prepare(ctx: WriteContext) -> None:
    domain = ctx.values.get("domain")
    if isinstance(domain, str):
        domain = normalise_domain(domain)
        ctx.values["domain"] = domain
        if not _DOMAIN.match(domain):
            ctx.problem("domain", "INVALID_DOMAIN", f"'{domain}' is not a valid domain name")
    lifecycle_rules.prepare_stage(ctx)
    if ctx.creating or "name" in ctx.values or "phone" in ctx.values:
        ctx.values.update(matching.company_keys(ctx.effective("name"), ctx.effective("phone")))
