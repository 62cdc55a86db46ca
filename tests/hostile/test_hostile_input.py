"""Hostile and odd input never breaks the assistant: every text of the corpus is understood
without an exception and answered in Chinese on both transports; stickers, photos, documents,
locations, edits and group messages get a kind reply or are ignored, through both Telegram
frameworks; and a flood is stored, paced and answered later, never dropped."""

from __future__ import annotations

import itertools
import logging
import math
import re
import traceback
from datetime import date, datetime
from io import StringIO
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

import knowledge
from bot.app import App
from bot.console import ConsoleChat
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage import repo
from bot.storage.db import make_sessions
from bot.storage.models import Account, Message
from bot.telegram.convert import incoming_from_message
from intents import understand
from junxiu_core import INTENTS
from tests.bot.conftest import Chat, Clock
from tests.e2e.conftest import CADRE, STAFF_CHAT, BotRunner, replies_to, sends_to
from tests.helpers.fake_bot_api import FakeBotAPI
from tests.hostile.corpus import LONG, categories, corpus

TODAY = date(2026, 11, 22)
HAN = re.compile(r"[\u3400-\u9fff]")
TELEGRAM_LIMIT = 4096  # characters (UTF-16 code units) in one message
USERS = 5  # Telegram senders, round robin: the conversation state varies between inputs
SECONDS_BETWEEN = 4  # per message: well under flood control (the flood test is below)


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


CASES = corpus()


# -- the corpus itself -------------------------------------------------------------------------


def test_the_corpus_is_large_deterministic_and_covers_every_kind() -> None:
    assert len(CASES) >= 1000
    assert corpus() == CASES
    assert {"whitespace", "long", "emoji", "invisible", "bidi", "zalgo", "sql", "html",
            "format", "path", "shell", "language", "digits", "phone", "command",
            "long_word", "punctuation", "full_width", "fuzz"} <= set(categories())
    assert "" in {c.text for c in CASES}
    assert max(len(c.text) for c in CASES) == LONG
    every_control = {chr(c) for c in range(0x20)} | {"\u200b", "\u200f", "\u2028", "\u2029",
                                                     "\ufeff"}
    assert every_control <= {c.text for c in CASES}


# -- understanding -----------------------------------------------------------------------------


@pytest.mark.parametrize("category", categories())
def test_understand_copes_with_every_input(category: str) -> None:
    failures = []
    for case in (c for c in CASES if c.category == category):
        try:
            u = understand(case.text, TODAY)
            assert u.intent in INTENTS, u.intent
            assert math.isfinite(u.confidence) and u.confidence >= 0
            assert isinstance(u.text, str)
            assert all(intent in INTENTS for intent, _ in u.alternatives)
        except Exception:
            failures.append(f"{case!r}\n{traceback.format_exc(limit=3)}")
    assert not failures, f"{len(failures)} failed:\n" + "\n".join(failures[:10])


# -- the service, on both transports ---------------------------------------------------------


def telegram_incoming(text: str, user: int, update_id: int, at: datetime) -> Incoming:
    """What the Telegram adapters make of a private text message (the shared converter)."""
    person = SimpleNamespace(id=user, first_name="测试")
    message = SimpleNamespace(from_user=person, chat=SimpleNamespace(id=user, type="private"),
                              date=at, reply_to_message=None, contact=None, voice=None,
                              audio=None, text=text, caption=None, photo=None, document=None,
                              message_id=update_id)
    return incoming_from_message(message, update_id)


def problems_with(replies: list[Reply], chat_id: str) -> list[str]:
    """What is wrong with the replies to one message (nothing, for a good answer)."""
    found = []
    mine = [r for r in replies if r.chat_id == chat_id]
    if not mine:
        found.append("no reply to the sender")
    for r in mine:
        if not r.text.strip() or not HAN.search(r.text):
            found.append(f"reply without Chinese text: {r.text[:80]!r}")
    for r in replies:  # the cadre's and the staff group's: Telegram refuses longer ones
        if utf16_len(r.text) > TELEGRAM_LIMIT:
            found.append(f"reply to {r.chat_id} too long for Telegram: {utf16_len(r.text)}")
        if not r.text.strip():
            found.append(f"empty reply to {r.chat_id}")
    return found


