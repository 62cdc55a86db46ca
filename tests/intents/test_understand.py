"""understand(): how real messages are read. Written from how people talk, not from the
evaluation set."""

from datetime import date

import pytest

from intents import understand

TODAY = date(2026, 11, 22)


def intent_of(text: str) -> str:
    return understand(text, TODAY).intent


@pytest.mark.parametrize("text", [
    "我老伴在卫生间摔倒了起不来", "胸口疼得厉害喘不上气", "救命", "快来人啊",
    "去年摔过一跤，今天又摔倒了起不来",  # an old fall mentioned does not hide a new one
])
def test_emergencies_are_caught_first(text: str) -> None:
    u = understand(text, TODAY)
    assert u.intent == "emergency" and u.reason == "emergency"


def test_an_emergency_wins_over_any_other_topic_in_the_message() -> None:
    assert intent_of("我想问医疗补助的事，哎呀我头晕得站不住了") == "emergency"


def test_asking_about_emergency_treatment_policy_is_not_an_emergency() -> None:
    assert intent_of("急诊先救治后补手续，这个规定怎么执行") != "emergency"


@pytest.mark.parametrize(("text", "intent"), [
    ("我能参加疗养吗", "sanatorium.eligibility"),
    ("自付了十二万能补多少", "medical.subsidy"),
    ("我要去国外看孙子要办啥手续", "travel.abroad"),
    ("转人工", "human_agent"),
    ("谢谢你", "smalltalk.thanks"),
    ("你好", "smalltalk.greeting"),
    ("我挺好的放心吧", "checkin.reply"),
    ("明天天气怎么样", "out_of_scope"),
])
def test_everyday_questions(text: str, intent: str) -> None:
    assert intent_of(text) == intent


@pytest.mark.parametrize(("text", "intent"), [
    ("我能参加聊养吗", "sanatorium.eligibility"),      # 聊养 for 疗养
    ("军修干部因私出过要报备吗", "travel.abroad"),       # 军修/出过 for 军休/出国
    ("失连半年退休费会停吗", "contact.lost"),             # 失连 for 失联
])
def test_voice_input_homophones_still_match(text: str, intent: str) -> None:
    assert intent_of(text) == intent


def test_traditional_characters_are_read_as_simplified() -> None:
    assert intent_of("我能參加療養嗎") == "sanatorium.eligibility"


def test_a_long_story_with_the_question_buried_inside() -> None:
    text = ("我今年七十六了，年轻时在部队干了三十年，后来转到地方，老伴身体也不太好，"
            "孩子们都在外地工作，平时就我们俩，这两年看病花了不少钱，自己掏了差不多十二万，"
            "想问问这个医疗补助能给补多少")
    u = understand(text, TODAY)
    assert u.intent == "medical.subsidy" and u.slots["amount_yuan"] == 120_000


def test_a_long_message_that_contains_a_greeting_is_not_a_greeting() -> None:
    assert intent_of("你好，我是聊城的，立过二等功，今年七十五，能参加荣誉疗养吗") == \
        "sanatorium.eligibility"


def test_facts_in_the_message_are_extracted_as_slots() -> None:
    u = understand("威海文登的，73岁，服役时立过二等功，能参加荣誉疗养吗", TODAY)
    assert u.slots["region"] == "weihai" and u.slots["age"] == 73
    assert u.slots["merits"] == ["merit_2"]


def test_policy_question_outside_the_knowledge_base_goes_to_staff() -> None:
    assert intent_of("军休干部的取暖费补贴标准是多少") in {"policy.other", "pension.allowances"}


@pytest.mark.parametrize("text", [
    "", "   ", "\n\t", "🙂🙂🙂", "12345", "?!。，", "\u200b\u200b", "\x00\x01\x02",
    "a" * 10_000, "你" * 20_000, "hello how are you", "مرحبا", "‮abc", "{0}{1}%s%d",
    "'; DROP TABLE cadres; --", "<script>alert(1)</script>",
])
def test_bad_input_gets_a_kind_intent_never_an_exception(text: str) -> None:
    assert understand(text, TODAY).intent in {"help", "out_of_scope", "policy.other",
                                              "smalltalk.greeting"}


def test_torn_between_two_topics_offers_both() -> None:
    u = understand("疗养", TODAY)
    if u.clarify:  # a bare topic word may be answered directly or clarified: both are fine
        assert len(u.alternatives) >= 2
    assert u.intent.startswith("sanatorium.")


@pytest.mark.parametrize(("prior", "text"), [
    ("travel.abroad", "要是待半年呢"),
    ("sanatorium.eligibility", "多久能去一次"),
    ("nursing.allowance", "那要怎么申请"),
])
def test_a_follow_up_resolves_against_the_last_topic(prior: str, text: str) -> None:
    assert understand(text, TODAY, prior=prior).intent == prior


def test_changing_the_subject_answers_the_new_subject() -> None:
    assert understand("自付了十二万能补多少", TODAY, prior="travel.abroad").intent == \
        "medical.subsidy"


@pytest.mark.parametrize("text", ["好的", "谢谢", "嗯嗯", "再见"])
def test_small_talk_after_an_answer_is_not_read_as_a_follow_up(text: str) -> None:
    assert understand(text, TODAY, prior="medical.subsidy").intent != "medical.subsidy"


@pytest.mark.parametrize("text", ["好嘞 谢谢啊", "行 知道了 谢谢", "好的 谢谢你"])
def test_an_acknowledgement_with_thanks_is_thanks(text: str) -> None:
    """Politeness is dropped only when something with meaning is left: "好嘞" is not it."""
    assert understand(text, TODAY).intent == "smalltalk.thanks"
