"""Fixtures for the hostile-input tests: the service on a SQLite file under a clock the test
moves, and the real bot (PTB or aiogram) against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.e2e.conftest import FRAMEWORKS, STAFF_CHAT, BotRunner
from tests.helpers.fake_bot_api import FakeBotAPI


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
