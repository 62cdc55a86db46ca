"""Slot extraction from one cadre message (intents.slots.extract)."""

from datetime import date

import cn2an
import pytest

from intents.slots import extract
from intents.slots.numerals import parse_number
from junxiu_core.model import Rank, Status

TODAY = date(2026, 11, 22)  # a Sunday


def slots(text: str, today: date = TODAY) -> dict:
    return extract(text, today)


# --- amount ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "yuan"), [
    ("我自付了12万", 120_000),
    ("自付十二万", 120_000),
    ("花了12万5千", 125_000),
    ("十万零五千", 105_000),
    ("13万5千元", 135_000),
    ("8.6万", 86_000),
    ("9.2万元", 92_000),
    ("二十三万块", 230_000),
    ("120000元", 120_000),
    ("1.2万元", 12_000),
    ("一万二", 12_000),
    ("十二万五", 125_000),
    ("两万", 20_000),
    ("5万元整", 50_000),
    ("6万块", 60_000),
    ("八点六万", 86_000),
    ("12,000元", 12_000),
    ("医疗费自付12万5", 125_000),
])
def test_amount_in_every_written_form(text: str, yuan: int) -> None:
    assert slots(text)["amount_yuan"] == yuan
    assert "amount_approx" not in slots(text)


@pytest.mark.parametrize("text", ["自付150000", "花了150000", "医疗费150000", "报销后还剩150000"])
def test_bare_large_number_counts_with_money_context(text: str) -> None:
    assert slots(text)["amount_yuan"] == 150_000


def test_bare_number_without_money_context_is_not_an_amount() -> None:
    assert "amount_yuan" not in slots("编号150000")


@pytest.mark.parametrize(("text", "yuan"), [
    ("大概十来万", 100_000),
    ("十几万吧", 100_000),
    ("花了好几万", 100_000),
    ("二十多万", 200_000),
    ("一万多块", 10_000),
    ("花了三四万", 30_000),
    ("将近十万是自付的", 100_000),
    ("自付五万左右", 50_000),
])
def test_approximate_amount_is_flagged(text: str, yuan: int) -> None:
    assert slots(text)["amount_yuan"] == yuan
    assert slots(text)["amount_approx"] is True


@pytest.mark.parametrize("text", [
    "我今年75岁",
    "八十二岁了",
    "12月5日出发",
    "2023年住的院",
    "一次也没去过",
    "住了3天",
    "来了100人",
    "手机13812345678",
    "我电话是88886666",
    "电话0431-88888888",
    "依据〔2023〕24号文件",
    "我们一块去",
    "七十多岁了",
    "千万别忘了",
    "万一出事怎么办",
    "立过三等功",
])
def test_numbers_that_are_not_money_give_no_amount(text: str) -> None:
    assert "amount_yuan" not in slots(text)


def test_year_next_to_money_words_is_not_an_amount() -> None:
    assert slots("2023年花了五万")["amount_yuan"] == 50_000


def test_document_number_next_to_an_amount_is_skipped() -> None:
    assert slots("按〔2021〕2号文件，医疗费十二万")["amount_yuan"] == 120_000


@pytest.mark.parametrize(("text", "yuan"), [
    ("总共花了20万，报销了8万，自付12万", 120_000),
    ("一共12万，其中自付8万5", 85_000),
    ("报销了8万，个人负担6万", 60_000),
    ("医保报了3万，自己掏了两万", 20_000),
])
def test_self_paid_amount_is_preferred_among_several(text: str, yuan: int) -> None:
    assert slots(text)["amount_yuan"] == yuan


def test_first_amount_wins_without_a_self_paid_word() -> None:
    assert slots("住院费用8万，药费3万")["amount_yuan"] == 80_000


@pytest.mark.parametrize("numeral", [
    "十二万五千", "12万", "8.6万", "十万零五千", "二十三万", "13万5千", "一万二", "十二万五",
    "12万5", "三千五", "两万", "1.2万",
])
def test_number_parser_agrees_with_cn2an_on_exact_forms(numeral: str) -> None:
    value, approx = parse_number(numeral)
    assert not approx
    assert round(value) == round(cn2an.cn2an(numeral, "smart"))


