"""The few expressions SQLite and PostgreSQL spell differently: seconds between two
timestamps and the local calendar day of one (reports group by the agency's day)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, Integer, cast, func, literal_column
from sqlalchemy.sql import ColumnElement


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return cast(func.extract("epoch", later - earlier), Float)


def scanned(dialect: str, column: Any) -> Any:
    """`column` for a range filter that should not use its index: a report over most of a
    table reads it faster in order than through the index row by row (SQLite picks the index
    for any range; its unary plus turns that off). PostgreSQL's planner decides for itself."""
    if dialect != "sqlite":
        return column
    return literal_column(f"+{column.table.name}.{column.name}", type_=column.type)


def minutes_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole minutes from `earlier` to `later` (floored), for a histogram."""
    return cast(func.floor(seconds_between(dialect, later, earlier) / 60), Integer) \
        if dialect != "sqlite" else cast(seconds_between(dialect, later, earlier) / 60, Integer)


def local_day(dialect: str, column: Any, zone: ZoneInfo) -> ColumnElement[str]:
    """'YYYY-MM-DD' of `column` in `zone`. SQLite has no zones: the zone's current offset is
    used (China has kept one offset, no summer time, since 1991)."""
    if dialect == "sqlite":
        offset = datetime.now(UTC).astimezone(zone).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        return func.date(column, literal_column(f"'{minutes:+d} minutes'"))
    return func.to_char(func.timezone(zone.key, column), "YYYY-MM-DD")
