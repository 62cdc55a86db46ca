"""Who may see what: the one scoping rule for every staff surface (Telegram staff groups, CLI,
web desk).

- A staff member sees the cadres and tickets of their own agency.
- A supervisor sees all of them.
- A staff member without an agency sees what has no agency: in a single-agency set-up (only
  JUNXIU_STAFF_CHAT_ID, no `junxiu agencies add`) that is everything, as before agencies.
- What is said in an agency's staff group is read by everyone in it, so there a command shows
  only that agency's matters, a supervisor's included (`in_group`).
- The CLI on the server acts for the whole deployment unless told `--agency KEY`.

`Scope` is a value; `cadres()` and `tickets()` narrow a `select()` to it, so a listing never
loads what it may not show, and `sees()` checks one row already loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import false, or_

from bot.storage.models import Cadre, Ticket

if TYPE_CHECKING:
    from sqlalchemy import Select

    from bot.storage.models import Staff

SUPERVISOR = "supervisor"
T = TypeVar("T", bound=tuple[Any, ...])


@dataclass(frozen=True)
class Scope:
    """The agencies whose matters may be seen; None in the set is the agency-less pool, and
    `agencies` None is everything."""

    agencies: frozenset[str | None] | None = None

    @property
    def everything(self) -> bool:
        return self.agencies is None

    def sees(self, agency_key: str | None) -> bool:
        return self.agencies is None or agency_key in self.agencies

    def sees_cadre(self, cadre: Cadre) -> bool:
        return self.sees(cadre.agency_key)

    def sees_ticket(self, ticket: Ticket) -> bool:
        return self.sees(ticket.agency_key)

    def within(self, agency_keys: Iterable[str | None]) -> Scope:
        """This scope narrowed to `agency_keys` (what an agency's group may be shown)."""
        keys = frozenset(agency_keys)
        return Scope(keys if self.agencies is None else self.agencies & keys)


EVERYTHING = Scope()


def of(staff: Staff | None) -> Scope:
    """The scope of a staff member; None is the CLI on the server (everything)."""
    if staff is None or staff.role == SUPERVISOR:
        return EVERYTHING
    return Scope(frozenset({staff.agency_key}))


def of_agency(agency_key: str | None) -> Scope:
    """The CLI's `--agency KEY` (None: no option given, everything)."""
    return EVERYTHING if agency_key is None else Scope(frozenset({agency_key}))


def in_group(staff: Staff, group_agencies: Iterable[str | None]) -> Scope:
    """A staff member writing in a group that is the staff group of `group_agencies` (empty:
    the settings' own group, whose audience is the whole deployment's staff)."""
    keys = frozenset(group_agencies)
    return of(staff).within(keys) if keys else of(staff)


def _where(column: Any, scope: Scope) -> Any:
    assert scope.agencies is not None
    named = [k for k in scope.agencies if k is not None]
    clauses = [column.in_(sorted(named))] if named else []
    if None in scope.agencies:
        clauses.append(column.is_(None))
    return or_(*clauses) if clauses else false()


def cadres(stmt: Select[T], scope: Scope) -> Select[T]:
    """`stmt` (over cadres) narrowed to the cadres `scope` may see."""
    return stmt if scope.everything else stmt.where(_where(Cadre.agency_key, scope))


def tickets(stmt: Select[T], scope: Scope, agency_key: Any = Ticket.agency_key) -> Select[T]:
    """`stmt` (over tickets) narrowed to the tickets `scope` may see; `agency_key` is the
    column as the query should name it (the reports name it so SQLite reads no index by it)."""
    return stmt if scope.everything else stmt.where(_where(agency_key, scope))
