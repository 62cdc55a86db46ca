"""Which sentence of an answer a question asks about: "多久能去一次" after the sanatorium level
is the cycle sentence, "一批多少人" the batch size. The sentences of the knowledge base are the
only vocabulary; a character or pair of characters counts by how rare it is among them (IDF),
and a sentence is chosen when it covers enough of the question's rare characters. Pure."""

from __future__ import annotations

import functools
import itertools
import math
from collections import Counter
from collections.abc import Sequence

import knowledge

# Characters that carry no topic: particles, pronouns, question words.
_STOP = set("的了吗呢啊吧么嘛呀哈哦噢嗯啦喽咧我您你他她它们是在有和就都也还要能会那这个"
            "不没啥咋怎么样什哪谁呐俺咱呗伐")
LEAD_MIN = 0.4  # share of the question's weight a sentence must cover to lead
LEAD_MARGIN = 0.2  # and by how much more than the first answer covers ("我能去疗养吗" is the
# answer itself, though the cycle sentence shares 去 with it)


def _grams(text: str) -> set[str]:
    chars = [ch for ch in text if "\u4e00" <= ch <= "\u9fff" or ch.isdigit()]
    kept = [ch for ch in chars if ch not in _STOP]
    return set(kept) | {a + b for a, b in itertools.pairwise(chars)
                        if a not in _STOP or b not in _STOP}


@functools.cache
def _idf() -> dict[str, float]:
    kb = knowledge.load()
    docs = [_grams(s.text) for regions in kb.entries.values() for e in regions.values()
            for s in e.statements]
    df = Counter(g for d in docs for g in d)
    n = len(docs)
    return {g: math.log((n + 1) / (c + 1)) + 1.0 for g, c in df.items()}


def coverage(question: str, sentence: str) -> float:
    idf = _idf()
    asked = {g for g in _grams(question) if g in idf}
    if not asked:
        return 0.0
    total = sum(idf[g] for g in asked)
    return sum(idf[g] for g in asked & _grams(sentence)) / total


def asked_sentence(question: str, answer: str, sentences: Sequence[str], *,
                   detailed: bool = False) -> str | None:
    """The sentence the question asks about, when one covers it clearly better than the first
    answer does: a point or a line of the long version; in the next layer (which leaves the
    first answer out) the first answer itself too, when it is what the question asks
    ("去几天啊" → "每期不超过七天")."""
    base = coverage(question, answer)
    scored = [(coverage(question, s), s) for s in sentences if s != answer]
    best_score, best = max(scored, default=(0.0, None))
    if best is not None and best_score >= LEAD_MIN and best_score >= base + LEAD_MARGIN:
        return best
    if detailed and base >= LEAD_MIN and base >= best_score:
        return answer
    return None
