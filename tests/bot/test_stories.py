"""The conversation stories (tests/bot/stories.yaml), each played in process against the real
service with the `Chat` driver, checked turn by turn (tests/helpers/stories.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import bot.handlers.conversation
from bot.app import App
from bot.dialogue import Turn
from bot.messages import Incoming, Reply
from bot.storage.db import make_sessions
from bot.storage.models import Staff
from tests.bot.conftest import STAFF_CHAT, Chat, Clock, staff_posts
from tests.helpers.stories import (
    Observed,
    Story,
    StoryTurn,
    check,
    load,
    params,
    seed_cadre,
    stored_after,
    ticket_count,
)

STORIES = load()
TRANSPORT = "console"  # what the Chat driver sends as
PAUSE_MINUTES = 1  # between two turns: a cadre reads, thinks, types (and flood control rests)
STAFF_USER = 777001  # the duty staff member who answers in the staff group


@pytest.fixture
def database_kind() -> str:
    """SQLite only: the stories are about the conversation, and the storage tests already
    run on both databases."""
    return "sqlite"


@pytest.fixture
def turns_seen(monkeypatch: pytest.MonkeyPatch) -> list[Turn]:
    """Every dialogue turn the service decides, to read the answer keys of its decision (the
    seam tests/bot/test_service.py breaks on purpose to show storage-first)."""
    seen: list[Turn] = []
    real = bot.handlers.conversation.step

    def recording(*args, **kwargs) -> Turn:
        turn = real(*args, **kwargs)
        seen.append(turn)
        return turn

    monkeypatch.setattr(bot.handlers.conversation, "step", recording)
    return seen


async def add_staff(app: App) -> None:
    async with make_sessions(app.engine).begin() as s:
        s.add(Staff(user_id=STAFF_USER, name="赵主任", role="staff",
                    created_at=datetime.now(UTC)))


async def play(chat: Chat, app: App, clock: Clock, update_ids: Iterator[int], turn: StoryTurn
               ) -> list[Reply]:
    clock.advance(minutes=PAUSE_MINUTES)
    if turn.kind == "say":
        return await chat.say(turn.value)
    if turn.kind == "press":
        return await chat.press(turn.value)
    if turn.kind == "command":
        name, _, args = str(turn.value).partition(" ")
        return await chat.command(name, args)
    if turn.kind == "staff_says":  # a staff command in the staff group ("/reply 1 …")
        name, _, args = str(turn.value).removeprefix("/").partition(" ")
        pending = await app.service.due(TRANSPORT, limit=10_000)  # nothing is "sent" here
        sent_before = max((r.delivery_id or 0 for r in pending), default=0)
        in_group = await app.service.handle(Incoming(
            transport="telegram", user_id=str(STAFF_USER), chat_id=str(STAFF_CHAT),
            chat_type="supergroup", at=clock(), text=str(turn.value), kind="command",
            command=name, command_args=args, update_id=next(update_ids)))
        # What it relays to the cadre goes out on the cadre's transport, through the outbox.
        relayed = [r for r in await app.service.due(TRANSPORT, limit=10_000)
                   if (r.delivery_id or 0) > sent_before]
        return in_group + relayed
    clock.advance(minutes=float(turn.value))  # wait: the timers run (the duty-staff offer)
    return await app.service.tick_escalations()


@pytest.mark.parametrize("story", params(STORIES))
async def test_story(story: Story, app: App, clock: Clock, update_ids: Iterator[int],
                     turns_seen: list[Turn]) -> None:
    chat = Chat(app, clock, update_ids)
    sessions = make_sessions(app.engine)
    if story.cadre:
        await seed_cadre(sessions, TRANSPORT, chat.user, story.cadre, clock())
    if any(t.kind == "staff_says" for t in story.turns):
        await add_staff(app)
    failures: list[str] = []
    previous: Observed | None = None
    for n, turn in enumerate(story.turns, 1):
        before = await ticket_count(sessions)
        turns_seen.clear()
        replies = await play(chat, app, clock, update_ids, turn)
        stored = await stored_after(sessions, TRANSPORT, chat.user, before)
        mine, posts = chat.mine(replies), staff_posts(replies)
        by_staff = turn.kind == "staff_says"  # what the staff member is told counts too
        seen = Observed(
            texts=[r.text for r in mine + (posts if by_staff else [])],
            staff_posts=len(posts),
            buttons=[b.data for r in mine for row in r.buttons for b in row],
            intent=stored.intent if turn.kind in ("say", "press", "command") else None,
            keys=[k for t in turns_seen if t.decision for k in t.decision.keys],
            new_tickets=stored.new_tickets, facts=stored.facts, profile=stored.profile)
        failures += check(story, n, turn, seen, previous)
        if seen.texts and not by_staff:
            previous = seen
    assert not failures, f"{len(failures)} unmet expectation(s):\n" + "\n".join(failures)
