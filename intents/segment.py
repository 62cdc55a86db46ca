"""Step 2: words. jieba with a trimmed dictionary (fast start) plus the domain dictionary."""

from __future__ import annotations

import functools
import logging
import sys
import tempfile
from pathlib import Path
from types import ModuleType

from intents.resources import data_path, read_text


def _import_jieba() -> ModuleType:
    """jieba, imported without pkg_resources. jieba finds its own data files with it when it
    can: a 0.2 s import (deprecated too) that `junxiu ask` would pay at every start, for what
    jieba's own fallback does as well (jieba/_compat.py: open the file beside the module)."""
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    missing = object()
    saved = sys.modules.get("pkg_resources", missing)
    if saved is missing:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # "not installed"
    try:
        import jieba
    finally:
        if saved is missing:
            del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()


@functools.cache
def tokenizer() -> jieba.Tokenizer:
    """One jieba tokenizer per process, built on first use."""
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer(dictionary=str(data_path("jieba_dict.txt")))
    tok.tmp_dir = str(Path(tempfile.gettempdir()) / "junxiu-jieba")
    Path(tok.tmp_dir).mkdir(parents=True, exist_ok=True)
    tok.initialize()
    for line in read_text("domain_words.txt").splitlines():
        parts = line.split()
        if parts and not line.startswith("#"):
            freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            tok.add_word(parts[0], freq, parts[2] if len(parts) > 2 else None)
    return tok


def segment(text: str) -> list[str]:
    """Words of a normalised message, punctuation and spaces dropped."""
    return [w for w in tokenizer().lcut(text, HMM=True) if w.strip() and _is_wordlike(w)]


def _is_wordlike(word: str) -> bool:
    return any(ch.isalnum() for ch in word)
