"""The cadre's age (age, and age_approx for 八十多岁), never a kin's."""

from __future__ import annotations

import re
from typing import Any

from intents.slots.message import Msg
from intents.slots.numerals import small_int

_AGE_NUM = r"(?<![\d一二三四五六七八九十])(?P<n>\d{2,3}|[一二三四五六七八九十]{2,4})"
_AGE_WITH_SUI_RE = re.compile(
    rf"(?P<pre>快要?|明年就?满?|年满|刚满|满了?|刚过|过了)?{_AGE_NUM}(?P<approx>多|来|几)?(?:周岁|岁)"
    r"(?!以上|以下|及以上|及以下|以内|之前|以前|前|后|那年|时|的时候|的人|的老)"
)
_AGE_BARE_RE = re.compile(
    rf"(?P<pre>今年|我|俺|本人|已经|都|已|快要?|明年就?满?|年满|刚满|整|正好)"
    rf"(?:已经|都|也|才|就|刚|快|整|满|正好)?"
    rf"{_AGE_NUM}(?P<approx>多|来|出头)?(?![\d一二三四五六七八九十万千百元块年月日号天次个人%.点岁周多来几])"
)


def find(msg: Msg) -> dict[str, Any]:
    for pattern, low, high in ((_AGE_WITH_SUI_RE, 40, 120), (_AGE_BARE_RE, 50, 110)):
        for m in pattern.finditer(msg.text):
            age = small_int(m.group("n"))
            if age is None or not low <= age <= high:
                continue
            if msg.about_kin(m.start()):
                continue  # someone else's age: 老伴78岁
            pre = m.group("pre") or ""
            if pre.startswith(("快", "明年")):
                age -= 1  # 快80了, 明年80: not 80 yet
            out: dict[str, Any] = {"age": age}
            if m.group("approx"):
                out["age_approx"] = True
            return out
    return {}
