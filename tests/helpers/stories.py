"""Conversations as data, like Rasa's test stories (tests/bot/stories.yaml).

A story is what a cadre says or presses, turn by turn, and what each turn should lead to: the
intent, the answer key, words said (or never said), the ticket it opens, the facts the
conversation now holds. The runners (tests/bot/test_stories.py in process, and
tests/e2e/test_stories.py through both Telegram frameworks) play the turns and collect what
they saw in an `Observed`; `check` compares it with the expectations and names the story and
the turn in every failure.

    - name: first_day_subsidy_question_is_answered
      e2e: true                        # also run through PTB and aiogram
      cadre: {region: jilin}           # optional: what the cadre's profile already holds
      turns:
        - command: start
        - say: 我是吉林退休的，今年看病自己掏了十二万，能给补多少
          expect:
            intent: medical.subsidy
            key: medical.subsidy.amount        # one key, or a list: all among the answer's keys
            contains: [四万五千元]               # "ui:ask.region" is that knowledge-base string
            not_contains: ["ui:ask.region"]
            ticket: null                       # the reasons of the tickets this turn opened
            facts: {region: jilin, status: 退休}  # in the conversation memory; null = not held
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import knowledge
from bot.storage import repo
from bot.storage.models import Account, Cadre, Message, Ticket

STORIES = Path(__file__).resolve().parents[1] / "bot" / "stories.yaml"

TURN_KINDS = ("say", "press", "command", "wait", "staff_says")
EXPECTATIONS = frozenset({
    "intent",         # the intent the product recorded for the message
    "key",            # answer key(s) among the keys of the decision (in process only)
    "contains",       # every one in what was said to the cadre
    "not_contains",   # none of them in what was said to the cadre
    "ticket",         # reason (or list of reasons) of the tickets opened by this turn; null
    "staff",          # whether the staff group was told something in this turn
    "facts",          # held in the conversation memory (Memory.facts); null = not held
    "profile",        # the cadre's stored profile (Cadre columns); null = not stored
    "buttons",        # callback data of buttons offered (all of them among those offered)
    "max_sentences",  # the answer itself, without citation, offer, notices or our question
    "repeat",         # true: the same answer as the turn before; false: not the same again
    "sends",          # e2e only: how many messages the bot sends the cadre (default 1)
})
# `gap`: what issue 12 asks that the product does not do yet. The story then runs as a strict
# xfail: it must fail, and fails the suite the day the product starts to pass it (remove the gap).
STORY_KEYS = frozenset({"name", "turns", "cadre", "region", "e2e", "note", "gap"})
PROFILE_FIELDS = frozenset({"region", "status", "rank", "birth_date", "merits", "lives_alone",
                            "name", "on_roster"})
UI = "ui:"


@dataclass(frozen=True)
class StoryTurn:
    kind: str  # say | press | command | wait | staff_says
    value: Any  # the text, the callback data, the command, minutes, a staff command
    expect: dict[str, Any]

    @property
    def label(self) -> str:
        if self.kind == "wait":
            return f"wait {self.value} min"
        if self.kind == "command":
            return f"/{self.value}"
        if self.kind == "staff_says":
            return f"staff: {self.value!r}"
        return f"{self.kind} {self.value!r}"


@dataclass(frozen=True)
class Story:
    name: str
    turns: tuple[StoryTurn, ...]
    cadre: dict[str, Any] = field(default_factory=dict)
    e2e: bool = False
    gap: str | None = None

    def __str__(self) -> str:
        return self.name


def load(path: Path = STORIES) -> list[Story]:
    """The stories, checked for shape: a typo in an expectation fails loudly, not silently."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    stories, names = [], set()
    for item in raw:
        name = item.get("name")
        assert name and name not in names, f"story without a name, or twice: {name!r}"
        names.add(name)
        unknown = set(item) - STORY_KEYS
        assert not unknown, f"story {name}: unknown keys {sorted(unknown)}"
        cadre = dict(item.get("cadre") or {})
        if item.get("region"):
            cadre["region"] = item["region"]
        assert set(cadre) <= PROFILE_FIELDS, f"story {name}: cadre fields {sorted(cadre)}"
        turns = []
        for n, t in enumerate(item["turns"], 1):
            kinds = [k for k in TURN_KINDS if k in t]
            assert len(kinds) == 1, f"story {name}, turn {n}: one of {TURN_KINDS}: {t}"
            expect = dict(t.get("expect") or {})
            unknown = set(t) - {*TURN_KINDS, "expect"} | set(expect) - EXPECTATIONS
            assert not unknown, f"story {name}, turn {n}: unknown keys {sorted(unknown)}"
            turns.append(StoryTurn(kinds[0], t[kinds[0]], expect))
        stories.append(Story(name, tuple(turns), cadre, bool(item.get("e2e")), item.get("gap")))
    return stories


