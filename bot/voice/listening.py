"""What to do with a voice note once the recogniser has heard it. Pure: the service and
`junxiu ask --audio` both call `listen` and act on the verdict.

    transcript ─▶ a correction ("不是，我说的是…")? the rest is the question
               ─▶ intents.understand, the emergency check first, exactly as for typed text,
                  on every reading of the note (an emergency in any of them counts); of an
                  unsure note's readings, the one understood with most confidence is taken
               ─▶ ANSWER     heard well, or an emergency, or a matter for staff anyway
                  CONFIRM    heard, but the recogniser was unsure: ask back with buttons
                  STAFF      still unclear after asking (or heard nothing twice): to staff
                  UNHEARD    no speech (silence, noise, music): ask to say it again
                  FAILED     not audio we can open: to staff, with the file
                  LONG       longer than we listen to: to staff, with what the start said
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import knowledge
from bot.voice.asr import Hearing
from intents import Understanding, understand

# Understood intents that reach staff whatever we do: asking back would only delay them.
TO_STAFF_ANYWAY = frozenset({"emergency", "complaint", "human_agent", "bereavement.news",
                             "policy.other"})
# Said rather than asked: the echo is "您说的是", not "您问的是".
STATEMENTS = frozenset({"emergency", "complaint", "bereavement.news", "health.concern",
                        "checkin.reply", "smalltalk.greeting", "smalltalk.thanks",
                        "smalltalk.goodbye", "human_agent"})
# Intents (inbound.intent) of the voice notes that were not understood: a second one in a row
# goes to staff.
UNCLEAR = frozenset({"voice.unheard", "voice.confirm"})
_BARE = re.compile(r"[\W_]+")


class Verdict(StrEnum):
    ANSWER = "answer"
    CONFIRM = "confirm"
    STAFF = "staff"
    UNHEARD = "unheard"
    FAILED = "failed"
    LONG = "long"


@dataclass(frozen=True)
class Listening:
    verdict: Verdict
    hearing: Hearing
    text: str | None = None  # what is understood: the transcript, or its corrected part
    corrected: bool = False  # the note began "不是，我说的是…"
    understanding: Understanding | None = None

    @property
    def intent(self) -> str:
        """The inbound message's intent while it is not answered (ANSWER uses the turn's)."""
        if self.verdict == Verdict.CONFIRM:
            return "voice.confirm"
        if self.verdict == Verdict.LONG:
            return "voice.long"
        if self.verdict in (Verdict.UNHEARD, Verdict.FAILED):
            return "voice.unheard"
        return "voice.staff" if self.verdict == Verdict.STAFF else (
            self.understanding.intent if self.understanding else "voice")


def correction(text: str) -> str | None:
    """The question in a correction ("不是，我说的是医疗补助" -> "医疗补助"), else None."""
    prefixes = sorted(knowledge.load().string("ui.words.correction").split(), key=len,
                      reverse=True)
    bare_prefix = ""
    for i, ch in enumerate(text):  # walk the text, skipping punctuation, until a prefix ends
        if not _BARE.fullmatch(ch):
            bare_prefix += ch
        if bare_prefix in prefixes:
            rest = text[i + 1:].lstrip(" ，,。.：:、")
            return rest or None
        if not any(p.startswith(bare_prefix) for p in prefixes):
            return None
    return None


def listen(hearing: Hearing, today: date, *, confirm_below: float,
           unclear_before: bool = False) -> Listening:
    """The verdict on one voice note. `unclear_before`: the cadre's previous message was a
    voice note we did not understand (then this one, if unclear too, goes to staff)."""
    if hearing.problem == "undecodable":
        return Listening(Verdict.FAILED, hearing)
    if not hearing.text:
        return Listening(Verdict.STAFF if unclear_before else Verdict.UNHEARD, hearing)
    text, corrected = hearing.text, False
    fixed = correction(text)
    if fixed:
        text, corrected = fixed, True
    u = understand(text, today)
    if u.intent == "emergency":  # first, and whatever else is uncertain
        return Listening(Verdict.ANSWER, hearing, text, corrected, u)
    others = [understand(other, today) for other in hearing.alternatives]
    for i, alarm in enumerate(others):  # an emergency in any reading of the note counts
        if alarm.intent == "emergency":
            return Listening(Verdict.ANSWER, hearing.taking(i), hearing.alternatives[i],
                             False, alarm)
    best = surest(u, others)
    if best is not None and not corrected:
        # The domain as the judge of an unsure note's readings: the one the understanding
        # makes most sense of (bench/voice_tune.py: in noise, 0.76 -> 0.89 of the intents).
        hearing, text, u = hearing.taking(best), hearing.alternatives[best], others[best]
    if hearing.truncated:
        return Listening(Verdict.LONG, hearing, text, corrected, u)
    if u.intent in TO_STAFF_ANYWAY:
        return Listening(Verdict.ANSWER, hearing, text, corrected, u)
    # Heard words that match nothing are, from a voice note, most likely misheard ones.
    unsure = (hearing.confidence is not None and hearing.confidence < confirm_below) or \
        u.reason == "no_match"
    if unsure and not corrected:  # a correction is the cadre's own words: no asking again
        return Listening(Verdict.STAFF if unclear_before else Verdict.CONFIRM, hearing, text,
                         corrected, u)
    return Listening(Verdict.ANSWER, hearing, text, corrected, u)


def surest(first: Understanding, others: list[Understanding]) -> int | None:
    """The alternative reading understood with more confidence than the first, if any."""
    best, confidence = None, first.confidence
    for i, other in enumerate(others):
        if other.confidence > confidence:
            best, confidence = i, other.confidence
    return best


def echo(listening: Listening, intent: str | None = None, *, hint_below: float = 0.8) -> str:
    """What was heard, to put before the answer: "您问的是：“…”" (and how to correct it when
    the recogniser was not sure)."""
    kb = knowledge.load()
    intent = intent or (listening.understanding.intent if listening.understanding else "")
    key = "ui.voice.said" if intent in STATEMENTS else "ui.voice.asked"
    line = kb.string(key, text=listening.text or "")
    if listening.corrected:
        line = kb.string("ui.voice.corrected") + line
    confidence = listening.hearing.confidence
    if intent != "emergency" and confidence is not None and confidence < hint_below:
        line += kb.string("ui.voice.correct_hint")
    return line


def choices(u: Understanding) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Button labels and values for asking back: the two likeliest topics, 紧急求助, or neither
    (a person then takes over). A short note we could not make out may be a call for help
    misheard ("救命" heard "酒面"): one press must be enough to be treated as one."""
    kb = knowledge.load()
    intents = [i for i, _ in u.alternatives
               if f"intent.label.{i}" in kb.strings and i != "emergency"][:2]
    intents.append("emergency")
    labels = tuple(kb.string(f"intent.label.{i}") for i in intents)
    return (*labels, kb.string("ui.clarify.none")), (*intents, "human_agent")


def minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))
