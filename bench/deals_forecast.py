"""Benchmark the deal-side read queries: forecast, pipeline health and stuck deals.

A reproducible sales history (by default 200,000 deals and about 1,000,000 stage transitions
from ``random.Random(seed)``) is written into a freshly migrated database: 40 owners in 5
teams, 3 pipelines, deals created over three years before a fixed reference day, each walking
its pipeline stage by stage (with the odd skip and step back) to a won, lost or still open
end, amounts log-normal in three currencies, monthly quotas per owner. Every column the
forecast and health queries read is filled as Revline's write rules would fill it (stage
probability, closed flags, forecast category, weighted and home-currency amounts, date
entered current stage); the rows go in with SQLAlchemy Core, because loading is not what is
measured here (the CRM benchmark measures writes through the API).

Then ``revline serve`` runs against the database and each query is called over HTTP
(warm-up calls first, then timed calls), reporting p50 / p95 / p99 in ms. On PostgreSQL the
tables are VACUUM ANALYZEd after the load, as autovacuum would.

    .venv/bin/python bench/deals_forecast.py                 # 200,000 deals, SQLite + PostgreSQL
    .venv/bin/python bench/deals_forecast.py --deals 20000   # smoke run
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import Connection

sys.path.insert(0, str(Path(__file__).resolve().parent))

from crm_scale import Server, api_client, percentile, run_cli
from duplicates import pg_scratch
from revline.crm.deals.history import whole_seconds
from revline.kit.db import Base, Database
from revline.setup import upgrade_database

Json = dict[str, Any]
TODAY = date(2026, 11, 16)  # the reference day: mid Q4 2026
NOW = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
HISTORY_DAYS = 3 * 365
CENT = Decimal("0.01")
RATES = {"USD": Decimal(1), "EUR": Decimal("0.92"), "GBP": Decimal("0.79")}


@dataclass(frozen=True)
class StageDef:
    id: str
    probability: Decimal
    closed: bool
    category: str


def _stages(prefix: str, open_probs: Sequence[str]) -> list[StageDef]:
    out = []
    for i, p in enumerate(open_probs):
        prob = Decimal(p)
        cat = (
            "COMMIT"
            if prob >= Decimal("0.9")
            else "BEST_CASE"
            if prob >= Decimal("0.6")
            else "PIPELINE"
        )
        out.append(StageDef(f"{prefix}{i}", prob, False, cat))
    out.append(StageDef(f"{prefix}won", Decimal(1), True, "CLOSED"))
    out.append(StageDef(f"{prefix}lost", Decimal(0), True, "OMIT"))
    return out


DEFAULT = [
    StageDef("appointmentscheduled", Decimal("0.2"), False, "PIPELINE"),
    StageDef("qualifiedtobuy", Decimal("0.4"), False, "PIPELINE"),
    StageDef("presentationscheduled", Decimal("0.6"), False, "BEST_CASE"),
    StageDef("decisionmakerboughtin", Decimal("0.8"), False, "BEST_CASE"),
    StageDef("contractsent", Decimal("0.9"), False, "COMMIT"),
    StageDef("closedwon", Decimal(1), True, "CLOSED"),
    StageDef("closedlost", Decimal(0), True, "OMIT"),
]
PIPELINES: dict[str, list[StageDef]] = {
    "default": DEFAULT,
    "benchrenewals": _stages("ren", ["0.5", "0.7", "0.9"]),
    "benchpartner": _stages("par", ["0.1", "0.3", "0.6", "0.8"]),
}
PIPELINE_SHARE = [("default", 0.7), ("benchrenewals", 0.15), ("benchpartner", 0.15)]


@dataclass
class Generated:
    deals: list[Json]
    transitions: list[Json]
    quotas: list[Json]
    owners: int


def _money(rng: random.Random) -> Decimal:
    return Decimal(str(round(math.exp(rng.gauss(9.3, 0.9)), 2)))


def generate(
    n_deals: int, seed: int, owner_ids: Sequence[int], team_of: dict[int, int]
) -> Generated:
    """The deals, transitions and quotas (column values), the same for every engine."""
    rng = random.Random(seed)
    start = NOW - timedelta(days=HISTORY_DAYS)
    deals: list[Json] = []
    transitions: list[Json] = []
    for deal_id in range(1, n_deals + 1):
        pipeline = rng.choices([p for p, _ in PIPELINE_SHARE], [w for _, w in PIPELINE_SHARE])[0]
        stages = PIPELINES[pipeline]
        opened = [s for s in stages if not s.closed]
        won, lost = stages[-2], stages[-1]
        # More recent deals are more often still open.
        created = start + timedelta(seconds=rng.random() ** 0.8 * HISTORY_DAYS * 86400)
        age_days = (NOW - created).days
        open_share = 0.9 if age_days < 60 else 0.45 if age_days < 180 else 0.08
        roll = rng.random()
        outcome = (
            "open"
            if roll < open_share
            else "won"
            if roll < open_share + (1 - open_share) * 0.42
            else "lost"
        )
        reach = len(opened) if outcome == "won" else rng.randint(1, len(opened))
        path = [s for s in opened[:reach]]
        if len(path) > 2 and rng.random() < 0.15:
            path.pop(rng.randint(1, len(path) - 2))  # a skipped stage
        for chance in (0.4, 0.2, 0.1):
            if len(path) > 2 and rng.random() < chance:
                k = rng.randint(1, len(path) - 1)
                path.insert(k + 1, path[k - 1])  # a step back, then on again
                path.insert(k + 2, path[k])
        if outcome == "won":
            path.append(won)
        elif outcome == "lost":
            path.append(lost)
        moments = [created]
        at = created
        for _ in path[1:]:
            at = at + timedelta(hours=rng.expovariate(1 / (24 * 9)) + 1)
            moments.append(at)
        if moments[-1] > NOW:
            # Squeeze the walk into the time the deal has had so far.
            span = (NOW - created).total_seconds() * 0.98
            step = span / max(len(path), 1)
            moments = [created + timedelta(seconds=step * i) for i in range(len(path))]
        previous: StageDef | None = None
        entered: datetime | None = None
        for stage, moment in zip(path, moments, strict=True):
            transitions.append(
                {
                    "deal_id": deal_id,
                    "from_pipeline": None if previous is None else pipeline,
                    "from_stage": None if previous is None else previous.id,
                    "to_pipeline": pipeline,
                    "to_stage": stage.id,
                    "changed_at": moment,
                    "stage_entered_at": entered,
                    "stay_seconds": None if entered is None else whole_seconds(moment - entered),
                    "source_type": "API",
                    "source_id": None,
                    "user_id": None,
                }
            )
            previous, entered = stage, moment
        final = path[-1]
        currency = rng.choices(list(RATES), [80, 12, 8])[0]
        amount = _money(rng)
        home = (amount / RATES[currency]).quantize(CENT, ROUND_HALF_UP)
        manual_prob = (
            Decimal(str(round(rng.uniform(0.1, 0.95), 2))) if rng.random() < 0.05 else None
        )
        prob = manual_prob if manual_prob is not None else final.probability
        closedate = moments[-1] if final.closed else NOW + timedelta(days=rng.randint(-20, 150))
        owner = (
            owner_ids[int(rng.paretovariate(1.3)) % len(owner_ids)] if rng.random() > 0.02 else None
        )
        deals.append(
            {
                "id": deal_id,
                "dealname": f"Deal {deal_id}",
                "amount": amount,
                "deal_currency_code": currency,
                "pipeline": pipeline,
                "dealstage": final.id,
                "closedate": closedate,
                "hubspot_owner_id": owner,
                "hs_deal_stage_probability": final.probability,
                "hs_forecast_probability": manual_prob,
                "hs_is_closed": final.closed,
                "hs_is_closed_won": final is won,
                "hs_is_closed_lost": final is lost,
                "hs_forecast_category": final.category,
                "hs_projected_amount": (amount * prob).quantize(CENT, ROUND_HALF_UP),
                "hs_projected_amount_in_home_currency": (home * prob).quantize(CENT, ROUND_HALF_UP),
                "amount_in_home_currency": home,
                "hs_v2_date_entered_current_stage": moments[-1],
                "custom": {},
                "created_at": created,
                "updated_at": moments[-1],
                "archived": False,
            }
        )
    quotas: list[Json] = []
    for owner in owner_ids:
        monthly = Decimal(rng.randrange(40, 160) * 1000)
        for month in range(1, 13):
            quotas.append(
                {
                    "subject_type": "owner",
                    "subject_id": owner,
                    "period_kind": "month",
                    "period_start": date(2026, month, 1),
                    "amount": monthly,
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
    return Generated(deals, transitions, quotas, len(owner_ids))


def chunks(rows: Sequence[Json], size: int) -> Iterator[Sequence[Json]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def table(name: str) -> Table:
    return Base.metadata.tables[name]


def seed_people(conn: Connection, owners: int, teams: int) -> tuple[list[int], dict[int, int]]:
    users, members = table("users"), table("team_members")
    team_ids = []
    for t in range(teams):
        team_ids.append(
            conn.execute(
                table("teams").insert().values(name=f"Bench team {t + 1}", created_at=NOW)
            ).inserted_primary_key[0]  # type: ignore[index]
        )
    owner_ids: list[int] = []
    team_of: dict[int, int] = {}
    for i in range(owners):
        uid = conn.execute(
            users.insert().values(
                email=f"rep{i + 1}@bench.example",
                first_name="Rep",
                last_name=str(i + 1),
                created_at=NOW,
                updated_at=NOW,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        owner_ids.append(int(uid))
        team = team_ids[i % teams]
        team_of[int(uid)] = int(team)
        conn.execute(members.insert().values(team_id=team, user_id=uid, is_primary=True))
    return owner_ids, team_of


def seed_pipelines(conn: Connection) -> None:
    stages = table("pipeline_stages")
    for order, (pid, defs) in enumerate(PIPELINES.items()):
        if pid == "default":
            continue
        conn.execute(
            table("pipelines")
            .insert()
            .values(
                id=pid,
                object_type="deals",
                label=pid.title(),
                display_order=order,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        for i, s in enumerate(defs):
            conn.execute(
                stages.insert().values(
                    id=s.id,
                    pipeline_id=pid,
                    label=s.id.title(),
                    display_order=i,
                    probability=s.probability,
                    is_closed=s.closed,
                    required_properties=[],
                    created_at=NOW,
                    updated_at=NOW,
                )
            )


def load(url: str, n_deals: int, seed: int) -> Json:
    db = Database(url)
    upgrade_database(db)
    started = time.perf_counter()
    with db.engine.begin() as conn:
        owner_ids, team_of = seed_people(conn, 40, 5)
        seed_pipelines(conn)
    data = generate(n_deals, seed, owner_ids, team_of)
    generated_s = time.perf_counter() - started
    with db.engine.begin() as conn:
        for part in chunks(data.deals, 5000):
            conn.execute(table("deals").insert(), list(part))
        for part in chunks(data.transitions, 20000):
            conn.execute(table("deal_stage_transitions").insert(), list(part))
        conn.execute(table("quotas").insert(), data.quotas)
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    loaded_s = time.perf_counter() - started - generated_s
    db.dispose()
    return {
        "deals": len(data.deals),
        "transitions": len(data.transitions),
        "owners": data.owners,
        "quotas": len(data.quotas),
        "generate_s": round(generated_s, 1),
        "load_s": round(loaded_s, 1),
    }


QUERIES: list[tuple[str, str, Json]] = [
    ("forecast_by_owner", "/revline/v1/forecast", {"period": "2026-Q4", "group_by": "owner"}),
    ("forecast_by_team", "/revline/v1/forecast", {"period": "2026-Q4", "group_by": "team"}),
    ("forecast_by_pipeline", "/revline/v1/forecast", {"period": "2026-Q4", "group_by": "pipeline"}),
    ("forecast_month_by_owner", "/revline/v1/forecast", {"period": "2026-11", "group_by": "owner"}),
    (
        "health_default_90d",
        "/revline/v1/pipelines/default/health",
        {"from": "2026-08-18", "to": "2026-11-16"},
    ),
    (
        "health_default_year",
        "/revline/v1/pipelines/default/health",
        {"from": "2025-11-17", "to": "2026-11-16"},
    ),
    (
        "health_default_owner",
        "/revline/v1/pipelines/default/health",
        {"from": "2026-08-18", "to": "2026-11-16", "owner": "OWNER"},
    ),
    ("stuck_deals_all", "/revline/v1/deals/stuck", {"limit": "100"}),
    (
        "stuck_deals_pipeline_owner",
        "/revline/v1/deals/stuck",
        {"pipeline": "default", "owner": "OWNER", "limit": "100"},
    ),
]


def measure(
    base_url: str, token: str, owner: int, runs: int, warmup: int, only: Sequence[str]
) -> Json:
    out: Json = {}
    with api_client(base_url, token) as client:
        for name, path, params in QUERIES:
            if only and not any(part in name for part in only):
                continue
            params = {k: (str(owner) if v == "OWNER" else v) for k, v in params.items()}
            cold_ms = None
            for _ in range(warmup):
                t0 = time.perf_counter()
                first = client.get(path, params=params)
                if cold_ms is None:
                    # The first call of a query: what a caller meets before any cache is warm.
                    cold_ms = (time.perf_counter() - t0) * 1000
                if first.status_code != 200:
                    raise RuntimeError(f"{name}: {first.status_code} {first.text[:300]}")
            samples = []
            for _ in range(runs):
                t0 = time.perf_counter()
                resp = client.get(path, params=params)
                samples.append((time.perf_counter() - t0) * 1000)
                if resp.status_code != 200:
                    raise RuntimeError(f"{name}: {resp.status_code} {resp.text[:300]}")
            out[name] = {
                "runs": runs,
                "p50_ms": round(percentile(samples, 0.50), 1),
                "p95_ms": round(percentile(samples, 0.95), 1),
                "p99_ms": round(percentile(samples, 0.99), 1),
                "max_ms": round(max(samples), 1),
                "first_ms": None if cold_ms is None else round(cold_ms, 1),
            }
            print(f"  {name}: {json.dumps(out[name])}", flush=True)
    return out


def run_engine(url: str, args: argparse.Namespace, revline: Path, workdir: Path) -> Json:
    if args.reuse and url == args.reuse:
        db = Database(url)
        upgrade_database(db)  # a kept database gets the migrations added since it was loaded
        db.dispose()
        facts: Json = {"reused": True}
    else:
        facts = load(url, args.deals, args.seed)
    print(f"  loaded {json.dumps(facts)}", flush=True)
    token = run_cli(revline, ["tokens", "create", "--name", "bench"], url).strip().splitlines()[-1]
    owner = _busiest_owner(url)
    server = Server(revline, url, workdir / "server.log")
    try:
        timings = measure(server.base_url, token.strip(), owner, args.runs, args.warmup, args.only)
        memory = server.memory()
    finally:
        server.stop()
    return {"data": facts, "queries": timings, "server_memory_kib": memory}


def _busiest_owner(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT hubspot_owner_id FROM deals WHERE hubspot_owner_id IS NOT NULL "
                "GROUP BY hubspot_owner_id ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    return int(row[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument(
        "--only", nargs="*", default=[], help="measure only queries whose name holds one of these"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get(
            "REVLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL database (its URL is printed)"
    )
    parser.add_argument(
        "--reuse", default=None, help="measure this already loaded PostgreSQL database (URL)"
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/deals_forecast.json"))
    args = parser.parse_args()
    revline = Path(sys.executable).parent / "revline"
    report: Json = {
        "benchmark": "deal forecast, pipeline health and stuck deals",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "reference_day": TODAY.isoformat(),
        "seed": args.seed,
        "machine": {
            "cpu_cores": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "results": {},
    }
    started = time.perf_counter()
    for engine in args.engines.split(","):
        print(f"[{engine}]", flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            if engine == "sqlite":
                report["results"][engine] = run_engine(
                    f"sqlite:///{work / 'deals.db'}", args, revline, work
                )
            elif args.reuse:
                report["results"][engine] = run_engine(args.reuse, args, revline, work)
            else:
                url, drop = pg_scratch(args.pg_url, prefix="revline_bench_deals")
                try:
                    report["results"][engine] = run_engine(url, args, revline, work)
                finally:
                    if args.keep:
                        print(f"  kept {url}", flush=True)
                    else:
                        drop()
    report["total_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
