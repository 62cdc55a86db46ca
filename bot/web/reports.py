"""The reports' figures, each one SQL aggregate over the scoped tickets, messages and
check-ins of a date range (the agency's days): tickets per day, first response and resolution
time (median and buckets), SLA hit rate, CSAT (4 and 5 of 1-5 count as positive) and its
response rate, hand-off reasons, the share answered without staff, top intents, check-ins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Cadre, CheckIn, Message, Ticket
from bot.web.scope import Scope
from bot.web.sql import local_day, seconds_between

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
    return Period(first, last, zone, agency or None)


@dataclass(frozen=True)
class Durations:
    count: int
    median_minutes: float | None
    buckets: list[tuple[str, int]]


@dataclass
class Figures:
    period: Period
    total: int = 0
    per_day: list[tuple[str, int]] = field(default_factory=list)
    first_response: Durations | None = None
    resolution: Durations | None = None
    sla_hit: int = 0
    sla_missed: int = 0
    rated: int = 0
    positive: int = 0
    asked: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)
    conversations: int = 0
    with_staff: int = 0
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
    def without_staff(self) -> float | None:
        return self._rate(self.conversations - self.with_staff, self.conversations)

    @property
    def checkin_rate(self) -> float | None:
        return self._rate(self.checkins_answered, self.checkins_sent)


class Reports:
    def __init__(self, s: AsyncSession, scope: Scope, p: Period, now: datetime) -> None:
        self.s, self.scope, self.p, self.now = s, scope, p, now
        self.dialect = s.bind.dialect.name

    def _tickets(self, *columns: Any):
        stmt = (select(*columns).select_from(Ticket).join(Cadre, Cadre.id == Ticket.cadre_id)
                .where(Ticket.created_at >= self.p.start, Ticket.created_at < self.p.end))
        return self.scope.tickets(stmt, agency=self.p.agency)

    async def figures(self) -> Figures:
        f = Figures(self.p)
        f.per_day = await self.per_day()
        f.total = sum(n for _, n in f.per_day)
        f.first_response = await self.durations(Ticket.first_response_at,
                                                Ticket.first_response_at.is_not(None))
        f.resolution = await self.durations(Ticket.closed_at, and_(
            Ticket.status == "closed", Ticket.closed_at.is_not(None)))
        f.sla_hit, f.sla_missed = await self.sla()
        f.rated, f.positive, f.asked = await self.csat()
        f.reasons = await self.reasons()
        f.conversations, f.with_staff = await self.handled()
        f.intents = await self.top_intents()
        f.checkins_sent, f.checkins_answered = await self.checkins()
        return f

    async def per_day(self) -> list[tuple[str, int]]:
        day = local_day(self.dialect, Ticket.created_at, self.p.zone).label("day")
        rows = dict((await self.s.execute(self._tickets(day, func.count())
                                          .group_by(day))).all())
        return [(d, int(rows.get(d, 0))) for d in self.p.days()]

    async def durations(self, end: Any, done: Any) -> Durations:
        seconds = seconds_between(self.dialect, end, Ticket.created_at)
        sums = [func.coalesce(func.sum(case((seconds < hours * 3600, 1), else_=0)), 0)
                for _, hours in BUCKETS if hours is not None]
        row = (await self.s.execute(self._tickets(func.count(), *sums).where(done))).one()
        count, below = int(row[0]), [int(v) for v in row[1:]]
        buckets, previous = [], 0
        for (label, _), upto in zip(BUCKETS, [*below, count], strict=True):
            buckets.append((label, upto - previous))
            previous = upto
        median = None
        if count:
            # The middle value (the mean of the two middle ones for an even count), found by
            # the database's sort rather than by reading every duration here.
            stmt = self._tickets(seconds.label("s")).where(done).order_by(seconds)
            middle = (await self.s.scalars(stmt.offset((count - 1) // 2)
                                           .limit(2 - count % 2))).all()
            median = sum(float(v) for v in middle) / len(middle) / 60
        return Durations(count, median, buckets)

    async def sla(self) -> tuple[int, int]:
        hit = and_(Ticket.first_response_at.is_not(None),
                   Ticket.first_response_at <= Ticket.sla_due_at)
        missed = or_(Ticket.first_response_at > Ticket.sla_due_at,
                     and_(Ticket.first_response_at.is_(None), Ticket.sla_due_at < self.now))
        row = (await self.s.execute(self._tickets(
            func.coalesce(func.sum(case((hit, 1), else_=0)), 0),
            func.coalesce(func.sum(case((missed, 1), else_=0)), 0))
            .where(Ticket.sla_due_at.is_not(None)))).one()
        return int(row[0]), int(row[1])

    async def csat(self) -> tuple[int, int, int]:
        row = (await self.s.execute(self._tickets(
            func.count(Ticket.rating),
            func.coalesce(func.sum(case((Ticket.rating >= 4, 1), else_=0)), 0),
            func.coalesce(func.sum(case((or_(Ticket.rating_asked_at.is_not(None),
                                             Ticket.rating.is_not(None)), 1), else_=0)), 0),
        ))).one()
        return int(row[0]), int(row[1]), int(row[2])

    async def reasons(self) -> list[tuple[str, int]]:
        n = func.count().label("n")
        rows = (await self.s.execute(self._tickets(Ticket.reason, n).group_by(Ticket.reason)
                                     .order_by(n.desc(), Ticket.reason))).all()
        return [(r, int(c)) for r, c in rows]

    def _messages(self, *columns: Any):
        stmt = (select(*columns).select_from(Message).join(Cadre, Cadre.id == Message.cadre_id)
                .where(Message.direction == "in", Message.created_at >= self.p.start,
                       Message.created_at < self.p.end))
        return self.scope.cadres(stmt, agency=self.p.agency)

    async def handled(self) -> tuple[int, int]:
        """Conversations (a cadre's messages on one day) and those with a ticket that day."""
        day = local_day(self.dialect, Message.created_at, self.p.zone)
        conv = self._messages(Message.cadre_id.label("cadre_id"), day.label("day")) \
            .distinct().subquery()
        tday = local_day(self.dialect, Ticket.created_at, self.p.zone)
        tick = self._tickets(Ticket.cadre_id.label("cadre_id"), tday.label("day")) \
            .distinct().subquery()
        total = int(await self.s.scalar(select(func.count()).select_from(conv)) or 0)
        staffed = int(await self.s.scalar(select(func.count()).select_from(conv).join(
            tick, and_(tick.c.cadre_id == conv.c.cadre_id, tick.c.day == conv.c.day))) or 0)
        return total, staffed

    async def top_intents(self) -> list[tuple[str, int]]:
        n = func.count().label("n")
        rows = (await self.s.execute(
            self._messages(Message.intent, n).where(Message.intent.is_not(None))
            .group_by(Message.intent).order_by(n.desc(), Message.intent)
            .limit(TOP_INTENTS))).all()
        return [(i, int(c)) for i, c in rows]

    async def checkins(self) -> tuple[int, int]:
        stmt = (select(func.count(), func.count(CheckIn.answered_at)).select_from(CheckIn)
                .join(Cadre, Cadre.id == CheckIn.cadre_id)
                .where(CheckIn.sent_at >= self.p.start, CheckIn.sent_at < self.p.end,
                       CheckIn.status != "unreachable"))
        row = (await self.s.execute(self.scope.cadres(stmt, agency=self.p.agency))).one()
        return int(row[0]), int(row[1])
