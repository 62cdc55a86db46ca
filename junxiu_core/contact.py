"""Contact duty and lost contact: jilin §15 (6个月（含）以上), shanghai 6.4.4 (6个月以上).

Both include six months itself: 以上 includes the number (RULES.md, How numbers read).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from junxiu_core.compose import from_entry
from junxiu_core.model import CadreProfile, Decision
from junxiu_core.numbers import reaches
from knowledge import KnowledgeBase

INTENT = "contact.lost"


def pension_paused(months_without_contact: int, *, months: int, inclusive: bool) -> bool:
    """Whether the pause threshold is reached; `inclusive` as policy.yaml reads the bound."""
    return reaches(months_without_contact, months, inclusive=inclusive)


def lost_contact(slots: Mapping[str, Any], profile: CadreProfile, today: date,
                 kb: KnowledgeBase) -> Decision:
    rule = kb.policy["contact"].get(profile.region, kb.policy["contact"]["national"])
    decision = from_entry(kb, INTENT, INTENT, profile.region)
    months = slots.get("months")
    if months is None or "months" not in rule:
        return decision
    paused = pension_paused(months, months=rule["months"], inclusive=rule["inclusive"])
    return replace(decision, result={"pension_paused": paused})
