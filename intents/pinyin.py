"""Toneless pinyin, so that voice-input homophones (聊养/疗养, 军修/军休) compare equal."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from pypinyin import Style, lazy_pinyin


@functools.cache
def _syllable(ch: str) -> str:
    # One reading per character, the same for keywords and messages: heteronyms (长 chang/zhang)
    # may read oddly but always read alike, which is all matching needs. Memoised: pypinyin's
    # style conversion costs more than the rest of the matcher.
    found = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
    return found[0] if found else ""


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def syllables(text: str | Iterable[str]) -> list[str]:
    """Toneless syllables of the Chinese characters in `text` (a string, or its words);
    other characters are skipped. Exactly one syllable per Chinese character."""
    chars = text if isinstance(text, str) else "".join(text)
    return [_syllable(ch) for ch in chars if is_han(ch)]
