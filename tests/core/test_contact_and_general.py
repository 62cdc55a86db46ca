"""Contact duty (吉林第十五条 "6个月（含）以上", 上海6.4.4 "6个月以上": both include six months, as
以上 does) and the intents answered from the knowledge base as written, for every region."""

from datetime import date

import pytest

from junxiu_core import INTENTS, REGIONS, CadreProfile, Priority, answer
from junxiu_core.contact import pension_paused

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(("months", "paused"), [(5, False), (6, True), (7, True)])
def test_six_months_or_more_includes_exactly_six_months(months: int, paused: bool) -> None:
    assert pension_paused(months, months=6, inclusive=True) is paused  # 6个月以上


def test_an_exclusive_bound_would_not_count_six_months() -> None:
    assert pension_paused(6, months=6, inclusive=False) is False  # 超过6个月 (no seed says it)


@pytest.mark.parametrize("region", ["jilin", "shanghai"])
@pytest.mark.parametrize(("months", "paused"), [(5, False), (6, True), (7, True)])
def test_at_six_months_without_contact_pay_is_paused_in_jilin_and_in_shanghai(
        region: str, months: int, paused: bool) -> None:
    decision = answer("contact.lost", {"months": months}, CadreProfile(region=region), TODAY)
    assert decision.result == {"pension_paused": paused}


@pytest.mark.parametrize("region", ["jilin", "shanghai"])
def test_lost_contact_answer_says_six_months_itself_counts(region: str) -> None:
    decision = answer("contact.lost", {}, CadreProfile(region=region), TODAY)
    assert "含六个月" in decision.answer and "暂停发放" in decision.answer
    assert "超过六个月" not in decision.text


@pytest.mark.parametrize("region", ["weihai", "liaocheng", "national"])
def test_regions_without_a_pause_rule_are_not_told_one(region: str) -> None:
    decision = answer("contact.lost", {}, CadreProfile(region=region), TODAY)
    assert "暂停" not in decision.text and "六个月" not in decision.text
    assert {c.document for c in decision.citations} == {"national"}


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


@pytest.mark.parametrize(("about", "said", "never"), [
    ("medical.subsidy", "医疗保障", ("五万元", "吉林", "上海")),
    ("travel.abroad", "出国", ("审批表", "报备", "吉林", "上海")),
    ("sanatorium.eligibility", "分层级", ("市级", "县级", "威海", "聊城")),
    ("social_org.parttime", "社会组织", ("吉林", "上海")),
])
def test_a_place_without_rules_hears_what_the_national_measures_say_of_its_topic(
        about: str, said: str, never: tuple[str, ...]) -> None:
    decision = answer("policy.other", {"place_other": "长沙", "about": about},
                      CadreProfile(), TODAY)
    text = decision.text
    assert "长沙" in text and said in text
    assert not any(word in text for word in never)
    assert {c.document for c in decision.citations} == {"national"}
    assert decision.escalate


def test_a_recent_death_beside_a_funeral_question_is_answered_and_told_to_staff() -> None:
    asked = answer("bereavement", {}, CadreProfile(region="jilin"), TODAY)
    told = answer("bereavement", {"death_reported": True}, CadreProfile(region="jilin"), TODAY)
    assert not asked.escalate
    assert "节哀" in told.answer and asked.answer in told.points
    assert told.escalate and told.escalation.reason == "bereavement.news"
    assert told.escalation.priority == Priority.HIGH


@pytest.mark.parametrize(("region", "rank", "own", "other"), [
    ("jilin", "师级", "省退役军人事务厅", "团级及以下"),
    ("jilin", "团级", "上级退役军人工作部门", "省退役军人事务厅"),
    ("shanghai", "营级", "报区的", "报区和市的"),
])
def test_a_known_rank_puts_its_own_path_first_and_leaves_the_other_out(
        region: str, rank: str, own: str, other: str) -> None:
    decision = answer("social_org.parttime", {}, CadreProfile(region=region, rank=rank), TODAY)
    assert own in decision.points[0]
    assert not any(other in s for s in (decision.answer, *decision.points, *decision.more))


def test_without_a_rank_both_paths_are_said() -> None:
    decision = answer("social_org.parttime", {}, CadreProfile(region="jilin"), TODAY)
    said = " ".join(decision.points)
    assert "省退役军人事务厅" in said and "团级及以下" in said
