"""Benchmark segment membership at scale on PostgreSQL: full builds, rebuilds and one
incremental re-evaluation over a million contacts.

A freshly migrated scratch database gets ``--contacts`` live contacts (a third with
``country`` US) and per-day event counts written set-based with ``generate_series`` (the
data is the same on every run): half the contacts viewed pages over the last 60 days
(``/pricing`` for every third of them), a fifth submitted the demo form over the last 90
days. Then, through the segments service as the API calls it, each segment below is created
(membership built from nothing), rebuilt as of five days later (contacts drift out of the
windows) and re-evaluated for 100 contacts as the ``segments.reevaluate`` job does. Times are
wall-clock seconds per unit of work; results go to ``bench/results/segments.json``.

    .venv/bin/python bench/segments.py                      # 1,000,000 contacts
    .venv/bin/python bench/segments.py --contacts 50000     # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))

from duplicates import pg_scratch
from revline.kit.db import Database
from revline.kit.time import utcnow
from revline.segments import service
from revline.setup import upgrade_database

SEGMENTS: dict[str, dict[str, Any]] = {
    "pricing twice in 30 days": {
        "event": "page_view",
        "where": [{"property": "path", "operator": "EQ", "value": "/pricing"}],
        "atLeast": 2,
        "inLastDays": 30,
    },
    "demo form, quiet for 14 days": {
        "and": [
            {
                "event": "form_submitted",
                "where": [{"property": "form_id", "operator": "EQ", "value": "demo"}],
            },
            {"event": "page_view", "notInLastDays": 14},
        ]
    },
    "US and visited in 7 days": {
        "and": [
            {"property": "country", "operator": "EQ", "value": "US"},
            {"event": "page_view", "inLastDays": 7},
        ]
    },
}


def load(db: Database, contacts: int) -> float:
    started = time.perf_counter()
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO contacts (id, created_at, updated_at, archived, custom, country) "
                "SELECT g, now(), now(), false, '{}', CASE WHEN g % 3 = 0 THEN 'US' END "
                "FROM generate_series(1, :n) g"
            ),
            {"n": contacts},
        )
        conn.execute(
            text(
                "INSERT INTO event_daily_counts (contact_id, event_type, detail, day, count) "
                "SELECT g, 'page_view', CASE WHEN g % 3 = 0 THEN '/pricing' ELSE '/docs' END, "
                "current_date - (g % 60), 1 + g % 4 FROM generate_series(1, :n) g WHERE g % 2 = 0"
            ),
            {"n": contacts},
        )
        conn.execute(
            text(
                "INSERT INTO event_daily_counts (contact_id, event_type, detail, day, count) "
                "SELECT g, 'form_submitted', 'demo', current_date - (g % 90), 1 "
                "FROM generate_series(1, :n) g WHERE g % 5 = 0"
            ),
            {"n": contacts},
        )
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - started


def timed(db: Database, work: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    with db.unit_of_work() as session:
        result = work(session)
    return time.perf_counter() - started, result


def run(url: str, contacts: int) -> dict[str, Any]:
    db = Database(url)
    upgrade_database(db)
    out: dict[str, Any] = {"contacts": contacts, "load_seconds": round(load(db, contacts), 1)}
    later = utcnow().date() + timedelta(days=5)
    sample = list(range(1, contacts + 1, max(1, contacts // 100)))[:100]
    results = []
    for name, conditions in SEGMENTS.items():
        took, (view, diff) = timed(
            db, lambda s, n=name, c=conditions: service.create_segment(s, n, "dynamic", c)
        )
        segment_id = view.segment.id
        rebuilt, diffs = timed(db, lambda s, i=segment_id: service.rebuild(s, i, today=later))
        payload = {"object_type": "contacts", "ids": sample, "events": ["page_view"]}
        incremental, _ = timed(db, lambda s, p=payload: service.reevaluate(s, p))
        results.append(
            {
                "segment": name,
                "members": diff.entered,
                "create_seconds": round(took, 2),
                "rebuild_seconds": round(rebuilt, 2),
                "rebuild_entered": diffs[0].entered,
                "rebuild_exited": diffs[0].exited,
                "reevaluate_100_contacts_seconds": round(incremental, 3),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    out["segments"] = results
    db.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "REVLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--out", default=str(Path(__file__).parent / "results" / "segments.json"))
    args = parser.parse_args()
    url, drop = pg_scratch(args.pg_url, prefix="revline_bench_segments")
    try:
        result = run(url, args.contacts)
    finally:
        drop()
    result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    Path(args.out).write_text(json.dumps({"postgresql": result}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
