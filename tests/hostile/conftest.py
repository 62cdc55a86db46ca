"""Fixtures for the hostile-input tests: the service on a SQLite file under a clock the test
moves, and the real bot (PTB or aiogram) against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from tests.bot.conftest import Clock
from tests.e2e.conftest import FRAMEWORKS, STAFF_CHAT, BotRunner
from tests.helpers.fake_bot_api import FakeBotAPI

SERVICE_STAFF_CHAT = -100500


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """On SQLite and on PostgreSQL (`database_url` in tests/conftest.py)."""
    return Settings(_env_file=None, database_url=database_url,
                    staff_chat_id=SERVICE_STAFF_CHAT)


@pytest.fixture
async def app(settings: Settings, clock: Clock, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    monkeypatch.chdir(tmp_path)  # voice files go to ./var/audio: keep them out of the repo
    app = await build_app(settings, clock=clock)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture(params=FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def bot(framework: str, fake_api: FakeBotAPI, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotRunner]:
    """The real bot polling the fake, with the staff group declared; stopped after the test."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.chdir(tmp_path)
    fake_api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
    settings = Settings(_env_file=None, telegram_token=fake_api.token,
                        telegram_api_url=fake_api.url,
                        database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3",
                        staff_chat_id=STAFF_CHAT)
    runner = BotRunner(framework, fake_api, settings)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()
