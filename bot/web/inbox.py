"""The inbox's queries: tickets by status, priority and agency, emergencies and overdue first,
searched by the cadre's name or phone; and the open emergencies every desk page polls for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.models import Cadre, Staff, Ticket
from bot.web.scope import Scope
from junxiu_core import Priority

ACTIVE = ("open", "claimed", "reopened")
STATUSES = ("open", "claimed", "reopened", "answered", "closed")
PAGE = 1000


@dataclass(frozen=True)
class Row:
    id: int
    priority: int
    status: str
    reason: str
    question: str | None
    created_at: datetime
    sla_due_at: datetime | None
    overdue: bool
    cadre_id: int
    cadre_name: str | None
    cadre_phone: str | None
    agency: str | None
    assignee: str | None


@dataclass(frozen=True)
class Filters:
    status: str = "active"  # active | one of STATUSES | all
    priority: int | None = None
    agency: str | None = None
    q: str = ""
    page: int = 1


def _overdue(now: datetime):
    return and_(Ticket.sla_due_at.is_not(None), Ticket.sla_due_at < now,
                Ticket.first_response_at.is_(None), Ticket.status != "closed")


def _search(q: str):
    q = q.strip()
    digits = "".join(ch for ch in q if ch.isdigit())
    clauses = [Cadre.name.contains(q, autoescape=True)]
    if digits and len(digits) >= 3:
        clauses.append(Cadre.phone.contains(digits, autoescape=True))
    if q.lstrip("#").isdigit() and len(q.lstrip("#")) <= 9:
        clauses.append(Ticket.id == int(q.lstrip("#")))
    return or_(*clauses)


async def tickets(s: AsyncSession, scope: Scope, filters: Filters, now: datetime
                  ) -> tuple[Sequence[Row], int]:
    """One page of the inbox and the number of tickets matching."""
    assignee = aliased(Staff)
    stmt = (select(Ticket.id, Ticket.priority, Ticket.status, Ticket.reason, Ticket.question,
                   Ticket.created_at, Ticket.sla_due_at, _overdue(now).label("overdue"),
                   Cadre.id, Cadre.name, Cadre.phone, scope.agency_column(),
                   assignee.name)
            .join(Cadre, Cadre.id == Ticket.cadre_id)
            .outerjoin(assignee, assignee.user_id == Ticket.assignee_id))
    stmt = scope.tickets(_filtered(stmt, filters), agency=filters.agency)
    count_stmt = scope.tickets(_filtered(
        select(func.count()).select_from(Ticket).join(Cadre, Cadre.id == Ticket.cadre_id),
        filters), agency=filters.agency)
    total = int(await s.scalar(count_stmt) or 0)
    urgent_first = case((Ticket.priority >= int(Priority.URGENT), 0), else_=1)
    overdue_first = case((_overdue(now), 0), else_=1)
    stmt = (stmt.order_by(urgent_first, overdue_first, Ticket.priority.desc(),
                          Ticket.created_at, Ticket.id)
            .limit(PAGE).offset((max(filters.page, 1) - 1) * PAGE))
    rows = [Row(*r) for r in (await s.execute(stmt)).all()]
    return rows, total


def _filtered(stmt, filters: Filters):
    if filters.status == "active":
        stmt = stmt.where(Ticket.status.in_(ACTIVE))
    elif filters.status in STATUSES:
        stmt = stmt.where(Ticket.status == filters.status)
    if filters.priority is not None:
        stmt = stmt.where(Ticket.priority == filters.priority)
    if filters.q.strip():
        stmt = stmt.where(_search(filters.q))
    return stmt


async def status_counts(s: AsyncSession, scope: Scope) -> dict[str, int]:
    stmt = scope.tickets(select(Ticket.status, func.count()).select_from(Ticket)
                         .join(Cadre, Cadre.id == Ticket.cadre_id).group_by(Ticket.status))
    counts = {status: int(n) for status, n in (await s.execute(stmt)).all()}
    counts["active"] = sum(counts.get(k, 0) for k in ACTIVE)
    counts["all"] = sum(counts.get(k, 0) for k in STATUSES)
    return counts


async def emergencies(s: AsyncSession, scope: Scope, limit: int = 20
                      ) -> Sequence[tuple[int, str | None, str | None]]:
    """Emergencies nobody has claimed yet: (id, cadre name, what they said), newest first."""
    stmt = (select(Ticket.id, Cadre.name, Ticket.question)
            .join(Cadre, Cadre.id == Ticket.cadre_id)
            .where(Ticket.priority >= int(Priority.URGENT),
                   Ticket.status.in_(("open", "reopened")))
            .order_by(Ticket.id.desc()).limit(limit))
    return [tuple(r) for r in (await s.execute(scope.tickets(stmt))).all()]
