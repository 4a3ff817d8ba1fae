"""Benchmark candidate storage layouts for Revline CRM property values.

One deterministic data set of contacts is loaded into three layouts, on SQLite (a file
database in WAL mode) and on PostgreSQL, and the same query shapes are timed on each:

* ``typed_json``  - typed, indexed columns for built-in properties plus one JSON column
  (JSONB on PostgreSQL, TEXT on SQLite) holding custom property values as canonical strings,
  with expression indexes on one custom enumeration and one custom number;
* ``eav``         - a ``records`` table plus one ``property_values`` row per record and
  property, with partial composite indexes per value type;
* ``single_json`` - every property inside one JSON document per record (PostgreSQL: a GIN
  ``jsonb_path_ops`` index; both engines: expression indexes on two properties).

Every list query returns what a list view needs (id, email, first and last name, lifecycle
stage, create date), so the EAV figures include re-assembling those values.  Results for each
query are cross-checked between layouts (same ids in the same order, or the same count).

Run from the repository root::

    .venv/bin/python bench/storage_layouts.py --rows 20000      # smoke run, well under a minute
    .venv/bin/python bench/storage_layouts.py                   # 1,000,000 contacts

PostgreSQL: a scratch database ``revline_bench_layout_<random>`` is created through the admin
URL and dropped at the end.  SQLite: files go to a temporary directory that is removed at the
end (``--keep`` keeps both for inspection).
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

Row = tuple[Any, ...]
T = TypeVar("T")

ENGINES = ("sqlite", "postgresql")
LAYOUT_KEYS = ("typed_json", "eav", "single_json", "typed_json_composite")
DEFAULT_LAYOUTS = ("typed_json", "eav", "single_json")
SQLITE_CACHE_KIB = 131072  # 128 MiB page cache, the same as PostgreSQL's default shared_buffers
PAGE_SIZE = 100

# --------------------------------------------------------------------------------------------
# Synthetic data
# --------------------------------------------------------------------------------------------


class Weighted(Generic[T]):
    """Pick values with fixed relative weights using one uniform draw (fast, deterministic)."""

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in pairs]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, draw: float) -> T:
        index = bisect.bisect_right(self.cumulative, draw * self.total)
        return self.values[min(index, len(self.values) - 1)]

    def share(self, value: T) -> float:
        index = self.values.index(value)
        low = self.cumulative[index - 1] if index else 0.0
        return (self.cumulative[index] - low) / self.total


LIFECYCLE = Weighted(
    [
        ("subscriber", 22),
        ("lead", 30),
        ("marketingqualifiedlead", 15),
        ("salesqualifiedlead", 10),
        ("opportunity", 8),
        ("customer", 10),
        ("evangelist", 2),
        ("other", 3),
    ]
)
LEAD_STATUS = Weighted(
    [
        ("NEW", 20),
        ("OPEN", 18),
        ("IN_PROGRESS", 15),
        ("OPEN_DEAL", 8),
        ("UNQUALIFIED", 14),
        ("ATTEMPTED_TO_CONTACT", 12),
        ("CONNECTED", 9),
        ("BAD_TIMING", 4),
    ]
)
# 20 sales reps; the first ones carry more contacts than the last ones.
OWNERS = Weighted([(70_000_101 + 13 * n, 40.0 / (n + 4)) for n in range(20)])
INDUSTRY = Weighted(
    [
        ("saas", 20),
        ("fintech", 15),
        ("healthcare", 12),
        ("manufacturing", 10),
        ("retail", 8),
        ("education", 8),
        ("logistics", 6),
        ("media", 6),
        ("public_sector", 5),
        ("energy", 4),
        ("hospitality", 3),
        ("nonprofit", 3),
    ]
)
LANGUAGE = Weighted([("en", 50), ("de", 15), ("fr", 12), ("es", 12), ("nl", 6), ("pt", 5)])
DOMAINS = Weighted(
    [
        ("mailbox.test", 30),
        ("inbox.test", 20),
        ("acme-corp.test", 8),
        ("globex.test", 8),
        ("initech.test", 7),
        ("umbrella.test", 7),
        ("hooli.test", 6),
        ("vandelay.test", 6),
        ("soylent.test", 4),
        ("wonka.test", 4),
    ]
)
FIRST_NAMES = (
    *("Ada", "Alan", "Amara", "Anton", "Aria", "Ben", "Bianca", "Carla", "Chen", "Dario"),
    *("Diana", "Elif", "Emil", "Erin", "Farah", "Felix", "Greta", "Hana", "Hugo", "Ines"),
    *("Ivan", "Jonas", "Julia", "Kai", "Kira", "Lars", "Lea", "Luca", "Maya", "Mei"),
    *("Milan", "Nadia", "Nils", "Noor", "Omar", "Paula", "Pavel", "Rosa", "Ruben", "Sami"),
    *("Sara", "Sofia", "Tariq", "Theo", "Uma", "Vera", "Wim", "Yara", "Yusuf", "Zoe"),
)
# Surnames are stitched from three parts: 25 x 10 x 15 = 3,750 distinct values.
SURNAME_HEADS = (
    *("Al", "Bar", "Cor", "Dal", "El", "Fen", "Gar", "Hol", "Is", "Jan", "Kes", "Lin", "Mor"),
    *("Nor", "Os", "Pel", "Quin", "Ros", "Sal", "Tor", "Ul", "Var", "Wes", "Yar", "Zel"),
)
SURNAME_MIDDLES = ("", "a", "e", "i", "o", "an", "er", "in", "ov", "ull")
SURNAME_TAILS = (
    *("son", "berg", "ford", "ley", "mann", "ton", "ez", "ski", "wood", "dal", "ini", "sen"),
    *("ova", "ard", "hurst"),
)

CREATE_START = datetime(2022, 7, 1, tzinfo=UTC)
CREATE_SPAN_SECONDS = 3 * 365 * 24 * 3600


class Contact(NamedTuple):
    id: int
    email: str
    firstname: str
    lastname: str
    lifecyclestage: str
    lead_status: str | None
    owner_id: int | None
    createdate: str  # ISO 8601, UTC, millisecond precision: 2024-03-05T17:02:11.000Z
    visits: int
    custom: dict[str, str]  # canonical string values of custom properties that are set


def generate_contacts(rows: int, seed: int) -> list[Contact]:
    """Build ``rows`` contacts from ``random.Random(seed)``; same arguments, same data."""
    rng = random.Random(seed)
    draw = rng.random
    contacts: list[Contact] = []
    for rid in range(1, rows + 1):
        first = FIRST_NAMES[int(draw() * len(FIRST_NAMES))]
        last = (
            SURNAME_HEADS[int(draw() * len(SURNAME_HEADS))]
            + SURNAME_MIDDLES[int(draw() * len(SURNAME_MIDDLES))]
            + SURNAME_TAILS[int(draw() * len(SURNAME_TAILS))]
        )
        email = f"{first}.{last}.{rid:x}@{DOMAINS.pick(draw())}".lower()
        # Growing business: later dates are more frequent (density rises linearly).
        offset = int(math.sqrt(draw()) * CREATE_SPAN_SECONDS)
        created = (CREATE_START + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        custom: dict[str, str] = {}
        if draw() < 0.92:
            custom["industry_segment"] = INDUSTRY.pick(draw())
        if draw() < 0.65:
            custom["contract_value"] = f"{rng.lognormvariate(9.3, 1.1):.2f}"
        if draw() < 0.80:
            custom["preferred_language"] = LANGUAGE.pick(draw())
        if draw() < 0.35:
            custom["nps_score"] = str(min(10, int(rng.triangular(0, 11, 9))))
        if draw() < 0.90:
            custom["newsletter_opt_in"] = "true" if draw() < 0.4 else "false"
        contacts.append(
            Contact(
                id=rid,
                email=email,
                firstname=first,
                lastname=last,
                lifecyclestage=LIFECYCLE.pick(draw()),
                lead_status=LEAD_STATUS.pick(draw()) if draw() >= 0.2 else None,
                owner_id=OWNERS.pick(draw()) if draw() >= 0.05 else None,
                createdate=created,
                visits=int(rng.expovariate(1 / 9)),
                custom=custom,
            )
        )
    return contacts


def sqlite_timestamp(iso: str) -> str:
    """ISO ``...T..Z`` to the text form SQLAlchemy's DateTime uses on SQLite."""
    return f"{iso[:10]} {iso[11:19]}.000000"


