"""Which tickets and cadres a staff member sees on the desk. Every query of every page goes
through here, and a page for a row outside the scope answers 404 as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select

from bot.storage.models import Cadre, Staff, Ticket

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class Scope:
    staff: Staff

    @property
    def supervisor(self) -> bool:
        return self.staff.role == "supervisor"

    def agency_column(self) -> Any:
        """The column that names a ticket's agency in listings (None before agencies)."""
        from sqlalchemy import null

        return null()

    def agency_name_column(self) -> Any:
        """The column that gives a ticket's agency by name, for exports."""
        from sqlalchemy import null

        return null()

    async def agencies(self, s: Any) -> list[tuple[str, str]]:
        """(key, name) of the agencies this member may filter by."""
        return []

    def tickets(self, stmt: S, agency: str | None = None) -> S:
        """`stmt` (which selects from tickets) narrowed to the tickets this member sees, and
        to one `agency` when asked (a filter)."""
        return stmt

    def cadres(self, stmt: S, agency: str | None = None) -> S:
        """`stmt` (which joins cadres) narrowed to the cadres this member sees."""
        return stmt

    def staff_members(self, stmt: S) -> S:
        """`stmt` (which selects from staff) narrowed to the colleagues this member sees."""
        return stmt

    def sees_staff(self, member: Staff) -> bool:
        return self.supervisor

    def sees_ticket(self, ticket: Ticket) -> bool:
        return True

    def sees_cadre(self, cadre: Cadre) -> bool:
        return True
