"""Which sentence of an answer a question asks about (bot.asked): said first, in either layer."""

from __future__ import annotations

from datetime import date

import pytest

from bot.asked import asked_sentence, coverage
from junxiu_core import CadreProfile, answer

TODAY = date(2026, 11, 22)


def decision(intent: str, region: str, **slots):
    return answer(intent, slots, CadreProfile(region=region), TODAY)


@pytest.mark.parametrize(("question", "intent", "region", "slots", "word"), [
    ("多久能去一次", "sanatorium.eligibility", "weihai", {"merits": ["merit_2"]}, "周期"),
    ("疗养要签什么协议吗 出了事谁管", "sanatorium.arrangements", "liaocheng", {}, "协议"),
    ("事迹能写进地方志不", "honors", "jilin", {}, "地方志"),
    ("离退休证找不着了 医院那边要手续咋整", "medical.access", "jilin", {}, "先抢救"),
    # a count asked is answered with the sentence that states it
    ("一批多少人啊", "sanatorium.arrangements", "liaocheng", {}, "五十人"),
    ("出国审批要几个工作日", "travel.abroad", "jilin", {"rank": "师级"}, "十个工作日"),
])
def test_a_question_about_one_part_of_a_topic_gets_that_sentence(
        question: str, intent: str, region: str, slots: dict, word: str) -> None:
    d = decision(intent, region, **slots)
    picked = asked_sentence(question, d.answer, [*d.points, *d.more])
    assert picked is not None and word in picked


@pytest.mark.parametrize(("question", "intent", "region", "slots"), [
    ("我能去疗养吗", "sanatorium.eligibility", "weihai", {"merits": ["merit_2"]}),
    ("医疗补助怎么算", "medical.subsidy", "shanghai", {}),
    ("护理补贴能领吗", "nursing.allowance", "jilin", {}),
    ("每期去几天", "sanatorium.arrangements", "liaocheng", {}),  # the first answer says it
])
def test_the_general_question_keeps_the_first_answer(question: str, intent: str, region: str,
                                                      slots: dict) -> None:
    d = decision(intent, region, **slots)
    assert asked_sentence(question, d.answer, [*d.points, *d.more]) is None


def test_in_the_next_layer_the_first_answer_comes_back_when_it_is_what_is_asked() -> None:
    d = decision("honors", "jilin")
    assert coverage("最美军休干部啥时候评", d.answer) >= 0.4
    assert asked_sentence("最美军休干部啥时候评", d.answer, [*d.points, *d.more],
                          detailed=True) == d.answer
