"""`/reports` and its exports, on SQLite and PostgreSQL (the aggregates differ by dialect):
the figures from a small known set of tickets, messages and check-ins."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.storage.models import Cadre, CheckIn, Message, Staff, Ticket
from bot.web.export import HEADERS
from bot.web.reports import Reports, period
from bot.web.scope import Scope
from tests.web.conftest import STAFF_ID, DeskClient

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
