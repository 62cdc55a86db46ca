"""Fixtures for the security tests: the service on a SQLite file with a staff group, a clock the
test moves, and people (cadres, staff, strangers) talking to it as Telegram users do."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.messages import Incoming, Reply
from bot.storage.db import make_sessions
from bot.storage.models import Cadre, Staff
from tests.conftest import STAFF_CHAT as STAFF_CHAT
from tests.helpers.clock import Clock

STAFF_USER = 777001
STRANGER = 555001  # a Telegram user on no roster


class Person:
    """One Telegram user writing to the bot, privately or in a group."""

    def __init__(self, app: App, clock: Clock, ids: Iterator[int], user_id: int) -> None:
        self.app, self.clock, self.user_id, self._ids = app, clock, user_id, ids

    @property
    def chat(self) -> str:
        return str(self.user_id)

    def incoming(self, chat_id: int | None = None, **fields) -> Incoming:
        chat = self.user_id if chat_id is None else chat_id
        return Incoming(transport="telegram", user_id=str(self.user_id), chat_id=str(chat),
                        at=self.clock(), update_id=next(self._ids), first_name="测试",
                        chat_type="private" if chat > 0 else "supergroup", **fields)

    async def send(self, msg: Incoming) -> list[Reply]:
        self.clock.advance(seconds=5)  # far from flood control
        return await self.app.service.handle(msg)

    async def say(self, text: str, chat_id: int | None = None, **fields) -> list[Reply]:
        return await self.send(self.incoming(chat_id, text=text, **fields))

    async def command(self, name: str, args: str = "", chat_id: int | None = None
                      ) -> list[Reply]:
        text = f"/{name} {args}".strip()
        return await self.send(self.incoming(chat_id, text=text, kind="command", command=name,
                                             command_args=args))

    async def press(self, data: str, chat_id: int | None = None) -> list[Reply]:
        return await self.send(self.incoming(chat_id, kind="callback", callback_data=data))

    async def share_phone(self, phone: str, contact_user_id: int | str | None = "self"
                          ) -> list[Reply]:
        owner = self.user_id if contact_user_id == "self" else contact_user_id
        return await self.send(self.incoming(
            kind="contact", contact_phone=phone,
            contact_user_id=str(owner) if owner is not None else ""))

    def mine(self, replies: list[Reply], chat_id: int | None = None) -> list[Reply]:
        chat = str(self.user_id if chat_id is None else chat_id)
        return [r for r in replies if r.chat_id == chat]


@pytest.fixture
def ids() -> Iterator[int]:
    return itertools.count(1)


async def add_roster(app: App, name: str, phone: str, region: str = "jilin") -> int:
    now = datetime.now(UTC)
    async with make_sessions(app.engine).begin() as s:
        cadre = Cadre(name=name, phone=phone, region=region, on_roster=True, merits=[],
                      created_at=now, updated_at=now)
        s.add(cadre)
        await s.flush()
        return cadre.id


async def add_staff(app: App, user_id: int = STAFF_USER, name: str = "赵主任") -> None:
    async with make_sessions(app.engine).begin() as s:
        s.add(Staff(user_id=user_id, name=name, role="staff", created_at=datetime.now(UTC)))


@pytest.fixture
def person(app: App, clock: Clock, ids: Iterator[int]):
    def make(user_id: int) -> Person:
        return Person(app, clock, ids, user_id)

    return make
