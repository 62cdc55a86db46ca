"""`/`: the inbox, and the emergency banner every page polls for."""

from __future__ import annotations

from sqlalchemy import select

from bot.storage.models import Cadre, Ticket
from tests.web.conftest import DeskClient, chat_as

COMPLAINT = "打了三天电话军休所都没人接，我要投诉"
EMERGENCY = "我老伴摔倒了，起不来了，快来人"


async def name_cadre(sessions, user_chat: str, name: str, phone: str) -> int:
    async with sessions.begin() as s:
        cadre = (await s.scalars(select(Cadre).order_by(Cadre.id.desc()))).first()
        cadre.name, cadre.phone = name, phone
        return cadre.id


async def test_a_ticket_shows_with_its_number_and_what_the_cadre_said(
        desk: DeskClient, chat, sessions) -> None:
    await chat.say(COMPLAINT)
    await name_cadre(sessions, chat.user, "张建国", "13800138000")
    page = await desk.get("/")
    assert page.status_code == 200
    assert "#1" in page.text and COMPLAINT in page.text and 'href="/tickets/1"' in page.text
    assert "张建国" in page.text


async def test_phones_are_masked_in_the_inbox(desk: DeskClient, chat, sessions) -> None:
    await chat.say(COMPLAINT)
    await name_cadre(sessions, chat.user, "张建国", "13800138000")
    page = await desk.get("/")
    assert "13800138000" not in page.text and "138****8000" in page.text


async def test_emergencies_come_first_then_the_others_by_priority(
        desk: DeskClient, bot_app, clock, update_ids, sessions) -> None:
    await chat_as(bot_app, clock, update_ids, "u1").say(COMPLAINT)
    clock.advance(minutes=5)
    await chat_as(bot_app, clock, update_ids, "u2").say(EMERGENCY)
    async with sessions() as s:
        reasons = dict((await s.execute(select(Ticket.id, Ticket.reason))).all())
    assert reasons == {1: "complaint", 2: "emergency"}
    page = (await desk.get("/")).text
    assert page.index('href="/tickets/2"') < page.index('href="/tickets/1"')


async def test_overdue_tickets_come_before_others_of_their_priority(
        desk: DeskClient, bot_app, clock, update_ids, sessions) -> None:
    await chat_as(bot_app, clock, update_ids, "u1").say("我要找人工")
    await chat_as(bot_app, clock, update_ids, "u2").say("帮我转人工客服")
    async with sessions.begin() as s:
        first, second = (await s.scalars(select(Ticket).order_by(Ticket.id))).all()
        assert first.priority == second.priority
        second.sla_due_at = clock() - (first.sla_due_at - clock())  # already past due
    page = (await desk.get("/")).text
    assert page.index('href="/tickets/2"') < page.index('href="/tickets/1"')
    assert "已超时" in page


async def test_search_finds_a_cadre_by_name_or_phone(
        desk: DeskClient, bot_app, clock, update_ids, sessions) -> None:
    await chat_as(bot_app, clock, update_ids, "u1").say(COMPLAINT)
    await name_cadre(sessions, "u1", "张建国", "13800138000")
    await chat_as(bot_app, clock, update_ids, "u2").say("我要找人工")
    await name_cadre(sessions, "u2", "李秀英", "13900139000")
    by_name = (await desk.get("/", params={"q": "秀英"})).text
    assert 'href="/tickets/2"' in by_name and 'href="/tickets/1"' not in by_name
    by_phone = (await desk.get("/", params={"q": "0013 8000"})).text
    assert 'href="/tickets/1"' in by_phone and 'href="/tickets/2"' not in by_phone


async def test_closed_tickets_leave_the_default_view_but_stay_findable(
        desk: DeskClient, chat, sessions) -> None:
    await chat.say(COMPLAINT)
    async with sessions.begin() as s:
        (await s.get(Ticket, 1)).status = "closed"
    assert 'href="/tickets/1"' not in (await desk.get("/")).text
    assert 'href="/tickets/1"' in (await desk.get("/", params={"status": "closed"})).text


async def test_an_unclaimed_emergency_is_announced_to_every_page(
        desk: DeskClient, chat) -> None:
    assert (await desk.get("/alerts")).json() == {"emergencies": []}
    await chat.say(EMERGENCY)
    alerts = (await desk.get("/alerts")).json()["emergencies"]
    assert [a["id"] for a in alerts] == [1] and alerts[0]["url"] == "/tickets/1"
    page = (await desk.get("/checkins")).text
    assert 'id="emergency-banner"' in page and "/static/desk.js" in page
    assert "/static/alert.wav" in page
    await desk.get("/tickets/1")
    await desk.post("/tickets/1/claim")
    assert (await desk.get("/alerts")).json() == {"emergencies": []}


async def test_every_asset_is_served_by_the_desk_itself(desk: DeskClient) -> None:
    page = (await desk.get("/")).text
    assert "http://" not in page and "https://" not in page
    for asset in ("/static/desk.css", "/static/desk.js", "/static/alert.wav"):
        response = await desk.get(asset)
        assert response.status_code == 200 and response.content
