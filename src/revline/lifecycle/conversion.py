"""Lead conversion (Salesforce's meaning): a qualified contact gets its company (chosen,
already linked, matched or created) and optionally a new deal, existing values are only
filled where empty, its lead status becomes a converted one and its lifecycle stage moves
forward. A contact converts once: converting again creates nothing and answers what the
first conversion created or matched.

Company matching, in order: the company named in the request; the contact's primary company;
a company whose domain is the contact's email domain (mailbox providers excluded); a company
whose normalised name scores at least ``NAME_MATCH_THRESHOLD`` against the contact's
``company`` value (rapidfuzz's token-sort ratio over names without legal forms or
punctuation). Without a match a company is created from that name and domain, unless the
request says not to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.orm import Session

from revline.crm import matching as normalize
from revline.crm.associations import service as associations
from revline.crm.associations import types as assoc_types
from revline.crm.associations.service import AssociationSpec
from revline.crm.lifecycle import lead_status, stages
from revline.crm.object_types import COMPANIES, CONTACTS, DEALS, access_object_type
from revline.crm.properties import service as properties
from revline.crm.records import search
from revline.crm.records import service as records
from revline.crm.records.context import WriteSource
from revline.crm.records.service import RecordView
from revline.errors import ErrorDetail, ValidationError
from revline.kit.pagination import parse_id
from revline.kit.time import utcnow
from revline.lifecycle import repository as repo
from revline.models import LeadConversion

NAME_MATCH_THRESHOLD = 90.0
CONVERSION_SOURCE = "CONVERSION"
TARGET_STAGES = ("salesqualifiedlead", "opportunity")
DEFAULT_STATUS = "OPEN_DEAL"
_NAME_CANDIDATES = 50
# Company values a conversion may fill from the contact, where the company has none.
_COMPANY_FILL = {"city": "city", "state": "state", "zip": "zip", "country": "country"}
_DEAL_PROPERTIES = (
    "dealname",
    "pipeline",
    "dealstage",
    "amount",
    "closedate",
    "hubspot_owner_id",
    "deal_currency_code",
    "dealtype",
)


@dataclass(frozen=True)
class ConversionResult:
    contact_id: int
    company_id: int | None
    company_created: bool
    company_matched_by: str
    company_match_score: float | None
    deal_id: int | None
    deal_created: bool
    lifecycle_stage: str | None
    lead_status: str | None
    converted_at: datetime
    already_converted: bool


@dataclass(frozen=True)
class _Request:
    company_id: int | None
    match_company: bool
    create_company: bool
    deal: dict[str, Any] | None
    stage: str | None
    status: str


def _bad(message: str, field: str, value: Any = "") -> ValidationError:
    return ValidationError(
        message, errors=[ErrorDetail(message, "INVALID_INPUT", {field: [str(value)]})]
    )


def _parse(raw: Any) -> _Request:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _bad("The body must be an object", "body")
    company_id = None
    company = raw.get("company")
    if company is not None:
        if not isinstance(company, dict) or parse_id(str(company.get("id", ""))) is None:
            raise _bad('company must be {"id": "<company id>"}', "company.id", company)
        company_id = parse_id(str(company["id"]))
    flags = {}
    for name, default in (("matchCompany", True), ("createCompany", True)):
        value = raw.get(name, default)
        if not isinstance(value, bool):
            raise _bad(f"{name} must be true or false", name, value)
        flags[name] = value
    deal = raw.get("deal")
    if deal is not None:
        if not isinstance(deal, dict) or not isinstance(deal.get("properties", {}), dict):
            raise _bad('deal must be {"properties": {...}}', "deal", deal)
        deal = dict(deal.get("properties") or {})
        unknown = sorted(set(deal) - set(_DEAL_PROPERTIES))
        if unknown:
            raise _bad(
                f"deal.properties may only hold {', '.join(_DEAL_PROPERTIES)}",
                "deal.properties",
                ", ".join(unknown),
            )
    stage = raw.get("lifecycleStage")
    if stage is not None and stage not in TARGET_STAGES:
        raise _bad(
            f"lifecycleStage must be one of {', '.join(TARGET_STAGES)}", "lifecycleStage", stage
        )
    status = raw.get("leadStatus", DEFAULT_STATUS)
    if not isinstance(status, str):
        raise _bad("leadStatus must be a lead status value", "leadStatus", status)
    return _Request(company_id, flags["matchCompany"], flags["createCompany"], deal, stage, status)


def convert_contact(
    session: Session, contact_ref: str, body: Any, *, source: WriteSource
) -> ConversionResult:
    """Convert one contact (see the module docstring). Everything happens in the caller's
    unit of work: a refused deal or company value leaves nothing behind."""
    contact = records.access_record(
        session,
        CONTACTS,
        contact_ref,
        properties_=[
            "email",
            "firstname",
            "lastname",
            "company",
            "phone",
            "hubspot_owner_id",
            "lifecyclestage",
            "hs_lead_status",
            *_COMPANY_FILL,
        ],
        associations_=[COMPANIES],
    )
    done = repo.get_conversion(session, contact.id)
    if done is not None:
        return _result(done, contact, already=True)
    request = _parse(body)
    config = lead_status.load_config(session)
    if config.group_of(request.status) != "converted" or request.status not in {
        s.value for s in lead_status.list_statuses(session) if not s.archived
    }:
        raise _bad(
            f"leadStatus must be an active lead status of the converted group, not "
            f"'{request.status}'",
            "leadStatus",
            request.status,
        )
    at = utcnow()
    write = WriteSource(CONVERSION_SOURCE, source.source_id, source.user_id)
    company_id, matched_by, score, created = _company_for(session, contact, request, write, at)
    values = contact.properties

    if company_id is not None:
        _fill_company(session, company_id, values, write, at)
        _link_contact(session, contact, company_id)

    deal_id = None
    if request.deal is not None:
        deal_id = _create_deal(session, contact, company_id, request.deal, write, at)

    contact_changes: dict[str, Any] = {"hs_lead_status": request.status}
    stage = request.stage or ("opportunity" if deal_id is not None else "salesqualifiedlead")
    rank = stages.rank_of(properties.load_catalog(session, CONTACTS))
    current = records.access_record(
        session, CONTACTS, str(contact.id), properties_=["lifecyclestage"]
    ).properties.get("lifecyclestage")
    if current is None or rank.get(current, -1) < rank.get(stage, -1):
        contact_changes["lifecyclestage"] = stage
    if not values.get("company") and company_id is not None:
        name = records.access_record(session, COMPANIES, str(company_id)).properties.get("name")
        if name:
            contact_changes["company"] = name
    records.update_record(session, CONTACTS, str(contact.id), contact_changes, source=write, now=at)

    row = LeadConversion(
        contact_id=contact.id,
        company_id=company_id,
        deal_id=deal_id,
        company_created=created,
        deal_created=deal_id is not None,
        company_matched_by=matched_by,
        company_match_score=score,
        converted_at=at,
        source_id=source.source_id,
        user_id=source.user_id,
    )
    repo.add_conversion(session, row)
    fresh = records.access_record(
        session, CONTACTS, str(contact.id), properties_=["lifecyclestage", "hs_lead_status"]
    )
    return _result(row, fresh, already=False)


def _result(row: LeadConversion, contact: RecordView, *, already: bool) -> ConversionResult:
    return ConversionResult(
        contact_id=row.contact_id,
        company_id=row.company_id,
        company_created=row.company_created,
        company_matched_by=row.company_matched_by,
        company_match_score=row.company_match_score,
        deal_id=row.deal_id,
        deal_created=row.deal_created,
        lifecycle_stage=contact.properties.get("lifecyclestage"),
        lead_status=contact.properties.get("hs_lead_status"),
        converted_at=row.converted_at,
        already_converted=already,
    )


def _company_for(
    session: Session, contact: RecordView, request: _Request, write: WriteSource, at: datetime
) -> tuple[int | None, str, float | None, bool]:
    """(company id, how it was found, name score, whether it was created)."""
    if request.company_id is not None:
        found = records.get_record(session, COMPANIES, str(request.company_id))
        if found is None:
            raise ValidationError(
                f"Company {request.company_id} does not exist",
                errors=[
                    ErrorDetail(
                        "company not found",
                        "COMPANY_NOT_FOUND",
                        {"company.id": [str(request.company_id)]},
                    )
                ],
            )
        return found.id, "id", None, False
    primary = [
        link.to_id
        for link in (contact.associations or {}).get(COMPANIES.name, [])
        if link.type_id == assoc_types.PRIMARY[(CONTACTS.name, COMPANIES.name)].type_id
    ]
    if primary:
        return primary[0], "association", None, False
    values = contact.properties
    domain = normalize.company_domain(values.get("email"))
    if request.match_company:
        if domain is not None:
            by_domain = records.get_record(session, COMPANIES, domain, id_property="domain")
            if by_domain is not None:
                return by_domain.id, "domain", None, False
        match = best_name_match(session, values.get("company"))
        if match is not None:
            return match[0], "name", match[1], False
    if not request.create_company:
        return None, "none", None, False
    name = values.get("company") or (normalize.domain_stem(domain).title() if domain else None)
    if not name:
        return None, "none", None, False
    new: dict[str, Any] = {"name": name}
    if domain is not None:
        new["domain"] = domain
    for company_prop, contact_prop in _COMPANY_FILL.items():
        if values.get(contact_prop):
            new[company_prop] = values[contact_prop]
    if values.get("hubspot_owner_id"):
        new["hubspot_owner_id"] = values["hubspot_owner_id"]
    view = records.create_record(session, COMPANIES, new, source=write, now=at)
    return view.id, "created", None, True


def best_name_match(session: Session, name: Any) -> tuple[int, float] | None:
    """The live company whose normalised name is closest to ``name`` (id, score 0-100), when
    it reaches ``NAME_MATCH_THRESHOLD``. Candidates come from the name's substring index."""
    wanted = normalize.company_name(name if isinstance(name, str) else None)
    if not wanted:
        return None
    longest = max(wanted.split(), key=len)
    if len(longest) < 3:
        return None
    request = search.SearchRequest(
        groups=((search.Filter("name", "CONTAINS_TOKEN", f"*{longest}*"),),),
        properties=("name",),
        limit=_NAME_CANDIDATES,
    )
    best: tuple[int, float] | None = None
    for view in search.search_records(session, COMPANIES, request).items:
        score = float(
            fuzz.token_sort_ratio(wanted, normalize.company_name(view.properties.get("name")))
        )
        if score >= NAME_MATCH_THRESHOLD and (best is None or score > best[1]):
            best = (view.id, round(score, 1))
    return best


