"""Desk passwords (argon2) and logins: five failures lock the account for fifteen minutes,
every attempt is audited, and a changed password ends the sessions signed before it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import repo
from bot.storage.models import Staff
from bot.web.cookies import Session

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_LENGTH = 8

_hasher = PasswordHasher()
# Verified against when the user id is unknown, so a wrong id costs the same time as a wrong
# password and the response tells nothing about who is on the roster.
_DUMMY = _hasher.hash("junxiu-desk-no-such-user")


class Outcome(StrEnum):
    OK = "ok"
    FAILED = "failed"
    LOCKED = "locked"


@dataclass(frozen=True)
class Attempt:
    outcome: Outcome
    staff: Staff | None = None
    locked_minutes: int = 0


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _verify(hashed: str | None, password: str) -> bool:
    try:
        return _hasher.verify(hashed or _DUMMY, password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def parse_user_id(raw: object) -> int | None:
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 19 else None


async def login(s: AsyncSession, raw_user: object, password: object, now: datetime
                ) -> Attempt:
    """One login attempt, audited. The caller owns the transaction (and commits failures)."""
    user_id = parse_user_id(raw_user)
    staff = await s.get(Staff, user_id) if user_id is not None else None
    if staff is not None and not staff.active:
        staff = None
    if staff is not None and staff.locked_until is not None and now < staff.locked_until:
        await repo.audit(s, f"staff:{staff.user_id}", "desk.login.locked", now)
        return Attempt(Outcome.LOCKED, locked_minutes=_minutes_left(staff, now))
    good = _verify(staff.password_hash if staff else None,
                   password if isinstance(password, str) else "")
    if staff is None:
        await repo.audit(s, f"user:{user_id if user_id is not None else '?'}",
                         "desk.login.failed", now)
        return Attempt(Outcome.FAILED)
    if not good:
        if staff.locked_until is not None and now >= staff.locked_until:
            staff.failed_logins = 0  # the lock has run out: a fresh count
        staff.failed_logins += 1
        await repo.audit(s, f"staff:{staff.user_id}", "desk.login.failed", now,
                         detail=f"{staff.failed_logins}/{MAX_FAILURES}")
        if staff.failed_logins >= MAX_FAILURES:
            staff.locked_until = now + LOCKOUT
            await repo.audit(s, f"staff:{staff.user_id}", "desk.lockout", now,
                             detail=f"{int(LOCKOUT.total_seconds() // 60)} min")
            return Attempt(Outcome.LOCKED, locked_minutes=_minutes_left(staff, now))
        return Attempt(Outcome.FAILED)
    staff.failed_logins, staff.locked_until = 0, None
    if _hasher.check_needs_rehash(staff.password_hash or ""):
        staff.password_hash = hash_password(password)  # type: ignore[arg-type]
    await repo.audit(s, f"staff:{staff.user_id}", "desk.login", now)
    return Attempt(Outcome.OK, staff)


def _minutes_left(staff: Staff, now: datetime) -> int:
    assert staff.locked_until is not None
    return max(1, int((staff.locked_until - now).total_seconds() + 59) // 60)


async def session_staff(s: AsyncSession, session: Session) -> Staff | None:
    """The signed-in staff member, if still on the roster and the session not outdated."""
    staff = await s.get(Staff, session.user_id)
    if staff is None or not staff.active or staff.password_hash is None:
        return None
    return staff if staff.session_version == session.version else None


async def set_password(s: AsyncSession, staff: Staff, password: str, actor: str,
                       now: datetime) -> None:
    """A new password (by its owner, a supervisor or the CLI): unlocks, ends old sessions."""
    staff.password_hash = hash_password(password)
    staff.failed_logins, staff.locked_until = 0, None
    staff.session_version = (staff.session_version or 0) + 1
    await repo.audit(s, actor, "desk.password", now, detail=str(staff.user_id))


def check_new(password: str, confirm: str | None = None) -> str | None:
    """The strings.yaml key of what is wrong with a new password, or None."""
    if len(password) < MIN_LENGTH:
        return "error.password.short"
    if confirm is not None and confirm != password:
        return "error.password.mismatch"
    return None


def verify(staff: Staff, password: str) -> bool:
    return _verify(staff.password_hash, password)
