"""Merits and honours with a known level (merits: [codes]).

评过先进 without saying who named it adds nothing (the caller asks); "none" when the cadre says
there is none.
"""

from __future__ import annotations

import re
from typing import Any

from intents.slots.message import NEG_RE, Msg
from intents.slots.vocabulary import WORDS, alternation

_WORDS = WORDS["merits"]

_MERIT_CODE: dict[str, str] = _WORDS["by_ordinal"]  # 一等功 → merit_1 …
_MERIT_RE = re.compile(rf"(?P<ord>[{re.escape(''.join(_MERIT_CODE))}])等功")
_WARTIME_RE = re.compile(alternation(_WORDS["wartime"]))
# A merit is a collective one when 集体 says so or a unit is the subject (连队立了三等功);
# "在部队立过三等功" names where the cadre earned it, so a preceding 在/从 keeps it personal.
_COLLECTIVE_RE = re.compile(
    r"集体|(?<![在从到])(?:单位|部队|连队)(?:里|也|曾|还)?(?:荣立|立|获得|获|得)")
_CITATION_RE = re.compile(r"嘉奖")
# Level of a commendation body: party committee/government → commended_*, veterans department
# → model_cadre_*, a bare level word (市级, 县里) → decided by the honour word.
_LEVEL_RE = re.compile(
    r"(?P<national>国务院|党中央|中共中央|中央(?!军委)|全国|国家级|退役军人事务部|退役军人部)"
    r"|(?P<province>省(?:委|政府|人民政府|级|里|退役军人事务厅|退役军人厅|退役军人事务局|厅)"
    r"|退役军人事务厅)"
    # 城市里 / 社区里 are not bodies, so 级/里/局 need a guard; 市委, 市退役军人事务局 do not
    # (聊城市退役军人事务局 is a city body although 城市 stands inside it).
    r"|(?P<city>(?:市|州|盟)(?:委|政府|人民政府|退役军人事务局|退役军人局)"
    r"|(?<![城超都门夜股上])(?:市|州|盟)(?:级|里|局))"
    r"|(?P<county>(?:县|区|旗)(?:委|政府|人民政府|退役军人事务局|退役军人局)"
    r"|(?<![社小园景城市郊山矿营])(?:县|区|旗)(?:级|里|局))"
)
_COMMEND_WORD_RE = re.compile(alternation(_WORDS["commendation"]))
_MODEL_WORD_RE = re.compile(alternation(_WORDS["model_cadre"]))
_NO_MERIT_RE = re.compile(
    r"(?:没|没有|未|从没|从未|不曾)(?:有)?(?:立|得|获|受|评)?[过到上]?(?:什么|啥|任何|一次)?"
    r"(?:功(?!夫|课|能|效)|表彰|奖励|荣誉|嘉奖|先进)"
    r"|(?:啥|什么|任何)(?:功|表彰|奖励|荣誉|奖)(?:也|都)(?:没|没有)"
)


def find(msg: Msg) -> dict[str, Any]:
    text = msg.text
    codes: list[str] = []

    def add(code: str) -> None:
        if code not in codes:
            codes.append(code)

    for m in _MERIT_RE.finditer(text):
        if msg.negated(m.start()) or _COLLECTIVE_RE.search(msg.before(m.start(), 8)):
            continue
        code = _MERIT_CODE[m.group("ord")]
        if code == "merit_3":
            start, end = msg.clause(m.start())
            if _WARTIME_RE.search(text, start, end):
                code = "merit_3_wartime"
        add(code)
    for m in _LEVEL_RE.finditer(text):
        start, end = msg.clause(m.start())
        if not _COMMEND_WORD_RE.search(text, start, end) or NEG_RE.search(text, start, m.start()):
            continue
        body = m.group()
        if "退役军人" in body or body.endswith(("厅", "局")):
            kind = "model_cadre"
        elif "委" in body or "政府" in body or body in ("国务院", "党中央", "中共中央", "中央"):
            kind = "commended"
        else:
            kind = "model_cadre" if _MODEL_WORD_RE.search(text, start, end) else "commended"
        add(f"{kind}_{m.lastgroup}")
    for m in _CITATION_RE.finditer(text):
        start, end = msg.clause(m.start())
        if msg.negated(m.start()) or _LEVEL_RE.search(text, start, end):
            continue  # a 嘉奖 from a party committee is a commendation, handled above
        add("citation")
    if not codes and _NO_MERIT_RE.search(text):
        codes.append("none")
    return {"merits": codes} if codes else {}
