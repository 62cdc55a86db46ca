"""The desk in process: the conversation service and the desk on one database (SQLite, or
PostgreSQL where a test asks for both), one clock the test moves, and a browser-like client
that keeps cookies and sends each form's csrf_token back as a browser would."""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App, build_app
from bot.settings import Settings
from bot.storage.db import make_sessions, upgrade_sync
from bot.storage.models import Staff
from bot.web import auth, create_app
from tests.bot.conftest import Chat
from tests.helpers.clock import Clock

STAFF_CHAT = -100600
PASSWORD = "correct horse 1"
STAFF_ID = 700001
SUPERVISOR_ID = 700002
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = TOKEN.search(html)
    assert found, "no csrf_token on the page"
    return found.group(1)


class DeskClient:
    """A browser on the desk: cookies kept, the last page's csrf_token sent with each form."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.token: str | None = None

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.get(path, **kwargs)
        if found := TOKEN.search(response.text if "html" in response.headers.get(
                "content-type", "") else ""):
            self.token = found.group(1)
        return response

    async def post(self, path: str, data: dict[str, Any] | None = None, *,
                   csrf: bool = True, **kwargs: Any) -> httpx.Response:
        form = dict(data or {})
        if csrf:
            if self.token is None:
                await self.get("/")
            form.setdefault("csrf_token", self.token)
        response = await self.http.post(path, data=form, **kwargs)
        if found := TOKEN.search(response.text):
            self.token = found.group(1)
        return response

    async def login(self, user: int | str = STAFF_ID, password: str = PASSWORD
                    ) -> httpx.Response:
        await self.get("/login")
        response = await self.post("/login", {"user": str(user), "password": password})
        if response.status_code == 303:
            self.token = None  # the session's own token comes with its first page
        return response


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file migrated to head, copied for each test (migrating costs a second)."""
    path = tmp_path_factory.mktemp("desk-template") / "desk.sqlite3"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(tmp_path: Path, migrated_sqlite: Path) -> str:
    shutil.copy(migrated_sqlite, tmp_path / "desk.sqlite3")
    return f"sqlite+aiosqlite:///{tmp_path}/desk.sqlite3"


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 at its lowest cost: the tests sign in hundreds of times."""
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=8,
                                                        parallelism=1))


@pytest.fixture
def desk_url(sqlite_url: str) -> str:
    """SQLite; tests that must run on PostgreSQL too override this with `database_url`."""
    return sqlite_url


@pytest.fixture
def desk_settings(desk_url: str) -> Settings:
    return Settings(_env_file=None, database_url=desk_url, staff_chat_id=STAFF_CHAT,
                    desk_secret="test-secret-" + "x" * 32)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def bot_app(desk_settings: Settings, clock: Clock, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    """The conversation service on the desk's database (it migrates it first)."""
    monkeypatch.chdir(tmp_path)
    app = await build_app(desk_settings, clock=clock)
    try:
        yield app
    finally:
        await app.close()


@pytest.fixture
def sessions(bot_app: App) -> async_sessionmaker[AsyncSession]:
    return make_sessions(bot_app.engine)


async def add_staff(sessions: async_sessionmaker[AsyncSession], user_id: int = STAFF_ID,
                    name: str = "王主任", role: str = "staff", password: str | None = PASSWORD,
                    **fields: Any) -> None:
    async with sessions.begin() as s:
        s.add(Staff(user_id=user_id, name=name, role=role, created_at=datetime.now(UTC),
                    password_hash=auth.hash_password(password) if password else None, **fields))


@pytest.fixture
async def staff(sessions: async_sessionmaker[AsyncSession]) -> int:
    await add_staff(sessions)
    await add_staff(sessions, SUPERVISOR_ID, "李所长", "supervisor")
    return STAFF_ID


@pytest.fixture
async def client(bot_app: App, desk_settings: Settings, clock: Clock,
                 ) -> AsyncIterator[DeskClient]:
    """The desk, served in process (lifespan run), not signed in."""
    app = create_app(desk_settings, clock=clock, migrate=False)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://desk.test",
                                     follow_redirects=False) as http:
            yield DeskClient(http)


@pytest.fixture
async def desk(client: DeskClient, staff: int) -> DeskClient:
    """Signed in as an ordinary staff member."""
    response = await client.login()
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def update_ids() -> Iterator[int]:
    return itertools.count(1)


@pytest.fixture
def chat(bot_app: App, clock: Clock, update_ids: Iterator[int]) -> Chat:
    return Chat(bot_app, clock, update_ids)


def chat_as(bot_app: App, clock: Clock, update_ids: Iterator[int], user: str) -> Chat:
    return Chat(bot_app, clock, update_ids, user=user)
