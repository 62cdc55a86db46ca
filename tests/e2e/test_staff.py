"""Staff escalation through the real Telegram stacks: a ticket posted to the staff group, staff
answering by reply and by /reply, the answer relayed and rated, emergencies re-alerted until
claimed, overdue tickets reminded. Each scenario runs once per framework."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import knowledge
from bot.storage.models import AuditEntry, Staff, Ticket
from tests.e2e.conftest import CADRE, STAFF_CHAT, BotRunner, inline_data, replies_to, sends_to
from tests.helpers.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e

STAFF_USER = 777001
COMPLAINT = "打了三天电话军休所都没人接，我要投诉"


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


@pytest.fixture
def fast_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Outbox flush and staff alerts every 0.2 s instead of 1 s / 30 s."""
    from bot.telegram import pump

    monkeypatch.setattr(pump, "FLUSH_SECONDS", 0.2)
    monkeypatch.setattr(pump, "ALERT_SECONDS", 0.2)


async def add_staff(runner: BotRunner) -> None:
    async with runner.sessions.begin() as s:
        s.add(Staff(user_id=STAFF_USER, name="王主任", role="staff", created_at=datetime.now(UTC)))


async def the_ticket(runner: BotRunner) -> Ticket:
    async with runner.sessions() as s:
        return (await s.scalars(select(Ticket))).one()


async def test_a_complaint_is_answered_by_replying_to_the_post_and_rated(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    await add_staff(runner)
    [post] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, COMPLAINT),
                              chat_id=STAFF_CHAT)
    assert "#1" in post.params["text"] and COMPLAINT in post.params["text"]

    relayed, rate = await replies_to(fake_api, lambda: fake_api.push_text(
        STAFF_USER, "您好，已经安排专人每天值守电话，今天下午给您回电。", chat_id=STAFF_CHAT,
        reply_to_message_id=post.result["message_id"]), count=2)
    assert relayed.params["text"] == ui("ui.staff_reply",
                                        text="您好，已经安排专人每天值守电话，今天下午给您回电。")
    assert inline_data(rate) == [f"rate:1:{k}" for k in range(1, 6)]
    ticket = await the_ticket(runner)
    assert (ticket.status, ticket.assignee_id) == ("answered", STAFF_USER)
    assert ticket.first_response_at is not None

    [thanks] = await replies_to(fake_api, lambda: fake_api.push_callback(
        CADRE, "rate:1:5", message_id=rate.result["message_id"]))
    assert thanks.params["text"] == ui("ui.rate.thanks")
    assert (await the_ticket(runner)).rating == 5


async def test_staff_answer_with_the_reply_command_and_a_saved_reply(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    await add_staff(runner)
    await replies_to(fake_api, lambda: fake_api.push_text(CADRE, COMPLAINT), chat_id=STAFF_CHAT)

    [ack] = await replies_to(fake_api, lambda: fake_api.push_text(
        STAFF_USER, "/reply 1 :callback", chat_id=STAFF_CHAT), chat_id=STAFF_CHAT)
    assert ack.params["text"] == ui("ui.staff.replied", n=1)
    await fake_api.wait_for("sendMessage", lambda c: c.ok and c.params["chat_id"] == CADRE
                            and c.params["text"] == ui("ui.staff_reply",
                                                       text=ui("canned.callback")))
    async with runner.sessions() as s:
        actions = [a.action for a in (await s.scalars(select(AuditEntry))).all()]
    assert "ticket.reply" in actions


async def test_someone_not_on_the_staff_roster_is_refused_and_learns_nothing(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    await replies_to(fake_api, lambda: fake_api.push_text(CADRE, COMPLAINT), chat_id=STAFF_CHAT)
    [refusal] = await replies_to(fake_api, lambda: fake_api.push_text(
        999, "/queue", chat_id=STAFF_CHAT), chat_id=STAFF_CHAT)
    assert refusal.params["text"] == ui("ui.staff.refused")
    assert (await the_ticket(runner)).status == "open"


async def test_an_emergency_is_re_alerted_until_someone_claims_it(
        fast_timers: None, runner: BotRunner, fake_api: FakeBotAPI) -> None:
    await add_staff(runner)
    runner.settings.emergency_realert_minutes = 0.01  # 0.6 s instead of 5 minutes
    answer, post = await asyncio.gather(
        replies_to(fake_api, lambda: fake_api.push_text(CADRE, "我老伴摔倒了起不来，快来人")),
        fake_api.wait_for("sendMessage", lambda c: c.ok and c.params["chat_id"] == STAFF_CHAT))
    assert "120" in answer[0].params["text"]
    assert "紧急" in post[0].params["text"]

    reminders = await fake_api.wait_for(
        "sendMessage", lambda c: c.ok and c.params["chat_id"] == STAFF_CHAT
        and ui("ui.staff.reminder") in c.params["text"], count=2, timeout=10)
    assert len(reminders) >= 2

    await replies_to(fake_api, lambda: fake_api.push_callback(
        STAFF_USER, "claim:1", message_id=post[0].result["message_id"], chat_id=STAFF_CHAT),
        chat_id=STAFF_CHAT)
    assert (await the_ticket(runner)).status == "claimed"
    settled = len(sends_to(fake_api, STAFF_CHAT))
    await asyncio.sleep(1.5)  # several alert passes
    assert len(sends_to(fake_api, STAFF_CHAT)) == settled  # claimed: no more re-alerts


async def test_an_overdue_ticket_is_reminded_once_a_day(
        fast_timers: None, runner: BotRunner, fake_api: FakeBotAPI) -> None:
    await replies_to(fake_api, lambda: fake_api.push_text(CADRE, COMPLAINT), chat_id=STAFF_CHAT)
    async with runner.sessions.begin() as s:
        ticket = (await s.scalars(select(Ticket))).one()
        ticket.sla_due_at = datetime.now(UTC) - timedelta(minutes=1)  # its SLA just passed

    [reminder] = await fake_api.wait_for(
        "sendMessage", lambda c: c.ok and c.params["chat_id"] == STAFF_CHAT
        and ui("ui.staff.reminder") in c.params["text"], timeout=10)
    assert "#1" in reminder.params["text"]
    await asyncio.sleep(1.0)  # more alert passes: still one reminder (the next is tomorrow)
    reminders = [c for c in sends_to(fake_api, STAFF_CHAT)
                 if ui("ui.staff.reminder") in c.params["text"]]
    assert len(reminders) == 1
    assert (await the_ticket(runner)).last_alert_at is not None
