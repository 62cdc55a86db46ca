"""The amount of money a cadre names: amount_yuan, and amount_approx for a hedged figure.

Amounts below 10 yuan are ignored (一块去 = "go together").
"""

from __future__ import annotations

import re
from typing import Any

from intents.slots.message import Msg
from intents.slots.numerals import parse_number
from intents.slots.vocabulary import WORDS, alternation

_WORDS = WORDS["amount"]

_AMOUNT_RE = re.compile(
    r"(?<![\d.,:/\-])"
    r"(?P<num>(?:好几|几|\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|[一二两三四五六七八九壹贰叁肆伍陆柒捌玖十拾])"
    r"(?:\d+(?:\.\d+)?|点[零〇一二两三四五六七八九]+"
    r"|[零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖十拾百佰千仟万亿来几多余])*)"
    r"(?P<unit>元|块钱|块|圆|人民币)?"
)
# A number followed by one of these counts something else: age, date, times, people …
# (the lookaheads keep 里面, 个人负担, 人民币, 回来, 所以, 平均 from rejecting money).
_NOT_MONEY_AFTER_RE = re.compile(
    r"周岁|岁|年|月|日|号|天|次|人(?!民币)|个(?!人)|名|位|趟|回(?!来|去)|遍|分|秒|小时|点|米|公里"
    r"|里(?!面|头|边)|斤|克|平(?!均|时)|层|楼|等|级|届|批|期|倍|%|条|项|页|辆|套|件|张|家|所(?!以)"
    r"|床|台|周|步|字|度|职|岗|届|[\d.:/\-]"
)
_MONEY_CONTEXT_RE = re.compile(alternation(_WORDS["money_context"]))
# When several amounts are named, the one next to "self-paid" is the one the rules need.
_PREFER_STRONG_RE = re.compile(alternation(_WORDS["self_paid"]))
_PREFER_WEAK_RE = re.compile(alternation(_WORDS["spent"]))
_PREFER_WINDOW = 12
# 一块去 ("together") reads as 1 yuan; no sum this assistant handles is that small.
_MIN_YUAN = 10
# Hedges around a figure (将近十万, 五万左右) make it approximate too.
_HEDGE_BEFORE_RE = re.compile(alternation(_WORDS["hedges_before"]))
_HEDGE_AFTER_RE = re.compile(alternation(_WORDS["hedges_after"]))
# 好几万 and friends name no digit: a deliberately round guess (data/slots.yaml).
_SEVERAL_GUESS: dict[str, int] = _WORDS["several_guess"]


def _amount_value(num: str) -> tuple[int, bool, bool] | None:
    """(yuan, approximate, has a magnitude word 千/万/亿) for one matched number span."""
    if num.startswith(("好几", "几")):
        rest = num.removeprefix("好").removeprefix("几").rstrip("多来余")
        guess = _SEVERAL_GUESS.get(rest)
        return (guess, True, True) if guess else None
    parsed = parse_number(num)
    if parsed is None:
        return None
    value, approx = parsed
    return round(value), approx, any(c in num for c in "千仟万亿")


# Voice input hears 万 as 晚, 玩 or 湾 (十五晚, 十二玩): right after a numeral, and not as
# 晚上/晚饭/晚会/晚点 or 玩具.
_WAN_SLIP_RE = re.compile(r"(?<=[\d一二两三四五六七八九十])[晚玩湾](?![上饭餐间会点安辈年具耍儿])")


def find(msg: Msg) -> dict[str, Any]:
    text = _WAN_SLIP_RE.sub("万", msg.text)  # same length: positions still line up
    found: list[tuple[int, int, int, bool]] = []  # start, end, yuan, approximate
    money_context: bool | None = None
    for m in _AMOUNT_RE.finditer(text):
        num, unit = m.group("num"), m.group("unit")
        if not unit and _NOT_MONEY_AFTER_RE.match(text, m.end()):
            continue
        value = _amount_value(num)
        if value is None:
            continue
        yuan, approx, magnitude = value
        if yuan < _MIN_YUAN:
            continue
        if not (unit or magnitude):
            # A bare number is money only if large, money is being talked about, and it is not
            # a year (2023) or an id (too many digits).
            if money_context is None:
                money_context = bool(_MONEY_CONTEXT_RE.search(text))
            if not (money_context and 1000 <= yuan < 100_000_000 and num.isdigit()):
                continue
            if (len(num) == 4 and 1900 <= yuan <= 2100
                    and not _MONEY_CONTEXT_RE.search(text, max(0, m.start() - 3), m.start())):
                continue
        found.append((m.start(), m.end(), yuan, approx))
    if not found:
        return {}
    best = found[0]
    for pattern in (_PREFER_STRONG_RE, _PREFER_WEAK_RE):
        keys = [(k.start(), k.end()) for k in pattern.finditer(text)]
        if not keys:
            continue
        scored = []
        for item in found:
            start, end = item[0], item[1]
            # A figure after its keyword (自付12万) beats one before it at the same distance.
            dist = min(start - ke if ke <= start else (ks - end + 0.5 if ks >= end else 0)
                       for ks, ke in keys)
            scored.append((dist, start, item))
        dist, _, item = min(scored)
        if dist <= _PREFER_WINDOW:
            best = item
            break
    out: dict[str, Any] = {"amount_yuan": best[2]}
    if best[3] or _HEDGE_BEFORE_RE.search(text, max(0, best[0] - 3), best[0]) \
            or _HEDGE_AFTER_RE.match(text, best[1]):
        out["amount_approx"] = True
    return out
