"""merge the desk and agencies branches

Revision ID: 003_merge
Revises: 002_agencies, 002_desk
Create Date: 2026-12-02

"""

from collections.abc import Sequence

revision: str = "003_merge"
down_revision: str | Sequence[str] | None = ("002_agencies", "002_desk")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
