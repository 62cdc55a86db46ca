"""The reports' figures as a few SQL aggregates over the scoped tickets, messages and
check-ins of a date range (the agency's days): tickets per day, first response and resolution
time (median and buckets), SLA hit rate, CSAT (4 and 5 of 1-5 count as positive) and its
response rate, hand-off reasons, the share answered without staff, top intents, check-ins.

A large deployment's year is 100,000 tickets (#16), so no query computes per row what the
database can keep or sorts what an index already orders (SQLite groups by sorting, PostgreSQL
by hashing): days are counted by index ranges (SQLite) or by a binary search of their bounds
(PostgreSQL); reasons and intents are grouped in the order of their indexes; response and
resolution times are generated columns (Ticket.response_minutes, resolution_minutes) whose
indexes give each duration's histogram by minute, from which the buckets and the median come.
The SLA and CSAT counts are one pass over the period's rows with nothing to group."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    DateTime,
    String,
    and_,
    case,
    column,
    func,
    literal,
    or_,
    select,
    values,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Cadre, CheckIn, Message, Ticket, UTCDateTime
from bot.web.scope import Scope
from bot.web.sql import scanned

# Upper bounds in hours; the last bucket is everything beyond.
BUCKETS = (("0-1h", 1), ("1-4h", 4), ("4-8h", 8), ("8-24h", 24), ("24h+", None))
TOP_INTENTS = 10
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive
    zone: ZoneInfo
    agency: str | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), self.zone)

    def days(self) -> list[str]:
        n = (self.last - self.first).days + 1
        return [(self.first + timedelta(days=i)).isoformat() for i in range(n)]

    def day_bounds(self) -> list[tuple[str, datetime, datetime]]:
        """Each day of the period with the instants it begins and ends: its midnights in the
        zone (which need not be 24 hours apart)."""
        days = [date.fromisoformat(d) for d in self.days()]
        return [(d.isoformat(), datetime.combine(d, time(), self.zone),
                 datetime.combine(d + timedelta(days=1), time(), self.zone)) for d in days]


def period(raw_from: str | None, raw_to: str | None, today: date, zone: ZoneInfo,
           agency: str | None = None) -> Period:
    def parse(raw: str | None) -> date | None:
        try:
            return date.fromisoformat(raw) if raw else None
        except ValueError:
            return None

    last = parse(raw_to) or today
    first = parse(raw_from) or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    first = max(first, last - timedelta(days=3660))  # ten years at most on one chart
    return Period(first, last, zone, agency or None)


@dataclass(frozen=True)
class Durations:
    count: int
    median_minutes: float | None
    buckets: list[tuple[str, int]]


def durations(histogram: dict[int, int]) -> Durations:
    """Count, buckets and median from {whole minutes: tickets}."""
    count = sum(histogram.values())
    buckets = []
    lower = 0
    for label, hours in BUCKETS:
        upper = hours * 60 if hours is not None else None
        buckets.append((label, sum(n for m, n in histogram.items()
                                   if m >= lower and (upper is None or m < upper))))
        lower = upper or lower
    median = None
    if count:
        ordered = sorted(histogram.items())
        middle = [(count - 1) // 2, count // 2]  # the two middle ranks (one when odd)
        values, seen = [], 0
        for minutes, n in ordered:
            while middle and middle[0] < seen + n:
                values.append(minutes)
                middle.pop(0)
            seen += n
        median = sum(values) / len(values)
    return Durations(count, median, buckets)


@dataclass
class Figures:
    period: Period
    total: int = 0
    per_day: list[tuple[str, int]] = field(default_factory=list)
    first_response: Durations = field(default_factory=lambda: durations({}))
    resolution: Durations = field(default_factory=lambda: durations({}))
    sla_hit: int = 0
    sla_missed: int = 0
    rated: int = 0
    positive: int = 0
    asked: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    inbound: int = 0  # messages from cadres
    intents: list[tuple[str, int]] = field(default_factory=list)
    checkins_sent: int = 0
    checkins_answered: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def sla_rate(self) -> float | None:
        return self._rate(self.sla_hit, self.sla_hit + self.sla_missed)

    @property
    def csat(self) -> float | None:
        return self._rate(self.positive, self.rated)

    @property
    def csat_response_rate(self) -> float | None:
        return self._rate(self.rated, self.asked)

    @property
    def answered_alone(self) -> int:
        """Messages the assistant answered without handing them to staff: each ticket is one
        message handed over."""
        return max(self.inbound - self.total, 0)

    @property
    def without_staff(self) -> float | None:
        return self._rate(self.answered_alone, self.inbound)

    @property
    def checkin_rate(self) -> float | None:
        return self._rate(self.checkins_answered, self.checkins_sent)


def _sum(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class Reports:
    def __init__(self, s: AsyncSession, scope: Scope, p: Period, now: datetime) -> None:
        self.s, self.scope, self.p, self.now = s, scope, p, now
        self.dialect = s.bind.dialect.name

    def _tickets(self, *columns: Any):
        created = scanned(self.dialect, Ticket.created_at)
        stmt = select(*columns).select_from(Ticket).where(created >= self.p.start,
                                                          created < self.p.end)
        return self.scope.tickets(stmt, agency=self.p.agency)

    async def figures(self) -> Figures:
        f = Figures(self.p)
        await self._per_day(f)
        await self._sla_and_ratings(f)
        await self._reasons(f)
        f.first_response = await self.durations(Ticket.response_minutes)
        f.resolution = await self.durations(
            Ticket.resolution_minutes, scanned(self.dialect, Ticket.status) == "closed")
        await self._intents(f)
        f.checkins_sent, f.checkins_answered = await self.checkins()
        return f

    async def _per_day(self, f: Figures) -> None:
        """Tickets per day, the days' bounds being the zone's midnights (from Python, so no
        database needs to know the zone). SQLite counts each day by one range of
        ix_tickets_created_at (created_at, agency_key), the agency read from the index, not
        looked up by ix_tickets_agency (a tenth of the year, for each day); PostgreSQL, which
        hashes instead of sorting, numbers each row's day by a binary search of the bounds in
        one pass."""
        bounds = self.p.day_bounds()
        if self.dialect == "sqlite":
            days = values(column("day", String), column("lo", UTCDateTime()),
                          column("hi", UTCDateTime()), name="days").data(bounds).cte("days")
            count = select(func.count()).select_from(Ticket).where(
                Ticket.created_at >= days.c.lo, Ticket.created_at < days.c.hi)
            count = self.scope.tickets(count, agency=self.p.agency, agency_key=scanned(
                self.dialect, Ticket.agency_key)).scalar_subquery()
            rows = (await self.s.execute(select(days.c.day, count))).all()
        else:
            starts = literal([lo for _, lo, _ in bounds], ARRAY(DateTime(timezone=True)))
            day = func.width_bucket(Ticket.created_at, starts)  # 1 for the first day
            stmt = self._tickets(day, func.count()).group_by(day)
            rows = [(bounds[i - 1][0], n) for i, n in (await self.s.execute(stmt)).all()]
        per_day = {d: int(n) for d, n in rows}
        f.per_day = [(d, per_day.get(d, 0)) for d, _, _ in bounds]
        f.total = sum(per_day.values())

    async def _sla_and_ratings(self, f: Figures) -> None:
        """SLA hit and missed, rated, positive, asked: one pass over the rows, no groups."""
        hit = and_(Ticket.first_response_at.is_not(None),
                   Ticket.first_response_at <= Ticket.sla_due_at)
        missed = and_(Ticket.sla_due_at.is_not(None), or_(
            Ticket.first_response_at > Ticket.sla_due_at,
            and_(Ticket.first_response_at.is_(None), Ticket.sla_due_at < self.now)))
        stmt = self._tickets(
            _sum(hit), _sum(missed), func.count(Ticket.rating), _sum(Ticket.rating >= 4),
            _sum(or_(Ticket.rating_asked_at.is_not(None), Ticket.rating.is_not(None))))
        f.sla_hit, f.sla_missed, f.rated, f.positive, f.asked = (
            int(n) for n in (await self.s.execute(stmt)).one())

    async def _reasons(self, f: Figures) -> None:
        """Tickets per hand-off reason, in the order of ix_tickets_reason."""
        stmt = self._tickets(Ticket.reason, func.count()).group_by(Ticket.reason)
        reasons = {r: int(n) for r, n in (await self.s.execute(stmt)).all()}
        f.reasons = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))

    async def durations(self, minutes: Any, *conditions: Any) -> Durations:
        """The histogram of a generated minutes column (NULL: not responded or not closed),
        grouped in the order of its index."""
        stmt = (self._tickets(minutes, func.count()).where(minutes.is_not(None), *conditions)
                .group_by(minutes))
        return durations({int(m): int(n) for m, n in (await self.s.execute(stmt)).all()})

    def _messages(self, *columns: Any):
        created = scanned(self.dialect, Message.created_at)
        stmt = (select(*columns).select_from(Message)
                .where(Message.direction == "in", created >= self.p.start,
                       created < self.p.end))
        if self.scope.rule.everything and not self.p.agency:
            return stmt
        return self.scope.cadres(stmt.join(Cadre, Cadre.id == Message.cadre_id),
                                 agency=self.p.agency)

    async def _intents(self, f: Figures) -> None:
        stmt = self._messages(Message.intent, func.count()).group_by(Message.intent)
        counts = [(i, int(n)) for i, n in (await self.s.execute(stmt)).all()]
        f.inbound = sum(n for _, n in counts)
        named = sorted(((i, n) for i, n in counts if i), key=lambda kv: (-kv[1], kv[0]))
        f.intents = named[:TOP_INTENTS]

    async def checkins(self) -> tuple[int, int]:
        stmt = (select(func.count(), func.count(CheckIn.answered_at)).select_from(CheckIn)
                .where(CheckIn.sent_at >= self.p.start, CheckIn.sent_at < self.p.end,
                       CheckIn.status != "unreachable"))
        if not (self.scope.rule.everything and not self.p.agency):
            stmt = self.scope.cadres(stmt.join(Cadre, Cadre.id == CheckIn.cadre_id),
                                     agency=self.p.agency)
        row = (await self.s.execute(stmt)).one()
        return int(row[0]), int(row[1])
