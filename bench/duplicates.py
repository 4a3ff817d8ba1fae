"""Benchmark the duplicate scan: time, precision and recall on planted duplicates.

A reproducible population of contacts (by default 1,000,000 from ``random.Random(seed)``) is
written into a freshly migrated database, with 2 % of them planted duplicates of another
contact, each made the way duplicates arise in a CRM:

* ``mailbox``: the same mailbox at a provider that ignores dots (Gmail) or +tags (Gmail,
  Outlook, iCloud, Yahoo) written another way;
* ``colleague_typo``: the same person at the same company under another address, with a typo
  in the name;
* ``phone_and_name``: the same person and phone number (formatted differently) at the same
  company under another address.

The rows are inserted with SQLAlchemy Core (loading is not what is measured here) with their
matching keys computed by Revline's own ``revline.crm.matching.contact_keys``, exactly what the
API stores. Then ``revline.crm.duplicates.service.scan`` runs at its default threshold, and
every pair of records in one reported cluster counts as a predicted duplicate pair:
precision = predicted pairs that were planted / predicted pairs, recall = planted pairs
predicted / planted pairs. The base population never holds two records of one person (names
are unique per company and phones unique), so every pair the scan finds beyond the planted
ones is a false positive.

    .venv/bin/python bench/duplicates.py                   # 1,000,000 contacts, SQLite + PostgreSQL
    .venv/bin/python bench/duplicates.py --contacts 20000  # smoke run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, insert
from sqlalchemy.engine import make_url

from revline.crm import matching
from revline.crm.duplicates import service as duplicates
from revline.crm.object_types import CONTACTS
from revline.kit.db import Base, Database
from revline.setup import upgrade_database

_FIRST_TEXT = (
    "ada alan barbara carlos dana elena farid grace hiro ines jamal kira lena marco nadia "
    "omar priya quentin rosa sven tariq uma victor wen xavier yara zoe anders bianca chidi "
    "delphine emeka fatima goran hana ivan julia kofi lucia mateo noor olga pavel rania sami "
    "tomas ursula valeria wojciech ximena yusuf zeynep"
)
FIRST = tuple(_FIRST_TEXT.split())
_LAST_TEXT = (
    "smith garcia mueller rossi nguyen kowalski okafor tanaka silva dubois novak hansen "
    "andersen ivanova kim park chen wang patel shah khan ali haddad cohen levi murphy kelly "
    "obrien walsh byrne dijkstra jansen bakker visser peeters janssens lambert moreau fournier "
    "girard bonnet dupont leroy roux fischer weber schneider becker hoffmann schulz koch "
    "richter klein wolf neumann schwarz zimmermann braun kruger hofmann hartmann lange werner "
    "krause lehmann schmid schulze maier kohler herrmann konig walter mayer huber kaiser fuchs "
    "peters lang scholz moller weiss jung hahn schubert vogel friedrich keller gunther frank "
    "berger winkler roth beck lorenz baumann franke albrecht schuster simon ludwig bohm winter "
    "kraus martin schumacher kramer vogt stein jager otto sommer gross seidel heinrich "
    "brandt"
)
LAST = tuple(_LAST_TEXT.split())
_WORDS_TEXT = (
    "acme globex initech umbrella stark wayne wonka tyrell cyberdyne soylent hooli vandelay "
    "pied piper dunder mifflin oscorp aperture black mesa monarch nakatomi gringotts"
)
WORDS = tuple(_WORDS_TEXT.split())
FREE = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com")
KINDS = ("mailbox", "colleague_typo", "phone_and_name")


def company(rng: random.Random, n: int) -> tuple[str, str]:
    name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()} {n}"
    return name, f"{name.lower().replace(' ', '-')}.example"


def typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + word[i + 1 :] if rng.random() < 0.5 else word[:i] + word[i] + word[i:]


def generate(contacts: int, share: float, seed: int) -> tuple[list[dict[str, Any]], list[Any]]:
    """Rows (without ids; id = position + 1) and the planted pairs (original, duplicate)."""
    rng = random.Random(seed)
    n_dups = int(contacts * share)
    n_base = contacts - n_dups
    companies = [company(rng, n) for n in range(max(1, n_base // 10))]
    rows: list[dict[str, Any]] = []
    taken: set[tuple[str, str, str]] = set()
    for i in range(n_base):
        name, domain = companies[rng.randrange(len(companies))]
        while True:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            if (first, last, domain) not in taken:
                taken.add((first, last, domain))
                break
        if rng.random() < 0.25:
            email = f"{first}.{last}{i}@{rng.choice(FREE)}"
        else:
            email = f"{first}.{last}{i}@{domain}"
        phone = f"+1 {200 + i // 10_000_000:03d} {i // 10_000 % 1000:03d} {i % 10_000:04d}"
        rows.append(
            {
                "email": email,
                "firstname": first.title(),
                "lastname": last.title(),
                "phone": phone if rng.random() < 0.7 else None,
                "company": name,
            }
        )
    planted: list[tuple[int, int, str]] = []
    for k in range(n_dups):
        original = rng.randrange(n_base)
        src = rows[original]
        kind = KINDS[k % len(KINDS)]
        local, domain = src["email"].split("@")
        dup = dict(src)
        if kind == "mailbox":
            if domain == "gmail.com":
                dup["email"] = f"{local.replace('.', '')}+{rng.randrange(99)}@googlemail.com"
            elif domain in ("outlook.com", "icloud.com", "yahoo.com"):
                dup["email"] = f"{local}+crm{k}@{domain}"
            else:
                kind = "colleague_typo"
        if kind == "colleague_typo":
            dup["email"] = f"{src['firstname'][0].lower()}{k}x@{_company_domain(src)}"
            dup["lastname"] = typo(rng, src["lastname"]).title()
            dup["phone"] = None
        elif kind == "phone_and_name":
            if src["phone"] is None:
                src["phone"] = f"+1 999 {k // 10_000:03d} {k % 10_000:04d}"
            digits = "".join(ch for ch in src["phone"] if ch.isdigit())[-10:]
            dup["phone"] = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
            dup["email"] = f"{src['firstname'].lower()}.{k}@{_company_domain(src)}"
        rows.append(dup)
        planted.append((original + 1, n_base + k + 1, kind))
    return rows, planted


def _company_domain(row: dict[str, Any]) -> str:
    return f"{row['company'].lower().replace(' ', '-')}.example"


def load(db: Database, rows: list[dict[str, Any]], chunk: int = 10_000) -> float:
    table = Table("contacts", Base.metadata)
    at = datetime.now(UTC)
    started = time.perf_counter()
    for begin in range(0, len(rows), chunk):
        part = []
        for n, r in enumerate(rows[begin : begin + chunk]):
            part.append(
                {
                    "id": begin + n + 1,
                    **r,
                    **matching.contact_keys(r["email"].lower(), r["phone"], None, r["company"]),
                    "email": r["email"].lower(),
                    "created_at": at,
                    "updated_at": at,
                    "archived": False,
                    "custom": {},
                }
            )
        with db.engine.begin() as conn:
            conn.execute(insert(table), part)
    return time.perf_counter() - started


def measure(url: str, rows: list[dict[str, Any]], planted: list[Any]) -> dict[str, Any]:
    db = Database(url)
    try:
        upgrade_database(db)
        load_s = load(db, rows)
        if db.dialect == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE contacts")
        started = time.perf_counter()
        with db.unit_of_work() as session:
            result = duplicates.scan(session, CONTACTS)
        scan_s = time.perf_counter() - started
    finally:
        db.dispose()
    predicted = {
        (a, b) for c in result.clusters for i, a in enumerate(c.ids) for b in c.ids[i + 1 :]
    }
    truth = {(min(a, b), max(a, b)) for a, b, _ in planted}
    # Two duplicates of one original are duplicates of each other too.
    by_original: dict[int, list[int]] = {}
    for a, b, _ in planted:
        by_original.setdefault(a, []).append(b)
    for dups in by_original.values():
        truth |= {(min(x, y), max(x, y)) for i, x in enumerate(dups) for y in dups[i + 1 :]}
    hits = predicted & truth
    found_by_kind = Counter(k for a, b, k in planted if (min(a, b), max(a, b)) in predicted)
    all_by_kind = Counter(k for _, _, k in planted)
    return {
        "load_s": round(load_s, 1),
        "scan_s": round(scan_s, 1),
        "pairs_compared": result.pairs_compared,
        "clusters": len(result.clusters),
        "predicted_pairs": len(predicted),
        "planted_pairs": len(truth),
        "precision": round(len(hits) / len(predicted), 4) if predicted else None,
        "recall": round(len(hits) / len(truth), 4) if truth else None,
        "recall_by_kind": {
            k: round(found_by_kind[k] / all_by_kind[k], 4) for k in sorted(all_by_kind)
        },
    }


def pg_scratch(admin_url: str, prefix: str = "revline_bench_dups") -> tuple[str, Any]:
    """A new PostgreSQL database for one run: its URL, and a function that drops it."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--share", type=float, default=0.02, help="planted duplicates")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "REVLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/duplicates.json"))
    args = parser.parse_args()

    started = time.perf_counter()
    rows, planted = generate(args.contacts, args.share, args.seed)
    print(f"generated {len(rows):,} contacts with {len(planted):,} planted duplicates", flush=True)
    report: dict[str, Any] = {
        "benchmark": "duplicate scan",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "contacts": len(rows),
        "planted_duplicates": len(planted),
        "seed": args.seed,
        "threshold": duplicates.LIKELY,
        "machine": {
            "cpu_cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "results": {},
    }
    for engine in args.engines.split(","):
        if engine == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                out = measure(f"sqlite:///{tmp}/dups.db", rows, planted)
        else:
            url, drop = pg_scratch(args.pg_url)
            try:
                out = measure(url, rows, planted)
            finally:
                drop()
        report["results"][engine] = out
        print(f"[{engine}] {json.dumps(out)}", flush=True)
    report["total_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
