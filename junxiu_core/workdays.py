"""Working days on the official calendar: 法定节假日 skipped, 调休 weekends worked
(chinese-calendar). Past the last year the calendar knows, weekends only; callers say so."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar


def is_workday(day: date) -> bool | None:
    """True or False on the official calendar; None past the years it knows."""
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return None


def _counts(day: date) -> bool:
    known = is_workday(day)
    return known if known is not None else day.weekday() < 5


def working_days_before(day: date, n: int) -> date:
    """The date n working days before `day`."""
    while n > 0:
        day -= timedelta(days=1)
        n -= _counts(day)
    return day


def working_days_after(day: date, n: int) -> date:
    """The date n working days after `day`."""
    while n > 0:
        day += timedelta(days=1)
        n -= _counts(day)
    return day


def calendar_covers(start: date, end: date) -> bool:
    return is_workday(start) is not None and is_workday(end) is not None
