"""Emergencies are found before anything else and always win: a fall, chest pain, no breath.

High recall on purpose (a false alarm costs a staff member a minute; a miss can cost a life),
with a short list of phrases that only look like emergencies (asking about reimbursement for
an old fall, the 急诊 policy), which are cut out before looking.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from intents.resources import read_yaml


@dataclass(frozen=True)
class EmergencyDetector:
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    not_emergency: tuple[str, ...]

    @classmethod
    def load(cls) -> EmergencyDetector:
        data = read_yaml("emergency.yaml") or {}
        return cls(
            phrases=tuple(data.get("phrases", ())),
            patterns=tuple(re.compile(p) for p in data.get("patterns", ())),
            not_emergency=tuple(data.get("not_emergency", ())),
        )

    def match(self, text: str) -> str | None:
        """The cue that marks `text` as an emergency, or None.

        Look-alike phrases are cut out rather than vetoing the message: "去年摔过一跤，今天又
        摔倒了起不来" is still an emergency once "去年摔过一跤" is gone.
        """
        for phrase in self.not_emergency:
            if phrase in text:
                text = text.replace(phrase, " ")
        for phrase in self.phrases:
            if phrase in text:
                return phrase
        for pattern in self.patterns:
            found = pattern.search(text)
            if found:
                return found.group(0)
        return None


@functools.cache
def default_detector() -> EmergencyDetector:
    return EmergencyDetector.load()
