"""The ``revline demo`` workspace: a believable sales team, its accounts, people, deals and
activities, reproducible from a seed.

The data is first planned in memory (pure Python, one ``random.Random(seed)``, every timestamp
derived from the reference day, never from the clock), then written through the services the
API uses, so it passes the same validation and leaves the same property history. The plan
keeps the story consistent: a company with a won deal is a customer and so are its contacts;
one with an open deal is an opportunity; deals walk through the pipeline stage by stage.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from revline.auth import service as auth_service
from revline.crm.associations import types as assoc_types
from revline.crm.associations.service import AssociationSpec
from revline.crm.lifecycle import settings as lifecycle_settings
from revline.crm.money import service as money
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
    access_object_type,
)
from revline.crm.records import service as records
from revline.demo import scoring as demo_scoring
from revline.demo.behaviour import write_behaviour
from revline.demo.planning import (
    DEMO_SOURCE,
    FUNNEL,
    STAGE_IDS,
    DealPlan,
    DemoPlan,
    DemoSummary,
    OwnerPlan,
    Progress,
    Step,
    plan,
)
from revline.demo.words import (
    _TEAM_OWNERS,
)
from revline.errors import Conflict
from revline.forecasting import quotas
from revline.forecasting import service as forecasting

__all__ = ["FUNNEL", "DemoPlan", "DemoSummary", "generate", "has_demo_data", "plan"]

# --- writing ---------------------------------------------------------------------------


def has_demo_data(session: Session) -> bool:
    """Whether any of the demo's owners exists (then the demo has been generated here)."""
    return any(
        auth_service.get_user_by_email(session, OwnerPlan(*o).email) is not None
        for o in _TEAM_OWNERS
    )


def _demo_rates(today: date) -> list[money.RateInput]:
    """One rate per foreign currency of the demo, in force since before its oldest deal."""
    since = date(today.year - 3, 1, 1)
    return [
        money.RateInput("EUR", since, Decimal("0.92")),
        money.RateInput("GBP", since, Decimal("0.79")),
    ]


def _quotas(session: Session, deals: Sequence[DealPlan], today: date) -> None:
    """A quarterly quota for every rep who closes deals: a tenth above the average quarter
    of their last year of won business, rounded to thousands."""
    year_ago = datetime.combine(today, datetime.min.time(), tzinfo=UTC).replace(year=today.year - 1)
    won: Counter[int] = Counter()
    for deal in deals:
        if deal.outcome == "closedwon" and deal.closed is not None and deal.closed >= year_ago:
            won[deal.company.owner.id] += deal.amount
    period = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    for owner_id, amount in sorted(won.items()):
        target = Decimal(round(amount / 4 * 1.1, -3))
        quotas.set_quota(session, {"ownerId": str(owner_id), "period": period, "amount": target})


def _spec(
    from_type: ObjectType, to_type: ObjectType, to_id: int, *, primary: bool = False
) -> AssociationSpec:
    table = assoc_types.PRIMARY if primary else assoc_types.DEFAULTS
    atype = table[(from_type.name, to_type.name)]
    return AssociationSpec(to_type.name, to_id, atype.type_id)


def _create(
    session: Session,
    ot: ObjectType,
    props: dict[str, str],
    steps: Sequence[Step],
    specs: Sequence[AssociationSpec] = (),
) -> int:
    """Create a record as it was at its first step, then replay the later steps."""
    view = records.create_record(
        session,
        ot,
        {**props, **steps[0].values},
        association_specs=specs,
        lookup_type=access_object_type,
        source=DEMO_SOURCE,
        now=steps[0].at,
    )
    for step in steps[1:]:
        records.update_record(
            session, ot, str(view.id), step.values, source=DEMO_SOURCE, now=step.at
        )
    return view.id