def params(stories: list[Story]) -> list[Any]:
    """pytest parameters: a story with a known gap is a strict xfail naming the gap."""
    import pytest

    return [pytest.param(s, id=s.name, marks=pytest.mark.xfail(strict=True, reason=s.gap))
            if s.gap else pytest.param(s, id=s.name) for s in stories]


# -- what a turn led to ----------------------------------------------------------------------


@dataclass(frozen=True)
class Observed:
    """What one turn led to. None for what a runner cannot see (answer keys in e2e)."""

    texts: Sequence[str]  # the messages to the cadre, in order
    staff_posts: int = 0
    buttons: Sequence[str] = ()
    intent: str | None = None
    keys: Sequence[str] | None = None
    new_tickets: Sequence[str] | None = None
    facts: dict[str, Any] | None = None
    profile: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.texts)


def resolve(snippet: Any) -> str:
    """A literal, or "ui:KEY" for that knowledge-base string (one without placeholders)."""
    snippet = str(snippet)
    return knowledge.load().string(snippet[len(UI):]) if snippet.startswith(UI) else snippet


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _same(expected: Any, actual: Any) -> bool:
    if isinstance(expected, list):
        return isinstance(actual, (list, tuple, set, frozenset)) and sorted(
            map(str, expected)) == sorted(map(str, actual))
    return str(expected) == str(actual) if expected is not None else actual in (None, [], "")


def _template(key: str) -> re.Pattern[str]:
    """A knowledge-base string with its {placeholders} as wildcards, as one whole line."""
    parts = re.split(r"\{[a-z_]+\}", knowledge.load().strings[key])
    return re.compile("^" + ".+?".join(map(re.escape, parts)) + "$")


def _asked() -> set[str]:
    kb = knowledge.load()
    return {v for k, v in kb.strings.items()
            if k.startswith("ask.") and not k.endswith((".options", ".values"))}


def without_confirmation(text: str) -> str:
    """The text without "好的，记下了，您在吉林。": a repeated answer need not confirm again."""
    saved = _template("ui.region_saved")
    return "\n".join(line for line in text.splitlines() if not saved.match(line))


def answer_sentences(text: str) -> list[str]:
    """The sentences of the answer itself: not the citation, the offer of more, the region
    confirmation, the ticket notice, nor the question we ask back."""
    kb = knowledge.load()
    skip = [_template(k) for k in ("ui.region_saved", "ui.ticket.opened",
                                   "ui.ticket.opened.hours", "ui.ticket.urgent", "ask.consent")]
    asked, offer = _asked(), kb.string("ui.offer_more")
    sentences = []
    for line in text.splitlines():
        line = line.strip()
        if (not line or line.startswith("依据") or offer in line or line in asked
                or any(p.match(line) for p in skip)):
            continue
        sentences += [s for s in re.split(r"(?<=[。！？!?])", line) if s.strip()]
    return sentences


