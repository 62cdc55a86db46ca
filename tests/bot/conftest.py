"""Fixtures for service-level tests: the real service on SQLite and on PostgreSQL, a clock the
test moves, and a small chat driver that builds `Incoming` messages as the console transport
does."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from bot.app import App
from bot.messages import Incoming, Reply
from tests.conftest import STAFF_CHAT
from tests.helpers.clock import Clock

__all__ = ["STAFF_CHAT", "Chat", "Clock", "staff_posts"]



class Chat:
    """One cadre talking to the service, as the console transport would."""

    def __init__(self, app: App, clock: Clock, update_ids: Iterator[int], user: str = "u1"
                 ) -> None:
        self.app = app
        self.clock = clock
        self.user = user
        self._update_ids = update_ids

    def incoming(self, text: str | None = None, *, update_id: int | None = None, **kwargs
                 ) -> Incoming:
        return Incoming(transport="console", user_id=self.user, chat_id=self.user,
                        at=self.clock(), text=text,
                        update_id=next(self._update_ids) if update_id is None else update_id,
                        **kwargs)

    async def send(self, msg: Incoming) -> list[Reply]:
        return await self.app.service.handle(msg)

    async def say(self, text: str) -> list[Reply]:
        return await self.send(self.incoming(text))

    async def command(self, name: str, args: str = "") -> list[Reply]:
        text = f"/{name} {args}".strip()
        return await self.send(self.incoming(text, kind="command", command=name,
                                             command_args=args))

    async def press(self, data: str) -> list[Reply]:
        return await self.send(self.incoming(kind="callback", callback_data=data))

    def mine(self, replies: list[Reply]) -> list[Reply]:
        """The replies addressed to this cadre (not the staff group)."""
        return [r for r in replies if r.chat_id == self.user]

    async def answer(self, text: str) -> str:
        """Say something and return everything said back to the cadre, as one text."""
        return "\n".join(r.text for r in self.mine(await self.say(text)))


def staff_posts(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.chat_id == str(STAFF_CHAT)]


@pytest.fixture
def update_ids() -> Iterator[int]:
    return itertools.count(1)


@pytest.fixture
def chat(app: App, clock: Clock, update_ids: Iterator[int]) -> Chat:
    return Chat(app, clock, update_ids)
