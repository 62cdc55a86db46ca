"""Toneless pinyin, so that voice-input homophones (聊养/疗养, 军修/军休) compare equal.

The readings come from pypinyin. Importing it costs about half a second (its phrase dictionary),
which `junxiu ask` would pay at every start, so the model carries a table of every character of
the basic CJK block, made from pypinyin at training time (`table_for_cjk`); pypinyin itself is
imported only for a character outside it, or before a model is loaded.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

CJK = (0x4E00, 0x9FFF)
_table: dict[str, str] = {}


@functools.cache
def _from_pypinyin(ch: str) -> str:
    # One reading per character, the same for keywords and messages: heteronyms (长 chang/zhang)
    # may read oddly but always read alike, which is all matching needs.
    from pypinyin import Style, lazy_pinyin

    found = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
    return found[0] if found else ""


def _syllable(ch: str) -> str:
    found = _table.get(ch)
    return found if found is not None else _from_pypinyin(ch)


def table_for_cjk() -> dict[str, str]:
    """Every character of the basic CJK block with its reading, as `_syllable` gives it."""
    return {chr(c): _from_pypinyin(chr(c)) for c in range(CJK[0], CJK[1] + 1)}


def use_table(table: dict[str, str]) -> None:
    """Read from `table` (the loaded model's) instead of importing pypinyin."""
    _table.clear()
    _table.update(table)


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def syllables(text: str | Iterable[str]) -> list[str]:
    """Toneless syllables of the Chinese characters in `text` (a string, or its words);
    other characters are skipped. Exactly one syllable per Chinese character."""
    chars = text if isinstance(text, str) else "".join(text)
    return [_syllable(ch) for ch in chars if is_han(ch)]
