"""Contact duty (吉林第十五条 "6个月（含）以上", 上海6.4.4 "6个月以上") and the intents answered
from the knowledge base as written, for every region."""

from datetime import date

import pytest

from junxiu_core import INTENTS, REGIONS, CadreProfile, Priority, answer
from junxiu_core.contact import pension_paused

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(("months", "jilin", "shanghai"), [
    (5, False, False),
    (6, True, False),   # 含: six months itself counts in jilin, not in shanghai (以上)
    (7, True, True),
])
def test_six_month_rule_inclusive_in_jilin_exclusive_in_shanghai(months, jilin, shanghai):
    assert pension_paused(months, months=6, inclusive=True) is jilin
    assert pension_paused(months, months=6, inclusive=False) is shanghai


@pytest.mark.parametrize(("region", "words"), [("jilin", "含六个月"), ("shanghai", "超过六个月")])
def test_lost_contact_answer_states_the_regions_own_threshold(region: str, words: str) -> None:
    decision = answer("contact.lost", {}, CadreProfile(region=region), TODAY)
    assert words in decision.answer and "暂停发放" in decision.answer


@pytest.mark.parametrize("intent", INTENTS)
@pytest.mark.parametrize("region", REGIONS)
def test_every_intent_answers_in_chinese_for_every_region(intent: str, region: str) -> None:
    decision = answer(intent, {}, CadreProfile(region=region), TODAY)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in decision.answer)
    assert decision.citations, f"{intent} for {region} cites nothing"


@pytest.mark.parametrize(("intent", "priority"), [
    ("emergency", Priority.URGENT), ("complaint", Priority.HIGH),
    ("human_agent", Priority.NORMAL), ("policy.other", Priority.NORMAL),
])
def test_these_always_go_to_staff(intent: str, priority: Priority) -> None:
    decision = answer(intent, {}, CadreProfile(), TODAY)
    assert decision.escalate and decision.escalation.priority == priority


def test_a_region_gets_its_own_text_before_the_national_one() -> None:
    jilin = answer("party.membership", {}, CadreProfile(region="jilin"), TODAY)
    assert {c.document for c in jilin.citations} <= {"jilin", "national"}
    assert "jilin" in {c.document for c in jilin.citations}


def test_unknown_intent_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        answer("no.such.intent", {}, CadreProfile(), TODAY)


def test_core_imports_neither_telegram_nor_the_database_nor_jieba() -> None:
    import subprocess
    import sys

    code = ("import sys, junxiu_core; bad = {'telegram', 'aiogram', 'sqlalchemy', 'jieba'}"
            " & set(sys.modules); assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_cadre_settled_outside_our_regions_is_handed_to_staff_not_asked_the_region() -> None:
    decision = answer("medical.subsidy", {"place_other": "湖南", "amount_yuan": 120_000},
                      CadreProfile(), TODAY)
    assert decision.escalate_reason == "region.no_rules"
    assert decision.follow_up is None
    assert "湖南" in decision.text and "subsidy_yuan" not in decision.result