def compact_json(value: dict[str, str]) -> str:
    return json.dumps(value, separators=(",", ":"))


def full_document(c: Contact) -> dict[str, str]:
    doc = {
        "email": c.email,
        "firstname": c.firstname,
        "lastname": c.lastname,
        "lifecyclestage": c.lifecyclestage,
    }
    if c.lead_status is not None:
        doc["hs_lead_status"] = c.lead_status
    if c.owner_id is not None:
        doc["hubspot_owner_id"] = str(c.owner_id)
    doc["createdate"] = c.createdate
    doc["hs_analytics_num_visits"] = str(c.visits)
    doc.update(c.custom)
    return doc


# EAV property catalogue: (id, name, value type).  Values of type "number" go to value_num,
# "datetime" to value_ts, everything else to value_text.
EAV_PROPERTIES: tuple[tuple[int, str, str], ...] = (
    (1, "email", "string"),
    (2, "firstname", "string"),
    (3, "lastname", "string"),
    (4, "lifecyclestage", "enumeration"),
    (5, "hs_lead_status", "enumeration"),
    (6, "hubspot_owner_id", "number"),
    (7, "createdate", "datetime"),
    (8, "hs_analytics_num_visits", "number"),
    (9, "industry_segment", "enumeration"),
    (10, "contract_value", "number"),
    (11, "preferred_language", "enumeration"),
    (12, "nps_score", "number"),
    (13, "newsletter_opt_in", "bool"),
)
PROPERTY_ID = {name: pid for pid, name, _ in EAV_PROPERTIES}
PROPERTY_TYPE = {name: kind for _, name, kind in EAV_PROPERTIES}


def typed_json_rows(contacts: Sequence[Contact], engine: str) -> Iterator[Row]:
    for c in contacts:
        created = sqlite_timestamp(c.createdate) if engine == "sqlite" else c.createdate
        yield (
            c.id,
            c.email,
            c.firstname,
            c.lastname,
            c.lifecyclestage,
            c.lead_status,
            c.owner_id,
            created,
            c.visits,
            compact_json(c.custom),
        )


def single_json_rows(contacts: Sequence[Contact], engine: str) -> Iterator[Row]:
    for c in contacts:
        yield (c.id, compact_json(full_document(c)))


def eav_record_rows(contacts: Sequence[Contact], engine: str) -> Iterator[Row]:
    for c in contacts:
        yield (c.id,)


def eav_value_rows(contacts: Sequence[Contact], engine: str) -> Iterator[Row]:
    """One row per set property.  full_document() lists properties in EAV_PROPERTIES order,
    so rows arrive in primary-key order (record_id, property): cheap WITHOUT ROWID inserts."""
    to_ts = sqlite_timestamp if engine == "sqlite" else str
    for c in contacts:
        for name, value in full_document(c).items():
            kind = PROPERTY_TYPE[name]
            pid = PROPERTY_ID[name]
            if kind == "number":
                yield (c.id, pid, None, value, None)
            elif kind == "datetime":
                yield (c.id, pid, None, None, to_ts(value))
            else:
                yield (c.id, pid, value, None, None)


# --------------------------------------------------------------------------------------------
# Layouts: DDL, loading and the query text for each engine
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TableLoad:
    table: str
    sqlite_insert: str
    pg_copy: str
    rows: Callable[[Sequence[Contact], str], Iterator[Row]]


@dataclass(frozen=True)
class Layout:
    key: str
    title: str
    create: dict[str, tuple[str, ...]]  # engine -> statements run before loading
    after_load: dict[str, tuple[str, ...]]  # engine -> keys and indexes built after loading
    tables: tuple[TableLoad, ...]
    queries: dict[str, dict[str, str]]  # query id -> engine -> SQL with :named parameters


@dataclass(frozen=True)
class QueryShape:
    qid: str
    label: str
    kind: str  # "list" (ids in order) or "count"


QUERY_SHAPES = (
    QueryShape("q1", "stage = X, newest first, limit 100", "list"),
    QueryShape("q2", "createdate range + owner, count(*)", "count"),
    QueryShape("q3", "custom enum = X, by lastname, limit 100", "list"),
    QueryShape("q4", "custom number range, by id, limit 100", "list"),
    QueryShape("q5a", "email exact match", "list"),
    QueryShape("q5b", "email prefix, by email, limit 100", "list"),
    QueryShape("q6", "keyset page after middle id, limit 100", "list"),
    QueryShape("q7", "stage IN (2) + custom enum + owner, limit 100", "list"),
)

