"""Whisper saying its prompt back. Given little speech (a short cry, a noisy room), Whisper
often writes out the prompt it was given instead: "以下是普通话的句子", "军休干部、党组织、
走访慰问". No cadre says the lead sentence, and nobody says a list of the prompt's terms and
nothing else, so such a reading is no reading: the recogniser then decodes again (wider, and
without the prompt) rather than acting on it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_WORD = re.compile(r"[\W_]+")
MIN_FRAGMENT = 3  # 以下是, 普通话: a piece of the lead this long is the lead, not the cadre
MAX_REST = 1  # characters beside two or more of the prompt's terms: a list of them


def _either(words: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted(set(words), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words))) if words else None


class PromptEcho:
    def __init__(self, lead: str, terms: Iterable[str]) -> None:
        terms = [t for t in terms if len(t) >= 2]
        # Pieces of the lead that are not domain terms (是军休干部在咨询: 军休干部 is the
        # cadre's word too).
        term_pattern = _either(terms)
        bare = _NOT_WORD.sub("", lead)
        parts = term_pattern.split(bare) if term_pattern else [bare]
        self._lead = _either(p[i:j] for p in parts for i in range(len(p))
                             for j in range(i + MIN_FRAGMENT, len(p) + 1))
        # A term, or two characters of one (Whisper's lists trail off: 走访问).
        self._terms = _either([*terms, *(t[i:i + 2] for t in terms for i in range(len(t) - 1))])

    def is_echo(self, text: str) -> bool:
        """The reading holds a piece of the lead sentence, or is two or more of the prompt's
        terms and next to nothing else."""
        bare = _NOT_WORD.sub("", text)
        if not bare or (self._lead is not None and self._lead.search(bare)):
            return True
        if self._terms is None:
            return False
        found = self._terms.findall(bare)
        rest = self._terms.sub("", bare)
        return len(found) >= 2 and len(rest) <= MAX_REST
