"""The check-ins page's lists, from the scheduler's own report (bot.checkins.report): due,
re-pinged and still silent, unanswered after the staff alert, unreachable, 5 and 6 months."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import checkins
from bot.settings import Settings
from bot.storage.models import Cadre, CheckIn
from bot.web.scope import Scope

ORDER = ("six_months", "five_months", "unanswered", "unreachable", "overdue", "due")


@dataclass(frozen=True)
class Entry:
    cadre_id: int
    name: str
    phone: str  # shown whole: these are the people staff must phone
    days: int
    lives_alone: bool


async def lists(s: AsyncSession, scope: Scope, now: datetime, settings: Settings
                ) -> dict[str, Sequence[Entry]]:
    visible = dict((await s.execute(scope.cadres(
        select(Cadre.id, Cadre.lives_alone).where(Cadre.on_roster)))).all())
    out: dict[str, list[Entry]] = {k: [] for k in ORDER}
    for row in await checkins.report(s, now, settings):
        if row.cadre_id in visible:
            out[row.category].append(Entry(row.cadre_id, row.name, row.phone, row.days,
                                           bool(visible[row.cadre_id])))
    # Alerted: pinged twice, never answered, staff told. It stays on the list until someone
    # is in touch (any contact after the alert).
    newest = select(func.max(CheckIn.id)).group_by(CheckIn.cadre_id)
    stmt = (select(Cadre, CheckIn.alerted_at).join(CheckIn, CheckIn.cadre_id == Cadre.id)
            .where(CheckIn.id.in_(newest), CheckIn.status == "alerted"))
    for cadre, alerted_at in (await s.execute(scope.cadres(stmt))).all():
        last = cadre.last_contact_at
        if last is None or alerted_at is None or last <= alerted_at:
            since = last or cadre.created_at
            out["unanswered"].append(Entry(cadre.id, cadre.name or "", cadre.phone or "",
                                           (now - since).days, cadre.lives_alone))
    return out
