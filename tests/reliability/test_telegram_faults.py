"""Telegram misbehaving under the running bot (PTB and aiogram, in this process against the fake
Bot API): 429 with retry_after, 500 and 502, a reply slower than the client's timeout, the
server unreachable for a while. Every reply and every staff alert arrives; the outbox retries
what failed (its pass runs every 0.2 s here instead of every second).

What cannot be exact: a send that times out on our side may still have reached Telegram, which
then shows the message twice (once from the slow request, once from the retry). There is no
idempotency key for sendMessage; the test below pins that to exactly one extra copy.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import pytest
from sqlalchemy import select

from bot.storage.models import Delivery
from tests.helpers.fake_bot_api import Call
from tests.reliability.conftest import STAFF_CHAT, HookedBotAPI, wait_until

pytestmark = pytest.mark.reliability

CADRE = 4242
QUESTION = "吉林退休自付十二万"
SUBSIDY = "四万五千元"
EMERGENCY = "我摔倒了起不来"
CLIENT_TIMEOUT = 2.0  # seconds; PTB's default is 5, aiogram's 60


def sends(api: HookedBotAPI, chat_id: int) -> list[Call]:
    return [c for c in api.calls("sendMessage") if c.params.get("chat_id") == chat_id]


def ok(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.ok]


async def all_sent(runner: Any) -> list[Delivery]:
    async with runner.sessions() as s:
        return list((await s.scalars(select(Delivery).order_by(Delivery.id))).all())


async def wait_ok(api: HookedBotAPI, chat_id: int, count: int = 1, timeout: float = 20
                  ) -> list[Call]:
    return await api.wait_for("sendMessage", lambda c: c.ok and c.params["chat_id"] == chat_id,
                              count=count, timeout=timeout)


async def test_429_twice_is_waited_out_for_the_cadre_and_the_staff_alert(
        runner: Any, hooked_api: HookedBotAPI) -> None:
    hooked_api.fail_next("sendMessage", status=429, retry_after=1, times=2)
    hooked_api.push_text(CADRE, EMERGENCY)

    [reply] = await wait_ok(hooked_api, CADRE)
    [alert] = await wait_ok(hooked_api, STAFF_CHAT)
    assert "120" in reply.params["text"]
    assert alert.params["text"].startswith("#1 ")
    assert len([c for c in hooked_api.calls("sendMessage") if c.status == 429]) == 2
    for chat in (CADRE, STAFF_CHAT):  # retry_after honoured for each refused send
        calls = sends(hooked_api, chat)
        refused = [c for c in calls if c.status == 429]
        [delivered] = ok(calls)
        assert refused == calls[:len(refused)]
        if refused:
            assert delivered.at - refused[-1].at >= 0.95
    await asyncio.sleep(0.6)  # a few outbox passes: nothing is sent again
    assert len(ok(sends(hooked_api, CADRE))) == 1
    assert len(ok(sends(hooked_api, STAFF_CHAT))) == 1
    assert {d.status for d in await all_sent(runner)} == {"sent"}


@pytest.mark.parametrize("status", [500, 502])
async def test_a_server_error_on_send_is_retried_from_the_outbox(
        runner: Any, hooked_api: HookedBotAPI, status: int) -> None:
    hooked_api.fail_next("sendMessage", status=status, retry_after=None)
    hooked_api.push_text(CADRE, QUESTION)

    [reply] = await wait_ok(hooked_api, CADRE)
    assert SUBSIDY in reply.params["text"]
    failed, delivered = sends(hooked_api, CADRE)
    assert (failed.status, delivered.status) == (status, 200)
    assert delivered.at - failed.at >= 1.9  # the outbox backoff: 2 s after the first failure
    await asyncio.sleep(0.6)
    assert len(ok(sends(hooked_api, CADRE))) == 1
    [delivery] = await all_sent(runner)
    assert (delivery.status, delivery.attempts) == ("sent", 2)


@pytest.fixture
def short_client_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both frameworks give up on a request after CLIENT_TIMEOUT (set before the bot starts)."""
    import telegram.ext._applicationbuilder as ptb_builder
    from aiogram.client.session.aiohttp import AiohttpSession
    from telegram.request import HTTPXRequest

    import bot.telegram.aiogram as aiogram_adapter

    monkeypatch.setattr(ptb_builder, "HTTPXRequest",
                        functools.partial(HTTPXRequest, read_timeout=CLIENT_TIMEOUT))
    monkeypatch.setattr(aiogram_adapter, "AiohttpSession",
                        functools.partial(AiohttpSession, timeout=CLIENT_TIMEOUT))