@pytest.mark.parametrize("transport", ["console", "telegram"])
async def test_the_service_answers_every_input_in_chinese(
        transport: str, app: App, clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    console = ConsoleChat(app, out=StringIO())
    update_ids = itertools.count(1)
    failures = []
    for i, case in enumerate(CASES):
        clock.advance(seconds=SECONDS_BETWEEN)
        try:
            if transport == "console":
                msg = console._incoming(case.text)  # exactly what `junxiu chat` builds
            else:
                msg = telegram_incoming(case.text, 9000 + i % USERS, next(update_ids), clock())
            replies = await app.service.handle(msg)
            if transport == "console":
                await console.send(replies)  # prints, presses numbers, marks delivered
        except Exception:
            failures.append(f"{case!r}: {traceback.format_exc(limit=4)}")
            continue
        failures += [f"{case!r}: {p}" for p in problems_with(replies, msg.chat_id)]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures[:15])
    assert not errors, [r.getMessage() for r in errors[:5]]
    async with make_sessions(app.engine)() as s:  # everything stored, everything finished
        inbound = await s.scalar(select(func.count()).select_from(Message).where(
            Message.direction == "in"))
        unfinished = await s.scalar(select(func.count()).select_from(Message).where(
            Message.direction == "in", Message.processed_at.is_(None)))
    assert (inbound, unfinished) == (len(CASES), 0)


async def test_a_stored_hostile_message_is_replayed_after_a_crash(
        app: App, clock: Clock) -> None:
    """What `resume` rebuilds from the database is as odd as what came in, and still fine."""
    # Stored as `handle` stores them, which takes NUL out first (PostgreSQL refuses it).
    odd = [c for c in CASES if c.category in ("invisible", "bidi", "format", "command")
           and "\x00" not in c.text]
    for i, case in enumerate(odd):
        msg = telegram_incoming(case.text, 7000 + i, 100_000 + i, clock())
        async with make_sessions(app.engine).begin() as s:  # stored, then "the process died"
            account = await repo.account_for(s, msg, msg.at)
            await repo.record_inbound(s, account.cadre_id, msg, msg.at)
    replies = await app.service.resume("telegram")
    answered = {r.chat_id for r in replies}
    assert answered >= {str(7000 + i) for i in range(len(odd))}
    assert all(HAN.search(r.text) for r in replies)


# -- non-text updates through both frameworks -------------------------------------------------

SENTINEL = 5151  # another user whose answer shows that earlier updates were fetched
GROUP = -200300  # a group someone added the bot to


async def settle(api: FakeBotAPI) -> None:
    """Everything pushed so far was fetched and handled: a later message got its answer."""
    await replies_to(api, lambda: api.push_text(SENTINEL, "你好"), chat_id=SENTINEL)


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    records = caplog.get_records("setup") + caplog.get_records("call")
    errors = [f"{r.name}: {r.getMessage()}" for r in records if r.levelno >= logging.ERROR]
    assert not errors, errors


MEDIA = {
    "sticker": lambda api: api.push_sticker(CADRE, emoji="👍"),
    "photo_without_caption": lambda api: api.push_photo(CADRE),
    "document": lambda api: api.push_document(CADRE, b"%PDF-1.4 fake",
                                              file_name="../../etc/passwd"),
    "location": lambda api: api.push_location(CADRE, 39.9042, 116.4074),
}


@pytest.mark.e2e
@pytest.mark.parametrize("kind", sorted(MEDIA))
async def test_media_gets_the_kind_unsupported_reply(
        kind: str, bot: BotRunner, fake_api: FakeBotAPI,
        caplog: pytest.LogCaptureFixture) -> None:
    [reply] = await replies_to(fake_api, lambda: MEDIA[kind](fake_api))

    assert reply.params["text"] == ui("ui.unsupported")
    await settle(fake_api)
    assert len(sends_to(fake_api, CADRE)) == 1
    assert not sends_to(fake_api, STAFF_CHAT)  # nothing pretends to be a hand-over
    no_errors_logged(caplog)
    async with bot.sessions() as s:
        [stored] = (await s.scalars(select(Message).where(
            Message.direction == "in", Message.kind == "other"))).all()
    assert stored.processed_at is not None


