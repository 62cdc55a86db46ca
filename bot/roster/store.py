"""Storing a parsed roster: one transaction, so a file is either stored whole (minus its
rejected rows) or not at all; a dry run does the same and rolls back, keeping the list of
what would change. A row matches a cadre by phone, else by Telegram ID (the phone changed).
Re-importing the same file changes nothing and counts nothing.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot import scope
from bot.roster import cells
from bot.roster.model import Change, ImportReport, ParsedRoster, Rejected, RosterRow, msg
from bot.roster.table import line_reason
from bot.scope import EVERYTHING, Scope
from bot.storage import repo
from bot.storage.models import Account, Agency, Cadre, Contact
from bot.tickets import link_account

CHINA = ZoneInfo("Asia/Shanghai")
TELEGRAM = "telegram"
# No 0/O, 1/I/L: codes are read aloud over the phone and typed by elderly hands.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 6
# The fields a row may set, in the order a change lists them.
FIELDS = ("name", "phone", "other_phone", "agency_key", "region", "status", "rank",
          "birth_date", "birth_precision", "lives_alone", "merits_text")


@dataclass
class _Batch:
    """What this import has done so far: which cadre each row landed on."""

    cadre_lines: dict[int, int] = field(default_factory=dict)  # cadre id → line
    imported: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


async def import_roster(sessions: async_sessionmaker[AsyncSession], parsed: ParsedRoster,
                        now: datetime, *, actor: str = "cli", dry_run: bool = False
                        ) -> ImportReport:
    """Upsert every row in one transaction: if anything fails, nothing is stored."""
    batch = _Batch()
    try:
        async with sessions() as s, s.begin():
            for row in parsed.rows:
                await _apply_row(s, row, now, batch)
            rejected = sorted([*parsed.rejected, *batch.rejected], key=lambda r: r.line)
            if dry_run:
                raise _DryRun
            await repo.audit(s, actor, "roster.import", now, detail=(
                f"imported {batch.imported}, updated {batch.updated}, rejected {len(rejected)}"))
    except _DryRun:
        pass
    return ImportReport(batch.imported, batch.updated, rejected, parsed.skipped,
                        parsed.unknown_columns, parsed.notes, batch.changes, dry_run)


async def _apply_row(s: AsyncSession, row: RosterRow, now: datetime, batch: _Batch) -> None:
    by_phone = await repo.cadre_by_phone(s, row.phone) if row.phone else None
    account = await _telegram_account(s, row.telegram_id) if row.telegram_id else None
    owner = await s.get(Cadre, account.cadre_id) if account is not None else None
    cadre = by_phone
    if cadre is None and owner is not None and owner.on_roster:
        cadre = owner  # known by Telegram ID: the phone number changed
    if cadre is not None and owner is not None and owner.on_roster and owner.id != cadre.id:
        batch.rejected.append(Rejected(row.line, line_reason(row.line, [
            msg("telegram_taken", name=owner.name or f"#{owner.id}")])))
        return
    if cadre is not None and cadre.id in batch.cadre_lines:
        batch.rejected.append(Rejected(row.line, line_reason(row.line, [
            msg("same_cadre", other=batch.cadre_lines[cadre.id])])))
        return

    new = cadre is None or not cadre.on_roster  # a provisional cadre with this phone joins
    existed = cadre is not None
    if cadre is None:
        cadre = Cadre(on_roster=True, merits=[], lives_alone=False, voice_replies=False,
                      unreachable=False, invite_code=await _new_invite_code(s),
                      created_at=now, updated_at=now)
        s.add(cadre)
    elif cadre.invite_code is None:
        cadre.invite_code = await _new_invite_code(s)
    changed = _assign(cadre, row)
    cadre.on_roster = True
    await s.flush()
    if "agency_key" in changed and existed:  # moved by the roster: open tickets follow
        from bot.agencies.store import tickets_follow

        await tickets_follow(s, cadre.id, await s.get(Agency, row.agency_key))
    batch.cadre_lines[cadre.id] = row.line

    if row.telegram_id is not None:
        if account is None:
            s.add(Account(transport=TELEGRAM, external_id=str(row.telegram_id),
                          chat_id=str(row.telegram_id), cadre_id=cadre.id, created_at=now))
            changed.append("telegram_id")
        elif owner is not None and owner.id != cadre.id:
            await link_account(s, TELEGRAM, account.external_id, owner, cadre, now)
            changed.append("telegram_id")

    if row.last_contact is not None:
        at = datetime.combine(row.last_contact, time(), CHINA).astimezone(UTC)
        if cadre.last_contact_at is None or at > cadre.last_contact_at:
            cadre.last_contact_at = at
            s.add(Contact(cadre_id=cadre.id, kind="import", at=at,
                          record={"source": "roster", "line": row.line}))
            changed.append("last_contact")

    if new:
        batch.imported += 1
        batch.changes.append(Change(row.line, row.name, True))
    elif changed:
        cadre.updated_at = now
        batch.updated += 1
        batch.changes.append(Change(row.line, row.name, False, tuple(changed)))


def _assign(cadre: Cadre, row: RosterRow) -> list[str]:
    """Copy the row's known fields onto the cadre; the names of those that changed."""
    values: dict[str, Any] = {"name": row.name}
    for name in ("phone", "other_phone", "agency_key", "region", "status", "rank",
                 "lives_alone"):
        value = getattr(row, name)
        if value is not None:
            values[name] = value
    if row.birth_date is not None:
        values["birth_date"], values["birth_precision"] = row.birth_date, row.birth_precision
    if row.merits_text is not None:
        values["merits"], values["merits_text"] = list(row.merits), row.merits_text
    changed = []
    for name, value in values.items():
        if getattr(cadre, name) != value:
            setattr(cadre, name, value)
            changed.append(name)
    return [n for n in FIELDS if n in changed]