# --- rank --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "rank"), [
    ("我是正师", Rank.DIVISION), ("副师", Rank.DIVISION), ("师职干部", Rank.DIVISION),
    ("我是师级", Rank.DIVISION), ("正师级退休", Rank.DIVISION), ("副师职", Rank.DIVISION),
    ("正团", Rank.REGIMENT), ("副团职", Rank.REGIMENT), ("团级干部", Rank.REGIMENT),
    ("退休前是团长", Rank.REGIMENT),
    ("营级", Rank.BATTALION), ("营职", Rank.BATTALION), ("正营", Rank.BATTALION),
    ("副营职干部", Rank.BATTALION),
    ("连级干部", Rank.COMPANY), ("副连职", Rank.COMPANY),
    ("排级", Rank.PLATOON), ("正排职", Rank.PLATOON),
    ("军级", Rank.ARMY), ("正军职", Rank.ARMY), ("享受副军职待遇", Rank.ARMY),
])
def test_rank_from_post_grade(text: str, rank: Rank) -> None:
    assert slots(text)["rank"] == rank.value


def test_first_post_named_is_the_rank() -> None:
    assert slots("我是正师级退休干部，享受副军职待遇")["rank"] == "师级"


@pytest.mark.parametrize("text", [
    "麻烦安排一下", "排队要多久", "安排级别", "营养跟不上", "经营不善",
    "跟旅游团去", "团体活动", "全家团聚", "正团聚在一起",
    "孩子的老师", "他是律师", "厨师长", "找个师傅", "工程师职称",
    "连续三天", "连忙打电话", "正排队呢",
])
def test_everyday_words_are_not_ranks(text: str) -> None:
    assert "rank" not in slots(text)


def test_category_question_is_not_the_cadres_rank() -> None:
    assert "rank" not in slots("团级以下要审批吗")


@pytest.mark.parametrize(("text", "mil"), [
    ("我是大校", "大校"), ("上校军衔", "上校"), ("少将退休的", "少将"),
])
def test_military_rank_without_post(text: str, mil: str) -> None:
    result = slots(text)
    assert result["military_rank"] == mil
    assert "rank" not in result


def test_post_grade_wins_over_military_rank() -> None:
    result = slots("上校军衔，正团职")
    assert result["rank"] == "团级"
    assert "military_rank" not in result


@pytest.mark.parametrize("text", ["马上将材料交上去", "其中将近一半", "初中校长"])
def test_words_containing_rank_characters_are_not_military_ranks(text: str) -> None:
    assert "military_rank" not in slots(text)


# --- status ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "status"), [
    ("我是离休干部", Status.LIXIU), ("我是离休的", Status.LIXIU), ("我离休二十年了", Status.LIXIU),
    ("我是退休干部", Status.TUIXIU), ("我是退休的", Status.TUIXIU),
    ("军队退休干部", Status.TUIXIU), ("退休前是团长", Status.TUIXIU),
])
def test_status_from_self_description(text: str, status: Status) -> None:
    assert slots(text)["status"] == status.value


@pytest.mark.parametrize("text", [
    "离退休费什么时候发", "离退休干部", "军休干部", "军队离休退休干部服务管理办法",
    "离休、退休都行",
])
def test_words_naming_both_groups_give_no_status(text: str) -> None:
    assert "status" not in slots(text)


def test_negated_status_is_ignored() -> None:
    assert slots("我不是离休，是退休")["status"] == "退休"


