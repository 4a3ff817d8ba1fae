"""Benchmark lead-score recomputes at scale.

A reproducible workspace (by default 1,000,000 contacts, 100,000 companies with a primary
company for 60 % of the contacts, and 10,000,000 tracked events over the last 90 days, the
same stream as ``bench/events.py``) is written straight into a freshly migrated database
(PostgreSQL: COPY; SQLite: executemany), with the per-contact daily counts ingestion keeps
derived from the raw rows. Loading is not what is measured here (``bench/events.py``
measures ingestion).

A 20-rule model (contact and company properties, behaviour from daily counts and from raw
events, windows, linear decay, rule and group caps, labels and an MQL threshold) is then
saved as a draft, and timed:

* **full recompute**: activating the model scores every contact (measure, count, write the
  scores, history rows and lifecycle moves), committed;
* **second recompute**: the same again right after (measure and compare; only the contacts
  whose threshold move changed what a rule reads are written);
* **incremental**: the ``scoring.recompute`` job for 1,000 contacts that just had events.

Results go to ``bench/results/scoring.json``.

    .venv/bin/python bench/scoring.py                                        # full size
    .venv/bin/python bench/scoring.py --contacts 20000 --companies 2000 --events 200000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crm_scale import Progress, pg_conninfo
from duplicates import pg_scratch
from events import BATCH, batch_events, seed_workspace, table
from revline.kit.db import Database
from revline.scoring import service

Json = dict[str, Any]
COLUMNS = (
    "event_type",
    "occurred_at",
    "received_at",
    "contact_id",
    "detail",
    "properties",
    "source",
)


def _pricing(**extra: Any) -> Json:
    return {
        "event": "page_view",
        "where": [{"property": "path", "operator": "EQ", "value": "/pricing"}],
        **extra,
    }


MODEL: Json = {
    "name": "bench",
    "label": "Benchmark",
    "active": False,
    "maxScore": 150,
    "groups": [
        {
            "name": "Fit",
            "maxPoints": 50,
            "rules": [
                {
                    "property": "country",
                    "operator": "IN",
                    "values": ["US", "GB", "DE", "CA"],
                    "points": 10,
                },
                {
                    "property": "lifecyclestage",
                    "operator": "EQ",
                    "value": "subscriber",
                    "points": -5,
                },
                {
                    "property": "email",
                    "operator": "CONTAINS_TOKEN",
                    "value": "*bench1.example",
                    "points": -10,
                },
                {
                    "companyProperty": "industry",
                    "operator": "IN",
                    "values": ["COMPUTER_SOFTWARE", "FINANCIAL_SERVICES"],
                    "points": 15,
                },
                {
                    "companyProperty": "numberofemployees",
                    "operator": "BETWEEN",
                    "value": 50,
                    "highValue": 1000,
                    "points": 10,
                },
                {
                    "companyProperty": "numberofemployees",
                    "operator": "LT",
                    "value": 10,
                    "points": -10,
                },
            ],
        },
        {
            "name": "Engagement",
            "maxPoints": 100,
            "rules": [
                {**_pricing(inLastDays=30), "points": 5, "maxPoints": 20},
                {
                    "event": "form_submitted",
                    "where": [{"property": "form_id", "operator": "EQ", "value": "demo"}],
                    "points": 25,
                    "maxPoints": 50,
                },
                {
                    "event": "form_submitted",
                    "where": [
                        {"property": "form_id", "operator": "IN", "values": ["ebook", "newsletter"]}
                    ],
                    "points": 2,
                    "maxPoints": 10,
                    "decayDays": 60,
                },
                {"event": "email_opened", "points": 1, "maxPoints": 10, "decayDays": 30},
                {"event": "email_clicked", "points": 3, "maxPoints": 15, "inLastDays": 30},
                {"event": "page_view", "points": 0.5, "maxPoints": 15, "decayDays": 14},
                {
                    "event": "page_view",
                    "where": [
                        {
                            "property": "path",
                            "operator": "IN",
                            "values": ["/demo", "/security", "/integrations"],
                        }
                    ],
                    "points": 3,
                    "maxPoints": 12,
                    "inLastDays": 60,
                },
                {
                    "event": "page_view",
                    "where": [{"property": "utm_source", "operator": "EQ", "value": "linkedin"}],
                    "points": 2,
                    "maxPoints": 6,
                },
                {
                    "event": "product_action",
                    "where": [{"property": "name", "operator": "EQ", "value": "invited_user"}],
                    "points": 8,
                    "maxPoints": 24,
                },
                {"event": "product_action", "points": 1, "maxPoints": 10, "decayDays": 30},
                {"event": "signed_up", "points": 15, "maxPoints": 15},
                {"event": "meeting_booked", "points": 20, "maxPoints": 20, "inLastDays": 60},
                {"event": "subscription_activated", "points": 30, "maxPoints": 30},
                {"event": "subscription_cancelled", "points": -20, "maxPoints": 20},
            ],
        },
    ],
    "thresholds": [{"minScore": 60, "lifecycleStage": "marketingqualifiedlead"}],
    "labels": [
        {"label": "A", "minScore": 60},
        {"label": "B", "minScore": 25},
        {"label": "C", "minScore": 0},
    ],
}


def load_events(url: str, seed: int, events: int, contacts: int, now: datetime) -> Json:
    """The event stream's rows (known contacts only) and the daily counts derived from them."""
    started = time.perf_counter()
    engine = create_engine(url)
    batches = events // BATCH
    progress = Progress("loading events", batches * BATCH)
    stored = 0
    if engine.dialect.name == "postgresql":
        with psycopg.connect(pg_conninfo(url)) as conn, conn.cursor() as cur:
            copy_sql = f"COPY events ({', '.join(COLUMNS)}) FROM STDIN"
            with cur.copy(copy_sql) as copy:
                for i in range(batches):
                    for _, row in batch_events(seed, i, contacts, now):
                        if row["contact_id"] is None:
                            continue
                        row["properties"] = json.dumps(row["properties"])
                        copy.write_row([row[c] for c in COLUMNS])
                        stored += 1
                    progress.add(BATCH)
            conn.commit()
    else:
        with engine.begin() as conn:
            for i in range(batches):
                rows = [r for _, r in batch_events(seed, i, contacts, now) if r["contact_id"]]
                for r in rows:
                    r.pop("anonymous_id", None)
                    r.pop("idempotency_key", None)
                conn.execute(insert(table("events")), rows)
                stored += len(rows)
                progress.add(BATCH)
    progress.finish()
    day = (
        "CAST(timezone('UTC', occurred_at) AS date)"
        if engine.dialect.name == "postgresql"
        else "date(occurred_at)"
    )
    with engine.begin() as conn:
        # ``day`` is one of the two fixed expressions above.
        derive = (
            "INSERT INTO event_daily_counts (contact_id, event_type, detail, day, count) "
            "SELECT contact_id, event_type, coalesce(detail, ''), {day}, count(*) FROM events "
            "GROUP BY contact_id, event_type, coalesce(detail, ''), {day}"
        )
        conn.execute(text(derive.format(day=day)))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"events_stored": stored, "load_s": round(time.perf_counter() - started, 1)}


