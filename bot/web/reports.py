"""The reports' figures as a few SQL aggregates over the scoped tickets, messages and
check-ins of a date range (the agency's days): tickets per day, first response and resolution
time (median and buckets), SLA hit rate, CSAT (4 and 5 of 1-5 count as positive) and its
response rate, hand-off reasons, the share answered without staff, top intents, check-ins.

Each table is read as few times as possible: one grouped pass over tickets gives the daily
counts, reasons, SLA and ratings; one pass per duration gives a histogram by minute, from which
the buckets and the median come; one pass over messages gives the intents and their total."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Cadre, CheckIn, Message, Ticket
from bot.web.scope import Scope
from bot.web.sql import local_day, minutes_between, scanned

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
        await self._ticket_facts(f)
        f.first_response = await self.durations(Ticket.first_response_at,
                                                Ticket.first_response_at.is_not(None))
        f.resolution = await self.durations(Ticket.closed_at, and_(
            scanned(self.dialect, Ticket.status) == "closed", Ticket.closed_at.is_not(None)))
        await self._intents(f)
        f.checkins_sent, f.checkins_answered = await self.checkins()
        return f

    async def _ticket_facts(self, f: Figures) -> None:
        """Tickets per day (through the created_at index alone), then per reason: count, SLA
        hit and missed, rated, positive, asked (one pass over the rows)."""
        day = local_day(self.dialect, Ticket.created_at, self.p.zone).label("day")
        stmt = (select(day, func.count()).select_from(Ticket)
                .where(Ticket.created_at >= self.p.start, Ticket.created_at < self.p.end)
                .group_by(day))
        per_day = {d: int(n) for d, n in (await self.s.execute(
            self.scope.tickets(stmt, agency=self.p.agency))).all()}
        f.per_day = [(d, per_day.get(d, 0)) for d in self.p.days()]
        f.total = sum(per_day.values())
        hit = and_(Ticket.first_response_at.is_not(None),
                   Ticket.first_response_at <= Ticket.sla_due_at)
        missed = and_(Ticket.sla_due_at.is_not(None), or_(
            Ticket.first_response_at > Ticket.sla_due_at,
            and_(Ticket.first_response_at.is_(None), Ticket.sla_due_at < self.now)))
        stmt = self._tickets(
            Ticket.reason, func.count(), _sum(hit), _sum(missed), func.count(Ticket.rating),
            _sum(Ticket.rating >= 4),
            _sum(or_(Ticket.rating_asked_at.is_not(None), Ticket.rating.is_not(None)))
        ).group_by(Ticket.reason)
        reasons: dict[str, int] = {}
        for reason, n, h, m, rated, positive, asked in (await self.s.execute(stmt)).all():
            reasons[reason] = int(n)
            f.sla_hit += int(h)
            f.sla_missed += int(m)
            f.rated += int(rated)
            f.positive += int(positive)
            f.asked += int(asked)
        f.reasons = sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))

    async def durations(self, end: Any, done: Any) -> Durations:
        minutes = minutes_between(self.dialect, end, Ticket.created_at).label("m")
        stmt = self._tickets(minutes, func.count()).where(done).group_by(minutes)
        return durations({int(m): int(n) for m, n in (await self.s.execute(stmt)).all()
                          if m is not None})

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
