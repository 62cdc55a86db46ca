"""Many rows in one statement: a check-in pass over thousands of cadres writes its pings,
transcript lines and outbox rows in a few round trips, not one per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_many(s: AsyncSession, model: Any, rows: Sequence[dict[str, Any]], *,
                      ids: bool = False) -> list[int]:
    """Insert `rows` (dicts of one shape); with `ids`, their new ids in the order given.

    SQLite returns RETURNING rows in no guaranteed order, so SQLAlchemy would send one
    statement per row; instead one executemany, and the ids from the highest: the
    transaction holds SQLite's only write lock, and rowids are assigned one after another.
    Elsewhere, RETURNING sorted by the parameters' order."""
    if not rows:
        return []
    table = model.__table__  # Core: the ORM's bulk machinery costs more than the insert
    if not ids:
        await s.execute(table.insert(), list(rows))
        return []
    if s.bind.dialect.name == "sqlite":
        await s.execute(table.insert(), list(rows))
        last = int(await s.scalar(select(func.max(model.id))) or 0)
        return list(range(last - len(rows) + 1, last + 1))
    result = await s.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True),
                             list(rows))
    return list(result.scalars().all())
