"""The one vectorisation shared by the intent model and its safety heads.

A message becomes a bag of named features, each robust to something the others miss:
- character n-grams (1-3) of the normalised text: words jieba splits unexpectedly, slips;
- jieba words: meaning carried by whole words (医疗补助, 去世);
- toneless pinyin syllables and syllable pairs: voice-input homophones (聊养 = 疗养);
- the names of the slots found (an amount, a merit, a date): facts that point at a topic;
- the emergency rule net's evidence (intents/emergency.py `signals`): a sign found with and
  without the look-alikes cut, and the look-alike markers (past, hypothetical, policy…).

Training (intents.train, with scikit-learn) and run time (intents.model, numpy only) both call
`features()`, so the two can never drift apart; weighting is TF-IDF with sublinear term
frequency and L2 normalisation, exactly as scikit-learn's TfidfVectorizer computes it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from typing import Any

from intents.pinyin import is_han, syllables

_DIGITS = re.compile(r"\d+(?:\.\d+)?")
NGRAM_MAX = 3
# Slots that say something about the topic; the values never matter, only their presence.
TOPICAL_SLOTS = ("amount_yuan", "merits", "rank", "military_rank", "status", "age", "date",
                 "abroad", "destination", "place_other", "lives_alone", "last_sanatorium_year")


def _compact(text: str) -> str:
    return "".join(ch for ch in _DIGITS.sub("9", text) if ch.isalnum())


def features(text: str, tokens: Iterable[str], slots: Mapping[str, Any] | None = None,
             signals: Iterable[str] = ()) -> list[str]:
    """Named features of one normalised message, with repeats (they count as term frequency)."""
    out: list[str] = []
    chars = "^" + _compact(text) + "$"
    for n in range(1, NGRAM_MAX + 1):
        out.extend("c" + chars[i:i + n] for i in range(len(chars) - n + 1)
                   if chars[i:i + n] not in ("^", "$"))
    words = [_DIGITS.sub("9", t) for t in tokens]
    out.extend("w" + w for w in words)
    sounds = syllables(words)
    out.extend("p" + s for s in sounds)
    out.extend("p" + a + "_" + b for a, b in itertools.pairwise(sounds))
    if slots:
        out.extend("s" + name for name in TOPICAL_SLOTS if slots.get(name))
    out.extend(signals)
    return out


def has_han(text: str) -> bool:
    return any(is_han(ch) for ch in text)