def timed(db: Database, work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    with db.unit_of_work() as session:
        result = work(session)
    return round(time.perf_counter() - started, 2), result


def run_engine(url: str, args: argparse.Namespace) -> Json:
    now = datetime.now(UTC)
    started = time.perf_counter()
    seed_workspace(url, args.contacts, args.companies, args.seed)
    data: Json = {
        "contacts": args.contacts,
        "companies": args.companies,
        "seed_s": round(time.perf_counter() - started, 1),
    }
    data.update(load_events(url, args.seed, args.events, args.contacts, now))
    print(f"  data {json.dumps(data)}", flush=True)
    db = Database(url)
    result: Json = {"data": data}
    try:
        with db.unit_of_work() as session:
            view = service.create_model(session, MODEL)
            rules = len(view.definition.rules)
        seconds, full = timed(db, lambda s: service.update_model(s, "bench", {"active": True}))
        result["full_recompute"] = {
            "rules": rules,
            "seconds": seconds,
            "scored": full.recompute.scored,
            "changed": full.recompute.changed,
            "moved_to_mql": full.recompute.moved,
            "contacts_per_s": round(full.recompute.scored / seconds),
        }
        print(f"  full {json.dumps(result['full_recompute'])}", flush=True)
        seconds, again = timed(
            db, lambda s: service.recompute(s, service.access_model(s, "bench"), cause="bench")
        )
        # Changes only for contacts whose lifecycle move changed what a rule reads.
        result["second_recompute"] = {"seconds": seconds, "changed": again.changed}
        print(f"  second {json.dumps(result['second_recompute'])}", flush=True)
        ids = list(range(1, args.contacts + 1, max(1, args.contacts // 1000)))[:1000]
        payload = {
            "object_type": "contacts",
            "ids": ids,
            "events": ["form_submitted"],
            "properties": [],
            "associations": False,
        }
        seconds, results = timed(db, lambda s: service.apply_changes(s, payload))
        result["incremental_1000_contacts"] = {
            "seconds": seconds,
            "scored": sum(r.scored for r in results),
        }
        print(f"  incremental {json.dumps(result['incremental_1000_contacts'])}", flush=True)
    finally:
        db.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engines", default="postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "REVLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--out", type=Path, default=Path("bench/results/scoring.json"))
    args = parser.parse_args()
    report: Json = {
        "benchmark": "full and incremental lead-score recomputes (20 rules)",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "seed": args.seed,
        "machine": {
            "cpu_cores": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "model": MODEL,
        "engines": {},
    }
    for engine_name in args.engines.split(","):
        print(f"== {engine_name}", flush=True)
        if engine_name == "sqlite":
            tmp = Path(tempfile.mkdtemp(prefix="revline-bench-scoring-"))
            report["engines"][engine_name] = run_engine(f"sqlite:///{tmp / 'scoring.db'}", args)
            if not args.keep:
                (tmp / "scoring.db").unlink()
        else:
            url, drop = pg_scratch(args.pg_url, prefix="revline_bench_scoring")
            try:
                report["engines"][engine_name] = run_engine(url, args)
            finally:
                if not args.keep:
                    drop()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report["engines"].items()}, indent=2))


if __name__ == "__main__":
    main()
