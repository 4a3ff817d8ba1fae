"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 13:29:10.177585
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import revline.kit.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "associations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("from_type", sa.String(length=32), nullable=False),
        sa.Column("from_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("to_type", sa.String(length=32), nullable=False),
        sa.Column("to_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_associations")),
        sa.UniqueConstraint(
            "from_type",
            "from_id",
            "to_type",
            "to_id",
            "category",
            "type_id",
            name="uq_associations_edge",
        ),
    )
    op.create_index(
        "ix_associations_from",
        "associations",
        ["from_type", "from_id", "to_type", "to_id"],
        unique=False,
    )
    op.create_table(
        "companies",
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("website", sa.String(length=512), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=100), nullable=True),
        sa.Column("address", sa.String(length=512), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("zip", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=255), nullable=True),
        sa.Column("numberofemployees", revline.kit.db.types.Number(), nullable=True),
        sa.Column("annualrevenue", revline.kit.db.types.Number(), nullable=True),
        sa.Column("lifecyclestage", sa.String(length=100), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "custom",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "hubspot_owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
    )
    op.create_index("ix_companies_archived_id", "companies", ["archived", "id"], unique=False)
    op.create_index("ix_companies_created_at", "companies", ["created_at"], unique=False)
    op.create_index(
        "ix_companies_lifecyclestage_created",
        "companies",
        ["lifecyclestage", "created_at"],
        unique=False,
    )
    op.create_index("ix_companies_name", "companies", ["name"], unique=False)
    op.create_index(
        "ix_companies_owner_created", "companies", ["hubspot_owner_id", "created_at"], unique=False
    )
    op.create_index(
        "uq_companies_domain_active",
        "companies",
        ["domain"],
        unique=True,
        sqlite_where=sa.text("archived = 0"),
        postgresql_where=sa.text("archived = false"),
    )
    op.create_table(
        "contacts",
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("firstname", sa.String(length=255), nullable=True),
        sa.Column("lastname", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("mobilephone", sa.String(length=64), nullable=True),
        sa.Column("company", sa.String(length=255), nullable=True),
        sa.Column("jobtitle", sa.String(length=255), nullable=True),
        sa.Column("website", sa.String(length=512), nullable=True),
        sa.Column("address", sa.String(length=512), nullable=True),
        sa.Column("city", sa.String(length=255), nullable=True),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("zip", sa.String(length=32), nullable=True),
        sa.Column("country", sa.String(length=255), nullable=True),
        sa.Column("lifecyclestage", sa.String(length=100), nullable=True),
        sa.Column("hs_lead_status", sa.String(length=100), nullable=True),
        sa.Column("hs_analytics_source", sa.String(length=100), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "custom",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "hubspot_owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index("ix_contacts_archived_id", "contacts", ["archived", "id"], unique=False)
    op.create_index("ix_contacts_created_at", "contacts", ["created_at"], unique=False)
    op.create_index("ix_contacts_lastname", "contacts", ["lastname"], unique=False)
    op.create_index(
        "ix_contacts_lead_status_created",
        "contacts",
        ["hs_lead_status", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_contacts_lifecyclestage_created",
        "contacts",
        ["lifecyclestage", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_contacts_owner_created", "contacts", ["hubspot_owner_id", "created_at"], unique=False
    )
    op.create_index("ix_contacts_updated_at", "contacts", ["updated_at"], unique=False)
    op.create_index(
        "uq_contacts_email_active",
        "contacts",
        ["email"],
        unique=True,
        sqlite_where=sa.text("archived = 0"),
        postgresql_where=sa.text("archived = false"),
    )
    op.create_table(
        "deals",
        sa.Column("dealname", sa.String(length=255), nullable=True),
        sa.Column("amount", revline.kit.db.types.Number(), nullable=True),
        sa.Column("deal_currency_code", sa.String(length=3), nullable=True),
        sa.Column("pipeline", sa.String(length=64), nullable=True),
        sa.Column("dealstage", sa.String(length=64), nullable=True),
        sa.Column("closedate", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("dealtype", sa.String(length=100), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("hs_priority", sa.String(length=32), nullable=True),
        sa.Column("hs_deal_stage_probability", revline.kit.db.types.Number(), nullable=True),
        sa.Column("hs_is_closed", sa.Boolean(), nullable=True),
        sa.Column("hs_is_closed_won", sa.Boolean(), nullable=True),
        sa.Column("hs_is_closed_lost", sa.Boolean(), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "custom",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "hubspot_owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
    )
    op.create_index("ix_deals_archived_id", "deals", ["archived", "id"], unique=False)
    op.create_index("ix_deals_closedate", "deals", ["closedate"], unique=False)
    op.create_index("ix_deals_created_at", "deals", ["created_at"], unique=False)
    op.create_index(
        "ix_deals_owner_close", "deals", ["hubspot_owner_id", "closedate"], unique=False
    )
    op.create_index(
        "ix_deals_pipeline_stage_close",
        "deals",
        ["pipeline", "dealstage", "closedate"],
        unique=False,
    )
    op.create_table(
        "engagements",
        sa.Column("engagement_type", sa.String(length=16), nullable=False),
        sa.Column("hs_timestamp", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hs_note_body", sa.Text(), nullable=True),
        sa.Column("hs_call_title", sa.String(length=512), nullable=True),
        sa.Column("hs_call_body", sa.Text(), nullable=True),
        sa.Column("hs_call_direction", sa.String(length=16), nullable=True),
        sa.Column("hs_call_duration", revline.kit.db.types.Number(), nullable=True),
        sa.Column("hs_call_disposition", sa.String(length=64), nullable=True),
        sa.Column("hs_call_status", sa.String(length=32), nullable=True),
        sa.Column("hs_email_subject", sa.String(length=998), nullable=True),
        sa.Column("hs_email_text", sa.Text(), nullable=True),
        sa.Column("hs_email_direction", sa.String(length=32), nullable=True),
        sa.Column("hs_email_status", sa.String(length=32), nullable=True),
        sa.Column("hs_meeting_title", sa.String(length=512), nullable=True),
        sa.Column("hs_meeting_body", sa.Text(), nullable=True),
        sa.Column(
            "hs_meeting_start_time", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "hs_meeting_end_time", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("hs_meeting_outcome", sa.String(length=32), nullable=True),
        sa.Column("hs_task_subject", sa.String(length=512), nullable=True),
        sa.Column("hs_task_body", sa.Text(), nullable=True),
        sa.Column("hs_task_status", sa.String(length=32), nullable=True),
        sa.Column("hs_task_priority", sa.String(length=16), nullable=True),
        sa.Column("hs_task_type", sa.String(length=16), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "custom",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "hubspot_owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagements")),
    )
    op.create_index(
        "ix_engagements_owner_timestamp",
        "engagements",
        ["hubspot_owner_id", "hs_timestamp"],
        unique=False,
    )
    op.create_index(
        "ix_engagements_type_archived_id",
        "engagements",
        ["engagement_type", "archived", "id"],
        unique=False,
    )
    op.create_index(
        "ix_engagements_type_timestamp",
        "engagements",
        ["engagement_type", "hs_timestamp"],
        unique=False,
    )
    op.create_table(
        "pipelines",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
    )
    op.create_index("ix_pipelines_object_type", "pipelines", ["object_type"], unique=False)
    op.create_table(
        "property_definitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("field_type", sa.String(length=32), nullable=False),
        sa.Column("group_name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("form_field", sa.Boolean(), nullable=False),
        sa.Column("has_unique_value", sa.Boolean(), nullable=False),
        sa.Column("hubspot_defined", sa.Boolean(), nullable=False),
        sa.Column("calculated", sa.Boolean(), nullable=False),
        sa.Column("read_only_value", sa.Boolean(), nullable=False),
        sa.Column("read_only_definition", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "created_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "updated_user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_definitions")),
        sa.UniqueConstraint("object_type", "name", name="uq_property_definitions_name"),
    )
    op.create_table(
        "property_groups",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_groups")),
        sa.UniqueConstraint("object_type", "name", name="uq_property_groups_name"),
    )
    op.create_table(
        "property_history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("changed_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column(
            "updated_by_user_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_history")),
    )
    op.create_index(
        "ix_property_history_record",
        "property_history",
        ["object_type", "record_id", "name", "changed_at"],
        unique=False,
    )
    op.create_table(
        "teams",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "users",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("first_name", sa.String(length=255), nullable=True),
        sa.Column("last_name", sa.String(length=255), nullable=True),
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "api_tokens",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("prefix", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_table(
        "pipeline_stages",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("pipeline_id", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("display_order", sa.Integer(), nullable=False),
        sa.Column("probability", revline.kit.db.types.Number(), nullable=True),
        sa.Column("is_closed", sa.Boolean(), nullable=False),
        sa.Column("write_permissions", sa.String(length=32), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("archived_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", revline.kit.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipelines.id"],
            name=op.f("fk_pipeline_stages_pipeline_id_pipelines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_stages")),
    )
    op.create_index(
        "ix_pipeline_stages_pipeline",
        "pipeline_stages",
        ["pipeline_id", "display_order"],
        unique=False,
    )
    op.create_table(
        "team_members",
        sa.Column("team_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_members_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_team_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "user_id", name=op.f("pk_team_members")),
    )


def downgrade() -> None:
    op.drop_table("team_members")
    op.drop_index("ix_pipeline_stages_pipeline", table_name="pipeline_stages")
    op.drop_table("pipeline_stages")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("teams")
    op.drop_index("ix_property_history_record", table_name="property_history")
    op.drop_table("property_history")
    op.drop_table("property_groups")
    op.drop_table("property_definitions")
    op.drop_index("ix_pipelines_object_type", table_name="pipelines")
    op.drop_table("pipelines")
    op.drop_index("ix_engagements_type_timestamp", table_name="engagements")
    op.drop_index("ix_engagements_type_archived_id", table_name="engagements")
    op.drop_index("ix_engagements_owner_timestamp", table_name="engagements")
    op.drop_table("engagements")
    op.drop_index("ix_deals_pipeline_stage_close", table_name="deals")
    op.drop_index("ix_deals_owner_close", table_name="deals")
    op.drop_index("ix_deals_created_at", table_name="deals")
    op.drop_index("ix_deals_closedate", table_name="deals")
    op.drop_index("ix_deals_archived_id", table_name="deals")
    op.drop_table("deals")
    op.drop_index(
        "uq_contacts_email_active",
        table_name="contacts",
        sqlite_where=sa.text("archived = 0"),
        postgresql_where=sa.text("archived = false"),
    )
    op.drop_index("ix_contacts_updated_at", table_name="contacts")
    op.drop_index("ix_contacts_owner_created", table_name="contacts")
    op.drop_index("ix_contacts_lifecyclestage_created", table_name="contacts")
    op.drop_index("ix_contacts_lead_status_created", table_name="contacts")
    op.drop_index("ix_contacts_lastname", table_name="contacts")
    op.drop_index("ix_contacts_created_at", table_name="contacts")
    op.drop_index("ix_contacts_archived_id", table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(
        "uq_companies_domain_active",
        table_name="companies",
        sqlite_where=sa.text("archived = 0"),
        postgresql_where=sa.text("archived = false"),
    )
    op.drop_index("ix_companies_owner_created", table_name="companies")
    op.drop_index("ix_companies_name", table_name="companies")
    op.drop_index("ix_companies_lifecyclestage_created", table_name="companies")
    op.drop_index("ix_companies_created_at", table_name="companies")
    op.drop_index("ix_companies_archived_id", table_name="companies")
    op.drop_table("companies")
    op.drop_index("ix_associations_from", table_name="associations")
    op.drop_table("associations")
