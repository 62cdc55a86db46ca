"""Intents answered from the knowledge base as written: the region's text, else the national one.

Some of them always go to staff (DB31/T 1044 5.11.2, 7.2; jilin §55): that is decided here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from junxiu_core.compose import escalate, for_rank, from_entry
from junxiu_core.model import CadreProfile, Decision, Priority
from knowledge import KnowledgeBase, catalogue

HANDED_TO_STAFF: dict[str, Priority] = {
    info.id: Priority[info.staff.upper()] for info in catalogue().values() if info.staff}


def from_knowledge(intent: str):
    def rule(slots: Mapping[str, Any], profile: CadreProfile, today: date,
             kb: KnowledgeBase) -> Decision:
        decision = from_entry(kb, intent, intent, profile.region)
        if profile.rank is not None:
            decision = for_rank(decision, kb.entry(intent, profile.region), profile.rank)
        if intent in HANDED_TO_STAFF:
            decision = escalate(decision, intent, HANDED_TO_STAFF[intent])
        return decision

    rule.__name__ = intent.replace(".", "_")
    return rule
