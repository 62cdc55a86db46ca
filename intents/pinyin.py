"""Toneless pinyin, so that voice-input homophones (聊养/疗养, 军修/军休) compare equal."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def syllables(text: str) -> list[str]:
    """Toneless syllables of the Chinese characters in `text`; other characters are skipped."""
    return lazy_pinyin(text, style=Style.NORMAL, errors="ignore")
