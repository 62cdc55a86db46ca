"""Fixtures for the reliability tests: a fake Bot API that can run a hook at an exact moment
(right after it accepted a sendMessage, right when a getUpdates confirms updates) and can be
stopped and started again on the same port; `junxiu run` as a real subprocess that a test can
SIGKILL; and readers for what ended up in the database and in the chats."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.storage.db import make_engine, make_sessions
from bot.storage.models import Account, Delivery, Message, Ticket
from tests.helpers.fake_bot_api import FakeBotAPI

STAFF_CHAT = -100777
REPO = Path(__file__).resolve().parents[2]

Hook = Callable[[str, dict[str, Any], Any], None]


class HookedBotAPI(FakeBotAPI):
    """The fake Bot API, plus:

    * `after_send`: called with (method, params, result) after a send* call was accepted and
      before the HTTP answer is written: killing the bot there leaves it no time to record
      that Telegram has the message (the at-least-once window, made exact);
    * `on_confirm`: called with the offset when a getUpdates confirms earlier updates, before
      anything else happens: killing the bot there is the worst moment for updates fetched
      but perhaps not stored yet;
    * `on_handed_out`: called with the updates a getUpdates is about to return;
    * `start()` again after `stop()` listens on the same port, so a bot configured with the
      URL finds it again (Telegram "unreachable for a while");
    * `polls` and `delayed` count getUpdates requests and requests held by `set_delay` as they
      arrive (`calls()` records a request only when it is answered).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.after_send: Hook | None = None
        self.on_confirm: Callable[[int], None] | None = None
        self._port: int | None = None
        self._confirmed = 0
        self.polls = 0  # getUpdates requests received (calls are recorded when answered)
        self.delayed = 0  # requests held back by set_delay so far
        self.on_handed_out: Callable[[list[dict[str, Any]]], None] | None = None

    async def start(self) -> None:
        if self._port is None:
            await super().start()
            self._port = int(self.url.rsplit(":", 1)[1])
            return
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self._port, reuse_address=True)
        await site.start()
        self._closing = False

    async def _get_updates(self, parsed: Any) -> list[dict[str, Any]]:
        self.polls += 1
        self._notify()
        offset = int(parsed.params.get("offset") or 0)
        if offset > self._confirmed:
            self._confirmed = offset
            if self.on_confirm is not None:
                self.on_confirm(offset)
        updates = await super()._get_updates(parsed)
        if updates and self.on_handed_out is not None:
            self.on_handed_out(updates)
        return updates

    async def _sleep(self, seconds: float) -> None:
        self.delayed += 1
        self._notify()
        await super()._sleep(seconds)

    async def _send_message(self, parsed: Any) -> dict[str, Any]:
        result = await super()._send_message(parsed)
        if self.after_send is not None:
            self.after_send("sendMessage", parsed.params, result)
        return result


@pytest.fixture
async def hooked_api() -> AsyncIterator[HookedBotAPI]:
    api = HookedBotAPI()
    await api.start()
    api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
    try:
        yield api
    finally:
        await api.stop()


# -- `junxiu run` as a subprocess ------------------------------------------------------------


class BotProcess:
    """`python -m bot.cli run [--framework aiogram]`, started and killed by the test."""

    def __init__(self, framework: str, api: HookedBotAPI, database_url: str, workdir: Path,
                 **env: str) -> None:
        self.framework = framework
        self.api = api
        self.workdir = workdir
        self.env = {
            **os.environ,
            "JUNXIU_TELEGRAM_TOKEN": api.token,
            "JUNXIU_TELEGRAM_API_URL": api.url,
            "JUNXIU_DATABASE_URL": database_url,
            "JUNXIU_STAFF_CHAT_ID": str(STAFF_CHAT),
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self._polls_before = 0
        self.log_path = workdir / "bot.log"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.runs += 1
        self._polls_before = self.api.polls
        args = [sys.executable, "-m", "bot.cli", "run"]
        if self.framework != "ptb":
            args += ["--framework", self.framework]
        with self.log_path.open("ab") as log:
            log.write(f"\n===== start #{self.runs} =====\n".encode())
            log.flush()
            self.proc = subprocess.Popen(args, cwd=self.workdir, env=self.env, stdout=log,
                                         stderr=subprocess.STDOUT)

    def kill(self) -> None:
        """SIGKILL: no handler runs, no transaction is finished, no socket is closed nicely."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    async def wait_dead(self, timeout: float = 10.0) -> None:
        assert self.proc is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while self.proc.poll() is None:
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the bot did not die")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """SIGTERM, as a service manager would; SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            await asyncio.wait_for(asyncio.to_thread(self.proc.wait), 15)
        except TimeoutError:
            self.kill()
            await asyncio.to_thread(self.proc.wait)

    async def wait_ready(self, timeout: float = 60.0) -> None:
        """Until this run polls: it has finished what the last run left (resume, outbox)."""
        await wait_until(lambda: self.api.polls > self._polls_before, timeout=timeout,
                         what=f"the bot to poll\n--- bot log ---\n{self.log()}")

    def log(self, last: int = 60) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-last:])


