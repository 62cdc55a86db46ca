"""Which sentence of an answer a question asks about: "多久能去一次" after the sanatorium level
is the cycle sentence, "一批多少人" the batch size. The sentences of the knowledge base are the
only vocabulary; a character or pair of characters counts by how rare it is among them (IDF),
and a sentence is chosen when it covers enough of the question's rare characters. Pure."""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence

import knowledge

# Characters that carry no topic: particles, pronouns, question words.
_STOP = set("的了吗呢啊吧么嘛呀哈哦噢嗯啦喽咧我您你他她它们是在有和就都也还要能会那这个"
            "不没啥咋怎么样什哪谁呐俺咱呗伐")
LEAD_MIN = 0.4  # share of the question's weight a sentence must cover to lead
LEAD_MARGIN = 0.2  # and by how much more than the first answer covers ("我能去疗养吗" is the
# answer itself, though the cycle sentence shares 去 with it)


# A count asked ("多少人", "几个工作日", "多久") and a count stated ("五十人", "十个工作日", "3年")
# meet as one token per unit: "一批多少人" is about "每批不超过五十人", which shares no other rare
# word. Only a question asks a count (a count the cadre states, "当兵三十年", asks nothing), and
# only an answer's sentence states one.
_NUMERAL = "[0-9零一二两三四五六七八九十百千万]+"


@functools.cache
def _counts() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The count asked, the count stated, "how long", and the question words themselves (which
    match nothing), from the knowledge base's words (ui.words.count_*)."""
    units = "|".join(sorted(_word_list("ui.words.count_units"), key=len, reverse=True))
    asking = "|".join(_word_list("ui.words.count_asked"))
    how_long = "|".join(_word_list("ui.words.count_how_long"))
    return (re.compile(rf"(?:{asking})个?({units})"), re.compile(rf"{_NUMERAL}个?({units})"),
            re.compile(how_long), re.compile(f"{how_long}|{asking}"))


def _word_list(key: str) -> list[str]:
    return [re.escape(w) for w in knowledge.load().string(key).split()]


COUNTED_MIN = 0.15  # the stating sentence must still be about the question, a little


def _unit(found: re.Match[str]) -> str:
    unit = found.group(1)
    return "#" + (unit[-1] if unit.endswith("岁") else unit)  # 周岁 is 岁


def _question_grams(text: str) -> set[str]:
    asked, _, how_long, asking = _counts()
    counts = {_unit(m) for m in asked.finditer(text)}
    if how_long.search(text):
        counts |= {"#天", "#月", "#年"}
    return _char_grams(asking.sub("，", text)) | counts


@functools.lru_cache(maxsize=4096)  # the knowledge base's sentences: a fixed set
def _grams(text: str) -> frozenset[str]:
    """A sentence of an answer: its characters, pairs and the counts it states."""
    return frozenset(_char_grams(text) | {_unit(m) for m in _counts()[1].finditer(text)})


def _char_grams(text: str) -> set[str]:
    chars = [ch if "\u4e00" <= ch <= "\u9fff" or ch.isdigit() else "，" for ch in text]
    kept = [ch for ch in chars if ch not in _STOP and ch != "，"]
    return set(kept) | {a + b for a, b in itertools.pairwise(chars)
                        if "，" not in (a, b) and (a not in _STOP or b not in _STOP)}


@functools.cache
def _idf() -> dict[str, float]:
    kb = knowledge.load()
    docs = [_grams(s.text) for regions in kb.entries.values() for e in regions.values()
            for s in e.statements]
    df = Counter(g for d in docs for g in d)
    n = len(docs)
    return {g: math.log((n + 1) / (c + 1)) + 1.0 for g, c in df.items()}


COUNT_WEIGHT = 3.0  # a count asked is the point of the question, beside the topic's words


def _weight(gram: str, idf: dict[str, float]) -> float:
    return idf[gram] * (COUNT_WEIGHT if gram.startswith("#") else 1.0)


def coverage(question: str, sentence: str) -> float:
    idf = _idf()
    asked = {g for g in _question_grams(question) if g in idf}
    if not asked:
        return 0.0
    total = sum(_weight(g, idf) for g in asked)
    return sum(_weight(g, idf) for g in asked & _grams(sentence)) / total


def asked_sentence(question: str, answer: str, sentences: Sequence[str], *,
                   detailed: bool = False) -> str | None:
    """The sentence the question asks about, when one covers it clearly better than the first
    answer does: a point or a line of the long version; in the next layer (which leaves the
    first answer out) the first answer itself too, when it is what the question asks
    ("去几天啊" → "每期不超过七天")."""
    counted = _counted(question, answer, sentences)
    if counted is not None:
        return counted
    base = coverage(question, answer)
    scored = [(coverage(question, s), s) for s in sentences if s != answer]
    best_score, best = max(scored, default=(0.0, None))
    if best is not None and best_score >= LEAD_MIN and best_score >= base + LEAD_MARGIN:
        return best
    if detailed and base >= LEAD_MIN and base >= best_score:
        return answer
    return None


def _counted(question: str, answer: str, sentences: Sequence[str]) -> str | None:
    """A question for a count ("一批多少人") the first answer does not give, and exactly one
    sentence that states a count of that kind ("每批不超过一百人"): that sentence."""
    asked = {g for g in _question_grams(question) if g.startswith("#")} - _grams(answer)
    if not asked or _counts()[2].search(question):  # 多久: days, months or years, too loose
        return None
    stating = [s for s in sentences if s != answer and asked & _grams(s)]
    if len(stating) != 1 or coverage(question, stating[0]) < COUNTED_MIN:
        return None
    return stating[0]
