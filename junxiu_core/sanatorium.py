"""Honorary sanatorium (荣誉疗养): who qualifies, at which level, and the conditions.

weihai §5 §8-10 and liaocheng §4 §7-9 set thresholds; jilin §29-31, shanghai 5.5 and national
§10 set principles only, so those regions get the principles and a pointer to the agency.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from junxiu_core.compose import (
    add,
    ask,
    cite,
    escalate,
    from_entry,
    lead_with,
    region_follow_up,
    with_citations,
)
from junxiu_core.model import CadreProfile, Decision, Priority
from junxiu_core.numbers import within
from knowledge import KnowledgeBase

INTENT = "sanatorium.eligibility"
LEVELS = ("city", "county", "none")


def level_for(merits: Iterable[str], honour_levels: Mapping[str, str]) -> str | None:
    """city, county or none; None when nothing about honours is known yet."""
    merits = set(merits)
    if not merits:
        return None
    reached = {honour_levels[m] for m in merits if m in honour_levels}
    if "city" in reached:
        return "city"
    if "county" in reached:
        return "county"
    return "none"


def eligibility(slots: Mapping[str, Any], profile: CadreProfile, today: date,
                kb: KnowledgeBase) -> Decision:
    rules = kb.policy["sanatorium"].get(profile.region)
    if rules is None:
        return _principles(profile, kb)
    region = profile.region
    level = level_for(profile.merits, kb.policy["honour_levels"])
    age = profile.age_on(today)

    if age is not None and not within(age, rules["max_age"], inclusive=rules["max_age_inclusive"]):
        # 原则上80周岁以下 includes 80; from 81 it is not a no, but not ours to decide either.
        decision = from_entry(kb, INTENT, "sanatorium.age_review", region, age=age)
        decision = escalate(decision, "sanatorium.age_review", Priority.NORMAL)
    elif level is None:
        decision = from_entry(kb, INTENT, "sanatorium.level.unknown", region)
        decision = replace(decision, follow_up=ask(kb, "merits", "ask.merits", "ask.merits"))
    else:
        key = f"sanatorium.level.{level}"
        if level == "county" and rules["recommendation_path"] and "merit_3" in profile.merits:
            key = "sanatorium.level.county_recommendable"
        decision = from_entry(kb, INTENT, key, region)
        if level != "none":
            decision = _conditions(decision, slots, profile, today, kb, rules, age)
    if level is not None:
        decision = replace(decision, result={"level": level})

    articles = rules["articles"]
    return with_citations(decision, cite(kb, rules["document"], *articles["level"],
                                         *articles["conditions"], *articles["cycle"]))


def _conditions(decision: Decision, slots: Mapping[str, Any], profile: CadreProfile,
                today: date, kb: KnowledgeBase, rules: Mapping[str, Any],
                age: int | None) -> Decision:
    region = profile.region
    if profile.self_care is False or profile.serious_illness:
        return lead_with(decision, kb, "sanatorium.health_bar", region)
    last_year = slots.get("last_sanatorium_year") or (
        profile.last_sanatorium.year if profile.last_sanatorium else None)
    if last_year is not None and today.year - last_year < rules["cycle_years"]:
        # Possibly the same cycle. When a cycle starts is not written anywhere, so the answer
        # names the rule and leaves the count to the agency instead of computing a year.
        return lead_with(decision, kb, "sanatorium.cycle_used", region,
                         cycle=rules["cycle_years"], last_year=last_year)
    decision = add(decision, kb, "sanatorium.conditions", region, cycle=rules["cycle_years"])
    if age is None:
        decision = add(decision, kb, "sanatorium.age_unknown", region)
    return decision


def _principles(profile: CadreProfile, kb: KnowledgeBase) -> Decision:
    decision = from_entry(kb, INTENT, "sanatorium.principles", profile.region)
    if profile.region == "national":
        decision = replace(decision, follow_up=region_follow_up(kb))
    return decision
