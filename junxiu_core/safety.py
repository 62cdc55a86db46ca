"""Rules for what is handed to staff with more than a text: a complaint's topic, a death
reported, a health worry offered to the duty staff, a policy question from a place with no
rules here (answered with the national rules where they say something).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from typing import Any

from junxiu_core.compose import cite, entry_citations, escalate, from_entry, with_citations
from junxiu_core.model import CadreProfile, Decision, FollowUp, Priority
from knowledge import KnowledgeBase, Statement, national_key

ALERT_STAFF = "alert_staff"  # the follow-up slot of the health-concern button
NATIONAL = "national"


def complaint(slots: Mapping[str, Any], profile: CadreProfile, today: date,
              kb: KnowledgeBase) -> Decision:
    """Staff handle it and the result goes back to the cadre (shanghai 7.2); the topic it
    names travels with the ticket."""
    decision = from_entry(kb, "complaint", "complaint", profile.region)
    topic = slots.get("about")
    if topic and kb.strings.get(f"topic.{topic}"):
        label = kb.string(f"topic.{topic}")
        decision = replace(decision, points=(kb.string("complaint.topic", topic=label),
                                             *decision.points),
                           result={**decision.result, "topic": topic})
    return escalate(decision, "complaint", Priority.HIGH)


def bereavement_news(slots: Mapping[str, Any], profile: CadreProfile, today: date,
                     kb: KnowledgeBase) -> Decision:
    """Condolence first, then staff (the agency visits and helps with the funeral)."""
    decision = from_entry(kb, "bereavement.news", "bereavement.news", profile.region)
    return escalate(decision, "bereavement.news", Priority.HIGH)


def bereavement(slots: Mapping[str, Any], profile: CadreProfile, today: date,
                kb: KnowledgeBase) -> Decision:
    """A question about a cadre's death is answered. When the death itself is told as recent
    ("我家老头子前天没了，后事怎么办", slot `death_reported`, set by the conversation), it is also
    news: condolence first and staff told, as with bereavement.news (national §11(6))."""
    decision = from_entry(kb, "bereavement", "bereavement", profile.region)
    if not slots.get("death_reported"):
        return decision
    news = kb.entry("bereavement.news", profile.region)
    decision = replace(decision, answer=news.answer,
                       points=(news.points[0], decision.answer, *decision.points),
                       keys=("bereavement.news", *decision.keys))
    return escalate(with_citations(decision, entry_citations(kb, news)), "bereavement.news",
                    Priority.HIGH)


def health_concern(slots: Mapping[str, Any], profile: CadreProfile, today: date,
                   kb: KnowledgeBase) -> Decision:
    """Not clearly urgent: say to call 120 if it is serious and offer the duty staff now. The
    offer's timer (no answer → staff at normal priority) is the shell's."""
    if slots.get(ALERT_STAFF):  # the cadre pressed the button (or said yes)
        decision = Decision(intent="health.concern", answer=kb.string("health.concern.alerted"),
                            keys=("health.concern.alerted",))
        return escalate(decision, "health.concern", Priority.HIGH)
    decision = from_entry(kb, "health.concern", "health.concern", profile.region)
    button = kb.string("health.concern.button")
    return replace(decision, follow_up=FollowUp(slot=ALERT_STAFF, question=decision.points[0],
                                                options=(button,), values=("yes",)))


def policy_other(slots: Mapping[str, Any], profile: CadreProfile, today: date,
                 kb: KnowledgeBase) -> Decision:
    """Handed to staff (DB31/T 1044 5.11.2). A topic asked from a place without rules here
    gets what the national measures say of it, and never another region's figures."""
    decision = from_entry(kb, "policy.other", "policy.other", profile.region)
    if slots.get("place_other") and profile.region == NATIONAL:
        decision = replace(decision, answer=kb.string("outside.answer",
                                                      place=slots["place_other"]),
                           keys=(*decision.keys, "outside.answer"))
    said = _national_statements(kb, slots.get("about"))
    if said:
        national = "".join(s.text for s in said)
        decision = replace(decision, points=(
            kb.string("policy.other.outside", national=national), *decision.points))
        decision = with_citations(decision, [c for s in said for document, ref in s.cite
                                             for c in cite(kb, document, ref)])
    return escalate(decision, "policy.other", Priority.NORMAL)


def _national_statements(kb: KnowledgeBase, topic: str | None) -> list[Statement]:
    """What the national measures themselves say of `topic`: the sentences of its national
    text that rest on national articles alone (not another region's example, not our own
    advice, which cites nothing), from the first layer only, for the ear."""
    key = national_key(topic) if topic else None
    if not key or not kb.has_entry(key, NATIONAL):
        return []
    return [s for s in kb.entry(key, NATIONAL).statements
            if s.layer in ("answer", "points") and s.cite
            and all(document == NATIONAL for document, _ in s.cite)]
