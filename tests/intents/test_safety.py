"""The safety questions asked of every message: emergencies told by their signs (and their
look-alikes), deaths reported, complaints with their topic, places without rules.
Written from how people tell these things, not from any evaluation set."""

from datetime import date

import pytest

from intents import understand
from intents.emergency import OVER, default_detector
from intents.normalise import default_normaliser

TODAY = date(2026, 11, 22)


def net(text: str) -> str | None:
    alarm = default_detector().assess(default_normaliser()(text))
    return alarm.kind if alarm else None


@pytest.mark.parametrize(("text", "kind"), [
    ("我老伴嘴有点歪，说话舌头打不过弯", "stroke"),
    ("老头子一边胳膊突然抬不起来了", "stroke"),
    ("他一身冷汗，手抖得拿不住杯子，心慌", "hypoglycemia"),
    ("我妈降压药好像吃了两遍，现在头晕站不稳", "overdose"),
    ("推了推他，叫他也不答应", "unconscious"),
    ("我爸早上出门遛弯，到现在还没回来，电话也没人接", "lost"),
    ("厨房一股煤气味", "gas"),
    ("我妈一个人住，电话打了一整天都没人接", "not_answering"),
    ("活着没意思，安眠药我攒了一瓶", "suicidal"),
    ("老伴发高烧，烧到四十度了", "fever"),
])
def test_the_rule_net_knows_the_signs(text: str, kind: str) -> None:
    assert net(text) == kind


@pytest.mark.parametrize("text", [
    "去年摔过一跤，现在走路还行",  # the past
    "要是晚上摔倒了起不来怎么办",  # a hypothetical
    "叫了120的救护车，车费能报销吗",  # a policy question
    "我有冠心病多年了，胸口闷是老毛病",  # a chronic condition
    "刚才有点胸口疼，现在好了",  # over
])
def test_look_alikes_are_cut_out_before_the_net_looks(text: str) -> None:
    assert net(text) is None


def test_an_old_fall_mentioned_does_not_hide_a_new_one() -> None:
    assert net("去年摔过一跤，今天又摔倒了起不来") == "fall"


@pytest.mark.parametrize("text", [
    "我每天省下一片安眠药，现在有几十片了",  # pills saved up
    "老伴走了，我也没念想了，药我都攒够了",
    "本人已无生念，计划近日自行了断",  # an end named
    "我最近老想着死了就好了",
    "老伴走了半年了，我也该跟她去了",  # going after the dead
    "以后不用给我打电话了，我准备走了，活够了",
])
def test_a_plan_to_die_is_a_suicidal_sign(text: str) -> None:
    assert net(text) == "suicidal"


@pytest.mark.parametrize("text", [
    "我准备走了，明天的车，到了北京再联系",  # leaving on a trip
    "我想跟他去北京看看",
    "药都存好了，过年药房关门",  # medicines stocked
    "降压药都攒够了，过年不怕",
])
def test_going_away_or_stocking_medicine_is_no_plan_to_die(text: str) -> None:
    assert net(text) is None


def test_after_a_deed_done_is_the_past_not_a_hypothetical() -> None:
    """以后 after 了 ("老伴走了以后") tells what followed, so what it says now still counts."""
    assert net("老伴走了以后我一个人在家摔倒了起不来") == "fall"
    assert net("以后要是摔倒了起不来怎么办") is None


def test_a_phone_not_answered_for_hours_by_someone_alone_is_a_sign() -> None:
    assert net("太奶奶一个人在家，打了三个钟头电话都没人接") == "not_answering"
    assert net("我妈一个人住，今天早上起没接过一个电话") == "not_answering"


def evidence(text: str) -> list[str]:
    return default_detector().evidence(default_normaliser()(text))[1]


@pytest.mark.parametrize("text", [
    "老伴刚才叫不醒，掐了半天人中，现在醒过来了，在喝粥",
    "爷爷下午走丢了，派出所找着了",
    "刚才喘不上气，坐了一会儿就好了",
])
def test_a_danger_said_over_is_marked_over(text: str) -> None:
    assert OVER in evidence(text)


