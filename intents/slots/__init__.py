"""Slot extraction: the facts a cadre states in one message, as plain values.

`extract(text, today)` returns only the slots it found:

    amount_yuan int, amount_approx True        rank "师级"…  (junxiu_core.model.Rank values)
    military_rank "大校"… (only without a post)  status "离休" | "退休"
    merits [codes], age int, age_approx True   date "YYYY-MM-DD", date_kind "depart" | "return"
    region weihai|liaocheng|jilin|shanghai     place_other "湖南", destination "加拿大", abroad True
    lives_alone bool, self_care bool, serious_illness bool, last_sanatorium_year int
    aspect "passport" | "long_stay" | "how"   (the part of a topic asked about)

Amounts below 10 yuan are ignored (一块去 = "go together"); approximate amounts and ages carry
a *_approx flag so the caller can ask for the figure. merits holds only codes with a known
level: 评过先进 without saying who named it adds nothing (the caller asks).

Pure and fast: no clock (`today` is a parameter), no I/O but the package data read once (the
slot vocabulary data/slots.yaml, the gazetteer, the aspects), every pattern compiled once.

One module per slot, each with one `find(msg)`: amount, rank, status, merits, age, dates,
places, living, sanatorium, aspect; beside them numerals (Chinese numerals), message (clauses,
negation, masking) and vocabulary (the word lists). Context rule used throughout: a *clause*
is the text between two of ，。；！？,;!? (intents.slots.message).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from intents.slots import (
    age,
    amount,
    aspect,
    dates,
    living,
    merits,
    places,
    rank,
    sanatorium,
    status,
)
from intents.slots.message import HALF_WIDTH, Msg, mask
from intents.slots.numerals import bare_number
from intents.slots.places import without_places

__all__ = ["bare_number", "extract", "without_places"]


def extract(text: str, today: date) -> dict[str, Any]:
    """All slots stated in one (normalised) message; missing slots are omitted."""
    text = text.translate(HALF_WIDTH)
    masked = mask(text)
    msg = Msg(text)
    numbers = Msg(masked) if masked != text else msg
    slots: dict[str, Any] = {}
    slots.update(amount.find(numbers))
    slots.update(rank.find(msg))
    slots.update(status.find(msg))
    slots.update(merits.find(msg))
    slots.update(age.find(numbers))
    slots.update(dates.find(numbers, today))
    slots.update(places.find(msg))
    slots.update(living.find(msg))
    slots.update(sanatorium.find(numbers, today))
    slots.update(aspect.find(msg))
    return slots
