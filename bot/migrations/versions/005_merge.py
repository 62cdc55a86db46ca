"""join the desk's branch of the schema (002_desk, 003_merge) with the pipeline's (004_authors)

Revision ID: 005_merge
Revises: 003_merge, 004_authors
Create Date: 2026-12-02

"""

from collections.abc import Sequence

revision: str = "005_merge"
down_revision: str | Sequence[str] | None = ("003_merge", "004_authors")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
