"""The general answer texts: short enough to hear, clean enough to read aloud, and every
citation pointing at an article that exists in its seed document."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

import knowledge

DATA = Path(__file__).resolve().parents[2] / "knowledge" / "data"
ANSWERS = DATA / "answers" / "general.yaml"
SEEDS = DATA / "seeds"

INTENTS = [
    "sanatorium.arrangements",
    "medical.checkup",
    "medical.access",
    "nursing.allowance",
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
UNCITED_ALLOWED = {
    "smalltalk.greeting",
    "smalltalk.thanks",
    "smalltalk.goodbye",
    "help",
    "out_of_scope",
}
ESCALATIONS = {"complaint", "policy.other", "human_agent", "emergency"}
DOCUMENTS = {"national", "jilin", "shanghai", "weihai", "liaocheng"}
REGIONS = DOCUMENTS

MAX_CHARS = 60
MAX_POINTS = 3
MAX_MORE = 6

# Nothing a speech engine would read out as a symbol, nothing that looks like markup.
FORBIDDEN = re.compile(
    r"[%％≤≥<>~～/→←；;*#`|_\[\]()（）【】:]"
    r"|[\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F]"
)
CHINESE_NUMERAL = "零一二三四五六七八九十百"
ARTICLE_HEAD = re.compile(rf"^\s*(第[{CHINESE_NUMERAL}]+条)", re.MULTILINE)
ARTICLE_REF = re.compile(rf"^(第[{CHINESE_NUMERAL}]+条)(（[{CHINESE_NUMERAL}]+）)?$")
NUMBERED_REF = re.compile(r"^\d+(\.\d+)+$")


@cache
def texts() -> dict[str, dict[str, dict[str, Any]]]:
    return yaml.safe_load(ANSWERS.read_text(encoding="utf-8"))


def entries() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (key, region, body) for key, regions in texts().items() for region, body in regions.items()
    ]


def items(body: dict[str, Any]) -> list[Any]:
    """The answer, points and more as written: a string, or a mapping {text, cite}."""
    return [body["answer"], *body.get("points", []), *body.get("more", [])]


def text(item: Any) -> str:
    return item if isinstance(item, str) else item["text"]


def answer(body: dict[str, Any]) -> str:
    return text(body["answer"])


def sentences(body: dict[str, Any]) -> list[str]:
    return [text(item) for item in items(body)]


def citations() -> list[tuple[str, str, str, str]]:
    """Every citation written in the file: the entry's and each sentence's own."""
    found = []
    for key, region, body in entries():
        own = [c for item in items(body) if isinstance(item, dict) for c in item["cite"] or []]
        for raw in dict.fromkeys([*body.get("cite", []), *own]):
            document, _, ref = raw.partition(" ")
            found.append((key, region, document, ref.strip()))
    return found


def ids(params: list[tuple[Any, ...]]) -> list[str]:
    return ["-".join(str(p) for p in param if isinstance(p, str)) for param in params]


@cache
def seed(document: str) -> str:
    return (SEEDS / f"{document}.txt").read_text(encoding="utf-8")


@cache
def article_texts(document: str) -> dict[str, str]:
    """第X条 -> its text, split at article heads that open a line."""
    text = seed(document)
    heads = list(ARTICLE_HEAD.finditer(text))
    ends = [h.start() for h in heads[1:]] + [len(text)]
    return {h.group(1): text[h.start() : end] for h, end in zip(heads, ends, strict=True)}


def test_every_intent_has_a_national_entry() -> None:
    missing = [key for key in INTENTS if "national" not in texts().get(key, {})]
    assert not missing


def test_only_known_regions_have_entries() -> None:
    assert {region for _, region, _ in entries()} <= REGIONS


def test_honorary_sanatorium_rules_only_answer_sanatorium_arrangements() -> None:
    regions = {(key, region) for key, region, _ in entries() if region in {"weihai", "liaocheng"}}
    assert regions == {
        ("sanatorium.arrangements", "weihai"),
        ("sanatorium.arrangements", "liaocheng"),
    }


@pytest.mark.parametrize(("key", "region", "body"), entries(), ids=ids(entries()))
def test_entry_has_a_short_answer_and_few_points(key: str, region: str, body: dict) -> None:
    assert isinstance(answer(body), str) and answer(body).strip()
    assert len(body.get("points", [])) <= MAX_POINTS
    assert len(body.get("more", [])) <= MAX_MORE
    too_long = [s for s in sentences(body) if len(s.strip()) > MAX_CHARS]
    assert not too_long


@pytest.mark.parametrize(("key", "region", "body"), entries(), ids=ids(entries()))
def test_entry_reads_aloud_without_symbols(key: str, region: str, body: dict) -> None:
    noisy = [s for s in sentences(body) if FORBIDDEN.search(s)]
    assert not noisy


@pytest.mark.parametrize(("key", "region", "body"), entries(), ids=ids(entries()))
def test_entry_cites_unless_it_is_smalltalk_or_help(key: str, region: str, body: dict) -> None:
    assert "cite" in body
    if key not in UNCITED_ALLOWED:
        assert body["cite"], f"{key}/{region} must cite the article it rests on"


@pytest.mark.parametrize(("key", "region", "document", "ref"), citations(), ids=ids(citations()))
def test_citation_names_a_known_document_and_a_wellformed_article(
    key: str, region: str, document: str, ref: str
) -> None:
    assert document in DOCUMENTS
    pattern = NUMBERED_REF if document == "shanghai" else ARTICLE_REF
    assert pattern.match(ref), f"{ref!r} is not an article reference for {document}"


@pytest.mark.parametrize(("key", "region", "document", "ref"), citations(), ids=ids(citations()))
def test_cited_article_is_in_the_seed_text(key: str, region: str, document: str, ref: str) -> None:
    if document == "shanghai":
        assert re.search(rf"^\s*{re.escape(ref)}\s", seed(document), re.MULTILINE)
        return
    match = ARTICLE_REF.match(ref)
    assert match
    article, clause = match.groups()
    assert article in article_texts(document)
    if clause:
        assert clause in article_texts(document)[article]


@pytest.mark.parametrize(("key", "region", "document", "ref"), citations(), ids=ids(citations()))
def test_cited_article_is_in_the_knowledge_base(
    key: str, region: str, document: str, ref: str
) -> None:
    try:
        kb = knowledge.load()
    except NotImplementedError:
        pytest.skip("knowledge.articles.parse_articles is not written yet")
    assert ref in kb.articles[document]


def test_citations_stay_within_the_region_and_national() -> None:
    stray = [
        (key, region, document)
        for key, region, document, _ in citations()
        if document not in {region, "national"}
    ]
    assert not stray


def test_escalations_answer_before_anything_else() -> None:
    for key in ESCALATIONS:
        for body in texts()[key].values():
            assert "工作人员" in answer(body)


def test_emergency_says_to_call_120_first() -> None:
    for body in texts()["emergency"].values():
        assert answer(body).startswith("请马上拨打120")


def test_expired_sanatorium_texts_leave_the_validity_caveat_to_code() -> None:
    for region in ("weihai", "liaocheng"):
        body = texts()["sanatorium.arrangements"][region]
        assert not any("2025" in s or "有效期" in s for s in sentences(body))


def test_no_phone_numbers_are_written_into_texts() -> None:
    digits = re.compile(r"\d{5,}")
    assert not [s for _, _, body in entries() for s in sentences(body) if digits.search(s)]