async def _telegram_account(s: AsyncSession, telegram_id: int) -> Account | None:
    stmt = select(Account).where(Account.transport == TELEGRAM,
                                 Account.external_id == str(telegram_id))
    return (await s.scalars(stmt)).one_or_none()


async def _new_invite_code(s: AsyncSession) -> str:
    """A short code for /start CODE, unique among all cadres (this batch is flushed first)."""
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
        if await repo.cadre_by_invite(s, code) is None:
            return code


# --- look-ups ----------------------------------------------------------------------------------


async def list_cadres(sessions: async_sessionmaker[AsyncSession], *, roster_only: bool = False,
                      within: Scope = EVERYTHING) -> list[Cadre]:
    """Every cadre (roster first) `within` may see, with their accounts loaded."""
    stmt = select(Cadre).options(selectinload(Cadre.accounts))
    if roster_only:
        stmt = stmt.where(Cadre.on_roster.is_(True))
    stmt = scope.cadres(stmt, within)
    async with sessions() as s:
        return list((await s.scalars(stmt.order_by(Cadre.on_roster.desc(), Cadre.id))).all())


async def find_cadres(sessions: async_sessionmaker[AsyncSession], key: str, *,
                      within: Scope = EVERYTHING) -> list[Cadre]:
    """Cadres a staff member may mean by `key`: an id, a phone (either number kept), an
    invite code or a name (a name two cadres share finds both)."""
    key = unicodedata.normalize("NFKC", key).strip()
    if not key:
        return []
    base = scope.cadres(select(Cadre).options(selectinload(Cadre.accounts)), within)
    numbers = cells.phones(key)
    attempts = []
    if key.isdigit() and len(key) <= 6:
        attempts.append(base.where(Cadre.id == int(key.lstrip("#"))))
    if key.startswith("#") and key[1:].isdigit():
        attempts.append(base.where(Cadre.id == int(key[1:])))
    if not isinstance(numbers, cells.Bad):
        attempts.append(base.where(or_(Cadre.phone == numbers[0],
                                       Cadre.other_phone == numbers[0])))
    attempts.append(base.where(Cadre.invite_code == key.upper()))
    name = re.sub(r"\s+", "", key) if cells.CJK_RE.search(key) else key
    attempts.append(base.where(Cadre.name == name))
    async with sessions() as s:
        for stmt in attempts:
            found = list((await s.scalars(stmt.order_by(Cadre.id))).all())
            if found:
                return found
    return []


async def show_cadre(sessions: async_sessionmaker[AsyncSession], key: str) -> Cadre | None:
    """The one cadre `key` names (id, phone, invite code or name); None if none or several."""
    found = await find_cadres(sessions, key)
    return found[0] if len(found) == 1 else None
