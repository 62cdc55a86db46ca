"""The policy core: pure functions from (intent, slots, profile, today) to a Decision.

No I/O, no clock, no Telegram, no database. The figures and texts come from `knowledge`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

import knowledge
from junxiu_core import contact, medical, safety, sanatorium, travel
from junxiu_core.compose import escalate, finish
from junxiu_core.general import HANDED_TO_STAFF, from_knowledge
from junxiu_core.model import (
    REGIONS,
    CadreProfile,
    Citation,
    Decision,
    Escalation,
    FollowUp,
    Priority,
    Rank,
    Status,
)

Rule = Callable[[Mapping[str, Any], CadreProfile, date, knowledge.KnowledgeBase], Decision]

INTENTS: tuple[str, ...] = tuple(knowledge.catalogue())  # knowledge/data/intents.yaml

COMPUTED: dict[str, Rule] = {
    sanatorium.INTENT: sanatorium.eligibility,
    medical.INTENT: medical.medical_subsidy,
    travel.INTENT: travel.travel_abroad,
    contact.INTENT: contact.lost_contact,
}
HANDED_WITH_MORE: dict[str, Rule] = {
    "complaint": safety.complaint,
    "bereavement": safety.bereavement,
    "bereavement.news": safety.bereavement_news,
    "health.concern": safety.health_concern,
    "policy.other": safety.policy_other,
}
RULES: dict[str, Rule] = {
    intent: COMPUTED.get(intent) or HANDED_WITH_MORE.get(intent) or from_knowledge(intent)
    for intent in INTENTS}


def answer(intent: str, slots: Mapping[str, Any] | None, profile: CadreProfile | None,
           today: date) -> Decision:
    """Decide the answer to one question. Facts in `slots` win over the stored profile."""
    if intent not in RULES:
        raise ValueError(f"unknown intent {intent!r}")
    slots = dict(slots or {})
    profile = (profile or CadreProfile()).with_slots(slots)
    kb = knowledge.load()
    decision = RULES[intent](slots, profile, today, kb)
    if slots.get("place_other") and profile.region == "national" and intent in COMPUTED:
        decision = outside_our_regions(decision, kb, slots["place_other"])
    return finish(decision, kb, today)


def outside_our_regions(decision: Decision, kb: knowledge.KnowledgeBase, place: str
                        ) -> Decision:
    """Settled somewhere whose rules the knowledge base does not hold: say so, do not ask
    which of our regions, and hand the question to staff (DB31/T 1044 5.11.2)."""
    decision = replace(decision, answer=kb.string("outside.answer", place=place),
                       follow_up=None, keys=(*decision.keys, "outside.answer"))
    return escalate(decision, "region.no_rules", Priority.NORMAL)


__all__ = [
    "HANDED_TO_STAFF", "INTENTS", "REGIONS", "CadreProfile", "Citation", "Decision",
    "Escalation", "FollowUp", "Priority", "Rank", "Status", "answer",
]
