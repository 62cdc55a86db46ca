"""What SQLite needs told that PostgreSQL's planner works out for itself."""

from __future__ import annotations

from typing import Any

from sqlalchemy import literal_column


def scanned(dialect: str, column: Any) -> Any:
    """`column` for a range filter that should not use its index: a report over most of a
    table reads it faster in order than through the index row by row (SQLite picks the index
    for any range; its unary plus turns that off), or through an index in the order it groups
    by. PostgreSQL's planner decides for itself."""
    if dialect != "sqlite":
        return column
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)
