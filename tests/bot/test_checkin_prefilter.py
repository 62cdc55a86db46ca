"""The check-in pass reads only the cadres the planner might act on (bot/checkins._may_act):
that must be a superset. For a roster in every kind of state, at many moments, every cadre
the full read would act on is read, and planned the same way."""

from __future__ import annotations

import random
from datetime import timedelta

from bot import checkins
from bot.app import App
from bot.storage.db import make_sessions
from bot.storage.models import Account, Cadre, CheckIn, Flag
from tests.bot.conftest import Clock


async def roster_in_every_state(app: App, clock: Clock, n: int = 300) -> None:
    rng = random.Random(15)
    now = clock()
    async with make_sessions(app.engine).begin() as s:
        for i in range(n):
            created = now - timedelta(days=rng.choice([1, 20, 31, 100, 160, 200, 400]))
            last = rng.choice([None, None, *(now - timedelta(days=d, hours=rng.randint(0, 23))
                                             for d in (0, 1, 2, 29, 30, 31, 60, 150, 151, 182,
                                                       190, 300))])
            cadre = Cadre(name=f"干部{i}", on_roster=True, merits=[],
                          lives_alone=rng.random() < 0.3, unreachable=rng.random() < 0.1,
                          last_contact_at=last, created_at=created, updated_at=created)
            s.add(cadre)
            await s.flush()
            if rng.random() < 0.8:
                s.add(Account(transport="telegram", external_id=str(9000 + i),
                              chat_id=str(9000 + i), cadre_id=cadre.id, created_at=created))
            since = last or created
            for _ in range(rng.randint(0, 3)):
                sent = now - timedelta(hours=rng.choice([1, 5, 20, 25, 30, 49, 24 * 29,
                                                         24 * 31, 24 * 40]))
                status = rng.choice(["sent", "repinged", "answered", "alerted", "unreachable"])
                s.add(CheckIn(cadre_id=cadre.id, kind=rng.choice(["monthly", "daily"]),
                              status=status, sent_at=sent,
                              repinged_at=sent + timedelta(hours=3)
                              if status == "repinged" else None))
            # Flags as the loop raises them: at the threshold, for this stretch or an older one.
            for kind, months in (("five_months", 5), ("six_months", 6)):
                if now >= checkins.add_months(since, months) and rng.random() < 0.6:
                    s.add(Flag(cadre_id=cadre.id, kind=kind, since=since, raised_at=now))
            if rng.random() < 0.2:
                s.add(Flag(cadre_id=cadre.id, kind="six_months",
                           since=since - timedelta(days=300), raised_at=now))


def planned(states: list[checkins.CadreState], now, settings) -> dict[int, list]:
    return {st.cadre_id: [(p.action, p.kind) for p in checkins.plan(st, now, settings)]
            for st in states}


async def test_the_pass_reads_every_cadre_the_planner_would_act_on(app: App, clock: Clock
                                                                   ) -> None:
    await roster_in_every_state(app, clock)
    start = clock()
    read_total = full_total = 0
    for hours in range(0, 24 * 40, 7):  # every hour of the day, month ends included
        now = start + timedelta(hours=hours)
        async with make_sessions(app.engine)() as s:
            full = planned(await checkins.load_states(s), now, app.settings)
            read = planned(await checkins.load_states(s, now, app.settings), now, app.settings)
        acted_on = {cadre_id for cadre_id, steps in full.items() if steps}
        missing = acted_on - read.keys()
        assert not missing, (now, [(st, full[st.cadre_id]) for st in await _states(app)
                                   if st.cadre_id in missing])
        assert {k: full[k] for k in read} == read, now
        read_total, full_total = read_total + len(read), full_total + len(full)
        async with make_sessions(app.engine).begin() as s:  # the pass: states move on
            await checkins.tick(s, now, app.settings)
    assert read_total < full_total / 2  # and it does leave most of the roster alone


async def _states(app: App) -> list[checkins.CadreState]:
    async with make_sessions(app.engine)() as s:
        return await checkins.load_states(s)
