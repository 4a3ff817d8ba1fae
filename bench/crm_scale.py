"""Benchmark Revline's CRM API at scale: batch loading, search, reads and server memory.

A reproducible CRM (by default 1,000,000 contacts, 100,000 companies and 200,000 deals, with
their associations) is generated from ``random.Random(seed)`` and loaded through the API's
batch-create endpoints into a real ``revline serve`` process, once on SQLite and once on
PostgreSQL.  Then, over HTTP on 127.0.0.1, the script measures:

* batch-create throughput (records/s) per object type, and its ratio to a raw bulk insert
  of the same contact rows (SQLAlchemy Core ``executemany``) into the ``contacts`` table of a
  second, freshly migrated database on the same engine, timed in the same run;
* latency (nearest-rank p50/p95/p99, ms) of seven searches, get-by-id and a list page;
* the server's peak resident memory (``VmHWM`` from ``/proc/<pid>/status``).

Every search answer is also checked against what the generator produced (totals, order,
matching values), so a fast but wrong endpoint does not pass unnoticed.

Run from the repository root::

    .venv/bin/python bench/crm_scale.py --scale 0.01      # smoke run, about a minute
    .venv/bin/python bench/crm_scale.py --scale 0.5       # the README's run, about 30 minutes
    .venv/bin/python bench/crm_scale.py                   # full size, both engines

PostgreSQL: scratch databases ``revline_bench_scale_<random>`` (plus ``_raw`` and ``_side``
for the two baselines) are created through ``--pg-url`` and dropped at the end.  When the
server has autovacuum off, the record tables are analyzed every 60 s while loading instead
(``--pg-analyze-every``).  SQLite: files go to a temporary directory that is removed at the end
(``--keep`` keeps the databases and files for inspection).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import itertools
import json
import math
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any, Generic, NamedTuple, TypeVar

import httpx
import psycopg
from psycopg import sql
from sqlalchemy import Table, insert
from sqlalchemy.engine import make_url

import revline.models  # noqa: F401  (registers every table on Base.metadata)
from revline.kit.db import Base, Database

T = TypeVar("T")
Json = dict[str, Any]

ENGINES = ("sqlite", "postgresql")
BATCH_SIZE = 100  # HubSpot's limit for batch inputs
SEARCH_LIMIT = 100
OWNER_COUNT = 20
SEARCH_TARGET_MS = {"sqlite": 250.0, "postgresql": 100.0}
GET_TARGET_MS = 10.0
CREATE_TARGET_RPS = 5000.0

# --------------------------------------------------------------------------------------------
# Value distributions
# --------------------------------------------------------------------------------------------


class Picker(Generic[T]):
    """Draws values with fixed relative weights from a single uniform number."""

    def __init__(self, weighted: Sequence[tuple[T, float]]) -> None:
        self.values = [value for value, _ in weighted]
        self.bounds = list(accumulate(weight for _, weight in weighted))
        self.total = self.bounds[-1]

    def __call__(self, u: float) -> T:
        slot = bisect.bisect_right(self.bounds, u * self.total)
        return self.values[min(slot, len(self.values) - 1)]


CONTACT_STAGE = Picker(
    [
        ("subscriber", 20),
        ("lead", 32),
        ("marketingqualifiedlead", 14),
        ("salesqualifiedlead", 9),
        ("opportunity", 8),
        ("customer", 12),
        ("evangelist", 2),
        ("other", 3),
    ]
)
COMPANY_STAGE = Picker(
    [
        ("lead", 35),
        ("marketingqualifiedlead", 10),
        ("salesqualifiedlead", 10),
        ("opportunity", 15),
        ("customer", 25),
        ("evangelist", 2),
        ("other", 3),
    ]
)
LEAD_STATUS = Picker(
    [
        ("NEW", 22),
        ("OPEN", 17),
        ("IN_PROGRESS", 14),
        ("OPEN_DEAL", 7),
        ("UNQUALIFIED", 13),
        ("ATTEMPTED_TO_CONTACT", 14),
        ("CONNECTED", 9),
        ("BAD_TIMING", 4),
    ]
)
SOURCE = Picker(
    [
        ("ORGANIC_SEARCH", 26),
        ("PAID_SEARCH", 12),
        ("EMAIL_MARKETING", 9),
        ("SOCIAL_MEDIA", 8),
        ("REFERRALS", 10),
        ("OTHER_CAMPAIGNS", 4),
        ("DIRECT_TRAFFIC", 18),
        ("OFFLINE", 9),
        ("PAID_SOCIAL", 4),
    ]
)
# Owner slots 0..19, mapped to real owner ids once the users exist; early reps carry more.
OWNER_SLOT = Picker([(slot, 30.0 / (slot + 3)) for slot in range(OWNER_COUNT)])
INDUSTRY = Picker(
    [
        ("COMPUTER_SOFTWARE", 16),
        ("INFORMATION_TECHNOLOGY_AND_SERVICES", 13),
        ("FINANCIAL_SERVICES", 9),
        ("HOSPITAL_HEALTH_CARE", 8),
        ("RETAIL", 8),
        ("MARKETING_AND_ADVERTISING", 7),
        ("MANAGEMENT_CONSULTING", 6),
        ("CONSTRUCTION", 5),
        ("LOGISTICS_AND_SUPPLY_CHAIN", 5),
        ("EDUCATION_MANAGEMENT", 5),
        ("INSURANCE", 4),
        ("REAL_ESTATE", 4),
        ("TELECOMMUNICATIONS", 3),
        ("PHARMACEUTICALS", 3),
        ("OTHER", 4),
    ]
)
COMPANY_TYPE = Picker(
    [("PROSPECT", 60), ("PARTNER", 10), ("RESELLER", 8), ("VENDOR", 7), ("OTHER", 15)]
)
COUNTRY = Picker(
    [
        ("United States", 38),
        ("Germany", 12),
        ("United Kingdom", 11),
        ("France", 8),
        ("Netherlands", 5),
        ("Spain", 5),
        ("Canada", 6),
        ("Brazil", 4),
        ("India", 6),
        ("Australia", 5),
    ]
)
CITY_BY_COUNTRY = {
    "United States": ("New York", "Austin", "Chicago", "Seattle", "Boston", "Denver"),
    "Germany": ("Berlin", "Munich", "Hamburg", "Cologne"),
    "United Kingdom": ("London", "Manchester", "Leeds", "Bristol"),
    "France": ("Paris", "Lyon", "Toulouse"),
    "Netherlands": ("Amsterdam", "Rotterdam", "Utrecht"),
    "Spain": ("Madrid", "Barcelona", "Valencia"),
    "Canada": ("Toronto", "Vancouver", "Montreal"),
    "Brazil": ("Sao Paulo", "Rio de Janeiro", "Curitiba"),
    "India": ("Bengaluru", "Pune", "Hyderabad", "Chennai"),
    "Australia": ("Sydney", "Melbourne", "Brisbane"),
}
DEAL_STAGE = Picker(
    [
        ("appointmentscheduled", 17),
        ("qualifiedtobuy", 14),
        ("presentationscheduled", 11),
        ("decisionmakerboughtin", 8),
        ("contractsent", 6),
        ("closedwon", 19),
        ("closedlost", 25),
    ]
)
CURRENCY = Picker([("USD", 68), ("EUR", 22), ("GBP", 10)])
# Rates for the non-home currencies, in force before the first generated date: a deal's
# amount in home currency needs one (US dollars are the home currency).
EXCHANGE_RATES = [
    {"currency": "EUR", "effectiveFrom": "2000-01-01", "rate": "0.92"},
    {"currency": "GBP", "effectiveFrom": "2000-01-01", "rate": "0.79"},
]
# Closing lost asks for a reason (the stage's rule); picked from the amount's cents so that
# the random stream, and with it every other generated value, stays as it was.
LOST_REASONS = ("PRICE", "COMPETITOR", "NO_DECISION", "TIMING", "MISSING_FEATURE", "BUDGET")
DEAL_TYPE = Picker([("newbusiness", 70), ("existingbusiness", 30)])
PRIORITY = Picker([("low", 40), ("medium", 45), ("high", 15)])
JOB_TITLES = (
    *("Account Executive", "CEO", "CFO", "CTO", "Data Analyst", "Engineering Manager"),
    *("Founder", "Head of Sales", "IT Director", "Marketing Manager", "Office Manager"),
    *("Operations Lead", "Procurement Manager", "Product Manager", "Software Engineer"),
    *("VP Marketing", "VP Sales", "Customer Success Manager", "HR Business Partner"),
)
FIRST_NAMES = (
    *("Aaron", "Adele", "Ahmed", "Aiko", "Alba", "Amir", "Anika", "Arjun", "Astrid", "Bea"),
    *("Bruno", "Camila", "Carlos", "Chiara", "Chloe", "Daan", "Dmitri", "Ebba", "Elena", "Emre"),
    *("Eva", "Fatima", "Finn", "Gabriel", "Gita", "Hannah", "Hiro", "Ilse", "Isaac", "Jana"),
    *("Jorge", "Kamal", "Karin", "Leila", "Liam", "Lina", "Lorenzo", "Malik", "Marta", "Mateo"),
    *("Mia", "Nico", "Olga", "Oscar", "Priya", "Rafael", "Rania", "Sven", "Tomas", "Yuki"),
)
# Surnames are built from three parts: 24 x 8 x 16 = 3,072 distinct values.
SURNAME_STARTS = (
    *("Ash", "Bren", "Cald", "Dorn", "Eck", "Fair", "Gold", "Hart", "Iver", "Kron", "Lang"),
    *("Marsh", "Nord", "Oak", "Pren", "Quar", "Rad", "Stein", "Thorn", "Und", "Vall", "Wald"),
    *("Yew", "Zorn"),
)
SURNAME_JOINS = ("", "a", "e", "i", "o", "en", "er", "is")
SURNAME_ENDS = (
    *("berg", "by", "dale", "feld", "ford", "gaard", "ham", "holm", "kamp", "ley", "mont"),
    *("rick", "stad", "ton", "well", "wick"),
)
COMPANY_HEADS = (
    *("Amber", "Blue", "Bright", "Cedar", "Copper", "Delta", "Ember", "Fern", "Granite"),
    *("Harbor", "Iron", "Juniper", "Kestrel", "Lumen", "Maple", "North", "Orbit", "Pine"),
    *("Quartz", "River", "Silver", "Summit", "Tidal", "Umber", "Vector", "Willow", "Zenith"),
)
COMPANY_TAILS = (
    *("bridge", "cast", "field", "forge", "gate", "grid", "line", "logic", "mark", "point"),
    *("ridge", "scale", "shore", "stack", "stone", "works"),
)
COMPANY_KINDS = (
    *("Analytics", "Systems", "Labs", "Logistics", "Health", "Capital", "Foods", "Energy"),
    *("Robotics", "Media", "Partners", "Software", "Consulting", "Retail", "Security"),
)
PRODUCTS = (
    *("Platform licence", "Renewal", "Expansion", "Pilot", "Support plan", "Onboarding"),
    *("Enterprise tier", "Add-on seats", "Professional services", "Data migration"),
)

TIME_START = datetime(2023, 10, 1, tzinfo=UTC)
TIME_SPAN_MS = 3 * 365 * 24 * 3600 * 1000
TIME_END = TIME_START + timedelta(milliseconds=TIME_SPAN_MS)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
START_MS = int((TIME_START - EPOCH).total_seconds() * 1000)
DAY_MS = 24 * 3600 * 1000


def iso_ms(epoch_ms: int) -> str:
    """Epoch milliseconds as HubSpot's datetime string: 2024-05-01T12:34:56.789Z."""
    moment = EPOCH + timedelta(milliseconds=epoch_ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{epoch_ms % 1000:03d}Z"


def growing_timestamp(u: float) -> int:
    """A moment in the 3-year window, denser towards the end (a growing business)."""
    return START_MS + int(math.sqrt(u) * TIME_SPAN_MS)


# --------------------------------------------------------------------------------------------
# Generated data set
# --------------------------------------------------------------------------------------------


class CompanySeed(NamedTuple):
    name: str
    domain: str
    industry: str
    kind: str
    city: str
    country: str
    employees: int
    revenue: int
    stage: str
    owner_slot: int | None
    created_ms: int


class ContactSeed(NamedTuple):
    email: str
    firstname: str
    lastname: str
    jobtitle: str | None
    phone: str | None
    country: str
    stage: str
    lead_status: str | None
    source: str | None
    owner_slot: int | None
    created_ms: int
    company: int | None  # index into companies: primary company (type 1)
    other_company: int | None  # a second, unlabelled link (type 279)


class DealSeed(NamedTuple):
    name: str
    amount: str
    currency: str
    stage: str
    closedate_ms: int
    dealtype: str
    priority: str
    owner_slot: int | None
    created_ms: int
    company: int  # primary company (type 5)
    contact: int  # associated contact (type 3)


@dataclass(frozen=True)
class Sizes:
    contacts: int
    companies: int
    deals: int

    @property
    def total(self) -> int:
        return self.contacts + self.companies + self.deals


@dataclass
class DataSet:
    companies: list[CompanySeed]
    contacts: list[ContactSeed]
    deals: list[DealSeed]


def generate(sizes: Sizes, seed: int) -> DataSet:
    """The whole CRM from ``random.Random(seed)``: same arguments, same data, any engine."""
    rng = random.Random(seed)
    u = rng.random

    companies: list[CompanySeed] = []
    for i in range(sizes.companies):
        head = COMPANY_HEADS[int(u() * len(COMPANY_HEADS))]
        tail = COMPANY_TAILS[int(u() * len(COMPANY_TAILS))]
        kind = COMPANY_KINDS[int(u() * len(COMPANY_KINDS))]
        country = COUNTRY(u())
        cities = CITY_BY_COUNTRY[country]
        employees = 1 + int(rng.lognormvariate(3.4, 1.4))
        revenue = int(round(employees * rng.lognormvariate(11.6, 0.7), -3))
        companies.append(
            CompanySeed(
                name=f"{head}{tail} {kind}",
                domain=f"{head}{tail}-{i:x}.test".lower(),
                industry=INDUSTRY(u()),
                kind=COMPANY_TYPE(u()),
                city=cities[int(u() * len(cities))],
                country=country,
                employees=employees,
                revenue=revenue,
                stage=COMPANY_STAGE(u()),
                owner_slot=OWNER_SLOT(u()) if u() >= 0.03 else None,
                created_ms=growing_timestamp(u()),
            )
        )

    # Company sizes follow a long tail: a few accounts have thousands of contacts, most a
    # handful.  ``rank`` is skewed towards 0 and mapped through a shuffle, so the big accounts
    # are spread over the creation order.
    order = list(range(sizes.companies))
    rng.shuffle(order)
    contacts: list[ContactSeed] = []
    for i in range(sizes.contacts):
        first = FIRST_NAMES[int(u() * len(FIRST_NAMES))]
        last = (
            SURNAME_STARTS[int(u() * len(SURNAME_STARTS))]
            + SURNAME_JOINS[int(u() * len(SURNAME_JOINS))]
            + SURNAME_ENDS[int(u() * len(SURNAME_ENDS))]
        )
        company: int | None = None
        other: int | None = None
        if sizes.companies and u() < 0.85:
            company = order[min(sizes.companies - 1, int(sizes.companies * u() ** 2.2))]
            if sizes.companies > 1 and u() < 0.05:
                other = int(u() * sizes.companies)
                if other == company:
                    other = None
        if company is not None:
            domain = companies[company].domain
        else:
            domain = ("mailbox.test", "inbox.test", "postbox.test")[int(u() * 3)]
        contacts.append(
            ContactSeed(
                email=f"{first}.{last}.{i:x}@{domain}".lower(),
                firstname=first,
                lastname=last,
                jobtitle=JOB_TITLES[int(u() * len(JOB_TITLES))] if u() < 0.7 else None,
                phone=f"+1 555 {int(u() * 10_000_000):07d}" if u() < 0.55 else None,
                country=COUNTRY(u()),
                stage=CONTACT_STAGE(u()),
                lead_status=LEAD_STATUS(u()) if u() >= 0.2 else None,
                source=SOURCE(u()) if u() >= 0.1 else None,
                owner_slot=OWNER_SLOT(u()) if u() >= 0.05 else None,
                created_ms=growing_timestamp(u()),
                company=company,
                other_company=other,
            )
        )

    with_company = [i for i, c in enumerate(contacts) if c.company is not None]
    deals: list[DealSeed] = []
    for _ in range(sizes.deals if with_company else 0):
        # A deal belongs to a random contact's company, so big accounts have more deals.
        person = with_company[int(u() * len(with_company))]
        account = contacts[person].company
        assert account is not None
        created = min(
            START_MS + TIME_SPAN_MS - 1,
            contacts[person].created_ms + int(rng.expovariate(1 / 45) * DAY_MS),
        )
        deals.append(
            DealSeed(
                name=f"{companies[account].name} - {PRODUCTS[int(u() * len(PRODUCTS))]}",
                amount=f"{rng.lognormvariate(math.log(9000), 1.1):.2f}",
                currency=CURRENCY(u()),
                stage=DEAL_STAGE(u()),
                closedate_ms=created + int(rng.gammavariate(2.0, 24.0) * DAY_MS),
                dealtype=DEAL_TYPE(u()),
                priority=PRIORITY(u()),
                owner_slot=OWNER_SLOT(u()) if u() >= 0.02 else None,
                created_ms=created,
                company=account,
                contact=person,
            )
        )
    return DataSet(companies=companies, contacts=contacts, deals=deals)


# --------------------------------------------------------------------------------------------
# API inputs (HubSpot batch-create shapes)
# --------------------------------------------------------------------------------------------


def link(to_id: int, type_id: int) -> Json:
    return {
        "to": {"id": str(to_id)},
        "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}],
    }


def owner_value(owner_ids: Sequence[int], slot: int | None) -> str | None:
    return str(owner_ids[slot]) if slot is not None else None


def without_nulls(values: dict[str, str | None]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v is not None}


def company_input(c: CompanySeed, owner_ids: Sequence[int]) -> Json:
    return {
        "properties": without_nulls(
            {
                "name": c.name,
                "domain": c.domain,
                "industry": c.industry,
                "type": c.kind,
                "city": c.city,
                "country": c.country,
                "numberofemployees": str(c.employees),
                "annualrevenue": str(c.revenue),
                "lifecyclestage": c.stage,
                "hubspot_owner_id": owner_value(owner_ids, c.owner_slot),
                "createdate": iso_ms(c.created_ms),
            }
        )
    }


def contact_input(c: ContactSeed, owner_ids: Sequence[int], company_ids: Sequence[int]) -> Json:
    body: Json = {
        "properties": without_nulls(
            {
                "email": c.email,
                "firstname": c.firstname,
                "lastname": c.lastname,
                "jobtitle": c.jobtitle,
                "phone": c.phone,
                "country": c.country,
                "lifecyclestage": c.stage,
                "hs_lead_status": c.lead_status,
                "hs_analytics_source": c.source,
                "hubspot_owner_id": owner_value(owner_ids, c.owner_slot),
                "createdate": iso_ms(c.created_ms),
            }
        )
    }
    if c.lead_status == "UNQUALIFIED":
        # Revline asks why a lead was disqualified; picked from the email so the generated
        # stream of random numbers (and so every other value) stays the same.
        reasons = ("no_need", "no_budget", "no_authority", "bad_timing", "not_a_fit", "other")
        body["properties"]["revline_disqualification_reason"] = reasons[
            int(hashlib.sha256(c.email.encode()).hexdigest(), 16) % len(reasons)
        ]
    links = []
    if c.company is not None:
        links.append(link(company_ids[c.company], 1))
    if c.other_company is not None:
        links.append(link(company_ids[c.other_company], 279))
    if links:
        body["associations"] = links
    return body


def deal_input(
    d: DealSeed, owner_ids: Sequence[int], company_ids: Sequence[int], contact_ids: Sequence[int]
) -> Json:
    return {
        "properties": without_nulls(
            {
                "dealname": d.name,
                "amount": d.amount,
                "deal_currency_code": d.currency,
                "pipeline": "default",
                "dealstage": d.stage,
                "closedate": iso_ms(d.closedate_ms),
                "dealtype": d.dealtype,
                "hs_priority": d.priority,
                "hubspot_owner_id": owner_value(owner_ids, d.owner_slot),
                "createdate": iso_ms(d.created_ms),
                "closed_lost_reason": LOST_REASONS[int(d.amount.replace(".", "")) % 6]
                if d.stage == "closedlost"
                else None,
            }
        ),
        "associations": [link(company_ids[d.company], 5), link(contact_ids[d.contact], 3)],
    }


# --------------------------------------------------------------------------------------------
# Measuring helpers
# --------------------------------------------------------------------------------------------


def percentile(samples: Sequence[float], share: float) -> float:
    """Nearest rank: the smallest sample with at least ``share`` of all samples at or below."""
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(share * len(ordered))) - 1]


