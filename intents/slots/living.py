"""Living situation and health: lives_alone, self_care, serious_illness (the cadre's, not a
kin's)."""

from __future__ import annotations

import re
from typing import Any

from intents.slots.message import Msg
from intents.slots.vocabulary import WORDS, alternation

_ALONE_TRUE_RE = re.compile(
    r"独居|独自(?:一人)?(?:居住|生活|住)|一个人(?:住|过|生活|居住)|一人(?:住|独居|生活)|孤老|孤寡"
    r"|无儿无女|无子女|没有子女|没有儿女|没儿没女|膝下无|空巢|身边没(?:有)?人")
_ALONE_FALSE_RE = re.compile(
    r"(?:跟|和|与|同)(?:老伴儿?|爱人|老婆|妻子|丈夫|儿子|女儿|孩子|子女|儿女|家人|保姆)"
    r"[^,，。.!！?？]{0,4}(?:住|生活|过)|老两口")
_SELF_CARE_FALSE_RE = re.compile(
    r"卧床|不能自理|无法自理|不能够自理|自理不了|不(?:太)?能照顾自己|瘫痪|瘫在床|偏瘫|坐轮椅|轮椅"
    r"|失能|需要(?:人|专人)(?:照顾|护理|伺候)|离不开人")
_SELF_CARE_TRUE_RE = re.compile(
    r"(?<![不没])(?:能够?|可以)自理|生活(?:能够?|可以)?自理|腿脚(?:还)?(?:挺|很|都|还)?(?:利索|灵便|好使)"
    r"|身体(?:还|挺|很|蛮|特别|非常|一直|都|也){0,2}(?:硬朗|好|健康|不错|结实|行)|能走能动|能吃能睡|行动自如")
_BU_RE = re.compile(r"不|并非")
_ILLNESS_RE = re.compile(alternation(WORDS["living"]["serious_illness"]), re.IGNORECASE)


def find(msg: Msg) -> dict[str, Any]:
    text = msg.text
    out: dict[str, Any] = {}
    # "不是一个人住" must not read as living alone.
    if any(not _BU_RE.search(msg.before(m.start(), 3)) for m in _ALONE_TRUE_RE.finditer(text)):
        out["lives_alone"] = True
    elif _ALONE_FALSE_RE.search(text):
        out["lives_alone"] = False
    # Health words about someone else (老伴卧床) say nothing about the cadre.
    if any(not msg.about_kin(m.start()) for m in _SELF_CARE_FALSE_RE.finditer(text)):
        out["self_care"] = False
    elif any(not msg.about_kin(m.start()) for m in _SELF_CARE_TRUE_RE.finditer(text)):
        out["self_care"] = True
    negated = affirmed = False
    for m in _ILLNESS_RE.finditer(text):
        if msg.about_kin(m.start()):
            continue
        if msg.negated(m.start(), 8):
            negated = True  # 没有传染病: the condition is met, say so
        else:
            affirmed = True
    if affirmed or negated:
        out["serious_illness"] = affirmed
    return out

