"""The cadre's post grade (rank "师级" …) or, without a post, military rank ("大校" …)."""

from __future__ import annotations

import re
from typing import Any

from intents.slots.message import Msg
from intents.slots.vocabulary import WORDS
from junxiu_core.model import Rank

_RANK_BY_CHAR = {char: Rank(rank) for char, rank in WORDS["rank"]["by_character"].items()}
_POST = re.escape("".join(_RANK_BY_CHAR))
# 师/团/营/连/排 are everyday characters (老师, 旅游团, 营养, 连续, 安排); a post needs 正/副 in
# front or 级/职 (or 长/政委) after, and the character before must not make another word
# (工程师级, 集团级, 经营级, 安排级别 …: data/slots.yaml).
_NOT_BEFORE_POST = re.escape("".join(WORDS["rank"]["not_before_post"]))
_RANK_RE = re.compile(
    rf"(?P<pre>正|副)(?P<a>[{_POST}])(?:级|职)?"
    r"(?=[级职长干退转待的了,，。.!！?？\s离在是吗呢啊吧、;；:：]|政委|$)"
    rf"|(?<![{_NOT_BEFORE_POST}])(?P<b>[{_POST}])(?:级|职(?!称|业|工|员|能|责|位|人员))"
    rf"|(?<![{_NOT_BEFORE_POST}])(?P<c>[{_POST}])(?:长|政委)"
)
# "团级以下要审批吗" asks about a category, it does not say what the cadre is.
_CATEGORY_AFTER_RE = re.compile(r"(?:干部)?(?:及|或)?以[上下]")
_MIL_RANK_RE = re.compile(r"(?<![马早晚其集空心手家途当加向身路会网线桌楼山天地面台海员])"
                          r"[大上中少](?:将|校|尉)(?![区车园长门])")
_MIL_RANK_CONTEXT_BEFORE_RE = re.compile(r"是|授|晋|衔|为|到|我|了")
_MIL_RANK_CONTEXT_AFTER_RE = re.compile(r"军衔|衔|退|转|干部|待遇|的|了|[,，。.!！?？\s]|$")


def find(msg: Msg) -> dict[str, Any]:
    text = msg.text
    for m in _RANK_RE.finditer(text):
        if _CATEGORY_AFTER_RE.match(text, m.end()):
            continue
        char = m.group("a") or m.group("b") or m.group("c")
        return {"rank": _RANK_BY_CHAR[char].value}
    for m in _MIL_RANK_RE.finditer(text):
        if (_MIL_RANK_CONTEXT_BEFORE_RE.search(msg.before(m.start(), 3))
                or _MIL_RANK_CONTEXT_AFTER_RE.match(text, m.end())):
            return {"military_rank": m.group()}
    return {}
