"""Step 3: score every intent against a message.

Three signals, each robust to something the others miss:
- example similarity: rapidfuzz token-set ratio between the message's content words and each
  written example (handles word order, extra words and a question buried in a long story);
- keywords: distinctive words of an intent found in the message, by characters or by pinyin
  (so a voice-input homophone such as 聊养 still finds 疗养);
- character n-grams: TF-IDF cosine to the examples, for words jieba splits unexpectedly.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import math
import os
import pickle
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from intents.pinyin import is_han, syllables
from intents.resources import data_path, read_text, read_yaml
from intents.segment import segment

_NUMBER = re.compile(r"\d+(?:\.\d+)?")

# Weights of the three signals and of keyword hits; tuned by cross-validation over the written
# examples (bench/tune_matcher.py), not on the evaluation set.
W_FUZZY, W_KEYWORD, W_NGRAM = 0.35, 0.35, 0.30
KEYWORD_SATURATION = 1.5
FUZZY_CUTOFF = 30
# The fuzzy pass only looks at the examples that share most characters with the message:
# the others would score low anyway, and this keeps a message well under a millisecond.
CANDIDATES = 60
# A character in more than this share of examples (的, 我, 吗) is noise for the n-gram signal.
COMMON_GRAM = 0.04
# A message that is exactly one of an intent's phrases ("在吗", "转人工") needs no more evidence.
EXACT_BONUS = 0.4
MAX_KEYWORD_SYLLABLES = 8


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
    short_intents: Mapping[str, Any]
    exact: Mapping[str, int]  # a whole message identical to an example or keyword -> intent

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


def _bare(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def _exact_phrases(intents: Sequence[str], examples: Sequence[str], owners: Sequence[int],
                   keywords: Mapping[str, tuple[tuple[int, float], ...]]) -> dict[str, int]:
    seen: dict[str, set[int]] = defaultdict(set)
    for text, i in zip(examples, owners, strict=True):
        seen[_bare(text)].add(i)
    for keyword, hits in keywords.items():
        for i, _ in hits:
            seen[_bare(keyword)].add(i)
    # Only phrases that belong to one intent: an exact match must not be ambiguous.
    return {text: next(iter(owners_)) for text, owners_ in seen.items()
            if text and len(owners_) == 1}


def build_index(phrases: Mapping[str, Mapping[str, Any]], stopwords: frozenset[str],
                cues: Mapping[str, Any], normalise: Any = lambda s: s) -> IntentIndex:
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
    as_words = getattr(normalise, "words", normalise)  # keywords keep their fillers (谢谢你)
    for i, intent in enumerate(intents):
        for keyword in phrases[intent].get("keywords", ()):
            word = as_words(str(keyword))
            if len(word) >= 2:  # one character is never distinctive enough
                users[word].add(i)
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
            if document_frequency[g] <= max(3, COMMON_GRAM * n):
                postings[g].append(j)
    return IntentIndex(
        intents=intents, examples=tuple(examples), example_intent=tuple(owners),
        keywords=keywords, keyword_pinyin=keyword_pinyin, keyword_sound=keyword_sound,
        ngram_idf=idf,
        ngram_vectors=vectors, ngram_postings={g: tuple(js) for g, js in postings.items()},
        stopwords=stopwords, slot_hints=cues.get("slot_hints", {}),
        short_intents=cues.get("short_intents", {}),
        exact=_exact_phrases(intents, raw_examples, owners, keywords),
    )


INDEX_FILES = ("phrases.yaml", "stopwords.txt", "domain_cues.yaml", "homophones.yaml",
               "fillers.yaml", "domain_words.txt", "jieba_dict.txt")


def _cache_path() -> Path:
    """Keyed by the data and this module, so any change to either rebuilds the index."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in INDEX_FILES:
        path = data_path(name)
        digest.update(path.read_bytes() if path.is_file() else b"")
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "junxiu"
    return root / f"intent-index-{digest.hexdigest()[:16]}.pickle"


@functools.cache
def default_index() -> IntentIndex:
    """The index over the packaged data; built once, then loaded from the user's cache."""
    path = _cache_path()
    try:
        with path.open("rb") as f:
            index = pickle.load(f)  # our own file, written below
        if isinstance(index, IntentIndex):
            return index
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError):
        pass
    index = _build_default_index()
    with contextlib.suppress(OSError):  # a read-only home only costs start-up time
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
    return index


def _build_default_index() -> IntentIndex:
    from intents.normalise import default_normaliser  # the examples go through the same steps

    stopwords = frozenset(
        w for line in read_text("stopwords.txt").splitlines() if not line.startswith("#")
        for w in line.split())
    cues = read_yaml("domain_cues.yaml") or {}
    return build_index(read_yaml("phrases.yaml"), stopwords, cues, default_normaliser())


