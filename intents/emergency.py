"""The emergency rule net: signs and events as data (emergency.yaml), look-alikes cut out first.

It runs on every message before anything else, beside the learned emergency head; either one
raising the alarm is enough (a false alarm costs a staff member a minute; a miss can cost a
life). Look-alikes are cut out rather than vetoing the message: "去年摔过一跤，今天又摔倒了
起不来" is still an emergency once "去年摔过一跤" is gone.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from intents.resources import read_yaml

_CLAUSE = re.compile(r"[^，。！？；,.!?;\n]+")
_BREAK = re.compile(r"[，。！？；,.!?;\n\s]")  # what bounds the words around a resolution

Sign = tuple[re.Pattern[str], ...]  # every pattern must match (a double dose AND a symptom)
OVER = "eMover"  # evidence: the danger told is said to be over (see `evidence`)


def _compiled(pattern: str | None) -> re.Pattern[str] | None:
    return re.compile(pattern) if pattern else None


def _alternation(patterns: list[str] | tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


@dataclass(frozen=True)
class Alarm:
    kind: str  # the sign's kind (stroke, fall, gas …) or "call" for a plain call for help
    cue: str  # the words that raised it


@dataclass(frozen=True)
class EmergencyDetector:
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    signs: tuple[tuple[str, Sign], ...]
    not_emergency: tuple[str, ...]
    cuts: tuple[re.Pattern[str], ...]
    cut_clauses: tuple[re.Pattern[str], ...]
    resolved: re.Pattern[str] | None  # "现在好了", "找着了", "火灭了": the danger is over
    acute: re.Pattern[str] | None = None
    frames: tuple[re.Pattern[str], ...] = ()
    # ... unless the words around it hedge, ask or report the patient waving help away
    # ("他说躺会儿就好了", "现在好了吗")
    resolved_unless: re.Pattern[str] | None = None
    urgent_when_passed: frozenset[str] = frozenset()  # signs still urgent once over
    negated_before: re.Pattern[str] | None = None  # "还没有" before a resolution undoes it
    negated_after: re.Pattern[str] | None = None  # ... and "不了" after it

    @classmethod
    def load(cls) -> EmergencyDetector:
        data = read_yaml("emergency.yaml") or {}
        signs = []
        for kind, entries in (data.get("signs") or {}).items():
            for entry in entries:
                parts = entry if isinstance(entry, list) else [entry]
                signs.append((kind, tuple(re.compile(p) for p in parts)))
        return cls(
            phrases=tuple(data.get("phrases", ())),
            patterns=tuple(re.compile(p) for p in data.get("patterns", ())),
            signs=tuple(signs),
            not_emergency=tuple(sorted(data.get("not_emergency", ()), key=len, reverse=True)),
            cuts=tuple(re.compile(p) for p in data.get("cut", ())),
            cut_clauses=tuple(re.compile(p) for p in data.get("cut_clauses", ())),
            resolved=_alternation(data.get("resolved", ())),
            resolved_unless=_compiled(data.get("resolved_unless")),
            urgent_when_passed=frozenset(data.get("urgent_when_passed", ())),
            negated_before=_compiled(data.get("resolved_negated_before")),
            negated_after=_compiled(data.get("resolved_negated_after")),
            acute=re.compile(data["acute"]) if data.get("acute") else None,
            frames=tuple(re.compile(p) for p in data.get("frames", ())),
        )

    def resolution_end(self, text: str) -> int:
        """Where the last danger said to be over ends (-1: none), so only what follows counts."""
        end = -1
        if self.resolved is None:
            return end
        for found in self.resolved.finditer(text):
            if not self._hedged(text, found.start(), found.end()):
                end = found.end()
        return end

    def _hedged(self, text: str, start: int, end: int) -> bool:
        """Negated, asked, hedged or waved away, by the words of its own clause."""
        breaks = [m.end() for m in _BREAK.finditer(text, 0, start)]
        after = _BREAK.search(text, end)
        clause_start = breaks[-1] if breaks else 0
        clause_end = after.start() if after else len(text)
        return any(pattern is not None and pattern.search(words) for pattern, words in (
            (self.negated_before, text[clause_start:start]),
            (self.negated_after, text[end:clause_end]),
            (self.resolved_unless, text[clause_start:clause_end])))

    def without_lookalikes(self, text: str, end: int | None = None) -> str:
        """`end`: where the last resolution ends, when the caller has found it already."""
        end = self.resolution_end(text) if end is None else end
        if end != -1:
            text = text[end:]
        if any(f.search(text) for f in self.frames) and not (
                self.acute is not None and self.acute.search(text)):
            return ""  # told from the television or asked in general: nothing happens here
        for phrase in self.not_emergency:
            if phrase in text:
                text = text.replace(phrase, " ")
        # whole clauses first, so a span cut cannot leave half a look-alike clause behind
        text = "，".join(c for c in _CLAUSE.findall(text) if not self._lookalike_clause(c))
        for cut in self.cuts:
            text = cut.sub(" ", text)
        return text

    def _lookalike_clause(self, clause: str) -> bool:
        if self.acute is not None and self.acute.search(clause):
            return False
        return any(p.search(clause) for p in self.cut_clauses)

    def assess(self, text: str, end: int | None = None) -> Alarm | None:
        """The alarm `text` raises, or None (`end`: as for `without_lookalikes`)."""
        whole = text
        text = self.without_lookalikes(text, end)
        sign = self._first_sign(text)
        if sign:
            return sign
        if self._lookalike_clause(whole):
            return None  # "叫了120的救护车，车费能报销吗": a call named inside a policy question
        for phrase in self.phrases:
            if phrase in text:
                return Alarm("call", phrase)
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                return Alarm("call", found.group(0))
        return None

    def signals(self, text: str) -> list[str]:
        """The net's evidence as features for the learned head (see `evidence`)."""
        return self.evidence(text)[1]

    def evidence(self, text: str) -> tuple[Alarm | None, list[str]]:
        """The alarm `text` raises and the net's evidence as features for the learned head:
        what it finds with and without the look-alikes cut, and which look-alike markers are
        present. The model learns how much each is worth (a stroke word after 去年 is not a
        stroke now). One pass: the caller needs both, and the net is a third of the cost."""
        out = []
        raw = self._first_sign(text)
        if raw:
            out.append("eR" + raw.kind)
        end = self.resolution_end(text)  # once: the cut and the markers both need it
        cut = self.assess(text, end)
        if cut:
            out.append("eC" + cut.kind)
        out.extend(f"eMcut{i}" for i, p in enumerate(self.cuts) if p.search(text))
        out.extend(f"eMclause{i}" for i, p in enumerate(self.cut_clauses) if p.search(text))
        if self.acute is not None and self.acute.search(text):
            out.append("eMacute")
        if end != -1:
            out.append("eMresolved")
            if cut is None and not (raw and raw.kind in self.urgent_when_passed):
                out.append(OVER)  # a danger told, then said over, and nothing after it
        return cut, out

    def _first_sign(self, text: str) -> Alarm | None:
        for kind, sign in self.signs:
            found = sign[0].search(text)
            if found and all(p.search(text) for p in sign[1:]):
                return Alarm(kind, found.group(0))
        return None

    def match(self, text: str) -> str | None:
        """The cue that marks `text` as an emergency, or None."""
        alarm = self.assess(text)
        return alarm.cue if alarm else None


@functools.cache
def default_detector() -> EmergencyDetector:
    return EmergencyDetector.load()
