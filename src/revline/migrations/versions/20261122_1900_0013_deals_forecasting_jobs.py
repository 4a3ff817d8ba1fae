"""deals: stage transitions, stage rules, money, forecasting; durable jobs

Adds the stage-transition event table (back-filled from the property history of ``dealstage``
and ``pipeline``, so deals stored earlier keep their real history), stage rules on pipeline
stages, the money and forecast columns of deals, exchange rates, quotas, forecast snapshots,
and the job queue with its schedules.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22 19:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import revline.kit.db.types
from revline.crm.deals.history import Stay, backfill_transitions, stage_time_values
from revline.crm.properties.values import format_value

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_AT = revline.kit.db.types.UTCDateTime(timezone=True)
_NUM = revline.kit.db.types.Number()

_DEAL_COLUMNS: list[tuple[str, Any]] = [
    ("hs_forecast_probability", _NUM),
    ("hs_manual_forecast_category", sa.String(16)),
    ("hs_forecast_category", sa.String(16)),
    ("hs_projected_amount", _NUM),
    ("hs_projected_amount_in_home_currency", _NUM),
    ("amount_in_home_currency", _NUM),
    ("recurring_revenue_amount", _NUM),
    ("revline_term_months", _NUM),
    ("hs_mrr", _NUM),
    ("hs_arr", _NUM),
    ("hs_tcv", _NUM),
    ("closed_lost_reason", sa.String(100)),
    ("closed_won_reason", sa.Text()),
    ("hs_v2_date_entered_current_stage", _AT),
]


def upgrade() -> None:
    with op.batch_alter_table("deals") as batch:
        for name, type_ in _DEAL_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
    with op.batch_alter_table("pipeline_stages") as batch:
        batch.add_column(
            sa.Column("required_properties", _JSON, server_default=sa.text("'[]'"), nullable=False)
        )
        batch.add_column(sa.Column("rot_days", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("forecast_category", sa.String(16), nullable=True))

    op.create_table(
        "deal_stage_transitions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("deal_id", _ID, nullable=False),
        sa.Column("from_pipeline", sa.String(64), nullable=True),
        sa.Column("from_stage", sa.String(64), nullable=True),
        sa.Column("to_pipeline", sa.String(64), nullable=False),
        sa.Column("to_stage", sa.String(64), nullable=False),
        sa.Column("changed_at", _AT, nullable=False),
        sa.Column("source_type", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(255), nullable=True),
        sa.Column("user_id", _ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stage_transitions")),
    )
    op.create_index(
        "ix_stage_transitions_deal", "deal_stage_transitions", ["deal_id", "changed_at", "id"]
    )
    op.create_index(
        "ix_stage_transitions_stage",
        "deal_stage_transitions",
        ["to_pipeline", "to_stage", "changed_at"],
    )
    op.create_index("ix_stage_transitions_at", "deal_stage_transitions", ["changed_at"])

    op.create_table(
        "exchange_rates",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("currency_code", sa.String(3), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("rate", _NUM, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_rates")),
        sa.UniqueConstraint(
            "currency_code", "effective_from", name="uq_exchange_rates_currency_day"
        ),
    )
    op.create_table(
        "quotas",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("subject_type", sa.String(8), nullable=False),
        sa.Column("subject_id", _ID, nullable=False),
        sa.Column("period_kind", sa.String(8), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("amount", _NUM, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quotas")),
        sa.UniqueConstraint(
            "subject_type", "subject_id", "period_kind", "period_start", name="uq_quotas_subject"
        ),
    )
    op.create_index("ix_quotas_period", "quotas", ["period_start"])
    op.create_table(
        "forecast_snapshots",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("group_by", sa.String(16), nullable=False),
        sa.Column("group_key", sa.String(64), nullable=False),
        sa.Column("taken_on", sa.Date(), nullable=False),
        sa.Column("figures", _JSON, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_snapshots")),
        sa.UniqueConstraint(
            "period", "group_by", "group_key", "taken_on", name="uq_forecast_snapshots_day"
        ),
    )
    op.create_table(
        "jobs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_at", _AT, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("locked_until", _AT, nullable=True),
        sa.Column("locked_by", sa.String(128), nullable=True),
        sa.Column("unique_key", sa.String(255), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("finished_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_due", "jobs", ["status", "run_at"])
    op.create_index("ix_jobs_unique_key", "jobs", ["unique_key"])
    op.create_table(
        "scheduled_tasks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("next_run_at", _AT, nullable=False),
        sa.Column("last_run_at", _AT, nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduled_tasks")),
    )
    # Closing a deal lost asks for a reason, as on stages created from now on.
    op.execute(
        "UPDATE pipeline_stages SET required_properties = '[\"closed_lost_reason\"]' "
        "WHERE is_closed = true AND (probability IS NULL OR probability < 1)"
    )
    _backfill()


def _backfill() -> None:
    """Transitions and time-in-stage values of deals stored before this revision, rebuilt
    from their property history (each stored write of ``dealstage`` / ``pipeline``)."""
    bind = op.get_bind()
    history = sa.table(
        "property_history",
        sa.column("object_type", sa.String),
        sa.column("record_id", _ID),
        sa.column("name", sa.String),
        sa.column("value", sa.Text),
        sa.column("changed_at", _AT),
        sa.column("source_type", sa.String),
        sa.column("source_id", sa.String),
        sa.column("updated_by_user_id", _ID),
        sa.column("id", _ID),
    )
    deals = sa.table(
        "deals",
        sa.column("id", _ID),
        sa.column("pipeline", sa.String),
        sa.column("dealstage", sa.String),
        sa.column("created_at", _AT),
        sa.column("custom", _JSON),
        sa.column("hs_v2_date_entered_current_stage", _AT),
    )
    transitions = sa.table(
        "deal_stage_transitions",
        sa.column("deal_id", _ID),
        sa.column("from_pipeline", sa.String),
        sa.column("from_stage", sa.String),
        sa.column("to_pipeline", sa.String),
        sa.column("to_stage", sa.String),
        sa.column("changed_at", _AT),
        sa.column("source_type", sa.String),
        sa.column("source_id", sa.String),
        sa.column("user_id", _ID),
    )
    current = {
        int(r.id): r
        for r in bind.execute(
            sa.select(
                deals.c.id, deals.c.pipeline, deals.c.dealstage, deals.c.created_at, deals.c.custom
            )
        )
    }
    if not current:
        return
    writes: dict[int, list[tuple[str, str | None, datetime, str, str | None, int | None]]] = {}
    rows = bind.execute(
        sa.select(
            history.c.record_id,
            history.c.name,
            history.c.value,
            history.c.changed_at,
            history.c.source_type,
            history.c.source_id,
            history.c.updated_by_user_id,
        )
        .where(history.c.object_type == "deals", history.c.name.in_(["dealstage", "pipeline"]))
        .order_by(history.c.record_id, history.c.changed_at, history.c.id)
    )
    for r in rows:
        writes.setdefault(int(r.record_id), []).append(
            (r.name, r.value, r.changed_at, r.source_type, r.source_id, r.updated_by_user_id)
        )
    for deal_id, deal in current.items():
        if deal.pipeline is None or deal.dealstage is None:
            continue
        found = backfill_transitions(
            writes.get(deal_id, []), deal.pipeline, deal.dealstage, deal.created_at
        )
        bind.execute(
            transitions.insert(),
            [
                {
                    "deal_id": deal_id,
                    "from_pipeline": t.from_pipeline,
                    "from_stage": t.from_stage,
                    "to_pipeline": t.to_pipeline,
                    "to_stage": t.to_stage,
                    "changed_at": t.changed_at,
                    "source_type": t.source_type,
                    "source_id": t.source_id,
                    "user_id": t.user_id,
                }
                for t in found
            ],
        )
        stays = [Stay(t.to_stage, t.changed_at) for t in found]
        values = stage_time_values(stays)
        custom = dict(deal.custom or {})
        custom.update(
            {k: format_value(v, "datetime" if "date" in k else "number") for k, v in values.items()}
        )
        bind.execute(
            deals.update()
            .where(deals.c.id == deal_id)
            .values(custom=custom, hs_v2_date_entered_current_stage=found[-1].changed_at)
        )


def downgrade() -> None:
    op.drop_table("scheduled_tasks")
    op.drop_index("ix_jobs_unique_key", table_name="jobs")
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.drop_table("jobs")
    op.drop_table("forecast_snapshots")
    op.drop_index("ix_quotas_period", table_name="quotas")
    op.drop_table("quotas")
    op.drop_table("exchange_rates")
    op.drop_index("ix_stage_transitions_at", table_name="deal_stage_transitions")
    op.drop_index("ix_stage_transitions_stage", table_name="deal_stage_transitions")
    op.drop_index("ix_stage_transitions_deal", table_name="deal_stage_transitions")
    op.drop_table("deal_stage_transitions")
    with op.batch_alter_table("pipeline_stages") as batch:
        batch.drop_column("forecast_category")
        batch.drop_column("rot_days")
        batch.drop_column("required_properties")
    with op.batch_alter_table("deals") as batch:
        for name, _ in reversed(_DEAL_COLUMNS):
            batch.drop_column(name)
