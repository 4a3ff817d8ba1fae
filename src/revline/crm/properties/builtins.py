"""The built-in properties of every object type, under HubSpot's internal names.

Each stored built-in has a typed column of the same name in its object's table; the few
record-level ones (``hs_object_id``, ``createdate``, ...) map to the record's own columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from revline.crm.object_types import (
    CALLS,
    COMPANIES,
    CONTACTS,
    DEALS,
    EMAILS,
    MEETINGS,
    NOTES,
    TASKS,
    ObjectType,
)


@dataclass(frozen=True)
class BuiltinProperty:
    name: str
    label: str
    type: str
    field_type: str
    options: tuple[tuple[str, str], ...] = ()
    read_only: bool = False
    calculated: bool = False
    column: str | None = None  # defaults to ``name``
    description: str = ""
    group: str | None = None  # defaults to the object type's group
    extra: dict[str, str] = field(default_factory=dict)
    # Kept in the record's ``custom`` document rather than a typed column: the properties a
    # workspace's own configuration multiplies (one stage-date property per lifecycle stage).
    in_document: bool = False
    hidden: bool = False

    @property
    def storage_column(self) -> str | None:
        return None if self.in_document else (self.column or self.name)


FORECAST_CATEGORIES = [
    ("PIPELINE", "Pipeline"),
    ("BEST_CASE", "Best case"),
    ("COMMIT", "Commit"),
    ("CLOSED", "Closed won"),
    ("OMIT", "Omit"),
]
# Options of closed_lost_reason; a workspace edits them through the properties API.
CLOSED_LOST_REASONS = [
    ("PRICE", "Price"),
    ("COMPETITOR", "Lost to a competitor"),
    ("NO_DECISION", "No decision / went dark"),
    ("TIMING", "Timing"),
    ("MISSING_FEATURE", "Missing feature"),
    ("BUDGET", "No budget"),
    ("OTHER", "Other"),
]


def _text(name: str, label: str, **kw: object) -> BuiltinProperty:
    return BuiltinProperty(name, label, "string", "text", **kw)  # type: ignore[arg-type]


def _area(name: str, label: str) -> BuiltinProperty:
    return BuiltinProperty(name, label, "string", "textarea")


def _number(name: str, label: str, **kw: object) -> BuiltinProperty:
    return BuiltinProperty(name, label, "number", "number", **kw)  # type: ignore[arg-type]


def _datetime(name: str, label: str, **kw: object) -> BuiltinProperty:
    return BuiltinProperty(name, label, "datetime", "date", **kw)  # type: ignore[arg-type]


def _select(name: str, label: str, options: list[tuple[str, str]]) -> BuiltinProperty:
    return BuiltinProperty(name, label, "enumeration", "select", options=tuple(options))


def _bool(name: str, label: str, **kw: object) -> BuiltinProperty:
    return BuiltinProperty(
        name,
        label,
        "bool",
        "booleancheckbox",
        options=(("true", "Yes"), ("false", "No")),
        **kw,  # type: ignore[arg-type]
    )


LIFECYCLE_STAGES = [
    ("subscriber", "Subscriber"),
    ("lead", "Lead"),
    ("marketingqualifiedlead", "Marketing Qualified Lead"),
    ("salesqualifiedlead", "Sales Qualified Lead"),
    ("opportunity", "Opportunity"),
    ("customer", "Customer"),
    ("evangelist", "Evangelist"),
    ("other", "Other"),
]
LEAD_STATUSES = [
    ("NEW", "New"),
    ("OPEN", "Open"),
    ("IN_PROGRESS", "In Progress"),
    ("OPEN_DEAL", "Open Deal"),
    ("UNQUALIFIED", "Unqualified"),
    ("ATTEMPTED_TO_CONTACT", "Attempted to Contact"),
    ("CONNECTED", "Connected"),
    ("BAD_TIMING", "Bad Timing"),
]
# Salesforce-style groups every lead status belongs to (configurable per status).
LEAD_STATUS_GROUPS = ("open", "working", "converted", "not_converted")
DEFAULT_LEAD_STATUS_GROUPS = {
    "NEW": "open",
    "OPEN": "open",
    "IN_PROGRESS": "working",
    "OPEN_DEAL": "converted",
    "UNQUALIFIED": "not_converted",
    "ATTEMPTED_TO_CONTACT": "working",
    "CONNECTED": "working",
    "BAD_TIMING": "not_converted",
}
DISQUALIFICATION_REASONS = [
    ("no_need", "No need"),
    ("no_authority", "No authority"),
    ("no_budget", "No budget"),
    ("bad_timing", "Bad timing"),
    ("not_a_fit", "Not a fit"),
    ("other", "Other"),
]
ANALYTICS_SOURCES = [
    ("ORGANIC_SEARCH", "Organic Search"),
    ("PAID_SEARCH", "Paid Search"),
    ("EMAIL_MARKETING", "Email Marketing"),
    ("SOCIAL_MEDIA", "Organic Social"),
    ("REFERRALS", "Referrals"),
    ("OTHER_CAMPAIGNS", "Other Campaigns"),
    ("DIRECT_TRAFFIC", "Direct Traffic"),
    ("OFFLINE", "Offline Sources"),
    ("PAID_SOCIAL", "Paid Social"),
]
INDUSTRIES = [
    (v, v.replace("_", " ").title())
    for v in (
        "ACCOUNTING",
        "AIRLINES_AVIATION",
        "AUTOMOTIVE",
        "BANKING",
        "BIOTECHNOLOGY",
        "COMPUTER_SOFTWARE",
        "CONSTRUCTION",
        "CONSUMER_GOODS",
        "EDUCATION_MANAGEMENT",
        "FINANCIAL_SERVICES",
        "FOOD_BEVERAGES",
        "HOSPITAL_HEALTH_CARE",
        "INFORMATION_TECHNOLOGY_AND_SERVICES",
        "INSURANCE",
        "INTERNET",
        "LOGISTICS_AND_SUPPLY_CHAIN",
        "MANAGEMENT_CONSULTING",
        "MARKETING_AND_ADVERTISING",
        "MEDICAL_DEVICES",
        "NONPROFIT_ORGANIZATION_MANAGEMENT",
        "PHARMACEUTICALS",
        "REAL_ESTATE",
        "RETAIL",
        "TELECOMMUNICATIONS",
        "OTHER",
    )
]

# Call outcomes use HubSpot's well-known disposition ids so integrations map them unchanged.
CALL_DISPOSITIONS = [
    ("9d9162e7-6cf3-4944-bf63-4dff82258764", "Busy"),
    ("f240bbac-87c9-4f6e-bf70-924b57d47db7", "Connected"),
    ("a4c4c377-d246-4b32-a13b-75a56a4cd0ff", "Left live message"),
    ("b2cf5968-551e-4856-9783-52b3da59a7d0", "Left voicemail"),
    ("73a0d17f-1163-4015-bdd5-ec830791da20", "No answer"),
    ("17b47fee-58de-441e-a44c-c6300d46f273", "Wrong number"),
]
DIRECTIONS = [("INBOUND", "Inbound"), ("OUTBOUND", "Outbound")]
# Quartiles of the predictive score, best first.
PREDICTIVE_TIERS = [
    ("tier_1", "Tier 1 (top 25%)"),
    ("tier_2", "Tier 2"),
    ("tier_3", "Tier 3"),
    ("tier_4", "Tier 4 (bottom 25%)"),
]


def stage_date_property(stage: str) -> str:
    """The property stamped when a record first reaches lifecycle stage ``stage``."""
    return f"hs_lifecyclestage_{stage}_date"


def stage_date_label(label: str) -> str:
    return f"Became a {label} Date"


def _stage_dates() -> list[BuiltinProperty]:
    return [
        _datetime(
            stage_date_property(value),
            stage_date_label(label),
            read_only=True,
            calculated=True,
            in_document=True,
            description=f"When the record first reached the lifecycle stage {label}.",
        )
        for value, label in LIFECYCLE_STAGES
    ]


def _key(name: str, label: str, description: str) -> BuiltinProperty:
    """A matching key Revline keeps for duplicate detection (hidden, read-only)."""
    return BuiltinProperty(
        name,
        label,
        "string",
        "text",
        read_only=True,
        calculated=True,
        hidden=True,
        description=description,
    )


def _record_level(created: str, modified: str) -> list[BuiltinProperty]:
    return [
        _number("hs_object_id", "Record ID", read_only=True, calculated=True, column="id"),
        _datetime(created, "Create Date", column="created_at"),
        _datetime(
            modified, "Last Modified Date", read_only=True, calculated=True, column="updated_at"
        ),
        # Options are the owners; validated against the owners table, not a fixed list.
        BuiltinProperty("hubspot_owner_id", "Owner", "enumeration", "select"),
    ]


CONTACT_PROPERTIES = [
    *_record_level("createdate", "lastmodifieddate"),
    _text("email", "Email"),
    _text("firstname", "First Name"),
    _text("lastname", "Last Name"),
    BuiltinProperty("phone", "Phone Number", "string", "phonenumber"),
    BuiltinProperty("mobilephone", "Mobile Phone Number", "string", "phonenumber"),
    _text("company", "Company Name"),
    _text("jobtitle", "Job Title"),
    _text("website", "Website URL"),
    _text("address", "Street Address"),
    _text("city", "City"),
    _text("state", "State/Region"),
    _text("zip", "Postal Code"),
    _text("country", "Country/Region"),
    _select("lifecyclestage", "Lifecycle Stage", LIFECYCLE_STAGES),
    _select("hs_lead_status", "Lead Status", LEAD_STATUSES),
    BuiltinProperty(
        "revline_lead_status_group",
        "Lead Status Group",
        "enumeration",
        "select",
        options=tuple((g, g.replace("_", " ").title()) for g in LEAD_STATUS_GROUPS),
        read_only=True,
        calculated=True,
        in_document=True,
        description="The Salesforce-style group of the lead status: open, working, "
        "converted or not converted.",
    ),
    BuiltinProperty(
        "revline_disqualification_reason",
        "Disqualification Reason",
        "enumeration",
        "select",
        options=tuple(DISQUALIFICATION_REASONS),
        in_document=True,
        description="Why the lead was disqualified; required with a lead status that "
        "asks for one (UNQUALIFIED by default).",
    ),
    _select("hs_analytics_source", "Original Source", ANALYTICS_SOURCES),
    *_stage_dates(),
    _number(
        "revline_predictive_score",
        "Predictive score",
        read_only=True,
        calculated=True,
        in_document=True,
        description="The active predictive model's estimated chance (0 to 100) that the "
        "contact reaches its outcome.",
    ),
    BuiltinProperty(
        "revline_predictive_tier",
        "Predictive tier",
        "enumeration",
        "select",
        options=tuple(PREDICTIVE_TIERS),
        read_only=True,
        calculated=True,
        in_document=True,
        description="The quartile of the predictive score among all contacts: tier_1 is the "
        "top 25%.",
    ),
    _key("revline_email_key", "Email match key", "The email as its provider delivers it."),
    _key("revline_phone_key", "Phone match key", "The last ten digits of phone or mobile."),
    _key(
        "revline_company_key",
        "Company match key",
        "The email's company domain, else the normalised company name.",
    ),
]

COMPANY_PROPERTIES = [
    *_record_level("createdate", "hs_lastmodifieddate"),
    _text("name", "Company name"),
    _text("domain", "Company Domain Name"),
    _text("website", "Website URL"),
    BuiltinProperty("phone", "Phone Number", "string", "phonenumber"),
    _select("industry", "Industry", INDUSTRIES),
    _area("description", "Description"),
    _select(
        "type",
        "Type",
        [
            ("PROSPECT", "Prospect"),
            ("PARTNER", "Partner"),
            ("RESELLER", "Reseller"),
            ("VENDOR", "Vendor"),
            ("OTHER", "Other"),
        ],
    ),
    _text("address", "Street Address"),
    _text("city", "City"),
    _text("state", "State/Region"),
    _text("zip", "Postal Code"),
    _text("country", "Country/Region"),
    _number("numberofemployees", "Number of Employees"),
    _number("annualrevenue", "Annual Revenue"),
    _select("lifecyclestage", "Lifecycle Stage", LIFECYCLE_STAGES),
    *_stage_dates(),
    _key("revline_name_key", "Name match key", "The name without case, punctuation or legal form."),
    _key("revline_phone_key", "Phone match key", "The last ten digits of the phone number."),
]

DEAL_PROPERTIES = [
    *_record_level("createdate", "hs_lastmodifieddate"),
    _text("dealname", "Deal Name"),
    _number("amount", "Amount"),
    _text("deal_currency_code", "Currency"),
    # Options of pipeline and dealstage are the pipelines and their stages.
    BuiltinProperty("pipeline", "Pipeline", "enumeration", "select"),
    BuiltinProperty("dealstage", "Deal Stage", "enumeration", "radio"),
    _datetime("closedate", "Close Date"),
    _select(
        "dealtype",
        "Deal Type",
        [
            ("newbusiness", "New Business"),
            ("existingbusiness", "Existing Business"),
        ],
    ),
    _area("description", "Deal Description"),
    _select("hs_priority", "Priority", [("low", "Low"), ("medium", "Medium"), ("high", "High")]),
    _number("hs_deal_stage_probability", "Deal probability", read_only=True, calculated=True),
    _bool("hs_is_closed", "Is Deal Closed?", read_only=True, calculated=True),
    _bool("hs_is_closed_won", "Is Closed Won", read_only=True, calculated=True),
    _bool("hs_is_closed_lost", "Is Closed Lost", read_only=True, calculated=True),
    _key("revline_name_key", "Name match key", "The deal name without case or punctuation."),
    _number(
        "hs_forecast_probability",
        "Forecast probability",
        description="A probability (0 to 1) that overrides the stage's for this deal.",
    ),
    _select("hs_manual_forecast_category", "Forecast category (manual)", FORECAST_CATEGORIES),
    BuiltinProperty(
        "hs_forecast_category",
        "Forecast category",
        "enumeration",
        "select",
        options=tuple(FORECAST_CATEGORIES),
        read_only=True,
        calculated=True,
        description="The manual category when set, else the stage's.",
    ),
    _number(
        "hs_projected_amount",
        "Weighted amount",
        read_only=True,
        calculated=True,
        description="amount x the forecast probability (else the stage probability).",
    ),
    _number(
        "hs_projected_amount_in_home_currency",
        "Weighted amount in home currency",
        read_only=True,
        calculated=True,
    ),
    _number(
        "amount_in_home_currency",
        "Amount in home currency",
        read_only=True,
        calculated=True,
        description="amount / the exchange rate in force at the close date (closed deals) "
        "or today (open deals).",
    ),
    _number(
        "recurring_revenue_amount",
        "Monthly recurring amount",
        description="The recurring part of the deal per month, in the deal's currency.",
    ),
    _number(
        "revline_term_months",
        "Term (months)",
        description="Contract length of a recurring deal; 12 when not given.",
    ),
    _number("hs_mrr", "Monthly recurring revenue", read_only=True, calculated=True),
    _number("hs_arr", "Annual recurring revenue", read_only=True, calculated=True),
    _number("hs_tcv", "Total contract value", read_only=True, calculated=True),
    _select("closed_lost_reason", "Closed lost reason", CLOSED_LOST_REASONS),
    _area("closed_won_reason", "Closed won reason"),
    _datetime(
        "hs_v2_date_entered_current_stage",
        "Date entered current stage",
        read_only=True,
        calculated=True,
    ),
]


def _engagement_common() -> list[BuiltinProperty]:
    return [
        *_record_level("hs_createdate", "hs_lastmodifieddate"),
        _datetime("hs_timestamp", "Activity date"),
    ]


CALL_PROPERTIES = [
    *_engagement_common(),
    _text("hs_call_title", "Call Title"),
    _area("hs_call_body", "Call notes"),
    _select("hs_call_direction", "Call direction", DIRECTIONS),
    _number("hs_call_duration", "Call duration (ms)"),
    _select("hs_call_disposition", "Call outcome", CALL_DISPOSITIONS),
    _select(
        "hs_call_status",
        "Call status",
        [
            (v, v.replace("_", " ").title())
            for v in (
                "BUSY",
                "CALLING_CRM_USER",
                "CANCELED",
                "COMPLETED",
                "CONNECTING",
                "FAILED",
                "IN_PROGRESS",
                "MISSED",
                "NO_ANSWER",
                "QUEUED",
                "RINGING",
            )
        ],
    ),
]
EMAIL_PROPERTIES = [
    *_engagement_common(),
    _text("hs_email_subject", "Email subject"),
    _area("hs_email_text", "Email text"),
    _select(
        "hs_email_direction",
        "Email direction",
        [
            ("EMAIL", "Outgoing email"),
            ("INCOMING_EMAIL", "Incoming email"),
            ("FORWARDED_EMAIL", "Forwarded email"),
        ],
    ),
    _select(
        "hs_email_status",
        "Email send status",
        [(v, v.title()) for v in ("BOUNCED", "FAILED", "SCHEDULED", "SENDING", "SENT")],
    ),
]
MEETING_PROPERTIES = [
    *_engagement_common(),
    _text("hs_meeting_title", "Meeting name"),
    _area("hs_meeting_body", "Meeting description"),
    _datetime("hs_meeting_start_time", "Meeting start time"),
    _datetime("hs_meeting_end_time", "Meeting end time"),
    _select(
        "hs_meeting_outcome",
        "Meeting outcome",
        [
            ("SCHEDULED", "Scheduled"),
            ("COMPLETED", "Completed"),
            ("RESCHEDULED", "Rescheduled"),
            ("NO_SHOW", "No Show"),
            ("CANCELED", "Canceled"),
        ],
    ),
]
NOTE_PROPERTIES = [
    *_engagement_common(),
    _area("hs_note_body", "Note body"),
]
TASK_PROPERTIES = [
    *_engagement_common(),
    _text("hs_task_subject", "Task Title"),
    _area("hs_task_body", "Task notes"),
    _select(
        "hs_task_status",
        "Task Status",
        [
            ("NOT_STARTED", "Not Started"),
            ("IN_PROGRESS", "In Progress"),
            ("WAITING", "Waiting"),
            ("COMPLETED", "Completed"),
            ("DEFERRED", "Deferred"),
        ],
    ),
    _select(
        "hs_task_priority", "Priority", [("LOW", "Low"), ("MEDIUM", "Medium"), ("HIGH", "High")]
    ),
    _select("hs_task_type", "Task Type", [("CALL", "Call"), ("EMAIL", "Email"), ("TODO", "To-do")]),
]

BUILTIN_PROPERTIES: dict[str, list[BuiltinProperty]] = {
    CONTACTS.name: CONTACT_PROPERTIES,
    COMPANIES.name: COMPANY_PROPERTIES,
    DEALS.name: DEAL_PROPERTIES,
    CALLS.name: CALL_PROPERTIES,
    EMAILS.name: EMAIL_PROPERTIES,
    MEETINGS.name: MEETING_PROPERTIES,
    NOTES.name: NOTE_PROPERTIES,
    TASKS.name: TASK_PROPERTIES,
}


def builtin_for(object_type: ObjectType) -> dict[str, BuiltinProperty]:
    return {p.name: p for p in BUILTIN_PROPERTIES[object_type.name]}


# Groups every object type has out of the box.
BUILTIN_GROUPS: dict[str, list[tuple[str, str]]] = {
    t.name: [(t.group, f"{t.singular.title()} information")]
    for t in (CONTACTS, COMPANIES, DEALS, CALLS, EMAILS, MEETINGS, NOTES, TASKS)
}
BUILTIN_GROUPS[CONTACTS.name].append(("sales_properties", "Sales properties"))
BUILTIN_GROUPS[DEALS.name].append(("deal_activity", "Deal activity"))