@pytest.mark.parametrize("text", [
    "他说躺一会儿就好了，不让叫120，胸口疼得厉害",  # the patient waving help away
    "老伴晕过去了，现在好了吗",  # asked, not told
    "老伴还没醒过来",  # negated
    "灶上的火灭了，气还在出",  # a flame that went out is the gas danger
    "刚才嘴歪了，说话不清楚，过了十分钟又好了",  # a passing stroke is still a stroke
    "老伴摔倒了起不来，你们来一趟就好了",  # a request, not a recovery
    "我在阳台上往下看，想着跳下去就不疼了",
    "老伴叫不醒，到现在还没有醒过来",  # negated before it
    "老伴晕倒了，一直没能醒过来",
    "厨房着火了，我没法扑灭",
    "着火了，扑灭不了",  # ... and after it
    "老伴摔倒了起不来，歇一会儿就好了",  # a hope, not a recovery
])
def test_what_only_sounds_over_is_not(text: str) -> None:
    assert OVER not in evidence(text)


@pytest.mark.parametrize("text", [
    "老伴叫不醒，到现在还没有醒过来",
    "老伴晕倒了，到现在还没有醒过来",
    "老伴晕倒了，一直没能醒过来",
    "老伴晕倒了，到现在都没有缓过劲",
    "着火了，扑灭不了",
    "厨房着火了，我没法扑灭",
    "老伴摔倒了起不来，歇一会儿就好了",
])
def test_a_danger_not_over_is_an_emergency(text: str) -> None:
    assert understand(text, TODAY).intent == "emergency"


@pytest.mark.parametrize("text", [
    "我老伴嘴有点歪，说话舌头打不过弯",
    "不好意思打扰，我想问问疗养的事，哎我老伴刚才突然说不出话了",
    "俺家老头子叫不醒了",
])
def test_emergencies_told_by_their_signs_are_caught(text: str) -> None:
    assert understand(text, TODAY).intent == "emergency"


@pytest.mark.parametrize("text", ["老伴昨晚走了", "我父亲今天早上去世了", "老伴刚走，我心里难受"])
def test_a_death_reported_is_bereavement_news_not_a_goodbye_or_an_emergency(text: str) -> None:
    assert understand(text, TODAY).intent == "bereavement.news"


def test_a_question_about_funeral_benefits_stays_an_ordinary_answer() -> None:
    assert understand("我父亲去世了，丧葬费怎么办理", TODAY).intent == "bereavement"


def test_a_complaint_that_names_a_topic_is_a_complaint_about_that_topic() -> None:
    u = understand("医疗补助的材料交上去三个月了，一直没人理，这叫什么事", TODAY)
    assert (u.intent, u.topic) == ("complaint", "medical.subsidy")


@pytest.mark.parametrize("text", ["出国的飞机票哪里买便宜", "军休所旁边那个银行几点开门"])
def test_off_topic_questions_with_a_domain_word_are_out_of_scope(text: str) -> None:
    assert understand(text, TODAY).intent == "out_of_scope"


def test_a_policy_question_from_a_place_without_rules_is_policy_other() -> None:
    u = understand("我在广州，看病自己掏了十二万，能补多少", TODAY)
    assert (u.intent, u.topic) == ("policy.other", "medical.subsidy")


def test_a_health_worry_that_is_not_urgent_is_a_concern() -> None:
    assert understand("这几天老是头晕，吃饭也不香", TODAY).intent == "health.concern"


@pytest.mark.parametrize(("text", "recent"), [
    ("我家老头子前天没了，后事怎么办", True),
    ("我爸昨天走了，丧葬费怎么领", True),
    ("我妈今早去世了 我们该找谁办后事", True),
    ("我父亲去世三年了，抚恤金还能领吗", False),
    ("要是他哪天不在了 丧葬费谁领", False),
    ("军休干部去世了丧葬费多少", False),
])
def test_a_death_told_as_recent_is_news_even_beside_a_funeral_question(text: str,
                                                                       recent: bool) -> None:
    u = understand(text, TODAY)
    assert u.intent == "bereavement"
    assert u.death_recent is recent
