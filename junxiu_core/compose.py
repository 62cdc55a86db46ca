"""Building Decisions from knowledge-base texts, and what every Decision gets on the way out."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from junxiu_core.model import Citation, Decision, Escalation, FollowUp, Priority, Rank
from knowledge import KnowledgeBase, TextEntry
from knowledge.base import RANK_CLASSES

REGION_QUESTION = "ask.region"


def cite(kb: KnowledgeBase, document: str, *articles: str) -> list[Citation]:
    """Citations, checked against the parsed articles: no answer cites a missing clause."""
    title = kb.document(document).title
    for ref in articles:
        kb.article(document, ref)  # KeyError on a wrong reference: a data bug, caught by tests
    return [Citation(document, ref, title) for ref in articles]


def entry_citations(kb: KnowledgeBase, entry: TextEntry) -> list[Citation]:
    return [c for document, ref in entry.cite for c in cite(kb, document, ref)]


def with_citations(decision: Decision, citations: list[Citation]) -> Decision:
    """Add citations not already there, keeping order."""
    new = [c for c in citations if c not in decision.citations]
    return replace(decision, citations=[*decision.citations, *new]) if new else decision


def fill(template: str, params: dict[str, Any]) -> str:
    return template.format(**params) if params and "{" in template else template


def from_entry(
    kb: KnowledgeBase, intent: str, key: str, region: str, **params: Any
) -> Decision:
    """A Decision whose wording and citations come from one knowledge-base entry."""
    entry = kb.entry(key, region)
    return Decision(
        intent=intent,
        answer=fill(entry.answer, params),
        points=tuple(fill(p, params) for p in entry.points),
        more=tuple(fill(p, params) for p in entry.more),
        citations=entry_citations(kb, entry),
        keys=(key,),
    )


def for_rank(decision: Decision, entry: TextEntry, rank: Rank) -> Decision:
    """The sentences that hold for one post grade only (`rank:` in the data): the cadre's own
    first among the points, the other grade's left out ("师级干部…报省退役军人事务厅审批" for
    a 师职 cadre, without the 团级 path)."""
    mine = RANK_CLASSES[0] if rank.division_or_above else RANK_CLASSES[1]
    own = [s.text for s in entry.statements if s.rank == mine and s.text != decision.answer]
    other = {s.text for s in entry.statements if s.rank not in (None, mine)}
    if not own and not other:
        return decision
    return replace(
        decision,
        points=(*own, *(p for p in decision.points if p not in own and p not in other)),
        more=tuple(p for p in decision.more if p not in own and p not in other))


def add(decision: Decision, kb: KnowledgeBase, key: str, region: str, **params: Any) -> Decision:
    """Append another entry's answer as a point (and its citations) to a decision."""
    entry = kb.entry(key, region)
    extra = [fill(entry.answer, params), *(fill(p, params) for p in entry.points)]
    decision = replace(
        decision,
        points=(*decision.points, *extra),
        more=(*decision.more, *(fill(p, params) for p in entry.more)),
        keys=(*decision.keys, key),
    )
    return with_citations(decision, entry_citations(kb, entry))


def lead_with(decision: Decision, kb: KnowledgeBase, key: str, region: str, **params: Any
              ) -> Decision:
    """Put another entry's answer first (it is now the answer) and keep the old one as a point."""
    entry = kb.entry(key, region)
    lead = fill(entry.answer, params)
    decision = replace(
        decision,
        answer=lead,
        points=(*(fill(p, params) for p in entry.points), decision.answer,
                *(p for p in decision.points if p != lead)),  # said once, first
        more=(*decision.more, *(fill(p, params) for p in entry.more)),
        keys=(*decision.keys, key),
    )
    return with_citations(decision, entry_citations(kb, entry))


def with_caveat(decision: Decision, kb: KnowledgeBase, key: str, **params: Any) -> Decision:
    return replace(
        decision,
        caveats=(*decision.caveats, kb.string(key, **params)),
        keys=(*decision.keys, key),
    )


def ask(kb: KnowledgeBase, slot: str, key: str, choices: str | None = None, **params: Any
        ) -> FollowUp:
    """A follow-up question; `choices` names the '.options'/'.values' strings for its buttons."""
    options = tuple(kb.string(f"{choices}.options").split()) if choices else ()
    values = tuple(kb.string(f"{choices}.values").split()) if choices else ()
    return FollowUp(slot=slot, question=kb.string(key, **params), options=options,
                    values=values)


def region_follow_up(kb: KnowledgeBase) -> FollowUp:
    return ask(kb, "region", REGION_QUESTION, "ask.region")


def escalate(decision: Decision, reason: str, priority: Priority = Priority.NORMAL) -> Decision:
    """Attach an escalation, keeping the more urgent one if there is already one."""
    current = decision.escalation
    if current is not None and current.priority >= priority:
        return decision
    return replace(decision, escalation=Escalation(reason, priority))


def finish(decision: Decision, kb: KnowledgeBase, today: date) -> Decision:
    """Say when a cited rule has passed its end date, and ask staff to confirm the current one.

    Documents that ended on the same day share one caveat (weihai and liaocheng both ran until
    2025-12-31), so the cadre hears the end date and the staff check once."""
    by_end: dict[date, list[str]] = {}
    for key in dict.fromkeys(c.document for c in decision.citations):
        document = kb.document(key)
        if document.expired(today):
            by_end.setdefault(document.valid_until, []).append(document.citation_name)
    for until, titles in by_end.items():
        spoken = f"{until.year}年{until.month}月{until.day}日"
        if len(titles) == 1:
            decision = with_caveat(decision, kb, "caveat.expired", title=titles[0], until=spoken)
        else:
            decision = with_caveat(decision, kb, "caveat.expired.several",
                                   titles="和".join(titles), until=spoken)
        decision = escalate(decision, "rule.expired", Priority.LOW)
    return decision
