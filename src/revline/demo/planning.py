"""The demo planned in memory: one random.Random(seed), every timestamp derived from the
reference day, a consistent story across owners, companies, contacts, deals and activities."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from revline.crm.object_types import (
    CALLS,
    EMAILS,
    MEETINGS,
    NOTES,
    TASKS,
    ObjectType,
)
from revline.crm.pipelines.service import DEFAULT_STAGES
from revline.crm.records.context import WriteSource
from revline.demo.words import (
    _CALL_NOTES,
    _CALL_OUTCOMES,
    _CALL_TITLES,
    _DISPOSITION,
    _EMAIL_IN,
    _EMAIL_OUT,
    _EXPANSIONS,
    _FIRST,
    _FREE_MAIL,
    _INDUSTRIES,
    _LAST,
    _LONE_STAGES,
    _LOSS_REASONS,
    _MARKETING_SOURCES,
    _MEETING_TITLES,
    _NAME_STEMS,
    _NEW_PRODUCTS,
    _NO_DEAL_STAGES,
    _PLACE_CHOICES,
    _SALES_SOURCES,
    _SOURCES,
    _STATUSES,
    _TASKS,
    _TEAM_OWNERS,
    _TIER_PULL,
    _TIERS,
    _TITLES,
    _WORKED_LEADS,
    Place,
)
from revline.kit.time import iso_ms

Progress = Callable[[str, int, int], None]
T = TypeVar("T")

# Why sales disqualified someone (revline_disqualification_reason), weighted.
_REASONS = [
    ("no_need", 30),
    ("no_budget", 25),
    ("no_authority", 15),
    ("not_a_fit", 20),
    ("other", 10),
]
DEMO_SOURCE = WriteSource("IMPORT", "demo")
OWNER_DOMAIN = "revline.example"  # reserved for examples (RFC 2606): never a real mailbox
HISTORY_DAYS = 540  # about eighteen months of history before the reference day

STAGE_IDS = [s[0] for s in DEFAULT_STAGES]
OPEN_STAGES = [s[0] for s in DEFAULT_STAGES if not s[3]]
WON, LOST = "closedwon", "closedlost"
LOST_REASONS = [
    ("PRICE", 30),
    ("COMPETITOR", 25),
    ("NO_DECISION", 20),
    ("TIMING", 10),
    ("BUDGET", 8),
    ("MISSING_FEATURE", 5),
    ("OTHER", 2),
]
FUNNEL = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
]
_STAGE_LABELS = [
    ("subscriber", "subscribers"),
    ("lead", "leads"),
    ("marketingqualifiedlead", "MQLs"),
    ("salesqualifiedlead", "SQLs"),
    ("opportunity", "opportunities"),
    ("customer", "customers"),
    ("evangelist", "evangelists"),
    ("other", "other"),
]


# --- the plan --------------------------------------------------------------------------


@dataclass
class Step:
    """Property changes that happen at one moment (the first step is the creation)."""

    at: datetime
    values: dict[str, str]


@dataclass(eq=False)
class OwnerPlan:
    first: str
    last: str
    role: str
    team: str
    id: int = 0

    @property
    def email(self) -> str:
        return f"{self.first}.{self.last}@{OWNER_DOMAIN}".lower()


@dataclass(eq=False)
class CompanyPlan:
    name: str
    short: str
    domain: str
    tier: str
    place: Place
    owner: OwnerPlan
    created: datetime
    props: dict[str, str]
    journey: str = "none"  # customer, opportunity, lost or none
    contacts: list[ContactPlan] = field(default_factory=list)
    deals: list[DealPlan] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    id: int = 0


@dataclass(eq=False)
class ContactPlan:
    first: str
    last: str
    email: str
    seniority: str
    source: str
    created: datetime
    owner: OwnerPlan | None
    company: CompanyPlan | None
    props: dict[str, str]
    deals: list[DealPlan] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    id: int = 0

    @property
    def stage(self) -> str:
        return next(
            s.values["lifecyclestage"]
            for s in reversed(self.steps)
            if s.values.get("lifecyclestage")
        )

    @property
    def lead_status(self) -> str | None:
        for s in reversed(self.steps):
            if "hs_lead_status" in s.values:
                return s.values["hs_lead_status"] or None
        return None


@dataclass(eq=False)
class DealPlan:
    company: CompanyPlan
    outcome: str  # the stage the deal ends in (today)
    expansion: bool
    amount: int
    seats: int = 0
    created: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    closed: datetime | None = None
    contacts: list[ContactPlan] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    props: dict[str, str] = field(default_factory=dict)
    id: int = 0

    @property
    def path(self) -> list[str]:
        return [s.values["dealstage"] for s in self.steps if "dealstage" in s.values]


@dataclass(eq=False)
class ActivityPlan:
    object_type: ObjectType
    created: datetime
    props: dict[str, str]
    deal: DealPlan | None
    contact: ContactPlan | None


@dataclass(eq=False)
class DemoPlan:
    seed: int
    today: date
    owners: list[OwnerPlan]
    companies: list[CompanyPlan]
    contacts: list[ContactPlan]
    deals: list[DealPlan]
    activities: list[ActivityPlan]


@dataclass(frozen=True)
class DemoSummary:
    seed: int
    today: date
    owners: int
    teams: tuple[str, ...]
    companies: int
    contacts: int
    deals_by_stage: dict[str, int]
    lifecycle: dict[str, int]
    activities: dict[str, int]
    events: int = 0
    segments: tuple[str, ...] = ()
    score_models: tuple[str, ...] = ()
    seconds: float = field(default=0.0, compare=False)

    @property
    def deals(self) -> int:
        return sum(self.deals_by_stage.values())

    def describe(self) -> str:
        open_ = sum(n for s, n in self.deals_by_stage.items() if s in OPEN_STAGES)
        by_stage = [f"{self.lifecycle.get(s, 0):,} {label}" for s, label in _STAGE_LABELS]
        acts = ", ".join(f"{n:,} {t}" for t, n in self.activities.items())
        return "\n".join(
            [
                f"Demo workspace (seed {self.seed}, as of {self.today.isoformat()}), "
                f"built in {self.seconds:.1f} s:",
                f"  {self.owners} owners in teams {', '.join(self.teams)}",
                f"  {self.companies:,} companies",
                f"  {self.contacts:,} contacts: {', '.join(by_stage[:4])},",
                f"    {', '.join(by_stage[4:])}",
                f"  {self.deals:,} deals: {open_:,} open, {self.deals_by_stage.get(WON, 0):,} "
                f"won, {self.deals_by_stage.get(LOST, 0):,} lost",
                f"  {sum(self.activities.values()):,} activities: {acts}",
                f"  {self.events:,} tracked events; segments: {', '.join(self.segments)}",
                f"  score models: {', '.join(self.score_models)}",
            ]
        )


# --- small helpers ---------------------------------------------------------------------


def _pick(rng: random.Random, weighted: Sequence[tuple[T, float]]) -> T:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def _fill(rng: random.Random, pattern: str) -> str:
    return "".join(
        str(rng.randrange(10)) if ch == "#" else chr(65 + rng.randrange(26)) if ch == "?" else ch
        for ch in pattern
    )


def _log_uniform(rng: random.Random, lo: float, hi: float) -> float:
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def _round_to(value: float, digits: int) -> int:
    """Round to ``digits`` significant digits."""
    if value <= 0:
        return 0
    step = 10 ** max(0, math.floor(math.log10(value)) - digits + 1)
    return int(round(value / step) * step)


def _money(value: float) -> int:
    step = 50 if value < 5_000 else 250 if value < 20_000 else 1_000 if value < 100_000 else 5_000
    return max(step, int(round(value / step) * step))


def _spread(total: int, weights: Sequence[float], minimum: int) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), each ≥ ``minimum``."""
    rest = total - minimum * len(weights)
    shares = [rest * w / sum(weights) for w in weights]
    counts = [math.floor(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: counts[i] - shares[i])
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [c + minimum for c in counts]


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _office(rng: random.Random, moment: datetime, lo: datetime, hi: datetime) -> datetime:
    """``moment`` moved to a weekday office hour, when that stays strictly inside (lo, hi)."""
    day = moment.date()
    if day.weekday() >= 5:
        day += timedelta(days=7 - day.weekday())
    hour, minute = rng.randint(8, 17), rng.randrange(0, 60, 5)
    candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    if lo < candidate < hi:
        return candidate
    for plain in (_minute(moment), moment.replace(microsecond=0)):
        if lo < plain < hi:
            return plain
    return moment


def _timeline(rng: random.Random, lo: datetime, hi: datetime, n: int) -> list[datetime]:
    """``n`` strictly increasing moments strictly between ``lo`` and ``hi``."""
    out: list[datetime] = []
    prev = lo
    for f in sorted(rng.uniform(0.05, 0.95) for _ in range(n)):
        moment = _office(rng, lo + (hi - lo) * f, prev, hi)
        if moment <= prev:
            moment = prev + (hi - prev) / 3
            moment = _office(rng, moment, prev, hi)
        out.append(moment)
        prev = moment
    return out


def _weighted_sample(
    rng: random.Random, items: Sequence[T], weights: Sequence[float], k: int
) -> list[T]:
    pool, w = list(items), list(weights)
    chosen: list[T] = []
    while pool and len(chosen) < k:
        i = rng.choices(range(len(pool)), w)[0]
        chosen.append(pool.pop(i))
        w.pop(i)
    return chosen


# --- planning --------------------------------------------------------------------------


class _Planner:
    def __init__(self, seed: int, today: date, scale: float) -> None:
        self.rng = random.Random(seed)
        self.seed, self.today = seed, today
        self.horizon = datetime(today.year, today.month, today.day, tzinfo=UTC)
        self.start = self.horizon - timedelta(days=HISTORY_DAYS)
        self.n_companies = max(6, round(200 * scale))
        self.n_contacts = max(30, round(2_000 * scale), self.n_companies * 2)
        self.n_deals = max(7, round(300 * scale))
        self.emails: set[str] = set()
        self.owners = [OwnerPlan(*o) for o in _TEAM_OWNERS]

    def _team(self, name: str) -> list[OwnerPlan]:
        return [o for o in self.owners if o.team == name]

    # companies

    def companies(self) -> list[CompanyPlan]:
        rng = self.rng
        names: set[str] = set()
        domains: set[str] = set()
        industries = list(_INDUSTRIES.items())
        out: list[CompanyPlan] = []
        while len(out) < self.n_companies:
            industry = _pick(rng, [(i, v[0]) for i, v in industries])
            _, words, per_head = _INDUSTRIES[industry]
            stem, word = rng.choice(_NAME_STEMS), rng.choice(words)
            short = stem if rng.random() < 0.25 else f"{stem} {word}"
            if short in names:
                continue
            place = _pick(rng, _PLACE_CHOICES)
            tld = rng.choice(place.tlds)
            slug = stem.lower()
            for candidate in (slug + tld, f"{slug}{word.lower()}{tld}", f"{slug}-hq{tld}"):
                if candidate not in domains:
                    domain = candidate
                    break
            else:
                continue
            names.add(short)
            domains.add(domain)
            tier = _pick(rng, [(t, v[0]) for t, v in _TIERS.items()])
            employees = _round_to(_log_uniform(rng, *_TIERS[tier][1]), 2)
            revenue = _round_to(employees * rng.uniform(*per_head) * 1_000, 2)
            name = f"{short} {place.legal}" if place.legal and rng.random() < 0.3 else short
            if tier in ("small", "mid"):
                owner = rng.choice(self._team("Inbound"))
            else:
                owner = _pick(
                    rng,
                    [(o, 1 if o.role == "sales_manager" else 4) for o in self._team("Enterprise")],
                )
            street = rng.choice(place.streets)
            number = rng.randint(1, 480)
            created = _office(
                rng,
                self.horizon - timedelta(days=rng.uniform(20, HISTORY_DAYS - 1)),
                self.start,
                self.horizon - timedelta(days=14),
            )
            size = {"small": "small", "mid": "mid-sized", "large": "large", "enterprise": "global"}[
                tier
            ]
            label = industry.replace("_", " ").lower().replace(" and ", " & ")
            props = {
                "name": name,
                "domain": domain,
                "website": f"https://www.{domain}",
                "industry": industry,
                "type": _pick(
                    rng,
                    [
                        ("PROSPECT", 80),
                        ("PARTNER", 8),
                        ("RESELLER", 5),
                        ("VENDOR", 4),
                        ("OTHER", 3),
                    ],
                ),
                "description": f"{short} is a {size} {label} company based in {place.city}.",
                "address": f"{number} {street}" if place.number_first else f"{street} {number}",
                "city": place.city,
                "state": place.state,
                "zip": _fill(rng, place.zip),
                "country": place.country,
                "phone": _fill(rng, place.phone),
                "numberofemployees": str(employees),
                "annualrevenue": str(revenue),
                "hubspot_owner_id": "",  # filled in when owners exist
            }
            out.append(CompanyPlan(name, short, domain, tier, place, owner, created, props))
        return out

    # contacts

    def _email(self, first: str, last: str, domain: str | None) -> str:
        rng = self.rng
        f, la = first.lower(), last.lower()
        if domain is None:
            domain = rng.choice(_FREE_MAIL)
            shapes = [
                f"{f}.{la}",
                f"{f}{la}{rng.randint(1, 99)}",
                f"{f[0]}{la}{rng.randint(70, 99)}",
            ]
        else:
            shapes = [f"{f}.{la}", f"{f[0]}{la}", f, f"{f}{la[0]}", f"{f}_{la}"]
        for local in [*shapes, *(f"{f}.{la}{n}" for n in range(2, 999))]:
            email = f"{local}@{domain}"
            if email not in self.emails:
                self.emails.add(email)
                return email
        raise AssertionError("unreachable: ran out of email shapes")

    def _contact(
        self, company: CompanyPlan | None, created: datetime, owner: OwnerPlan | None
    ) -> ContactPlan:
        rng = self.rng
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        personal = company is None or (company.tier == "small" and rng.random() < 0.08)
        email = self._email(first, last, None if personal else company.domain if company else None)
        seniority = _pick(rng, [("senior", 20), ("mid", 35), ("junior", 45)])
        props = {
            "firstname": first,
            "lastname": last,
            "email": email,
            "jobtitle": rng.choice(_TITLES[seniority]),
            "hs_analytics_source": _pick(rng, _SOURCES),
        }
        place = company.place if company else _pick(rng, _PLACE_CHOICES)
        if rng.random() < 0.7:
            props["phone"] = _fill(rng, place.phone)
        if rng.random() < 0.25:
            props["mobilephone"] = _fill(rng, place.phone)
        if company is not None:
            props.update(company=company.name, website=f"https://www.{company.domain}")
        props.update(city=place.city, state=place.state, country=place.country)
        return ContactPlan(
            first,
            last,
            email,
            seniority,
            props["hs_analytics_source"],
            created,
            owner,
            company,
            props,
        )

    def contacts(self, companies: list[CompanyPlan]) -> list[ContactPlan]:
        rng = self.rng
        lone = round(self.n_contacts * 0.12)
        weights = [rng.uniform(*_TIERS[c.tier][3]) for c in companies]
        counts = _spread(self.n_contacts - lone, weights, 1)
        out: list[ContactPlan] = []
        for company, count in zip(companies, counts, strict=True):
            for i in range(count):
                if i == 0:  # the first touch is what put the company in the CRM
                    created = _minute(company.created + timedelta(hours=rng.uniform(0.5, 20)))
                else:
                    created = _office(
                        rng,
                        company.created + (self.horizon - company.created) * rng.random(),
                        company.created,
                        self.horizon,
                    )
                contact = self._contact(company, created, company.owner)
                company.contacts.append(contact)
                out.append(contact)
        inbound = self._team("Inbound")
        for _ in range(lone):
            created = _office(
                rng,
                self.start + (self.horizon - self.start) * rng.random(),
                self.start,
                self.horizon,
            )
            owner = rng.choice(inbound) if rng.random() < 0.5 else None
            out.append(self._contact(None, created, owner))
        return out

    # deals

    def deals(self, companies: list[CompanyPlan]) -> list[DealPlan]:
        rng = self.rng
        won = max(1, round(self.n_deals * 0.24))
        lost = max(1, round(self.n_deals * 0.33))
        open_ = max(len(OPEN_STAGES), self.n_deals - won - lost)
        n_cust = min(won, max(1, round(len(companies) * 0.2)))
        n_opp = max(1, round(len(companies) * 0.1))
        n_lost = max(1, round(len(companies) * 0.1))
        by_age = sorted(companies, key=lambda c: c.created)
        old = [c for c in by_age if c.created <= self.horizon - timedelta(days=300)]
        if len(old) < n_cust:
            old = by_age[:n_cust]
        customers = _weighted_sample(rng, old, [_TIER_PULL[c.tier] for c in old], n_cust)
        rest = [
            c
            for c in by_age
            if c not in customers and c.created <= self.horizon - timedelta(days=45)
        ] or [c for c in by_age if c not in customers]
        picked = _weighted_sample(rng, rest, [_TIER_PULL[c.tier] for c in rest], n_opp + n_lost)
        opps, losers = picked[:n_opp], picked[n_opp:]
        for group, journey in ((customers, "customer"), (opps, "opportunity"), (losers, "lost")):
            for c in group:
                c.journey = journey
        tally: Counter[str] = Counter()  # deals given out so far, by company name

        def assign(
            outcome: str,
            firsts: list[CompanyPlan],
            pool: list[CompanyPlan],
            extra: int,
            pull: Callable[[CompanyPlan], float],
        ) -> None:
            chosen = list(firsts)
            for _ in range(extra):
                weights = [pull(c) * _TIER_PULL[c.tier] / (1 + tally[c.name]) for c in pool]
                chosen.append(rng.choices(pool, weights)[0])
                tally[chosen[-1].name] += 1
            for c in chosen:
                c.deals.append(DealPlan(c, outcome, expansion=False, amount=0))

        assign(WON, customers, customers, won - len(customers), lambda c: 1.0)
        open_stages = [
            s
            for s, n in zip(OPEN_STAGES, _spread(open_, [28, 23, 21, 16, 12], 1), strict=True)
            for _ in range(n)
        ]
        rng.shuffle(open_stages)
        holders = customers + opps
        assign(
            "open",
            opps,
            holders,
            open_ - len(opps),
            lambda c: 1.0 if c.journey == "customer" else 0.7,
        )
        assign(LOST, losers, customers + opps + losers, lost - len(losers), lambda c: 1.0)
        out: list[DealPlan] = []
        for company in companies:
            for deal in company.deals:
                if deal.outcome == "open":
                    deal.outcome = open_stages.pop()
            self._schedule(company)
            out.extend(company.deals)
        return out

    def _cycle(self, company: CompanyPlan, expansion: bool) -> timedelta:
        days = self.rng.uniform(*_TIERS[company.tier][4])
        return timedelta(days=days * (0.6 if expansion else 1.0))

    def _schedule(self, company: CompanyPlan) -> None:
        """Give each deal of ``company`` its dates, amount, contacts and stage history."""
        rng, horizon = self.rng, self.horizon
        first_day = company.created + timedelta(days=3)
        won = [d for d in company.deals if d.outcome == WON]
        later_from = first_day
        if won:
            # The first win is new business early in the company's life; the rest come after.
            first = won[0]
            avail = horizon - first_day
            cycle = min(self._cycle(company, False), avail * 0.3)
            first.created = first_day + avail * 0.3 * rng.random()
            first.closed = first.created + cycle
            later_from = first.closed + timedelta(days=7)
        for deal in company.deals:
            if won and deal is won[0]:
                continue
            before_win = bool(won) and deal.outcome == LOST and rng.random() < 0.5
            if before_win:
                lo, hi = first_day, won[0].created - timedelta(days=1)
                before_win = hi - lo >= timedelta(days=10)
            if not before_win:
                lo, hi = (later_from if won else first_day), horizon - timedelta(hours=1)
            lo = min(lo, hi - timedelta(days=1))  # a company new to the CRM: a short window
            deal.expansion = bool(won) and not before_win
            cycle = min(self._cycle(company, deal.expansion), (hi - lo) * 0.8)
            if deal.outcome in (WON, LOST):
                deal.created = lo + (hi - lo - cycle) * rng.random()
                deal.closed = deal.created + cycle
            else:
                k = OPEN_STAGES.index(deal.outcome)
                age = timedelta(days=rng.uniform(4 * (k + 1), 30 + 25 * k))
                deal.created = max(lo, horizon - age)
        for deal in company.deals:
            deal.created = _office(rng, deal.created, company.created, deal.closed or horizon)
            if deal.closed is not None:
                deal.closed = _office(rng, deal.closed, deal.created, horizon)
            self._fill_deal(deal)

    def _fill_deal(self, deal: DealPlan) -> None:
        rng, company = self.rng, deal.company
        lo, hi = _TIERS[company.tier][2]
        amount = _log_uniform(rng, lo, hi) * (rng.uniform(0.2, 0.5) if deal.expansion else 1)
        deal.amount = _money(max(1_000, amount))
        seat_price = rng.choice((240, 360, 480, 600, 900))
        seats = deal.seats = max(3, deal.amount // seat_price)
        if deal.expansion:
            product = rng.choice(_EXPANSIONS)
        else:
            plan_name = _NEW_PRODUCTS[list(_TIERS).index(company.tier)]
            product = f"{plan_name} ({seats} seats)"
        # The people on the deal: known by then, senior ones first.
        known = [c for c in company.contacts if c.created < deal.created] or company.contacts[:1]
        k = 2 if company.tier in ("large", "enterprise") and rng.random() < 0.6 else 1
        rank = {"senior": 4.0, "mid": 2.0, "junior": 1.0}
        deal.contacts = _weighted_sample(rng, known, [rank[c.seniority] for c in known], k)
        for c in deal.contacts:
            c.deals.append(deal)
        deal.props = {
            "dealname": f"{company.short} - {product}",
            "pipeline": "default",
            "deal_currency_code": company.place.currency,
            "dealtype": "existingbusiness" if deal.expansion else "newbusiness",
            "hs_priority": _pick(rng, [("low", 3), ("medium", 5), ("high", 2 + 2 * (lo > 20_000))]),
            "hubspot_owner_id": "",
        }
        if rng.random() < 0.4:
            source = "an inbound demo request" if company.tier in ("small", "mid") else "outbound"
            deal.props["description"] = f"{seats} seats; sourced from {source}."
        # Stage path: closed-lost deals leave from wherever they got to.
        if deal.outcome == WON:
            path = list(OPEN_STAGES)
            if rng.random() < 0.15:
                path.pop(rng.randint(1, 3))  # the odd deal skips a stage
            path.append(WON)
        elif deal.outcome == LOST:
            exit_at = _pick(rng, list(zip(range(5), (30, 25, 20, 15, 10), strict=True)))
            path = [*OPEN_STAGES[: exit_at + 1], LOST]
        else:
            path = OPEN_STAGES[: OPEN_STAGES.index(deal.outcome) + 1]
        end = deal.closed or self.horizon
        inner = path[1:-1] if deal.closed else path[1:]
        moments = _timeline(rng, deal.created, end, len(inner))
        if deal.closed is not None:
            planned = deal.created + (deal.closed - deal.created) * rng.uniform(0.7, 1.2)
        else:
            k = OPEN_STAGES.index(deal.outcome)
            planned = self.horizon + timedelta(days=rng.randint(7, 30 + 25 * (4 - k)))
        deal.steps = [
            Step(
                deal.created,
                {
                    "dealstage": path[0],
                    "amount": str(deal.amount),
                    "closedate": iso_ms(planned.replace(hour=0, minute=0, second=0, microsecond=0)),
                },
            )
        ]
        for stage, moment in zip(inner, moments, strict=True):
            values = {"dealstage": stage}
            if stage == "decisionmakerboughtin" and rng.random() < 0.25:
                deal.amount = min(hi, _money(max(1_000, deal.amount * rng.uniform(0.85, 1.15))))
                values["amount"] = str(deal.amount)  # negotiated
            deal.steps.append(Step(moment, values))
        if deal.closed is not None:
            closing = {"dealstage": path[-1], "closedate": iso_ms(deal.closed)}
            if path[-1] == LOST:
                # A stream of its own, so the reason leaves the rest of the story unchanged.
                pick = random.Random(f"{deal.props['dealname']}|{deal.created.isoformat()}")
                closing["closed_lost_reason"] = _pick(pick, LOST_REASONS)
            deal.steps.append(Step(deal.closed, closing))

    # lifecycle

    def lifecycles(self, companies: list[CompanyPlan], contacts: list[ContactPlan]) -> None:
        rng = self.rng
        for contact in contacts:
            company = contact.company
            anchors: dict[str, datetime] = {}
            if company is not None and company.deals and company.journey != "lost":
                anchors["opportunity"] = min(d.created for d in company.deals)
                wins = [d.closed for d in company.deals if d.outcome == WON and d.closed]
                if wins:
                    anchors["customer"] = min(wins)
                final = "customer" if wins else "opportunity"
            elif contact.deals:
                anchors["opportunity"] = min(d.created for d in contact.deals)
                final = "opportunity"
            elif company is not None:
                final = _pick(rng, _NO_DEAL_STAGES)
                if company.journey == "lost":  # the account was worked: few plain subscribers
                    final = {"subscriber": "lead"}.get(final, final)
            else:
                final = _pick(rng, _LONE_STAGES)
            if final == "customer" and rng.random() < 0.12:
                later = anchors["customer"] + timedelta(days=rng.uniform(20, 150))
                later = _office(rng, later, anchors["customer"], self.horizon)
                if later < self.horizon - timedelta(days=1):
                    anchors["evangelist"] = later
                    final = "evangelist"
            contact.steps = self._contact_steps(contact, final, anchors)
        for company in companies:
            company.steps = self._company_steps(company)

    def _contact_steps(
        self, contact: ContactPlan, final: str, anchors: dict[str, datetime]
    ) -> list[Step]:
        rng = self.rng
        marketing = contact.source in _MARKETING_SOURCES
        start = "subscriber" if marketing and rng.random() < 0.65 else "lead"
        if final == "subscriber":
            start = "subscriber"
        if final == "other":
            stages = [start, "other"]
        else:
            stages = FUNNEL[FUNNEL.index(start) : FUNNEL.index(final) + 1]
            if (
                "marketingqualifiedlead" in stages[1:-1]
                and contact.source in _SALES_SOURCES
                and rng.random() < 0.5
            ):
                stages.remove("marketingqualifiedlead")
        # A contact added after an anchor enters at that stage directly.
        first = max(
            (i for i, s in enumerate(stages) if s in anchors and anchors[s] <= contact.created),
            default=0,
        )
        stages = stages[first:]
        timed: list[tuple[str, datetime]] = [(stages[0], contact.created)]
        i, prev = 1, contact.created
        while i < len(stages):
            j = next((k for k in range(i, len(stages)) if stages[k] in anchors), len(stages))
            end = anchors[stages[j]] if j < len(stages) else self.horizon
            timed += zip(stages[i:j], _timeline(rng, prev, end, j - i), strict=True)
            if j < len(stages):
                timed.append((stages[j], anchors[stages[j]]))
                prev = anchors[stages[j]]
            i = j + 1
        steps = []
        for n, (stage, moment) in enumerate(timed):
            status = _pick(rng, _STATUSES[stage])
            values = {"lifecyclestage": stage}
            if status is not None:
                values["hs_lead_status"] = status
                if status == "UNQUALIFIED":
                    values["revline_disqualification_reason"] = _pick(rng, _REASONS)
            elif n > 0:
                values["hs_lead_status"] = ""
            steps.append(Step(moment, values))
        lost = [d for d in contact.deals if d.outcome == LOST and d.closed]
        if final == "opportunity" and len(lost) == len(contact.deals) and lost:
            # Every deal this person was on was lost: sales moved them off OPEN_DEAL.
            after = max(d.closed for d in lost if d.closed) + timedelta(hours=2)
            if after > steps[-1].at and after < self.horizon:
                status = _pick(rng, [("BAD_TIMING", 6), ("UNQUALIFIED", 4)])
                values = {"hs_lead_status": status}
                if status == "UNQUALIFIED":
                    values["revline_disqualification_reason"] = _pick(rng, _REASONS)
                steps.append(Step(after, values))
        return steps

    def _company_steps(self, company: CompanyPlan) -> list[Step]:
        """The company's stage is the furthest any of its people got, from the moment they did."""
        events = sorted(
            (s.at, FUNNEL.index(stage))
            for c in company.contacts
            for s in c.steps
            if (stage := s.values.get("lifecyclestage")) in FUNNEL
        )
        cap = FUNNEL.index("customer")
        best = min(cap, events[0][1]) if events else 1
        steps = [Step(company.created, {"lifecyclestage": FUNNEL[best]})]
        for moment, rank in events:
            rank = min(rank, cap)
            if rank > best:
                best = rank
                if moment <= steps[-1].at:
                    steps[-1].values["lifecyclestage"] = FUNNEL[rank]
                else:
                    steps.append(Step(moment, {"lifecyclestage": FUNNEL[rank]}))
        return steps

    # activities

    def _call(self, at: datetime, fmt: dict[str, str], outcomes: Sequence[str]) -> dict[str, str]:
        rng = self.rng
        outcome = _pick(rng, [(o, _CALL_OUTCOMES[o][0]) for o in outcomes])
        _, status, (lo, hi) = _CALL_OUTCOMES[outcome]
        props = {
            "hs_timestamp": iso_ms(at),
            "hs_call_title": rng.choice(_CALL_TITLES).format(**fmt),
            "hs_call_direction": _pick(rng, [("OUTBOUND", 85), ("INBOUND", 15)]),
            "hs_call_disposition": _DISPOSITION[outcome],
            "hs_call_status": status,
            "hs_call_duration": str(rng.randint(lo, hi) * 1000),
        }
        if outcome == "Connected":
            props["hs_call_body"] = rng.choice(_CALL_NOTES).format(**fmt)
        return props

    def _email_props(self, at: datetime, fmt: dict[str, str]) -> dict[str, str]:
        rng = self.rng
        incoming = rng.random() < 0.35
        subject = rng.choice(_EMAIL_IN if incoming else _EMAIL_OUT).format(**fmt)
        text = (
            f"Hi {fmt['owner']}, thanks for the details. Let me check with the team. {fmt['first']}"
            if incoming
            else f"Hi {fmt['first']}, great speaking with you. As promised, here is what we "
            f"discussed for {fmt['company']}. Best, {fmt['owner']}"
        )
        return {
            "hs_timestamp": iso_ms(at),
            "hs_email_subject": subject,
            "hs_email_text": text,
            "hs_email_direction": "INCOMING_EMAIL" if incoming else "EMAIL",
            "hs_email_status": "SENT",
        }

    def _meeting(self, at: datetime, kind: str, fmt: dict[str, str]) -> dict[str, str]:
        rng = self.rng
        minutes = rng.choice((30, 45, 60))
        future = at >= self.horizon
        outcome = (
            "SCHEDULED"
            if future
            else _pick(
                rng, [("COMPLETED", 82), ("RESCHEDULED", 7), ("NO_SHOW", 6), ("CANCELED", 5)]
            )
        )
        return {
            "hs_timestamp": iso_ms(at),
            "hs_meeting_title": _MEETING_TITLES[kind].format(**fmt),
            "hs_meeting_body": f"Agenda: goals, current tools, timeline. With {fmt['first']}.",
            "hs_meeting_start_time": iso_ms(at),
            "hs_meeting_end_time": iso_ms(at + timedelta(minutes=minutes)),
            "hs_meeting_outcome": outcome,
        }

    def _task(self, due: datetime, fmt: dict[str, str], done: bool) -> dict[str, str]:
        rng = self.rng
        subject, kind = rng.choice(_TASKS)
        status = (
            "COMPLETED"
            if done
            else _pick(rng, [("NOT_STARTED", 6), ("IN_PROGRESS", 3), ("WAITING", 1)])
        )
        return {
            "hs_timestamp": iso_ms(due),
            "hs_task_subject": subject.format(**fmt),
            "hs_task_body": f"Account: {fmt['company']}",
            "hs_task_status": status,
            "hs_task_priority": _pick(rng, [("LOW", 3), ("MEDIUM", 5), ("HIGH", 2)]),
            "hs_task_type": kind,
        }

    def _future(self, days: tuple[float, float]) -> datetime:
        moment = self.horizon + timedelta(days=self.rng.uniform(*days))
        return _office(self.rng, moment, self.horizon, moment + timedelta(days=7))

    def _scheduled_at(self, lo: datetime) -> datetime:
        """When something due after today was put in the calendar (today at the latest)."""
        back = self.horizon - timedelta(days=self.rng.uniform(0.2, 4))
        return _minute(max(back, lo + (self.horizon - lo) / 2))

    def activities(self, deals: list[DealPlan], contacts: list[ContactPlan]) -> list[ActivityPlan]:
        rng = self.rng
        out: list[ActivityPlan] = []

        def add(
            ot: ObjectType,
            created: datetime,
            props: dict[str, str],
            deal: DealPlan | None,
            contact: ContactPlan | None,
        ) -> None:
            out.append(ActivityPlan(ot, created, props, deal, contact))

        for deal in deals:
            person = deal.contacts[0]
            fmt = {
                "first": person.first,
                "company": deal.company.short,
                "owner": deal.company.owner.first,
                "seats": str(deal.seats),
            }
            end = deal.closed or self.horizon
            moments = [s.at for s in deal.steps] + [end]
            reached = len(deal.path)
            for at in _timeline(rng, deal.created, end, 1 + reached // 3):
                add(CALLS, at, self._call(at, fmt, list(_CALL_OUTCOMES)), deal, person)
            for at in _timeline(rng, deal.created, end, 1 + (reached + 1) // 3):
                add(EMAILS, at, self._email_props(at, fmt), deal, person)
            if deal.path == ["appointmentscheduled"]:
                at = self._future((1, 10))
                add(
                    MEETINGS,
                    self._scheduled_at(deal.created),
                    self._meeting(at, "discovery", fmt),
                    deal,
                    person,
                )
            else:
                at = _timeline(rng, moments[0], moments[1], 1)[0]
                add(MEETINGS, at, self._meeting(at, "discovery", fmt), deal, person)
            if "presentationscheduled" in deal.path:
                i = deal.path.index("presentationscheduled")
                at = _timeline(rng, moments[i], moments[i + 1], 1)[0]
                add(MEETINGS, at, self._meeting(at, "demo", fmt), deal, person)
            if deal.closed is not None:
                if deal.outcome == WON:
                    body = (
                        f"Signed! {deal.props['dealname']}, {deal.amount:,} "
                        f"{deal.props['deal_currency_code']}. Kickoff next week."
                    )
                else:
                    body = f"Closed lost: {rng.choice(_LOSS_REASONS)}. Revisit in six months."
                add(
                    NOTES,
                    deal.closed,
                    {"hs_timestamp": iso_ms(deal.closed), "hs_note_body": body},
                    deal,
                    person,
                )
                if rng.random() < 0.5:
                    at = _timeline(rng, deal.created, deal.closed, 1)[0]
                    add(TASKS, at, self._task(at, fmt, done=True), deal, person)
            else:
                due = self._future((1, 14))
                add(
                    TASKS,
                    self._scheduled_at(deal.created),
                    self._task(due, fmt, done=False),
                    deal,
                    person,
                )
        for contact in contacts:
            if contact.deals:
                continue
            out.extend(self._prospecting(contact))
        out.sort(key=lambda a: a.created)
        return out

    def _prospecting(self, contact: ContactPlan) -> list[ActivityPlan]:
        """Activities of a sales team working a lead that has no deal (yet)."""
        rng = self.rng
        stage, status = contact.stage, contact.lead_status
        if stage in ("marketingqualifiedlead", "salesqualifiedlead"):
            worked = rng.random() < 0.7
        else:
            worked = stage == "lead" and status in _WORKED_LEADS and rng.random() < 0.3
        if not worked or contact.owner is None or status is None:
            return []
        fmt = {
            "first": contact.first,
            "company": contact.company.short if contact.company else contact.last,
            "owner": contact.owner.first,
            "seats": str(rng.choice((5, 10, 20, 50))),
        }
        lo = contact.steps[-1].at
        out: list[ActivityPlan] = []

        def past(n: int) -> list[datetime]:
            return _timeline(rng, lo, self.horizon, n)

        no_reach = ["Left voicemail", "No answer", "Busy", "Left live message"]
        if status in ("ATTEMPTED_TO_CONTACT", "OPEN"):
            for at in past(rng.randint(1, 2)):
                out.append(ActivityPlan(CALLS, at, self._call(at, fmt, no_reach), None, contact))
        else:
            at = past(1)[0]
            out.append(ActivityPlan(CALLS, at, self._call(at, fmt, ["Connected"]), None, contact))
        if status != "UNQUALIFIED":
            for at in past(rng.randint(1, 2)):
                out.append(ActivityPlan(EMAILS, at, self._email_props(at, fmt), None, contact))
        if status in ("UNQUALIFIED", "BAD_TIMING"):
            at = past(1)[0]
            body = (
                "Not a fit right now: team too small."
                if status == "UNQUALIFIED"
                else "Interested, but budget opens next quarter."
            )
            out.append(
                ActivityPlan(
                    NOTES, at, {"hs_timestamp": iso_ms(at), "hs_note_body": body}, None, contact
                )
            )
        if status in ("BAD_TIMING", "IN_PROGRESS", "OPEN") and rng.random() < 0.6:
            days = (30.0, 90.0) if status == "BAD_TIMING" else (1.0, 10.0)
            due = self._future(days)
            out.append(
                ActivityPlan(
                    TASKS, self._scheduled_at(lo), self._task(due, fmt, done=False), None, contact
                )
            )
        if status == "CONNECTED" and rng.random() < 0.4:
            at = past(1)[0]
            out.append(ActivityPlan(MEETINGS, at, self._meeting(at, "intro", fmt), None, contact))
        return out


def plan(*, seed: int, today: date, scale: float = 1.0) -> DemoPlan:
    """Everything the demo will write, decided up front (no database involved)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    planner = _Planner(seed, today, scale)
    companies = planner.companies()
    contacts = planner.contacts(companies)
    deals = planner.deals(companies)
    planner.lifecycles(companies, contacts)
    activities = planner.activities(deals, contacts)
    return DemoPlan(
        seed=seed,
        today=today,
        owners=planner.owners,
        companies=sorted(companies, key=lambda c: c.created),
        contacts=sorted(contacts, key=lambda c: c.created),
        deals=sorted(deals, key=lambda d: d.created),
        activities=activities,
    )
