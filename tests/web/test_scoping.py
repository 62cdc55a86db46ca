"""Agencies on the desk: staff of agency A never see agency B's tickets, cadres, check-ins,
figures or gaps, not in listings and not by URL; a supervisor sees all, and filters."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.storage.models import Agency, Cadre, CheckIn, Delivery, Message, ReviewedExample, Ticket
from tests.web.conftest import SUPERVISOR_ID, DeskClient, add_staff

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
A_STAFF, B_STAFF = 710001, 720001


@pytest.fixture
def desk_url(database_url: str) -> str:
    return database_url


@pytest.fixture
async def two_agencies(sessions) -> dict[str, dict[str, int]]:
    """Agencies a and b, each with a cadre (on the roster, silent for 40 days), an emergency
    ticket, a gap message; staff of each; the supervisor of all."""
    out: dict[str, dict[str, int]] = {}
    async with sessions.begin() as s:
        for key, name in (("a", "甲军休所"), ("b", "乙军休所")):
            s.add(Agency(key=key, name=name, region="shanghai", staff_chat=f"-100{ord(key)}",
                         created_at=NOW))
        await s.flush()
        for key, cadre_name, phone in (("a", "甲干部", "13800000001"),
                                       ("b", "乙干部", "13900000002")):
            cadre = Cadre(name=cadre_name, phone=phone, agency_key=key, on_roster=True,
                          merits=[], created_at=NOW - timedelta(days=60),
                          updated_at=NOW, last_contact_at=NOW - timedelta(days=40))
            s.add(cadre)
            await s.flush()
            ticket = Ticket(cadre_id=cadre.id, agency_key=key, reason="emergency", priority=4,
                            status="open", question=f"{cadre_name}摔倒了", created_at=NOW,
                            sla_due_at=NOW + timedelta(minutes=10))
            message = Message(cadre_id=cadre.id, transport="telegram", direction="in",
                              kind="text", text=f"{cadre_name}问住房补贴", intent="policy.other",
                              confidence=0.7, created_at=NOW)
            s.add_all([ticket, message])
            s.add(CheckIn(cadre_id=cadre.id, kind="monthly", status="alerted",
                          sent_at=NOW - timedelta(days=2), alerted_at=NOW - timedelta(hours=1)))
            await s.flush()
            out[key] = {"cadre": cadre.id, "ticket": ticket.id, "message": message.id}
    await add_staff(sessions, A_STAFF, "甲所干事", agency_key="a")
    await add_staff(sessions, B_STAFF, "乙所干事", agency_key="b")
    await add_staff(sessions, SUPERVISOR_ID, "总主管", "supervisor")
    return out


async def signed_in(client: DeskClient, user: int) -> DeskClient:
    assert (await client.login(user=user)).status_code == 303
    return client


async def test_staff_see_only_their_agencys_tickets_in_the_inbox(
        client: DeskClient, two_agencies) -> None:
    page = (await (await signed_in(client, A_STAFF)).get("/")).text
    assert f'href="/tickets/{two_agencies["a"]["ticket"]}"' in page
    assert f'href="/tickets/{two_agencies["b"]["ticket"]}"' not in page
    assert "乙干部" not in page and "甲军休所" in page


async def test_another_agencys_ticket_and_cadre_are_not_found_by_url(
        client: DeskClient, two_agencies, sessions) -> None:
    desk = await signed_in(client, A_STAFF)
    b = two_agencies["b"]
    assert (await desk.get(f"/tickets/{b['ticket']}")).status_code == 404
    assert (await desk.get(f"/cadres/{b['cadre']}")).status_code == 404
    await desk.get("/")
    for action in ("claim", "close", "reopen"):
        assert (await desk.post(f"/tickets/{b['ticket']}/{action}")).status_code == 404
    assert (await desk.post(f"/tickets/{b['ticket']}/reply", {"text": "越权回复"})
            ).status_code == 404
    assert (await desk.post("/checkins/contact", {"cadre_id": str(b["cadre"]),
                                                  "kind": "call"})).status_code == 404
    async with sessions() as s:
        assert (await s.get(Ticket, b["ticket"])).status == "open"
        assert (await s.scalars(select(Delivery))).all() == []


async def test_the_banner_checkins_reports_exports_and_gaps_are_scoped(
        client: DeskClient, two_agencies, sessions) -> None:
    desk = await signed_in(client, A_STAFF)
    alerts = (await desk.get("/alerts")).json()["emergencies"]
    assert [a["id"] for a in alerts] == [two_agencies["a"]["ticket"]]
    checkins = (await desk.get("/checkins")).text
    assert "甲干部" in checkins and "乙干部" not in checkins
    reports = (await desk.get("/reports", params={"from": "2026-11-01", "to": "2026-11-22"}))
    assert 'id="fig-total">1<' in reports.text
    sheet = load_workbook(io.BytesIO((await desk.get(
        "/reports/tickets.xlsx", params={"from": "2026-11-01", "to": "2026-11-22"})).content))
    rows = list(sheet.active.values)[1:]
    assert [(r[0], r[3]) for r in rows] == [(two_agencies["a"]["ticket"], "甲军休所")]
    gaps = (await desk.get("/gaps")).text
    assert "甲干部问住房补贴" in gaps and "乙干部问住房补贴" not in gaps
    await desk.post("/gaps", {"message_id": str(two_agencies["b"]["message"]),
                              "intent": "pension.allowances"})
    async with sessions() as s:
        assert (await s.scalars(select(ReviewedExample))).all() == []


async def test_an_agency_filter_cannot_widen_a_staff_members_view(
        client: DeskClient, two_agencies) -> None:
    desk = await signed_in(client, A_STAFF)
    page = (await desk.get("/", params={"agency": "b"})).text
    assert f'href="/tickets/{two_agencies["b"]["ticket"]}"' not in page
    reports = (await desk.get("/reports", params={"agency": "b", "from": "2026-11-01",
                                                  "to": "2026-11-22"})).text
    assert 'id="fig-total">0<' in reports


async def test_a_supervisor_sees_every_agency_and_filters_by_one(
        client: DeskClient, two_agencies) -> None:
    desk = await signed_in(client, SUPERVISOR_ID)
    page = (await desk.get("/")).text
    for key in ("a", "b"):
        assert f'href="/tickets/{two_agencies[key]["ticket"]}"' in page
    only_b = (await desk.get("/", params={"agency": "b"})).text
    assert f'href="/tickets/{two_agencies["a"]["ticket"]}"' not in only_b
    assert f'href="/tickets/{two_agencies["b"]["ticket"]}"' in only_b
    assert (await desk.get(f"/cadres/{two_agencies['b']['cadre']}")).status_code == 200
    reports = (await desk.get("/reports", params={"agency": "a", "from": "2026-11-01",
                                                  "to": "2026-11-22"})).text
    assert 'id="fig-total">1<' in reports


async def test_a_supervisor_sees_the_staff_of_every_agency(client: DeskClient, two_agencies
                                                           ) -> None:
    desk = await signed_in(client, SUPERVISOR_ID)
    page = (await desk.get("/staff")).text
    assert "甲所干事" in page and "乙所干事" in page
