"""The slot vocabulary (data/slots.yaml), read once, and the alternations built from it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from intents.resources import read_yaml

# Read at import: a few hundred words, well under a millisecond, and every slot pattern is
# compiled from them once, at module level.
WORDS: dict[str, dict[str, Any]] = read_yaml("slots.yaml") or {}


def alternation(words: Iterable[str]) -> str:
    """One regex alternative per word, longer words first (大后天 before 后天)."""
    return "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
