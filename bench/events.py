"""Benchmark event ingestion and segment maintenance at scale.

A reproducible workspace (by default 1,000,000 contacts, 100,000 companies with a primary
company for 60 % of the contacts) is written with SQLAlchemy Core into a freshly migrated
database, because loading contacts is not what is measured here (the CRM benchmark measures
that). Twenty segments are then created through the API: property, company-property,
behavioural (counted from daily aggregates and from raw events), nested, segment-membership
and time-window ones. Then:

* **ingest**: a reproducible stream of events (by default 10,000,000; page views, form
  submissions, email opens and clicks, product actions, sign-ups, meetings, subscriptions;
  85 % sent with the contact id, 10 % with the email, 5 % anonymous; 10 % with an
  idempotency key) goes through ``POST /revline/v1/events/batch`` in batches of 1,000 from
  several client threads to ``revline serve`` (two server processes on PostgreSQL, one on
  SQLite, whose single writer gains nothing from a second). A ``revline worker`` process
  maintains segment membership at the same time (on SQLite, the server runs it in-process),
  so the figure is that of a workspace that keeps its segments current while it ingests;
  the backlog of re-evaluation jobs left at the end and the time to drain it are reported.
* **raw baseline**: the same event rows (as stored: contact resolved, key property in
  ``detail``) are bulk-inserted with SQLAlchemy Core ``executemany`` in chunks of 1,000 into
  the ``events`` table of a second freshly migrated database on the same engine, in the same
  run; only the insert calls are timed. The ingest/raw ratio is reported.
* **rebuild**: the full rebuild of one behavioural segment ("visited /pricing at least twice
  in the last 30 days") over every contact, timed through ``POST /segments/{id}/rebuild``,
  and the initial build of a new behavioural segment (every member an entry).

Results go to ``bench/results/events.json``.

    .venv/bin/python bench/events.py                                   # full size
    .venv/bin/python bench/events.py --contacts 20000 --events 200000  # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Table, create_engine, insert, text
from sqlalchemy.engine import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crm_scale import (
    CpuMeter,
    PeriodicAnalyze,
    Progress,
    Server,
    api_client,
    run_cli,
    summarize_ms,
)
from duplicates import pg_scratch
from revline.kit.db import Base, Database
from revline.setup import upgrade_database

Json = dict[str, Any]
BATCH = 1_000
WINDOW_DAYS = 90
COUNTRIES: list[tuple[str, float]] = [
    ("US", 30),
    ("GB", 12),
    ("DE", 10),
    ("FR", 8),
    ("IN", 8),
    ("BR", 6),
    ("CA", 6),
]
COUNTRIES += [("AU", 5), ("NL", 5), ("ES", 5), ("SE", 5)]
STAGES: list[tuple[str, float]] = [("subscriber", 30), ("lead", 35), ("marketingqualifiedlead", 15)]
STAGES += [("salesqualifiedlead", 8), ("opportunity", 6), ("customer", 6)]
INDUSTRIES = ["COMPUTER_SOFTWARE", "FINANCIAL_SERVICES", "HOSPITAL_HEALTH_CARE", "RETAIL"]
INDUSTRIES += ["MARKETING_AND_ADVERTISING", "EDUCATION_MANAGEMENT", "CONSTRUCTION", "TELECOM"]
PATHS: list[tuple[str, float]] = [
    ("/", 20),
    ("/pricing", 8),
    ("/blog/pipeline-reviews", 10),
    ("/blog/lead-scoring", 9),
]
PATHS += [("/features", 12), ("/docs", 10), ("/customers", 6), ("/about", 4), ("/careers", 3)]
PATHS += [("/demo", 3), ("/integrations", 8), ("/security", 4), ("/changelog", 3)]
TYPES: list[tuple[str, float]] = [
    ("page_view", 68),
    ("email_opened", 10),
    ("email_clicked", 4),
    ("form_submitted", 5),
]
TYPES += [("product_action", 9), ("signed_up", 1.5), ("meeting_booked", 1.0)]
TYPES += [("subscription_activated", 1.0), ("subscription_cancelled", 0.5)]
FORMS: list[tuple[str, float]] = [("newsletter", 40), ("ebook", 30), ("demo", 15), ("contact", 15)]
ACTIONS: list[tuple[str, float]] = [
    ("created_report", 30),
    ("invited_user", 15),
    ("connected_inbox", 20),
]
ACTIONS += [("imported_contacts", 20), ("exported_csv", 15)]
PLANS: list[tuple[str, float]] = [("starter", 60), ("pro", 30), ("enterprise", 10)]


def weighted(pairs: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    return [p[0] for p in pairs], [float(p[1]) for p in pairs]


def pick(rng: random.Random, table: tuple[list[str], list[float]]) -> str:
    return rng.choices(table[0], cum_weights=table[1])[0]


def cumulative(pairs: Sequence[tuple[str, float]]) -> tuple[list[str], list[float]]:
    names, weights = weighted(pairs)
    total = 0.0
    cum = []
    for w in weights:
        total += w
        cum.append(total)
    return names, cum


C_COUNTRY, C_STAGE, C_PATH = cumulative(COUNTRIES), cumulative(STAGES), cumulative(PATHS)
C_TYPE, C_FORM, C_ACTION, C_PLAN = (
    cumulative(TYPES),
    cumulative(FORMS),
    cumulative(ACTIONS),
    cumulative(PLANS),
)


def email_of(n: int) -> str:
    return f"person{n}@bench{n % 997}.example"


# --------------------------------------------------------------------------------------------
# The workspace
# --------------------------------------------------------------------------------------------


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def seed_workspace(url: str, contacts: int, companies: int, seed: int) -> list[int]:
    """Contacts, companies and primary company links; returns the contact ids in order."""
    rng = random.Random(seed)
    db = Database(url)
    upgrade_database(db)
    db.dispose()
    engine = create_engine(url)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        rows = [
            {
                "id": i + 1,
                "name": f"Company {i + 1}",
                "domain": f"company{i + 1}.example",
                "industry": rng.choice(INDUSTRIES),
                "numberofemployees": rng.choice([5, 20, 80, 300, 2000]),
                "created_at": now,
                "updated_at": now,
                "archived": False,
                "custom": {},
            }
            for i in range(companies)
        ]
        _insert(conn, "companies", rows)
        contact_rows: list[Json] = []
        edges: list[Json] = []
        for n in range(1, contacts + 1):
            contact_rows.append(
                {
                    "id": n,
                    "email": email_of(n),
                    "revline_email_key": email_of(n),
                    "firstname": f"First{n % 500}",
                    "lastname": f"Last{n}",
                    "country": pick(rng, C_COUNTRY),
                    "lifecyclestage": pick(rng, C_STAGE),
                    "created_at": now - timedelta(days=rng.randrange(1, 900)),
                    "updated_at": now,
                    "archived": False,
                    "custom": {},
                }
            )
            if companies and rng.random() < 0.6:
                company = rng.randrange(1, companies + 1)
                for a, a_id, b, b_id, type_id in (
                    ("contacts", n, "companies", company, 1),
                    ("companies", company, "contacts", n, 2),
                    ("contacts", n, "companies", company, 279),
                    ("companies", company, "contacts", n, 280),
                ):
                    edges.append(
                        {
                            "from_type": a,
                            "from_id": a_id,
                            "to_type": b,
                            "to_id": b_id,
                            "category": "HUBSPOT_DEFINED",
                            "type_id": type_id,
                            "created_at": now,
                            "archived": False,
                        }
                    )
            if len(contact_rows) >= 20_000:
                _insert(conn, "contacts", contact_rows)
                _insert(conn, "associations", edges)
                contact_rows, edges = [], []
        _insert(conn, "contacts", contact_rows)
        _insert(conn, "associations", edges)
        if engine.dialect.name == "postgresql":
            for seq, tbl in (("contacts_id_seq", "contacts"), ("companies_id_seq", "companies")):
                conn.execute(text(f"SELECT setval('{seq}', (SELECT max(id) FROM {tbl}))"))  # noqa: S608
    _analyze(engine)
    engine.dispose()
    return list(range(1, contacts + 1))


def _insert(conn: Connection, name: str, rows: list[Json]) -> None:
    for i in range(0, len(rows), 5_000):
        conn.execute(insert(table(name)), rows[i : i + 5_000])


def _analyze(engine: Any) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


# --------------------------------------------------------------------------------------------
# Segments
# --------------------------------------------------------------------------------------------

PRICING_TWICE: Json = {
    "event": "page_view",
    "where": [{"property": "path", "operator": "EQ", "value": "/pricing"}],
    "atLeast": 2,
    "inLastDays": 30,
}


def segment_definitions() -> list[Json]:
    def prop(name: str, op: str, **kw: Any) -> Json:
        return {"property": name, "operator": op, **kw}

    demo_form = {
        "event": "form_submitted",
        "where": [{"property": "form_id", "operator": "EQ", "value": "demo"}],
        "atLeast": 1,
    }
    defs: list[Json] = [
        {"name": "US contacts", "conditions": {"and": [prop("country", "EQ", value="US")]}},
        {
            "name": "Leads and MQLs",
            "conditions": prop("lifecyclestage", "IN", values=["lead", "marketingqualifiedlead"]),
        },
        {"name": "Pricing twice in 30 days", "conditions": PRICING_TWICE},
        {
            "name": "US demo requesters who visited pricing twice",
            "conditions": {"and": [prop("country", "EQ", value="US"), demo_form, PRICING_TWICE]},
        },
        {"name": "Demo form", "conditions": demo_form},
        {
            "name": "Engaged by email (3 opens in 14 days)",
            "conditions": {"event": "email_opened", "atLeast": 3, "inLastDays": 14},
        },
        {
            "name": "Clicked an email in 7 days",
            "conditions": {"event": "email_clicked", "atLeast": 1, "inLastDays": 7},
        },
        {
            "name": "Dormant: no page view in 30 days",
            "conditions": {"event": "page_view", "atMost": 0, "inLastDays": 30},
        },
        {"name": "Signed up", "conditions": {"event": "signed_up", "atLeast": 1}},
        {
            "name": "Pro sign-ups (raw property filter)",
            "conditions": {
                "event": "subscription_activated",
                "where": [{"property": "mrr", "operator": "GTE", "value": "100"}],
                "atLeast": 1,
            },
        },
        {
            "name": "Software companies",
            "conditions": {
                "companyProperty": "industry",
                "operator": "EQ",
                "value": "COMPUTER_SOFTWARE",
            },
        },
        {
            "name": "Heavy product users",
            "conditions": {"event": "product_action", "atLeast": 5, "inLastDays": 30},
        },
        {
            "name": "Inbox connected",
            "conditions": {
                "event": "product_action",
                "where": [{"property": "name", "operator": "EQ", "value": "connected_inbox"}],
                "atLeast": 1,
            },
        },
        {
            "name": "Europe, engaged",
            "conditions": {
                "and": [
                    prop("country", "IN", values=["GB", "DE", "FR", "NL", "ES", "SE"]),
                    {
                        "or": [
                            {"event": "email_clicked", "atLeast": 1, "inLastDays": 30},
                            {"event": "form_submitted", "atLeast": 1, "inLastDays": 30},
                        ]
                    },
                ]
            },
        },
        {"name": "Meeting booked", "conditions": {"event": "meeting_booked", "atLeast": 1}},
        {
            "name": "Cancelled",
            "conditions": {"event": "subscription_cancelled", "atLeast": 1, "inLastDays": 60},
        },
        {
            "name": "Blog readers",
            "conditions": {
                "event": "page_view",
                "where": [
                    {
                        "property": "path",
                        "operator": "IN",
                        "values": ["/blog/pipeline-reviews", "/blog/lead-scoring"],
                    }
                ],
                "atLeast": 3,
            },
        },
        {
            "name": "Customers in software",
            "conditions": {
                "and": [
                    prop("lifecyclestage", "EQ", value="customer"),
                    {
                        "companyProperty": "industry",
                        "operator": "EQ",
                        "value": "COMPUTER_SOFTWARE",
                    },
                ]
            },
        },
    ]
    return defs


def create_segments(client: httpx.Client) -> dict[str, int]:
    ids: dict[str, int] = {}
    for spec in segment_definitions():
        ids[spec["name"]] = _create(client, spec["name"], spec["conditions"])
    # Two that read other segments' membership.
    ids["US pricing visitors"] = _create(
        client,
        "US pricing visitors",
        {
            "and": [
                {"inSegment": ids["US contacts"]},
                {"inSegment": ids["Pricing twice in 30 days"]},
            ]
        },
    )
    ids["Not yet signed up, engaged"] = _create(
        client,
        "Not yet signed up, engaged",
        {
            "and": [
                {"notInSegment": ids["Signed up"]},
                {"inSegment": ids["Engaged by email (3 opens in 14 days)"]},
            ]
        },
    )
    return ids


def _create(client: httpx.Client, name: str, conditions: Json) -> int:
    resp = client.post(
        "/revline/v1/segments", json={"name": name, "kind": "dynamic", "conditions": conditions}
    )
    if resp.status_code != 201:
        raise RuntimeError(f"creating segment {name!r}: {resp.status_code} {resp.text[:500]}")
    return int(resp.json()["id"])


# --------------------------------------------------------------------------------------------
# The event stream
# --------------------------------------------------------------------------------------------


def batch_events(seed: int, index: int, contacts: int, now: datetime) -> list[tuple[Json, Json]]:
    """Batch ``index`` of the stream: (API input, the row it becomes) pairs."""
    rng = random.Random(seed * 1_000_003 + index)
    out = []
    for k in range(BATCH):
        # A skewed audience: a few contacts are very active, most show up now and then.
        contact = 1 + int(contacts * rng.random() ** 2.2)
        kind = pick(rng, C_TYPE)
        props: Json
        if kind == "page_view":
            path = pick(rng, C_PATH)
            props = {"path": path, "url": f"https://www.revline.example{path}"}
            if rng.random() < 0.3:
                props["utm_source"] = rng.choice(["google", "linkedin", "newsletter"])
            detail = path
        elif kind == "form_submitted":
            form = pick(rng, C_FORM)
            props = {"form_id": form, "fields": {"email": email_of(contact)}}
            detail = form
        elif kind in ("email_opened", "email_clicked"):
            props = {"email_id": f"campaign-{rng.randrange(40)}"}
            detail = props["email_id"]
        elif kind == "product_action":
            props = {"name": pick(rng, C_ACTION)}
            detail = props["name"]
        elif kind in ("signed_up", "subscription_activated", "subscription_cancelled"):
            props = {"plan": pick(rng, C_PLAN)}
            if kind == "subscription_activated":
                props["mrr"] = {"starter": 29, "pro": 149, "enterprise": 990}[props["plan"]]
            detail = props["plan"]
        else:
            props = {"meeting_type": "demo"}
            detail = "demo"
        occurred = now - timedelta(seconds=rng.randrange(WINDOW_DAYS * 86_400))
        who = rng.random()
        event: Json = {"type": kind, "occurredAt": occurred.isoformat(), "properties": props}
        contact_id: int | None = contact
        anonymous: str | None = None
        if who < 0.85:
            event["contact"] = {"id": str(contact)}
        elif who < 0.95:
            event["contact"] = {"email": email_of(contact)}
        else:
            anonymous = f"anon-{seed}-{index}-{k}"
            event["contact"] = {"anonymousId": anonymous}
            contact_id = None
        key = None
        if rng.random() < 0.1:
            key = f"bench-{seed}-{index}-{k}"
            event["idempotencyKey"] = key
        row = {
            "event_type": kind,
            "occurred_at": occurred,
            "received_at": now,
            "contact_id": contact_id,
            "anonymous_id": anonymous,
            "detail": detail,
            "properties": props,
            "idempotency_key": key,
            "source": "api",
        }
        out.append((event, row))
    return out


def encode_stream(seed: int, batches: int, contacts: int, now: datetime) -> list[bytes]:
    progress = Progress("encoding event batches", batches * BATCH)
    bodies = []
    for i in range(batches):
        events = [e for e, _ in batch_events(seed, i, contacts, now)]
        bodies.append(json.dumps({"inputs": events}).encode())
        progress.add(BATCH)
    progress.finish()
    return bodies


def ingest(base_urls: Sequence[str], token: str, bodies: list[bytes], threads: int) -> Json:
    lock = threading.Lock()
    queue = iter(enumerate(bodies))
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    stored = 0
    duplicates = 0
    failed = 0
    errors: list[str] = []
    failure: list[BaseException] = []
    progress = Progress("events batch ingest", len(bodies) * BATCH)

    def worker(n: int) -> None:
        nonlocal stored, duplicates, failed
        try:
            with api_client(base_urls[n % len(base_urls)], token) as client:
                while not failure:
                    with lock:
                        item = next(queue, None)
                    if item is None:
                        return
                    _, body = item
                    started = time.perf_counter()
                    resp = client.post("/revline/v1/events/batch", content=body)
                    elapsed = (time.perf_counter() - started) * 1000.0
                    payload = resp.json() if resp.status_code in (200, 207) else {}
                    results = payload.get("results", [])
                    dup = sum(1 for r in results if r.get("duplicate"))
                    with lock:
                        latencies.append(elapsed)
                        statuses[str(resp.status_code)] = statuses.get(str(resp.status_code), 0) + 1
                        stored += len(results) - dup
                        duplicates += dup
                        failed += BATCH - len(results)
                        if resp.status_code not in (200,) and len(errors) < 5:
                            errors.append(f"{resp.status_code}: {resp.text[:300]}")
                    progress.add(BATCH)
                    if failed > BATCH * 5:
                        raise RuntimeError(f"too many failed events; first errors: {errors}")
        except BaseException as exc:
            failure.append(exc)

    started = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    seconds = time.perf_counter() - started
    progress.finish()
    if failure:
        raise failure[0]
    return {
        "events_sent": len(bodies) * BATCH,
        "events_stored": stored,
        "duplicates": duplicates,
        "failed": failed,
        "seconds": round(seconds, 2),
        "events_per_s": round((stored + duplicates) / seconds, 1),
        "statuses": statuses,
        "call_latency_ms": summarize_ms(latencies),
        "errors": errors,
    }


def raw_insert(url: str, seed: int, batches: int, contacts: int, now: datetime) -> Json:
    """The same event rows through Core executemany into a fresh database; only the insert
    calls are timed (building the rows is not)."""
    db = Database(url)
    upgrade_database(db)
    db.dispose()
    engine = create_engine(url)
    events = table("events")
    timed = 0.0
    rows_done = 0
    progress = Progress("raw bulk insert", batches * BATCH)
    with engine.connect() as conn:
        for i in range(batches):
            rows = [row for _, row in batch_events(seed, i, contacts, now)]
            started = time.perf_counter()
            conn.execute(insert(events), rows)
            if i % 100 == 99 or i == batches - 1:
                conn.commit()
            timed += time.perf_counter() - started
            rows_done += len(rows)
            progress.add(len(rows))
    progress.finish()
    engine.dispose()
    return {
        "rows": rows_done,
        "seconds": round(timed, 2),
        "rows_per_s": round(rows_done / timed, 1),
    }


class EventTablesAnalyze(PeriodicAnalyze):
    """ANALYZE of the tables ingestion and segments fill, standing in for autovacuum on a
    server that has it off (these machines): tables filled from empty are otherwise never
    analyzed and keep plans made for empty tables."""

    TABLES = ("events", "event_daily_counts", "segment_members", "jobs", "anonymous_identities")


def autovacuum_is_on(url: str) -> bool:
    engine = create_engine(url)
    with engine.connect() as conn:
        on = conn.execute(text("SHOW autovacuum")).scalar_one() == "on"
    engine.dispose()
    return bool(on)


# --------------------------------------------------------------------------------------------
# Worker backlog and rebuilds
# --------------------------------------------------------------------------------------------


def pending_jobs(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        n = conn.execute(
            text("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
        ).scalar_one()
    engine.dispose()
    return int(n)


def wait_drained(url: str, limit_s: float) -> float | None:
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        if pending_jobs(url) == 0:
            return round(time.perf_counter() - started, 2)
        time.sleep(1.0)
    return None


def timed_call(client: httpx.Client, method: str, path: str, body: Json | None = None) -> Json:
    started = time.perf_counter()
    resp = client.request(method, path, json=body)
    seconds = time.perf_counter() - started
    if resp.status_code not in (200, 201):
        raise RuntimeError(f"{method} {path}: {resp.status_code} {resp.text[:500]}")
    return {"seconds": round(seconds, 2), "answer": resp.json()}


def run_engine(engine_name: str, url: str, raw_url: str, args: argparse.Namespace) -> Json:
    revline = Path(sys.executable).parent / "revline"
    workdir = Path(tempfile.mkdtemp(prefix="revline-bench-events-"))
    started = time.perf_counter()
    seed_workspace(url, args.contacts, args.companies, args.seed)
    facts: Json = {
        "contacts": args.contacts,
        "companies": args.companies,
        "seed_s": round(time.perf_counter() - started, 1),
    }
    print(f"  workspace seeded {json.dumps(facts)}", flush=True)
    token = run_cli(revline, ["tokens", "create", "--name", "bench"], url).strip().splitlines()[-1]
    servers = [Server(revline, url, workdir / f"server{n}.log") for n in range(args.servers)]
    worker: subprocess.Popen[bytes] | None = None
    result: Json = {"data": facts}
    try:
        with api_client(servers[0].base_url, token) as client:
            started = time.perf_counter()
            segment_ids = create_segments(client)
            result["segments"] = {
                "active": len(segment_ids),
                "create_all_s": round(time.perf_counter() - started, 2),
            }
        analyzer: EventTablesAnalyze | None = None
        if engine_name == "postgresql" and not autovacuum_is_on(url):
            analyzer = EventTablesAnalyze(url, 60.0)
            analyzer.run_once()
        if engine_name == "postgresql":
            log = (workdir / "worker.log").open("wb")
            worker = subprocess.Popen(
                [str(revline), "worker", "run", "--poll", "0.5", "--database-url", url],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        now = datetime.now(UTC)
        batches = args.events // BATCH
        bodies = encode_stream(args.seed, batches, args.contacts, now)
        meter = CpuMeter(servers[0].pid, engine_name)
        if analyzer is not None:
            analyzer.start()
        figures = ingest([s.base_url for s in servers], token.strip(), bodies, args.threads)
        figures.update(meter.finish(figures["events_stored"]))
        del bodies
        figures["jobs_pending_at_end"] = pending_jobs(url)
        figures["drain_s"] = wait_drained(url, args.drain_limit)
        if analyzer is not None:
            result["pg_analyze"] = analyzer.stop()
            analyzer.run_once(vacuum=True)
        result["ingest"] = figures
        print(f"  ingest {json.dumps(figures)}", flush=True)
        with api_client(servers[0].base_url, token) as client:
            pricing = segment_ids["Pricing twice in 30 days"]
            rebuild = timed_call(client, "POST", f"/revline/v1/segments/{pricing}/rebuild")
            size = client.get(f"/revline/v1/segments/{pricing}/count").json()
            created = timed_call(
                client,
                "POST",
                "/revline/v1/segments",
                {
                    "name": "New: pricing twice in 30 days, built from scratch",
                    "kind": "dynamic",
                    "conditions": PRICING_TWICE,
                },
            )
            result["rebuild"] = {
                "segment": "page_view path=/pricing at least twice in the last 30 days",
                "members": size,
                "rebuild_s": rebuild["seconds"],
                "rebuild_answer": rebuild["answer"],
                "initial_build_s": created["seconds"],
            }
            print(f"  rebuild {json.dumps(result['rebuild'])}", flush=True)
        result["server_memory_kib"] = [s.memory() for s in servers]
    finally:
        if worker is not None and worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)
        for s in servers:
            s.stop()
    raw = raw_insert(raw_url, args.seed, args.events // BATCH, args.contacts, datetime.now(UTC))
    result["raw_insert"] = raw
    result["ingest_to_raw_ratio"] = round(result["ingest"]["events_per_s"] / raw["rows_per_s"], 3)
    print(f"  raw {json.dumps(raw)} ratio {result['ingest_to_raw_ratio']}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--sqlite-events", type=int, default=None, help="events on SQLite")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--drain-limit", type=float, default=1800.0)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "REVLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--out", type=Path, default=Path("bench/results/events.json"))
    args = parser.parse_args()
    report: Json = {
        "benchmark": "event ingestion with 20 active segments; segment rebuild",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": args.seed,
        "machine": {
            "cpu_cores": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "engines": {},
    }
    for engine_name in args.engines.split(","):
        print(f"== {engine_name}", flush=True)
        run_args = argparse.Namespace(**vars(args))
        if engine_name == "sqlite":
            run_args.servers = 1
            if args.sqlite_events is not None:
                run_args.events = args.sqlite_events
            tmp = Path(tempfile.mkdtemp(prefix="revline-bench-events-db-"))
            url, raw_url = f"sqlite:///{tmp / 'events.db'}", f"sqlite:///{tmp / 'raw.db'}"
            report["engines"][engine_name] = {
                "events": run_args.events,
                **run_engine(engine_name, url, raw_url, run_args),
            }
            if not args.keep:
                for f in tmp.iterdir():
                    f.unlink()
                tmp.rmdir()
        else:
            run_args.servers = 2
            url, drop = pg_scratch(args.pg_url, "revline_bench_events")
            raw_url, drop_raw = pg_scratch(args.pg_url, "revline_bench_events_raw")
            try:
                report["engines"][engine_name] = {
                    "events": run_args.events,
                    **run_engine(engine_name, url, raw_url, run_args),
                }
            finally:
                if args.keep:
                    print(f"  kept {url} and {raw_url}", flush=True)
                else:
                    drop()
                    drop_raw()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}", flush=True)


if __name__ == "__main__":
    main()
