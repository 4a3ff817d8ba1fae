"""The object types Revline stores, and the names and ids clients use for them."""

from __future__ import annotations

from dataclasses import dataclass

from revline.errors import NotFound


@dataclass(frozen=True)
class ObjectType:
    name: str  # plural path name, e.g. "contacts"
    singular: str
    type_id: str  # HubSpot's object type id, e.g. "0-1"
    table: str  # storage table
    group: str  # default property group
    default_properties: tuple[str, ...]
    lastmodified_property: str
    engagement_type: str | None = None  # discriminator in the engagements table
    unique_id_property: str | None = None  # email for contacts, domain for companies

    @property
    def is_engagement(self) -> bool:
        return self.engagement_type is not None


CONTACTS = ObjectType(
    name="contacts",
    singular="contact",
    type_id="0-1",
    table="contacts",
    group="contactinformation",
    default_properties=(
        "createdate",
        "email",
        "firstname",
        "hs_object_id",
        "lastmodifieddate",
        "lastname",
    ),
    lastmodified_property="lastmodifieddate",
    unique_id_property="email",
)
COMPANIES = ObjectType(
    name="companies",
    singular="company",
    type_id="0-2",
    table="companies",
    group="companyinformation",
    default_properties=("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    lastmodified_property="hs_lastmodifieddate",
    unique_id_property="domain",
)
DEALS = ObjectType(
    name="deals",
    singular="deal",
    type_id="0-3",
    table="deals",
    group="dealinformation",
    default_properties=(
        "amount",
        "closedate",
        "createdate",
        "dealname",
        "dealstage",
        "hs_lastmodifieddate",
        "hs_object_id",
        "pipeline",
    ),
    lastmodified_property="hs_lastmodifieddate",
)


def _engagement(name: str, singular: str, type_id: str, kind: str, body: str) -> ObjectType:
    return ObjectType(
        name=name,
        singular=singular,
        type_id=type_id,
        table="engagements",
        group=f"{singular}information",
        default_properties=(
            "hs_createdate",
            "hs_lastmodifieddate",
            "hs_object_id",
            "hs_timestamp",
            body,
        ),
        lastmodified_property="hs_lastmodifieddate",
        engagement_type=kind,
    )


CALLS = _engagement("calls", "call", "0-48", "CALL", "hs_call_title")
EMAILS = _engagement("emails", "email", "0-49", "EMAIL", "hs_email_subject")
MEETINGS = _engagement("meetings", "meeting", "0-47", "MEETING", "hs_meeting_title")
NOTES = _engagement("notes", "note", "0-46", "NOTE", "hs_note_body")
TASKS = _engagement("tasks", "task", "0-27", "TASK", "hs_task_subject")

ALL_TYPES: tuple[ObjectType, ...] = (
    CONTACTS,
    COMPANIES,
    DEALS,
    CALLS,
    EMAILS,
    MEETINGS,
    NOTES,
    TASKS,
)
ENGAGEMENT_TYPES: tuple[ObjectType, ...] = (CALLS, EMAILS, MEETINGS, NOTES, TASKS)

_LOOKUP: dict[str, ObjectType] = {}
for _t in ALL_TYPES:
    for _key in (_t.name, _t.singular, _t.type_id):
        _LOOKUP[_key] = _t


def get_object_type(name: str) -> ObjectType | None:
    return _LOOKUP.get(name.strip().lower())


def access_object_type(name: str) -> ObjectType:
    """Resolve a path segment (plural, singular or type id) or raise 404."""
    found = get_object_type(name)
    if found is None:
        raise NotFound(f"Unknown object type '{name}'.", context={"objectType": [name]})
    return found
