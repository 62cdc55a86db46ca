"""The year of the cadre's last honorary sanatorium stay (last_sanatorium_year)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from intents.slots.message import NEG_RE, Msg
from intents.slots.numerals import small_int
from intents.slots.vocabulary import WORDS, alternation

_WORDS = WORDS["sanatorium"]

_SAN_YEARS_AGO: dict[str, int] = _WORDS["years_ago"]  # 去年 = 1
_YEAR_WORD = alternation(_SAN_YEARS_AGO)
_SAN_YEAR_RE = re.compile(
    rf"{_YEAR_WORD}|(?<!\d)(?P<y>\d{{4}})年|(?P<n>\d{{1,2}}|[一二两三四五六七八九十]{{1,2}})年前")
_SAN_WORD_RE = re.compile(r"疗养")
_PAST_RE = re.compile(alternation(_WORDS["past"]))
# "今年刚去过" answering "上次疗养是哪一年？": the clause is only the time and the verb.
_SHORT_ANSWER_RE = re.compile(
    rf"^\s*(?:{_YEAR_WORD}|\d{{4}}年)(?:刚|才|也|就)?(?:去|参加)过?(?:了|一回|一次|一趟)?\s*$")


def find(msg: Msg, today: date) -> dict[str, Any]:
    text = msg.text
    for m in _SAN_YEAR_RE.finditer(text):
        start, end = msg.clause(m.start())
        clause = text[start:end]
        if not (_SAN_WORD_RE.search(clause) or _SHORT_ANSWER_RE.match(clause)):
            continue
        if not _PAST_RE.search(clause) or NEG_RE.search(clause):
            continue
        if m.group("y"):
            year = int(m.group("y"))
        elif m.group("n"):
            ago = small_int(m.group("n"))
            if ago is None:
                continue
            year = today.year - ago
        else:
            year = today.year - _SAN_YEARS_AGO[m.group()]
        if 1950 <= year <= today.year:
            return {"last_sanatorium_year": year}
    return {}
