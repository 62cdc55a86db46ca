"""Step 1: make a message comparable. Traditional → simplified, full-width → half-width, invisible
characters out, voice-input homophones fixed, fillers dropped. Meaning is never removed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

import opencc

from intents.resources import read_yaml

MAX_CHARS = 2_000  # a 10,000-character paste is understood from its beginning

# Zero-width and bidi controls appear in pasted text and break substring matching.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]")
_SPACES = re.compile(r"\s+")
# Spaces between CJK characters are voice-input pauses, not word breaks.
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")


@dataclass(frozen=True)
class Normaliser:
    converter: opencc.OpenCC
    homophones: tuple[tuple[str, str], ...]  # longest first, so 医疗不住 wins over a shorter key
    fillers_always: tuple[str, ...]
    fillers_not_alone: tuple[str, ...]
    # 好嘞, 行, 知道了 and the politeness words, longest first: what says nothing of a topic
    acknowledgements: tuple[str, ...] = ()

    @classmethod
    def load(cls) -> Normaliser:
        homophones = read_yaml("homophones.yaml") or {}
        fillers = read_yaml("fillers.yaml") or {}
        by_length = sorted(homophones.items(), key=lambda kv: -len(kv[0]))
        return cls(
            converter=opencc.OpenCC("t2s"),
            homophones=tuple((str(k), str(v)) for k, v in by_length),
            fillers_always=tuple(sorted(fillers.get("always", ()), key=len, reverse=True)),
            fillers_not_alone=tuple(sorted(fillers.get("when_not_alone", ()), key=len,
                                           reverse=True)),
            acknowledgements=tuple(sorted({*fillers.get("acknowledgements", ()),
                                           *fillers.get("when_not_alone", ())},
                                          key=len, reverse=True)),
        )

    def clean(self, text: str) -> str:
        """Characters only: width, script, invisible and control characters, spacing."""
        text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2])
        text = _INVISIBLE.sub("", text)
        text = "".join(ch if ch.isprintable() else " " for ch in text)
        text = self.converter.convert(text)
        text = _SPACES.sub(" ", text).strip()
        return _CJK_GAP.sub("", text)[:MAX_CHARS].lower()

    def fix_homophones(self, text: str) -> str:
        for wrong, right in self.homophones:
            if wrong in text:
                text = text.replace(wrong, right)
        return text

    def drop_fillers(self, text: str) -> str:
        for filler in self.fillers_always:
            text = text.replace(filler, " ")
        stripped = _strip_edges(text, self.fillers_not_alone)
        # A message that is only "你好" or "谢谢你" keeps it: that is its meaning. So does one
        # whose rest only acknowledges ("好嘞 谢谢啊" is thanks, not "好嘞").
        if sum(ch.isalnum() for ch in stripped) >= 2 and not self._only_acknowledges(stripped):
            text = stripped
        return _SPACES.sub(" ", text).strip(" ,，。.!！?？、")

    def _only_acknowledges(self, text: str) -> bool:
        for word in self.acknowledgements:
            text = text.replace(word, " ")
        return not any(ch.isalnum() for ch in text)

    def words(self, text: str) -> str:
        """For keywords and names: the same characters as a message, but nothing dropped."""
        return self.fix_homophones(self.clean(text))

    def __call__(self, text: str) -> str:
        return self.drop_fillers(self.fix_homophones(self.clean(text)))


def _strip_edges(text: str, fillers: tuple[str, ...]) -> str:
    """Politeness at the start or end of a message ("好的，…", "…谢谢啊") goes; inside a
    sentence the same characters may be meaning ("好好的呢"), so they stay."""
    changed = True
    while changed:
        changed = False
        text = text.strip(" ,，。.!！?？、~")
        for filler in fillers:
            if text.startswith(filler) and len(text) > len(filler):
                text, changed = text[len(filler):], True
            elif text.endswith(filler) and len(text) > len(filler):
                text, changed = text[: -len(filler)], True
    return text


@functools.cache
def default_normaliser() -> Normaliser:
    """The normaliser over the packaged data, built once per process."""
    return Normaliser.load()