TYPED_JSON = Layout(
    key="typed_json",
    title="A typed columns + JSON",
    create={
        "sqlite": (
            """CREATE TABLE contacts (
                id INTEGER PRIMARY KEY,
                email TEXT NOT NULL,
                firstname TEXT,
                lastname TEXT,
                lifecyclestage TEXT,
                hs_lead_status TEXT,
                hubspot_owner_id BIGINT,
                createdate DATETIME NOT NULL,
                hs_analytics_num_visits INTEGER,
                custom TEXT NOT NULL DEFAULT '{}'
            )""",
        ),
        "postgresql": (
            """CREATE TABLE contacts (
                id BIGINT NOT NULL,
                email TEXT NOT NULL,
                firstname TEXT,
                lastname TEXT,
                lifecyclestage TEXT,
                hs_lead_status TEXT,
                hubspot_owner_id BIGINT,
                createdate TIMESTAMPTZ NOT NULL,
                hs_analytics_num_visits INTEGER,
                custom JSONB NOT NULL DEFAULT '{}'::jsonb
            )""",
        ),
    },
    after_load={
        "sqlite": (
            "CREATE INDEX ix_contacts_email ON contacts (email)",
            "CREATE INDEX ix_contacts_firstname ON contacts (firstname)",
            "CREATE INDEX ix_contacts_lastname ON contacts (lastname)",
            "CREATE INDEX ix_contacts_lifecyclestage ON contacts (lifecyclestage)",
            "CREATE INDEX ix_contacts_hs_lead_status ON contacts (hs_lead_status)",
            "CREATE INDEX ix_contacts_owner ON contacts (hubspot_owner_id)",
            "CREATE INDEX ix_contacts_createdate ON contacts (createdate)",
            "CREATE INDEX ix_contacts_visits ON contacts (hs_analytics_num_visits)",
            "CREATE INDEX ix_contacts_segment ON contacts "
            "(json_extract(custom, '$.industry_segment'))",
            "CREATE INDEX ix_contacts_contract_value ON contacts "
            "(CAST(json_extract(custom, '$.contract_value') AS REAL))",
        ),
        "postgresql": (
            "ALTER TABLE contacts ADD PRIMARY KEY (id)",
            "CREATE INDEX ix_contacts_email ON contacts (email)",
            "CREATE INDEX ix_contacts_firstname ON contacts (firstname)",
            "CREATE INDEX ix_contacts_lastname ON contacts (lastname)",
            "CREATE INDEX ix_contacts_lifecyclestage ON contacts (lifecyclestage)",
            "CREATE INDEX ix_contacts_hs_lead_status ON contacts (hs_lead_status)",
            "CREATE INDEX ix_contacts_owner ON contacts (hubspot_owner_id)",
            "CREATE INDEX ix_contacts_createdate ON contacts (createdate)",
            "CREATE INDEX ix_contacts_visits ON contacts (hs_analytics_num_visits)",
            "CREATE INDEX ix_contacts_segment ON contacts ((custom ->> 'industry_segment'))",
            "CREATE INDEX ix_contacts_contract_value ON contacts "
            "(((custom ->> 'contract_value')::numeric))",
        ),
    },
    tables=(
        TableLoad(
            "contacts",
            "INSERT INTO contacts (id, email, firstname, lastname, lifecyclestage, "
            "hs_lead_status, hubspot_owner_id, createdate, hs_analytics_num_visits, custom) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            "COPY contacts (id, email, firstname, lastname, lifecyclestage, hs_lead_status, "
            "hubspot_owner_id, createdate, hs_analytics_num_visits, custom) FROM STDIN",
            typed_json_rows,
        ),
    ),
    queries={
        "q1": {
            "*": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts WHERE lifecyclestage = :stage
                ORDER BY createdate DESC, id DESC LIMIT 100""",
        },
        "q2": {
            "*": """SELECT count(*) FROM contacts
                WHERE createdate >= :ts_from AND createdate < :ts_to
                AND hubspot_owner_id = :owner""",
        },
        "q3": {
            "sqlite": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts WHERE json_extract(custom, '$.industry_segment') = :segment
                ORDER BY lastname, id LIMIT 100""",
            "postgresql": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts WHERE custom ->> 'industry_segment' = :segment
                ORDER BY lastname, id LIMIT 100""",
        },
        "q4": {
            "sqlite": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts
                WHERE CAST(json_extract(custom, '$.contract_value') AS REAL) >= :num_lo
                AND CAST(json_extract(custom, '$.contract_value') AS REAL) < :num_hi
                ORDER BY id LIMIT 100""",
            "postgresql": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts
                WHERE (custom ->> 'contract_value')::numeric >= :num_lo
                AND (custom ->> 'contract_value')::numeric < :num_hi
                ORDER BY id LIMIT 100""",
        },
        "q5a": {
            "*": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts WHERE email = :email""",
        },
        "q5b": {
            "*": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts WHERE email >= :email_lo AND email < :email_hi
                ORDER BY email LIMIT 100""",
        },
        "q6": {
            "*": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts WHERE id > :cursor_id ORDER BY id LIMIT 100""",
        },
        "q7": {
            "sqlite": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts
                WHERE lifecyclestage IN (:stage_a, :stage_b)
                AND json_extract(custom, '$.industry_segment') = :segment7
                AND hubspot_owner_id = :owner7
                ORDER BY id LIMIT 100""",
            "postgresql": """SELECT id, email, firstname, lastname, lifecyclestage, createdate
                FROM contacts
                WHERE lifecyclestage IN (:stage_a, :stage_b)
                AND custom ->> 'industry_segment' = :segment7
                AND hubspot_owner_id = :owner7
                ORDER BY id LIMIT 100""",
        },
    },
)

EAV = Layout(
    key="eav",
    title="B EAV",
    create={
        "sqlite": (
            """CREATE TABLE properties (
                id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, value_type TEXT NOT NULL
            )""",
            "CREATE TABLE records (id INTEGER PRIMARY KEY)",
            """CREATE TABLE property_values (
                record_id INTEGER NOT NULL,
                property INTEGER NOT NULL,
                value_text TEXT,
                value_num NUMERIC,
                value_ts DATETIME,
                PRIMARY KEY (record_id, property)
            ) WITHOUT ROWID""",
        ),
        "postgresql": (
            """CREATE TABLE properties (
                id SMALLINT PRIMARY KEY, name TEXT NOT NULL UNIQUE, value_type TEXT NOT NULL
            )""",
            "CREATE TABLE records (id BIGINT NOT NULL)",
            """CREATE TABLE property_values (
                record_id BIGINT NOT NULL,
                property SMALLINT NOT NULL,
                value_text TEXT,
                value_num NUMERIC,
                value_ts TIMESTAMPTZ
            )""",
        ),
    },
    after_load={
        "sqlite": (
            "CREATE INDEX ix_pv_text ON property_values (property, value_text, record_id) "
            "WHERE value_text IS NOT NULL",
            "CREATE INDEX ix_pv_num ON property_values (property, value_num, record_id) "
            "WHERE value_num IS NOT NULL",
            "CREATE INDEX ix_pv_ts ON property_values (property, value_ts, record_id) "
            "WHERE value_ts IS NOT NULL",
        ),
        "postgresql": (
            "ALTER TABLE records ADD PRIMARY KEY (id)",
            "ALTER TABLE property_values ADD PRIMARY KEY (record_id, property)",
            "CREATE INDEX ix_pv_text ON property_values (property, value_text, record_id) "
            "WHERE value_text IS NOT NULL",
            "CREATE INDEX ix_pv_num ON property_values (property, value_num, record_id) "
            "WHERE value_num IS NOT NULL",
            "CREATE INDEX ix_pv_ts ON property_values (property, value_ts, record_id) "
            "WHERE value_ts IS NOT NULL",
        ),
    },
    tables=(
        TableLoad(
            "properties",
            "INSERT INTO properties (id, name, value_type) VALUES (?, ?, ?)",
            "COPY properties (id, name, value_type) FROM STDIN",
            lambda contacts, engine: iter(EAV_PROPERTIES),
        ),
        TableLoad(
            "records",
            "INSERT INTO records (id) VALUES (?)",
            "COPY records (id) FROM STDIN",
            eav_record_rows,
        ),
        TableLoad(
            "property_values",
            "INSERT INTO property_values (record_id, property, value_text, value_num, value_ts) "
            "VALUES (?, ?, ?, ?, ?)",
            "COPY property_values (record_id, property, value_text, value_num, value_ts) "
            "FROM STDIN",
            eav_value_rows,
        ),
    ),
    # Each list query finds up to 100 ids ("hits") and then fetches the five displayed
    # properties of those records, ordered so that the caller can pivot them in one pass.
    queries={
        "q1": {
            "*": """WITH hits AS (
                    SELECT lc.record_id AS id, cd.value_ts AS sort_key
                    FROM property_values AS lc
                    JOIN property_values AS cd
                        ON cd.record_id = lc.record_id AND cd.property = :p_createdate
                    WHERE lc.property = :p_lifecyclestage AND lc.value_text = :stage
                        AND cd.value_ts IS NOT NULL
                    ORDER BY cd.value_ts DESC, lc.record_id DESC LIMIT 100
                )
                SELECT pv.record_id, pv.property, pv.value_text, pv.value_num, pv.value_ts
                FROM hits JOIN property_values AS pv ON pv.record_id = hits.id
                WHERE pv.property IN
                    (:p_email, :p_firstname, :p_lastname, :p_lifecyclestage, :p_createdate)
                ORDER BY hits.sort_key DESC, hits.id DESC, pv.property""",
        },
        "q2": {
            "*": """SELECT count(*)
                FROM property_values AS cd
                JOIN property_values AS ow
                    ON ow.record_id = cd.record_id AND ow.property = :p_owner
                WHERE cd.property = :p_createdate
                    AND cd.value_ts >= :ts_from AND cd.value_ts < :ts_to
                    AND ow.value_num = :owner""",
        },
        "q3": {
            "*": """WITH hits AS (
                    SELECT seg.record_id AS id, ln.value_text AS sort_key
                    FROM property_values AS seg
                    JOIN property_values AS ln
                        ON ln.record_id = seg.record_id AND ln.property = :p_lastname
                    WHERE seg.property = :p_segment AND seg.value_text = :segment
                        AND ln.value_text IS NOT NULL
                    ORDER BY ln.value_text, seg.record_id LIMIT 100
                )
                SELECT pv.record_id, pv.property, pv.value_text, pv.value_num, pv.value_ts
                FROM hits JOIN property_values AS pv ON pv.record_id = hits.id
                WHERE pv.property IN
                    (:p_email, :p_firstname, :p_lastname, :p_lifecyclestage, :p_createdate)
                ORDER BY hits.sort_key, hits.id, pv.property""",
        },
        "q4": {
            "*": """WITH hits AS (
                    SELECT record_id AS id FROM property_values
                    WHERE property = :p_contract_value
                        AND value_num >= :num_lo AND value_num < :num_hi
                    ORDER BY record_id LIMIT 100
                )
                SELECT pv.record_id, pv.property, pv.value_text, pv.value_num, pv.value_ts
                FROM hits JOIN property_values AS pv ON pv.record_id = hits.id
                WHERE pv.property IN
                    (:p_email, :p_firstname, :p_lastname, :p_lifecyclestage, :p_createdate)
                ORDER BY hits.id, pv.property""",
        },
        "q5a": {
            "*": """WITH hits AS (
                    SELECT record_id AS id FROM property_values
                    WHERE property = :p_email AND value_text = :email
                )
                SELECT pv.record_id, pv.property, pv.value_text, pv.value_num, pv.value_ts
                FROM hits JOIN property_values AS pv ON pv.record_id = hits.id
                WHERE pv.property IN
                    (:p_email, :p_firstname, :p_lastname, :p_lifecyclestage, :p_createdate)
                ORDER BY hits.id, pv.property""",
        },
        "q5b": {
            "*": """WITH hits AS (
                    SELECT record_id AS id, value_text AS sort_key FROM property_values
                    WHERE property = :p_email
                        AND value_text >= :email_lo AND value_text < :email_hi
                    ORDER BY value_text LIMIT 100
                )
                SELECT pv.record_id, pv.property, pv.value_text, pv.value_num, pv.value_ts
                FROM hits JOIN property_values AS pv ON pv.record_id = hits.id
                WHERE pv.property IN
                    (:p_email, :p_firstname, :p_lastname, :p_lifecyclestage, :p_createdate)
                ORDER BY hits.sort_key, pv.property""",
        },
        "q6": {
            "*": """WITH hits AS (
                    SELECT id FROM records WHERE id > :cursor_id ORDER BY id LIMIT 100
                )
                SELECT pv.record_id, pv.property, pv.value_text, pv.value_num, pv.value_ts
                FROM hits JOIN property_values AS pv ON pv.record_id = hits.id
                WHERE pv.property IN
                    (:p_email, :p_firstname, :p_lastname, :p_lifecyclestage, :p_createdate)
                ORDER BY hits.id, pv.property""",
        },
        "q7": {
            "*": """WITH hits AS (
                    SELECT seg.record_id AS id
                    FROM property_values AS seg
                    JOIN property_values AS ow
                        ON ow.record_id = seg.record_id AND ow.property = :p_owner
                    JOIN property_values AS lc
                        ON lc.record_id = seg.record_id AND lc.property = :p_lifecyclestage
                    WHERE seg.property = :p_segment AND seg.value_text = :segment7
                        AND ow.value_num = :owner7
                        AND lc.value_text IN (:stage_a, :stage_b)
                    ORDER BY seg.record_id LIMIT 100
                )
                SELECT pv.record_id, pv.property, pv.value_text, pv.value_num, pv.value_ts
                FROM hits JOIN property_values AS pv ON pv.record_id = hits.id
                WHERE pv.property IN
                    (:p_email, :p_firstname, :p_lastname, :p_lifecyclestage, :p_createdate)
                ORDER BY hits.id, pv.property""",
        },
    },
)

SINGLE_JSON = Layout(
    key="single_json",
    title="C single JSON",
    create={
        "sqlite": ("CREATE TABLE contacts (id INTEGER PRIMARY KEY, props TEXT NOT NULL)",),
        "postgresql": ("CREATE TABLE contacts (id BIGINT NOT NULL, props JSONB NOT NULL)",),
    },
    after_load={
        "sqlite": (
            "CREATE INDEX ix_doc_lifecyclestage ON contacts "
            "(json_extract(props, '$.lifecyclestage'))",
            "CREATE INDEX ix_doc_email ON contacts (json_extract(props, '$.email'))",
        ),
        "postgresql": (
            "ALTER TABLE contacts ADD PRIMARY KEY (id)",
            "CREATE INDEX ix_doc_lifecyclestage ON contacts ((props ->> 'lifecyclestage'))",
            "CREATE INDEX ix_doc_email ON contacts ((props ->> 'email'))",
            "CREATE INDEX ix_doc_gin ON contacts USING gin (props jsonb_path_ops)",
        ),
    },
    tables=(
        TableLoad(
            "contacts",
            "INSERT INTO contacts (id, props) VALUES (?, ?)",
            "COPY contacts (id, props) FROM STDIN",
            single_json_rows,
        ),
    ),
    # Like the other layouts, list queries return the five displayed values (extracted on the
    # server).  PostgreSQL: equality on properties without a B-tree expression index is
    # written as containment (@>) so that the GIN index can serve it.
    queries={
        "q1": {
            "sqlite": """SELECT id, json_extract(props, '$.email'),
                json_extract(props, '$.firstname'), json_extract(props, '$.lastname'),
                json_extract(props, '$.lifecyclestage'), json_extract(props, '$.createdate')
                FROM contacts
                WHERE json_extract(props, '$.lifecyclestage') = :stage
                ORDER BY json_extract(props, '$.createdate') DESC, id DESC LIMIT 100""",
            "postgresql": """SELECT id, props ->> 'email', props ->> 'firstname',
                props ->> 'lastname', props ->> 'lifecyclestage', props ->> 'createdate'
                FROM contacts
                WHERE props ->> 'lifecyclestage' = :stage
                ORDER BY props ->> 'createdate' DESC, id DESC LIMIT 100""",
        },
        "q2": {
            "sqlite": """SELECT count(*) FROM contacts
                WHERE json_extract(props, '$.createdate') >= :iso_from
                AND json_extract(props, '$.createdate') < :iso_to
                AND json_extract(props, '$.hubspot_owner_id') = :owner_text""",
            "postgresql": """SELECT count(*) FROM contacts
                WHERE props @> CAST(:owner_doc AS jsonb)
                AND props ->> 'createdate' >= :iso_from
                AND props ->> 'createdate' < :iso_to""",
        },
        "q3": {
            "sqlite": """SELECT id, json_extract(props, '$.email'),
                json_extract(props, '$.firstname'), json_extract(props, '$.lastname'),
                json_extract(props, '$.lifecyclestage'), json_extract(props, '$.createdate')
                FROM contacts
                WHERE json_extract(props, '$.industry_segment') = :segment
                ORDER BY json_extract(props, '$.lastname'), id LIMIT 100""",
            "postgresql": """SELECT id, props ->> 'email', props ->> 'firstname',
                props ->> 'lastname', props ->> 'lifecyclestage', props ->> 'createdate'
                FROM contacts
                WHERE props @> CAST(:segment_doc AS jsonb)
                ORDER BY props ->> 'lastname', id LIMIT 100""",
        },
        "q4": {
            "sqlite": """SELECT id, json_extract(props, '$.email'),
                json_extract(props, '$.firstname'), json_extract(props, '$.lastname'),
                json_extract(props, '$.lifecyclestage'), json_extract(props, '$.createdate')
                FROM contacts
                WHERE CAST(json_extract(props, '$.contract_value') AS REAL) >= :num_lo
                AND CAST(json_extract(props, '$.contract_value') AS REAL) < :num_hi
                ORDER BY id LIMIT 100""",
            "postgresql": """SELECT id, props ->> 'email', props ->> 'firstname',
                props ->> 'lastname', props ->> 'lifecyclestage', props ->> 'createdate'
                FROM contacts
                WHERE (props ->> 'contract_value')::numeric >= :num_lo
                AND (props ->> 'contract_value')::numeric < :num_hi
                ORDER BY id LIMIT 100""",
        },
        "q5a": {
            "sqlite": """SELECT id, json_extract(props, '$.email'),
                json_extract(props, '$.firstname'), json_extract(props, '$.lastname'),
                json_extract(props, '$.lifecyclestage'), json_extract(props, '$.createdate')
                FROM contacts
                WHERE json_extract(props, '$.email') = :email""",
            "postgresql": """SELECT id, props ->> 'email', props ->> 'firstname',
                props ->> 'lastname', props ->> 'lifecyclestage', props ->> 'createdate'
                FROM contacts
                WHERE props ->> 'email' = :email""",
        },
        "q5b": {
            "sqlite": """SELECT id, json_extract(props, '$.email'),
                json_extract(props, '$.firstname'), json_extract(props, '$.lastname'),
                json_extract(props, '$.lifecyclestage'), json_extract(props, '$.createdate')
                FROM contacts
                WHERE json_extract(props, '$.email') >= :email_lo
                AND json_extract(props, '$.email') < :email_hi
                ORDER BY json_extract(props, '$.email') LIMIT 100""",
            "postgresql": """SELECT id, props ->> 'email', props ->> 'firstname',
                props ->> 'lastname', props ->> 'lifecyclestage', props ->> 'createdate'
                FROM contacts
                WHERE props ->> 'email' >= :email_lo AND props ->> 'email' < :email_hi
                ORDER BY props ->> 'email' LIMIT 100""",
        },
        "q6": {
            "sqlite": """SELECT id, json_extract(props, '$.email'),
                json_extract(props, '$.firstname'), json_extract(props, '$.lastname'),
                json_extract(props, '$.lifecyclestage'), json_extract(props, '$.createdate')
                FROM contacts WHERE id > :cursor_id ORDER BY id LIMIT 100""",
            "postgresql": """SELECT id, props ->> 'email', props ->> 'firstname',
                props ->> 'lastname', props ->> 'lifecyclestage', props ->> 'createdate'
                FROM contacts WHERE id > :cursor_id ORDER BY id LIMIT 100""",
        },
        "q7": {
            "sqlite": """SELECT id, json_extract(props, '$.email'),
                json_extract(props, '$.firstname'), json_extract(props, '$.lastname'),
                json_extract(props, '$.lifecyclestage'), json_extract(props, '$.createdate')
                FROM contacts
                WHERE json_extract(props, '$.lifecyclestage') IN (:stage_a, :stage_b)
                AND json_extract(props, '$.industry_segment') = :segment7
                AND json_extract(props, '$.hubspot_owner_id') = :owner7_text
                ORDER BY id LIMIT 100""",
            "postgresql": """SELECT id, props ->> 'email', props ->> 'firstname',
                props ->> 'lastname', props ->> 'lifecyclestage', props ->> 'createdate'
                FROM contacts
                WHERE props ->> 'lifecyclestage' IN (:stage_a, :stage_b)
                AND props @> CAST(:q7_doc AS jsonb)
                ORDER BY id LIMIT 100""",
        },
    },
)

# Optional variant (not run by default): layout A plus composite indexes matching the
# (filter, sort) pairs of q1-q3, to show what typed columns allow and EAV/JSON cannot.
TYPED_JSON_COMPOSITE = replace(
    TYPED_JSON,
    key="typed_json_composite",
    title="A+ composite indexes",
    after_load={
        "sqlite": (
            *TYPED_JSON.after_load["sqlite"],
            "CREATE INDEX ix_contacts_stage_created ON contacts (lifecyclestage, createdate)",
            "CREATE INDEX ix_contacts_owner_created ON contacts (hubspot_owner_id, createdate)",
            "CREATE INDEX ix_contacts_segment_lastname ON contacts "
            "(json_extract(custom, '$.industry_segment'), lastname)",
        ),
        "postgresql": (
            *TYPED_JSON.after_load["postgresql"],
            "CREATE INDEX ix_contacts_stage_created ON contacts (lifecyclestage, createdate)",
            "CREATE INDEX ix_contacts_owner_created ON contacts (hubspot_owner_id, createdate)",
            "CREATE INDEX ix_contacts_segment_lastname ON contacts "
            "((custom ->> 'industry_segment'), lastname)",
        ),
    },
)

LAYOUTS = {layout.key: layout for layout in (TYPED_JSON, EAV, SINGLE_JSON, TYPED_JSON_COMPOSITE)}


def query_text(layout: Layout, qid: str, engine: str) -> str:
    variants = layout.queries[qid]
    text = variants.get(engine, variants.get("*"))
    if text is None:
        raise KeyError(f"{layout.key}/{qid} has no SQL for {engine}")
    text = " ".join(text.split())
    if engine == "postgresql":
        # :name -> %(name)s, leaving PostgreSQL casts (::numeric) alone.
        text = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", text)
    return text


# --------------------------------------------------------------------------------------------
# Query parameters (derived from the data, identical for every layout)
# --------------------------------------------------------------------------------------------


def choose_parameters(contacts: Sequence[Contact]) -> dict[str, Any]:
    """Engine-neutral parameter values; ``engine_parameters`` adapts the types."""
    rows = len(contacts)
    window_start = CREATE_START + timedelta(days=500)
    window_end = window_start + timedelta(days=90)
    amounts = sorted(
        float(c.custom["contract_value"]) for c in contacts if "contract_value" in c.custom
    )
    # A band holding about 0.5 % of the contacts that have a contract value.
    num_lo = amounts[int(len(amounts) * 0.990)]
    num_hi = amounts[min(len(amounts) - 1, int(len(amounts) * 0.995))]
    target = contacts[rows // 3]
    local, _, _ = target.email.partition("@")
    first, _, rest = local.partition(".")
    prefix = f"{first}.{rest[:2]}"
    return {
        "stage": "opportunity",
        "window_start": window_start,
        "window_end": window_end,
        "owner": OWNERS.values[6],
        "segment": "retail",
        "num_lo": f"{num_lo:.2f}",
        "num_hi": f"{num_hi:.2f}",
        "email": target.email,
        "email_lo": prefix,
        "email_hi": prefix[:-1] + chr(ord(prefix[-1]) + 1),
        "cursor_id": rows // 2,
        "stage_a": "lead",
        "stage_b": "customer",
        "segment7": "fintech",
        "owner7": OWNERS.values[3],
    }


def engine_parameters(base: dict[str, Any], engine: str) -> dict[str, Any]:
    def iso(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")

    params: dict[str, Any] = {
        key: base[key]
        for key in (
            "stage",
            "owner",
            "segment",
            "email",
            "email_lo",
            "email_hi",
            "cursor_id",
            "stage_a",
            "stage_b",
            "segment7",
            "owner7",
        )
    }
    params["iso_from"] = iso(base["window_start"])
    params["iso_to"] = iso(base["window_end"])
    params["owner_text"] = str(base["owner"])
    params["owner7_text"] = str(base["owner7"])
    params["owner_doc"] = compact_json({"hubspot_owner_id": str(base["owner"])})
    params["segment_doc"] = compact_json({"industry_segment": base["segment"]})
    params["q7_doc"] = compact_json(
        {"industry_segment": base["segment7"], "hubspot_owner_id": str(base["owner7"])}
    )
    for name, pid in PROPERTY_ID.items():
        params[f"p_{name}"] = pid
    params["p_owner"] = PROPERTY_ID["hubspot_owner_id"]
    params["p_segment"] = PROPERTY_ID["industry_segment"]
    if engine == "sqlite":
        params["ts_from"] = sqlite_timestamp(params["iso_from"])
        params["ts_to"] = sqlite_timestamp(params["iso_to"])
        params["num_lo"] = float(base["num_lo"])
        params["num_hi"] = float(base["num_hi"])
    else:
        params["ts_from"] = base["window_start"]
        params["ts_to"] = base["window_end"]
        params["num_lo"] = Decimal(base["num_lo"])
        params["num_hi"] = Decimal(base["num_hi"])
    return params


# --------------------------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------------------------


@dataclass
class QueryResult:
    median_ms: float
    p95_ms: float
    min_ms: float
    runs: int
    result_rows: int
    plan: list[str]
    sql: str


@dataclass
class LayoutResult:
    rows_loaded: dict[str, int] = field(default_factory=dict)
    insert_s: float = 0.0
    index_s: float = 0.0
    analyze_s: float = 0.0
    load_total_s: float = 0.0
    table_bytes: int = 0
    index_bytes: int = 0
    total_bytes: int = 0
    loadavg_before_queries: list[float] = field(default_factory=list)
    queries: dict[str, QueryResult] = field(default_factory=dict)


class Progress:
    """One progress line per table load; redrawn in place on a terminal."""

    def __init__(self, label: str, every: int = 250_000) -> None:
        self.label = label
        self.every = every
        self.count = 0
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.printed_at = -1

    def wrap(self, rows: Iterable[Row]) -> Iterator[Row]:
        for row in rows:
            self.count += 1
            if self.count % self.every == 0:
                self.show(final=False)
            yield row
        self.show(final=True)

    def show(self, final: bool) -> None:
        elapsed = time.perf_counter() - self.started
        rate = self.count / elapsed if elapsed > 0 else 0.0
        text = f"  {self.label}: {self.count:>12,} rows  {elapsed:7.1f} s  {rate:>10,.0f} rows/s"
        if self.tty:
            sys.stderr.write("\r" + text + ("\n" if final else ""))
        elif self.printed_at != self.count and (final or self.count % (self.every * 4) == 0):
            sys.stderr.write(text + "\n")
            self.printed_at = self.count
        sys.stderr.flush()


def chunked(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    chunk: list[Row] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (with 20 samples, p95 is the second largest)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def signature(kind: str, rows: Sequence[Row]) -> list[int]:
    """Ids in result order (first column), or [count] for counting queries."""
    if kind == "count":
        return [int(rows[0][0])]
    ids: list[int] = []
    for row in rows:
        rid = int(row[0])
        if not ids or ids[-1] != rid:
            ids.append(rid)
    return ids


def time_query(
    run: Callable[[], list[Row]], warmup: int, repeat: int, budget_s: float
) -> tuple[list[float], list[Row]]:
    rows: list[Row] = []
    for _ in range(warmup):
        rows = run()
    samples: list[float] = []
    spent = 0.0
    while len(samples) < repeat:
        started = time.perf_counter()
        rows = run()
        elapsed = time.perf_counter() - started
        samples.append(elapsed * 1000.0)
        spent += elapsed
        if spent > budget_s and len(samples) >= 5:
            break
    return samples, rows


@dataclass
class Settings:
    rows: int
    seed: int
    warmup: int
    repeat: int
    budget_s: float
    chunk: int


# --------------------------------------------------------------------------------------------
# SQLite
# --------------------------------------------------------------------------------------------


def sqlite_connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    conn.execute("PRAGMA temp_store = MEMORY")
    return conn


def sqlite_sizes(conn: sqlite3.Connection, path: Path) -> tuple[int, int, int]:
    kinds = dict(conn.execute("SELECT name, type FROM sqlite_schema").fetchall())
    table_bytes = index_bytes = 0
    for name, size in conn.execute(
        "SELECT name, sum(pgsize) FROM dbstat WHERE aggregate = 1 GROUP BY name"
    ):
        if kinds.get(name) == "index" or str(name).startswith("sqlite_autoindex"):
            index_bytes += int(size)
        else:
            table_bytes += int(size)
    wal = path.with_name(path.name + "-wal")
    total = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
    return table_bytes, index_bytes, total


def run_sqlite_layout(
    layout: Layout,
    path: Path,
    contacts: Sequence[Contact],
    params: dict[str, Any],
    settings: Settings,
    signatures: dict[str, list[int]],
) -> LayoutResult:
    result = LayoutResult()
    conn = sqlite_connect(path)
    for statement in layout.create["sqlite"]:
        conn.execute(statement)
    started = time.perf_counter()
    for table in layout.tables:
        progress = Progress(f"sqlite/{layout.key}/{table.table}")
        for chunk in chunked(progress.wrap(table.rows(contacts, "sqlite")), settings.chunk):
            conn.execute("BEGIN")
            conn.executemany(table.sqlite_insert, chunk)
            conn.execute("COMMIT")
        result.rows_loaded[table.table] = progress.count
    result.insert_s = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("BEGIN")
    for statement in layout.after_load["sqlite"]:
        conn.execute(statement)
    conn.execute("COMMIT")
    result.index_s = time.perf_counter() - started
    started = time.perf_counter()
    conn.execute("ANALYZE")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    result.analyze_s = time.perf_counter() - started
    result.load_total_s = result.insert_s + result.index_s + result.analyze_s
    result.table_bytes, result.index_bytes, result.total_bytes = sqlite_sizes(conn, path)
    conn.close()
    print(
        f"  sqlite/{layout.key}: loaded in {result.load_total_s:.1f} s "
        f"({result.total_bytes / 2**20:,.1f} MiB); timing queries",
        file=sys.stderr,
        flush=True,
    )

    conn = sqlite_connect(path)  # fresh connection, as an application would open
    result.loadavg_before_queries = [round(v, 2) for v in os.getloadavg()]
    for shape in QUERY_SHAPES:
        text = query_text(layout, shape.qid, "sqlite")
        plan = [str(r[3]) for r in conn.execute("EXPLAIN QUERY PLAN " + text, params)]

        def run(text: str = text) -> list[Row]:
            return conn.execute(text, params).fetchall()

        samples, rows = time_query(run, settings.warmup, settings.repeat, settings.budget_s)
        signatures[shape.qid] = signature(shape.kind, rows)
        result.queries[shape.qid] = QueryResult(
            median_ms=statistics.median(samples),
            p95_ms=percentile(samples, 0.95),
            min_ms=min(samples),
            runs=len(samples),
            result_rows=len(signatures[shape.qid]) if shape.kind == "list" else 1,
            plan=plan,
            sql=text,
        )
    conn.close()
    return result


# --------------------------------------------------------------------------------------------
# PostgreSQL
# --------------------------------------------------------------------------------------------


def conninfo(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


PgConn = psycopg.Connection[tuple[Any, ...]]


def run_postgresql_layout(
    conn: PgConn,
    layout: Layout,
    contacts: Sequence[Contact],
    params: dict[str, Any],
    settings: Settings,
    signatures: dict[str, list[int]],
) -> LayoutResult:
    result = LayoutResult()
    schema = f"bench_{layout.key}"
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
    for statement in layout.create["postgresql"]:
        conn.execute(statement)
    started = time.perf_counter()
    for table in layout.tables:
        progress = Progress(f"postgresql/{layout.key}/{table.table}")
        with conn.transaction(), conn.cursor() as cur, cur.copy(table.pg_copy) as copy:
            for row in progress.wrap(table.rows(contacts, "postgresql")):
                copy.write_row(row)
        result.rows_loaded[table.table] = progress.count
    result.insert_s = time.perf_counter() - started
    started = time.perf_counter()
    for statement in layout.after_load["postgresql"]:
        conn.execute(statement)
    result.index_s = time.perf_counter() - started
    started = time.perf_counter()
    for table in layout.tables:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table.table)))
    result.analyze_s = time.perf_counter() - started
    result.load_total_s = result.insert_s + result.index_s + result.analyze_s
    sizes = conn.execute(
        """SELECT coalesce(sum(pg_table_size(c.oid)), 0),
                  coalesce(sum(pg_indexes_size(c.oid)), 0),
                  coalesce(sum(pg_total_relation_size(c.oid)), 0)
           FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
           WHERE n.nspname = %s AND c.relkind = 'r'""",
        (schema,),
    ).fetchone()
    assert sizes is not None
    result.table_bytes, result.index_bytes, result.total_bytes = (int(v) for v in sizes)
    print(
        f"  postgresql/{layout.key}: loaded in {result.load_total_s:.1f} s "
        f"({result.total_bytes / 2**20:,.1f} MiB); timing queries",
        file=sys.stderr,
        flush=True,
    )

    result.loadavg_before_queries = [round(v, 2) for v in os.getloadavg()]
    with conn.cursor() as cur:
        for shape in QUERY_SHAPES:
            text = query_text(layout, shape.qid, "postgresql")
            cur.execute("EXPLAIN (COSTS OFF) " + text, params)
            plan = [str(r[0]) for r in cur.fetchall()]

            def run(text: str = text, cur: psycopg.Cursor[Row] = cur) -> list[Row]:
                cur.execute(text, params)
                return cur.fetchall()

            samples, rows = time_query(run, settings.warmup, settings.repeat, settings.budget_s)
            signatures[shape.qid] = signature(shape.kind, rows)
            result.queries[shape.qid] = QueryResult(
                median_ms=statistics.median(samples),
                p95_ms=percentile(samples, 0.95),
                min_ms=min(samples),
                runs=len(samples),
                result_rows=len(signatures[shape.qid]) if shape.kind == "list" else 1,
                plan=plan,
                sql=text,
            )
    return result


def postgres_info(conn: PgConn) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for name in (
        "server_version",
        "shared_buffers",
        "work_mem",
        "effective_cache_size",
        "random_page_cost",
        "jit",
        "max_parallel_workers_per_gather",
        "lc_collate",
    ):
        row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
        info[name] = row[0] if row else None
    return info


# --------------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    memory_kib = None
    cpu_model = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kib = int(line.split()[1])
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu_cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(memory_kib / 2**20, 1) if memory_kib else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "psycopg": psycopg.__version__,
    }


def _load_cell(r: dict[str, Any]) -> str:
    return f"{r['insert_s']:.1f} / {r['index_s'] + r['analyze_s']:.1f}"


def _size_cell(r: dict[str, Any]) -> str:
    return f"{r['table_bytes'] / 2**20:,.0f} / {r['index_bytes'] / 2**20:,.0f}"


def _total_cell(r: dict[str, Any]) -> str:
    return f"{r['total_bytes'] / 2**20:,.0f}"


def format_table(report: dict[str, Any], engine: str) -> str:
    layouts = [key for key in LAYOUT_KEYS if key in report["results"].get(engine, {})]
    if not layouts:
        return ""
    data = report["results"][engine]
    width = 24
    header = f"{'':44}" + "".join(f"{LAYOUTS[k].title:>{width}}" for k in layouts)
    lines = [
        f"{engine} - {report['rows']:,} contacts, seed {report['seed']} "
        "(query cells: median / p95 ms)",
        header,
    ]
    for shape in QUERY_SHAPES:
        cells = []
        for key in layouts:
            q = data[key]["queries"].get(shape.qid)
            cells.append(f"{q['median_ms']:.2f} / {q['p95_ms']:.2f}" if q else "-")
        label = f"{shape.qid} {shape.label}"
        lines.append(f"{label:44}" + "".join(f"{c:>{width}}" for c in cells))
    extra_rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("load: insert / index+analyze (s)", _load_cell),
        ("size: table / index (MiB)", _size_cell),
        ("size: total on disk (MiB)", _total_cell),
    ]
    for label, getter in extra_rows:
        lines.append(f"{label:44}" + "".join(f"{getter(data[k]):>{width}}" for k in layouts))
    checks = report["checks"].get(engine, {})
    bad = [qid for qid, ok in checks.items() if not ok]
    lines.append("results agree across layouts: " + ("yes" if not bad else f"NO ({bad})"))
    return "\n".join(lines)


def write_report(report: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n")
    tmp.replace(out)


def record_checks(
    report: dict[str, Any], engine: str, sigs: dict[str, dict[str, list[int]]]
) -> None:
    checks: dict[str, bool] = {}
    for shape in QUERY_SHAPES:
        seen = [s[shape.qid] for s in sigs.values() if shape.qid in s]
        checks[shape.qid] = all(s == seen[0] for s in seen)
    report["checks"][engine] = checks
    report.setdefault("signatures", {})[engine] = {
        qid: {"ids_or_count": seen[:5], "length": len(seen)}
        for qid, seen in next(iter(sigs.values()), {}).items()
    }


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000, help="contacts to generate")
    parser.add_argument("--seed", type=int, default=42, help="random.Random seed")
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument(
        "--layouts",
        default=",".join(DEFAULT_LAYOUTS),
        help=f"comma-separated, from: {', '.join(LAYOUT_KEYS)}",
    )
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="admin connection used to create and drop the scratch database",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/storage_layouts.json"))
    parser.add_argument("--workdir", type=Path, default=None, help="parent dir for SQLite files")
    parser.add_argument("--warmup", type=int, default=2, help="untimed runs per query")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    parser.add_argument(
        "--query-budget",
        type=float,
        default=20.0,
        help="stop repeating a query after this "
        "many seconds of timed runs (at least 5 runs are always made)",
    )
    parser.add_argument("--chunk", type=int, default=50_000, help="SQLite executemany batch")
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    args.layouts = [k.strip() for k in args.layouts.split(",") if k.strip()]
    for engine in args.engines:
        if engine not in ENGINES:
            parser.error(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    for key in args.layouts:
        if key not in LAYOUTS:
            parser.error(f"unknown layout {key!r}; choose from {', '.join(LAYOUT_KEYS)}")
    if args.rows < 1000:
        parser.error("--rows must be at least 1000")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    settings = Settings(
        rows=args.rows,
        seed=args.seed,
        warmup=args.warmup,
        repeat=args.repeat,
        budget_s=args.query_budget,
        chunk=args.chunk,
    )
    run_started = time.perf_counter()
    started = time.perf_counter()
    contacts = generate_contacts(args.rows, args.seed)
    base_params = choose_parameters(contacts)
    print(
        f"generated {len(contacts):,} contacts in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
        flush=True,
    )
    report: dict[str, Any] = {
        "benchmark": "revline storage layouts",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "rows": args.rows,
        "seed": args.seed,
        "machine": {**machine_info(), "loadavg_at_start": [round(v, 2) for v in os.getloadavg()]},
        "method": {
            "warmup_runs": args.warmup,
            "timed_runs": args.repeat,
            "query_budget_s": args.query_budget,
            "p95": "nearest rank over the timed runs",
            "timing": "client wall clock for execute + fetchall, warm cache, one connection",
            "sqlite": f"WAL, synchronous=NORMAL, cache_size={SQLITE_CACHE_KIB} KiB, "
            "temp_store=MEMORY, executemany in chunks, indexes after load, ANALYZE",
            "postgresql": "COPY, keys and indexes after load, VACUUM (ANALYZE), "
            "no server-side prepared statements (prepare_threshold=None), server defaults",
        },
        "parameters": {k: str(v) for k, v in base_params.items()},
        "shares": {
            "stage": LIFECYCLE.share(base_params["stage"]),
            "segment": INDUSTRY.share(base_params["segment"]),
            "owner": OWNERS.share(base_params["owner"]),
        },
        "queries": {s.qid: s.label for s in QUERY_SHAPES},
        "layouts": {k: LAYOUTS[k].title for k in args.layouts},
        "results": {},
        "checks": {},
    }
    out: Path = args.out
    sigs: dict[str, dict[str, list[int]]] = {}
    pg_sigs: dict[str, dict[str, list[int]]] = {}

    if "sqlite" in args.engines:
        params = engine_parameters(base_params, "sqlite")
        workdir = Path(tempfile.mkdtemp(prefix="revline_bench_layout_", dir=args.workdir))
        try:
            for key in args.layouts:
                sigs[key] = {}
                layout_result = run_sqlite_layout(
                    LAYOUTS[key],
                    workdir / f"{key}.sqlite3",
                    contacts,
                    params,
                    settings,
                    sigs[key],
                )
                report["results"].setdefault("sqlite", {})[key] = asdict(layout_result)
                record_checks(report, "sqlite", sigs)
                write_report(report, out)
        finally:
            if args.keep:
                print(f"kept SQLite files in {workdir}", file=sys.stderr)
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        print("\n" + format_table(report, "sqlite") + "\n", flush=True)

    if "postgresql" in args.engines:
        params = engine_parameters(base_params, "postgresql")
        admin_url = make_url(args.pg_url)
        dbname = f"revline_bench_layout_{secrets.token_hex(4)}"
        with psycopg.connect(conninfo(admin_url), autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            print(f"created PostgreSQL database {dbname}", file=sys.stderr, flush=True)
            try:
                with psycopg.connect(
                    conninfo(admin_url.set(database=dbname)),
                    autocommit=True,
                    prepare_threshold=None,
                ) as conn:
                    report["machine"]["postgresql"] = postgres_info(conn)
                    # Session-level, for the bulk load and index builds only.
                    conn.execute("SET maintenance_work_mem = '1GB'")
                    for key in args.layouts:
                        pg_sigs[key] = {}
                        layout_result = run_postgresql_layout(
                            conn, LAYOUTS[key], contacts, params, settings, pg_sigs[key]
                        )
                        report["results"].setdefault("postgresql", {})[key] = asdict(layout_result)
                        record_checks(report, "postgresql", pg_sigs)
                        write_report(report, out)
            finally:
                if args.keep:
                    print(f"kept PostgreSQL database {dbname}", file=sys.stderr)
                else:
                    admin.execute(
                        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                            sql.Identifier(dbname)
                        )
                    )
                    print(f"dropped PostgreSQL database {dbname}", file=sys.stderr)
        print("\n" + format_table(report, "postgresql") + "\n", flush=True)

    if "sqlite" in args.engines and "postgresql" in args.engines:
        # Same data and semantics, so both engines must return the same ids (or counts).
        cross: dict[str, bool] = {}
        for shape in QUERY_SHAPES:
            seen = [
                layout_sigs[shape.qid]
                for engine_sigs in (sigs, pg_sigs)
                for layout_sigs in engine_sigs.values()
            ]
            cross[shape.qid] = all(s == seen[0] for s in seen)
        report["checks"]["across_engines"] = cross
        if not all(cross.values()):
            print(f"WARNING: engines disagree: {cross}", flush=True)

    report["elapsed_s"] = round(time.perf_counter() - run_started, 1)
    report["machine"]["loadavg_at_end"] = [round(v, 2) for v in os.getloadavg()]
    write_report(report, out)
    print(f"wrote {out} (total {report['elapsed_s']:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