# --- merits ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "codes"), [
    ("立过一等功", ["merit_1"]),
    ("我立过二等功", ["merit_2"]),
    ("立过2次三等功", ["merit_3"]),
    ("两次三等功", ["merit_3"]),
    ("战时三等功", ["merit_3_wartime"]),
    ("作战时立的三等功", ["merit_3_wartime"]),
    ("在战场上立过三等功", ["merit_3_wartime"]),
    ("参战荣立三等功", ["merit_3_wartime"]),
    ("受过三次嘉奖", ["citation"]),
    ("市委市政府表彰过", ["commended_city"]),
    ("县委县政府给过表彰", ["commended_county"]),
    ("区委区政府表扬过我", ["commended_county"]),
    ("省委省政府表彰", ["commended_province"]),
    ("受过国务院表彰", ["commended_national"]),
    ("被市退役军人事务局评为先进军休干部", ["model_cadre_city"]),
    ("区退役军人事务局评过先进", ["model_cadre_county"]),
    ("县退役军人事务局评的先进", ["model_cadre_county"]),
    ("省厅评的先进", ["model_cadre_province"]),
    ("评过市级先进军休干部", ["model_cadre_city"]),
    ("立过二等功也被市退役军人事务局评过先进", ["merit_2", "model_cadre_city"]),
    ("一个三等功，两次嘉奖", ["merit_3", "citation"]),
])
def test_merits_as_canonical_codes(text: str, codes: list[str]) -> None:
    assert slots(text)["merits"] == codes


@pytest.mark.parametrize("text", ["没立过功", "啥功也没立过", "没得过什么表彰", "这辈子没立过功"])
def test_explicitly_no_honour_is_none(text: str) -> None:
    assert slots(text)["merits"] == ["none"]


def test_negated_merit_is_not_reported() -> None:
    assert slots("没立过一等功，只有一个三等功")["merits"] == ["merit_3"]


def test_collective_merit_is_not_personal() -> None:
    assert "merits" not in slots("所在连队荣立集体三等功")


def test_honour_without_level_adds_no_code() -> None:
    # 评过先进 without saying by whom: the caller must ask the level.
    assert slots("我立过二等功也评过先进")["merits"] == ["merit_2"]


def test_no_time_is_not_no_merit() -> None:
    assert "merits" not in slots("我没有功夫")


# --- age ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "age"), [
    ("八十二岁", 82), ("82岁", 82), ("我都82了", 82), ("我今年75了", 75), ("俺75了", 75),
    ("今年77", 77), ("刚过80周岁生日", 80), ("年满80周岁", 80), ("明年80", 79),
    ("明年就80了", 79), ("快80了", 79), ("快八十岁了", 79), ("我今年八十一了", 81),
])
def test_age_in_every_form(text: str, age: int) -> None:
    result = slots(text)
    assert result["age"] == age
    assert "age_approx" not in result


@pytest.mark.parametrize(("text", "age"), [
    ("七十多岁", 70), ("八十来岁", 80), ("我今年七十多了", 70),
])
def test_approximate_age_is_flagged(text: str, age: int) -> None:
    assert slots(text)["age"] == age
    assert slots(text)["age_approx"] is True


@pytest.mark.parametrize("text", [
    "80年代入伍", "参军50年", "80岁以上还能去吗", "18岁参军", "都六十多天了", "12万",
])
def test_numbers_that_are_not_the_cadres_age(text: str) -> None:
    assert "age" not in slots(text)


def test_relatives_age_is_skipped() -> None:
    assert slots("我老伴78岁，我今年八十一了")["age"] == 81


# --- date --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "iso"), [
    ("12月5日", "2026-12-05"),
    ("12月5号", "2026-12-05"),
    ("十二月五号", "2026-12-05"),
    ("12.5号", "2026-12-05"),
    ("12/20", "2026-12-20"),
    ("下个月3号", "2026-12-03"),
    ("3号", "2026-12-03"),        # 3 November is past: next month
    ("25号", "2026-11-25"),       # still ahead this month
    ("22号", "2026-11-22"),       # today is not in the past
    ("31号", "2026-12-31"),       # November has no 31st
    ("明天", "2026-11-23"),
    ("后天", "2026-11-24"),
    ("大后天", "2026-11-25"),
    ("下周一", "2026-11-23"),     # today is Sunday: next week's Monday is tomorrow
    ("下星期三", "2026-11-25"),
    ("周五", "2026-11-27"),
    ("2027年1月10日", "2027-01-10"),
    ("2027-01-10", "2027-01-10"),
    ("明年3月1号", "2027-03-01"),
    ("1月10日", "2027-01-10"),    # already past this year: next year
    ("3天后", "2026-11-25"),
])
def test_date_resolved_against_today(text: str, iso: str) -> None:
    assert slots(text)["date"] == iso


