"""The database failing under the running service.

* PostgreSQL restarted (`pg_ctl restart` on the throwaway server): every pooled connection is
  cut; the next `service.handle` works again (pool_pre_ping) and nothing stored before is lost.
* PostgreSQL down while a message arrives: the bot keeps trying to store it
  (`bot.telegram.intake.handle_durably`) and does not confirm the update to Telegram meanwhile;
  once the server is back the message is stored and answered, by both frameworks.
* SQLite written by two processes at once (the `junxiu staff add` CLI in a loop, the service
  handling messages): no "database is locked" reaches anyone, every write lands.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import App, build_app
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage.db import make_sessions
from bot.storage.models import AuditEntry, Delivery, Message, Staff, Ticket
from bot.telegram.intake import handle_durably
from tests.postgres import PostgresServer
from tests.reliability.conftest import STAFF_CHAT, HookedBotAPI, wait_until

pytestmark = pytest.mark.reliability

COMPLAINT = "我要投诉，工作人员态度很差"
QUESTION = "吉林退休自付十二万"
SUBSIDY = "四万五千元"

_update_ids = itertools.count(1)


def incoming(user: int, text: str) -> Incoming:
    return Incoming(transport="telegram", user_id=str(user), chat_id=str(user),
                    at=datetime.now(UTC), text=text, update_id=next(_update_ids))


async def count(app: App, model: type, *where: Any) -> int:
    async with make_sessions(app.engine)() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def settings_for(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, staff_chat_id=STAFF_CHAT)


# -- PostgreSQL -----------------------------------------------------------------------------


@pytest.mark.postgres
async def test_the_service_survives_a_postgres_restart_and_keeps_what_it_stored(
        postgres_server: PostgresServer, postgres_url: str) -> None:
    app = await build_app(settings_for(postgres_url))
    try:
        before = [await app.service.handle(incoming(2001, text))
                  for text in ("你好", COMPLAINT, QUESTION)]
        assert all(before)
        stored = (await count(app, Message), await count(app, Ticket),
                  await count(app, Delivery))
        assert stored[1] == 1

        await asyncio.to_thread(postgres_server.restart)  # every pooled connection is dead

        replies = await app.service.handle(incoming(2001, QUESTION))  # no retry needed
        assert any(SUBSIDY in r.text for r in replies)
        assert await count(app, Message, Message.id <= stored[0]) == stored[0]
        assert await count(app, Ticket) == 1
        assert await count(app, Delivery) > stored[2]
        assert await app.service.due("telegram") != []  # the outbox survived, too
    finally:
        await app.close()


@pytest.mark.postgres
async def test_a_message_arriving_while_postgres_is_down_is_stored_when_it_is_back(
        postgres_server: PostgresServer, postgres_url: str) -> None:
    app = await build_app(settings_for(postgres_url))
    try:
        await app.service.handle(incoming(2002, "你好"))
        await asyncio.to_thread(postgres_server.pause)
        try:
            msg = incoming(2002, COMPLAINT)
            storing = asyncio.create_task(handle_durably(app.service, msg))
            await asyncio.sleep(1.0)
            assert not storing.done(), "handled without a database?"
        finally:
            await asyncio.to_thread(postgres_server.resume)
        replies = await asyncio.wait_for(storing, 30)
        assert [r.chat_id for r in replies] == ["2002", str(STAFF_CHAT)]
        assert await count(app, Message, Message.update_id == msg.update_id) == 1
        assert await count(app, Ticket) == 1
    finally:
        await app.close()


@pytest.mark.postgres
async def test_the_running_bot_answers_through_a_postgres_outage(
        framework: str, postgres_server: PostgresServer, postgres_url: str,
        hooked_api: HookedBotAPI, fast_flush: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL goes down the moment Telegram accepts a reply (before the bot records it),
    and a complaint arrives during the outage. The reply is not sent twice, the complaint is
    neither lost nor confirmed to Telegram before it is stored, and everything is answered
    once the server is back."""
    from tests.e2e.conftest import BotRunner

    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    settings = Settings(_env_file=None, telegram_token=hooked_api.token,
                        telegram_api_url=hooked_api.url, staff_chat_id=STAFF_CHAT,
                        database_url=postgres_url)
    runner = BotRunner(framework, hooked_api, settings)
    await runner.start()
    paused: list[float] = []

    def pause_after_accepting(method: str, params: dict[str, Any], result: Any) -> None:
        hooked_api.after_send = None
        postgres_server.pause()  # blocks this loop briefly: the bot has not heard back yet
        paused.append(asyncio.get_running_loop().time())

    try:
        hooked_api.after_send = pause_after_accepting
        hooked_api.push_text(2003, QUESTION)
        try:
            await wait_until(lambda: paused, timeout=15, what="the outage")
            update = hooked_api.push_text(2003, COMPLAINT)
            await hooked_api.wait_delivered(timeout=10)  # the bot has it…
            await asyncio.sleep(1.0)
            assert update in hooked_api.pending_updates()  # …and has not confirmed it
        finally:
            await asyncio.to_thread(postgres_server.resume)

        await _replies(hooked_api, 2003, 2, timeout=40)
        [post] = await _replies(hooked_api, STAFF_CHAT, 1)
        assert post.params["text"].startswith("#1 ")
        hooked_api.push_text(2003, QUESTION)
        await _replies(hooked_api, 2003, 3)
        await asyncio.sleep(0.6)  # a few outbox passes
        assert len(_ok(hooked_api, 2003)) == 3, "a reply was sent twice"
        assert len(_ok(hooked_api, STAFF_CHAT)) == 1
        async with runner.sessions() as s:
            stored = (await s.scalars(select(Message.update_id).where(
                Message.direction == "in").order_by(Message.update_id))).all()
            statuses = (await s.scalars(select(Delivery.status))).all()
        assert list(stored) == [1, 2, 3]
        assert set(statuses) == {"sent"}
    finally:
        hooked_api.after_send = None
        await runner.stop()