@pytest.mark.e2e
async def test_a_hostile_caption_is_read_as_plain_text(
        bot: BotRunner, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    """A caption is understood like typed text (issue 13 part 6): markup and format braces
    in it are words, not code."""
    caption = "转人工 <b>x</b> {0}"
    [reply] = await replies_to(fake_api, lambda: fake_api.push_photo(CADRE, caption=caption))

    assert reply.params["text"] != ui("ui.unsupported") and HAN.search(reply.params["text"])
    [post] = await fake_api.wait_for("sendMessage", lambda c: c.ok and
                                     c.params["chat_id"] == STAFF_CHAT)
    assert "{0}" in post.params["text"] or "<b>" in post.params["text"]  # said as written
    no_errors_logged(caplog)
    async with bot.sessions() as s:
        [stored] = (await s.scalars(select(Message).where(Message.direction == "in"))).all()
    assert stored.text == caption and stored.processed_at is not None


@pytest.mark.e2e
async def test_an_edited_message_is_answered_once_as_the_correction(
        bot: BotRunner, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    pushed = fake_api.push_text(CADRE, "你好")
    [first] = await fake_api.wait_for("sendMessage",
                                      lambda c: c.ok and c.params["chat_id"] == CADRE)
    [corrected] = await replies_to(fake_api, lambda: fake_api.push_edited_text(
        CADRE, pushed["message"]["message_id"], "转人工"))

    assert corrected is not first
    await settle(fake_api)
    assert len(sends_to(fake_api, CADRE)) == 2  # the greeting, then the correction's answer
    no_errors_logged(caplog)


@pytest.mark.e2e
async def test_messages_in_a_group_the_bot_was_added_to_are_ignored(
        bot: BotRunner, fake_api: FakeBotAPI, caplog: pytest.LogCaptureFixture) -> None:
    fake_api.add_chat(GROUP, chat_type="group", title="老战友群")
    for text in ("你好", "转人工", "我老伴摔倒了起不来", "/start", "/help", "/voice", "/queue",
                 "/ticket 1", "/reply 1 你好", "/start@junxiu_test_bot"):
        fake_api.push_text(CADRE, text, chat_id=GROUP)
    fake_api.push_sticker(CADRE, chat_id=GROUP)
    fake_api.push_location(CADRE, 1.0, 2.0, chat_id=GROUP)

    await settle(fake_api)
    await fake_api.assert_no_call("sendMessage", lambda c: c.params["chat_id"] != SENTINEL,
                                  within=0.5)
    no_errors_logged(caplog)
    async with bot.sessions() as s:  # not a conversation: no cadre made up from group talk
        accounts = (await s.scalars(select(Account.external_id))).all()
    assert str(CADRE) not in accounts


# -- flood control -----------------------------------------------------------------------------

FLOOD = 100
TOPICS = ("疗养怎么安排", "医疗补助怎么算", "你好", "谢谢", "出国要报备吗", "体检什么时候",
          "我能参加疗养吗", "养老院有补贴吗")


async def processed(app: App, user: str) -> tuple[int, int]:
    """(stored, answered) inbound messages of one console user."""
    async with make_sessions(app.engine)() as s:
        cadre_id = await s.scalar(select(Account.cadre_id).where(Account.external_id == user))
        rows = (await s.scalars(select(Message).where(
            Message.cadre_id == cadre_id, Message.direction == "in"))).all()
    return len(rows), sum(m.processed_at is not None for m in rows)


async def test_a_flood_is_stored_paced_and_answered_later_never_dropped(
        app: App, clock: Clock, settings: Settings) -> None:
    limit = settings.flood_per_minute
    ids = itertools.count(1)
    flooder, calm = Chat(app, clock, ids, user="flooder"), Chat(app, clock, ids, user="calm")
    notice = ui("ui.flood")
    started = clock()

    told: list[Reply] = []
    for i in range(FLOOD):  # 100 messages in 50 seconds
        told += flooder.mine(await flooder.say(TOPICS[i % len(TOPICS)]))
        clock.advance(seconds=0.5)
        if i == FLOOD // 2:  # meanwhile someone else is answered at once, not starved
            [other] = calm.mine(await calm.say("医疗补助怎么算"))
            assert other.text != notice and HAN.search(other.text)
    assert (clock() - started).total_seconds() < 60

    stored, answered = await processed(app, "flooder")
    assert stored == FLOOD  # every message kept
    assert answered <= limit
    assert [r.text for r in told].count(notice) == 1  # one kind word, not a hundred
    assert len(told) - 1 >= answered  # and each answered message got its answer

    rounds = 0
    while answered < FLOOD:  # the rest, at the allowed pace, as time passes
        clock.advance(seconds=61)
        before = answered
        replies = await app.service.resume("console")
        stored, answered = await processed(app, "flooder")
        assert 0 < answered - before <= limit
        assert len(flooder.mine(replies)) >= answered - before
        assert notice not in {r.text for r in replies}
        rounds += 1
        assert rounds <= FLOOD // limit + 1
    assert stored == FLOOD
    assert await app.service.resume("console") == []


async def test_flood_control_counts_each_cadre_alone(app: App, clock: Clock,
                                                     settings: Settings) -> None:
    ids = itertools.count(1)
    chats = [Chat(app, clock, ids, user=f"u{n}") for n in range(3)]
    for _ in range(settings.flood_per_minute):
        for chat in chats:  # 3 × the limit in total, but each cadre within it
            [reply] = chat.mine(await chat.say("你好"))
            assert reply.text != ui("ui.flood")
    assert [(await processed(app, c.user))[1] for c in chats] == \
        [settings.flood_per_minute] * 3
