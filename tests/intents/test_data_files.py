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


# --- phrases.yaml ---------------------------------------------------------------------


def test_phrases_cover_every_wave_one_intent(phrases):
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
    assert len(examples) >= 40
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
    assert {"signs", "cut", "cut_clauses", "resolved", "resolved_unless", "resolved_negated_before",
            "resolved_negated_after", "urgent_when_passed",
            "acute", "frames",
            "phrases", "patterns", "not_emergency"} == set(emergency)
    for key in ("phrases", "not_emergency"):
        for s in emergency[key]:
            assert isinstance(s, str) and len(s) >= 2, (key, s)
        assert len(set(emergency[key])) == len(emergency[key]), key


def test_every_emergency_regex_compiles(emergency):
    for p in [*emergency["patterns"], *emergency["cut"], *emergency["cut_clauses"],
              *emergency["resolved"], emergency["resolved_unless"], emergency["acute"],
              emergency["resolved_negated_before"], emergency["resolved_negated_after"]]:
        re.compile(p)
    for kind, entries in emergency["signs"].items():
        for entry in entries:
            for p in entry if isinstance(entry, list) else [entry]:
                re.compile(p), kind


def test_not_emergency_phrases_are_not_cues_themselves(emergency):
    for n in emergency["not_emergency"]:
        assert n not in emergency["phrases"], n


def test_the_rule_net_catches_every_wave_one_emergency_example(phrases):
    from intents.emergency import default_detector
    from intents.normalise import default_normaliser

    net, normalise = default_detector(), default_normaliser()
    missed = [ex for ex in phrases["emergency"]["examples"] if not net.assess(normalise(ex))]
    assert not missed, missed


# --- slots.yaml -------------------------------------------------------------------------


def test_slot_vocabulary_shape():
    """Words a reader extends by hand: a bare 1 or yes would load as a number or a bool."""
    from junxiu_core.model import Rank

    vocabulary = yaml.safe_load((DATA / "slots.yaml").read_text(encoding="utf-8"))
    for section, lists in vocabulary.items():
        for name, words in lists.items():
            assert words, (section, name)
            keys = list(words)
            assert all(isinstance(w, str) and w and w.strip() == w for w in keys), (section, name)
            assert len(set(keys)) == len(keys), (section, name)
    assert {Rank(v) for v in vocabulary["rank"]["by_character"].values()} == set(Rank)
    assert all(isinstance(v, int) for v in vocabulary["dates"]["weekdays"].values())
