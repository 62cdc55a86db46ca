"""Shared fixtures for the whole test suite."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import App, build_app
from bot.settings import Settings
from tests.helpers.clock import Clock
from tests.helpers.fake_bot_api import FakeBotAPI
from tests.postgres import PostgresServer, PostgresUnavailable

DATABASES = ("sqlite", "postgres")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "reliability: crashes, restarts and faults "
                                       "(tests/reliability)")


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    """A started fake Bot API server on 127.0.0.1, stopped after the test."""
    async with FakeBotAPI() as api:
        yield api


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(reason: str) -> None:
    """Skip, except in CI: there a missing PostgreSQL fails the run instead of hiding."""
    if _in_ci():
        pytest.fail(f"PostgreSQL is required when CI=true: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the whole session (initdb into a temporary
    directory, fsync off, a free port on 127.0.0.1); stopped and deleted at the end."""
    reason = None
    try:
        server = PostgresServer.find()
        server.start()
    except PostgresUnavailable as exc:
        reason = str(exc)
    if reason is not None:
        _unavailable(reason)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def postgres_url(postgres_server: PostgresServer) -> AsyncIterator[str]:
    """A fresh, empty database on the throwaway server, dropped after the test."""
    url = await postgres_server.create_database()
    try:
        yield url
    finally:
        await postgres_server.drop_database(url)


@pytest.fixture(params=[pytest.param("sqlite"),
                        pytest.param("postgres", marks=pytest.mark.postgres)])
def database_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database for one test, once on SQLite (a file) and once on PostgreSQL (a new
    database on the throwaway server). The schema is built by Alembic when the app starts."""
    if database_kind == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/junxiu.sqlite3"
    return request.getfixturevalue("postgres_url")


# -- the service on a test database, with a clock the test moves ----------------------------

STAFF_CHAT = -100500  # the staff group of the service-level tests


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """On SQLite and on PostgreSQL (`database_url` above)."""
    return Settings(_env_file=None, database_url=database_url, staff_chat_id=STAFF_CHAT)


@pytest.fixture
async def app(settings: Settings, clock: Clock, tmp_path: Path,
              monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    monkeypatch.chdir(tmp_path)  # voice files go to ./var/audio: keep them out of the repo
    app = await build_app(settings, clock=clock)
    try:
        yield app
    finally:
        await app.close()