async def test_a_reply_slower_than_the_client_timeout_is_retried_and_arrives(
        short_client_timeout: None, runner: Any, hooked_api: HookedBotAPI) -> None:
    hooked_api.set_delay("sendMessage", CLIENT_TIMEOUT + 1.0)
    hooked_api.push_text(CADRE, QUESTION)
    await wait_until(lambda: hooked_api.delayed >= 1, timeout=10, what="the slow send")
    hooked_api.set_delay("sendMessage", 0)  # only the first attempt is slow

    copies = await wait_ok(hooked_api, CADRE, count=2)
    await asyncio.sleep(0.6)
    # The slow request reached "Telegram", which sent it after the bot had given up on it; the
    # outbox retried. Exactly one extra copy: the unavoidable at-least-once case.
    assert len(ok(sends(hooked_api, CADRE))) == 2
    assert all(SUBSIDY in c.params["text"] for c in copies)
    slow, retried = sorted(copies, key=lambda c: c.at)
    assert retried.at - slow.at >= 0.5
    [delivery] = await all_sent(runner)
    assert delivery.status == "sent"
    assert delivery.sent_message_id == retried.result["message_id"]


async def test_replies_and_staff_alerts_wait_out_telegram_being_unreachable(
        runner: Any, hooked_api: HookedBotAPI) -> None:
    """The server goes away right after handing out an emergency: the replies fail to connect,
    stay in the outbox, and go out once the server is back; polling recovers too."""
    went_down = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    def go_away(updates: list[dict[str, Any]]) -> None:
        hooked_api.on_handed_out = None

        async def stop() -> None:
            await hooked_api.stop()
            went_down.set()

        tasks.append(asyncio.get_running_loop().create_task(stop()))

    hooked_api.on_handed_out = go_away
    hooked_api.push_text(CADRE, EMERGENCY)
    await asyncio.wait_for(went_down.wait(), 10)
    await wait_until(lambda: _failed_attempts(runner), timeout=10, what="a failed send")
    await asyncio.sleep(1.5)  # down for a while: the outbox and the polling keep failing
    assert hooked_api.sent_messages() == []
    await hooked_api.start()  # back, on the same port

    [reply] = await wait_ok(hooked_api, CADRE)
    [alert] = await wait_ok(hooked_api, STAFF_CHAT)
    assert "120" in reply.params["text"]
    assert alert.params["text"].startswith("#1 ")

    hooked_api.push_text(CADRE, QUESTION)  # polling works again
    [_, answer] = await wait_ok(hooked_api, CADRE, count=2, timeout=30)
    assert SUBSIDY in answer.params["text"]
    await asyncio.sleep(0.6)
    assert len(ok(sends(hooked_api, CADRE))) == 2
    assert len(ok(sends(hooked_api, STAFF_CHAT))) == 1
    deliveries = await all_sent(runner)
    assert {d.status for d in deliveries} == {"sent"}
    assert all(d.attempts >= 2 for d in deliveries[:2])  # the two sent after the outage
    await asyncio.gather(*tasks)


async def _failed_attempts(runner: Any) -> bool:
    return any(d.last_error for d in await all_sent(runner))
