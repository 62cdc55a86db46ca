"""Adding, listing and moving: small async functions over a session the caller owns."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

import knowledge
from bot.storage import repo
from bot.storage.models import Agency, Cadre, Staff, Ticket
from junxiu_core.model import REGIONS

KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")
CHAT_RE = re.compile(r"-?\d{1,20}")
OPEN_TICKETS = ("open", "claimed", "reopened", "answered")


class AgencyError(Exception):
    """A request about agencies that cannot be done; the message is for staff (Chinese)."""


def _s(name: str, /, **params: object) -> str:  # "key" is a parameter of some strings
    return knowledge.load().string(f"staff.agency.{name}", **params)


@dataclass(frozen=True)
class AgencyLine:
    agency: Agency
    cadres: int
    staff: int


async def add_agency(s: AsyncSession, key: str, *, name: str, region: str, staff_chat: str,
                     duty_phone: str | None, now: datetime) -> tuple[Agency, bool]:
    """Add an agency, or update the one with this key (running the command again is safe)."""
    key, name, staff_chat = key.strip(), _clean(name), staff_chat.strip()
    if not KEY_RE.fullmatch(key):
        raise AgencyError(_s("bad_key", key=key))
    if not name:
        raise AgencyError(_s("no_name"))
    if region not in REGIONS:
        raise AgencyError(_s("bad_region", region=region, regions="、".join(REGIONS)))
    if not CHAT_RE.fullmatch(staff_chat):
        raise AgencyError(_s("bad_chat", chat=staff_chat))
    phone = (duty_phone or "").strip() or None
    if phone is not None and len(re.sub(r"\D", "", phone)) < 3:
        raise AgencyError(_s("bad_phone", phone=phone))
    clash = (await s.scalars(select(Agency).where(Agency.name == name,
                                                  Agency.key != key))).first()
    if clash is not None:
        raise AgencyError(_s("name_taken", name=name, other=clash.key))
    agency = await s.get(Agency, key)
    created = agency is None
    if agency is None:
        agency = Agency(key=key, created_at=now)
        s.add(agency)
    agency.name, agency.region, agency.staff_chat, agency.duty_phone = (
        name, region, staff_chat, phone)
    await s.flush()
    await repo.audit(s, "cli", "agency.add" if created else "agency.update", now,
                     detail=f"{key} {region} {staff_chat}")
    return agency, created


async def agency_or_fail(s: AsyncSession, key: str) -> Agency:
    agency = await s.get(Agency, key.strip())
    if agency is None:
        raise AgencyError(_s("unknown", key=key))
    return agency


async def list_agencies(s: AsyncSession) -> list[AgencyLine]:
    agencies = (await s.scalars(select(Agency).order_by(Agency.key))).all()
    cadres = dict((await s.execute(select(Cadre.agency_key, func.count()).where(
        Cadre.on_roster).group_by(Cadre.agency_key))).all())
    staff = dict((await s.execute(select(Staff.agency_key, func.count()).where(
        Staff.active).group_by(Staff.agency_key))).all())
    return [AgencyLine(a, cadres.get(a.key, 0), staff.get(a.key, 0)) for a in agencies]


async def move_cadre(s: AsyncSession, cadre: Cadre, agency: Agency | None, now: datetime,
                     *, actor: str = "cli") -> int:
    """Put a cadre in another agency; their open tickets follow (to the new staff group).
    Returns how many open tickets moved."""
    before = cadre.agency_key
    cadre.agency_key = agency.key if agency is not None else None
    cadre.updated_at = now
    moved = await tickets_follow(s, cadre.id, agency)
    await repo.audit(s, actor, "cadre.move", now, cadre_id=cadre.id,
                     detail=f"{before or '-'} -> {cadre.agency_key or '-'}")
    return moved


async def tickets_follow(s: AsyncSession, cadre_id: int, agency: Agency | None) -> int:
    """The cadre's open tickets go with them to `agency` (its staff see them, its group gets
    their reminders). Returns how many."""
    moved = await s.execute(
        update(Ticket).where(Ticket.cadre_id == cadre_id, Ticket.status.in_(OPEN_TICKETS))
        .values(agency_key=agency.key if agency is not None else None,
                staff_chat=agency.staff_chat if agency is not None else None))
    return int(moved.rowcount or 0)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def name_key(text: str) -> str:
    """An agency name as rosters write it, compared without spaces, brackets or width."""
    return re.sub(r"[\s()（）【】\[\]·.,，、]", "", _clean(text)).casefold()


def match_agency(raw: str, agencies: Sequence[Agency]) -> Agency | None:
    """The agency a roster's 所属军休所 cell names: by name or key, exactly (after
    normalising); a cell naming several, or none, is None."""
    wanted = name_key(raw)
    if not wanted:
        return None
    for agency in agencies:
        if wanted in (name_key(agency.name), name_key(agency.key)):
            return agency
    return None
