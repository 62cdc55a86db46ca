"""The desk's words: strings.yaml beside this module (templates hold the rest), the knowledge
base's labels for reasons and statuses, and the masking of phone numbers on pages."""

from __future__ import annotations

import functools
from pathlib import Path

import yaml

import knowledge
from junxiu_core import Priority

HERE = Path(__file__).resolve().parent
PRIORITY_KEYS = {Priority.URGENT: "urgent", Priority.HIGH: "high", Priority.NORMAL: "normal",
                 Priority.LOW: "low"}
# The shanghai standard's visit record (DB31/T 1044 5.8.4): the record's keys, as `junxiu
# contacts add --field` writes them; their labels are strings.yaml's visit.*.
VISIT_KEYS = ("思想", "健康", "医疗", "爱好", "社交", "家庭", "生活", "建议")


@functools.cache
def strings() -> dict[str, str]:
    return yaml.safe_load((HERE / "strings.yaml").read_text(encoding="utf-8"))


def t(key: str, /, **params: object) -> str:
    """A desk string by key, placeholders filled."""
    text = strings()[key]
    return text.format(**params) if params else text


def visit_fields() -> tuple[tuple[str, str], ...]:
    """(record key, label) of the visit record, in the standard's order."""
    return tuple((key, strings()[f"visit.{key}"]) for key in VISIT_KEYS)


def reason(code: str) -> str:
    return knowledge.load().strings.get(f"reason.{code}", code)


def status(code: str) -> str:
    return knowledge.load().strings.get(f"ui.status.{code}", code)


def priority(value: int) -> str:
    from bot.tickets import PRIORITY_NAMES

    return PRIORITY_NAMES.get(Priority(value), str(value))


def priority_key(value: int) -> str:
    return PRIORITY_KEYS.get(Priority(value), "normal")


def region(code: str | None) -> str:
    return knowledge.load().strings.get(f"region.{code}", "-") if code else "-"


def mask_phone(phone: str | None) -> str:
    """138****8000: enough to tell two cadres apart, not enough to call or to leak."""
    if not phone:
        return "-"
    if len(phone) >= 11:
        return phone[:3] + "****" + phone[-4:]
    return "****" + phone[-2:]