def test_same_words_resolve_differently_on_another_day() -> None:
    assert slots("3号", today=date(2026, 11, 1))["date"] == "2026-11-03"


@pytest.mark.parametrize(("text", "kind"), [
    ("12月5日回国", "return"), ("12月5号回来", "return"), ("后天回到家", "return"),
    ("12月5日入境", "return"), ("12月5日返回", "return"), ("12月5号飞回来", "return"),
    ("12月3日出发", "depart"), ("3号走", "depart"), ("下周一飞", "depart"),
    ("12月3日出国", "depart"), ("明天动身", "depart"), ("12月3日出境", "depart"),
    ("准备12月3号离开", "depart"),
])
def test_date_kind_from_the_verb(text: str, kind: str) -> None:
    assert slots(text)["date_kind"] == kind


def test_date_kind_omitted_when_unclear() -> None:
    assert "date_kind" not in slots("12月5日可以吗")


def test_each_date_takes_its_own_verb() -> None:
    result = slots("12月3号走，明年1月10号回来")
    assert (result["date"], result["date_kind"]) == ("2026-12-03", "depart")


@pytest.mark.parametrize("text", [
    "每周一次", "一周三次体检", "3号楼", "1号线", "依据〔2023〕24号文件", "今天想问一下", "12.5万",
])
def test_things_that_are_not_dates(text: str) -> None:
    assert "date" not in slots(text)


def test_today_counts_when_someone_leaves_or_returns() -> None:
    assert slots("我今天刚回来") == {"date": "2026-11-22", "date_kind": "return"}


# --- region ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "region"), [
    ("我在吉林", "jilin"), ("吉林省", "jilin"), ("吉林市", "jilin"), ("长春", "jilin"),
    ("四平市", "jilin"), ("延吉", "jilin"), ("延边", "jilin"), ("公主岭", "jilin"),
    ("梅河口", "jilin"), ("珲春市", "jilin"), ("敦化", "jilin"), ("绿园区", "jilin"),
    ("上海", "shanghai"), ("上海市", "shanghai"), ("浦东新区", "shanghai"), ("浦东", "shanghai"),
    ("黄浦区", "shanghai"), ("徐汇", "shanghai"), ("长宁区", "shanghai"), ("静安", "shanghai"),
    ("普陀区", "shanghai"), ("虹口", "shanghai"), ("杨浦", "shanghai"), ("闵行", "shanghai"),
    ("宝山", "shanghai"), ("嘉定", "shanghai"), ("金山区", "shanghai"), ("松江", "shanghai"),
    ("青浦", "shanghai"), ("奉贤", "shanghai"), ("崇明", "shanghai"),
    ("威海", "weihai"), ("威海市", "weihai"), ("环翠区", "weihai"), ("文登", "weihai"),
    ("荣成", "weihai"), ("乳山", "weihai"), ("威海经区", "weihai"), ("高区", "weihai"),
    ("临港区", "weihai"), ("南海新区", "weihai"), ("临港新片区", "shanghai"),
    ("聊城", "liaocheng"), ("东昌府区", "liaocheng"), ("茌平", "liaocheng"), ("临清", "liaocheng"),
    ("阳谷", "liaocheng"), ("莘县", "liaocheng"), ("东阿", "liaocheng"), ("冠县", "liaocheng"),
    ("高唐", "liaocheng"),
])
def test_region_from_place_names(text: str, region: str) -> None:
    assert slots(text)["region"] == region


@pytest.mark.parametrize(("text", "place"), [
    ("我住在湖南", "湖南"), ("我在长沙", "长沙"), ("北京", "北京"), ("广东省", "广东"),
    ("山东省", "山东"), ("我在济南安置的", "济南"), ("湖南长沙", "长沙"),
])
def test_place_outside_the_four_regions(text: str, place: str) -> None:
    result = slots(text)
    assert result["place_other"] == place
    assert "region" not in result