def _ok(api: HookedBotAPI, chat: int) -> list[Any]:
    return [c for c in api.calls("sendMessage") if c.ok and c.params["chat_id"] == chat]


async def _replies(api: HookedBotAPI, chat: int, n: int, timeout: float = 15) -> list[Any]:
    return await api.wait_for("sendMessage", lambda c: c.ok and c.params["chat_id"] == chat,
                              count=n, timeout=timeout)


# -- SQLite: two writers ----------------------------------------------------------------------

CLI_WRITES = 25
CLI_LOOP = f"""
import sys
from bot.cli import main
for i in range({CLI_WRITES}):
    code = main(["staff", "add", str(900000 + i), "--name", f"员工{{i}}"])
    if code != 0:
        sys.exit(code)
"""


async def test_sqlite_written_by_the_cli_and_the_service_at_once_loses_nothing(
        tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/shared.sqlite3"
    app = await build_app(settings_for(url))
    env = {**os.environ, "JUNXIU_DATABASE_URL": url}
    cli = subprocess.Popen([sys.executable, "-c", CLI_LOOP], env=env, cwd=tmp_path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    handled = 0
    try:
        users = itertools.count(3001)
        while cli.poll() is None or handled < 40:
            # Four new cadres at once, two messages each, beside the CLI (new cadres: their
            # accounts are created concurrently too; few messages each: no flood control).
            batch = [incoming(user, text) for user in itertools.islice(users, 4)
                     for text in ("你好", QUESTION)]
            results = await asyncio.gather(*(app.service.handle(m) for m in batch))
            assert all(results)
            handled += len(batch)
        output = cli.communicate(timeout=60)[0].decode(errors="replace")
        assert cli.returncode == 0, output
        assert "locked" not in output
        assert await count(app, Staff) == CLI_WRITES
        assert await count(app, AuditEntry, AuditEntry.action == "staff.add") == CLI_WRITES
        assert await count(app, Message, Message.direction == "in") == handled
        assert await count(app, Message, Message.direction == "in",
                           Message.processed_at.is_(None)) == 0
        assert await count(app, Delivery) == handled
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
        await app.close()
