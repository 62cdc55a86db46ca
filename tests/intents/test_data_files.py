"""Sanity checks for the intent matcher's data files in intents/data/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parents[2] / "intents" / "data"

INTENT_IDS = [
    "sanatorium.eligibility",
    "sanatorium.arrangements",
    "medical.subsidy",
    "medical.checkup",
    "medical.access",
    "nursing.allowance",
    "travel.abroad",
    "contact.lost",
    "party.membership",
    "social_org.parttime",
    "residence.change",
    "pension.allowances",
    "bereavement",
    "elderly_care",
    "visits",
    "culture.education",
    "honors",
    "complaint",
    "emergency",
    "policy.other",
    "human_agent",
    "checkin.reply",
    "smalltalk.greeting",
    "smalltalk.thanks",
    "smalltalk.goodbye",
    "help",
    "out_of_scope",
]


def _load(name: str):
    with (DATA / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def phrases() -> dict:
    return _load("phrases.yaml")


@pytest.fixture(scope="module")
def homophones() -> dict:
    return _load("homophones.yaml")


@pytest.fixture(scope="module")
def fillers() -> dict:
    return _load("fillers.yaml")


@pytest.fixture(scope="module")
def emergency() -> dict:
    return _load("emergency.yaml")


@pytest.fixture(scope="module")
def domain_words() -> list[str]:
    words = []
    for line in (DATA / "domain_words.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            words.append(line.split()[0])
    return words


def _is_emergency(text: str, em: dict, compiled: list[re.Pattern]) -> bool:
    """The documented use of emergency.yaml: strip not_emergency, then look for cues."""
    for phrase in sorted(em["not_emergency"], key=len, reverse=True):
        text = text.replace(phrase, "")
    return any(p in text for p in em["phrases"]) or any(r.search(text) for r in compiled)


# --- phrases.yaml ---------------------------------------------------------------------


def test_phrases_cover_every_intent(phrases):
    assert len(INTENT_IDS) == 27
    missing = [i for i in INTENT_IDS if i not in phrases]
    assert not missing, missing
    unknown = [i for i in phrases if i not in INTENT_IDS]
    assert not unknown, unknown


@pytest.mark.parametrize("intent", INTENT_IDS)
def test_intent_has_enough_data(phrases, intent):
    entry = phrases[intent]
    assert set(entry) == {"keywords", "examples"}
    examples, keywords = entry["examples"], entry["keywords"]
    assert len(examples) >= 50
    assert 8 <= len(keywords) <= 30
    for s in examples + keywords:
        assert isinstance(s, str) and s.strip() == s and s, repr(s)
    assert len(set(examples)) == len(examples), "duplicate example within the intent"
    assert len(set(keywords)) == len(keywords), "duplicate keyword within the intent"


def test_no_example_in_two_intents(phrases):
    owner: dict[str, str] = {}
    clashes = []
    for intent, entry in phrases.items():
        for ex in entry["examples"]:
            if ex in owner and owner[ex] != intent:
                clashes.append((ex, owner[ex], intent))
            owner[ex] = intent
    assert not clashes, clashes


def test_no_keyword_in_two_intents(phrases):
    owner: dict[str, str] = {}
    clashes = []
    for intent, entry in phrases.items():
        for kw in entry["keywords"]:
            if kw in owner and owner[kw] != intent:
                clashes.append((kw, owner[kw], intent))
            owner[kw] = intent
    assert not clashes, clashes


# --- domain_words.txt -------------------------------------------------------------------


def test_domain_words_format():
    lines = [
        ln for ln in (DATA / "domain_words.txt").read_text(encoding="utf-8").splitlines() if ln
    ]
    assert len(lines) >= 250
    seen = set()
    for ln in lines:
        parts = ln.split(" ")
        assert len(parts) in (2, 3), ln
        word, freq = parts[0], parts[1]
        assert word and not word.startswith("#"), ln
        assert freq.isdigit() and 1000 <= int(freq) <= 100000, ln
        if len(parts) == 3:
            assert re.fullmatch(r"[a-z]+", parts[2]), ln
        assert word not in seen, f"duplicate word {word}"
        seen.add(word)


def test_domain_words_load_into_jieba():
    jieba = pytest.importorskip("jieba")
    tk = jieba.Tokenizer()
    tk.load_userdict(str(DATA / "domain_words.txt"))
    assert "战时三等功" in tk.lcut("我立过战时三等功能去市级荣誉疗养吗")
    assert "自付医疗费" in tk.lcut("自付医疗费十二万能补多少")


# --- homophones.yaml --------------------------------------------------------------------


def test_homophones_shape(homophones):
    assert isinstance(homophones, dict)
    assert len(homophones) >= 60
    for wrong, right in homophones.items():
        assert isinstance(wrong, str) and isinstance(right, str)
        assert wrong and right and wrong != right


def test_homophone_keys_never_inside_correct_words(homophones, domain_words, phrases):
    correct = set(domain_words) | set(homophones.values())
    for entry in phrases.values():
        correct.update(entry["keywords"])
    bad = [(k, w) for k in homophones for w in correct if k in w]
    assert not bad, bad


def test_homophone_replacement_is_idempotent(homophones):
    # no replacement result may itself contain a key (it would be rewritten again)
    bad = [(k, v) for v in homophones.values() for k in homophones if k in v]
    assert not bad, bad


# --- fillers.yaml -----------------------------------------------------------------------


def test_fillers_shape(fillers):
    f = fillers["fillers"]
    assert set(f) == {"always", "when_not_alone"}
    for key in ("always", "when_not_alone"):
        assert f[key], key
        for s in f[key]:
            assert isinstance(s, str) and s.strip() == s and s
    assert not set(f["always"]) & set(f["when_not_alone"])


def test_fillers_that_are_messages_on_their_own_are_not_always_dropped(fillers, phrases):
    always = set(fillers["fillers"]["always"])
    for intent in ("smalltalk.greeting", "smalltalk.thanks", "smalltalk.goodbye", "checkin.reply"):
        clash = always & set(phrases[intent]["examples"])
        assert not clash, (intent, clash)


# --- emergency.yaml ---------------------------------------------------------------------


def test_emergency_shape(emergency):
    assert set(emergency) == {"phrases", "patterns", "not_emergency"}
    assert len(emergency["phrases"]) >= 100
    for key in ("phrases", "not_emergency"):
        for s in emergency[key]:
            assert isinstance(s, str) and len(s) >= 2, (key, s)
        assert len(set(emergency[key])) == len(emergency[key]), key


def test_emergency_patterns_compile(emergency):
    for p in emergency["patterns"]:
        assert isinstance(p, str) and p
        re.compile(p)


def test_not_emergency_phrases_are_not_cues_themselves(emergency):
    # a not_emergency phrase must not be needed to recognise a real cue
    for n in emergency["not_emergency"]:
        assert n not in emergency["phrases"], n


def test_emergency_examples_are_caught(emergency, phrases):
    compiled = [re.compile(p) for p in emergency["patterns"]]
    missed = [
        ex for ex in phrases["emergency"]["examples"] if not _is_emergency(ex, emergency, compiled)
    ]
    assert not missed, missed


def test_other_examples_do_not_trip_emergency(emergency, phrases):
    compiled = [re.compile(p) for p in emergency["patterns"]]
    tripped = [
        (intent, ex)
        for intent, entry in phrases.items()
        if intent != "emergency"
        for ex in entry["examples"]
        if _is_emergency(ex, emergency, compiled)
    ]
    assert not tripped, tripped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我爸摔倒了起不来", True),
        ("去年摔过一跤现在好了", False),
        ("去年摔过一跤，今天又摔倒了起不来", True),
        ("胸口痛得厉害", True),
        ("体检查出胸闷的问题", False),
        ("急诊先救治后补手续是哪条规定", False),
        ("自付120000元能补多少", False),
        ("快打120", True),
        ("家里有煤气味", True),
        ("我妈叫不醒了", True),
    ],
)
def test_emergency_samples(emergency, text, expected):
    compiled = [re.compile(p) for p in emergency["patterns"]]
    assert _is_emergency(text, emergency, compiled) is expected


def test_emergency_examples_survive_a_veto_reading(emergency, phrases):
    # intents/emergency.py treats not_emergency as a veto: no real emergency example may
    # contain one of those phrases
    vetoed = [
        (ex, n)
        for ex in phrases["emergency"]["examples"]
        for n in emergency["not_emergency"]
        if n in ex
    ]
    assert not vetoed, vetoed
