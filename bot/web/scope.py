"""Which tickets, cadres and colleagues a staff member sees on the desk: the project's one
scoping rule (bot.scope: their own agency; a supervisor all), applied to every query of every
page. A page for a row outside the scope answers 404, as if it did not exist."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Select, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import scope as rule
from bot.storage.models import Agency, Cadre, Staff, Ticket

S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class Scope:
    staff: Staff
    rule: rule.Scope = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule", rule.of(self.staff))

    @property
    def supervisor(self) -> bool:
        return self.staff.role == rule.SUPERVISOR

    def tickets(self, stmt: S, agency: str | None = None,
                agency_key: Any = Ticket.agency_key) -> S:
        """`stmt` (over tickets) narrowed to the tickets this member sees, and to one
        `agency` when the page is filtered by it (`agency_key`: see bot.scope.tickets)."""
        stmt = rule.tickets(stmt, self.rule, agency_key)
        return stmt.where(agency_key == agency) if agency else stmt

    def cadres(self, stmt: S, agency: str | None = None) -> S:
        """`stmt` (joining cadres) narrowed to the cadres this member sees."""
        stmt = rule.cadres(stmt, self.rule)
        return stmt.where(Cadre.agency_key == agency) if agency else stmt

    def staff_members(self, stmt: S) -> S:
        """`stmt` (over staff) narrowed to the colleagues this member sees."""
        if self.rule.agencies is None:
            return stmt
        keys = sorted(k for k in self.rule.agencies if k is not None)
        clauses = [Staff.agency_key.in_(keys)] if keys else []
        if None in self.rule.agencies:
            clauses.append(Staff.agency_key.is_(None))
        return stmt.where(or_(*clauses) if clauses else false())

    def sees_staff(self, member: Staff) -> bool:
        """Who may reset whose password: a supervisor, anyone's."""
        return self.supervisor

    def sees_ticket(self, ticket: Ticket) -> bool:
        return self.rule.sees_ticket(ticket)

    def sees_cadre(self, cadre: Cadre) -> bool:
        return self.rule.sees_cadre(cadre)

    def agency_column(self) -> Any:
        """A ticket's agency by name, for listings and exports."""
        return (select(Agency.name).where(Agency.key == Ticket.agency_key)
                .correlate(Ticket).scalar_subquery())

    agency_name_column = agency_column

    async def agencies(self, s: AsyncSession) -> list[tuple[str, str]]:
        """(key, name) of the agencies this member may filter by."""
        stmt = select(Agency.key, Agency.name).order_by(Agency.name)
        if self.rule.agencies is not None:
            stmt = stmt.where(Agency.key.in_(sorted(k for k in self.rule.agencies if k)))
        return [(k, n) for k, n in (await s.execute(stmt)).all()]
