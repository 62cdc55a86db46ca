"""Several agencies on one bot, through the real Telegram stacks: each cadre's complaint
reaches only their own agency's staff group, staff there answer it by replying to the post
(message ids are per chat: both groups' first post is message 1), and see only their own
agency's tickets. An emergency tells the cadre their own agency's duty phone. Each scenario
runs once per framework, without JUNXIU_STAFF_CHAT_ID (the agencies' groups only)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

import knowledge
from bot.settings import Settings
from bot.storage.models import Account, Agency, Cadre, Staff, Ticket
from tests.e2e.conftest import BotRunner, replies_to, sends_to
from tests.helpers.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e

WEIHAI_GROUP, LIAOCHENG_GROUP = -100901, -100902
ZHANG, LI = 5001, 5002  # a cadre of each agency (Telegram user id = private chat id)
WEIHAI_STAFF, LIAOCHENG_STAFF = 777101, 777102
WEIHAI_COMPLAINT = "我要投诉，威海这边报销拖了三个月还没办"
LIAOCHENG_COMPLAINT = "我要投诉，聊城这里打电话一直没人接"


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


@pytest.fixture
def e2e_settings(fake_api: FakeBotAPI, database_url: str) -> Settings:
    """No settings group: every cadre belongs to an agency with its own."""
    return Settings(_env_file=None, telegram_token=fake_api.token,
                    telegram_api_url=fake_api.url, database_url=database_url)


@pytest.fixture
async def agencies(runner: BotRunner, fake_api: FakeBotAPI) -> None:
    fake_api.add_chat(WEIHAI_GROUP, title="威海一所工作群")
    fake_api.add_chat(LIAOCHENG_GROUP, title="聊城所工作群")
    now = datetime.now(UTC)
    async with runner.sessions.begin() as s:
        s.add_all([Agency(key="wh1", name="威海市第一军休所", region="weihai",
                          staff_chat=str(WEIHAI_GROUP), duty_phone="0631-5201234",
                          created_at=now),
                   Agency(key="lc", name="聊城市军休所", region="liaocheng",
                          staff_chat=str(LIAOCHENG_GROUP), duty_phone="0635-8888888",
                          created_at=now)])
        await s.flush()
        for user, name, key in ((ZHANG, "张建国", "wh1"), (LI, "李红", "lc")):
            cadre = Cadre(name=name, agency_key=key, on_roster=True, merits=[],
                          created_at=now, updated_at=now)
            s.add(cadre)
            await s.flush()
            s.add(Account(transport="telegram", external_id=str(user), chat_id=str(user),
                          cadre_id=cadre.id, created_at=now))
        s.add_all([Staff(user_id=WEIHAI_STAFF, name="王主任", agency_key="wh1",
                         created_at=now),
                   Staff(user_id=LIAOCHENG_STAFF, name="赵主任", agency_key="lc",
                         created_at=now)])


async def test_a_complaint_from_each_agency_reaches_only_its_own_group(
        agencies: None, runner: BotRunner, fake_api: FakeBotAPI) -> None:
    [weihai_post] = await replies_to(fake_api, lambda: fake_api.push_text(
        ZHANG, WEIHAI_COMPLAINT), chat_id=WEIHAI_GROUP)
    [liaocheng_post] = await replies_to(fake_api, lambda: fake_api.push_text(
        LI, LIAOCHENG_COMPLAINT), chat_id=LIAOCHENG_GROUP)

    assert WEIHAI_COMPLAINT in weihai_post.params["text"]
    assert "张建国" in weihai_post.params["text"]
    assert LIAOCHENG_COMPLAINT in liaocheng_post.params["text"]
    await asyncio.sleep(0.3)  # anything else on its way out
    weihai_texts = [c.params["text"] for c in sends_to(fake_api, WEIHAI_GROUP)]
    liaocheng_texts = [c.params["text"] for c in sends_to(fake_api, LIAOCHENG_GROUP)]
    assert not any(LIAOCHENG_COMPLAINT in t or "李红" in t for t in weihai_texts)
    assert not any(WEIHAI_COMPLAINT in t or "张建国" in t for t in liaocheng_texts)
    # Both groups' first post is message 1: a reply in each group answers its own ticket.
    assert weihai_post.result["message_id"] == liaocheng_post.result["message_id"]

    [relayed, _rate] = await replies_to(fake_api, lambda: fake_api.push_text(
        LIAOCHENG_STAFF, "李老您好，明天上午给您回电话。", chat_id=LIAOCHENG_GROUP,
        reply_to_message_id=liaocheng_post.result["message_id"]), chat_id=LI, count=2)
    assert relayed.params["text"] == ui("ui.staff_reply", text="李老您好，明天上午给您回电话。")
    assert sends_to(fake_api, ZHANG)[-1].params["text"] != relayed.params["text"]
    async with runner.sessions() as s:
        status = {t.agency_key: t.status for t in (await s.scalars(select(Ticket))).all()}
    assert status == {"wh1": "open", "lc": "answered"}


async def test_staff_see_and_answer_only_their_own_agencys_tickets(
        agencies: None, runner: BotRunner, fake_api: FakeBotAPI) -> None:
    await replies_to(fake_api, lambda: fake_api.push_text(ZHANG, WEIHAI_COMPLAINT),
                     chat_id=WEIHAI_GROUP)
    await replies_to(fake_api, lambda: fake_api.push_text(LI, LIAOCHENG_COMPLAINT),
                     chat_id=LIAOCHENG_GROUP)
    async with runner.sessions() as s:
        number = {t.agency_key: t.id for t in (await s.scalars(select(Ticket))).all()}

    [queue] = await replies_to(fake_api, lambda: fake_api.push_text(
        WEIHAI_STAFF, "/queue", chat_id=WEIHAI_GROUP), chat_id=WEIHAI_GROUP)
    assert f"#{number['wh1']}" in queue.params["text"]
    assert f"#{number['lc']}" not in queue.params["text"]

    [refused] = await replies_to(fake_api, lambda: fake_api.push_text(
        WEIHAI_STAFF, f"/reply {number['lc']} 我来处理", chat_id=WEIHAI_GROUP),
        chat_id=WEIHAI_GROUP)
    assert refused.params["text"] == ui("ui.staff.no_ticket", n=number["lc"])
    await asyncio.sleep(0.3)
    assert not any("我来处理" in c.params["text"] for c in sends_to(fake_api, LI))


async def test_an_emergency_tells_the_cadre_their_own_agencys_duty_phone(
        agencies: None, runner: BotRunner, fake_api: FakeBotAPI) -> None:
    answer, post = await asyncio.gather(
        replies_to(fake_api, lambda: fake_api.push_text(LI, "我老伴摔倒了起不来，快来人"),
                   chat_id=LI),
        fake_api.wait_for("sendMessage", lambda c: c.ok
                          and c.params["chat_id"] == LIAOCHENG_GROUP))

    assert "0635-8888888" in answer[0].params["text"]
    assert "0631-5201234" not in answer[0].params["text"]
    assert "紧急" in post[0].params["text"]
    assert "李红（聊城）" in post[0].params["text"]  # the agency's region, the record has none
    assert sends_to(fake_api, WEIHAI_GROUP) == []
