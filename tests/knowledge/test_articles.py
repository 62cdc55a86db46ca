"""How seed texts become addressable articles and clauses (knowledge/articles.py)."""

from __future__ import annotations

import re
import time
from importlib import resources

import cn2an
import pytest
import yaml

import knowledge
from knowledge.articles import parse_articles

DATA = resources.files("knowledge") / "data"
REGISTRY = yaml.safe_load((DATA / "documents.yaml").read_text(encoding="utf-8"))
ARTICLE_DOCUMENTS = [key for key, doc in REGISTRY.items() if doc["scheme"] == "articles"]

CJK = r"[\u4e00-\u9fff]"
ARTICLE_KEY = re.compile(r"第[零一二三四五六七八九十百]+条")


def parsed(document: str) -> dict[str, str]:
    doc = REGISTRY[document]
    return parse_articles((DATA / "seeds" / doc["seed"]).read_text(encoding="utf-8"), doc["scheme"])


def articles_only(refs: dict[str, str]) -> list[str]:
    """The article keys of an "articles" document, without the 第X条（三） clause keys."""
    return [ref for ref in refs if ARTICLE_KEY.fullmatch(ref)]


def prose_lines(text: str) -> list[str]:
    """The lines of a text outside tables (table rows keep their column gaps on purpose)."""
    lines, in_table = [], False
    for line in text.splitlines():
        if re.match(r"表\s*\d", line):
            in_table = True
        elif re.match(r"\d+(\.\d+)+ ", line):
            in_table = False
        if not in_table:
            lines.append(line)
    return lines


# --- real seeds: what the answers cite must be there, verbatim and clean ---------------------


def test_jilin_article_20_states_the_medical_subsidy_tiers_with_spacing_normalised():
    text = parsed("jilin")["第二十条"]
    assert "超过5万元的，按照超出部分的70%给予补助" in text  # seed: "超过\n\n\n\n5 万元的"
    assert "超过10万元的，按照超出部分的50%给予补助" in text
    assert "补助最高限额为10万元" in text


def test_jilin_article_15_suspends_pay_after_six_months_out_of_contact():
    assert "失联6个月（含）以上" in parsed("jilin")["第十五条"]


def test_shanghai_6_4_4_suspends_pay_after_six_months_out_of_contact():
    assert "失联6个月以上" in parsed("shanghai")["6.4.4"]


def test_shanghai_5_11_2_covers_special_and_complex_policy_questions():
    assert "特殊复杂的政策问题" in parsed("shanghai")["5.11.2"]


def test_shanghai_5_4_5_is_the_medical_subsidy_clause():
    assert parsed("shanghai")["5.4.5"].startswith("符合医疗补助条件的军休干部")


def test_weihai_article_5_sets_the_merit_levels():
    text = parsed("weihai")["第五条"]
    assert "二等功（包括战时三等功）及以上" in text
    assert "三等功及以上" in text


def test_liaocheng_article_4_sets_the_merit_levels():
    text = parsed("liaocheng")["第四条"]
    assert "二等功（包括战时三等功）及以上" in text
    assert "荣立三等功事迹特别突出" in text
    # the seed breaks this article across a page ("表彰，\n\n以及被县级"): it is rejoined
    assert "政府表彰，以及被县级以上" in text


def test_national_article_11_clause_6_is_the_funeral_arrangements():
    assert parsed("national")["第十一条（六）"] == (
        "协助办理军休干部去世后的丧葬事宜，按照政策规定落实遗属待遇。"
    )


@pytest.mark.parametrize(
    ("document", "count", "last_words"),
    [
        ("national", 37, "本办法自2022年1月1日起施行。"),
        ("jilin", 59, "移交政府安置退休士官的服务管理参照执行。"),
        ("weihai", 23, "有效期至2025年12月31日。"),
        ("liaocheng", 21, "有效期至2025年12月31日。"),
    ],
)
def test_each_articles_document_ends_with_its_real_last_article(document, count, last_words):
    articles = articles_only(parsed(document))
    assert len(articles) == count
    assert parsed(document)[articles[-1]].endswith(last_words)


# --- scheme "articles": structure --------------------------------------------------------------


@pytest.mark.parametrize("document", ARTICLE_DOCUMENTS)
def test_articles_are_numbered_consecutively_from_article_one(document):
    articles = articles_only(parsed(document))
    assert articles == [f"第{cn2an.an2cn(n)}条" for n in range(1, len(articles) + 1)]


def test_an_article_keeps_its_clauses_and_each_clause_has_its_own_key():
    refs = parsed("national")
    clauses = [ref for ref in refs if ref.startswith("第十一条（")]
    assert clauses == [f"第十一条（{n}）" for n in "一二三四五六"]
    article = refs["第十一条"]
    assert article.startswith(
        "军休机构应当做好以下服务保障工作：\n（一）举行新接收军休干部迎接仪式。"
    )
    assert "\n（六）" + refs["第十一条（六）"] in article


def test_a_paragraph_break_inside_an_article_survives():
    first, second = parsed("national")["第一条"].split("\n")
    assert first.endswith("制定本办法。")
    assert second.startswith("本办法所称军队离休退休干部")


@pytest.mark.parametrize("document", ARTICLE_DOCUMENTS)
def test_no_article_swallows_a_chapter_heading(document):
    for ref, text in parsed(document).items():
        assert not re.search(r"第[一二三四五六七八九十]+章", text), ref


@pytest.mark.parametrize("document", ARTICLE_DOCUMENTS)
def test_the_notice_before_article_one_is_not_part_of_any_article(document):
    refs = parsed(document)
    assert not any("印发你们" in text or "部长" in text for text in refs.values())
    assert next(iter(refs)) == "第一条"


