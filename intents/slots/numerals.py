"""Numerals mixing Arabic and Chinese digits: 12万5千, 八点六万, 十几万, 三四万.

Numbers are parsed here rather than by cn2an: cn2an costs 20-400 µs per call and rejects the
approximate forms (十几万, 十来万); tests check that both agree on the exact forms.
"""

from __future__ import annotations

import re

from intents.slots.message import HALF_WIDTH

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9, "壹": 1, "贰": 2, "叁": 3, "肆": 4, "伍": 5, "陆": 6,
              "柒": 7, "捌": 8, "玖": 9}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
_APPROX_CHARS = frozenset("来几多余好")
_MAX_NUMBER = 1e12  # beyond any sum or count a cadre names; keeps floats finite
_NUM_TOKEN_RE = re.compile(
    r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|点[零〇一二两三四五六七八九]+|.")
# A message that is only a number: the answer to "how much / how old".
_BARE_NUMBER_RE = re.compile(r"^\s*(?:大概|大约|差不多|一共)?\s*"
                             r"(?P<n>[\d.零〇一二两三四五六七八九十百千万]+)\s*(?:元|块钱|块|万块|来块)?\s*(?:吧|啊|左右|多)?\s*$")


def parse_number(s: str) -> tuple[float, bool] | None:
    """Value of a numeral mixing Arabic and Chinese digits, and whether it is approximate.

    12万5千, 十万零五千, 8.6万, 八点六万, 一万二 (=12000: a lone digit after a unit counts in the
    next lower unit), 十几万/二十多万/一万多 (approximate, the round part), 三四万 (a range: the
    lower bound, approximate). None when the text is not a number.
    """
    total = section = 0.0
    num: float | None = None
    num_text = ""
    last_unit = 1
    zero = approx = False
    for tok in _NUM_TOKEN_RE.findall(s):
        c = tok[0]
        if "0" <= c <= "9":
            if len(tok) > 15:
                return None
            if num is not None:
                approx = True
                continue
            num, num_text = float(tok.replace(",", "")), tok
        elif c == "点" and len(tok) > 1:
            if num is None or num != int(num):
                return None
            num = float(f"{int(num)}." + "".join(str(_CN_DIGITS[ch]) for ch in tok[1:]))
            num_text = "."
        elif c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
            if digit == 0:
                zero = True
            elif num is not None:
                approx = True  # 三四万: keep the lower bound
            else:
                num, num_text = float(digit), c
        elif c in _CN_UNITS:
            last_unit = _CN_UNITS[c]
            section += (1.0 if num is None else num) * last_unit
            num, zero = None, False
        elif c in _CN_BIG:
            section += num or 0.0
            if not section:
                return None
            last_unit = _CN_BIG[c]
            total += section * last_unit
            section, num, zero = 0.0, None, False
        elif c in _APPROX_CHARS:
            approx = True
        else:
            return None
    if num is not None:
        if not zero and last_unit >= 100 and len(num_text) == 1:
            num *= last_unit / 10  # 一万二 = 12000, 三千五 = 3500
        section += num
    value = total + section
    return (value, approx) if 0 < value < _MAX_NUMBER else None


def small_int(s: str) -> int | None:
    """An integer written in digits or Chinese (八十二, 二十三, 十), or None."""
    if s.isdigit():
        return int(s)
    parsed = parse_number(s)
    if parsed is None or parsed[1] or parsed[0] != int(parsed[0]):
        return None
    return int(parsed[0])


def bare_number(text: str) -> float | None:
    """The value of a message that is only a number ("12", "九万", "十二万块吧"), else None."""
    m = _BARE_NUMBER_RE.match(text.translate(HALF_WIDTH))
    if not m:
        return None
    parsed = parse_number(m.group("n"))
    return parsed[0] if parsed else None

