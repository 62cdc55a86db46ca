"""`/tickets/N`: the conversation, the reply box through the bot's outbox, claim, close,
reopen, canned replies, and a reply Telegram refused (403) marked on the page."""

from __future__ import annotations

from sqlalchemy import select

import knowledge
from bot.storage.models import AuditEntry, Delivery, Message, Ticket
from tests.web.conftest import STAFF_ID, DeskClient
from tests.web.test_inbox import COMPLAINT, EMERGENCY, name_cadre

ANSWER = "您好，已经安排专人每天值守电话，今天下午给您回电。"


async def deliveries_to(sessions, chat_id: str) -> list[Delivery]:
    async with sessions() as s:
        return list((await s.scalars(select(Delivery).where(Delivery.chat_id == chat_id)
                                     .order_by(Delivery.id))).all())


async def test_the_ticket_page_shows_the_whole_conversation(desk: DeskClient, chat) -> None:
    await chat.say("你好")
    await chat.say(COMPLAINT)
    page = await desk.get("/tickets/1")
    assert page.status_code == 200
    assert "你好" in page.text and COMPLAINT in page.text
    assert page.text.count("<textarea") == 1 and 'name="text"' in page.text


async def test_a_reply_goes_into_the_bots_outbox_for_the_cadre(
        desk: DeskClient, chat, sessions) -> None:
    await chat.say(COMPLAINT)
    before = len(await deliveries_to(sessions, chat.user))
    await desk.get("/tickets/1")
    response = await desk.post("/tickets/1/reply", {"text": ANSWER})
    assert response.status_code == 303 and response.headers["location"].startswith("/tickets/1")
    sent = (await deliveries_to(sessions, chat.user))[before:]
    relayed = knowledge.load().string("ui.staff_reply", text=ANSWER)
    assert sent[0].payload["text"] == relayed
    assert all(d.status == "pending" and d.transport == "console" for d in sent)
    assert sent[0].ticket_id == 1 and sent[0].message_id is not None
    async with sessions() as s:
        ticket = await s.get(Ticket, 1)
        assert (ticket.status, ticket.assignee_id) == ("answered", STAFF_ID)
        assert ticket.first_response_at is not None
        out = await s.get(Message, sent[0].message_id)
        assert (out.direction, out.text) == ("out", relayed) and out.author.startswith("staff:")
        audit = (await s.scalars(select(AuditEntry).where(
            AuditEntry.action == "ticket.reply"))).one()
        assert audit.actor == f"staff:{STAFF_ID}"
    page = (await desk.get(response.headers["location"])).text
    assert ANSWER in page and "已放入发送队列" in page


async def test_a_canned_reply_is_sent_as_it_is(desk: DeskClient, chat, sessions) -> None:
    await chat.say(COMPLAINT)
    page = (await desk.get("/tickets/1")).text
    canned = knowledge.load().string("canned.callback")
    assert canned in page
    await desk.post("/tickets/1/reply", {"text": "", "canned": "callback"})
    texts = [d.payload["text"] for d in await deliveries_to(sessions, chat.user)]
    assert knowledge.load().string("ui.staff_reply", text=canned) in texts


async def test_an_empty_reply_is_refused_on_the_page(desk: DeskClient, chat, sessions) -> None:
    await chat.say(COMPLAINT)
    await desk.get("/tickets/1")
    before = len(await deliveries_to(sessions, chat.user))
    response = await desk.post("/tickets/1/reply", {"text": "   "})
    assert response.status_code == 400 and 'class="error"' in response.text
    assert len(await deliveries_to(sessions, chat.user)) == before


async def test_a_reply_telegram_refused_is_marked_on_the_ticket(
        desk: DeskClient, chat, sessions, bot_app) -> None:
    await chat.say(COMPLAINT)
    await desk.get("/tickets/1")
    await desk.post("/tickets/1/reply", {"text": ANSWER})
    for delivery in await deliveries_to(sessions, chat.user):
        if delivery.ticket_id == 1:  # what the pump does on a 403
            await bot_app.service.failed(delivery.id, "unreachable: Forbidden: bot was "
                                                      "blocked by the user", permanent=True)
    page = (await desk.get("/tickets/1")).text
    assert "未能送达" in page and "对方已屏蔽机器人" in page
    assert 'class="line staff failed"' in page


async def test_claim_close_and_reopen(desk: DeskClient, chat, sessions) -> None:
    await chat.say(COMPLAINT)
    await desk.get("/tickets/1")
    assert (await desk.post("/tickets/1/claim")).status_code == 303
    async with sessions() as s:
        assert (await s.get(Ticket, 1)).status == "claimed"
    await desk.post("/tickets/1/close", {"note": "已电话沟通"})
    async with sessions() as s:
        ticket = await s.get(Ticket, 1)
        assert ticket.status == "closed" and ticket.closed_at is not None
    assert "重新打开" in (await desk.get("/tickets/1")).text
    await desk.post("/tickets/1/reopen")
    async with sessions() as s:
        ticket = await s.get(Ticket, 1)
        assert ticket.status == "reopened" and ticket.closed_at is None
        actions = [a for (a,) in (await s.execute(select(AuditEntry.action).where(
            AuditEntry.ticket_id == 1, AuditEntry.actor == f"staff:{STAFF_ID}")))]
    assert actions == ["ticket.claim", "ticket.close", "ticket.reopen"]


async def test_the_phone_is_whole_for_an_emergency_and_masked_otherwise(
        desk: DeskClient, chat, sessions) -> None:
    await chat.say(COMPLAINT)
    await name_cadre(sessions, chat.user, "张建国", "13800138000")
    page = (await desk.get("/tickets/1")).text
    assert "13800138000" not in page and "138****8000" in page
    async with sessions.begin() as s:
        (await s.get(Ticket, 1)).priority = 4
    assert 'href="tel:13800138000"' in (await desk.get("/tickets/1")).text


async def test_an_unknown_ticket_is_not_found(desk: DeskClient) -> None:
    assert (await desk.get("/tickets/999")).status_code == 404
    assert (await desk.get("/tickets/abc")).status_code == 404
    assert (await desk.get("/tickets/99999999999999999999")).status_code == 404


async def test_an_emergency_answered_stays_in_the_queue(desk: DeskClient, chat, sessions
                                                        ) -> None:
    await chat.say(EMERGENCY)
    await desk.get("/tickets/1")
    await desk.post("/tickets/1/reply", {"text": "我们马上联系您，请先拨打120。"})
    async with sessions() as s:
        assert (await s.get(Ticket, 1)).status == "claimed"
