"""understand(): normalise → emergency check → segment → extract slots → match → decide."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from intents import match
from intents.emergency import default_detector
from intents.normalise import default_normaliser
from intents.resources import read_yaml
from intents.segment import segment
from intents.slots import extract

# Calibrated on cross-validation over the written examples (bench/tune_matcher.py).
CONFIDENT = 0.50  # top score at or above: answer
MARGIN = 0.06  # ...and at least this far ahead of the runner-up, else ask which one
FLOOR = 0.30  # below this nothing matched: policy.other (staff) or out_of_scope

# Asking "which one?" before handing over would only delay a person who needs one.
HANDED_TO_STAFF = {"emergency", "complaint", "human_agent"}
NEVER_CLARIFY_WITH = {"smalltalk.greeting", "smalltalk.thanks", "smalltalk.goodbye", "help",
                      "out_of_scope", "checkin.reply"}


@dataclass(frozen=True)
class Understanding:
    text: str  # the normalised message
    intent: str
    confidence: float
    slots: dict[str, Any] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()  # runner-ups, best first
    clarify: bool = False  # torn between the first two alternatives: ask the cadre
    emergency_cue: str | None = None
    reason: str = "matched"  # matched | emergency | empty | no_match | clarify


def understand(text: str, today: date) -> Understanding:
    normalised = default_normaliser()(text or "")
    if not any(ch.isalnum() for ch in normalised):
        return Understanding(normalised, "help", 1.0, reason="empty")
    cue = default_detector().match(normalised)
    slots = extract(normalised, today)
    if cue:
        return Understanding(normalised, "emergency", 1.0, slots, emergency_cue=cue,
                             reason="emergency")
    if not any("\u4e00" <= ch <= "\u9fff" for ch in normalised) and not slots:
        return Understanding(normalised, "out_of_scope", 0.5, slots, reason="no_chinese")

    ranked = match.rank(match.default_index(), normalised, segment(normalised), slots)
    top, second = ranked[0], ranked[1]
    alternatives = tuple((s.intent, s.score) for s in ranked[:3])
    if top.score < FLOOR:
        fallback = "policy.other" if _about_policy(normalised) else "out_of_scope"
        return Understanding(normalised, fallback, top.score, slots, alternatives,
                             reason="no_match")
    if (top.score - second.score < MARGIN and top.score < CONFIDENT + MARGIN
            and not {top.intent, second.intent} & NEVER_CLARIFY_WITH
            and top.intent not in HANDED_TO_STAFF  # staff will see it anyway
            and top.intent not in match.hinted(match.default_index(), slots)):
        return Understanding(normalised, top.intent, top.score, slots, alternatives,
                             clarify=True, reason="clarify")
    return Understanding(normalised, top.intent, top.score, slots, alternatives)


@functools.cache
def _policy_cues() -> tuple[str, ...]:
    return tuple((read_yaml("domain_cues.yaml") or {}).get("policy_cues", ()))


def _about_policy(text: str) -> bool:
    return any(cue in text for cue in _policy_cues())
