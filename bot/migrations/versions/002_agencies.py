"""agencies: several 军休所 on one assistant, each with its staff group and duty phone

Revision ID: 002_agencies
Revises: 001
Create Date: 2026-11-23

A branch beside 002_desk (both from 001); a merge revision joins them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "002_agencies"
down_revision: str | Sequence[str] | None = "001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=20), nullable=False),
        sa.Column("staff_chat", sa.String(length=64), nullable=False),
        sa.Column("duty_phone", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
        sa.UniqueConstraint("name"),
    )
    with op.batch_alter_table("cadres", schema=None) as batch_op:
        batch_op.add_column(sa.Column("other_phone", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("agency_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("birth_precision", sa.String(length=8), nullable=True))
        batch_op.create_foreign_key("fk_cadres_agency_key", "agencies", ["agency_key"], ["key"])
        batch_op.create_index("ix_cadres_agency_key", ["agency_key"], unique=False)
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_key", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key("fk_staff_agency_key", "agencies", ["agency_key"], ["key"])
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agency_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("staff_chat", sa.String(length=64), nullable=True))
        batch_op.create_foreign_key("fk_tickets_agency_key", "agencies", ["agency_key"],
                                    ["key"])
        batch_op.create_index("ix_tickets_agency", ["agency_key", "status"], unique=False)
        batch_op.create_index("ix_tickets_staff_message", ["staff_chat", "staff_message_id"],
                              unique=False)
    # A check-in pass over 10,000 cadres of 10 agencies (bench/checkins.py): each cadre's
    # newest check-in and Telegram account by an index seek, not a scan.
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_cadre_id", ["cadre_id", "id"], unique=False)
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("ix_accounts_cadre_id", ["cadre_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_cadre_id")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_cadre_id")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_staff_message")
        batch_op.drop_index("ix_tickets_agency")
        batch_op.drop_constraint("fk_tickets_agency_key", type_="foreignkey")
        batch_op.drop_column("staff_chat")
        batch_op.drop_column("agency_key")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_constraint("fk_staff_agency_key", type_="foreignkey")
        batch_op.drop_column("agency_key")
    with op.batch_alter_table("cadres", schema=None) as batch_op:
        batch_op.drop_index("ix_cadres_agency_key")
        batch_op.drop_constraint("fk_cadres_agency_key", type_="foreignkey")
        batch_op.drop_column("birth_precision")
        batch_op.drop_column("agency_key")
        batch_op.drop_column("other_phone")
    op.drop_table("agencies")
