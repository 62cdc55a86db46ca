"""吉林细则第二十条: self-paid above 5万 → 70% of the excess; above 10万 → 50% of that excess;
at most 10万. Read as marginal tiers (no jump at 10万). Only 退休 cadres; 离休 → staff."""

from datetime import date

import pytest

from junxiu_core import CadreProfile, Priority, answer
from junxiu_core.medical import subsidy

TODAY = date(2026, 11, 22)
JILIN_TIERS = [[50_000, 100_000, 0.7], [100_000, None, 0.5]]
JILIN_RETIRED = CadreProfile(region="jilin", status="退休")


def subsidy_for(self_paid: int, profile: CadreProfile = JILIN_RETIRED):
    return answer("medical.subsidy", {"amount_yuan": self_paid}, profile, TODAY)


@pytest.mark.parametrize(("self_paid", "expected"), [
    (0, 0),
    (50_000, 0),            # 超过5万元的 — exactly 5万 gets nothing
    (50_001, 1),            # 0.7 yuan rounds to 1
    (50_005, 4),            # 3.5 yuan rounds half up, as money does
    (60_000, 7_000),
    (80_000, 21_000),
    (92_000, 29_400),
    (100_000, 35_000),      # the whole first tier, no jump
    (105_000, 37_500),
    (120_000, 45_000),
    (135_000, 52_500),
    (150_000, 60_000),
    (200_000, 85_000),
    (229_998, 99_999),      # one step below the cap
    (230_000, 100_000),     # the cap is reached exactly here
    (300_000, 100_000),     # and never exceeded
])
def test_tiers_of_article_20(self_paid: int, expected: int) -> None:
    assert subsidy(self_paid, JILIN_TIERS, 100_000) == expected
    assert subsidy_for(self_paid).result == {"subsidy_yuan": expected}


def test_the_answer_says_the_amount_first_and_cites_article_20() -> None:
    decision = subsidy_for(120_000)
    assert decision.answer.startswith("大约能补助四万五千元")
    assert [(c.document, c.article) for c in decision.citations] == [("jilin", "第二十条")]
    assert not decision.escalate


def test_the_reading_and_the_open_period_question_are_said() -> None:
    caveats = "".join(subsidy_for(120_000).caveats)
    assert "以军休机构审核为准" in caveats
    assert "按一年" in caveats and "一次生病" in caveats


def test_over_50000_excludes_exactly_50000_so_nothing_is_paid() -> None:
    decision = subsidy_for(50_000)  # 超过5万元: 50,000 itself is not over it
    assert decision.result["subsidy_yuan"] == 0
    assert "medical.subsidy.none" in decision.keys
    assert "超过五万元才有补助" in decision.answer


def test_one_yuan_over_50000_is_over_it() -> None:
    decision = subsidy_for(50_001)
    assert decision.result["subsidy_yuan"] == 1
    assert "medical.subsidy.amount" in decision.keys


def test_the_formula_told_without_an_amount_says_it_is_read_in_tiers_and_reviewed() -> None:
    decision = answer("medical.subsidy", {}, JILIN_RETIRED, TODAY)
    caveats = "".join(decision.caveats)
    assert "按分段计算的，最终以军休机构审核为准" in caveats
    assert "按一年" in caveats


def test_the_capped_answer_says_it_is_the_maximum() -> None:
    assert "最高额" in subsidy_for(300_000).answer


def test_lixiu_cadre_gets_no_figure_and_goes_to_staff() -> None:
    decision = subsidy_for(120_000, CadreProfile(region="jilin", status="离休"))
    assert "subsidy_yuan" not in decision.result
    assert decision.escalate and decision.escalate_reason == "medical.subsidy_lixiu"


def test_unknown_status_gives_the_figure_only_as_conditional_and_asks() -> None:
    decision = subsidy_for(120_000, CadreProfile(region="jilin"))
    assert decision.result == {"subsidy_yuan": 45_000}
    assert decision.answer.startswith("如果您是退休干部，大约能补助四万五千元")
    assert decision.follow_up.slot == "status"
    assert decision.follow_up.values == ("退休", "离休")


def test_missing_amount_asks_for_exactly_that() -> None:
    decision = answer("medical.subsidy", {}, JILIN_RETIRED, TODAY)
    assert decision.follow_up is not None and decision.follow_up.slot == "amount_yuan"
    assert "subsidy_yuan" not in decision.result


def test_shanghai_is_told_the_application_route_and_never_a_jilin_figure() -> None:
    decision = subsidy_for(120_000, CadreProfile(region="shanghai", status="退休"))
    assert "subsidy_yuan" not in decision.result
    assert {c.document for c in decision.citations} == {"shanghai"}
    assert "四万五千" not in decision.text
    assert decision.escalate  # they asked for a figure the standard does not give
    assert "我已经转给工作人员" in decision.text  # and are told so


def test_shanghai_asked_only_how_it_works_is_promised_nothing_it_does_not_do() -> None:
    decision = answer("medical.subsidy", {}, CadreProfile(region="shanghai", status="退休"),
                      TODAY)
    assert decision.escalation is None
    assert "转给" not in decision.text and "我请工作人员" not in decision.text
    assert "审核确认后发放" in decision.answer


@pytest.mark.parametrize("region", ["jilin", "shanghai", "weihai"])
def test_lixiu_cadres_are_not_told_of_a_rule_no_seed_has(region: str) -> None:
    decision = subsidy_for(120_000, CadreProfile(region=region, status="离休"))
    assert "另有" not in decision.text and "专门的保障办法" not in decision.text
    assert decision.escalate and "转给工作人员" in decision.text


@pytest.mark.parametrize("region", ["weihai", "liaocheng"])
def test_regions_without_a_subsidy_rule_go_to_staff(region: str) -> None:
    decision = subsidy_for(120_000, CadreProfile(region=region, status="退休"))
    assert "subsidy_yuan" not in decision.result
    assert decision.escalation.priority == Priority.NORMAL


def test_unknown_region_names_whose_rule_each_figure_is_and_asks_the_region() -> None:
    decision = subsidy_for(120_000, CadreProfile())
    assert "subsidy_yuan" not in decision.result
    assert "吉林省的规定" in decision.text
    assert decision.follow_up.slot == "region"


def test_amount_in_the_message_wins_and_approximate_amounts_are_flagged() -> None:
    decision = answer("medical.subsidy", {"amount_yuan": 100_000, "amount_approx": True},
                      JILIN_RETIRED, TODAY)
    assert decision.result == {"subsidy_yuan": 35_000}
    assert any("估算" in c for c in decision.caveats)
