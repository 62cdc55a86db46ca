"""The intent catalogue (data/intents.yaml): each intent's properties, read once."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources

import yaml

PRIORITIES = ("normal", "high", "urgent")


@dataclass(frozen=True)
class IntentInfo:
    id: str
    staff: str | None = None  # handed to staff at this priority: normal | high | urgent
    interrupts: bool = False
    chatter: bool = False
    polite: bool = False
    cited: bool = True
    clarify: bool = True
    regional: bool = False
    safety: bool = False
    # the knowledge key holding what the national measures say of this topic, told to a cadre
    # of a place with no rules here (default: the intent's own key)
    national: str | None = None


@functools.cache
def catalogue() -> dict[str, IntentInfo]:
    raw = yaml.safe_load((resources.files("knowledge") / "data" / "intents.yaml")
                         .read_text(encoding="utf-8"))
    out = {}
    for intent, props in raw.items():
        info = IntentInfo(intent, **(props or {}))
        if info.staff is not None and info.staff not in PRIORITIES:
            raise ValueError(f"{intent}: staff priority {info.staff!r} not in {PRIORITIES}")
        out[intent] = info
    return out


def national_key(intent: str) -> str:
    info = catalogue().get(intent)
    return (info.national if info and info.national else intent)


def intents_where(**wanted: object) -> frozenset[str]:
    """The ids whose properties all have the wanted values: intents_where(chatter=True)."""
    return frozenset(i for i, info in catalogue().items()
                     if all(getattr(info, k) == v for k, v in wanted.items()))
