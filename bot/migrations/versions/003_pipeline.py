"""join the agencies and understanding branches of the schema

Revision ID: 003_pipeline
Revises: 002_agencies, 002_understanding
Create Date: 2026-12-02

"""

from collections.abc import Sequence

revision: str = "003_pipeline"
down_revision: str | Sequence[str] | None = ("002_agencies", "002_understanding")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
