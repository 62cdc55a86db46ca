"""因私出国（境）: 吉林细则第十五条, 上海 DB31/T 1044 6.4. 师级 → approval (10 working days in
jilin); 团级及以下 → filing; passport to the agency within 10 days of return."""

from datetime import date

import pytest

from junxiu_core import CadreProfile, answer
from junxiu_core.workdays import working_days_before

TODAY = date(2026, 11, 22)  # a Sunday


def travel(region: str, rank: str | None, **slots):
    return answer("travel.abroad", slots, CadreProfile(region=region, rank=rank), TODAY)


@pytest.mark.parametrize("region", ["jilin", "shanghai"])
@pytest.mark.parametrize(("rank", "procedure"), [
    ("师级", "approval"), ("军级", "approval"),
    ("团级", "filing"), ("营级", "filing"), ("连级", "filing"),
])
def test_procedure_follows_the_post_grade(region: str, rank: str, procedure: str) -> None:
    assert travel(region, rank).result["procedure"] == procedure


def test_jilin_approval_names_the_form_and_ten_working_days() -> None:
    decision = travel("jilin", "师级")
    assert "审批表" in decision.text and "十个工作日" in decision.text
    assert ("jilin", "第十五条") in {(c.document, c.article) for c in decision.citations}


def test_shanghai_division_level_goes_through_the_district() -> None:
    decision = travel("shanghai", "师级")
    assert "区退役军人" in decision.text
    assert {c.document for c in decision.citations} == {"shanghai"}


def test_jilin_regiment_level_files_a_report_and_hands_in_the_passport() -> None:
    text = travel("jilin", "团级").text
    assert "报备" in text and "十天内" in text


def test_long_stays_report_every_quarter() -> None:
    assert "季度" in travel("jilin", "团级").text


def test_rank_unknown_asks_for_the_post_grade() -> None:
    decision = travel("jilin", None)
    assert decision.follow_up.slot == "rank"
    assert "procedure" not in decision.result


def test_a_military_rank_is_not_a_post_grade() -> None:
    decision = travel("jilin", None, military_rank="大校")
    assert "大校" in decision.follow_up.question and "军衔" in decision.follow_up.question


def test_back_on_december_5_passport_due_december_15() -> None:
    decision = travel("jilin", "团级", date="2026-12-05", date_kind="return")
    assert decision.result["deadline"] == "2026-12-15"
    assert decision.answer.endswith("12月15日前。")


def test_leaving_december_3_apply_ten_working_days_before() -> None:
    decision = travel("jilin", "师级", date="2026-12-03", date_kind="depart")
    # Thu 3 Dec back 10 working days (weekends skipped): Thu 19 Nov — already past on 22 Nov.
    assert decision.result["deadline"] == "2026-11-19"
    assert "马上联系军休所" in decision.answer
    assert any("节假日" in c for c in decision.caveats)


def test_leaving_in_good_time_gives_the_last_day_to_apply() -> None:
    decision = travel("jilin", "师级", date="2027-01-15", date_kind="depart")
    assert decision.result["deadline"] == "2027-01-01"
    assert "2027年1月1日前" in decision.answer


def test_working_days_skip_weekends() -> None:
    assert working_days_before(date(2026, 11, 30), 1) == date(2026, 11, 27)  # Mon → Fri
    assert working_days_before(date(2026, 12, 3), 10) == date(2026, 11, 19)


def test_working_days_skip_the_national_day_holiday_and_count_its_working_saturday() -> None:
    # 2026: 10月1日-7日 放假; Saturday 10 October is worked (调休).
    assert working_days_before(date(2026, 10, 8), 1) == date(2026, 9, 30)
    assert working_days_before(date(2026, 10, 12), 1) == date(2026, 10, 10)


def test_a_date_the_official_calendar_covers_says_holidays_were_counted() -> None:
    decision = travel("jilin", "师级", date="2026-12-03", date_kind="depart")
    assert any("按国家公布的节假日" in c for c in decision.caveats)


def test_past_the_calendars_last_year_it_says_holidays_are_not_counted() -> None:
    decision = travel("jilin", "师级", date="2027-03-15", date_kind="depart")
    assert any("没算法定节假日" in c for c in decision.caveats)


def test_a_jilin_return_date_gives_the_passport_deadline_without_asking_the_rank() -> None:
    decision = travel("jilin", None, date="2026-12-05", date_kind="return")
    assert decision.result["deadline"] == "2026-12-15"
    assert decision.follow_up is None


def test_shanghai_regiment_level_has_no_passport_deadline_in_the_standard() -> None:
    decision = travel("shanghai", "团级", date="2026-12-05", date_kind="return")
    assert "deadline" not in decision.result


@pytest.mark.parametrize("region", ["weihai", "liaocheng"])
def test_regions_without_a_travel_rule_go_to_staff(region: str) -> None:
    decision = travel(region, "师级")
    assert "procedure" not in decision.result and decision.escalate


def test_unknown_region_is_asked() -> None:
    assert travel("national", "师级").follow_up.slot == "region"


def test_asked_about_the_passport_the_passport_rule_comes_first_for_any_rank() -> None:
    unknown = answer("travel.abroad", {"aspect": "passport"}, CadreProfile(region="jilin"),
                     TODAY)
    assert unknown.follow_up is None and "十天内" in unknown.answer
    division = answer("travel.abroad", {"aspect": "passport"},
                      CadreProfile(region="jilin", rank="师级"), TODAY)
    assert "十天内" in division.answer and any("审批" in p for p in division.points)
    assert sum("十天内" in line for line in (division.answer, *division.points)) == 1


@pytest.mark.parametrize("region", ["jilin", "shanghai"])
def test_a_long_stay_is_answered_without_asking_the_rank(region: str) -> None:
    decision = answer("travel.abroad", {"aspect": "long_stay"}, CadreProfile(region=region),
                      TODAY)
    assert decision.follow_up is None and "每个季度" in decision.answer
