"""what /reports reads through: each ticket's response and resolution time in minutes as
generated columns, and indexes in the order the reports group by (per day, per reason, per
minute, per intent), so a year of tickets is counted without sorting or computing row by row

Revision ID: 006_report_indexes
Revises: 005_merge
Create Date: 2026-12-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "006_report_indexes"
down_revision: str | Sequence[str] | None = "005_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Whole minutes from created_at, floored, exactly as the reports computed them per row before
# (bot/storage/models.py MinutesBetween). SQLite adds the columns as VIRTUAL (ALTER TABLE
# cannot add STORED ones), computed when read and kept in the indexes; PostgreSQL stores them
# and fills them for the existing rows as it adds them.
SQLITE = ("CAST(((julianday({later}) - julianday(created_at)) * 86400.0) / (60 + 0.0) "
          "AS INTEGER)")
POSTGRESQL = ("CAST(floor(CAST(EXTRACT(epoch FROM {later} - created_at) AS FLOAT) "
              "/ CAST(60 AS NUMERIC)) AS INTEGER)")
COLUMNS = (("response_minutes", "first_response_at"), ("resolution_minutes", "closed_at"))


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    spelling = SQLITE if sqlite else POSTGRESQL
    for name, later in COLUMNS:
        # Not through batch_alter_table: on SQLite it would rebuild the table to add them.
        op.add_column("tickets", sa.Column(name, sa.Integer(), sa.Computed(
            spelling.format(later=later), persisted=not sqlite), nullable=True))
    op.drop_index("ix_tickets_created_at", table_name="tickets")
    op.create_index("ix_tickets_created_at", "tickets", ["created_at", "agency_key"])
    op.create_index("ix_tickets_reason", "tickets", ["reason", "created_at", "agency_key"])
    op.create_index("ix_tickets_response", "tickets",
                    ["response_minutes", "created_at", "agency_key"])
    op.create_index("ix_tickets_resolution", "tickets",
                    ["resolution_minutes", "status", "created_at", "agency_key"])
    op.create_index("ix_messages_intent", "messages",
                    ["direction", "intent", "created_at", "cadre_id"])


def downgrade() -> None:
    op.drop_index("ix_messages_intent", table_name="messages")
    for name in ("ix_tickets_resolution", "ix_tickets_response", "ix_tickets_reason",
                 "ix_tickets_created_at"):
        op.drop_index(name, table_name="tickets")
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    with op.batch_alter_table("tickets") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
