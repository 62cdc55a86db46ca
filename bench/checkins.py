"""A simulated year of check-ins under a controlled clock, against the fake Bot API.

N roster cadres with behaviours (answer promptly, sometimes, never; blocked the bot; no Telegram;
go silent for good from day 60), ticks several times a local day, every reply sent through PTB
and `deliver`. Then the rules are checked against what the database recorded:

- every cadre, every calendar month: contacted, or escalated to staff (alert or flag);
- every cadre living alone, every day: pinged, contacted, or escalated that day;
- every stretch of six months' silence flagged exactly once; no ping in quiet hours;
- with several agencies, every staff alert in the cadre's own agency's group.

`--history-days H` starts from H days of past check-ins (a month and a daily ping per cadre
living alone, as the loop leaves them), so a short run sees the table of a year's use.

Run: python -m bench.checkins [--cadres 1000] [--days 365] [--agencies 1] [--history-days 0]
The target of #15: --cadres 10000 --agencies 10, a pass p99 ≤ 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import heapq
import itertools
import logging
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from telegram import Bot

from bench.common import machine, summary_ms, write
from bot.app import App, build_app
from bot.checkins import add_months
from bot.messages import Incoming, Reply
from bot.settings import Settings
from bot.storage.db import make_sessions
from bot.storage.models import Account, Agency, Cadre, CheckIn, Contact, Flag
from bot.telegram.delivery import deliver, flush, paced
from bot.telegram.ptb import sender
from tests.helpers.fake_bot_api import FakeBotAPI

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 1, 1, tzinfo=ZONE).astimezone(UTC)  # midnight, 1 January, local
STAFF_CHAT = -100900
TICK_HOURS = (8, 11, 14, 17, 20, 23)  # every 3 h in the day, and one in quiet hours
SILENT_FROM_DAY = 60
FIRST_CHAT = 100_000

# Behaviour shares (the rest answer every ping within 1-6 h).
SHARES = (("no_account", 0.05), ("blocked", 0.05), ("never", 0.10), ("sometimes", 0.15),
          ("silent60", 0.03))


def behaviours(n: int, rng: random.Random) -> list[str]:
    kinds: list[str] = []
    for kind, share in SHARES:
        kinds += [kind] * round(n * share)
    kinds += ["prompt"] * (n - len(kinds))
    rng.shuffle(kinds)
    return kinds


def quiet(moment: datetime, settings: Settings) -> bool:
    hour = moment.astimezone(ZONE).hour
    return hour >= settings.quiet_start_hour or hour < settings.quiet_end_hour


def agency_chat(k: int) -> int:
    return STAFF_CHAT - 1 - k


class Simulation:
    def __init__(self, app: App, api: FakeBotAPI, bot: Bot, settings: Settings, n: int,
                 days: int, clock: dict[str, datetime], *, agencies: int = 1,
                 history_days: int = 0) -> None:
        self.app, self.api, self.settings = app, api, settings
        self.n, self.days, self.clock = n, days, clock
        self.agencies, self.history_days = agencies, history_days
        # One agency: the settings' own group, as before agencies. Several: agency k's group
        # is agency_chat(k), and cadre i belongs to agency i % agencies.
        self.staff_chats = ({str(STAFF_CHAT)} if agencies <= 1 else
                            {str(agency_chat(k)) for k in range(agencies)})
        self.group_of: dict[str, str] = {}  # cadre name → the group their alerts must reach
        self.end = START + timedelta(days=days)
        self.rng = random.Random(7)
        self.kind: dict[int, str] = {}  # cadre id → behaviour
        self.alone: set[int] = set()
        self.chat_of: dict[int, int] = {}  # cadre id → chat id (those with Telegram)
        self.cadre_of_chat: dict[int, int] = {}
        self.events: list[tuple[datetime, int, str, Any]] = []
        self.seq = itertools.count()
        self.update_ids = itertools.count(1)
        self.answer_planned: set[int] = set()  # check-in ids whose answer is decided
        self.actions: Counter[str] = Counter()
        self.ping_sends = 0  # ping/re-ping sends attempted
        self.quiet_sends = 0  # … of which in quiet hours
        self.answers = 0
        self.ticks = 0
        self.tick_seconds = 0.0  # the passes and sending what they queued
        self.pass_seconds: list[float] = []  # `tick_checkins` alone
        self.pass_work: list[tuple[float, datetime, dict[str, int]]] = []  # … and what it did
        self.answer_seconds = 0.0  # button presses: `handle` and sending the thanks
        self.tick_times: list[datetime] = []
        inner = sender(bot)

        async def send(reply: Reply) -> int | None:
            checkin_button = any(b.data.startswith("checkin:") for row in reply.buttons
                                 for b in row)
            if reply.chat_id not in self.staff_chats and checkin_button:
                self.ping_sends += 1
                self.quiet_sends += quiet(self.clock["now"], self.settings)
            message_id = await inner(reply)
            if checkin_button:
                self._heard(int(reply.chat_id))
            return message_id

        self.send = send  # pacing is exercised, at a rate that never waits

    async def setup(self) -> None:
        kinds = behaviours(self.n, self.rng)
        year_ago = START - timedelta(days=365)
        async with make_sessions(self.app.engine).begin() as s:
            if self.agencies > 1:
                s.add_all([Agency(key=f"a{k}", name=f"第{k}军休所", region="shanghai",
                                  staff_chat=str(agency_chat(k)), duty_phone=f"021-6000{k:04d}",
                                  created_at=year_ago) for k in range(self.agencies)])
                await s.flush()
            cadres = []
            for i in range(self.n):
                last = START - timedelta(days=self.rng.uniform(0, 60))
                last = last.replace(microsecond=0)
                key = f"a{i % self.agencies}" if self.agencies > 1 else None
                self.group_of[f"军休{i}"] = (str(agency_chat(i % self.agencies))
                                            if key else str(STAFF_CHAT))
                cadre = Cadre(name=f"军休{i}", phone=f"139{i:08d}", region="shanghai",
                              status="退休", on_roster=True, merits=[], agency_key=key,
                              lives_alone=self.rng.random() < 0.10, last_contact_at=last,
                              created_at=year_ago, updated_at=year_ago)
                s.add(cadre)
                cadres.append(cadre)
            await s.flush()
            for i, cadre in enumerate(cadres):
                self.kind[cadre.id] = kinds[i]
                if cadre.lives_alone:
                    self.alone.add(cadre.id)
                s.add(Contact(cadre_id=cadre.id, kind="call", at=cadre.last_contact_at,
                              record={}))
                if kinds[i] == "no_account":
                    continue
                chat = FIRST_CHAT + i
                self.chat_of[cadre.id], self.cadre_of_chat[chat] = chat, cadre.id
                s.add(Account(transport="telegram", external_id=str(chat), chat_id=str(chat),
                              first_name=f"军休{i}", cadre_id=cadre.id, created_at=year_ago))
                if kinds[i] == "blocked":
                    self.api.block_user(chat)
        if self.history_days:
            await self._history(cadres, kinds)
        self.send = paced(self.send, per_second=1e9, per_chat=0.0)
        for day in range(self.days):
            local = (START + timedelta(days=day)).astimezone(ZONE)
            for hour in TICK_HOURS:
                self.tick_times.append(local.replace(hour=hour).astimezone(UTC))
        for at in self.tick_times:
            self._push(at, "tick", None)

    async def _history(self, cadres: list[Cadre], kinds: list[str]) -> None:
        """Past check-ins, as a year of the loop leaves them: one a month for every cadre
        (answered, or alerted for those who never answer), one a day for those living alone.
        Written in bulk; the simulation then runs on a table of realistic size."""
        rows: list[dict[str, Any]] = []
        first = START - timedelta(days=self.history_days)
        for cadre, kind in zip(cadres, kinds, strict=True):
            step = 1 if cadre.lives_alone else 30
            for day in range(0, self.history_days, step):
                at = first + timedelta(days=day, hours=1)
                if kind in ("no_account", "blocked"):
                    rows.append({"cadre_id": cadre.id, "kind": "monthly",
                                 "status": "unreachable", "sent_at": at, "alerted_at": at})
                elif kind == "never":
                    rows.append({"cadre_id": cadre.id, "kind": "monthly", "status": "alerted",
                                 "sent_at": at, "repinged_at": at + timedelta(days=1),
                                 "alerted_at": at + timedelta(days=2)})
                else:
                    rows.append({"cadre_id": cadre.id, "kind": "daily" if step == 1 else
                                 "monthly", "status": "answered", "sent_at": at,
                                 "answered_at": at + timedelta(hours=2)})
        # Older than the cadre's last contact, so none of them is the newest: the newest is
        # written last, as the loop would have, below.
        rows.sort(key=lambda r: r["sent_at"])
        columns = ("repinged_at", "answered_at", "alerted_at")
        rows = [{c: None for c in columns} | r for r in rows]  # executemany: one shape
        async with make_sessions(self.app.engine).begin() as s:
            for start in range(0, len(rows), 20_000):
                await s.execute(CheckIn.__table__.insert(), rows[start:start + 20_000])
        self.history_rows = len(rows)

    def _push(self, at: datetime, what: str, data: Any) -> None:
        if at < self.end:
            heapq.heappush(self.events, (at, next(self.seq), what, data))

    def _heard(self, chat: int) -> None:
        """The cadre got a ping or re-ping: decide whether and when they press 我很好."""
        message = self.api.requests[-1].result  # the message the fake just recorded
        data = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        checkin_id = int(data.split(":")[1])
        if checkin_id in self.answer_planned:
            return
        self.answer_planned.add(checkin_id)
        cadre_id = self.cadre_of_chat[chat]
        now = self.clock["now"]
        at = now + timedelta(seconds=self.rng.randint(3600, 6 * 3600))
        kind = self.kind[cadre_id]
        answers = (kind == "prompt"
                   or (kind == "sometimes" and self.rng.random() < 0.5)
                   or (kind == "silent60" and at < START + timedelta(days=SILENT_FROM_DAY)))
        if answers:
            self._push(at, "answer", (chat, data))

    async def run(self) -> None:
        service = self.app.service
        while self.events:
            at, _, what, data = heapq.heappop(self.events)
            self.clock["now"] = at
            if what == "tick":
                started = time.perf_counter()
                result = await service.tick_checkins()
                self.pass_seconds.append(time.perf_counter() - started)
                self.pass_work.append((self.pass_seconds[-1], at, dict(result.counts)))
                self.actions.update(result.counts)
                await deliver(service, self.send, result.replies)
                await flush(service, self.send)  # alerts queued by a 403, retries
                self.tick_seconds += time.perf_counter() - started
                self.ticks += 1
                if self.ticks % (30 * len(TICK_HOURS)) == 0:
                    print(f"  day {self.ticks // len(TICK_HOURS)}: "
                          f"{sum(self.actions.values())} actions, {self.answers} answers",
                          file=sys.stderr, flush=True)
            else:
                started = time.perf_counter()
                chat, callback = data
                self.answers += 1
                replies = await service.handle(Incoming(
                    transport="telegram", user_id=str(chat), chat_id=str(chat), at=at,
                    kind="callback", callback_data=callback,
                    update_id=next(self.update_ids)))
                await deliver(service, self.send, replies)
                self.answer_seconds += time.perf_counter() - started


async def load(app: App) -> dict[str, list[Any]]:
    async with make_sessions(app.engine)() as s:
        return {
            "cadres": list((await s.scalars(select(Cadre).where(Cadre.on_roster))).all()),
            "contacts": list((await s.execute(select(Contact.cadre_id, Contact.at))).all()),
            "checkins": list((await s.scalars(select(CheckIn))).all()),
            "flags": list((await s.scalars(select(Flag))).all()),
        }


def full_months(start: datetime, end: datetime) -> list[tuple[int, int]]:
    """The local calendar months lying wholly inside [start, end)."""
    months = []
    first = start.astimezone(ZONE)
    y, m = (first.year, first.month) if first.day == 1 and first.hour == 0 else \
        (first.year + first.month // 12, first.month % 12 + 1)
    while True:
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        if datetime(ny, nm, 1, tzinfo=ZONE) > end:
            return months
        months.append((y, m))
        y, m = ny, nm


def verify(sim: Simulation, rows: dict[str, list[Any]]) -> dict[str, Any]:
    settings = sim.settings
    local_day = lambda at: at.astimezone(ZONE).date()  # noqa: E731
    month_of = lambda at: (at.astimezone(ZONE).year, at.astimezone(ZONE).month)  # noqa: E731
    contacted_months: dict[int, set] = defaultdict(set)
    contacted_days: dict[int, set] = defaultdict(set)
    escalated_months: dict[int, set] = defaultdict(set)
    escalated_days: dict[int, set] = defaultdict(set)
    pinged_days: dict[int, set] = defaultdict(set)
    contact_times: dict[int, list[datetime]] = defaultdict(list)
    for cadre_id, at in rows["contacts"]:
        contacted_months[cadre_id].add(month_of(at))
        contacted_days[cadre_id].add(local_day(at))
        contact_times[cadre_id].append(at)
    quiet_db = 0
    for c in rows["checkins"]:
        if c.answered_at is not None:
            contacted_months[c.cadre_id].add(month_of(c.answered_at))
            contacted_days[c.cadre_id].add(local_day(c.answered_at))
        if c.status in ("alerted", "unreachable") and c.alerted_at is not None:
            escalated_months[c.cadre_id].add(month_of(c.alerted_at))
            escalated_days[c.cadre_id].add(local_day(c.alerted_at))
        if c.kind == "daily":
            pinged_days[c.cadre_id].add(local_day(c.sent_at))
            if c.repinged_at is not None:
                pinged_days[c.cadre_id].add(local_day(c.repinged_at))
        was_pinged = not (c.status == "unreachable" and c.alerted_at == c.sent_at)
        quiet_db += was_pinged and quiet(c.sent_at, settings)
        quiet_db += c.repinged_at is not None and quiet(c.repinged_at, settings)
    flags_by_stretch: Counter[tuple[int, datetime]] = Counter()
    flag_rows: dict[tuple[int, datetime], list[Flag]] = defaultdict(list)
    for f in rows["flags"]:
        escalated_months[f.cadre_id].add(month_of(f.raised_at))
        escalated_days[f.cadre_id].add(local_day(f.raised_at))
        if f.kind == "six_months":
            flags_by_stretch[(f.cadre_id, f.since)] += 1
            flag_rows[(f.cadre_id, f.since)].append(f)

    months = full_months(START, sim.end)
    monthly_violations: list[dict[str, Any]] = []
    for cadre in rows["cadres"]:
        for month in months:
            if month not in contacted_months[cadre.id] and month not in \
                    escalated_months[cadre.id]:
                monthly_violations.append({"cadre_id": cadre.id,
                                           "month": f"{month[0]}-{month[1]:02d}",
                                           "behaviour": sim.kind[cadre.id]})
    days = [local_day(START) + timedelta(days=d) for d in range(sim.days)]
    daily_violations: list[dict[str, Any]] = []
    for cadre_id in sorted(sim.alone):
        for day in days:
            if day not in pinged_days[cadre_id] and day not in contacted_days[cadre_id] \
                    and day not in escalated_days[cadre_id]:
                daily_violations.append({"cadre_id": cadre_id, "day": day.isoformat(),
                                         "behaviour": sim.kind[cadre_id]})

    # Six months of silence: every stretch between contacts that reached the threshold while
    # a tick could still see it must hold exactly one flag, raised at or after the threshold.
    ticks = sorted(sim.tick_times)
    expected = 0
    misses: list[dict[str, Any]] = []
    early: list[dict[str, Any]] = []
    delays: list[float] = []
    matched: set[tuple[int, datetime]] = set()
    for cadre in rows["cadres"]:
        times = sorted(contact_times[cadre.id]) or [cadre.created_at]
        for begin, until in zip(times, [*times[1:], sim.end], strict=True):
            threshold = add_months(begin, settings.pause_months)
            k = bisect.bisect_left(ticks, threshold)
            if k == len(ticks) or ticks[k] >= until:
                continue
            expected += 1
            key = (cadre.id, begin)
            matched.add(key)
            if flags_by_stretch[key] == 0:
                misses.append({"cadre_id": cadre.id, "since": begin.isoformat(),
                               "behaviour": sim.kind[cadre.id]})
                continue
            for f in flag_rows[key]:
                if f.raised_at < threshold:
                    early.append({"cadre_id": cadre.id, "raised_at": f.raised_at.isoformat()})
                delays.append((f.raised_at - threshold).total_seconds() / 3600)
    duplicates = sum(n - 1 for n in flags_by_stretch.values() if n > 1)
    unexpected = [{"cadre_id": c, "since": s.isoformat()} for (c, s) in flags_by_stretch
                  if (c, s) not in matched]
    flag_kinds = Counter(f.kind for f in rows["flags"])
    return {
        "months_checked": len(months),
        "monthly_violations": len(monthly_violations),
        "monthly_violation_examples": monthly_violations[:10],
        "lives_alone_cadres": len(sim.alone),
        "daily_cadre_days_checked": len(sim.alone) * len(days),
        "daily_violations": len(daily_violations),
        "daily_violation_examples": daily_violations[:10],
        "six_month_cases": expected,
        "six_month_flags": flag_kinds.get("six_months", 0),
        "six_month_duplicates": duplicates,
        "six_month_misses": len(misses),
        "six_month_miss_examples": misses[:10],
        "six_month_unexpected": len(unexpected),
        "six_month_early": len(early),
        "six_month_flag_delay_max_h": round(max(delays), 2) if delays else None,
        "five_month_flags": flag_kinds.get("five_months", 0),
        "quiet_hour_pings": sim.quiet_sends,
        "quiet_hour_pings_in_db": quiet_db,
    }


def misrouted(sim: Simulation, staff_calls: list[Any]) -> int:
    """Staff alerts posted anywhere but the group of the cadre they are about."""
    wrong = 0
    for call in staff_calls:
        found = re.search(r"军休\d+", call.params.get("text", ""))
        if found is not None and sim.group_of.get(found.group(0)) != str(call.params["chat_id"]):
            wrong += 1
    return wrong


async def simulate(n: int, days: int, *, agencies: int = 1, history_days: int = 0
                   ) -> dict[str, Any]:
    logging.getLogger("bot.telegram.delivery").setLevel(logging.ERROR)  # 403s are expected
    wall = time.perf_counter()
    clock = {"now": START}
    with tempfile.TemporaryDirectory(prefix="junxiu-bench-") as tmp:
        async with FakeBotAPI() as api:
            settings = Settings(_env_file=None,
                                database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}",
                                staff_chat_id=STAFF_CHAT if agencies <= 1 else None,
                                telegram_token=api.token,
                                telegram_api_url=api.url)
            app = await build_app(settings, clock=lambda: clock["now"])
            try:
                async with Bot(api.token, base_url=f"{api.url}/bot") as bot:
                    sim = Simulation(app, api, bot, settings, n, days, clock,
                                     agencies=agencies, history_days=history_days)
                    await sim.setup()
                    await sim.run()
                rows = await load(app)
            finally:
                await app.close()
            checks = verify(sim, rows)
            send_calls = api.calls("sendMessage")
    wall = time.perf_counter() - wall
    staff = [c for c in send_calls if str(c.params.get("chat_id")) in sim.staff_chats]
    behaviour_counts = Counter(sim.kind.values())
    return {
        "cadres": n, "days": days, "agencies": agencies, "history_days": history_days,
        "history_checkins": getattr(sim, "history_rows", 0),
        "start": START.astimezone(ZONE).date().isoformat(),
        "tick_hours_local": list(TICK_HOURS),
        "behaviours": dict(sorted(behaviour_counts.items())),
        "lives_alone": len(sim.alone),
        **checks,
        "pings": sim.actions.get("ping", 0),
        "repings": sim.actions.get("reping", 0),
        "alerts_no_answer": sim.actions.get("alert_no_answer", 0),
        "alerts_unreachable": sim.actions.get("alert_unreachable", 0),
        "answered_by_tick": sim.actions.get("answered", 0),
        "answers_pressed": sim.answers,
        "alerts": len(staff),
        "alerts_misrouted": misrouted(sim, staff),
        "flags": len(rows["flags"]),
        "send_message_calls": len(send_calls),
        "send_message_ok": sum(c.ok for c in send_calls),
        "send_message_403": sum(c.status == 403 for c in send_calls),
        "ticks": sim.ticks,
        "tick_seconds": round(sim.tick_seconds, 2),
        "pass_ms": summary_ms(sim.pass_seconds),
        # The slowest passes and what they did: the waves (the first pass of the run, the
        # morning's daily pings, their re-pings).
        "slowest_passes": [{"ms": round(sec * 1000, 1),
                            "local": at.astimezone(ZONE).strftime("%m-%d %H:%M"),
                            "actions": counts}
                           for sec, at, counts in sorted(sim.pass_work, key=lambda w: w[0],
                                                         reverse=True)[:5]],
        "answer_seconds": round(sim.answer_seconds, 2),
        "wall_seconds": round(wall, 2),
        "ticks_per_second": round(sim.ticks / wall, 2),
        "machine": machine(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--agencies", type=int, default=1,
                        help="cadres spread over this many agencies, each with its group")
    parser.add_argument("--history-days", type=int, default=0,
                        help="start with this many days of past check-ins in the table")
    parser.add_argument("--out", default="checkins.json", help="file in bench/results/")
    args = parser.parse_args(argv)
    report = asyncio.run(simulate(args.cadres, args.days, agencies=args.agencies,
                                  history_days=args.history_days))
    report = {"command": " ".join(["python -m bench.checkins", *(argv or sys.argv[1:])]),
              **report}
    print(f"checkins: {report['cadres']} cadres × {report['days']} days, "
          f"{report['ticks']} ticks in {report['wall_seconds']} s "
          f"({report['ticks_per_second']} ticks/s); pings {report['pings']}, "
          f"re-pings {report['repings']}, alerts {report['alerts']}, flags {report['flags']}, "
          f"sendMessage {report['send_message_calls']}; violations: monthly "
          f"{report['monthly_violations']}, daily {report['daily_violations']}, six-month "
          f"misses {report['six_month_misses']} duplicates {report['six_month_duplicates']}, "
          f"quiet-hour pings {report['quiet_hour_pings']}, misrouted alerts "
          f"{report['alerts_misrouted']}; pass p50 {report['pass_ms']['p50_ms']} ms, "
          f"p99 {report['pass_ms']['p99_ms']} ms")
    print("wrote", write(args.out, report))
    ok = not (report["monthly_violations"] or report["daily_violations"]
              or report["six_month_misses"] or report["six_month_duplicates"]
              or report["six_month_unexpected"] or report["quiet_hour_pings"]
              or report["alerts_misrouted"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
