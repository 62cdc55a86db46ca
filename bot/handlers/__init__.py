"""The handlers of the pipeline (STYLE.md §4): one per kind of inbound message, each
`async (ctx) -> Outcome`, chosen by `kind_of`, tested alone. bot/service.py stores the message
(bot/inbox.py), runs the one handler, and puts its replies in the outbox (bot/outbox.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

import knowledge
from bot import agencies, staff
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage.models import Cadre
from intents.understand import Understanding
from junxiu_core import CadreProfile

if TYPE_CHECKING:
    from bot.voice.inbound import VoiceInbox


class Kind(StrEnum):
    START = "start"
    MENU = "menu"
    VOICE_TOGGLE = "voice_toggle"
    CONTACT = "contact"
    VOICE = "voice"
    CHECKIN_ANSWER = "checkin_answer"
    RATING = "rating"
    STAFF = "staff"
    CONVERSATION = "conversation"
    UNSUPPORTED = "unsupported"


def kind_of(msg: Incoming, staff_chat: str | None) -> Kind:
    """Which handler a message goes to (pure: the message and where staff talk)."""
    data = msg.callback_data or ""
    if (staff_chat is not None and msg.chat_id == staff_chat) or msg.command in staff.COMMANDS \
            or data.startswith(("claim:", "close:")):
        return Kind.STAFF
    if msg.command == "start":
        return Kind.START
    if msg.command == "voice" or (msg.text and is_voice_toggle(msg.text)):
        return Kind.VOICE_TOGGLE
    if msg.command in ("help", "menu"):
        return Kind.MENU
    if msg.kind == "contact":
        return Kind.CONTACT
    if msg.kind == "voice":
        return Kind.VOICE
    if msg.kind not in ("text", "callback", "command") or not (msg.text or data):
        return Kind.UNSUPPORTED
    if data.startswith("checkin:"):
        return Kind.CHECKIN_ANSWER
    if data.startswith("rate:"):
        return Kind.RATING
    return Kind.CONVERSATION


def is_voice_toggle(text: str) -> bool:
    return text.strip(" ,.!?，。！？") in knowledge.load().string("ui.words.voice").split()


@dataclass(frozen=True)
class Outcome:
    """What handling one inbound message produced, before it is stored and sent."""

    replies: list[Reply]
    intent: str | None = None
    answer: str | None = None
    understanding: Understanding | None = None  # stored with the message (the gaps inbox)


@dataclass
class Ctx:
    """One inbound message being handled, inside its transaction."""

    s: AsyncSession
    cadre: Cadre
    msg: Incoming
    now: datetime
    today: date
    settings: Settings
    staff_chat: str | None  # the settings' group (an agency's own: `route`)
    speech: bool = False  # spoken replies can be made here
    voice_inbox: VoiceInbox | None = None

    @property
    def profile(self) -> CadreProfile:
        return profile_of(self.cadre)

    def reply(self, text: str, **kw) -> Reply:
        return Reply(self.msg.chat_id, text, **kw)

    async def route(self) -> agencies.Route:
        """Where this cadre's matters go: their own agency's staff group and duty phone."""
        return await agencies.route_for(self.s, self.settings, self.cadre)


Handler = Callable[[Ctx], Awaitable[Outcome]]


def profile_of(cadre: Cadre) -> CadreProfile:
    # the cadre's own record first, then their agency's region (bot/agencies)
    region = cadre.region or agencies.default_region(cadre) or "national"
    return CadreProfile(region=region, status=cadre.status,
                        rank=cadre.rank, birth_date=cadre.birth_date,
                        merits=frozenset(cadre.merits or ()),
                        lives_alone=cadre.lives_alone, name=cadre.name)


def menu_reply(chat_id: str, text: str, *, ask_contact: bool = False) -> Reply:
    kb = knowledge.load()
    rows = tuple(tuple(row.split()) for row in kb.string("ui.menu.keyboard").split("|"))
    return Reply(chat_id, text, keyboard=rows,
                 request_contact=kb.string("ui.share_phone") if ask_contact else None)
