"""understand(): normalise → slots → features → the learned model and its safety heads → decide.

The safety questions are asked of every message, each by its own evidence, before the topic:
1. emergency: the rule net of signs (intents/emergency.py) OR the learned emergency head;
2. bereavement news: a death reported (the head), unless the message asks about the benefits
   (then the topic classifier says `bereavement`, an ordinary answer);
3. complaint: a grievance (the head), orthogonal to its topic, which is kept as `topic`.
Then the topic: confident → that intent; torn between two → ask; nothing → staff or out of scope.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from intents.emergency import OVER, default_detector
from intents.features import features, has_han
from intents.model import Model, Scores, default_model
from intents.normalise import default_normaliser
from intents.resources import read_yaml
from intents.segment import segment
from intents.slots import extract
from knowledge import intents_where

# Calibrated probabilities (a softmax temperature fitted out of fold), so these mean what they
# say: chosen by cross-validation over the written examples (bench/intents.py --cv).
CONFIDENT = 0.55  # top probability at or above: answer
MARGIN = 0.15  # less than this ahead of the runner-up (and below CONFIDENT + MARGIN): ask
FLOOR = 0.25  # below this nothing matched: policy.other (staff) or out_of_scope
COMPLAINT_TOPIC_MIN = 0.4  # a complaint's topic is named only when the topic head is this sure
TOPIC_NAMED = 0.05  # ...or when the topic classifier puts a policy topic next with this much
SURE_COMPLAINT = 0.9  # a short follow-up is a grievance only when the complaint head is this sure
SURE_CHATTER = 0.5  # ...and small talk ("谢谢", "你能干啥") only when the topic model is this sure
SURE_NEW_TOPIC = 0.8  # a short message stating a fact leaves the last topic only this sure
# The slots that are facts about the cadre or their case (bot/dialogue.py keeps them).
FACT_SLOTS = ("region", "status", "rank", "age", "merits", "lives_alone", "amount_yuan",
              "amount_approx", "date")
# News of a death or a complaint the topic classifier must put first with this much to raise it
# alone; for an emergency the model carries its own figure, chosen in training (intents/train.py).
TOPIC_SURE = {"bereavement.news": 0.5, "complaint": 0.5}

SAFETY = intents_where(safety=True)  # asked by their own tests before the topic
# Which intents may be offered as one of two choices (knowledge/data/intents.yaml): asking
# "which one?" before handing over would only delay a person who needs one.
CLARIFIABLE = intents_where(clarify=True)
CHATTER = intents_where(chatter=True)  # small talk: never read as a follow-up question
# Intents answered from a region's rules: from a place without rules they become policy.other
# (INTENTS.md), with the topic kept for the national answer.
REGIONAL = intents_where(regional=True)


@dataclass(frozen=True)
class Understanding:
    text: str  # the normalised message
    intent: str
    confidence: float
    slots: dict[str, Any] = field(default_factory=dict)
    alternatives: tuple[tuple[str, float], ...] = ()  # runner-ups, best first
    clarify: bool = False  # torn between the first two alternatives: ask the cadre
    emergency_cue: str | None = None
    reason: str = "matched"  # matched | emergency | empty | no_match | clarify | head | region
    topic: str | None = None  # complaint: the intent it is about; policy.other: the topic asked
    heads: dict[str, float] = field(default_factory=dict)  # safety heads' probabilities
    emergency_kind: str | None = None  # the sign (stroke, fall, gas …) when the net raised it
    death_recent: bool = False  # a death told as recent (昨天走了, 前天没了): news to staff
    said: str = ""  # the message in simplified script, nothing dropped (想问问… kept)


# The last topic of the conversation as a prior: its probability is multiplied by this before
# renormalising, so "要是待半年呢" after a travel question stays travel, while a confident new
# subject still wins (chosen so that a 0.8 new topic beats a 0.2 old one).
PRIOR_WEIGHT = 3.0


def understand(text: str, today: date, *, model: Model | None = None,
               prior: str | None = None) -> Understanding:
    normalised = default_normaliser()(text or "")
    if not any(ch.isalnum() for ch in normalised):
        return Understanding(normalised, "help", 1.0, reason="empty")
    slots = extract(normalised, today)
    model = model or default_model()
    net = default_detector()
    death = says_death(normalised)
    alarm, evidence = net.evidence(normalised)
    scores = model.score(features(normalised, segment(normalised), slots,
                                  [*evidence, "dW" if death else "dN"]))
    ranked = scores.intents
    alternatives = ranked[:3]
    heads = {k: round(v, 4) for k, v in scores.heads.items()}

    def result(intent: str, confidence: float, **kw: Any) -> Understanding:
        return Understanding(normalised, intent, round(confidence, 4), slots, alternatives,
                             heads=heads, death_recent=death and says_recent_death(normalised),
                             said=default_normaliser().words(text), **kw)

    if alarm and scores.heads["emergency"] >= model.thresholds.get("net", 0.0):
        return result("emergency", 1.0, emergency_cue=alarm.cue, emergency_kind=alarm.kind,
                      reason="emergency")
    over = model.thresholds.get("over", 0.0)
    if (scores.heads["emergency"] >= over if over and OVER in evidence
            else _raised(scores, model, "emergency")):
        # a danger said to be over ("刚才叫不醒，现在醒了") is raised by a sure head alone
        return result("emergency", max(scores.heads["emergency"], _p(scores, "emergency")),
                      emergency_cue="model", reason="emergency")
    if not has_han(normalised) and not slots:
        return result("out_of_scope", 0.5, reason="no_chinese")
    if death and _raised(scores, model, "bereavement.news") and ranked[0][0] != "bereavement":
        return result("bereavement.news",
                      max(scores.heads["bereavement.news"], _p(scores, "bereavement.news")),
                      reason="head")
    rest = tuple((i, p) for i, p in ranked if i not in SAFETY)
    # a bare fact ("退休的", "十五万呢") continues the last topic unless the model is very sure
    # of another: the word alone pulls toward a topic of its own (退休 → pension)
    continues_below = SURE_NEW_TOPIC if _states_facts(slots) else CONFIDENT
    if (prior in REGIONAL and rest[0][1] < continues_below and _short(normalised)
            and not (rest[0][0] in CHATTER and rest[0][1] >= SURE_CHATTER)
            and scores.heads["complaint"] < SURE_COMPLAINT):
        # "那要怎么申请", "那待半年呢": a short follow-up naming no topic of its own continues
        # the last one (unless it is plainly a grievance)
        return result(prior, rest[0][1], reason="prior")
    if _raised(scores, model, "complaint"):
        topic, sure = scores.complaint_topic
        if not topic or sure < COMPLAINT_TOPIC_MIN:
            # the complaint-topic classifier (trained on complaints alone) names none or is
            # unsure: the topic classifier's runner-up may still name it ("疗养安排得一塌糊涂")
            named, p_named = rest[0]
            topic = named if named in CLARIFIABLE and p_named >= TOPIC_NAMED else None
        return result("complaint", max(scores.heads["complaint"], _p(scores, "complaint")),
                      topic=topic, reason="head")
    # A safety intent its own test did not raise is not answered as one: the topic is the best
    # of the rest ("我老伴的电话138…" is no news of a death).
    ranked = rest
    if prior in REGIONAL:
        ranked = _with_prior(ranked, prior)
    top, p_top = ranked[0]
    if slots.get("place_other") and not slots.get("region"):
        if top in REGIONAL:
            return result("policy.other", p_top, topic=top, reason="region")
        if top == "policy.other":  # keep what it asks about, for the national answer
            about = next((i for i, _ in ranked if i in REGIONAL), None)
            return result("policy.other", p_top, topic=about, reason="region")
    if p_top < FLOOR:
        fallback = "policy.other" if _about_policy(normalised) else "out_of_scope"
        return result(fallback, p_top, reason="no_match")
    second, p_second = ranked[1]
    if (p_top - p_second < MARGIN and p_top < CONFIDENT + MARGIN
            and {top, second} <= CLARIFIABLE):
        return result(top, p_top, clarify=True, reason="clarify")
    return result(top, p_top)


FOLLOW_UP_CHARS = 12  # a follow-up this short (in letters and characters) names no topic itself


def _states_facts(slots: dict[str, Any]) -> bool:
    return any(slots.get(k) not in (None, [], "") for k in FACT_SLOTS)


def _short(text: str) -> bool:
    return sum(ch.isalnum() for ch in text) <= FOLLOW_UP_CHARS


def _with_prior(ranked: tuple[tuple[str, float], ...], prior: str
                ) -> tuple[tuple[str, float], ...]:
    weighted = [(i, p * (PRIOR_WEIGHT if i == prior else 1.0)) for i, p in ranked]
    total = sum(p for _, p in weighted) or 1.0
    return tuple(sorted(((i, p / total) for i, p in weighted), key=lambda ip: -ip[1]))


def _p(scores: Scores, intent: str) -> float:
    return next((p for i, p in scores.intents if i == intent), 0.0)


def _raised(scores: Scores, model: Model, head: str) -> bool:
    """The head is sure, or the topic classifier itself puts this intent first."""
    sure = model.thresholds.get(f"topic_{head}", TOPIC_SURE.get(head, 0.5))
    p_head = scores.heads.get(head, 0.0)
    # the topic route still wants the head not to disagree outright ("我现在在上海": 现在 pulls
    # the topic classifier to emergency while the head, trained on look-alikes, says 0.07)
    floor = model.thresholds.get(f"topic_{head}_floor", 0.0)
    return (p_head >= model.thresholds.get(head, 0.5)
            or (scores.intents[0][0] == head and scores.intents[0][1] >= sure
                and p_head >= floor))


@functools.cache
def _cues(name: str) -> re.Pattern[str]:
    """One list of regexes in domain_cues.yaml, as one pattern."""
    return re.compile("|".join(f"(?:{p})" for p in
                               (read_yaml("domain_cues.yaml") or {}).get(name, ())))


def says_death(text: str) -> bool:
    """Whether the message says that someone has died (a word from domain_cues.yaml)."""
    return bool(_cues("death_words").search(text))


def says_recent_death(text: str) -> bool:
    """Whether the death the message tells of is recent (domain_cues.yaml `recent_death`)."""
    return bool(_cues("recent_death").search(text))


@functools.cache
def _policy_cues() -> tuple[str, ...]:
    return tuple((read_yaml("domain_cues.yaml") or {}).get("policy_cues", ()))


def _about_policy(text: str) -> bool:
    return any(cue in text for cue in _policy_cues())
