"""One message in, one answer out, without state: understanding → rules → rendering.

`junxiu ask` is exactly this; the conversation service adds memory, tickets and delivery.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import knowledge
from bot.render import render
from intents import Understanding, understand
from junxiu_core import CadreProfile, Decision, FollowUp, answer

ESCALATE_WHEN_TORN = "intent.unclear"


@dataclass(frozen=True)
class Answered:
    understanding: Understanding
    decision: Decision | None  # None while asking which of two topics was meant
    text: str
    follow_up: FollowUp | None

    @property
    def intent(self) -> str:
        return self.understanding.intent


def clarification(u: Understanding) -> FollowUp:
    kb = knowledge.load()
    options = tuple(kb.string(f"intent.label.{intent}") for intent, _ in u.alternatives[:2])
    return FollowUp(slot="intent", question=kb.string("ui.clarify"),
                    options=(*options, kb.string("ui.clarify.none")))


def decide(u: Understanding, profile: CadreProfile, today: date, *, detailed: bool = False
           ) -> Answered:
    if u.clarify:
        follow_up = clarification(u)
        return Answered(u, None, follow_up.question + "\n" + "\n".join(follow_up.options[:2]),
                        follow_up)
    slots = {**u.slots, "about": u.topic} if u.topic else u.slots
    decision = answer(u.intent, slots, profile, today)
    return Answered(u, decision, render(decision, detailed=detailed), decision.follow_up)


def answer_text(text: str, profile: CadreProfile, today: date) -> Answered:
    return decide(understand(text, today), profile, today)


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


def as_json(answered: Answered, original: str) -> dict[str, Any]:
    """The `junxiu ask --json` object (fields fixed by DESIGN.md)."""
    d = answered.decision
    return {
        "text": original,
        "intent": answered.intent,
        "confidence": round(answered.understanding.confidence, 3),
        "escalate": bool(d and d.escalate),
        "escalation_reason": d.escalate_reason if d else None,
        "answer": answered.text,
        "citations": [c.as_dict() for c in d.citations] if d else [],
        "slots": jsonable(answered.understanding.slots),
        "result": jsonable(d.result) if d else {},
        "follow_up": answered.follow_up.question if answered.follow_up else None,
        # The intent a complaint is about (INTENTS.md); null for every other intent.
        "topic": answered.understanding.topic if answered.intent == "complaint" else None,
    }