def summarize_ms(samples: Sequence[float]) -> Json:
    if not samples:
        return {"n": 0}
    return {
        "n": len(samples),
        "p50_ms": round(percentile(samples, 0.50), 3),
        "p95_ms": round(percentile(samples, 0.95), 3),
        "p99_ms": round(percentile(samples, 0.99), 3),
        "mean_ms": round(statistics.fmean(samples), 3),
        "max_ms": round(max(samples), 3),
    }


class LoadSampler:
    """Samples the 1-minute load average every few seconds, tagged with the current phase."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self.phase = "start"
        self.samples: list[tuple[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loadavg", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.samples.append((self.phase, os.getloadavg()[0]))

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self, prefix: str = "") -> Json:
        by_phase: dict[str, list[float]] = {}
        for phase, value in self.samples:
            if phase.startswith(prefix):
                by_phase.setdefault(phase, []).append(value)
        return {
            phase: {
                "min": round(min(v), 2),
                "mean": round(statistics.fmean(v), 2),
                "max": round(max(v), 2),
            }
            for phase, v in by_phase.items()
        }


class Progress:
    """A progress line on stderr: redrawn in place on a terminal, every few steps otherwise."""

    def __init__(self, label: str, total: int) -> None:
        self.label = label
        self.total = total
        self.done = 0
        self.started = time.perf_counter()
        self.tty = sys.stderr.isatty()
        self.next_line = 0.0
        self.lock = threading.Lock()
        self.last_printed = -1

    def add(self, n: int) -> None:
        with self.lock:
            self.done += n
            now = time.perf_counter()
            if self.tty or now >= self.next_line or self.done >= self.total:
                self.next_line = now + 15.0
                self._show(final=False)

    def finish(self) -> None:
        with self.lock:
            self._show(final=True)

    def _show(self, final: bool) -> None:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        share = 100.0 * self.done / self.total if self.total else 100.0
        text = (
            f"  {self.label}: {self.done:>10,} / {self.total:,} ({share:5.1f} %)"
            f"  {elapsed:7.1f} s  {rate:>8,.0f} /s"
        )
        if self.tty:
            sys.stderr.write("\r" + text + ("\n" if final else ""))
        elif not final or self.done != self.last_printed:
            sys.stderr.write(text + "\n")
        self.last_printed = self.done
        sys.stderr.flush()


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# The server under test
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def proc_status_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set) and VmRSS of a process, in KiB."""
    values: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (0.0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time of every process named postgres on this machine (the server's backends)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
        except OSError:
            continue
        total += cpu_seconds(int(entry.name))
    return total


class CpuMeter:
    """CPU seconds spent by the server, the database server and this client during a phase,
    so a throughput figure can be read against where the machine's cores went."""

    def __init__(self, server_pid: int | None, engine: str) -> None:
        self.server_pid = server_pid
        self.engine = engine
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        times = os.times()
        read = {"client": times.user + times.system}
        if self.server_pid is not None:
            read["revline_server"] = cpu_seconds(self.server_pid)
        if self.engine == "postgresql":
            read["postgresql_server"] = postgres_cpu_seconds()
        return read

    def finish(self, records: int) -> Json:
        end = self._read()
        used = {k: round(end[k] - self.start[k], 2) for k in end}
        out: Json = {"cpu_s": used}
        server = used.get("revline_server", 0.0) + used.get("postgresql_server", 0.0)
        if server > 0:
            out["records_per_server_cpu_s"] = round(records / server, 1)
        return out


def run_cli(revline: Path, args: Sequence[str], url: str) -> str:
    done = subprocess.run(
        [str(revline), *args, "--database-url", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"revline {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout


class Server:
    """``revline serve`` as a child process, stopped by its PID."""

    def __init__(self, revline: Path, url: str, log_path: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {**os.environ, "REVLINE_LOG_LEVEL": "WARNING", "REVLINE_DATABASE_URL": url}
        self.log = log_path.open("wb")
        command = [str(revline), "serve", "--database-url", url, "--host", "127.0.0.1"]
        command += ["--port", str(self.port)]
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            command,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        self.pid = self.proc.pid
        self.startup_s = 0.0
        self._wait_ready(started)

    def _wait_ready(self, started: float) -> None:
        deadline = started + 180.0
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early; log:\n{self.log_tail()}")
            try:
                # Any HTTP answer (401 without a token) means the app is up.
                httpx.get(self.base_url + "/crm/v3/owners", timeout=2.0)
                self.startup_s = round(time.perf_counter() - started, 2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"server did not start within 180 s; log:\n{self.log_tail()}")

    def memory(self) -> dict[str, int]:
        return proc_status_kib(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log.close()


def api_client(base_url: str, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=httpx.Timeout(300.0),
    )


def probe_routes(base_url: str, token: str) -> dict[str, int]:
    """Status of an empty batch create and an empty search: 404/405 means not there yet."""
    with api_client(base_url, token) as client:
        create = client.post("/crm/v3/objects/contacts/batch/create", json={"inputs": []})
        search = client.post("/crm/v3/objects/contacts/search", json={"limit": 1})
    return {"batch_create": create.status_code, "search": search.status_code}


# --------------------------------------------------------------------------------------------
# Loading through the batch endpoints
# --------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    object_type: str
    records: int = 0
    created: int = 0
    failed: int = 0
    calls: int = 0
    retries: int = 0
    seconds: float = 0.0
    records_per_s: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    call_latency: Json = field(default_factory=dict)
    encode_s: float = 0.0
    cpu: Json = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


Batch = list[tuple[int, Json]]  # (index in the generated list, batch-create input)


def batches_of(inputs: Iterator[tuple[int, Json]], size: int) -> Iterator[Batch]:
    while True:
        chunk = list(itertools.islice(inputs, size))
        if not chunk:
            return
        yield chunk


def load(
    base_url: str,
    token: str,
    object_type: str,
    inputs: Iterator[tuple[int, Json]],
    total: int,
    workers: int,
    key_property: str | None,
    cpu: Callable[[], CpuMeter] | None = None,
) -> tuple[LoadResult, dict[int, int]]:
    """POST every input through ``/batch/create`` from ``workers`` threads.

    The request bodies are built and JSON-encoded before the clock starts: the load generator
    shares this machine's two cores with the server, and a real integration would build its
    payloads on its own machine. Answers are still parsed inside the timed phase.

    Returns the figures and a map from generated index to the new record id: by the value of
    ``key_property`` (unique: email, domain) when given, since HubSpot does not promise that
    results come back in input order; otherwise by position in the answer.
    """
    result = LoadResult(object_type=object_type, records=total)
    ids: dict[int, int] = {}
    lock = threading.Lock()
    encode_started = time.perf_counter()
    encoded = [
        (batch, json.dumps({"inputs": [item for _, item in batch]}).encode())
        for batch in batches_of(inputs, BATCH_SIZE)
    ]
    result.encode_s = round(time.perf_counter() - encode_started, 3)
    batches = iter(encoded)
    latencies: list[float] = []
    progress = Progress(f"{object_type} batch create", total)
    failure: list[BaseException] = []
    path = f"/crm/v3/objects/{object_type}/batch/create"

    def next_batch() -> tuple[Batch, bytes] | None:
        with lock:
            return next(batches, None)

    def note_error(text: str) -> None:
        with lock:
            if len(result.errors) < 10:
                result.errors.append(text[:500])

    def worker() -> None:
        try:
            with api_client(base_url, token) as client:
                while not failure:
                    job = next_batch()
                    if job is None:
                        return
                    batch, body = job
                    for attempt in range(6):
                        started = time.perf_counter()
                        response = client.post(path, content=body)
                        elapsed = (time.perf_counter() - started) * 1000.0
                        if response.status_code in (429, 503) and attempt < 5:
                            with lock:
                                result.retries += 1
                            time.sleep(float(response.headers.get("Retry-After", "1")))
                            continue
                        break
                    handle(batch, response, elapsed)
        except BaseException as exc:  # surfaced by the caller after the threads end
            failure.append(exc)

    def handle(batch: Batch, response: httpx.Response, elapsed_ms: float) -> None:
        status = str(response.status_code)
        created: list[Json] = []
        if response.status_code in (200, 201, 207):
            payload = response.json()
            created = payload.get("results", [])
            if response.status_code == 207 or payload.get("numErrors"):
                for err in payload.get("errors", [])[:2]:
                    note_error(f"{status}: {err.get('message')}")
        else:
            note_error(f"{status}: {response.text}")
        mapped: dict[int, int] = {}
        if key_property is None:
            if len(created) == len(batch):
                mapped = {index: int(r["id"]) for (index, _), r in zip(batch, created, strict=True)}
        else:
            wanted = {str(item["properties"][key_property]).lower(): index for index, item in batch}
            for r in created:
                value = (r.get("properties") or {}).get(key_property)
                if value is not None and str(value).lower() in wanted:
                    mapped[wanted[str(value).lower()]] = int(r["id"])
        with lock:
            result.calls += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
            result.created += len(created)
            result.failed += len(batch) - len(created)
            latencies.append(elapsed_ms)
            ids.update(mapped)
        progress.add(len(batch))
        if result.failed > max(100, total // 50):
            raise RuntimeError(
                f"{object_type}: {result.failed} of the inputs sent so far failed; "
                f"first errors: {result.errors[:3]}"
            )

    meter = cpu() if cpu is not None else None
    started = time.perf_counter()
    threads = [threading.Thread(target=worker, name=f"load-{n}") for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = round(time.perf_counter() - started, 3)
    if meter is not None:
        result.cpu = meter.finish(result.created)
    progress.finish()
    if failure:
        raise failure[0]
    result.records_per_s = round(result.created / result.seconds, 1) if result.seconds else 0.0
    result.call_latency = summarize_ms(latencies)
    if key_property is not None and len(ids) < result.created:
        raise RuntimeError(
            f"{object_type}: only {len(ids)} of {result.created} created records could be "
            f"matched back by {key_property}"
        )
    return result, ids


# --------------------------------------------------------------------------------------------
# Raw bulk-insert baseline
# --------------------------------------------------------------------------------------------


def parse_ms(epoch_ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=epoch_ms)


def raw_contact_row(
    c: ContactSeed, owner_ids: Sequence[int], at: datetime, row_id: int | None = None
) -> Json:
    row: Json = {
        "email": c.email,
        "firstname": c.firstname,
        "lastname": c.lastname,
        "jobtitle": c.jobtitle,
        "phone": c.phone,
        "country": c.country,
        "lifecyclestage": c.stage,
        "hs_lead_status": c.lead_status,
        "hs_analytics_source": c.source,
        "hubspot_owner_id": owner_ids[c.owner_slot] if c.owner_slot is not None else None,
        "created_at": parse_ms(c.created_ms),
        "updated_at": at,
        "archived": False,
        "custom": {},
    }
    if row_id is not None:
        row["id"] = row_id
    return row


def raw_side_rows(
    c: ContactSeed, row_id: int, company_ids: Sequence[int], at: datetime
) -> tuple[list[Json], list[Json]]:
    """The history rows and association edges the API writes for one contact."""
    props = contact_input(c, [0] * OWNER_COUNT, company_ids)["properties"]
    history = [
        {
            "object_type": "contacts",
            "record_id": row_id,
            "name": name,
            "value": value,
            "changed_at": at,
            "source_type": "API",
            "source_id": "token:bench",
            "updated_by_user_id": None,
        }
        for name, value in props.items()
        if name != "createdate"
    ]
    edges: list[Json] = []

    def both_ways(company_id: int, there: int, back: int) -> None:
        for from_type, from_id, to_type, to_id, type_id in (
            ("contacts", row_id, "companies", company_id, there),
            ("companies", company_id, "contacts", row_id, back),
        ):
            edges.append(
                {
                    "from_type": from_type,
                    "from_id": from_id,
                    "to_type": to_type,
                    "to_id": to_id,
                    "category": "HUBSPOT_DEFINED",
                    "type_id": type_id,
                    "created_at": at,
                    "archived": False,
                }
            )

    if c.company is not None:
        both_ways(company_ids[c.company], 1, 2)
        both_ways(company_ids[c.company], 279, 280)
    if c.other_company is not None:
        both_ways(company_ids[c.other_company], 279, 280)
    return history, edges


def raw_insert(
    url: str,
    contacts: Sequence[ContactSeed],
    owner_ids: Sequence[int],
    company_ids: Sequence[int],
    chunk: int,
    side_rows: bool,
    label: str,
) -> Json:
    """Insert contact rows (optionally with their history rows and edges) with executemany,
    one transaction per ``chunk`` contacts, into a freshly migrated database."""
    db = Database(url)
    contacts_table = Table("contacts", Base.metadata)
    history_table = Table("property_history", Base.metadata)
    edges_table = Table("associations", Base.metadata)
    at = datetime.now(UTC)
    progress = Progress(label, len(contacts))
    rows_written = 0
    started = time.perf_counter()
    try:
        for begin in range(0, len(contacts), chunk):
            part = contacts[begin : begin + chunk]
            with db.engine.begin() as conn:
                if not side_rows:
                    rows = [raw_contact_row(c, owner_ids, at) for c in part]
                    conn.execute(insert(contacts_table), rows)
                    rows_written += len(rows)
                else:
                    rows = [
                        raw_contact_row(c, owner_ids, at, begin + n + 1) for n, c in enumerate(part)
                    ]
                    history: list[Json] = []
                    edges: list[Json] = []
                    for n, c in enumerate(part):
                        h, e = raw_side_rows(c, begin + n + 1, company_ids, at)
                        history.extend(h)
                        edges.extend(e)
                    conn.execute(insert(contacts_table), rows)
                    conn.execute(insert(history_table), history)
                    if edges:
                        conn.execute(insert(edges_table), edges)
                    rows_written += len(rows) + len(history) + len(edges)
            progress.add(len(part))
    finally:
        db.dispose()
    seconds = time.perf_counter() - started
    progress.finish()
    return {
        "contacts": len(contacts),
        "rows_written": rows_written,
        "seconds": round(seconds, 3),
        "records_per_s": round(len(contacts) / seconds, 1) if seconds else 0.0,
        "chunk": chunk,
    }


# --------------------------------------------------------------------------------------------
# Latency probes
# --------------------------------------------------------------------------------------------


class Call(NamedTuple):
    method: str
    path: str
    params: dict[str, str] | None
    body: Json | None
    check: Callable[[Json], str | None]


@dataclass
class Expect:
    """What the generated data says each query must return, with the ids the API assigned."""

    data: DataSet
    company_ids: list[int]
    contact_ids: list[int]
    deal_ids: list[int]
    owner_ids: list[int]
    contact_by_id: dict[int, int] = field(default_factory=dict)
    stage_counts: Counter[str] = field(default_factory=Counter)
    surname_counts: Counter[str] = field(default_factory=Counter)
    created_sorted: list[int] = field(default_factory=list)
    members: dict[int, set[int]] = field(default_factory=dict)  # company id -> contact ids
    names: dict[str, set[int]] = field(default_factory=dict)  # company name -> company ids
    sorted_contact_ids: list[int] = field(default_factory=list)
    and3_counts: Counter[int | None] = field(default_factory=Counter)  # owner slot -> matches

    def __post_init__(self) -> None:
        contacts = self.data.contacts
        self.contact_by_id = {cid: i for i, cid in enumerate(self.contact_ids)}
        self.stage_counts = Counter(c.stage for c in contacts)
        self.surname_counts = Counter(c.lastname.lower() for c in contacts)
        self.created_sorted = sorted(c.created_ms for c in contacts)
        for i, c in enumerate(contacts):
            for company in (c.company, c.other_company):
                if company is not None:
                    key = self.company_ids[company]
                    self.members.setdefault(key, set()).add(self.contact_ids[i])
        for i, co in enumerate(self.data.companies):
            self.names.setdefault(co.name, set()).add(self.company_ids[i])
        self.sorted_contact_ids = sorted(self.contact_ids)
        self.and3_counts = Counter(
            c.owner_slot for c in contacts if c.stage == AND_STAGE and c.created_ms >= AND_SINCE_MS
        )

    def created_between(self, low_ms: int, high_ms: int) -> int:
        return bisect.bisect_right(self.created_sorted, high_ms) - bisect.bisect_left(
            self.created_sorted, low_ms
        )


def total_matches(got: Any, expected: int) -> bool:
    # HubSpot pages through at most 10,000 results; accept a total reported at that cap.
    return got == expected or (isinstance(got, int) and expected > 10_000 and got >= 10_000)


def results_of(payload: Json) -> list[Json]:
    results = payload.get("results")
    return results if isinstance(results, list) else []


def prop(record: Json, name: str) -> Any:
    return (record.get("properties") or {}).get(name)


AND_STAGE = "lead"
AND_SINCE_MS = START_MS + TIME_SPAN_MS - 365 * DAY_MS  # the last year of the window
CONTACT_LIST_PROPS = [
    "email",
    "firstname",
    "lastname",
    "lifecyclestage",
    "hubspot_owner_id",
    "createdate",
]


def search_body(filters: list[Json], **extra: Any) -> Json:
    return {
        "filterGroups": [{"filters": filters}],
        "properties": CONTACT_LIST_PROPS,
        "limit": SEARCH_LIMIT,
        **extra,
    }


def months_in_window() -> list[tuple[int, int]]:
    """(first ms, last ms) of every whole calendar month inside the generated window."""
    spans: list[tuple[int, int]] = []
    year, month = TIME_START.year, TIME_START.month
    while True:
        first = datetime(year, month, 1, tzinfo=UTC)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        after = datetime(year, month, 1, tzinfo=UTC)
        if after > TIME_END:
            return spans
        first_ms = int((first - EPOCH).total_seconds() * 1000)
        after_ms = int((after - EPOCH).total_seconds() * 1000)
        spans.append((first_ms, after_ms - 1))


@dataclass(frozen=True)
class Probe:
    key: str
    label: str
    kind: str  # "search", "get" or "list": decides which target applies
    build: Callable[[Expect, random.Random], Call]


def probe_email(ex: Expect, rng: random.Random) -> Call:
    index = rng.randrange(len(ex.contact_ids))
    want = ex.contact_ids[index]
    email = ex.data.contacts[index].email

    def check(payload: Json) -> str | None:
        ids = [int(r["id"]) for r in results_of(payload)]
        if ids != [want] or payload.get("total") != 1:
            return (
                f"email {email}: expected [{want}], total 1; got {ids[:3]}, {payload.get('total')}"
            )
        return None

    filters = [{"propertyName": "email", "operator": "EQ", "value": email}]
    return Call("POST", "/crm/v3/objects/contacts/search", None, search_body(filters), check)


STAGE_PAIRS = (
    ("marketingqualifiedlead", "salesqualifiedlead"),
    ("opportunity", "customer"),
    ("subscriber", "evangelist"),
)


def probe_stage_in(ex: Expect, rng: random.Random) -> Call:
    pair = STAGE_PAIRS[rng.randrange(len(STAGE_PAIRS))]
    expected = ex.stage_counts[pair[0]] + ex.stage_counts[pair[1]]

    def check(payload: Json) -> str | None:
        results = results_of(payload)
        bad = [r["id"] for r in results if prop(r, "lifecyclestage") not in pair]
        if bad:
            return f"IN {pair}: records {bad[:3]} have another stage"
        if not total_matches(payload.get("total"), expected):
            return f"IN {pair}: total {payload.get('total')}, expected {expected}"
        if len(results) != min(SEARCH_LIMIT, expected):
            return f"IN {pair}: {len(results)} results on the first page"
        return None

    filters = [{"propertyName": "lifecyclestage", "operator": "IN", "values": list(pair)}]
    return Call("POST", "/crm/v3/objects/contacts/search", None, search_body(filters), check)


def probe_created_month(ex: Expect, rng: random.Random) -> Call:
    months = months_in_window()
    low, high = months[rng.randrange(len(months))]
    expected = ex.created_between(low, high)
    low_iso, high_iso = iso_ms(low), iso_ms(high)

    def check(payload: Json) -> str | None:
        stamps = [str(prop(r, "createdate")) for r in results_of(payload)]
        if any(not (low_iso <= s <= high_iso) for s in stamps):
            return f"BETWEEN {low_iso[:7]}: a createdate outside the month"
        if stamps != sorted(stamps):
            return f"BETWEEN {low_iso[:7]}: results not sorted by createdate"
        if not total_matches(payload.get("total"), expected):
            return f"BETWEEN {low_iso[:7]}: total {payload.get('total')}, expected {expected}"
        return None

    filters = [
        {
            "propertyName": "createdate",
            "operator": "BETWEEN",
            "value": low_iso,
            "highValue": high_iso,
        }
    ]
    body = search_body(filters, sorts=[{"propertyName": "createdate", "direction": "ASCENDING"}])
    return Call("POST", "/crm/v3/objects/contacts/search", None, body, check)


def probe_lastname_token(ex: Expect, rng: random.Random) -> Call:
    surname = ex.data.contacts[rng.randrange(len(ex.data.contacts))].lastname
    expected = ex.surname_counts[surname.lower()]

    def check(payload: Json) -> str | None:
        bad = [
            r["id"]
            for r in results_of(payload)
            if str(prop(r, "lastname")).lower() != surname.lower()
        ]
        if bad:
            return f"CONTAINS_TOKEN {surname}: records {bad[:3]} have another last name"
        if not total_matches(payload.get("total"), expected):
            return f"CONTAINS_TOKEN {surname}: total {payload.get('total')}, expected {expected}"
        return None

    filters = [{"propertyName": "lastname", "operator": "CONTAINS_TOKEN", "value": surname}]
    return Call("POST", "/crm/v3/objects/contacts/search", None, search_body(filters), check)


def probe_company_query(ex: Expect, rng: random.Random) -> Call:
    index = rng.randrange(len(ex.company_ids))
    name = ex.data.companies[index].name
    same_name = ex.names[name]

    def check(payload: Json) -> str | None:
        ids = {int(r["id"]) for r in results_of(payload)}
        total = payload.get("total")
        if not isinstance(total, int) or total < len(same_name):
            return f"query {name!r}: total {total}, but {len(same_name)} companies have that name"
        if total <= SEARCH_LIMIT and not same_name <= ids:
            return f"query {name!r}: companies named so are missing from the results"
        return None

    body = {"query": name, "properties": ["name", "domain", "city"], "limit": SEARCH_LIMIT}
    return Call("POST", "/crm/v3/objects/companies/search", None, body, check)


def probe_and3(ex: Expect, rng: random.Random) -> Call:
    slot = OWNER_SLOT(rng.random())
    owner = ex.owner_ids[slot]
    expected = ex.and3_counts[slot]
    since = iso_ms(AND_SINCE_MS)

    def check(payload: Json) -> str | None:
        for r in results_of(payload):
            if (
                prop(r, "lifecyclestage") != AND_STAGE
                or str(prop(r, "hubspot_owner_id")) != str(owner)
                or str(prop(r, "createdate")) < since
            ):
                return f"AND group: record {r['id']} does not match all three filters"
        if not total_matches(payload.get("total"), expected):
            return f"AND group owner {owner}: total {payload.get('total')}, expected {expected}"
        return None

    filters = [
        {"propertyName": "lifecyclestage", "operator": "EQ", "value": AND_STAGE},
        {"propertyName": "hubspot_owner_id", "operator": "EQ", "value": str(owner)},
        {"propertyName": "createdate", "operator": "GTE", "value": since},
    ]
    return Call("POST", "/crm/v3/objects/contacts/search", None, search_body(filters), check)


def probe_company_members(ex: Expect, rng: random.Random) -> Call:
    # The company of a random contact: larger accounts are opened more often.
    while True:
        seed = ex.data.contacts[rng.randrange(len(ex.data.contacts))]
        if seed.company is not None:
            break
    company_id = ex.company_ids[seed.company]
    members = ex.members.get(company_id, set())

    def check(payload: Json) -> str | None:
        ids = {int(r["id"]) for r in results_of(payload)}
        if not ids <= members:
            return f"associations.company {company_id}: ids {sorted(ids - members)[:3]} not linked"
        if not total_matches(payload.get("total"), len(members)):
            return (
                f"associations.company {company_id}: total {payload.get('total')}, "
                f"expected {len(members)}"
            )
        return None

    filters = [{"propertyName": "associations.company", "operator": "EQ", "value": str(company_id)}]
    return Call("POST", "/crm/v3/objects/contacts/search", None, search_body(filters), check)


def probe_get_contact(ex: Expect, rng: random.Random) -> Call:
    index = rng.randrange(len(ex.contact_ids))
    want = ex.contact_ids[index]
    email = ex.data.contacts[index].email

    def check(payload: Json) -> str | None:
        if str(payload.get("id")) != str(want) or prop(payload, "email") != email:
            return f"get contact {want}: got id {payload.get('id')}"
        return None

    return Call("GET", f"/crm/v3/objects/contacts/{want}", None, None, check)


def probe_get_deal(ex: Expect, rng: random.Random) -> Call:
    index = rng.randrange(len(ex.deal_ids))
    want = ex.deal_ids[index]

    def check(payload: Json) -> str | None:
        if str(payload.get("id")) != str(want):
            return f"get deal {want}: got id {payload.get('id')}"
        linked = (payload.get("associations") or {}).get("companies", {}).get("results", [])
        if not linked:
            return f"get deal {want}: no company association returned"
        return None

    params = {"associations": "companies,contacts"}
    return Call("GET", f"/crm/v3/objects/deals/{want}", params, None, check)


def probe_list_page(ex: Expect, rng: random.Random) -> Call:
    ordered = ex.sorted_contact_ids
    start = rng.randrange(max(1, len(ordered) - SEARCH_LIMIT))
    after = ordered[start]

    def check(payload: Json) -> str | None:
        ids = [int(r["id"]) for r in results_of(payload)]
        expected = ordered[start + 1 : start + 1 + SEARCH_LIMIT]
        if ids != expected:
            return f"list after {after}: got {ids[:3]}..., expected {expected[:3]}..."
        return None

    params = {"limit": str(SEARCH_LIMIT), "after": str(after), "properties": "email,lastname"}
    return Call("GET", "/crm/v3/objects/contacts", params, None, check)


PROBES = (
    Probe("search_email_eq", "search: email EQ", "search", probe_email),
    Probe("search_stage_in", "search: lifecyclestage IN (2 values)", "search", probe_stage_in),
    Probe(
        "search_createdate_month",
        "search: createdate BETWEEN a month, by createdate",
        "search",
        probe_created_month,
    ),
    Probe(
        "search_lastname_token", "search: lastname CONTAINS_TOKEN", "search", probe_lastname_token
    ),
    Probe(
        "search_company_query", "search: companies `query` = a name", "search", probe_company_query
    ),
    Probe("search_and3", "search: stage EQ + owner EQ + createdate GTE", "search", probe_and3),
    Probe(
        "search_company_contacts",
        "search: contacts of one company (associations.company)",
        "search",
        probe_company_members,
    ),
    Probe("get_contact", "get contact by id", "get", probe_get_contact),
    Probe("get_deal_assoc", "get deal by id + associations", "get", probe_get_deal),
    Probe("list_contacts_page", "list contacts, 100 after a random id", "list", probe_list_page),
)


def measure_probe(
    client: httpx.Client, probe: Probe, ex: Expect, warmup: int, repeat: int, seed: int
) -> Json:
    """``warmup`` untimed then ``repeat`` timed calls, each with fresh parameters."""
    rng = random.Random(f"{seed}:{probe.key}")
    calls = [probe.build(ex, rng) for _ in range(warmup + repeat)]
    samples: list[float] = []
    statuses: Counter[int] = Counter()
    problems: list[str] = []
    failed_checks = 0
    totals: list[int] = []
    for n, call in enumerate(calls):
        started = time.perf_counter()
        response = client.request(call.method, call.path, params=call.params, json=call.body)
        elapsed = (time.perf_counter() - started) * 1000.0
        if n >= warmup:
            samples.append(elapsed)
        statuses[response.status_code] += 1
        if response.status_code != 200:
            failed_checks += 1
            if len(problems) < 3:
                problems.append(f"HTTP {response.status_code}: {response.text[:300]}")
            continue
        payload = response.json()
        if isinstance(payload.get("total"), int):
            totals.append(payload["total"])
        problem = call.check(payload)
        if problem is not None:
            failed_checks += 1
            if len(problems) < 3:
                problems.append(problem)
    return {
        "label": probe.label,
        "kind": probe.kind,
        "warmup": warmup,
        **summarize_ms(samples),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "check_failures": failed_checks,
        "check_examples": problems,
        "median_total": statistics.median(totals) if totals else None,
    }


# --------------------------------------------------------------------------------------------
# Databases
# --------------------------------------------------------------------------------------------

COUNT_SQL = {
    "contacts": "SELECT count(*) FROM contacts",
    "companies": "SELECT count(*) FROM companies",
    "deals": "SELECT count(*) FROM deals",
    "associations": "SELECT count(*) FROM associations",
    "property_history": "SELECT count(*) FROM property_history",
}


def sqlite_facts(path: Path) -> Json:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = {name: conn.execute(text).fetchone()[0] for name, text in COUNT_SQL.items()}
    finally:
        conn.close()
    size = sum(
        Path(str(path) + suffix).stat().st_size
        for suffix in ("", "-wal")
        if Path(str(path) + suffix).exists()
    )
    return {"rows": rows, "size_bytes": size}


def pg_conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_facts(url: str) -> Json:
    with psycopg.connect(pg_conninfo(url), autocommit=True) as conn:
        rows = {name: conn.execute(text).fetchone()[0] for name, text in COUNT_SQL.items()}  # type: ignore[index]
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return {"rows": rows, "size_bytes": size[0] if size else None}


def pg_settings(url: str) -> Json:
    names = (
        "server_version",
        "shared_buffers",
        "work_mem",
        "max_connections",
        "lc_collate",
        "autovacuum",
        "plan_cache_mode",
    )
    info: Json = {}
    with psycopg.connect(pg_conninfo(url), autocommit=True) as conn:
        for name in names:
            row = conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()
            info[name] = row[0] if row else None
    return info


class PeriodicAnalyze:
    """Runs ANALYZE on the record tables every ``every_s`` seconds, and VACUUM (ANALYZE) once
    after the load, as autovacuum would.

    Used by default when the server has autovacuum off (``--pg-analyze-every``): there, tables
    loaded from empty are never analyzed, and statements the server prepared while they were
    tiny keep a plan made for a tiny table (a sequential scan per batch, measured here)."""

    TABLES = ("companies", "contacts", "deals", "associations", "property_history")

    def __init__(self, url: str, every_s: float) -> None:
        self.url = url
        self.every_s = every_s
        self.runs = 0
        self.seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="analyze", daemon=True)

    def run_once(self, *, vacuum: bool = False) -> None:
        """ANALYZE the tables; with ``vacuum``, VACUUM (ANALYZE) them, which autovacuum does to
        insert-only tables too (PostgreSQL 13+) and which sets the visibility map that lets
        counts over the partial indexes skip the table."""
        started = time.perf_counter()
        command = "VACUUM (ANALYZE) {}" if vacuum else "ANALYZE {}"
        with psycopg.connect(pg_conninfo(self.url), autocommit=True) as conn:
            conn.execute(
                sql.SQL(command).format(sql.SQL(", ").join(map(sql.Identifier, self.TABLES)))
            )
        self.runs += 1
        self.seconds += time.perf_counter() - started

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.run_once()

    def start(self) -> None:
        if self.every_s > 0:
            self._thread.start()

    def stop(self) -> Json:
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
        return {"every_s": self.every_s, "runs": self.runs, "seconds": round(self.seconds, 2)}


@dataclass
class Scratch:
    """Where one engine's main and raw-baseline databases live, and how to remove them."""

    engine: str
    main_url: str
    raw_url: str
    side_url: str
    sqlite_path: Path | None
    cleanup: Callable[[], None]


def make_scratch(engine: str, args: argparse.Namespace, workdir: Path) -> Scratch:
    if engine == "sqlite":
        folder = workdir / "sqlite"
        folder.mkdir()
        main_path = folder / "main.sqlite3"
        return Scratch(
            engine,
            f"sqlite:///{main_path}",
            f"sqlite:///{folder / 'raw.sqlite3'}",
            f"sqlite:///{folder / 'raw_side.sqlite3'}",
            main_path,
            lambda: None if args.keep else shutil.rmtree(folder, ignore_errors=True),
        )
    admin = make_url(args.pg_url)
    name = f"revline_bench_scale_{secrets.token_hex(4)}"
    names = (name, name + "_raw", name + "_side")
    with psycopg.connect(pg_conninfo(args.pg_url), autocommit=True) as conn:
        for db_name in names:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db_name)))
    say(f"created PostgreSQL databases {', '.join(names)}")

    def drop() -> None:
        if args.keep:
            say(f"kept PostgreSQL databases {', '.join(names)}")
            return
        with psycopg.connect(pg_conninfo(args.pg_url), autocommit=True) as conn:
            for db_name in names:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                        sql.Identifier(db_name)
                    )
                )
        say(f"dropped PostgreSQL databases {', '.join(names)}")

    def url_for(db_name: str) -> str:
        # An explicit driver: revline's Database (used for the raw baseline) takes the URL
        # as it is, and a bare postgresql:// would make SQLAlchemy look for psycopg2.
        return admin.set(drivername="postgresql+psycopg", database=db_name).render_as_string(
            hide_password=False
        )

    return Scratch(engine, url_for(names[0]), url_for(names[1]), url_for(names[2]), None, drop)


# --------------------------------------------------------------------------------------------
# One engine, end to end
# --------------------------------------------------------------------------------------------


def create_owners(revline: Path, url: str, workers: int) -> None:
    def one(n: int) -> str:
        return run_cli(
            revline,
            [
                "users",
                "create",
                "--email",
                f"rep{n:02d}@bench.test",
                "--first-name",
                FIRST_NAMES[n % len(FIRST_NAMES)],
                "--last-name",
                f"Rep{n:02d}",
                "--team",
                f"Team {n % 4 + 1}",
            ],
            url,
        )

    # Users one after another on SQLite would be safe in parallel too (busy_timeout); two at a
    # time roughly halves the ~1 s start-up cost of each CLI process.
    with_threads: list[threading.Thread] = []
    errors: list[BaseException] = []
    pending = iter(range(OWNER_COUNT))
    lock = threading.Lock()

    def drain() -> None:
        while True:
            with lock:
                n = next(pending, None)
            if n is None:
                return
            try:
                one(n)
            except BaseException as exc:
                errors.append(exc)
                return

    for _ in range(max(1, workers)):
        t = threading.Thread(target=drain)
        t.start()
        with_threads.append(t)
    for t in with_threads:
        t.join()
    if errors:
        raise errors[0]


def switch_off_lifecycle_sync(base_url: str, token: str) -> Json:
    """The generated records carry their final lifecycle stages, as an import of an existing
    CRM does; the sync rules (deal -> opportunity, company <-> contacts) would rewrite them
    while loading and the probes' expected counts would no longer hold."""
    with api_client(base_url, token) as client:
        current = client.get("/revline/v1/settings/lifecycle")
        if current.status_code == 404:
            return {"available": False}
        current.raise_for_status()
        off = {name: False for name in current.json()}
        response = client.patch("/revline/v1/settings/lifecycle", json=off)
        response.raise_for_status()
        return {"available": True, "settings": response.json()}


def load_exchange_rates(base_url: str, token: str) -> None:
    with api_client(base_url, token) as client:
        response = client.post("/revline/v1/exchange-rates", json={"inputs": EXCHANGE_RATES})
        response.raise_for_status()


def owner_ids_from_api(base_url: str, token: str) -> list[int]:
    with api_client(base_url, token) as client:
        response = client.get("/crm/v3/owners", params={"limit": "100"})
        response.raise_for_status()
        owners = response.json()["results"]
    by_email = {o["email"]: int(o["id"]) for o in owners}
    ids = [by_email.get(f"rep{n:02d}@bench.test") for n in range(OWNER_COUNT)]
    if any(i is None for i in ids):
        raise RuntimeError(f"owners missing from /crm/v3/owners: {sorted(by_email)}")
    return [int(i) for i in ids if i is not None]


def run_engine(
    engine: str,
    args: argparse.Namespace,
    data: DataSet,
    workdir: Path,
    sampler: LoadSampler,
) -> Json:
    out: Json = {"engine": engine}
    revline: Path = args.revline
    scratch = make_scratch(engine, args, workdir)
    server: Server | None = None
    engine_started = time.perf_counter()
    try:
        sampler.phase = f"{engine}:setup"
        say(f"[{engine}] migrating, creating {OWNER_COUNT} users and a token")
        for url in (scratch.main_url, scratch.raw_url, scratch.side_url):
            if url == scratch.side_url and not args.raw_side_rows:
                continue
            run_cli(revline, ["db", "upgrade"], url)
        create_owners(revline, scratch.main_url, args.workers)
        token = run_cli(revline, ["tokens", "create", "--name", "bench"], scratch.main_url)
        token = token.strip().splitlines()[-1].strip()
        if engine == "postgresql":
            out["database"] = pg_settings(scratch.main_url)
        else:
            out["database"] = {"sqlite_version": sqlite3.sqlite_version, "journal_mode": "wal"}

        server = Server(revline, scratch.main_url, workdir / f"server-{engine}.log")
        out["server"] = {"pid": server.pid, "startup_s": server.startup_s}
        say(f"[{engine}] server pid {server.pid} on {server.base_url} ({server.startup_s} s)")
        routes = probe_routes(server.base_url, token)
        out["routes_probe"] = routes
        missing = {k: v for k, v in routes.items() if v in (404, 405)}
        if missing:
            raise RuntimeError(f"endpoints not available yet: {missing}")
        owner_ids = owner_ids_from_api(server.base_url, token)
        load_exchange_rates(server.base_url, token)
        out["lifecycle_sync"] = switch_off_lifecycle_sync(server.base_url, token)

        # Raw baseline first, while the server is idle: the same contact rows, same engine.
        sampler.phase = f"{engine}:raw"
        fake_company_ids = list(range(1, len(data.companies) + 1))
        raw_contacts = data.contacts[: args.raw_rows] if args.raw_rows else data.contacts
        say(f"[{engine}] raw bulk insert of {len(raw_contacts):,} contact rows")
        raw = raw_insert(
            scratch.raw_url,
            raw_contacts,
            owner_ids,
            fake_company_ids,
            args.raw_chunk,
            side_rows=False,
            label="raw contacts",
        )
        out["raw_baseline"] = {"contact_rows": raw}
        if args.raw_side_rows:
            side_contacts = data.contacts[: args.raw_side_rows]
            say(
                f"[{engine}] raw bulk insert of {len(side_contacts):,} contacts with their "
                "history rows and association edges"
            )
            out["raw_baseline"]["with_side_rows"] = raw_insert(
                scratch.side_url,
                side_contacts,
                owner_ids,
                fake_company_ids,
                args.raw_chunk,
                side_rows=True,
                label="raw contacts + side rows",
            )

        loads: dict[str, LoadResult] = {}
        analyzer: PeriodicAnalyze | None = None
        if engine == "postgresql":
            every = args.pg_analyze_every
            if every is None:
                # Measure against a server that keeps its statistics current, as autovacuum
                # does by default (naptime 60 s); a server with it off never analyzes.
                every = 60.0 if out["database"].get("autovacuum") == "off" else 0.0
                if every:
                    say(f"[{engine}] autovacuum is off here: ANALYZE every {every:g} s instead")
            if every:
                analyzer = PeriodicAnalyze(scratch.main_url, every)
                analyzer.start()

        def meter() -> CpuMeter:
            return CpuMeter(server.pid, engine)

        sampler.phase = f"{engine}:load"
        say(f"[{engine}] loading through the batch endpoints with {args.workers} client threads")
        loads["companies"], company_map = load(
            server.base_url,
            token,
            "companies",
            ((i, company_input(c, owner_ids)) for i, c in enumerate(data.companies)),
            len(data.companies),
            args.workers,
            "domain",
            meter,
        )
        company_ids = [company_map[i] for i in range(len(data.companies))]
        loads["contacts"], contact_map = load(
            server.base_url,
            token,
            "contacts",
            ((i, contact_input(c, owner_ids, company_ids)) for i, c in enumerate(data.contacts)),
            len(data.contacts),
            args.workers,
            "email",
            meter,
        )
        contact_ids = [contact_map[i] for i in range(len(data.contacts))]
        loads["deals"], deal_map = load(
            server.base_url,
            token,
            "deals",
            (
                (i, deal_input(d, owner_ids, company_ids, contact_ids))
                for i, d in enumerate(data.deals)
            ),
            len(data.deals),
            args.workers,
            None,
            meter,
        )
        deal_ids = sorted(deal_map.values())
        load_seconds = sum(r.seconds for r in loads.values())
        load_records = sum(r.created for r in loads.values())
        out["load"] = {k: asdict(v) for k, v in loads.items()}
        out["load"]["all"] = {
            "records": load_records,
            "seconds": round(load_seconds, 3),
            "records_per_s": round(load_records / load_seconds, 1) if load_seconds else 0.0,
        }
        out["server"]["after_load_kib"] = server.memory()

        ratio = (
            loads["contacts"].records_per_s / raw["records_per_s"] if raw["records_per_s"] else None
        )
        out["raw_baseline"]["api_to_raw_ratio"] = round(ratio, 4) if ratio else None
        side = out["raw_baseline"].get("with_side_rows")
        if side and side["records_per_s"]:
            out["raw_baseline"]["api_to_raw_with_side_rows_ratio"] = round(
                loads["contacts"].records_per_s / side["records_per_s"], 4
            )

        out["database_after_load"] = (
            sqlite_facts(scratch.sqlite_path)
            if scratch.sqlite_path is not None
            else pg_facts(scratch.main_url)
        )

        if analyzer is not None:
            analyzer.stop()
            # Before the reads, the state autovacuum leaves a few minutes after a bulk load.
            analyzer.run_once(vacuum=True)
            out["pg_analyze"] = analyzer.stop()
        sampler.phase = f"{engine}:latency"
        say(f"[{engine}] latency: {args.warmup} warm-up + {args.repeat} timed calls per probe")
        expect = Expect(data, company_ids, contact_ids, deal_ids, owner_ids)
        latency: Json = {}
        with api_client(server.base_url, token) as client:
            for probe in PROBES:
                latency[probe.key] = measure_probe(
                    client, probe, expect, args.warmup, args.repeat, args.seed
                )
                q = latency[probe.key]
                say(
                    f"  {probe.label:56} p50 {q.get('p50_ms', 0):8.2f}  p95 "
                    f"{q.get('p95_ms', 0):8.2f}  p99 {q.get('p99_ms', 0):8.2f} ms"
                    + (f"  ({q['check_failures']} check failures)" if q["check_failures"] else "")
                )
        out["latency"] = latency
        out["server"]["end_kib"] = server.memory()
        out["server"]["peak_rss_mib"] = round(out["server"]["end_kib"].get("VmHWM", 0) / 1024, 1)
    except BaseException:
        if server is not None:
            say(f"[{engine}] server log tail:\n{server.log_tail()}")
        raise
    finally:
        if server is not None:
            server.stop()
        scratch.cleanup()
        out["elapsed_s"] = round(time.perf_counter() - engine_started, 1)
        out["loadavg"] = sampler.summary(prefix=f"{engine}:")
    return out


# --------------------------------------------------------------------------------------------
# Targets, report, table
# --------------------------------------------------------------------------------------------


def evaluate_targets(engine: str, result: Json) -> list[Json]:
    targets: list[Json] = []

    def add(name: str, value: float | None, op: str, limit: float) -> None:
        met = value is not None and (value >= limit if op == ">=" else value <= limit)
        targets.append(
            {
                "engine": engine,
                "target": name,
                "value": value,
                "rule": f"{op} {limit:g}",
                "met": met,
            }
        )

    load_figures = result.get("load", {})
    for object_type in ("companies", "contacts", "deals", "all"):
        if object_type in load_figures:
            add(
                f"batch create {object_type} records/s",
                load_figures[object_type]["records_per_s"],
                ">=",
                CREATE_TARGET_RPS,
            )
    for key, q in result.get("latency", {}).items():
        if q["kind"] == "search":
            add(f"{key} p99 ms", q.get("p99_ms"), "<=", SEARCH_TARGET_MS[engine])
        elif q["kind"] == "get":
            add(f"{key} p99 ms", q.get("p99_ms"), "<=", GET_TARGET_MS)
    return targets


def machine_info() -> Json:
    memory_kib: int | None = None
    cpu_model: str | None = None
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
        "httpx": httpx.__version__,
    }


def source_info() -> Json:
    """Which Revline was measured: the commit and how many files differed from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    changed = git("status", "--porcelain", "--untracked-files=all", "--", "src")
    digest = hashlib.sha256()
    for line in sorted(changed.splitlines()):
        path = Path(line[3:])
        digest.update(line.encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return {
        "commit": git("rev-parse", "HEAD") or None,
        "uncommitted_files_in_src": len(changed.splitlines()) if changed else 0,
        "uncommitted_src_sha256": digest.hexdigest() if changed else None,
    }


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float | int):
        return f"{value:,.{digits}f}"
    return str(value)


def format_table(report: Json) -> str:
    engines = [e for e in ENGINES if e in report["results"]]
    width = 26
    lines = [
        f"Revline CRM at scale: {report['sizes']['contacts']:,} contacts, "
        f"{report['sizes']['companies']:,} companies, {report['sizes']['deals']:,} deals "
        f"(seed {report['seed']}, {report['method']['load_workers']} load threads)",
        f"{'':58}" + "".join(f"{e:>{width}}" for e in engines),
    ]

    def row(label: str, cells: list[str]) -> None:
        lines.append(f"{label:58}" + "".join(f"{c:>{width}}" for c in cells))

    results = report["results"]
    for object_type in ("companies", "contacts", "deals", "all"):
        row(
            f"batch create {object_type} (records/s)",
            [
                fmt(results[e].get("load", {}).get(object_type, {}).get("records_per_s"), 0)
                for e in engines
            ],
        )
    row(
        "contacts per CPU-second of server + database",
        [
            fmt(
                results[e]
                .get("load", {})
                .get("contacts", {})
                .get("cpu", {})
                .get("records_per_server_cpu_s"),
                0,
            )
            for e in engines
        ],
    )
    row(
        "raw executemany of the contact rows (records/s)",
        [
            fmt(results[e].get("raw_baseline", {}).get("contact_rows", {}).get("records_per_s"), 0)
            for e in engines
        ],
    )
    row(
        "API / raw (contacts)",
        [fmt(results[e].get("raw_baseline", {}).get("api_to_raw_ratio"), 3) for e in engines],
    )
    if any("with_side_rows" in results[e].get("raw_baseline", {}) for e in engines):
        row(
            "raw incl. history rows + edges (contacts/s)",
            [
                fmt(
                    results[e]
                    .get("raw_baseline", {})
                    .get("with_side_rows", {})
                    .get("records_per_s"),
                    0,
                )
                for e in engines
            ],
        )
    lines.append("latency p50 / p95 / p99 (ms)")
    for probe in PROBES:
        cells = []
        for e in engines:
            q = results[e].get("latency", {}).get(probe.key)
            if not q or not q.get("n"):
                cells.append("-")
                continue
            cell = f"{q['p50_ms']:.1f} / {q['p95_ms']:.1f} / {q['p99_ms']:.1f}"
            if q["check_failures"]:
                cell += " !"
            cells.append(cell)
        row("  " + probe.label, cells)
    row(
        "server peak RSS (MiB)",
        [fmt(results[e].get("server", {}).get("peak_rss_mib")) for e in engines],
    )
    row(
        "database size after load (MiB)",
        [
            fmt((results[e].get("database_after_load", {}).get("size_bytes") or 0) / 2**20, 0)
            for e in engines
        ],
    )
    met = [t for t in report["targets"] if t["met"]]
    missed = [t for t in report["targets"] if not t["met"]]
    lines.append(f"targets met: {len(met)} of {len(report['targets'])}")
    for t in missed:
        lines.append(f"  missed [{t['engine']}] {t['target']}: {fmt(t['value'], 2)} ({t['rule']})")
    if any(
        q.get("check_failures") for e in engines for q in results[e].get("latency", {}).values()
    ):
        lines.append("! = some answers did not match the generated data (see check_examples)")
    return "\n".join(lines)


def write_report(report: Json, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(report, indent=2, default=str) + "\n")
    tmp.replace(out)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply all three sizes (0.01 = smoke run, about a minute)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random.Random seed")
    parser.add_argument("--engines", default="sqlite,postgresql", help="comma-separated")
    parser.add_argument(
        "--pg-url",
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        help="admin connection used to create and drop the scratch databases",
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/crm_scale.json"))
    parser.add_argument(
        "--repeat",
        type=int,
        default=None,
        help="timed calls per latency probe (default 200; 30 with --scale below 0.1)",
    )
    parser.add_argument("--warmup", type=int, default=None, help="untimed calls per probe")
    parser.add_argument("--workers", type=int, default=2, help="concurrent load client threads")
    parser.add_argument(
        "--raw-rows", type=int, default=0, help="contacts in the raw baseline (0 = all)"
    )
    parser.add_argument(
        "--raw-side-rows",
        type=int,
        default=20_000,
        help="contacts in the second raw baseline that also writes history rows and edges "
        "(0 = skip)",
    )
    parser.add_argument("--raw-chunk", type=int, default=10_000, help="contacts per transaction")
    parser.add_argument(
        "--pg-analyze-every",
        type=float,
        default=None,
        help="PostgreSQL: ANALYZE the record tables every this many seconds while loading and "
        "once before the reads, standing in for autovacuum (default: 60 when the server has "
        "autovacuum off, else never; 0 = never)",
    )
    parser.add_argument(
        "--revline",
        type=Path,
        default=Path(sys.executable).parent / "revline",
        help="the revline command to run the server and CLI with",
    )
    parser.add_argument("--workdir", type=Path, default=None, help="parent dir for scratch files")
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    parser.add_argument("--note", default="", help="free text stored in the report")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for engine in args.engines:
        if engine not in ENGINES:
            parser.error(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if not 0 < args.scale <= 10:
        parser.error("--scale must be in (0, 10]")
    smoke = args.scale < 0.1
    if args.repeat is None:
        args.repeat = 30 if smoke else 200
    if args.warmup is None:
        args.warmup = 5 if smoke else 20
    if args.repeat < 1 or args.workers < 1:
        parser.error("--repeat and --workers must be at least 1")
    args.sizes = Sizes(
        contacts=max(100, round(args.contacts * args.scale)),
        companies=max(10, round(args.companies * args.scale)),
        deals=max(10, round(args.deals * args.scale)),
    )
    args.raw_side_rows = min(args.raw_side_rows, args.sizes.contacts)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sizes: Sizes = args.sizes
    run_started = time.perf_counter()
    started = time.perf_counter()
    data = generate(sizes, args.seed)
    say(
        f"generated {len(data.companies):,} companies, {len(data.contacts):,} contacts and "
        f"{len(data.deals):,} deals in {time.perf_counter() - started:.1f} s"
    )
    report: Json = {
        "benchmark": "revline crm at scale",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", *sys.argv]),
        "seed": args.seed,
        "scale": args.scale,
        "sizes": asdict(sizes),
        "note": args.note,
        "revline_source": source_info(),
        "machine": {**machine_info(), "loadavg_at_start": [round(v, 2) for v in os.getloadavg()]},
        "method": {
            "server": "`revline serve` subprocess on 127.0.0.1, REVLINE_LOG_LEVEL=WARNING "
            "(no access log), one uvicorn process",
            "load_workers": args.workers,
            "batch_size": BATCH_SIZE,
            "load_order": "companies, then contacts (primary company type 1, 5 % also a "
            "second company type 279), then deals (company type 5, contact type 3); the "
            "lifecycle sync rules are switched off first, as for an import of records whose "
            "stages are already decided",
            "throughput": "records created / wall time of the phase, client side; request "
            "bodies are JSON-encoded before the phase starts (encode_s), answers are parsed "
            "inside it; cpu_s is the CPU time the server, PostgreSQL's processes and this "
            "client used during the phase, and records_per_server_cpu_s relates the records "
            "to the server side's share",
            "raw_baseline": "SQLAlchemy Core executemany of the same contact rows into the "
            f"contacts table of a second, freshly migrated database on the same engine, "
            f"{args.raw_chunk} rows per transaction, before the API load; the optional second "
            "baseline also writes the property_history rows and association edges the API "
            "writes per contact",
            "latency": f"{args.warmup} untimed then {args.repeat} timed calls per probe, new "
            "parameters each call, one client thread, keep-alive connection, client wall time "
            "until the response body is read; nearest-rank percentiles",
            "search_limit": SEARCH_LIMIT,
            "peak_rss": "VmHWM of the server process from /proc/<pid>/status at the end",
            "owners": f"{OWNER_COUNT} users created with `revline users create`",
            "pg_analyze_every_s": "60 when the server has autovacuum off"
            if args.pg_analyze_every is None
            else args.pg_analyze_every,
        },
        "targets_rule": {
            "batch_create_records_per_s": CREATE_TARGET_RPS,
            "search_p99_ms": SEARCH_TARGET_MS,
            "get_by_id_p99_ms": GET_TARGET_MS,
        },
        "results": {},
        "targets": [],
    }
    out: Path = args.out
    workdir = Path(tempfile.mkdtemp(prefix="revline_bench_scale_", dir=args.workdir))
    status = 0
    try:
        with LoadSampler() as sampler:
            for engine in args.engines:
                try:
                    result = run_engine(engine, args, data, workdir, sampler)
                except Exception as exc:
                    say(f"[{engine}] FAILED: {exc}")
                    report["results"][engine] = {"engine": engine, "error": str(exc)}
                    status = 1
                    write_report(report, out)
                    continue
                report["results"][engine] = result
                if engine == "postgresql":
                    report["machine"]["postgresql"] = result.get("database", {}).get(
                        "server_version"
                    )
                report["targets"] = [
                    t
                    for e in args.engines
                    if e in report["results"] and "error" not in report["results"][e]
                    for t in evaluate_targets(e, report["results"][e])
                ]
                write_report(report, out)
            report["machine"]["loadavg_samples"] = sampler.summary()
    finally:
        if args.keep:
            say(f"kept scratch files in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    report["elapsed_s"] = round(time.perf_counter() - run_started, 1)
    report["machine"]["loadavg_at_end"] = [round(v, 2) for v in os.getloadavg()]
    write_report(report, out)
    print("\n" + format_table(report) + "\n", flush=True)
    print(f"wrote {out} (total {report['elapsed_s']:.0f} s)", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
