"""Staff's side of incidents (issue 12 part 5): a ticket's whole conversation, the ticket list
by status, and later messages about the same emergency joining its ticket."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import staff
from bot.app import App
from bot.messages import Incoming
from bot.storage.db import make_engine, make_sessions
from bot.storage.models import Cadre, Staff, Ticket
from tests.bot.conftest import STAFF_CHAT, Chat, Clock, staff_posts

STAFF_USER = 4401


async def staff_member(app: App) -> None:
    async with make_sessions(app.engine).begin() as s:
        s.add(Staff(user_id=STAFF_USER, name="王芳", role="staff", created_at=datetime.now(UTC)))


def staff_says(clock: Clock, text: str, command: str, args: str) -> Incoming:
    return Incoming(transport="telegram", user_id=str(STAFF_USER), chat_id=str(STAFF_CHAT),
                    at=clock(), text=text, kind="command", command=command,
                    command_args=args, chat_type="supergroup")


async def tickets_of(app: App) -> list[Ticket]:
    async with make_sessions(app.engine)() as s:
        return list((await s.scalars(select(Ticket).order_by(Ticket.id))).all())


async def test_tickets_show_prints_the_whole_conversation_with_who_and_when(
        app: App, chat: Chat, clock: Clock) -> None:
    await staff_member(app)
    await chat.say("我要投诉，医疗补助申请了半年都没批下来")
    [ticket] = await tickets_of(app)
    clock.advance(minutes=5)
    await app.service.handle(staff_says(clock, f"/reply {ticket.id} 您好，明天上午给您回电话",
                                        "reply", f"{ticket.id} 您好，明天上午给您回电话"))
    clock.advance(minutes=2)
    await chat.say("好的，谢谢")
    async with make_sessions(app.engine)() as s:
        text = await staff.ticket_text(s, ticket.id)
    lines = text.splitlines()
    assert any(re.match(r"\d\d-\d\d \d\d:\d\d 干部：我要投诉", line) for line in lines), text
    assert any(" 助手：" in line for line in lines), text
    assert any(" 工作人员王芳：" in line and "明天上午给您回电话" in line for line in lines), text
    assert any(line.endswith("干部：好的，谢谢") for line in lines), text


async def test_a_second_emergency_message_joins_its_ticket_and_reaches_staff(
        app: App, chat: Chat, clock: Clock) -> None:
    first = await chat.say("我老伴摔倒了起不来")
    assert staff_posts(first)
    clock.advance(minutes=4)
    second = await chat.say("他现在叫不醒了")
    [ticket] = await tickets_of(app)
    [update] = staff_posts(second)
    assert f"#{ticket.id}" in update.text and "叫不醒" in update.text
    assert any("120" in r.text for r in chat.mine(second))


async def test_an_emergency_next_day_is_a_new_incident(
        app: App, chat: Chat, clock: Clock) -> None:
    await chat.say("我老伴摔倒了起不来")
    clock.advance(hours=app.settings.incident_hours + 1)
    await chat.say("我胸口疼得厉害，喘不上气")
    assert len(await tickets_of(app)) == 2


def test_tickets_list_all_and_by_status(tmp_path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    url = f"sqlite+aiosqlite:///{tmp_path}/desk.sqlite3"
    monkeypatch.setenv("JUNXIU_DATABASE_URL", url)
    assert main(["tickets", "list"]) == 0  # creates the schema

    async def seed() -> None:
        engine = make_engine(url)
        now = datetime.now(UTC)
        async with make_sessions(engine).begin() as s:
            cadre = Cadre(name="李", on_roster=True, merits=[], created_at=now, updated_at=now)
            s.add(cadre)
            await s.flush()
            for status in ("open", "closed", "answered"):
                s.add(Ticket(cadre_id=cadre.id, reason="complaint", priority=2, status=status,
                             created_at=now - timedelta(hours=1)))
        await engine.dispose()

    asyncio.run(seed())
    capsys.readouterr()
    assert main(["tickets", "list"]) == 0
    out = capsys.readouterr().out
    assert "#1 " in out and "#2 " not in out and "#3 " not in out
    assert main(["tickets", "list", "--all"]) == 0
    out = capsys.readouterr().out
    assert all(f"#{n} " in out for n in (1, 2, 3))
    assert main(["tickets", "list", "--status", "closed"]) == 0
    out = capsys.readouterr().out
    assert "#2 " in out and "#1 " not in out and "#3 " not in out
