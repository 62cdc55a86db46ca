"""Who may see what: the one scoping rule for every staff surface (Telegram staff group, CLI,
web desk).

- A staff member sees the cadres and tickets of their own agency.
- A supervisor sees all of them.
- A staff member without an agency sees what has no agency: in a single-agency set-up (only
  JUNXIU_STAFF_CHAT_ID, no `junxiu agencies add`) that is everything, as before agencies.
- The CLI on the server acts for the whole deployment unless told `--agency KEY`.

`Scope` is a value; `cadres()` and `tickets()` narrow a `select()` to it, so a listing never
loads what it may not show, and `sees()` checks one row already loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from bot.storage.models import Cadre, Ticket

if TYPE_CHECKING:
    from sqlalchemy import Select

    from bot.storage.models import Staff

SUPERVISOR = "supervisor"
T = TypeVar("T")


@dataclass(frozen=True)
class Scope:
    """Everything (`everything`), or one agency (`agency_key`; None: the agency-less pool)."""

    agency_key: str | None = None
    everything: bool = False

    def sees(self, agency_key: str | None) -> bool:
        return self.everything or agency_key == self.agency_key

    def sees_cadre(self, cadre: Cadre) -> bool:
        return self.sees(cadre.agency_key)

    def sees_ticket(self, ticket: Ticket) -> bool:
        return self.sees(ticket.agency_key)


EVERYTHING = Scope(everything=True)


def of(staff: Staff | None) -> Scope:
    """The scope of a staff member; None is the CLI on the server (everything)."""
    if staff is None or staff.role == SUPERVISOR:
        return EVERYTHING
    return Scope(staff.agency_key)


def of_agency(agency_key: str | None) -> Scope:
    """The CLI's `--agency KEY` (None: no option given, everything)."""
    return EVERYTHING if agency_key is None else Scope(agency_key)


def cadres(stmt: Select[T], scope: Scope) -> Select[T]:
    """`stmt` (over cadres) narrowed to the cadres `scope` may see."""
    if scope.everything:
        return stmt
    if scope.agency_key is None:
        return stmt.where(Cadre.agency_key.is_(None))
    return stmt.where(Cadre.agency_key == scope.agency_key)


def tickets(stmt: Select[T], scope: Scope) -> Select[T]:
    """`stmt` (over tickets) narrowed to the tickets `scope` may see."""
    if scope.everything:
        return stmt
    if scope.agency_key is None:
        return stmt.where(Ticket.agency_key.is_(None))
    return stmt.where(Ticket.agency_key == scope.agency_key)