@pytest.mark.parametrize(("text", "region"), [
    ("我在山东威海", "weihai"),              # the more specific place wins
    ("山东聊城的", "liaocheng"),
    ("我在上海，我儿子在长春", "shanghai"),  # the place tied to 我 wins
    ("儿子在上海，我住长春", "jilin"),
    ("我是山东人，现在住在上海", "shanghai"),
    ("老家在湖南，现在住上海", "shanghai"),
    ("我是吉林省长春市的", "jilin"),
])
def test_region_precedence(text: str, region: str) -> None:
    assert slots(text)["region"] == region


def test_other_place_tied_to_the_cadre_beats_a_childs_region() -> None:
    assert slots("我住在北京，儿子在上海") == {"place_other": "北京"}


@pytest.mark.parametrize("text", ["朝阳区", "西安区", "普陀山", "临港"])
def test_ambiguous_names_are_left_out(text: str) -> None:
    result = slots(text)
    assert "region" not in result
    assert "place_other" not in result


@pytest.mark.parametrize(("text", "dest"), [
    ("去俄罗斯", "俄罗斯"), ("想去加拿大看女儿", "加拿大"), ("去日本旅游", "日本"),
    ("去香港探亲", "香港"), ("去澳门", "澳门"), ("去台湾", "台湾"), ("去欧洲", "欧洲"),
    ("去新加坡", "新加坡"),
])
def test_foreign_places_are_destinations_not_regions(text: str, dest: str) -> None:
    result = slots(text)
    assert result["destination"] == dest
    assert result["abroad"] is True
    assert "region" not in result and "place_other" not in result


def test_going_abroad_without_a_place_still_sets_abroad() -> None:
    assert slots("我想出国")["abroad"] is True


def test_korean_ethnic_county_is_not_korea() -> None:
    result = slots("长白朝鲜族自治县")
    assert result == {"region": "jilin"}


# --- living situation and health ---------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "我独居", "一个人住", "孤老一个", "老伴走了一个人过", "无子女", "没有子女",
])
def test_lives_alone(text: str) -> None:
    assert slots(text)["lives_alone"] is True


def test_not_living_alone_when_negated() -> None:
    assert slots("不是一个人住，跟儿子一起住")["lives_alone"] is False


@pytest.mark.parametrize(("text", "value"), [
    ("能自理", True), ("生活自理", True), ("腿脚利索", True), ("身体硬朗", True),
    ("身体挺好", True), ("身体健康", True), ("身体还挺好", True),
    ("卧床两年了", False), ("生活不能自理", False), ("瘫痪在床", False), ("坐轮椅", False),
])
def test_self_care(text: str, value: bool) -> None:
    assert slots(text)["self_care"] is value


def test_relatives_health_is_not_the_cadres() -> None:
    assert slots("我老伴卧床，我身体挺好")["self_care"] is True


@pytest.mark.parametrize("text", ["有传染病", "精神病", "查出癌症", "得了重病", "肿瘤", "肺癌晚期",
                                  "住ICU"])
def test_serious_illness(text: str) -> None:
    assert slots(text)["serious_illness"] is True


@pytest.mark.parametrize("text", ["没有传染病", "无传染病和精神病"])
def test_denied_illness_is_false(text: str) -> None:
    assert slots(text)["serious_illness"] is False


# --- last honorary sanatorium ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "year"), [
    ("前年参加过一回荣誉疗养", 2024),
    ("去年去过疗养", 2025),
    ("2024年疗养过", 2024),
    ("今年刚去过", 2026),
    ("两年前去疗养过", 2024),
    ("上次疗养是2022年", 2022),
])
def test_last_sanatorium_year(text: str, year: int) -> None:
    assert slots(text)["last_sanatorium_year"] == year


@pytest.mark.parametrize("text", ["今年想去疗养", "去年没去疗养", "去年去过北京"])
def test_no_sanatorium_year_without_a_past_stay(text: str) -> None:
    assert "last_sanatorium_year" not in slots(text)


# --- whole messages ----------------------------------------------------------------------------

