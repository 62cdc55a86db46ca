"""Bounds read as RULES.md "How numbers read" says: 以上、以下、以内 include the number itself,
超过、不满 exclude it. The readings in policy.yaml are the ones the rules use."""

import knowledge
from junxiu_core.numbers import reaches, within

POLICY = knowledge.load().policy


def test_6_months_or_more_includes_exactly_6_months() -> None:  # 失联6个月以上 (shanghai 6.4.4)
    rule = POLICY["contact"]["shanghai"]
    assert rule["inclusive"] is True
    assert reaches(6, rule["months"], inclusive=rule["inclusive"])
    assert not reaches(5, rule["months"], inclusive=rule["inclusive"])


def test_80_years_or_under_includes_80_and_not_81() -> None:  # 年龄原则上在80周岁以下
    for region in ("weihai", "liaocheng"):
        rule = POLICY["sanatorium"][region]
        assert within(80, rule["max_age"], inclusive=rule["max_age_inclusive"])
        assert not within(81, rule["max_age"], inclusive=rule["max_age_inclusive"])


def test_over_50000_yuan_excludes_exactly_50000() -> None:  # 超过5万元 (jilin 第二十条)
    start = POLICY["medical_subsidy"]["jilin"]["tiers"][0][0]
    assert not reaches(50_000, start, inclusive=False)
    assert reaches(50_001, start, inclusive=False)
