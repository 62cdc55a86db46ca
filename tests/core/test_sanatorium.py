"""Honorary sanatorium: 威海细则第五条/聊城细则第四条 set the level; 第九条/第八条 the conditions
(自理, no serious illness, 原则上80周岁以下, which includes 80); 第十条/第九条 the cycle (3 years /
2 years)."""

from datetime import date

import pytest

from junxiu_core import CadreProfile, Priority, answer
from junxiu_core.sanatorium import level_for

TODAY = date(2026, 11, 22)
HONOUR_LEVELS = {
    "merit_1": "city", "merit_2": "city", "merit_3_wartime": "city",
    "commended_city": "city", "model_cadre_city": "city", "commended_province": "city",
    "merit_3": "county", "commended_county": "county", "model_cadre_county": "county",
}


def eligibility(region: str, merits=(), age: int | None = 75, **slots):
    profile = CadreProfile(region=region, age=age, merits=frozenset(merits))
    return answer("sanatorium.eligibility", slots, profile, TODAY)


@pytest.mark.parametrize(("merits", "level"), [
    ({"merit_2"}, "city"),
    ({"merit_1"}, "city"),
    ({"merit_3_wartime"}, "city"),           # 战时三等功 counts as 二等功
    ({"commended_city"}, "city"),             # 设区的市以上党委、政府表彰
    ({"commended_province"}, "city"),
    ({"model_cadre_city"}, "city"),           # 市级先进军休干部
    ({"merit_3"}, "county"),
    ({"commended_county"}, "county"),
    ({"model_cadre_county"}, "county"),
    ({"merit_3", "commended_city"}, "city"),  # the higher honour decides
    ({"citation"}, "none"),                   # 嘉奖 alone is below 三等功
    ({"none"}, "none"),
    (set(), None),                            # nothing known yet
])
def test_level_follows_the_highest_honour(merits: set[str], level: str | None) -> None:
    assert level_for(merits, HONOUR_LEVELS) == level


@pytest.mark.parametrize("region", ["weihai", "liaocheng"])
def test_second_class_merit_goes_to_the_city_level_activity(region: str) -> None:
    decision = eligibility(region, {"merit_2"})
    assert decision.result == {"level": "city"}
    assert "市级" in decision.answer


def test_wartime_third_class_merit_counts_as_second_class() -> None:
    assert eligibility("weihai", {"merit_3_wartime"}).result == {"level": "city"}


def test_third_class_merit_in_weihai_is_county_level() -> None:
    decision = eligibility("weihai", {"merit_3"})
    assert decision.result == {"level": "county"}
    assert "推荐" not in decision.text


def test_third_class_merit_in_liaocheng_may_be_recommended_for_city_level() -> None:
    decision = eligibility("liaocheng", {"merit_3"})
    assert decision.result == {"level": "county"}
    assert "推荐" in decision.text and "市级" in decision.text


def test_no_merit_and_no_commendation_is_not_eligible_said_kindly() -> None:
    decision = eligibility("weihai", {"none"})
    assert decision.result == {"level": "none"}
    assert "工作人员可以帮您再看看" in decision.text


def test_unknown_honours_ask_for_exactly_that() -> None:
    decision = eligibility("weihai", ())
    assert decision.follow_up is not None and decision.follow_up.slot == "merits"
    assert "level" not in decision.result


def test_age_79_is_within_the_principle() -> None:
    decision = eligibility("liaocheng", {"merit_2"}, age=79)
    assert not decision.escalate
    assert decision.result == {"level": "city"}


@pytest.mark.parametrize("region", ["weihai", "liaocheng"])
def test_80_and_under_includes_a_cadre_aged_80_so_the_merits_decide(region: str) -> None:
    decision = eligibility(region, {"merit_2"}, age=80)
    assert decision.escalate_reason != "sanatorium.age_review"
    assert not decision.escalate  # only the LOW check of the expired rule
    assert decision.result == {"level": "city"}
    assert "sanatorium.conditions" in decision.keys


