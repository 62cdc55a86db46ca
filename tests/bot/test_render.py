"""Replies read well and sound right: answer first, at most three points, no markup, emoji or
symbols, the citation alone on the last line. Checked over every text the knowledge base can
produce and over the answers to the evaluation set."""

import json
import re
from datetime import date
from pathlib import Path

import pytest

import knowledge
from bot.answering import answer_text
from bot.render import MAX_POINTS, UNCITED, render, speakable
from junxiu_core import INTENTS, REGIONS, CadreProfile, answer

TODAY = date(2026, 11, 22)
FORBIDDEN = re.compile(r"[*_`#|\[\]{}<>%％≤≥~～→×&•·]|[\U0001f000-\U0001faff\u2600-\u27bf]")
NOT_SPOKEN = ("ui.staff", "staff.", "ui.console", "ui.menu.keyboard")
EVAL = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "dev.jsonl"


def check_reply(text: str) -> None:
    lines = text.split("\n")
    assert lines and lines[0].strip(), "the first line is the answer"
    body = lines[:-1] if lines[-1].startswith("依据：") else lines
    for line in body:
        assert not FORBIDDEN.search(line), f"symbol or markup in {line!r}"
        assert "依据" not in line, "the citation stands alone on the last line"
    assert all(not line.startswith("依据：") for line in lines[:-1])


def test_speakable_turns_symbols_into_words() -> None:
    assert speakable("超出部分的70%给予补助") == "超出部分的百分之70给予补助"
    assert speakable("人数≤100人") == "人数不超过100人"
    assert speakable("**重要** 👍 # 标题") == "重要 标题"


@pytest.mark.parametrize("intent", INTENTS)
@pytest.mark.parametrize("region", REGIONS)
def test_every_intent_renders_cleanly_in_every_region(intent: str, region: str) -> None:
    decision = answer(intent, {}, CadreProfile(region=region), TODAY)
    text = render(decision)
    check_reply(text)
    assert text.split("\n")[0] == speakable(decision.answer)
    if decision.citations and intent not in UNCITED:
        assert text.split("\n")[-1].startswith("依据：《")


def test_at_most_three_points_unless_asked_for_detail() -> None:
    decision = answer("sanatorium.eligibility", {"merits": ["merit_2"]},
                      CadreProfile(region="liaocheng", age=75), TODAY)
    short = render(decision)
    long = render(decision, detailed=True)
    points = short.split("\n")[1:1 + len(decision.points)]
    assert len([p for p in points if p in decision.points]) <= MAX_POINTS
    assert len(long) >= len(short)


def test_every_knowledge_base_text_is_speakable() -> None:
    kb = knowledge.load()
    for key, regions in kb.entries.items():
        for entry in regions.values():
            for line in (entry.answer, *entry.points, *entry.more):
                bare = re.sub(r"\{\w+\}", "", line)  # placeholders are filled before speaking
                assert speakable(bare) == bare.strip(), f"{key}: {line!r}"
    for key, text in kb.strings.items():
        if key.startswith(NOT_SPOKEN) or key.endswith(".values"):
            continue  # staff-facing text, console chrome and codes are not read aloud
        assert not FORBIDDEN.search(re.sub(r"\{\w+\}", "", text)), f"{key}: {text!r}"


def test_amounts_are_said_the_way_people_say_them() -> None:
    decision = answer("medical.subsidy", {"amount_yuan": 120_000},
                      CadreProfile(region="jilin", status="退休"), TODAY)
    assert render(decision).startswith("大约能补助四万五千元。")


@pytest.mark.skipif(not EVAL.is_file(), reason="evaluation set not beside the repo")
def test_answers_to_the_evaluation_set_render_cleanly() -> None:
    for line in EVAL.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        check_reply(answer_text(row["text"], CadreProfile(), TODAY).text)