def rank(index: IntentIndex, text: str, tokens: Sequence[str],
         slots: Mapping[str, Any] | None = None) -> list[Scored]:
    """Every intent with its combined score in [0, 1], best first."""
    scores = [0.0] * len(index.intents)
    similar = _similar_examples(index, text)
    ngram = [0.0] * len(index.intents)
    for j, sim in similar.items():
        i = index.example_intent[j]
        ngram[i] = max(ngram[i], sim)
    nearest = sorted(similar, key=similar.__getitem__, reverse=True)[:CANDIDATES]
    fuzzy = _fuzzy(index, tokens, nearest)
    keyword = _keywords(index, text, tokens)
    for i in range(len(index.intents)):
        scores[i] = (W_FUZZY * fuzzy[i] + W_KEYWORD * min(keyword[i], KEYWORD_SATURATION)
                     / KEYWORD_SATURATION + W_NGRAM * ngram[i])
    exact = index.exact.get(_bare(text))
    if exact is not None:
        scores[exact] += EXACT_BONUS
    for intent, bonus in hinted(index, slots).items():
        scores[index.intents.index(intent)] += bonus
    short = index.short_intents
    extra = sum(ch.isalnum() for ch in text) - short.get("chars", 10**6)
    if extra > 0:
        penalty = short["penalty"] * min(1.0, extra / short["chars"])
        for intent in short.get("intents", ()):
            if intent in index.intents:
                scores[index.intents.index(intent)] -= penalty
    ranked = sorted(zip(index.intents, scores, strict=True), key=lambda p: -p[1])
    return [Scored(intent, round(score, 4)) for intent, score in ranked]


def hinted(index: IntentIndex, slots: Mapping[str, Any] | None) -> dict[str, float]:
    """Intents that the facts in the message point at, with their bonus."""
    bonus: dict[str, float] = defaultdict(float)
    for slot, hints in index.slot_hints.items():
        if slots and slots.get(slot):
            for intent, value in hints.items():
                if intent in index.intents:
                    bonus[intent] += value
    return bonus


def _fuzzy(index: IntentIndex, tokens: Sequence[str], candidates: Sequence[int]
           ) -> list[float]:
    best = [0.0] * len(index.intents)
    query = " ".join(index.content(tokens)) or " ".join(tokens)  # all function words: keep
    if not query:
        return best
    for j in candidates:
        score = fuzz.token_set_ratio(query, index.examples[j], score_cutoff=FUZZY_CUTOFF)
        i = index.example_intent[j]
        if score > best[i]:
            best[i] = score
    return [s / 100.0 for s in best]


def _keywords(index: IntentIndex, text: str, tokens: Sequence[str]) -> list[float]:
    hits = [0.0] * len(index.intents)
    starts, ends = _boundaries(tokens)
    found: set[str] = set()
    for keyword, owners in index.keywords.items():
        if keyword in text and _found(text, keyword, starts, ends):
            found.add(keyword)
            for i, weight in owners:
                hits[i] += weight
    # Pinyin pass: keywords the characters missed but the sounds match (聊养 → 疗养). Sounds
    # must line up with word boundaries, or 是吉林 would be heard as 事迹 and 身体健康 as 体检.
    heard = {index.keyword_sound[k] for k in found if k in index.keyword_sound}
    spoken = syllables(tokens)  # one call: pypinyin takes the words as already segmented
    word_starts, word_ends, at = set(), set(), 0
    for token in tokens:
        count = sum(is_han(ch) for ch in token)
        if count:
            word_starts.add(at)
            at += count
            word_ends.add(at)
    for start in sorted(word_starts):
        for end in range(start + 2, min(start + MAX_KEYWORD_SYLLABLES, len(spoken)) + 1):
            if end not in word_ends:
                continue
            sound = " ".join(spoken[start:end])
            if sound in heard:
                continue
            for i, weight in index.keyword_pinyin.get(sound, ()):
                hits[i] += weight
            heard.add(sound)  # once per message, like a keyword found by its characters
    return hits


def _boundaries(tokens: Sequence[str]) -> tuple[set[int], set[int]]:
    """Character offsets where the words of a message start and end (spaces removed)."""
    starts, ends, at = set(), set(), 0
    for token in tokens:
        starts.add(at)
        at += len(token)
        ends.add(at)
    return starts, ends


def _found(text: str, keyword: str, starts: set[int], ends: set[int]) -> bool:
    """A keyword in the message; a two-character one only as a whole word (一等功能 ≠ 功能)."""
    if len(keyword) > 2:
        return True
    compact = "".join(ch for ch in text if not ch.isspace() and (ch.isalnum()))
    p = compact.find(keyword)
    while p != -1:
        if p in starts and p + len(keyword) in ends:
            return True
        p = compact.find(keyword, p + 1)
    return False


def _similar_examples(index: IntentIndex, text: str) -> dict[int, float]:
    """Cosine similarity of the message's character n-grams to each example sharing any."""
    query = _tfidf(_ngrams(text), index.ngram_idf)
    sims: dict[int, float] = defaultdict(float)
    for g, weight in query.items():
        for j in index.ngram_postings.get(g, ()):
            sims[j] += weight * index.ngram_vectors[j][g]
    return sims