@pytest.mark.parametrize("age", [81, 82, 90])
def test_from_81_not_arranged_in_principle_and_staff_review_it(age: int) -> None:
    decision = eligibility("weihai", {"merit_2"}, age=age)
    assert decision.escalate_reason == "sanatorium.age_review"
    assert decision.escalation.priority == Priority.NORMAL
    assert "原则上不安排" in decision.answer and str(age) in decision.answer
    assert "工作人员研究" in decision.text


def test_the_age_condition_says_that_80_itself_is_within_it() -> None:
    decision = eligibility("weihai", {"merit_2"}, age=None)
    assert "八十周岁以下，满八十周岁的也算在内" in decision.text


def test_age_comes_from_the_birth_date_on_the_given_day() -> None:
    profile = CadreProfile(region="weihai", birth_date=date(1945, 11, 23),
                           merits=frozenset({"merit_2"}))
    assert not answer("sanatorium.eligibility", {}, profile, TODAY).escalate  # 80 today
    assert answer("sanatorium.eligibility", {}, profile, date(2026, 11, 23)).escalate  # 81


def test_a_stay_within_the_cycle_names_the_rule_and_leaves_the_count_to_the_agency() -> None:
    decision = eligibility("weihai", {"merit_2"}, last_sanatorium_year=2024)
    assert "3年" in decision.answer and "原则上只参加一次" in decision.answer
    assert "2024年去过" in decision.text and "请问军休所" in decision.text
    said = "".join((decision.answer, *decision.points))
    assert not any(str(year) in said for year in (2025, 2026, 2027))  # no year is computed


def test_liaocheng_cycle_is_two_years_so_the_year_before_last_is_not_questioned() -> None:
    decision = eligibility("liaocheng", {"merit_2"}, last_sanatorium_year=2024)
    assert "sanatorium.cycle_used" not in decision.keys
    assert decision.result == {"level": "city"}


def test_not_self_reliant_cadre_gets_a_visit_instead() -> None:
    profile = CadreProfile(region="weihai", age=75, merits=frozenset({"merit_2"}),
                           self_care=False)
    decision = answer("sanatorium.eligibility", {}, profile, TODAY)
    assert "暂时不适合" in decision.answer and "看望" in decision.text


@pytest.mark.parametrize("region", ["weihai", "liaocheng"])
def test_rules_past_their_end_date_are_explained_with_a_caveat_and_a_low_staff_check(
        region: str) -> None:
    decision = eligibility(region, {"merit_2"})
    assert any("2025年12月31日" in c for c in decision.caveats)
    assert decision.escalate_reason == "rule.expired"
    assert decision.escalation.priority == Priority.LOW
    assert not decision.escalate  # a check for staff, not a hand-over


def test_rules_in_force_carry_no_validity_caveat() -> None:
    decision = eligibility("weihai", {"merit_2"})
    in_force = answer("sanatorium.eligibility", {"merits": ["merit_2"]},
                      CadreProfile(region="weihai", age=75), date(2025, 6, 1))
    assert decision.caveats and not in_force.caveats


@pytest.mark.parametrize(("region", "document"), [("jilin", "jilin"), ("shanghai", "shanghai")])
def test_regions_without_thresholds_get_the_principles(region: str, document: str) -> None:
    decision = eligibility(region, {"merit_2"})
    assert "level" not in decision.result
    assert {c.document for c in decision.citations} == {document}


def test_unknown_region_gets_the_national_principle_and_is_asked_the_region() -> None:
    decision = eligibility("national", {"merit_2"})
    assert decision.follow_up.slot == "region"
    assert decision.citations[0].article == "第十条"


def test_the_weihai_and_liaocheng_example_cites_them_and_says_once_that_they_ended() -> None:
    decision = eligibility("national", {"merit_2"})
    cited = {(c.document, c.article) for c in decision.citations}
    assert {("weihai", "第五条"), ("liaocheng", "第四条")} <= cited
    [caveat] = decision.caveats
    assert "威海" in caveat and "聊城" in caveat and "2025年12月31日" in caveat
    assert decision.escalate_reason == "rule.expired" and not decision.escalate


def test_level_articles_are_cited() -> None:
    cited = {(c.document, c.article) for c in eligibility("liaocheng", {"merit_2"}).citations}
    assert ("liaocheng", "第四条") in cited and ("liaocheng", "第八条") in cited
