"""the staff web desk: desk passwords and lockout on staff, confidence on messages, reviewed
examples from the gaps inbox, and the indexes the inbox and reports read through

Revision ID: 002_desk
Revises: 001
Create Date: 2026-12-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "002_desk"
down_revision: str | Sequence[str] | None = "001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("staff") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("session_version", sa.Integer(), nullable=False,
                                   server_default="0"))
    # (messages.confidence comes from 002_understanding, the pipeline's branch)
    op.create_index("ix_messages_created_at", "messages", ["created_at"])
    op.create_index("ix_tickets_created_at", "tickets", ["created_at"])
    op.create_index("ix_checkins_sent_at", "checkins", ["sent_at"])
    op.create_index("ix_deliveries_ticket", "deliveries", ["ticket_id"])
    op.create_index("ix_deliveries_message", "deliveries", ["message_id"])
    op.create_table(
        "reviewed_examples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("cadre_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("reviewer_id", sa.BigInteger(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["cadre_id"], ["cadres.id"]),
        sa.ForeignKeyConstraint(["message_id"], ["messages.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    op.create_index("ix_reviewed_examples_cadre_id", "reviewed_examples", ["cadre_id"])


def downgrade() -> None:
    op.drop_index("ix_reviewed_examples_cadre_id", table_name="reviewed_examples")
    op.drop_table("reviewed_examples")
    for name, table in (("ix_deliveries_message", "deliveries"),
                        ("ix_deliveries_ticket", "deliveries"),
                        ("ix_checkins_sent_at", "checkins"),
                        ("ix_tickets_created_at", "tickets"),
                        ("ix_messages_created_at", "messages")):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("staff") as batch:
        for column in ("session_version", "locked_until", "failed_logins", "password_hash"):
            batch.drop_column(column)
