"""The stories marked `e2e: true` in tests/bot/stories.yaml, played through the real Telegram
stacks (python-telegram-bot and aiogram) polling the fake Bot API server: what the bot sent
the cadre is checked against each turn's expectations, with the intent and tickets from the
database. Answer keys and memory facts are checked in process (tests/bot/test_stories.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.conftest import CADRE, STAFF_CHAT, BotRunner, inline_data, replies_to, sends_to
from tests.helpers.fake_bot_api import FakeBotAPI
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

pytestmark = pytest.mark.e2e

STORIES = [story for story in load() if story.e2e]
TRANSPORT = "telegram"
STAFF_WAIT = 5.0  # seconds for a staff post the turn should cause


@pytest.fixture
def database_kind() -> str:
    """SQLite only: the stories are about the conversation, not the database."""
    return "sqlite"


def push_for(api: FakeBotAPI, turn: StoryTurn) -> Callable[[], Any]:
    if turn.kind == "say":
        return lambda: api.push_text(CADRE, str(turn.value))
    if turn.kind == "command":
        name, _, args = str(turn.value).partition(" ")
        return lambda: api.push_command(CADRE, name, args)
    assert turn.kind == "press", f"{turn.label}: not playable on Telegram"
    offered = [c for c in sends_to(api, CADRE) if turn.value in inline_data(c)]
    assert offered, f"{turn.label}: no message to the cadre offers this button"
    message_id = offered[-1].result["message_id"]
    return lambda: api.push_callback(CADRE, turn.value, message_id=message_id)


def expected_sends(story: Story, turn: StoryTurn) -> int:
    """/start also asks a cadre with no region where they live: two messages; else one."""
    if "sends" in turn.expect:
        return int(turn.expect["sends"])
    starting = turn.kind == "command" and str(turn.value).split()[0] == "start"
    return 2 if starting and not story.cadre.get("region") else 1


async def staff_posts_since(api: FakeBotAPI, before: int, *, wait: bool) -> int:
    if wait:
        # None within the wait: reported by `check` as "the staff group should be told".
        with contextlib.suppress(AssertionError):
            await api.wait_for("sendMessage", lambda c: c.ok and c.params["chat_id"] ==
                               STAFF_CHAT, count=before + 1, timeout=STAFF_WAIT)
    return len(sends_to(api, STAFF_CHAT)) - before


@pytest.mark.parametrize("story", params(STORIES))
async def test_story_on_telegram(story: Story, runner: BotRunner,
                                 fake_api: FakeBotAPI) -> None:
    assert all(t.kind in ("say", "press", "command") for t in story.turns), \
        "timers and the staff group are played in process only"
    if story.cadre:
        await seed_cadre(runner.sessions, TRANSPORT, str(CADRE), story.cadre,
                         runner.app.service.now())
    failures: list[str] = []
    previous: Observed | None = None
    for n, turn in enumerate(story.turns, 1):
        tickets_before = await ticket_count(runner.sessions)
        staff_before = len(sends_to(fake_api, STAFF_CHAT))
        calls = await replies_to(fake_api, push_for(fake_api, turn),
                                 count=expected_sends(story, turn))
        stored = await stored_after(runner.sessions, TRANSPORT, str(CADRE), tickets_before)
        seen = Observed(
            texts=[c.params["text"] for c in calls],
            staff_posts=await staff_posts_since(fake_api, staff_before,
                                                wait=bool(turn.expect.get("staff"))),
            buttons=[data for c in calls for data in inline_data(c)],
            intent=stored.intent, new_tickets=stored.new_tickets)
        failures += check(story, n, turn, seen, previous)
        previous = seen
    assert not failures, (f"{runner.framework}: {len(failures)} unmet expectation(s):\n"
                          + "\n".join(failures))
