"""Step 2: words. jieba with a trimmed dictionary (fast start) plus the domain dictionary."""

from __future__ import annotations

import functools
import logging
import tempfile
from pathlib import Path

import jieba

from intents.resources import data_path, read_text


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
