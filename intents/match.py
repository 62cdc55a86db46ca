"""Step 3: score every intent against a message.

Three signals, each robust to something the others miss:
- example similarity: rapidfuzz token-set ratio between the message's content words and each
  written example (handles word order, extra words and a question buried in a long story);
- keywords: distinctive words of an intent found in the message, by characters or by pinyin
  (so a voice-input homophone such as 聊养 still finds 疗养);
- character n-grams: TF-IDF cosine to the examples, for words jieba splits unexpectedly.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process

from intents.pinyin import syllables
from intents.resources import read_text, read_yaml
from intents.segment import segment

_NUMBER = re.compile(r"\d+(?:\.\d+)?")

# Weights of the three signals and of keyword hits; tuned by cross-validation over the written
# examples (bench/tune_matcher.py), not on the evaluation set.
W_FUZZY, W_KEYWORD, W_NGRAM = 0.45, 0.30, 0.25
KEYWORD_SATURATION = 1.5
FUZZY_CUTOFF = 30


@dataclass(frozen=True)
class Scored:
    intent: str
    score: float


@dataclass(frozen=True)
class IntentIndex:
    intents: tuple[str, ...]
    examples: tuple[str, ...]  # content words joined by spaces
    example_intent: tuple[int, ...]
    keywords: Mapping[str, tuple[tuple[int, float], ...]]  # keyword -> (intent, weight)
    keyword_pinyin: Mapping[str, tuple[tuple[int, float], ...]]  # "liao yang" -> …
    keyword_sound: Mapping[str, str]  # 疗养 -> "liao yang"
    ngram_idf: Mapping[str, float]
    ngram_vectors: tuple[Mapping[str, float], ...]  # per example, L2-normalised
    ngram_postings: Mapping[str, tuple[int, ...]]  # n-gram -> example indices
    stopwords: frozenset[str]
    slot_hints: Mapping[str, Mapping[str, float]]

    def content(self, tokens: Iterable[str]) -> list[str]:
        return [_NUMBER.sub("9", t) for t in tokens if t not in self.stopwords]


def _ngrams(text: str) -> list[str]:
    chars = [c for c in text if c.isalnum()]
    return chars + [a + b for a, b in itertools.pairwise(chars)]


def _tfidf(grams: Sequence[str], idf: Mapping[str, float]) -> dict[str, float]:
    counts: dict[str, float] = defaultdict(float)
    for g in grams:
        if g in idf:
            counts[g] += idf[g]
    norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
    return {g: v / norm for g, v in counts.items()}


def build_index(phrases: Mapping[str, Mapping[str, Any]], stopwords: frozenset[str],
                slot_hints: Mapping[str, Mapping[str, float]],
                normalise: Any = lambda s: s) -> IntentIndex:
    intents = tuple(phrases)
    examples: list[str] = []
    owners: list[int] = []
    raw_examples: list[str] = []
    for i, intent in enumerate(intents):
        for example in phrases[intent].get("examples", ()):
            text = normalise(str(example))
            tokens = [_NUMBER.sub("9", t) for t in segment(text) if t not in stopwords]
            if tokens:
                examples.append(" ".join(tokens))
                owners.append(i)
                raw_examples.append(text)

    # A keyword shared by several intents says less: weight 1/number of intents using it.
    users: dict[str, set[int]] = defaultdict(set)
    for i, intent in enumerate(intents):
        for keyword in phrases[intent].get("keywords", ()):
            users[normalise(str(keyword))].add(i)
    keywords = {k: tuple((i, 1.0 / len(owners_)) for i in sorted(owners_))
                for k, owners_ in users.items() if k}
    keyword_sound = {k: " ".join(syllables(k)) for k in keywords if len(k) >= 2}
    keyword_pinyin: dict[str, tuple[tuple[int, float], ...]] = {}
    for k, sound in keyword_sound.items():
        if sound:
            keyword_pinyin.setdefault(sound, keywords[k])

    document_frequency: dict[str, int] = defaultdict(int)
    example_grams = [_ngrams(t) for t in raw_examples]
    for grams in example_grams:
        for g in set(grams):
            document_frequency[g] += 1
    n = len(example_grams)
    idf = {g: math.log((1 + n) / (1 + df)) + 1.0 for g, df in document_frequency.items()}
    vectors = tuple(_tfidf(grams, idf) for grams in example_grams)
    postings: dict[str, list[int]] = defaultdict(list)
    for j, vector in enumerate(vectors):
        for g in vector:
            postings[g].append(j)
    return IntentIndex(
        intents=intents, examples=tuple(examples), example_intent=tuple(owners),
        keywords=keywords, keyword_pinyin=keyword_pinyin, keyword_sound=keyword_sound,
        ngram_idf=idf,
        ngram_vectors=vectors, ngram_postings={g: tuple(js) for g, js in postings.items()},
        stopwords=stopwords, slot_hints=slot_hints,
    )


@functools.cache
def default_index() -> IntentIndex:
    from intents.normalise import default_normaliser  # the examples go through the same steps

    stopwords = frozenset(
        w for line in read_text("stopwords.txt").splitlines() if not line.startswith("#")
        for w in line.split())
    cues = read_yaml("domain_cues.yaml") or {}
    return build_index(read_yaml("phrases.yaml"), stopwords, cues.get("slot_hints", {}),
                       default_normaliser())


def rank(index: IntentIndex, text: str, tokens: Sequence[str],
         slots: Mapping[str, Any] | None = None) -> list[Scored]:
    """Every intent with its combined score in [0, 1], best first."""
    scores = [0.0] * len(index.intents)
    fuzzy = _fuzzy(index, tokens)
    keyword = _keywords(index, text)
    ngram = _ngram(index, text)
    for i in range(len(index.intents)):
        scores[i] = (W_FUZZY * fuzzy[i] + W_KEYWORD * min(keyword[i], KEYWORD_SATURATION)
                     / KEYWORD_SATURATION + W_NGRAM * ngram[i])
    for slot, hints in index.slot_hints.items():
        if slots and slots.get(slot):
            for intent, bonus in hints.items():
                if intent in index.intents:
                    scores[index.intents.index(intent)] += bonus
    ranked = sorted(zip(index.intents, scores, strict=True), key=lambda p: -p[1])
    return [Scored(intent, round(score, 4)) for intent, score in ranked]


def _fuzzy(index: IntentIndex, tokens: Sequence[str]) -> list[float]:
    best = [0.0] * len(index.intents)
    query = " ".join(index.content(tokens))
    if not query:
        return best
    for _, score, j in process.extract(query, index.examples, scorer=fuzz.token_set_ratio,
                                       limit=None, score_cutoff=FUZZY_CUTOFF):
        i = index.example_intent[j]
        if score > best[i]:
            best[i] = score
    return [s / 100.0 for s in best]


def _keywords(index: IntentIndex, text: str) -> list[float]:
    hits = [0.0] * len(index.intents)
    found: set[str] = set()
    for keyword, owners in index.keywords.items():
        if keyword in text:
            found.add(keyword)
            for i, weight in owners:
                hits[i] += weight
    # Pinyin pass: keywords the characters missed but the sounds match (聊养 → 疗养).
    heard = {index.keyword_sound[k] for k in found if k in index.keyword_sound}
    spoken = " " + " ".join(syllables(text)) + " "
    for sound, owners in index.keyword_pinyin.items():
        if sound not in heard and f" {sound} " in spoken:
            for i, weight in owners:
                hits[i] += weight
    return hits


def _ngram(index: IntentIndex, text: str) -> list[float]:
    query = _tfidf(_ngrams(text), index.ngram_idf)
    sims: dict[int, float] = defaultdict(float)
    for g, weight in query.items():
        for j in index.ngram_postings.get(g, ()):
            sims[j] += weight * index.ngram_vectors[j][g]
    best = [0.0] * len(index.intents)
    for j, sim in sims.items():
        i = index.example_intent[j]
        if sim > best[i]:
            best[i] = sim
    return best