def test_empty_message_gives_no_slots() -> None:
    assert slots("你好") == {}


def test_full_width_input_is_read() -> None:
    assert slots("自付１２万，１２月５日出发")["amount_yuan"] == 120_000


def test_message_with_many_slots() -> None:
    assert slots("我今年78了，立过二等功，住在威海环翠区，前年参加过一回荣誉疗养，还能去吗") == {
        "age": 78, "merits": ["merit_2"], "region": "weihai", "last_sanatorium_year": 2024,
    }


def test_travel_message() -> None:
    assert slots("我是副师职，12月5号要去加拿大看女儿，什么时候要申请？") == {
        "rank": "师级", "date": "2026-12-05", "date_kind": "depart",
        "destination": "加拿大", "abroad": True,
    }


def test_medical_message() -> None:
    assert slots("我是吉林的退休干部，去年住院自付了十二万五，能补助多少？") == {
        "amount_yuan": 125_000, "status": "退休", "region": "jilin",
    }


# --- wave 2: slots said the way cadres say them --------------------------------------------

def _slots(text: str) -> dict:
    from intents.normalise import default_normaliser

    return extract(default_normaliser()(text), date(2026, 11, 22))


def test_a_merit_earned_in_the_army_is_personal_not_collective() -> None:
    assert _slots("在部队立过三等功")["merits"] == ["merit_3"]


def test_a_unit_that_earned_the_merit_makes_it_collective() -> None:
    assert "merits" not in _slots("我们连队立过集体三等功")


def test_zheng_bashi_is_an_age_of_eighty() -> None:
    assert _slots("我今年整八十了")["age"] == 80


def test_a_city_veterans_bureau_title_is_a_city_level_model_cadre() -> None:
    assert _slots("被聊城市退役军人事务局评为先进军休干部")["merits"] == ["model_cadre_city"]


def test_a_province_named_in_a_commendation_does_not_hide_the_city_the_cadre_named() -> None:
    slots = _slots("我是乳山的，移交地方以后获得过山东省委省政府的表彰")
    assert slots["region"] == "weihai" and slots["merits"] == ["commended_province"]


def test_wan_heard_as_wan_evening_is_still_an_amount() -> None:
    assert _slots("自付了十五晚能补多少")["amount_yuan"] == 150_000
    assert "amount_yuan" not in _slots("昨晚十点睡的")


def test_a_jilin_subsidy_question_with_slips_is_understood() -> None:
    from intents import understand

    u = understand("吉林市军修所退休的 今年付费二十万零八百 能补多少", date(2026, 11, 22))
    assert u.intent == "medical.subsidy"
    assert (u.slots["amount_yuan"], u.slots["status"], u.slots["region"]) == (
        200_800, "退休", "jilin")


# --- a place visited, and the part of a topic asked about ------------------------------------

@pytest.mark.parametrize("text", ["我去上海看病，自己花了十二万，能补多少", "到青岛开会",
                                  "去上海的医院看病了", "上北京看孙子去了"])
def test_a_place_gone_to_for_a_purpose_is_not_where_the_cadre_is_settled(text: str) -> None:
    found = slots(text)
    assert "region" not in found and "place_other" not in found


@pytest.mark.parametrize(("text", "region"), [("我搬到上海了", "shanghai"),
                                              ("我住在上海，去北京玩", "shanghai"),
                                              ("我是吉林的，去北京看孙子", "jilin")])
def test_the_place_a_cadre_lives_still_counts_beside_a_visit(text: str, region: str) -> None:
    assert slots(text)["region"] == region


@pytest.mark.parametrize(("text", "aspect"), [("回来以后护照怎么办", "passport"),
                                              ("要是待半年呢", "long_stay"),
                                              ("那要怎么申请", "how"),
                                              ("要带什么材料", "how")])
def test_the_part_of_a_topic_asked_about_is_a_slot(text: str, aspect: str) -> None:
    assert slots(text)["aspect"] == aspect


def test_no_aspect_when_none_is_asked() -> None:
    assert "aspect" not in slots("我能去疗养吗")