def check(story: Story, n: int, turn: StoryTurn, seen: Observed,
          previous: Observed | None) -> list[str]:
    """Every expectation of one turn that `seen` does not meet, each naming story and turn."""
    where = f"story {story.name}, turn {n} ({turn.label})"
    said = f"\n    the product said: {seen.text!r}"
    failures: list[str] = []

    def fail(message: str) -> None:
        failures.append(f"{where}: {message}{said}")

    e = turn.expect
    if "intent" in e and e["intent"] != seen.intent:
        fail(f"intent {e['intent']!r} expected, got {seen.intent!r}")
    if "key" in e and seen.keys is not None:
        missing = [k for k in _as_list(e["key"]) if k not in seen.keys]
        if missing:
            fail(f"answer key(s) {missing} expected, the answer used {list(seen.keys)}")
    for snippet in e.get("contains", ()):
        if resolve(snippet) not in seen.text:
            fail(f"should say {snippet!r}")
    for snippet in e.get("not_contains", ()):
        if resolve(snippet) in seen.text:
            fail(f"should never say {snippet!r} here")
    if "ticket" in e and seen.new_tickets is not None:
        wanted = [] if e["ticket"] is None else _as_list(e["ticket"])
        if sorted(wanted) != sorted(seen.new_tickets):
            fail(f"tickets opened {wanted} expected, got {list(seen.new_tickets)}")
    if "staff" in e and bool(e["staff"]) != (seen.staff_posts > 0):
        fail("the staff group should " + ("" if e["staff"] else "not ") + "be told, "
             f"{seen.staff_posts} post(s)")
    if "buttons" in e:
        missing = [b for b in e["buttons"] if b not in seen.buttons]
        if missing:
            fail(f"buttons {missing} expected, offered {list(seen.buttons)}")
    for what, held in (("facts", seen.facts), ("profile", seen.profile)):
        if what in e and held is not None:
            wrong = {k: held.get(k) for k, v in e[what].items() if not _same(v, held.get(k))}
            if wrong:
                fail(f"{what} {e[what]} expected, wrong ones hold {wrong} (all: {held})")
    if "max_sentences" in e:
        sentences = answer_sentences(seen.text)
        if len(sentences) > e["max_sentences"]:
            fail(f"at most {e['max_sentences']} sentences before the offer, got "
                 f"{len(sentences)}: {sentences}")
    if "repeat" in e:
        before = without_confirmation(previous.text) if previous else ""
        now = without_confirmation(seen.text)
        if e["repeat"] and now != before:
            fail(f"the previous answer again expected, it was: {before!r}")
        if not e["repeat"] and (now == before or _lead(now) == _lead(before)):
            fail(f"something new expected, not the previous answer again: {before!r}")
    return failures


def _lead(text: str) -> str:
    return text.splitlines()[0] if text else ""


# -- reading and seeding the database --------------------------------------------------------


async def seed_cadre(sessions: async_sessionmaker[AsyncSession], transport: str,
                     user_id: str, profile: dict[str, Any], now: datetime) -> None:
    """The cadre behind `user_id` as the roster (or an earlier conversation) left them."""
    async with sessions.begin() as s:
        cadre = Cadre(created_at=now, updated_at=now, merits=list(profile.get("merits", [])),
                      **{k: v for k, v in profile.items() if k != "merits"})
        s.add(cadre)
        await s.flush()
        s.add(Account(transport=transport, external_id=user_id, chat_id=user_id,
                      cadre_id=cadre.id, created_at=now))


async def ticket_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as s:
        return await s.scalar(select(func.count()).select_from(Ticket)) or 0


@dataclass(frozen=True)
class Stored:
    intent: str | None
    new_tickets: list[str]
    facts: dict[str, Any]
    profile: dict[str, Any]


async def stored_after(sessions: async_sessionmaker[AsyncSession], transport: str,
                       user_id: str, tickets_before: int) -> Stored:
    """The intent recorded for the cadre's last message, the tickets opened since
    `tickets_before`, the conversation's facts and the cadre's profile."""
    async with sessions() as s:
        account = (await s.scalars(select(Account).where(
            Account.transport == transport, Account.external_id == user_id))).one_or_none()
        if account is None:
            return Stored(None, [], {}, {})
        last_in = (await s.scalars(
            select(Message).where(Message.cadre_id == account.cadre_id,
                                  Message.direction == "in")
            .order_by(Message.id.desc()).limit(1))).one_or_none()
        tickets = (await s.scalars(select(Ticket).order_by(Ticket.id)
                                   .offset(tickets_before))).all()
        memory = await repo.load_memory(s, account.cadre_id)
        cadre = await s.get(Cadre, account.cadre_id)
        profile = {name: getattr(cadre, name) for name in sorted(PROFILE_FIELDS)}
        return Stored(last_in.intent if last_in else None, [t.reason for t in tickets],
                      dict(memory.facts), profile)
