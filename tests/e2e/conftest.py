"""The real bot, in-process, polling the fake Bot API: once with python-telegram-bot and once
with aiogram. `BotRunner` starts and stops it the way `junxiu run` does, and can restart it on
the same database to show that nothing is lost in between."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App, build_app
from bot.settings import Settings
from bot.storage.db import make_sessions
from tests.helpers.fake_bot_api import Call, FakeBotAPI

FRAMEWORKS = ("ptb", "aiogram")
# Every scenario runs on SQLite; on PostgreSQL (a new database on the throwaway server) only
# these, whose state crosses a restart, the outbox, the staff desk or a timer, to keep the
# suite fast. JUNXIU_TEST_ALL_DATABASES=1 runs every scenario on both.
ON_POSTGRES = frozenset({
    "test_a_pressed_region_button_is_answered_and_remembered",
    "test_the_outbox_flush_does_not_resend_a_reply_held_up_by_a_429",
    "test_a_restart_mid_conversation_keeps_the_pending_question",
    "test_asking_for_a_person_posts_a_ticket_to_the_staff_group",
    "test_a_complaint_is_answered_by_replying_to_the_post_and_rated",
    "test_an_emergency_is_re_alerted_until_someone_claims_it",
    "test_a_voice_message_is_stored_and_handed_to_staff_with_its_audio",
    "test_an_edited_message_is_answered_as_the_corrected_question",
    "test_a_voice_note_whose_download_fails_is_kept_and_handed_to_staff",
})
CADRE = 4242  # a cadre's Telegram user id (and private chat id)
STAFF_CHAT = -100777  # the staff group


class _InFlight:
    """aiogram runs each update as a task that stop_polling does not wait for; this outer
    middleware counts them so a stop lets the running handlers finish, as PTB's stop does."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Callable[..., Awaitable[Any]], event: Any,
                       data: dict[str, Any]) -> Any:
        self.count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if self.count == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float = 10.0) -> None:
        await asyncio.wait_for(self._idle.wait(), timeout)


class BotRunner:
    """One bot process: the app (database, service) plus one framework polling the fake."""

    def __init__(self, framework: str, api: FakeBotAPI, settings: Settings, *,
                 clock: Callable[[], dtm.datetime] | None = None) -> None:
        self.framework = framework
        self.api = api
        self.settings = settings
        self.clock = clock
        self.app: App | None = None
        self._stop: Callable[[], Awaitable[None]] | None = None

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        assert self.app is not None, "the bot is not running"
        return make_sessions(self.app.engine)

    async def start(self) -> None:
        assert self.app is None, "already running"
        self.app = await (build_app(self.settings) if self.clock is None
                          else build_app(self.settings, clock=self.clock))
        starter = self._start_ptb if self.framework == "ptb" else self._start_aiogram
        try:
            self._stop = await starter(self.app)
        except BaseException:
            await self.app.close()
            self.app = None
            raise

    async def stop(self) -> None:
        if self.app is None:
            return
        try:
            if self._stop is not None:
                await self._stop()
        finally:
            self._stop = None
            await self.app.close()
            self.app = None

    async def restart(self) -> None:
        """A new process on the same database (and the same Bot API server)."""
        await self.stop()
        await self.start()

    async def _start_ptb(self, app: App) -> Callable[[], Awaitable[None]]:
        from bot.telegram.ptb import build_application

        application = build_application(self.settings, app.service)
        await application.initialize()
        try:
            await application.post_init(application)  # run_polling would call it
            await application.start()
            await application.updater.start_polling(poll_interval=0.0,
                                                    timeout=dtm.timedelta(seconds=1))
        except BaseException:
            if application.running:
                await application.stop()
            await application.shutdown()
            raise

        async def stop() -> None:
            try:
                if application.updater.running:
                    await application.updater.stop()
                if application.running:
                    await application.stop()  # waits for the updates being handled
            finally:
                await application.shutdown()

        return stop

    async def _start_aiogram(self, app: App) -> Callable[[], Awaitable[None]]:
        from aiogram.methods import DeleteWebhook

        from bot.telegram import pump
        from bot.telegram.aiogram import build_bot, build_dispatcher, build_scheduler, sender

        dp = build_dispatcher(app.service)
        bot = build_bot(self.settings,
                        request_middlewares=(dp["intake"].aiogram_request_middleware(),))
        in_flight = _InFlight()
        dp.update.outer_middleware(in_flight)
        service = app.service
        try:  # what run_polling does before polling (and its timers below)
            await bot(DeleteWebhook())
            await pump.flush_outbox(service, sender(bot))
        except BaseException:
            await bot.session.close()
            raise
        scheduler = build_scheduler(service, bot)
        scheduler.start()
        polling = asyncio.create_task(
            dp.start_polling(bot, handle_signals=False, polling_timeout=1))

        async def stop() -> None:
            try:
                await in_flight.wait_idle()
                if not polling.done():
                    with contextlib.suppress(RuntimeError):  # "Polling is not started" yet
                        await dp.stop_polling()
                try:
                    await asyncio.wait_for(asyncio.shield(polling), 5)
                except TimeoutError:
                    polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
            finally:
                scheduler.shutdown(wait=False)  # cancels a pass still running
                await asyncio.sleep(0)  # and lets it end
                await bot.session.close()

        return stop


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the e2e scenarios not in ON_POSTGRES from the PostgreSQL run."""
    if os.environ.get("JUNXIU_TEST_ALL_DATABASES") == "1":
        return
    here = os.path.dirname(__file__)
    keep, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_kind") == "postgres"
        if (on_postgres and str(item.path).startswith(here + os.sep)
                and getattr(item, "originalname", item.name) not in ON_POSTGRES):
            dropped.append(item)
        else:
            keep.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def e2e_settings(fake_api: FakeBotAPI, database_url: str) -> Settings:
    """On SQLite and on PostgreSQL (`database_url` in tests/conftest.py)."""
    return Settings(_env_file=None, telegram_token=fake_api.token,
                    telegram_api_url=fake_api.url, database_url=database_url,
                    staff_chat_id=STAFF_CHAT)


@pytest.fixture
async def runner(framework: str, fake_api: FakeBotAPI, e2e_settings: Settings,
                 monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotRunner]:
    """The bot, started; stopped cleanly after the test."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # else PTB warns on every RetryAfter/duration
    fake_api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
    bot = BotRunner(framework, fake_api, e2e_settings)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


@pytest.fixture(autouse=True)
async def _no_leftover_tasks() -> AsyncIterator[None]:
    """Every test leaves the event loop as it found it (set up first, so checked last)."""
    yield
    current = asyncio.current_task()
    for _ in range(50):  # transports close a few loop iterations after the server stops
        left = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not left:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"tasks left running: {left}")


# -- reading what the bot sent ---------------------------------------------------------------


def sends_to(api: FakeBotAPI, chat_id: int) -> list[Call]:
    """Successful sendMessage calls to one chat, in order."""
    return [c for c in api.calls("sendMessage") if c.ok and c.params.get("chat_id") == chat_id]


async def replies_to(api: FakeBotAPI, push: Callable[[], Any], *, chat_id: int = CADRE,
                     count: int = 1, timeout: float = 10.0) -> list[Call]:
    """Push an update and wait for the next `count` messages the bot sends to `chat_id`."""
    before = len(sends_to(api, chat_id))
    push()
    calls = await api.wait_for(
        "sendMessage", lambda c: c.ok and c.params["chat_id"] == chat_id,
        count=before + count, timeout=timeout)
    return calls[before:]


def inline_data(call: Call) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]
