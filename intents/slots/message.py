"""The message as the slot finders see it: clauses, the context before a word, masking.

Context rule used throughout: a *clause* is the text between two of ，。；！？,;!? (a '.' between
digits is a decimal point, not a boundary); negations and qualifiers are looked for in it.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from intents.slots.vocabulary import WORDS, alternation

# Full-width ASCII and the ideographic space, in case the normaliser was skipped.
HALF_WIDTH = {0xFF01 + i: 0x21 + i for i in range(94)} | {0x3000: 0x20}
_CLAUSE_SEP_RE = re.compile(r"[，。；！？,;!?\n]|(?<!\d)\.|\.(?!\d)")
# Document numbers (〔2023〕24号) and phone numbers are blanked before any number is read, so
# neither becomes an amount, a date or an age.
_MASK_RE = re.compile(
    r"[〔\[(（【]\s*\d{4}\s*[〕\])）】]\s*第?\d+\s*号"
    r"|(?<!\d)1[3-9]\d{9}(?!\d)"
    r"|(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"
    r"|(?:电话|手机|座机|号码)[:是为\s]{0,2}\d{7,12}"
)
NEG_RE = re.compile(alternation(WORDS["message"]["negations"]))
# Someone else: 老伴78岁, 老伴卧床.
KIN_RE = re.compile(alternation(WORDS["message"]["kin"]))


def mask(text: str) -> str:
    """The text with document and phone numbers blanked to '#', position for position."""
    return _MASK_RE.sub(lambda m: "#" * len(m.group()), text)


class Msg:
    """The message plus clause boundaries, so context lookups are a bisect away."""

    __slots__ = ("seps", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.seps = [m.start() for m in _CLAUSE_SEP_RE.finditer(text)]

    def clause(self, pos: int) -> tuple[int, int]:
        i = bisect_left(self.seps, pos)
        start = self.seps[i - 1] + 1 if i else 0
        end = self.seps[i] if i < len(self.seps) else len(self.text)
        return start, end

    def before(self, pos: int, width: int) -> str:
        """Up to `width` characters before pos, not crossing the clause start."""
        start = self.clause(pos)[0]
        return self.text[max(start, pos - width):pos]

    def negated(self, pos: int, width: int = 6) -> bool:
        return bool(NEG_RE.search(self.before(pos, width)))

    def about_kin(self, pos: int) -> bool:
        """A kin word earlier in the clause: what is said at pos is about someone else."""
        return bool(KIN_RE.search(self.text, self.clause(pos)[0], pos))
