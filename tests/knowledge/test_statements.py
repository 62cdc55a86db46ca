"""Answer texts with a citation per sentence (knowledge/base.py): plain strings rest on the
entry's `cite`, a mapping {text, cite} on its own; the rendered strings stay plain."""

from __future__ import annotations

import pytest

import knowledge
from knowledge.base import _entries

ENTRY = {
    "visits": {
        "shanghai": {
            "answer": {"text": "在上海，高温天会来走访慰问。", "cite": ["shanghai 5.8.1"]},
            "points": [
                "独居的干部，每天都会联系。",
                {"text": "想请人来看看，可以直接说，找工作人员。", "cite": []},
            ],
            "more": [{"text": "来访时会做好记录。", "cite": ["shanghai 5.8.4"]}],
            "cite": ["shanghai 5.8.3"],
        }
    }
}


def entry() -> knowledge.TextEntry:
    entries, _ = _entries(ENTRY)
    return entries["visits"]["shanghai"]


def test_the_rendered_texts_stay_plain_strings() -> None:
    e = entry()
    assert e.answer == "在上海，高温天会来走访慰问。"
    assert e.points == ("独居的干部，每天都会联系。", "想请人来看看，可以直接说，找工作人员。")
    assert e.more == ("来访时会做好记录。",)


def test_each_sentence_carries_its_own_citation_or_the_entrys() -> None:
    cites = [(s.layer, s.cite, s.own_cite) for s in entry().statements]
    assert cites == [
        ("answer", (("shanghai", "5.8.1"),), True),
        ("points", (("shanghai", "5.8.3"),), False),  # a plain string: the entry's cite
        ("points", (), True),                          # advice: no article
        ("more", (("shanghai", "5.8.4"),), True),
    ]


def test_the_entry_cites_the_union_of_its_sentences_declared_ones_first() -> None:
    assert entry().cite == (("shanghai", "5.8.3"), ("shanghai", "5.8.1"), ("shanghai", "5.8.4"))


def test_plain_entries_load_as_before() -> None:
    plain = {"answer": "一句话。", "cite": ["national 第十五条"]}
    entries, strings = _entries({"k": {"national": plain}, "s": "一个字符串"})
    e = entries["k"]["national"]
    assert e.cite == (("national", "第十五条"),) and e.statements[0].cite == e.cite
    assert strings == {"s": "一个字符串"}


@pytest.mark.parametrize("item", [
    {"text": "没有写依据。"}, {"cite": []}, {"text": "多了一栏。", "cite": [], "note": "?"},
])
def test_a_malformed_item_is_refused(item: dict) -> None:
    with pytest.raises(ValueError):
        _entries({"k": {"national": {"answer": "一句话。", "points": [item], "cite": []}}})


def test_an_entry_built_by_hand_rests_every_sentence_on_its_cite() -> None:
    e = knowledge.TextEntry("k", "jilin", "一句话。", points=("两句话。",),
                            cite=(("jilin", "第十五条"),))
    assert [s.cite for s in e.statements] == [(("jilin", "第十五条"),)] * 2
