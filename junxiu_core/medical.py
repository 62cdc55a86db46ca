"""Medical subsidy for high self-paid costs (医疗补助): jilin §20's tiers, shanghai 5.4.5.

Only jilin gives a formula, and only for 退休 cadres. Nobody else is ever told a figure: 离休
cadres and other regions go to staff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from junxiu_core.compose import add, ask, escalate, from_entry, region_follow_up, with_caveat
from junxiu_core.model import CadreProfile, Decision, Priority, Status
from junxiu_core.numbers import spoken_yuan
from knowledge import KnowledgeBase

INTENT = "medical.subsidy"


def subsidy(self_paid: float, tiers: Sequence[Sequence[Any]], cap: float) -> int:
    """Marginal tiers over the self-paid amount, capped: jilin §20 read without a jump at 10万.

    >>> subsidy(120_000, [[50_000, 100_000, 0.7], [100_000, None, 0.5]], 100_000)
    45000
    """
    paid = Decimal(str(self_paid))
    total = Decimal(0)
    for start, end, rate in tiers:
        upper = paid if end is None else min(paid, Decimal(end))
        if upper > start:
            total += (upper - Decimal(start)) * Decimal(str(rate))
    # Decimal, half up: money is rounded the way a cashier rounds, not the way floats do.
    return int(min(total, Decimal(cap)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def medical_subsidy(slots: Mapping[str, Any], profile: CadreProfile, today: date,
                    kb: KnowledgeBase) -> Decision:
    rules = kb.policy["medical_subsidy"]
    region = profile.region
    amount = slots.get("amount_yuan")

    if profile.status is Status.LIXIU:
        decision = from_entry(kb, INTENT, "medical.subsidy.lixiu", region)
        return escalate(decision, "medical.subsidy_lixiu", Priority.NORMAL)
    if region == "national":
        decision = from_entry(kb, INTENT, "medical.subsidy.region_unknown", "national")
        return replace(decision, follow_up=region_follow_up(kb))
    if region not in rules:
        decision = from_entry(kb, INTENT, "medical.subsidy.no_rule", region)
        return escalate(decision, "medical.subsidy_no_rule", Priority.NORMAL)
    rule = rules[region]
    if "tiers" not in rule:  # shanghai: reviewed and paid on application, no figure
        decision = from_entry(kb, INTENT, "medical.subsidy.on_application", region)
        if amount is not None:  # they want a figure the standard does not give: staff say it
            decision = add(decision, kb, "medical.subsidy.no_formula", region)
            decision = escalate(decision, "medical.subsidy_no_formula", Priority.NORMAL)
        return decision
    if amount is None:
        decision = from_entry(kb, INTENT, "medical.subsidy.formula", region)
        decision = replace(decision, follow_up=ask(kb, "amount_yuan", "ask.amount"))
        return _readings(decision, kb)

    value = subsidy(amount, rule["tiers"], rule["cap"])
    key = "medical.subsidy.none" if value == 0 else "medical.subsidy.amount"
    if value >= rule["cap"]:
        key = "medical.subsidy.capped"
    decision = from_entry(kb, INTENT, key, region, amount=spoken_yuan(amount),
                          subsidy=spoken_yuan(value))
    decision = replace(decision, result={"subsidy_yuan": value})
    if slots.get("amount_approx"):
        decision = with_caveat(decision, kb, "caveat.amount_approx", amount=spoken_yuan(amount))
    if profile.status is None:
        # §20 is for 退休 cadres only: give the figure as conditional and ask, so a 离休
        # cadre is never told a number as theirs.
        decision = replace(decision, answer=kb.string("medical.subsidy.if_tuixiu")
                           + decision.answer,
                           follow_up=ask(kb, "status", "ask.status", "ask.status"))
    return _readings(decision, kb)


def _readings(decision: Decision, kb: KnowledgeBase) -> Decision:
    """What §20 leaves open, said whenever its formula is told: the tiers are our reading, and
    the period (a year, an illness) is not written."""
    decision = with_caveat(decision, kb, "caveat.subsidy_reading")
    return with_caveat(decision, kb, "caveat.subsidy_period")
