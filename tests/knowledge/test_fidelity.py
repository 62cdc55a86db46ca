"""Every sentence backed by its article (issue 17).

Each sentence of an answer text carries the article(s) it rests on, next to it in the data.
These tests ask the policy core every intent in every region, in the situations its rules tell
apart, and check what each cadre is actually told:

- every cited article exists in its seed;
- a region hears only documents that reach it (its own plus national); a cadre whose region is
  not known yet may hear another region's rule only with the place named;
- a fact only jilin or shanghai (or weihai, liaocheng) holds appears nowhere else, and the
  sentence stating it cites the article that says it (knowledge/data/fidelity.yaml);
- a text never promises an action (转给, 帮您转达, 我已经通知 …) that its Decision does not take;
- a sentence resting on no article is the assistant's own action or advice.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import pytest
import yaml

import knowledge
from junxiu_core import INTENTS, REGIONS, CadreProfile, Decision, answer
from knowledge import Statement

TODAY = date(2026, 11, 22)
UNKNOWN = "national"  # the profile's region while it is not known (or lies outside ours)
DATA = resources.files("knowledge") / "data"
FIDELITY = yaml.safe_load((DATA / "fidelity.yaml").read_text(encoding="utf-8"))
Ref = tuple[str, str]

# The situations the rules tell apart, per intent; every other intent is asked once, bare.
SITUATIONS: dict[str, list[dict[str, Any]]] = {
    "sanatorium.eligibility": [
        {}, {"merits": ["merit_2"]}, {"merits": ["merit_3"]}, {"merits": ["none"]},
        {"merits": ["merit_2"], "age": 75}, {"merits": ["merit_2"], "age": 80},
        {"merits": ["merit_2"], "age": 81}, {"merits": ["merit_3"], "age": 75},
        {"merits": ["commended_county"], "age": 75},
        {"merits": ["merit_2"], "age": 75, "self_care": False},
        {"merits": ["merit_2"], "age": 75, "last_sanatorium_year": 2025},
        {"merits": ["merit_2"], "place_other": "湖南"},
    ],
    "medical.subsidy": [
        {}, {"status": "退休"}, {"status": "离休"}, {"amount_yuan": 120_000},
        {"status": "退休", "amount_yuan": 30_000}, {"status": "退休", "amount_yuan": 120_000},
        {"status": "退休", "amount_yuan": 300_000},
        {"status": "退休", "amount_yuan": 80_000, "amount_approx": True},
        {"status": "离休", "amount_yuan": 120_000}, {"amount_yuan": 120_000, "place_other": "湖南"},
    ],
    "travel.abroad": [
        {}, {"military_rank": "大校"}, {"rank": "师级"}, {"rank": "团级"},
        {"rank": "师级", "date": "2026-12-03", "date_kind": "depart"},
        {"rank": "师级", "date": "2027-01-15", "date_kind": "depart"},
        {"rank": "师级", "date": "2026-12-05", "date_kind": "return"},
        {"rank": "团级", "date": "2026-12-05", "date_kind": "return"},
        {"rank": "师级", "place_other": "湖南"},
    ],
    "contact.lost": [{}, {"months": 6}, {"place_other": "湖南"}],
    "complaint": [{}, {"about": "medical.subsidy"}],
    "policy.other": [{}, {"about": "medical.checkup"}, {"about": "visits"}],
}


@dataclass(frozen=True)
class Told:
    """One answer as a cadre of `region` receives it."""

    region: str
    intent: str
    slots: tuple[tuple[str, Any], ...]
    decision: Decision

    def __str__(self) -> str:
        return f"{self.intent} in {self.region} {dict(self.slots)}"

    def texts(self) -> list[str]:
        d = self.decision
        question = [d.follow_up.question] if d.follow_up else []
        return [d.answer, *d.points, *d.more, *d.caveats, *question]

    def entries(self) -> Iterator[knowledge.TextEntry]:
        """The knowledge-base entries this answer was built from, as served to this region."""
        kb = knowledge.load()
        for key in self.decision.keys:
            if key in kb.entries:
                yield kb.entry(key, self.region)


@cache
def told() -> list[Told]:
    answers = []
    for region in REGIONS:
        for intent in INTENTS:
            for slots in SITUATIONS.get(intent, [{}]):
                if "place_other" in slots and region != UNKNOWN:
                    continue
                decision = answer(intent, slots, CadreProfile(region=region), TODAY)
                answers.append(Told(region, intent, tuple(slots.items()), decision))
    return answers


def reach(region: str) -> set[str]:
    return {d.key for d in knowledge.load().documents_for(region)}


@cache
def own_facts() -> dict[str, dict[str, set[str]]]:
    """phrase -> document -> the articles that say it."""
    facts: dict[str, dict[str, set[str]]] = {}
    for document, phrases in FIDELITY["own_facts"].items():
        for phrase, refs in phrases.items():
            facts.setdefault(str(phrase), {})[document] = set(refs)
    return facts


def places_named(text: str) -> set[str]:
    return {doc for doc, place in FIDELITY["places"].items() if place in text}


def all_statements() -> list[tuple[str, str, Statement]]:
    kb = knowledge.load()
    return [(key, region, s) for key, regions in kb.entries.items()
            for region, entry in regions.items() for s in entry.statements]


def ids(rows: list[Any]) -> list[str]:
    return [f"{row[0]}-{row[1]}" for row in rows]


# --- the data itself ----------------------------------------------------------------------


@pytest.mark.parametrize(("key", "region", "statement"), all_statements(),
                         ids=ids(all_statements()))
def test_every_cited_article_exists(key: str, region: str, statement: Statement) -> None:
    kb = knowledge.load()
    missing = [f"{d} {r}" for d, r in statement.cite if r not in kb.articles.get(d, {})]
    assert not missing, f"{key}/{region}: {statement.text!r} cites {missing}"


@pytest.mark.parametrize(("key", "region", "statement"), all_statements(),
                         ids=ids(all_statements()))
def test_a_sentence_on_no_article_is_the_assistants_action_or_advice(
        key: str, region: str, statement: Statement) -> None:
    if statement.cite:
        return
    marks = [*FIDELITY["promises"]["hand_over"], *FIDELITY["promises"]["check"],
             *FIDELITY["action"], *FIDELITY["advice"]]
    assert any(m in statement.text for m in marks), (
        f"{key}/{region}: {statement.text!r} cites nothing and is neither action nor advice")


def test_every_own_fact_names_an_article_that_exists() -> None:
    kb = knowledge.load()
    missing = [(phrase, doc, ref) for phrase, docs in own_facts().items()
               for doc, refs in docs.items() for ref in refs if ref not in kb.articles[doc]]
    assert not missing


def test_an_entry_cites_every_article_its_sentences_rest_on() -> None:
    """The entry-level `cite` written in the data is the union the Decision cites."""
    short = []
    for path in (DATA / "answers").iterdir():
        if not path.name.endswith(".yaml"):
            continue
        for key, regions in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            if isinstance(regions, str):
                continue
            for region, body in regions.items():
                items = [body["answer"], *body.get("points", []), *body.get("more", [])]
                own = {c for i in items if isinstance(i, dict) for c in i["cite"] or []}
                if own - set(body.get("cite") or []):
                    short.append((key, region, sorted(own - set(body["cite"] or []))))
    assert not short


def test_every_entry_is_told_to_someone_so_every_one_is_checked() -> None:
    kb = knowledge.load()
    served = {(e.key, e.region) for t in told() for e in t.entries()}
    written = {(key, region) for key, regions in kb.entries.items() for region in regions}
    assert written - served == set()


# --- what each cadre is told ----------------------------------------------------------------


@pytest.mark.parametrize("t", told(), ids=str)
def test_a_region_hears_only_documents_that_reach_it(t: Told) -> None:
    if t.region == UNKNOWN:
        return  # checked sentence by sentence below: the place must be named
    stray = {c.document for c in t.decision.citations} - reach(t.region)
    assert not stray, f"{t}: cites {stray}"
    for entry in t.entries():
        for s in entry.statements:
            stray = {d for d, _ in s.cite} - reach(t.region)
            assert not stray, f"{t}: {s.text!r} ({entry.key}/{entry.region}) cites {stray}"


@pytest.mark.parametrize("t", told(), ids=str)
def test_another_regions_rule_is_told_only_with_its_place_named(t: Told) -> None:
    if t.region != UNKNOWN:
        return
    for entry in t.entries():
        for s in entry.statements:
            others = {d for d, _ in s.cite} - {"national"}
            assert others <= places_named(s.text), f"{t}: {s.text!r} does not say whose rule"


@pytest.mark.parametrize("t", told(), ids=str)
def test_a_sentence_that_names_a_place_cites_that_places_document(t: Told) -> None:
    for entry in t.entries():
        for s in entry.statements:
            uncited = places_named(s.text) - {d for d, _ in s.cite}
            assert not uncited, f"{t}: {s.text!r} names {sorted(uncited)} and cites {s.cite}"


@pytest.mark.parametrize("t", told(), ids=str)
def test_a_fact_of_one_region_appears_only_where_its_document_reaches(t: Told) -> None:
    for text in t.texts():
        for phrase, owners in own_facts().items():
            if phrase not in text:
                continue
            if t.region == UNKNOWN:
                assert set(owners) & places_named(text), f"{t}: {text!r} says {phrase} unnamed"
            else:
                assert set(owners) & reach(t.region), (
                    f"{t}: {text!r} says {phrase}, which only {sorted(owners)} say")


@pytest.mark.parametrize("t", told(), ids=str)
def test_a_sentence_with_a_regions_fact_cites_the_article_that_says_it(t: Told) -> None:
    for entry in t.entries():
        for s in entry.statements:
            for phrase, owners in own_facts().items():
                if phrase not in s.text:
                    continue
                backing = {(d, r) for d, refs in owners.items() for r in refs}
                assert backing & set(s.cite), (
                    f"{t}: {s.text!r} ({entry.key}/{entry.region}) says {phrase} but cites "
                    f"{list(s.cite)}, not one of {sorted(backing)}")


@pytest.mark.parametrize("t", told(), ids=str)
def test_the_decision_cites_every_article_its_sentences_rest_on(t: Told) -> None:
    cited = {(c.document, c.article) for c in t.decision.citations}
    for entry in t.entries():
        for s in entry.statements:
            assert set(s.cite) <= cited, f"{t}: {s.text!r} rests on {list(s.cite)}"


@pytest.mark.parametrize("t", told(), ids=str)
def test_a_text_promises_only_what_its_decision_does(t: Told) -> None:
    d = t.decision
    for text in t.texts():
        for phrase in FIDELITY["promises"]["hand_over"]:
            assert phrase not in text or d.escalate, (
                f"{t}: {text!r} promises {phrase} but nothing goes to staff")
        for phrase in FIDELITY["promises"]["check"]:
            assert phrase not in text or d.escalation is not None, (
                f"{t}: {text!r} promises {phrase} but no staff check is opened")


# --- the corrections of issue 17, one each ------------------------------------------------


def tell(intent: str, region: str, **slots: Any) -> Decision:
    return answer(intent, slots, CadreProfile(region=region), TODAY)


@pytest.mark.parametrize("region", ["weihai", "liaocheng"])
def test_weihai_and_liaocheng_are_not_told_shanghais_application_route(region: str) -> None:
    decision = tell("medical.subsidy", region, status="退休", amount_yuan=120_000)
    assert "审核后发放" not in decision.text and "申请" not in decision.text


def test_shanghai_is_not_asked_its_rank_with_jilins_filing() -> None:
    decision = tell("travel.abroad", "shanghai")
    assert "报备" not in decision.text and "报备" not in decision.follow_up.question


@pytest.mark.parametrize("region", ["weihai", "liaocheng", "national"])
def test_no_local_travel_rule_names_no_other_regions_procedure(region: str) -> None:
    text = tell("travel.abroad", region, rank="团级").text
    assert not any(word in text for word in ("吉林", "上海", "报备", "保管"))


def test_consulting_the_superior_department_is_said_only_in_shanghai() -> None:
    assert "请示" in tell("policy.other", "shanghai").text
    for region in ("jilin", "weihai", "liaocheng", "national"):
        assert "请示" not in tell("policy.other", region).text


def test_jilin_checkup_organised_by_the_agency_cites_national_11_3() -> None:
    entry = knowledge.load().entry("medical.checkup", "jilin")
    [s] = [s for s in entry.statements if "军休机构负责落实" in s.text]
    assert s.cite == (("national", "第十一条（三）"),)


def test_the_unknown_region_is_not_told_six_months_or_so() -> None:
    assert "左右" not in tell("contact.lost", UNKNOWN).text


@pytest.mark.parametrize(("intent", "region", "slots", "words"), [
    ("sanatorium.arrangements", "national", {}, "会通知您"),
    ("sanatorium.eligibility", "jilin", {}, "由军休所通知"),
    ("nursing.allowance", "national", {}, "工作人员会告诉您"),
    ("social_org.parttime", "national", {}, "会告诉您要准备"),
    ("travel.abroad", "shanghai", {"rank": "团级"}, "说一声"),
    ("contact.lost", "jilin", {}, "办理恢复"),
    ("contact.lost", "shanghai", {}, "办理恢复"),
    ("contact.lost", "national", {}, "随时能找到人"),
    ("medical.subsidy", "jilin", {"status": "离休"}, "另有"),
    ("medical.subsidy", "national", {"status": "离休"}, "专门的保障办法"),
])
def test_statements_no_seed_makes_are_gone(intent: str, region: str, slots: dict,
                                           words: str) -> None:
    decision = tell(intent, region, **slots)
    assert words not in "".join((decision.text, *decision.more))


def test_the_amount_question_names_no_period_the_article_does_not() -> None:
    assert "这一年" not in knowledge.load().string("ask.amount")


@pytest.mark.parametrize(("intent", "region", "may", "says"), [
    ("medical.access", "jilin", "可以设康复室", "设了"),
    ("elderly_care", "jilin", "可以为", "会为失能"),
    ("elderly_care", "shanghai", "可以建嵌入式", "还建了"),
    ("elderly_care", "jilin", "军休小区", "帮您在网上订餐"),
])
def test_what_a_document_allows_is_not_told_as_done(intent: str, region: str, may: str,
                                                     says: str) -> None:
    decision = tell(intent, region)
    told_ = "".join((decision.text, *decision.more))
    assert may in told_ and says not in told_


def test_the_yearly_visit_of_the_head_of_agency_says_whom_it_is_for() -> None:
    decision = tell("visits", "shanghai")
    [line] = [p for p in (*decision.points, *decision.more) if "机构负责人" in p]
    assert "独居" in line and "卧床" in line


def test_visits_offer_no_relay_the_assistant_does_not_make() -> None:
    for region in ("national", "shanghai"):
        decision = tell("visits", region)
        assert "转达" not in "".join((decision.text, *decision.more))
