"""The part of a topic asked about (aspect "passport" | "long_stay" | "how")."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from intents.resources import read_yaml
from intents.slots.message import Msg


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(pattern)) for name, pattern in read_yaml("aspects.yaml").items())


def find(msg: Msg) -> dict[str, Any]:
    """Which part of a topic is asked about (data/aspects.yaml)."""
    for name, pattern in _patterns():
        if pattern.search(msg.text):
            return {"aspect": name}
    return {}