@pytest.fixture
async def bot_process_factory(tmp_path: Path) -> AsyncIterator[Callable[..., BotProcess]]:
    made: list[BotProcess] = []

    def make(framework: str, api: HookedBotAPI, database_url: str, **env: str) -> BotProcess:
        workdir = tmp_path / f"bot-{len(made)}"
        workdir.mkdir()
        bot = BotProcess(framework, api, database_url, workdir, **env)
        made.append(bot)
        return bot

    try:
        yield make
    finally:
        for bot in made:
            bot.kill()
            if bot.proc is not None:
                await asyncio.to_thread(bot.proc.wait)


# -- what the bot did ------------------------------------------------------------------------


@dataclass
class Outcome:
    """The database and the chats after a run."""

    inbound: list[Message]
    deliveries: list[Delivery]
    tickets: list[Ticket]
    sent: list[dict[str, Any]]  # messages the fake accepted, in order
    users: dict[int, int]  # cadre id → Telegram user id

    def tickets_by_user(self) -> dict[int, list[str]]:
        by_user: dict[int, list[str]] = {}
        for ticket in self.tickets:
            by_user.setdefault(self.users[ticket.cadre_id], []).append(ticket.reason)
        return by_user

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["chat"]["id"] == chat_id]

    def orphan_sends(self) -> list[dict[str, Any]]:
        """Accepted messages no outbox row claims: each is a second copy of a reply whose
        first copy Telegram accepted but the bot did not live to record."""
        recorded = Counter((d.chat_id, d.sent_message_id) for d in self.deliveries
                           if d.status == "sent")
        orphans = []
        for m in self.sent:
            key = (str(m["chat"]["id"]), m["message_id"])
            if recorded[key]:
                recorded[key] -= 1
            else:
                orphans.append(m)
        return orphans


async def read_outcome(database_url: str, api: FakeBotAPI) -> Outcome:
    engine = make_engine(database_url)
    try:
        async with make_sessions(engine)() as s:
            inbound = list((await s.scalars(select(Message).where(Message.direction == "in")
                                             .order_by(Message.id))).all())
            deliveries = list((await s.scalars(select(Delivery).order_by(Delivery.id))).all())
            tickets = list((await s.scalars(select(Ticket).order_by(Ticket.id))).all())
            users = {a.cadre_id: int(a.external_id)
                     for a in (await s.scalars(select(Account))).all()}
    finally:
        await engine.dispose()
    return Outcome(inbound, deliveries, tickets, api.sent_messages(), users)


async def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str,
                     interval: float = 0.05) -> None:
    """Poll an (async or plain) predicate until it is true."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(interval)


# -- the bot in this process (tests/e2e's BotRunner) on the hooked fake ----------------------

FLUSH_SECONDS = 0.2


@pytest.fixture
def fast_flush(monkeypatch: pytest.MonkeyPatch) -> None:
    """The periodic outbox pass every 0.2 s instead of every second (set before the bot starts)."""
    from bot.telegram import pump

    monkeypatch.setattr(pump, "FLUSH_SECONDS", FLUSH_SECONDS)


@pytest.fixture(params=["ptb", "aiogram"])
def framework(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def runner(framework: str, hooked_api: HookedBotAPI, fast_flush: None,
                 tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Any]:
    """The bot in this process (PTB, then aiogram) polling the hooked fake, on a SQLite file,
    with a fast outbox flush."""
    from bot.settings import Settings
    from tests.e2e.conftest import BotRunner

    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    settings = Settings(_env_file=None, telegram_token=hooked_api.token,
                        telegram_api_url=hooked_api.url, staff_chat_id=STAFF_CHAT,
                        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3")
    bot = BotRunner(framework, hooked_api, settings)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