def _fill_company(
    session: Session, company_id: int, values: dict[str, Any], write: WriteSource, at: datetime
) -> None:
    company = records.access_record(
        session, COMPANIES, str(company_id), properties_=["name", "domain", *_COMPANY_FILL]
    ).properties
    fill: dict[str, Any] = {}
    domain = normalize.company_domain(values.get("email"))
    if not company.get("domain") and domain is not None:
        taken = records.get_record(session, COMPANIES, domain, id_property="domain")
        if taken is None:
            fill["domain"] = domain
    if not company.get("name") and values.get("company"):
        fill["name"] = values["company"]
    for company_prop, contact_prop in _COMPANY_FILL.items():
        if not company.get(company_prop) and values.get(contact_prop):
            fill[company_prop] = values[contact_prop]
    if fill:
        records.update_record(session, COMPANIES, str(company_id), fill, source=write, now=at)


def _link_contact(session: Session, contact: RecordView, company_id: int) -> None:
    links = (contact.associations or {}).get(COMPANIES.name, [])
    if any(link.to_id == company_id for link in links):
        return
    primary_type = assoc_types.PRIMARY[(CONTACTS.name, COMPANIES.name)]
    has_primary = any(link.type_id == primary_type.type_id for link in links)
    atype = assoc_types.DEFAULTS if has_primary else assoc_types.PRIMARY
    spec = AssociationSpec(
        COMPANIES.name, company_id, atype[(CONTACTS.name, COMPANIES.name)].type_id
    )
    associations.associate(session, CONTACTS.name, contact.id, spec)


def _create_deal(
    session: Session,
    contact: RecordView,
    company_id: int | None,
    deal: dict[str, Any],
    write: WriteSource,
    at: datetime,
) -> int:
    values = contact.properties
    props = dict(deal)
    if not props.get("dealname"):
        who = (
            values.get("company")
            or " ".join(v for v in (values.get("firstname"), values.get("lastname")) if v)
            or values.get("email")
        )
        props["dealname"] = f"{who} - New deal"
    if not props.get("hubspot_owner_id") and values.get("hubspot_owner_id"):
        props["hubspot_owner_id"] = values["hubspot_owner_id"]
    specs = [
        AssociationSpec(
            CONTACTS.name, contact.id, assoc_types.DEFAULTS[(DEALS.name, CONTACTS.name)].type_id
        )
    ]
    if company_id is not None:
        specs.append(
            AssociationSpec(
                COMPANIES.name,
                company_id,
                assoc_types.PRIMARY[(DEALS.name, COMPANIES.name)].type_id,
            )
        )
    view = records.create_record(
        session,
        DEALS,
        props,
        association_specs=specs,
        lookup_type=access_object_type,
        source=write,
        now=at,
    )
    return view.id
