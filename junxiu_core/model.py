"""Value objects of the policy core: what a rule takes and what it decides.

Everything here is immutable and free of I/O; rules are plain functions over these values and a
date passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import IntEnum, StrEnum
from typing import Any

REGIONS = ("weihai", "liaocheng", "jilin", "shanghai", "national")


class Status(StrEnum):
    """离休 (joined before Oct 1949, different benefits) or 退休."""

    LIXIU = "离休"
    TUIXIU = "退休"


class Rank(StrEnum):
    """Post grade (职级), the basis of every 'by rank' rule. 大校 is a military rank, not a post."""

    ARMY = "军级"
    DIVISION = "师级"
    REGIMENT = "团级"
    BATTALION = "营级"
    COMPANY = "连级"
    PLATOON = "排级"

    @property
    def division_or_above(self) -> bool:
        return self in (Rank.ARMY, Rank.DIVISION)


class Priority(IntEnum):
    """Staff queue priority of an escalation; LOW is a check, not a hand-over."""

    LOW = 1
    NORMAL = 2
    HIGH = 3
    URGENT = 4


@dataclass(frozen=True)
class Escalation:
    reason: str  # a stable code such as "sanatorium.age_review"; texts live in knowledge/
    priority: Priority = Priority.NORMAL

    @property
    def hands_over(self) -> bool:
        """True when the cadre's question itself goes to staff (not just a background check)."""
        return self.priority > Priority.LOW


@dataclass(frozen=True)
class Citation:
    document: str  # document key: national, jilin, shanghai, weihai, liaocheng
    article: str  # 第二十条, 第十一条（三）, 5.11.2
    title: str = ""  # the document's title, filled from the registry

    def as_dict(self) -> dict[str, str]:
        return {"document": self.title or self.document, "article": self.article}


@dataclass(frozen=True)
class FollowUp:
    """A question the rule needs answered before it can decide."""

    slot: str  # the slot the answer fills: amount_yuan, rank, status, region, merits, age …
    question: str
    options: tuple[str, ...] = ()  # short choices for buttons
    values: tuple[str, ...] = ()  # the slot value each option stands for, same order


@dataclass(frozen=True)
class CadreProfile:
    """What is known about the cadre asking. Every field but region is optional."""

    region: str = "national"
    status: Status | None = None
    rank: Rank | None = None
    birth_date: date | None = None
    age: int | None = None  # used when no birth date is known
    merits: frozenset[str] = frozenset()  # canonical honour codes, see junxiu_core.honours
    lives_alone: bool | None = None
    self_care: bool | None = None  # 生活能够自理
    serious_illness: bool | None = None  # infectious, mental or critical illness
    last_sanatorium: date | None = None  # start of the last honorary sanatorium stay
    name: str | None = None

    def __post_init__(self) -> None:
        if self.region not in REGIONS:
            raise ValueError(f"unknown region {self.region!r}; expected one of {REGIONS}")
        # Accept plain strings from callers (CLI, roster) and keep the typed value.
        if isinstance(self.status, str) and not isinstance(self.status, Status):
            object.__setattr__(self, "status", Status(self.status))
        if isinstance(self.rank, str) and not isinstance(self.rank, Rank):
            object.__setattr__(self, "rank", Rank(self.rank))
        if not isinstance(self.merits, frozenset):
            object.__setattr__(self, "merits", frozenset(self.merits))

    def age_on(self, today: date) -> int | None:
        if self.birth_date is None:
            return self.age
        # Kept by hand, not dateutil's relativedelta: that makes someone born on 29 February a
        # year older on 28 February; here the birthday is 1 March in a common year.
        before_birthday = (today.month, today.day) < (self.birth_date.month, self.birth_date.day)
        return today.year - self.birth_date.year - before_birthday

    def with_slots(self, slots: Mapping[str, Any]) -> CadreProfile:
        """The profile as this question tells it: facts in the message win over stored ones."""
        changes: dict[str, Any] = {}
        for name in ("region", "status", "rank", "age", "lives_alone", "self_care",
                     "serious_illness", "last_sanatorium", "birth_date"):
            if slots.get(name) is not None:
                changes[name] = slots[name]
        if slots.get("age") is not None and "birth_date" not in changes:
            changes["birth_date"] = None  # the age just stated is the one to use
        if slots.get("merits"):
            changes["merits"] = self.merits | frozenset(slots["merits"])
        return replace(self, **changes) if changes else self


@dataclass(frozen=True)
class Decision:
    """What the assistant decides for one question: a value, rendered later for eye and ear.

    `answer` is the direct answer (first sentence), `points` at most a few short supporting
    points, `more` the long version for "详细说说", `caveats` what the text leaves open.
    """

    intent: str
    answer: str
    points: tuple[str, ...] = ()
    more: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    citations: list[Citation] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)
    follow_up: FollowUp | None = None
    escalation: Escalation | None = None
    keys: tuple[str, ...] = ()  # the knowledge-base text keys used, for tests and audit

    @property
    def escalate_reason(self) -> str | None:
        return self.escalation.reason if self.escalation else None

    @property
    def escalate(self) -> bool:
        """Whether the question is handed to staff (a LOW check does not count)."""
        return bool(self.escalation and self.escalation.hands_over)

    @property
    def text(self) -> str:
        """Plain text: answer, points, caveats. Rendering for Telegram and speech is in bot/."""
        return "".join((self.answer, *self.points, *self.caveats))