def test_a_reference_to_an_article_that_wraps_to_a_line_start_does_not_split():
    text = "第一条 为了做好工作，依照\n第五条规定执行。\n第二条 本办法自印发之日起施行。"
    refs = parse_articles(text, "articles")
    assert list(refs) == ["第一条", "第二条"]
    assert refs["第一条"] == "为了做好工作，依照第五条规定执行。"


def test_a_gap_in_the_numbering_stays_visible_instead_of_merging_articles():
    text = "第一条 甲。\n第二条 乙。\n第四条 丁。"
    assert list(parse_articles(text, "articles")) == ["第一条", "第二条", "第四条"]


def test_a_chapter_title_ends_the_article_before_it():
    text = "第一章 总则\n第一条 甲。\n第二章  服务\n管理内容\n第二条 乙。"
    assert parse_articles(text, "articles") == {"第一条": "甲。", "第二条": "乙。"}


def test_an_unknown_scheme_is_an_error():
    with pytest.raises(ValueError, match="scheme"):
        parse_articles("第一条 甲。", "chapters")


# --- scheme "numbered" (Shanghai DB31/T 1044) -------------------------------------------------


def test_a_section_includes_the_text_of_its_subclauses():
    refs = parsed("shanghai")
    section = refs["5.11"]
    assert section.startswith("咨询服务\n")
    assert "5.11.1 " + refs["5.11.1"] in section
    assert "5.11.2 " + refs["5.11.2"] in section
    assert "6.1" not in section


def test_a_chapter_runs_to_the_next_chapter():
    refs = parsed("shanghai")
    assert refs["6"].startswith("管理要求\n6.1 基本要求\n6.1.1 ")
    assert refs["6"].endswith(refs["6.6.4"])


def test_the_top_level_sections_are_the_seven_chapters():
    assert [ref for ref in parsed("shanghai") if "." not in ref] == [str(n) for n in range(1, 8)]


def test_numbers_starting_a_wrapped_line_are_not_clauses():
    refs = parsed("shanghai")
    # "不少于\n\n50 人的" (4.2.6) and "入境后\n\n10 天内" (6.4.2) begin lines in the seed
    assert "50" not in refs and "10" not in refs
    assert "不少于50人的" in refs["4.2.6"]
    assert "在入境后10天内" in refs["6.4.2"]


def test_the_foreword_change_list_is_not_mistaken_for_clauses():
    refs = parsed("shanghai")
    assert refs["4.2.4"].startswith("应统筹布局军休机构")  # not "增加了军休机构的设置要求"
    assert not any("增加了" in text for text in refs.values())


def test_every_numbered_clause_of_the_seed_gets_a_key():
    seed = (DATA / "seeds" / "shanghai.txt").read_text(encoding="utf-8")
    in_seed = re.findall(r"(?m)^\s*(\d+(?:\.\d+)+)(?:\s|$)", seed)
    assert [ref for ref in parsed("shanghai") if "." in ref] == in_seed


def test_lettered_items_stay_in_their_clause_one_per_line():
    lines = parsed("shanghai")["5.10.3"].split("\n")
    assert lines == [
        "军休机构应根据逝世军休干部遗愿或家属意愿，协助家属办好善后事宜，包括：",
        "a) 书写生平事迹、发布讣告；",
        "b) 派工作人员参加追思会，敬送花圈；",
        "c) 协助办理遗体覆盖党旗或军旗事宜。",
    ]


def test_a_term_definition_keeps_the_term_on_its_own_line():
    assert parsed("shanghai")["3.1"].split("\n") == [
        "军队离休退休干部 retired military cadres",
        "中国人民解放军和中国人民武装警察部队移交政府安置的团级以下离休干部和师级以下退休干部。",
    ]


def test_standard_codes_keep_their_inner_space():
    assert parsed("shanghai")["4.2.2"] == "军休机构室内场所应符合 GB/T 18883 的要求。"


def test_table_rows_keep_their_line_breaks_and_column_gaps():
    assert "\n书画室 24 36 48\n" in parsed("shanghai")["4.2.6"]


# --- clean text, every document ------------------------------------------------------------


@pytest.mark.parametrize("document", list(REGISTRY))
def test_no_stray_spaces_between_chinese_characters(document):
    for ref, text in parsed(document).items():
        for line in prose_lines(text):
            assert not re.search(rf"{CJK}\s+{CJK}", line), (ref, line)
            assert not re.search(rf"{CJK}\s+\d+\s*{CJK}", line), (ref, line)  # "超过 5 万元"


@pytest.mark.parametrize("document", list(REGISTRY))
def test_texts_have_no_empty_lines_or_edge_whitespace(document):
    for ref, text in parsed(document).items():
        assert text and text == text.strip(), ref
        assert "\n\n" not in text, ref


def test_parsing_all_seeds_is_fast():
    start = time.perf_counter()
    for document in REGISTRY:
        parsed(document)
    assert time.perf_counter() - start < 0.25  # ~10 ms in practice; generous for slow CI


# --- through the loader --------------------------------------------------------------------


def test_every_registered_document_has_articles():
    kb = knowledge.load()
    assert set(kb.articles) == set(REGISTRY)
    assert all(kb.articles[key] for key in REGISTRY)


def test_an_article_is_addressable_by_document_and_reference():
    article = knowledge.load().article("jilin", "第二十条")
    assert (article.document, article.ref) == ("jilin", "第二十条")
    assert "补助最高限额为10万元" in article.text
