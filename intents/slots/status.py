"""Whether the cadre is 离休 or 退休 (status; junxiu_core.model.Status values)."""

from __future__ import annotations

import re
from typing import Any

from intents.slots.message import Msg
from junxiu_core.model import Status

# 离退休(干部/费), 离休退休, 离休、退休 name both groups; 军休 names either: neither decides.
_BOTH_STATUS_RE = re.compile(r"离休?[、和与及或/]?退休?|离退")
_STATUS_RE = re.compile("|".join(Status))


def find(msg: Msg) -> dict[str, Any]:
    text = _BOTH_STATUS_RE.sub(lambda m: "#" * len(m.group()), msg.text)
    seen = set()
    for m in _STATUS_RE.finditer(text):
        if not msg.negated(m.start(), 3):
            seen.add(m.group())
    if Status.LIXIU in seen:  # a 离休 cadre may still say 退休 loosely; the reverse does not happen
        return {"status": Status.LIXIU.value}
    if seen:
        return {"status": Status.TUIXIU.value}
    return {}
