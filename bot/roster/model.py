"""The roster's values: what a file yields (rows, rejections, skipped rows, notes) and what an
import did. Plain frozen dataclasses, shared by reading, storing and the views."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import knowledge


def msg(name: str, /, **params: object) -> str:
    """A staff-facing text from knowledge/data/answers/roster.yaml."""
    return knowledge.load().string(f"staff.roster.{name}", **params)


class RosterError(Exception):
    """The file as a whole cannot be read (wrong type, no header, a required column missing)."""


@dataclass(frozen=True)
class RosterRow:
    """One valid row. None means "not in this file": the stored value is kept."""

    line: int
    name: str
    phone: str | None = None  # the number matched on import: the mobile when there is one
    telegram_id: int | None = None
    region: str | None = None
    status: str | None = None
    rank: str | None = None
    birth_date: date | None = None
    lives_alone: bool | None = None
    merits: tuple[str, ...] = ()
    merits_text: str | None = None
    last_contact: date | None = None
    other_phone: str | None = None  # a second number (a landline beside the mobile)
    birth_precision: str | None = None  # "month" for 1941.3; None: a whole date
    agency_key: str | None = None  # from 所属军休所 or `--agency`; None: not in this file


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A row that is not a cadre: a 合计 or 制表人 footer, a section heading, a filler."""

    line: int
    label: str  # what it was, as staff would call it (合计, 制表人, 分类标题 …)


@dataclass(frozen=True)
class ParsedRoster:
    rows: list[RosterRow]
    rejected: list[Rejected]
    skipped: list[Skipped] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)  # read by nobody: listed
    notes: list[str] = field(default_factory=list)  # what staff should know (独居 missing …)


@dataclass(frozen=True)
class Change:
    """What importing one row did (or, in a dry run, would do) to one cadre."""

    line: int
    name: str
    new: bool
    fields: tuple[str, ...] = ()  # the labels of the fields that changed (an update)


@dataclass(frozen=True)
class ImportReport:
    imported: int
    updated: int
    rejected: list[Rejected]
    skipped: list[Skipped] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    dry_run: bool = False
