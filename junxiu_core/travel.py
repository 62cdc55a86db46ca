"""Going abroad for private reasons (因私出国（境）): jilin §15, shanghai 6.4.

师级 need approval, 团级 and below file a report; the passport goes to the agency within 10
days of return. Dates are counted from the `today` and the date the cadre gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from junxiu_core.compose import (
    add,
    ask,
    escalate,
    from_entry,
    lead_with,
    region_follow_up,
    with_caveat,
)
from junxiu_core.model import CadreProfile, Decision, Priority, Rank
from junxiu_core.numbers import spoken_date
from junxiu_core.workdays import calendar_covers, working_days_before
from knowledge import KnowledgeBase

INTENT = "travel.abroad"


def procedure_for(rank: Rank) -> str:
    return "approval" if rank.division_or_above else "filing"


def travel_abroad(slots: Mapping[str, Any], profile: CadreProfile, today: date,
                  kb: KnowledgeBase) -> Decision:
    region = profile.region
    rules = kb.policy["travel_abroad"].get(region)
    if rules is None:
        decision = from_entry(kb, INTENT, "travel.no_local_rule", region)
        if region == "national":
            return replace(decision, follow_up=region_follow_up(kb))
        return escalate(decision, "travel.no_local_rule", Priority.NORMAL)
    aspect = slots.get("aspect")
    if profile.rank is None and rules["passport_applies_to"] == "all" and (
            slots.get("date_kind") == "return" or aspect == "passport"):
        # "我12月5号回来，护照什么时候交": the passport rule reaches every rank here.
        decision = from_entry(kb, INTENT, "travel.passport", region, days=rules["passport_days"])
        return _deadline(decision, slots, today, kb, region, rules, "filing")
    if aspect == "long_stay":
        # "要是待半年呢": the long-stay rule holds for every rank (jilin §15, shanghai 6.4.4)
        return from_entry(kb, INTENT, "travel.long_stay", region)
    if profile.rank is None:
        decision = from_entry(kb, INTENT, "travel.rank_unknown", region)
        key = "ask.rank.military" if slots.get("military_rank") else "ask.rank"
        return replace(decision, follow_up=ask(
            kb, "rank", key, "ask.rank", military_rank=slots.get("military_rank", "")))

    procedure = procedure_for(profile.rank)
    decision = from_entry(kb, INTENT, f"travel.{procedure}", region,
                          days=rules.get("approval_working_days", ""))
    decision = replace(decision, result={"procedure": procedure})
    if procedure == "approval" or rules["passport_applies_to"] == "all":
        decision = add(decision, kb, "travel.passport", region, days=rules["passport_days"])
    decision = add(decision, kb, "travel.long_stay", region)
    if aspect == "passport" and (procedure == "approval" or rules["passport_applies_to"] == "all"):
        decision = lead_with(decision, kb, "travel.passport", region,
                             days=rules["passport_days"])
    return _deadline(decision, slots, today, kb, region, rules, procedure)


def _deadline(decision: Decision, slots: Mapping[str, Any], today: date, kb: KnowledgeBase,
              region: str, rules: Mapping[str, Any], procedure: str) -> Decision:
    """'我12月3日走' → when to apply; '12月5日回国' → when the passport is due."""
    raw, kind = slots.get("date"), slots.get("date_kind")
    if not raw or kind not in ("depart", "return"):
        return decision
    day = date.fromisoformat(raw)
    if kind == "return" and (procedure == "approval" or rules["passport_applies_to"] == "all"):
        due = day + timedelta(days=rules["passport_days"])
        decision = lead_with(decision, kb, "travel.deadline.passport", region,
                             date=spoken_date(due, today))
    elif kind == "depart" and procedure == "approval" and "approval_working_days" in rules:
        due = working_days_before(day, rules["approval_working_days"])
        key = "travel.deadline.late" if due < today else "travel.deadline.apply"
        decision = lead_with(decision, kb, key, region, date=spoken_date(due, today),
                             depart=spoken_date(day, today))
        counted = calendar_covers(due, day)
        decision = with_caveat(decision, kb,
                               "caveat.holidays_counted" if counted else "caveat.holidays")
    else:
        return decision
    return replace(decision, result={**decision.result, "deadline": due.isoformat()})