class _Ticker:
    def __init__(self, progress: Progress | None, step: str, total: int) -> None:
        self.progress, self.step, self.total = progress, step, total
        self.every = max(1, total // 50)
        self.done = 0
        if progress is not None:
            progress(step, 0, total)

    def tick(self) -> None:
        self.done += 1
        if self.progress is not None and (self.done % self.every == 0 or self.done == self.total):
            self.progress(self.step, self.done, self.total)


def generate(
    session: Session,
    *,
    seed: int = 7,
    progress: Progress | None = None,
    today: date | None = None,
    scale: float = 1.0,
) -> DemoSummary:
    """Write the demo workspace into ``session``'s database (the caller commits).

    The same ``seed``, ``today`` and ``scale`` give the same records, values and history.
    ``scale`` 1.0 gives 200 companies, 2,000 contacts and 300 deals.
    """
    started = time.perf_counter()
    if has_demo_data(session):
        raise Conflict("This workspace already holds the demo data; start from an empty one.")
    today = today or datetime.now(UTC).date()
    p = plan(seed=seed, today=today, scale=scale)
    # The plan already tells each account's story with consistent stages (a won deal's people
    # are customers, ...), timed as it happened; the live sync rules would replay those moves
    # at write time and out of order. They are off while the demo writes, then restored.
    sync = lifecycle_settings.load(session)
    lifecycle_settings.update(session, {k: False for k in lifecycle_settings.to_api(sync)})

    ticker = _Ticker(progress, "Owners", len(p.owners))
    for o in p.owners:
        user = auth_service.create_user(
            session, email=o.email, first_name=o.first, last_name=o.last, role=o.role, team=o.team
        )
        o.id = user.id
        if o.role == "sales_manager":
            for team in sorted({x.team for x in p.owners if x.team != o.team}):
                auth_service.add_to_team(session, user, team, primary=False)
        ticker.tick()

    ticker = _Ticker(progress, "Companies", len(p.companies))
    for company in p.companies:
        props = {**company.props, "hubspot_owner_id": str(company.owner.id)}
        company.id = _create(session, COMPANIES, props, company.steps)
        ticker.tick()

    ticker = _Ticker(progress, "Contacts", len(p.contacts))
    for contact in p.contacts:
        props = dict(contact.props)
        if contact.owner is not None:
            props["hubspot_owner_id"] = str(contact.owner.id)
        specs = []
        if contact.company is not None:
            specs.append(_spec(CONTACTS, COMPANIES, contact.company.id, primary=True))
        contact.id = _create(session, CONTACTS, props, contact.steps, specs)
        ticker.tick()

    # Deals in euros and pounds need rates to the home currency (USD) before they exist.
    money.store_rates(session, _demo_rates(today), today=today)
    ticker = _Ticker(progress, "Deals", len(p.deals))
    for deal in p.deals:
        props = {**deal.props, "hubspot_owner_id": str(deal.company.owner.id)}
        specs = [_spec(DEALS, CONTACTS, c.id) for c in deal.contacts]
        specs.append(_spec(DEALS, COMPANIES, deal.company.id, primary=True))
        deal.id = _create(session, DEALS, props, deal.steps, specs)
        ticker.tick()

    ticker = _Ticker(progress, "Activities", len(p.activities))
    for act in p.activities:
        specs = []
        owner = None
        if act.deal is not None:
            specs.append(_spec(act.object_type, DEALS, act.deal.id))
            owner = act.deal.company.owner
        if act.contact is not None:
            specs.append(_spec(act.object_type, CONTACTS, act.contact.id))
            owner = owner or act.contact.owner
        props = dict(act.props)
        if owner is not None:
            props["hubspot_owner_id"] = str(owner.id)
        _create(session, act.object_type, props, [Step(act.created, {})], specs)
        ticker.tick()

    lifecycle_settings.update(session, lifecycle_settings.to_api(sync))
    ticker = _Ticker(progress, "Events and segments", 1)
    stored, segment_names = write_behaviour(session, p.contacts, seed, today)
    ticker.tick()
    ticker = _Ticker(progress, "Score models", 1)
    score_models = demo_scoring.create_models(session, today)
    ticker.tick()
    _quotas(session, p.deals, today)
    forecasting.take_snapshots(session, today)
    return DemoSummary(
        seed=seed,
        today=today,
        owners=len(p.owners),
        teams=tuple(dict.fromkeys(o.team for o in p.owners)),
        companies=len(p.companies),
        contacts=len(p.contacts),
        deals_by_stage={s: sum(1 for d in p.deals if d.outcome == s) for s in STAGE_IDS},
        lifecycle=dict(Counter(c.stage for c in p.contacts)),
        activities={
            ot.name: sum(1 for a in p.activities if a.object_type is ot)
            for ot in (CALLS, EMAILS, MEETINGS, NOTES, TASKS)
        },
        events=stored,
        segments=tuple(segment_names),
        score_models=tuple(score_models),
        seconds=time.perf_counter() - started,
    )
