"""`/reports` and its exports, on SQLite and PostgreSQL (the aggregates differ by dialect):
the figures from a small known set of tickets, messages and check-ins."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.storage.models import Agency, Cadre, CheckIn, Message, Staff, Ticket
from bot.web.export import HEADERS
from bot.web.reports import Reports, period
from bot.web.scope import Scope
from tests.web.conftest import STAFF_ID, SUPERVISOR_ID, DeskClient, add_staff

ZONE = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # the test clock: 10:00 in Shanghai
TODAY = datetime(2026, 11, 22, 9, 0, tzinfo=ZONE)
YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture
def desk_url(database_url: str) -> str:
    return database_url


async def seed(sessions) -> None:
    m = timedelta(minutes=1)
    async with sessions.begin() as s:
        a = Cadre(name="张建国", merits=[], created_at=NOW, updated_at=NOW)
        b = Cadre(name="李秀英", merits=[], created_at=NOW, updated_at=NOW)
        s.add_all([a, b])
        await s.flush()

        def ticket(created, reason, *, first=None, closed=None, due=None, rating=None,
                   asked=False, status=None) -> Ticket:
            return Ticket(cadre_id=a.id, reason=reason, priority=3 if reason == "complaint"
                          else 2, created_at=created, first_response_at=first,
                          closed_at=closed, sla_due_at=due, rating=rating,
                          rating_asked_at=created if asked else None,
                          status=status or ("closed" if closed else "answered" if first
                                            else "open"),
                          assignee_id=STAFF_ID if first else None, question="问题")

        y, t = YESTERDAY, TODAY
        s.add_all([
            ticket(y, "complaint", first=y + 30 * m, closed=y + 120 * m, due=y + 240 * m,
                   rating=5, asked=True),
            ticket(y, "complaint", first=y + 180 * m, closed=y + 1800 * m, due=y + 60 * m,
                   rating=3, asked=True),
            ticket(t - 60 * m, "human_agent", due=t - 30 * m, asked=True),
            ticket(t - 120 * m, "human_agent", first=t + 480 * m, due=t + 1440 * m, rating=4,
                   asked=True),
            ticket(t - timedelta(days=40), "complaint"),  # outside the last 30 days
        ])
        for cadre, at, intent in ((a, y, "medical.subsidy"), (a, y + m, "medical.subsidy"),
                                  (b, t - 8 * 60 * m, "complaint")):
            s.add(Message(cadre_id=cadre.id, transport="telegram", direction="in",
                          kind="text", text="…", intent=intent, created_at=at))
        s.add_all([
            CheckIn(cadre_id=a.id, kind="monthly", status="answered", sent_at=y,
                    answered_at=y + m),
            CheckIn(cadre_id=b.id, kind="monthly", status="sent", sent_at=y),
            CheckIn(cadre_id=b.id, kind="monthly", status="unreachable", sent_at=y),
        ])


async def test_the_figures_of_a_period(desk: DeskClient, sessions) -> None:
    await seed(sessions)
    async with sessions() as s:
        me = await s.get(Staff, STAFF_ID)
        f = await Reports(s, Scope(me), period(None, None, TODAY.date(), ZONE), NOW).figures()
    assert f.total == 4
    assert f.per_day[-2:] == [("2026-11-21", 2), ("2026-11-22", 2)]
    assert (f.first_response.count, f.first_response.median_minutes) == (3, pytest.approx(180))
    assert dict(f.first_response.buckets) == {"0-1h": 1, "1-4h": 1, "4-8h": 0, "8-24h": 1,
                                              "24h+": 0}
    assert f.resolution.median_minutes == pytest.approx((120 + 1800) / 2)
    assert dict(f.resolution.buckets) == {"0-1h": 0, "1-4h": 1, "4-8h": 0, "8-24h": 0,
                                          "24h+": 1}
    assert (f.sla_hit, f.sla_missed) == (2, 2)
    assert (f.rated, f.positive, f.asked) == (3, 2, 4)  # 4 and 5 are positive
    assert f.csat == pytest.approx(2 / 3) and f.csat_response_rate == pytest.approx(3 / 4)
    assert f.reasons == [("complaint", 2), ("human_agent", 2)]
    # 3 messages in, 4 tickets: none answered without staff (never below zero)
    assert (f.inbound, f.answered_alone, f.without_staff) == (3, 0, 0.0)
    assert f.intents == [("medical.subsidy", 2), ("complaint", 1)]
    assert (f.checkins_sent, f.checkins_answered) == (2, 1)


async def test_a_date_range_narrows_every_figure(desk: DeskClient, sessions) -> None:
    await seed(sessions)
    async with sessions() as s:
        me = await s.get(Staff, STAFF_ID)
        f = await Reports(s, Scope(me), period("2026-11-21", "2026-11-21", TODAY.date(), ZONE),
                          NOW).figures()
    assert f.total == 2 and f.per_day == [("2026-11-21", 2)]
    assert f.intents == [("medical.subsidy", 2)]


async def test_the_reports_page_draws_its_charts_beside_the_figures(
        desk: DeskClient, sessions) -> None:
    await seed(sessions)
    page = await desk.get("/reports", params={"from": "2026-11-01", "to": "2026-11-22"})
    assert page.status_code == 200
    assert page.text.count("<svg") >= 5 and 'role="img"' in page.text
    for shown in ("50.0%", "66.7%", "75.0%", "3.0 小时", "投诉", "1小时内", "超过24小时",
                  'id="fig-total">4<'):
        assert shown in page.text, shown


async def test_the_xlsx_has_one_row_per_ticket(desk: DeskClient, sessions) -> None:
    await seed(sessions)
    response = await desk.get("/reports/tickets.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0] == HEADERS
    assert len(rows) == 5
    first = dict(zip(HEADERS, rows[1], strict=True))
    assert first["编号"] == 1 and first["军休干部"] == "张建国" and first["类型"] == "投诉"
    assert first["首次响应（分钟）"] == 30 and first["解决时间（分钟）"] == 120
    assert first["满意度 1-5"] == 5 and first["处理人"] == "王主任" and first["状态"] == "已关闭"
    assert first["创建时间"] == YESTERDAY.replace(tzinfo=None)


async def test_the_csv_export_matches(desk: DeskClient, sessions) -> None:
    await seed(sessions)
    response = await desk.get("/reports/tickets.csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].split(",") == list(HEADERS) and len(lines) == 5


def test_buckets_and_median_come_from_a_histogram_by_minute() -> None:
    from bot.web.reports import durations

    d = durations({10: 1, 90: 2, 600: 1})  # 10, 90, 90, 600 minutes
    assert d.count == 4 and d.median_minutes == 90
    assert dict(d.buckets) == {"0-1h": 1, "1-4h": 2, "4-8h": 0, "8-24h": 1, "24h+": 0}
    assert durations({10: 1, 30: 1}).median_minutes == 20
    assert durations({}).median_minutes is None


# -- the figures are a count of the rows -------------------------------------------------------

A_STAFF = 710001


async def seed_at_random(sessions, seed: int = 16) -> None:
    """Three agencies' worth (a, b and none) of tickets, messages and check-ins over two months:
    open, answered, closed and reopened tickets, with and without an SLA and a rating, some
    opened at exactly midnight in Shanghai; durations of whole minutes plus 1-58 s (so the
    floor to a minute is never a rounding question)."""
    import random

    rng = random.Random(seed)
    async with sessions.begin() as s:
        for key in ("a", "b"):
            s.add(Agency(key=key, name=f"{key}所", region="shanghai", staff_chat=f"-10{ord(key)}",
                         created_at=NOW))
        await s.flush()
        cadres = [Cadre(name=f"干部{i}", merits=[], agency_key=(None, "a", "b")[i % 3],
                        created_at=NOW, updated_at=NOW) for i in range(9)]
        s.add_all(cadres)
        await s.flush()

        def later(start: datetime, most_minutes: int) -> datetime:
            return start + timedelta(minutes=rng.randint(0, most_minutes),
                                     seconds=rng.randint(1, 58), microseconds=rng.randint(0, 999))

        midnight = datetime(2026, 11, 1, tzinfo=ZONE)
        for i in range(240):
            cadre = rng.choice(cadres)
            created = (midnight - timedelta(days=rng.randint(0, 60)) if i % 12 == 0
                       else NOW - timedelta(seconds=rng.randint(0, 60 * 86400)))
            status = rng.choice(("open", "claimed", "answered", "closed", "closed", "reopened"))
            first = None if status in ("open", "claimed") and rng.random() < 0.8 \
                else later(created, rng.choice((50, 200, 2000)))
            closed = later(first or created, 3000) if status == "closed" else None
            rating = rng.choice((None, 1, 2, 3, 4, 5)) if status == "closed" else None
            s.add(Ticket(cadre_id=cadre.id, agency_key=cadre.agency_key,
                         reason=rng.choice(("complaint", "human_agent", "emergency")),
                         priority=2, status=status, question="问题", created_at=created,
                         first_response_at=first, closed_at=closed,
                         sla_due_at=None if i % 7 == 0 else created + timedelta(hours=4),
                         rating=rating, rating_asked_at=closed if rng.random() < 0.7 else None))
        for _ in range(300):
            cadre = rng.choice(cadres)
            s.add(Message(cadre_id=cadre.id, transport="telegram",
                          direction=rng.choice(("in", "in", "out")), kind="text", text="…",
                          intent=rng.choice((None, "medical.subsidy", "complaint", "out_of_scope",
                                             "travel.abroad")),
                          created_at=NOW - timedelta(seconds=rng.randint(0, 60 * 86400))))
        for _ in range(80):
            sent = NOW - timedelta(seconds=rng.randint(0, 60 * 86400))
            status = rng.choice(("sent", "answered", "alerted", "unreachable"))
            s.add(CheckIn(cadre_id=rng.choice(cadres).id, kind="monthly", status=status,
                          sent_at=sent,
                          answered_at=sent + timedelta(hours=1) if status == "answered" else None))
    await add_staff(sessions, A_STAFF, "甲所干事", agency_key="a")


def counted(tickets, messages, checkins, agency_of, p, sees) -> dict:
    """The figures by counting the rows in Python, as the issue defines them."""
    import statistics
    from collections import Counter

    def minutes(later, earlier) -> int:
        return int((later - earlier).total_seconds() // 60)

    def buckets(values) -> dict[str, int]:
        bounds = ((0, 60), (60, 240), (240, 480), (480, 1440), (1440, None))
        return {label: sum(1 for v in values if lo <= v and (hi is None or v < hi))
                for label, (lo, hi) in zip(("0-1h", "1-4h", "4-8h", "8-24h", "24h+"), bounds,
                                           strict=True)}

    def durations(values) -> tuple:
        return len(values), statistics.median(values) if values else None, buckets(values)

    def within(at) -> bool:
        return p.start <= at < p.end

    ts = [t for t in tickets if within(t.created_at) and sees(t.agency_key)]
    ms = [m for m in messages if m.direction == "in" and within(m.created_at)
          and sees(agency_of[m.cadre_id])]
    cs = [c for c in checkins if within(c.sent_at) and c.status != "unreachable"
          and sees(agency_of[c.cadre_id])]
    days = Counter(t.created_at.astimezone(ZONE).date().isoformat() for t in ts)
    intents = Counter(m.intent for m in ms if m.intent)
    return {
        "total": len(ts),
        "per_day": [(d, days[d]) for d in p.days()],
        "first_response": durations([minutes(t.first_response_at, t.created_at) for t in ts
                                     if t.first_response_at]),
        "resolution": durations([minutes(t.closed_at, t.created_at) for t in ts
                                 if t.status == "closed" and t.closed_at]),
        "sla": (sum(1 for t in ts if t.first_response_at and t.sla_due_at
                    and t.first_response_at <= t.sla_due_at),
                sum(1 for t in ts if t.sla_due_at and (
                    (t.first_response_at and t.first_response_at > t.sla_due_at)
                    or (t.first_response_at is None and t.sla_due_at < NOW)))),
        "ratings": (sum(1 for t in ts if t.rating is not None),
                    sum(1 for t in ts if t.rating is not None and t.rating >= 4),
                    sum(1 for t in ts if t.rating_asked_at or t.rating is not None)),
        "reasons": sorted(Counter(t.reason for t in ts).items(), key=lambda kv: (-kv[1], kv[0])),
        "inbound": len(ms),
        "intents": sorted(intents.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
        "checkins": (len(cs), sum(1 for c in cs if c.answered_at)),
    }


@pytest.mark.parametrize(("who", "agency", "first", "last"), [
    ("supervisor", None, None, None),
    ("supervisor", None, "2026-09-01", "2026-11-22"),
    ("supervisor", "b", "2026-10-01", "2026-10-31"),
    ("staff of a", None, "2026-09-15", "2026-11-22"),
    ("staff of a", "b", "2026-09-15", "2026-11-22"),  # a filter cannot widen the scope
], ids=["supervisor-30-days", "supervisor-all", "supervisor-agency-b", "staff-a",
        "staff-a-asks-for-b"])
async def test_the_figures_equal_a_count_of_the_rows(
        desk: DeskClient, sessions, who: str, agency: str | None, first: str | None,
        last: str | None) -> None:
    await seed_at_random(sessions)
    async with sessions() as s:
        me = await s.get(Staff, SUPERVISOR_ID if who == "supervisor" else A_STAFF)
        p = period(first, last, TODAY.date(), ZONE, agency)
        f = await Reports(s, Scope(me), p, NOW).figures()
        tickets = (await s.scalars(select(Ticket))).all()
        messages = (await s.scalars(select(Message))).all()
        checkins = (await s.scalars(select(CheckIn))).all()
        agency_of = dict((await s.execute(select(Cadre.id, Cadre.agency_key))).all())

    def sees(key: str | None) -> bool:
        mine = who == "supervisor" or key == "a"
        return mine and (agency is None or key == agency)

    expected = counted(tickets, messages, checkins, agency_of, p, sees)
    blind = who != "supervisor" and agency == "b"
    assert blind or (expected["total"] > 0 and expected["resolution"][0] > 0)
    assert {
        "total": f.total, "per_day": f.per_day,
        "first_response": (f.first_response.count, f.first_response.median_minutes,
                           dict(f.first_response.buckets)),
        "resolution": (f.resolution.count, f.resolution.median_minutes,
                       dict(f.resolution.buckets)),
        "sla": (f.sla_hit, f.sla_missed), "ratings": (f.rated, f.positive, f.asked),
        "reasons": f.reasons, "inbound": f.inbound, "intents": f.intents,
        "checkins": (f.checkins_sent, f.checkins_answered),
    } == expected


async def test_response_and_resolution_times_follow_a_ticket_as_staff_handle_it(
        desk: DeskClient, sessions) -> None:
    """The generated minutes columns are the database's: set on insert, recomputed when the
    ticket is answered, closed and reopened (closed_at cleared)."""
    async with sessions.begin() as s:
        cadre = Cadre(name="张建国", merits=[], created_at=NOW, updated_at=NOW)
        s.add(cadre)
        await s.flush()
        ticket = Ticket(cadre_id=cadre.id, reason="complaint", priority=3, status="open",
                        question="问题", created_at=YESTERDAY)
        s.add(ticket)
    ticket_id = ticket.id

    async def figures():
        async with sessions() as s:
            me = await s.get(Staff, STAFF_ID)
            return await Reports(s, Scope(me), period(None, None, TODAY.date(), ZONE),
                                 NOW).figures()

    assert (await figures()).first_response.count == 0
    async with sessions.begin() as s:
        t = await s.get(Ticket, ticket_id)
        t.first_response_at, t.status = YESTERDAY + timedelta(minutes=95, seconds=30), "answered"
    f = await figures()
    assert (f.first_response.median_minutes, f.resolution.count) == (95, 0)
    async with sessions.begin() as s:
        t = await s.get(Ticket, ticket_id)
        t.closed_at, t.status = YESTERDAY + timedelta(minutes=600, seconds=5), "closed"
    assert (await figures()).resolution.median_minutes == 600
    async with sessions.begin() as s:
        t = await s.get(Ticket, ticket_id)
        t.closed_at, t.status = None, "reopened"
    f = await figures()
    assert (f.resolution.count, f.first_response.median_minutes) == (0, 95)
