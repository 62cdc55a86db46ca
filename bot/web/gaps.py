"""The gaps inbox: what the assistant answered with low confidence, or as out_of_scope or
policy.other (the understanding stored with each message), grouped by similarity, newest
first; a staff member's choice of intent is kept as a reviewed training example."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

import knowledge
from bot.storage import repo
from bot.storage.models import Cadre, Message, ReviewedExample
from bot.web import texts
from bot.web.scope import Scope

GAP_INTENTS = ("out_of_scope", "policy.other")
LOW_CONFIDENCE = 0.5
RECENT = 500  # the newest gaps grouped on one page
SIMILAR = 0.5  # Dice coefficient of character bigrams to join a group


@dataclass(frozen=True)
class Gap:
    message_id: int
    text: str
    intent: str | None
    confidence: float | None
    at: datetime


@dataclass
class Group:
    gaps: list[Gap] = field(default_factory=list)
    grams: frozenset[str] = frozenset()

    @property
    def newest(self) -> Gap:
        return self.gaps[0]

    @property
    def count(self) -> int:
        return len(self.gaps)


def _grams(text: str) -> frozenset[str]:
    chars = "".join(ch for ch in text if ch.isalnum())
    return frozenset(chars[i:i + 2] for i in range(len(chars) - 1)) or frozenset(chars)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def group(gaps: Sequence[Gap]) -> list[Group]:
    """Greedy, newest first: each message joins the first group whose first message is
    similar enough, else starts one. Groups keep the order of their newest message."""
    groups: list[Group] = []
    for gap in gaps:
        grams = _grams(gap.text)
        for g in groups:
            if _dice(grams, g.grams) >= SIMILAR:
                g.gaps.append(gap)
                break
        else:
            groups.append(Group([gap], grams))
    return groups


def _is_gap():
    return or_(Message.intent.in_(GAP_INTENTS), Message.confidence < LOW_CONFIDENCE)


async def recent(s: AsyncSession, scope: Scope) -> list[Gap]:
    reviewed = select(ReviewedExample.message_id).where(ReviewedExample.message_id.is_not(None))
    stmt = (select(Message.id, Message.text, Message.intent, Message.confidence,
                   Message.created_at)
            .join(Cadre, Cadre.id == Message.cadre_id)
            .where(Message.direction == "in", Message.text.is_not(None), Message.text != "",
                   Message.kind.in_(("text", "voice")), _is_gap(),
                   Message.id.not_in(reviewed))
            .order_by(Message.id.desc()).limit(RECENT))
    return [Gap(*row) for row in (await s.execute(scope.cadres(stmt))).all()]


def choices() -> list[tuple[str, str]]:
    """(intent id, its name) for the review form, in the catalogue's order."""
    names = texts.strings()
    return [(i, names.get(f"intent.{i}", i)) for i in knowledge.catalogue()]


async def review(s: AsyncSession, scope: Scope, message_ids: Sequence[int], intent: str,
                 reviewer_id: int, now: datetime) -> int:
    """Store the chosen intent for each message (the ones in scope, not yet reviewed)."""
    if intent not in knowledge.catalogue():
        raise ValueError(intent)
    stmt = (select(Message).join(Cadre, Cadre.id == Message.cadre_id)
            .where(Message.id.in_(message_ids), Message.direction == "in",
                   Message.text.is_not(None)))
    done = {m for m in (await s.scalars(select(ReviewedExample.message_id)
                                        .where(ReviewedExample.message_id.in_(message_ids))))}
    count = 0
    for message in (await s.scalars(scope.cadres(stmt))).all():
        if message.id in done:
            continue
        s.add(ReviewedExample(message_id=message.id, cadre_id=message.cadre_id,
                              text=message.text or "", intent=intent, reviewer_id=reviewer_id,
                              reviewed_at=now))
        await repo.audit(s, f"staff:{reviewer_id}", "gap.review", now,
                         cadre_id=message.cadre_id, detail=intent)
        count += 1
    return count
