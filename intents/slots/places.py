"""Where the cadre lives (region: one of ours, or place_other) and where they go abroad
(destination, abroad), from the gazetteer (data/gazetteer.yaml)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from intents.resources import read_yaml
from intents.slots.message import KIN_RE, Msg
from intents.slots.vocabulary import WORDS, alternation

_WORDS = WORDS["places"]

_LEVELS = {"province": 1, "city": 2, "district": 3}
_SELF_RE = re.compile(alternation(_WORDS["self"]))
_HOME_RE = re.compile(alternation(_WORDS["home"]))
_ABROAD_WORD_RE = re.compile(alternation(_WORDS["abroad"]))
# A place gone to for a purpose ("去上海看病", "到青岛开会") is a visit, not where the cadre is
# settled: it says nothing of whose rules apply (the roster, or asking, does).
_VISIT_BEFORE_RE = re.compile(r"(?:去|到|上)(?:了|过)?$")
_VISIT_AFTER_RE = re.compile(
    rf"(?:的?医院|的?大医院)?(?:{alternation(_WORDS['visit_purposes'])})")
# A place that names an awarding body (山东省委省政府的表彰) says who commended the cadre, not
# where the cadre lives: it counts only when no other place is named.
_BODY_AFTER_RE = re.compile(r"(?:省|市|县|区)?(?:委|政府|人民政府|退役军人|党委)")


def _expand(name: str) -> tuple[str, list[str]]:
    """'长春(市)' -> ('长春', ['长春', '长春市'])."""
    if "(" not in name:
        return name, [name]
    base, rest = name.split("(", 1)
    return base, [base, base + rest.rstrip(")")]


@cache
def _gazetteer() -> tuple[re.Pattern[str], dict[str, tuple[str, str, int]]]:
    """The place pattern and name → (kind, value, level); kind: region/other/foreign/ignore."""
    data = read_yaml("gazetteer.yaml")
    places: dict[str, tuple[str, str, int]] = {}
    for region, levels in data["regions"].items():
        for level, names in levels.items():
            for name in names:
                for form in _expand(name)[1]:
                    places[form] = ("region", region, _LEVELS[level])
    for level, names in data["other"].items():
        for name in names:
            base, forms = _expand(name)
            for form in forms:
                places[form] = ("other", base, _LEVELS[level])
    for kind in ("foreign", "ignore"):
        for name in data[kind]:
            base, forms = _expand(name)
            for form in forms:
                places[form] = (kind, base, 0)
    names = sorted(places, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, names))), places


def without_places(text: str) -> str:
    """The text with every place name the gazetteer knows taken out ("明朝上海落雨伐" -> the
    weather): what a message says beside the place."""
    pattern, _ = _gazetteer()
    return pattern.sub(" ", text)


def find(msg: Msg) -> dict[str, Any]:
    """Precedence: the place tied to the cadre (我/住/安置, not 儿子/老伴) wins; at equal ties the
    most specific (district > city > province), then one of our regions over another place,
    then the first named."""
    pattern, places = _gazetteer()
    text = msg.text
    out: dict[str, Any] = {}
    best: tuple[tuple[int, int, int, int], str, str] | None = None
    for m in pattern.finditer(text):
        kind, value, level = places[m.group()]
        if kind == "ignore":
            continue
        if kind == "foreign":
            out.setdefault("destination", value)
            out["abroad"] = True
            continue
        start, end = msg.clause(m.start())
        if (_VISIT_BEFORE_RE.search(msg.before(m.start(), 3))
                and _VISIT_AFTER_RE.match(text, m.end())
                and not _HOME_RE.search(text, start, end)):
            continue
        body = bool(_BODY_AFTER_RE.match(text, m.end()))
        score = (-10 * body + 2 * bool(_HOME_RE.search(text, start, end))
                 + bool(_SELF_RE.search(text, start, end))
                 - 3 * bool(KIN_RE.search(text, start, end)))
        key = (score, level, kind == "region", -m.start())
        if best is None or key > best[0]:
            best = (key, kind, value)
    if best is not None:
        out["region" if best[1] == "region" else "place_other"] = best[2]
    if "abroad" not in out and _ABROAD_WORD_RE.search(text):
        out["abroad"] = True
    return out
