"""The few expressions SQLite and PostgreSQL spell differently: seconds between two
timestamps and the local calendar day of one (reports group by the agency's day)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Float, cast, func, literal_column
from sqlalchemy.sql import ColumnElement


def seconds_between(dialect: str, later: Any, earlier: Any) -> ColumnElement[float]:
    if dialect == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0
    return cast(func.extract("epoch", later - earlier), Float)


def local_day(dialect: str, column: Any, zone: ZoneInfo) -> ColumnElement[str]:
    """'YYYY-MM-DD' of `column` in `zone`. SQLite has no zones: the zone's current offset is
    used (China has kept one offset, no summer time, since 1991)."""
    if dialect == "sqlite":
        offset = datetime.now(UTC).astimezone(zone).utcoffset()
        minutes = int(offset.total_seconds() // 60) if offset else 0
        return func.date(column, literal_column(f"'{minutes:+d} minutes'"))
    return func.to_char(func.timezone(zone.key, column), "YYYY-MM-DD")
