"""bot/data/roster.yaml, read once: how agencies write headers, marks and footers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parents[1] / "data" / "roster.yaml"


@dataclass(frozen=True)
class Vocabulary:
    columns: dict[str, tuple[str, ...]]
    row_number: tuple[str, ...]
    footer: re.Pattern[str]
    heading: re.Pattern[str]
    alone_yes: frozenset[str]
    alone_no: frozenset[str]
    alone: re.Pattern[str]
    alone_not: re.Pattern[str]
    lives_with: re.Pattern[str]
    status: dict[str, str]  # word → 离休 | 退休
    region_words: dict[str, str]


@cache
def load(path: Path = DATA) -> Vocabulary:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    alone = raw["lives_alone"]
    return Vocabulary(
        columns={k: tuple(str(h) for h in v) for k, v in raw["columns"].items()},
        row_number=tuple(str(h) for h in raw["row_number"]),
        footer=re.compile("^(?:" + "|".join(map(re.escape, raw["footer_words"])) + ")"),
        heading=re.compile(raw["heading_pattern"]),
        alone_yes=frozenset(str(w).casefold() for w in alone["yes"]),
        alone_no=frozenset(str(w).casefold() for w in alone["no"]),
        alone=re.compile(alone["alone_pattern"]),
        alone_not=re.compile(alone["not_pattern"]),
        lives_with=re.compile(alone["with_pattern"]),
        status={str(w): status for status, words in raw["status"].items() for w in words},
        region_words=dict(raw["region_words"]),
    )
