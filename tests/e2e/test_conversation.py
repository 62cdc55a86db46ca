"""A cadre's conversation through the real Telegram stacks (python-telegram-bot and aiogram),
polling the fake Bot API server. Each scenario runs once per framework."""

from __future__ import annotations

import asyncio
import importlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import knowledge
from bot.storage.models import Account, Cadre, Message, Ticket
from tests.e2e.conftest import (
    CADRE,
    STAFF_CHAT,
    BotRunner,
    inline_data,
    replies_to,
    sends_to,
)
from tests.helpers.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e

QUESTION = "我在吉林，退休的，医疗补助怎么算"
SUBSIDY = "四万五千元"  # 吉林 退休, 自付十二万: (10万-5万)×70% + (12万-10万)×50%


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


async def the_cadre(runner: BotRunner) -> Cadre:
    """The cadre behind the test user's Telegram account."""
    async with runner.sessions() as s:
        account = (await s.scalars(select(Account).where(
            Account.transport == "telegram", Account.external_id == str(CADRE)))).one()
        return await s.get(Cadre, account.cadre_id)


async def test_start_shows_the_menu_and_asks_for_the_region(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    menu, region = await replies_to(fake_api, lambda: fake_api.push_command(CADRE, "start"),
                                    count=2)

    assert menu.params["text"] == ui("ui.welcome")
    keyboard = menu.params["reply_markup"]["keyboard"]
    labels = [b["text"] for row in keyboard for b in row]
    assert "找工作人员" in labels
    assert [b["text"] for row in keyboard for b in row if b.get("request_contact")] == [
        ui("ui.share_phone")]
    assert region.params["text"] == ui("ask.region")
    assert "pick:jilin" in inline_data(region)
    await fake_api.assert_no_call("sendMessage", lambda c: c.params["chat_id"] == CADRE
                                  and c not in (menu, region), within=0.3)


async def test_a_pressed_region_button_is_answered_and_remembered(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    _, region = await replies_to(fake_api, lambda: fake_api.push_command(CADRE, "start"),
                                 count=2)
    await replies_to(fake_api, lambda: fake_api.push_callback(
        CADRE, "pick:jilin", message_id=region.result["message_id"]))

    assert fake_api.calls("answerCallbackQuery")  # the button stops spinning
    assert (await the_cadre(runner)).region == "jilin"


async def test_a_computed_answer_with_its_article(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    [answer] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "吉林退休自付十二万"))

    text = answer.params["text"]
    assert SUBSIDY in text
    [citation] = [line for line in text.splitlines() if line.startswith("依据")]
    assert "第二十条" in citation


async def test_a_follow_up_question_is_completed_by_the_next_message(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    [asked] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, QUESTION))
    assert ui("ask.amount") in asked.params["text"]

    [answer] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "十二万"))
    assert SUBSIDY in answer.params["text"]


async def test_clarification_buttons_lead_to_the_chosen_answer(
        runner: BotRunner, fake_api: FakeBotAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    # Force "which one did you mean?" for every matched message, whatever the tuning.
    monkeypatch.setattr(importlib.import_module("intents.understand"), "MARGIN", 10.0)

    [clarify] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "疗养怎么安排"))
    assert clarify.params["text"].startswith(ui("ui.clarify"))  # choices said in words too
    choices = inline_data(clarify)
    assert choices[-1] == "pick:human_agent"  # always a way to a person
    chosen = choices[0]

    [answer] = await replies_to(fake_api, lambda: fake_api.push_callback(
        CADRE, chosen, message_id=clarify.result["message_id"]))
    assert fake_api.calls("answerCallbackQuery")
    assert not answer.params["text"].startswith(ui("ui.clarify"))
    async with runner.sessions() as s:
        last_in = (await s.scalars(select(Message).where(Message.direction == "in")
                                   .order_by(Message.id.desc()).limit(1))).one()
    assert (last_in.kind, last_in.intent) == ("callback", chosen.removeprefix("pick:"))


async def test_sharing_the_phone_links_the_roster_cadre(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    now = datetime.now(UTC)
    async with runner.sessions.begin() as s:
        roster = Cadre(name="王建国", phone="13800138000", region="jilin", on_roster=True,
                       merits=[], created_at=now, updated_at=now)
        s.add(roster)
    [linked] = await replies_to(fake_api,
                                lambda: fake_api.push_contact(CADRE, "+86 138 0013 8000"))

    assert "王建国" in linked.params["text"]
    assert (await the_cadre(runner)).id == roster.id


async def test_a_429_on_send_is_waited_out_and_the_reply_arrives(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    fake_api.fail_next("sendMessage", status=429, retry_after=1)
    [answer] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "吉林退休自付十二万"))

    assert SUBSIDY in answer.params["text"]
    refused, delivered = fake_api.calls("sendMessage")
    assert (refused.status, delivered.status) == (429, 200)
    assert delivered.at - refused.at >= 1.0
    await fake_api.assert_no_call("sendMessage", lambda c: c is not delivered and c.ok,
                                  within=0.5)  # sent once, not again from the outbox



@pytest.fixture
def fast_outbox_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    """The periodic outbox flush every 0.2 s instead of every second (set before the bot starts)."""
    from bot.telegram import pump

    monkeypatch.setattr(pump, "FLUSH_SECONDS", 0.2)


async def test_the_outbox_flush_does_not_resend_a_reply_held_up_by_a_429(
        fast_outbox_flush: None, runner: BotRunner, fake_api: FakeBotAPI) -> None:
    fake_api.fail_next("sendMessage", status=429, retry_after=1)
    await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "吉林退休自付十二万"))

    await asyncio.sleep(0.6)  # a few more flushes
    assert [c.status for c in fake_api.calls("sendMessage")] == [429, 200]

async def test_a_restart_mid_conversation_keeps_the_pending_question(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    [asked] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, QUESTION))
    assert ui("ask.amount") in asked.params["text"]

    await runner.restart()  # a new process on the same database
    [answer] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "十二万"))

    assert SUBSIDY in answer.params["text"]
    texts = [c.params["text"] for c in sends_to(fake_api, CADRE)]
    assert texts == [asked.params["text"], answer.params["text"]]  # nothing answered twice


async def test_asking_for_a_person_posts_a_ticket_to_the_staff_group(
        runner: BotRunner, fake_api: FakeBotAPI) -> None:
    [post] = await replies_to(fake_api, lambda: fake_api.push_text(CADRE, "转人工"),
                              chat_id=STAFF_CHAT)

    assert "#1" in post.params["text"]
    assert "转人工" in post.params["text"]
    assert {"claim:1", "close:1"} <= set(inline_data(post))
    await fake_api.wait_for("sendMessage", lambda c: c.ok and c.params["chat_id"] == CADRE
                            and ui("ui.ticket.opened", n=1, days=runner.settings.sla_working_days)
                            in c.params["text"])
    async with runner.sessions() as s:
        ticket = (await s.scalars(select(Ticket))).one()
    assert ticket.reason == "human_agent"
