"""Keeping in touch (jilin §15, shanghai 5.8.2-5.8.3, 6.4.4): check-in pings, re-pings, staff
alerts, and the 5- and 6-month flags. One `tick` is one pass; all state is in the database,
so a pass run twice sends nothing twice and a restart loses nothing.

The decisions are pure (`plan`), the pass applies them (`tick`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

import knowledge
from bot import agencies, scope
from bot.logs import mask_phone
from bot.messages import Button, Reply
from bot.scope import EVERYTHING, Scope
from bot.settings import Settings
from bot.storage import repo
from bot.storage.bulk import insert_many
from bot.storage.models import Account, Cadre, CheckIn, Delivery, Flag, Message

TELEGRAM = "telegram"
OPEN = ("sent", "repinged")


class Action(StrEnum):
    PING = "ping"
    REPING = "reping"
    ALERT_NO_ANSWER = "alert_no_answer"
    ALERT_UNREACHABLE = "alert_unreachable"
    ANSWERED = "answered"
    WARN_FIVE = "five_months"
    FLAG_SIX = "six_months"


@dataclass(frozen=True)
class OpenCheckIn:
    """An unanswered check-in as the planner sees it (read as columns, not an object)."""

    id: int
    kind: str
    status: str
    sent_at: datetime
    repinged_at: datetime | None = None


@dataclass(frozen=True)
class CadreState:
    """What the planner needs to know about one cadre, read from the database."""

    cadre_id: int
    lives_alone: bool
    last_contact: datetime | None
    since: datetime  # when we started counting: last contact, else when they joined the roster
    reachable: bool  # has a Telegram chat and has not blocked the bot
    open_checkin: OpenCheckIn | CheckIn | None
    last_checkin_sent: datetime | None
    flags: frozenset[tuple[str, datetime]]
    last_checkin_status: str | None = None  # of the newest check-in ("unreachable": alerted)

    @property
    def alerted_unreachable(self) -> bool:
        """Staff were told they cannot reach this cadre, and no contact came since."""
        return (self.last_checkin_status == "unreachable" and self.last_checkin_sent is not None
                and (self.last_contact is None or self.last_contact <= self.last_checkin_sent))


@dataclass(frozen=True)
class Step:
    action: Action
    cadre_id: int
    kind: str = "monthly"  # monthly | daily
    checkin: OpenCheckIn | CheckIn | None = None


def _aware(moment: datetime) -> datetime:
    # Aggregates bypass the column type, so SQLite hands back a naive (UTC) value.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_months(moment: datetime, months: int) -> datetime:
    """Calendar months later; the last day of a shorter month (31 Jan + 1 month = 28/29 Feb)."""
    return moment + relativedelta(months=months)


def plan(state: CadreState, now: datetime, settings: Settings) -> list[Step]:
    """What to do for one cadre now. Pure: a function of the state, the time and the policy."""
    zone = ZoneInfo(settings.timezone)
    local = now.astimezone(zone)
    quiet = local.hour >= settings.quiet_start_hour or local.hour < settings.quiet_end_hour
    steps: list[Step] = []

    for months, action in ((settings.pause_months, Action.FLAG_SIX),
                           (settings.warn_months, Action.WARN_FIVE)):
        # Counted over every channel; jilin counts the sixth month itself (含), so flag at it.
        # Only the highest threshold reached counts: no 5-month warning after a 6-month flag.
        if now - state.since < timedelta(days=28 * months):
            continue  # surely not yet (every pass, most of the roster: no calendar sums)
        if now >= add_months(state.since, months):
            if (action.value, state.since) not in state.flags:
                steps.append(Step(action, state.cadre_id))
            break

    checkin = state.open_checkin
    if checkin is not None:
        if state.last_contact is not None and state.last_contact > checkin.sent_at:
            return [*steps, Step(Action.ANSWERED, state.cadre_id, checkin.kind, checkin)]
        if not state.reachable:  # blocked since the ping went out: no re-ping, phone them
            return [*steps, Step(Action.ALERT_UNREACHABLE, state.cadre_id, checkin.kind,
                                 checkin)]
        wait = timedelta(hours=settings.checkin_reping_daily_hours if checkin.kind == "daily"
                         else settings.checkin_reping_monthly_hours)
        if checkin.status == "sent" and now - checkin.sent_at >= wait:
            if not quiet:
                steps.append(Step(Action.REPING, state.cadre_id, checkin.kind, checkin))
        elif checkin.status == "repinged" and now - (checkin.repinged_at or now) >= wait:
            steps.append(Step(Action.ALERT_NO_ANSWER, state.cadre_id, checkin.kind, checkin))
        return steps

    if not state.reachable and not state.alerted_unreachable:
        # Blocked, or never pressed Start: staff are told at the first pass, not a month on.
        kind = "daily" if state.lives_alone else "monthly"
        return [*steps, Step(Action.ALERT_UNREACHABLE, state.cadre_id, kind)]
    kind = _due_kind(state, now, local, settings)
    if kind is None:
        return steps
    if not state.reachable:
        # No Telegram, or blocked: straight onto the staff's list of people to phone.
        return [*steps, Step(Action.ALERT_UNREACHABLE, state.cadre_id, kind)]
    if not quiet:
        steps.append(Step(Action.PING, state.cadre_id, kind))
    return steps


# The monthly duty is per calendar month (jilin §15): a cadre neither in touch nor pinged yet
# this month is pinged on this day, so that the answer, or the re-ping and the staff alert a day
# apart each, still fall within the month, February included. Thirty days alone would skip it.
MONTH_DEADLINE_DAY = 25


def _due_kind(state: CadreState, now: datetime, local: datetime, settings: Settings
              ) -> str | None:
    zone = local.tzinfo
    today = local.date()
    if state.lives_alone:
        # The daily ping is their monthly one too. A monthly ping would stay open for two days
        # (re-ping after 24 h) and hold the daily ones up meanwhile: days without a ping.
        contacted_today = state.last_contact is not None and \
            state.last_contact.astimezone(zone).date() == today
        pinged_today = state.last_checkin_sent is not None and \
            state.last_checkin_sent.astimezone(zone).date() == today
        if not contacted_today and not pinged_today \
                and local.hour >= settings.checkin_daily_hour:
            return "daily"
        return None
    month = timedelta(days=settings.checkin_monthly_days)
    if now - state.since >= month and (state.last_checkin_sent is None
                                       or now - state.last_checkin_sent >= month):
        return "monthly"
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if local.day >= MONTH_DEADLINE_DAY and state.since < month_start and (
            state.last_checkin_sent is None or state.last_checkin_sent < month_start):
        return "monthly"
    return None


# -- the pass -------------------------------------------------------------------------------


@dataclass
class TickResult:
    replies: list[Reply] = field(default_factory=list)  # pings and staff alerts, queued
    counts: dict[str, int] = field(default_factory=dict)


def tick_text(result: TickResult) -> str:
    """What `junxiu checkins tick` says it did, in the order things happen to a cadre."""
    kb = knowledge.load()
    counts = [kb.string("staff.checkin.tick.count",
                        action=kb.string(f"staff.checkin.action.{action.value}"),
                        count=result.counts[action.value])
              for action in Action if result.counts.get(action.value)]
    if not counts:
        return kb.string("staff.checkin.tick.nothing")
    return kb.string("staff.checkin.tick.head", counts="，".join(counts))


# Lower bounds of 5 and 6 calendar months (Feb-Jun is 150 days; 31 Aug + 6 months is 28 Feb,
# 181 days): a stretch shorter than these cannot have reached the threshold.
FIVE_MONTHS_MIN = timedelta(days=149)
SIX_MONTHS_MIN = timedelta(days=180)


def _may_act(now: datetime, settings: Settings, since: Any, last_sent: Any, status: Any,
             reachable: Any, alone: Any, flagged: Any) -> Any:
    """A SQL condition true for every cadre `plan` might act on now: a superset (plan
    decides), so that a pass converts and plans a few hundred rows, not the whole roster.
    False only where plan is certain to return nothing (tests/bot/test_checkin_prefilter.py).
    """
    month = timedelta(days=settings.checkin_monthly_days)
    local = now.astimezone(ZoneInfo(settings.timezone))
    conditions = [
        status.in_(OPEN),  # an open check-in: re-ping, alert, or answered
        alone,  # the daily ping (a tenth of the roster)
        # cannot be reached and staff not told since the last contact
        ~reachable & (status.is_(None) | (status != "unreachable") | (since > last_sent)),
        # the monthly ping (or, for the unreachable, the monthly alert)
        (since <= now - month) & (last_sent.is_(None) | (last_sent <= now - month)),
        # five or six months of silence not yet flagged for this stretch
        (since <= now - FIVE_MONTHS_MIN) & ~flagged(("five_months", "six_months")),
        (since <= now - SIX_MONTHS_MIN) & ~flagged(("six_months",)),
    ]
    if local.day >= MONTH_DEADLINE_DAY:  # the calendar month's duty
        month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        conditions.append((since < month_start)
                          & (last_sent.is_(None) | (last_sent < month_start)))
    return or_(*conditions)


async def load_states(s: AsyncSession, now: datetime | None = None,
                      settings: Settings | None = None) -> list[CadreState]:
    """What `plan` needs of every roster cadre; with `now` and `settings`, of those it might
    act on now only (every pass, every few seconds: the rest of the roster is left in the
    database). One statement for the roster, one for open check-ins, one for flags."""
    since = func.coalesce(Cadre.last_contact_at, Cadre.created_at)
    # The newest check-in per cadre (ids grow with time), by one index seek each on
    # (cadre_id, id): it is also the only one that can be open, since a cadre with an open
    # check-in gets no other until it is answered or alerted.
    earlier = aliased(CheckIn)
    newest = (select(func.max(earlier.id)).where(earlier.cadre_id == Cadre.id)
              .correlate(Cadre).scalar_subquery())
    on_telegram = (select(Account.id).where(Account.cadre_id == Cadre.id,
                                            Account.transport == TELEGRAM)
                   .correlate(Cadre).exists())
    reachable = on_telegram & ~Cadre.unreachable

    def flagged(kinds: tuple[str, ...]) -> Any:
        return (select(Flag.id).where(Flag.cadre_id == Cadre.id, Flag.since == since,
                                      Flag.kind.in_(kinds)).correlate(Cadre).exists())

    stmt = (select(Cadre.id, Cadre.lives_alone, Cadre.last_contact_at, Cadre.created_at,
                   reachable.label("reachable"), CheckIn.id, CheckIn.sent_at, CheckIn.status)
            .select_from(Cadre).outerjoin(CheckIn, CheckIn.id == newest)
            .where(Cadre.on_roster))
    if now is not None and settings is not None:
        stmt = stmt.where(_may_act(now, settings, since, CheckIn.sent_at, CheckIn.status,
                                   reachable, Cadre.lives_alone, flagged))
    roster = (await s.execute(stmt)).all()
    open_ids = [checkin_id for *_, checkin_id, _, status in roster if status in OPEN]
    open_checkins = {cadre_id: OpenCheckIn(checkin_id, kind, status, _aware(sent),
                                           _aware(reping) if reping else None)
                     for checkin_id, cadre_id, kind, status, sent, reping in (await s.execute(
                         select(CheckIn.id, CheckIn.cadre_id, CheckIn.kind, CheckIn.status,
                                CheckIn.sent_at, CheckIn.repinged_at)
                         .where(CheckIn.id.in_(open_ids)))).all()} if open_ids else {}
    flags: dict[int, set[tuple[str, datetime]]] = {}
    flag_rows = select(Flag.cadre_id, Flag.kind, Flag.since)
    if now is not None:  # only the flags of each cadre's current stretch of silence
        flag_rows = flag_rows.join(Cadre, Cadre.id == Flag.cadre_id).where(Flag.since == since)
    for cadre_id, kind, flag_since in (await s.execute(flag_rows)).all():
        flags.setdefault(cadre_id, set()).add((kind, flag_since))
    return [CadreState(
        cadre_id=cadre_id, lives_alone=bool(alone), last_contact=last,
        since=last or created, reachable=bool(can_reach), open_checkin=open_checkins.get(cadre_id),
        last_checkin_sent=_aware(sent) if sent is not None else None,
        flags=frozenset(flags.get(cadre_id, ())), last_checkin_status=status)
        for cadre_id, alone, last, created, can_reach, _, sent, status in roster]


@dataclass
class _Writes:
    """What a pass inserts, gathered to be written a statement per table."""

    messages: list[dict[str, Any]] = field(default_factory=list)  # transcript lines
    checkins: list[dict[str, Any]] = field(default_factory=list)  # unreachable alerts
    updates: list[dict[str, Any]] = field(default_factory=list)  # open check-ins moved on

    def close(self, checkin: Any, status: str, column: str, at: datetime | None) -> None:
        self.updates.append({"id": checkin.id, "status": status, column: at})


async def tick(s: AsyncSession, now: datetime, settings: Settings) -> TickResult:
    """One pass over the roster: decide, record, and queue what must be sent.

    A few statements whatever the roster size: only the cadres the planner may act on are
    read (as columns), and new check-ins, transcript lines and outbox rows are each written
    in one statement."""
    result = TickResult()
    todo = [(state, step) for state in await load_states(s, now, settings)
            for step in plan(state, now, settings)]
    if not todo:
        return result
    ids = {step.cadre_id for _, step in todo}
    cadres = {c.id: c for c in (await s.execute(select(
        Cadre.id, Cadre.name, Cadre.phone, Cadre.other_phone, Cadre.agency_key, Cadre.region,
        Cadre.unreachable, Cadre.last_contact_at, Cadre.created_at)
        .where(Cadre.id.in_(ids)))).all()}
    chats = dict((await s.execute(select(Account.cadre_id, Account.chat_id).where(
        Account.transport == TELEGRAM, Account.cadre_id.in_(ids)))).all())
    pinged = [step for _, step in todo if step.action == Action.PING]
    ping_ids = dict(zip([p.cadre_id for p in pinged], await insert_many(s, CheckIn, [
        {"cadre_id": p.cadre_id, "kind": p.kind, "status": "sent", "sent_at": now,
         "repinged_at": None, "answered_at": None, "alerted_at": None} for p in pinged],
        ids=True), strict=True))  # their ids go in the buttons
    directory = await agencies.load(s, settings)  # alerts go to each cadre's own agency
    writes = _Writes()
    replies: list[Reply] = []
    for state, step in todo:
        result.counts[step.action.value] = result.counts.get(step.action.value, 0) + 1
        cadre = cadres[step.cadre_id]
        staff_chat = directory.route(cadre.agency_key, cadre.region).staff_chat
        replies += await _apply(s, step, cadre, chats.get(step.cadre_id),
                                ping_ids.get(step.cadre_id), state, now, staff_chat, writes)
    for column in ("repinged_at", "answered_at", "alerted_at"):  # by primary key, in bulk
        same = [u for u in writes.updates if column in u]
        if same:
            await s.execute(update(CheckIn), same)
    await insert_many(s, Message, writes.messages)
    await insert_many(s, CheckIn, writes.checkins)
    # Into the outbox as Outbox.put does (bot/outbox.py), in one statement for the whole pass
    # (a pass at 10,000 cadres: bench/checkins.py).
    delivery_ids = await insert_many(s, Delivery, [
        {"chat_id": r.chat_id, "transport": TELEGRAM, "payload": r.payload(),
         "status": "pending", "attempts": 0, "next_attempt_at": now, "last_error": None,
         "sent_message_id": None, "message_id": None, "ticket_id": None, "created_at": now}
        for r in replies], ids=True)
    result.replies = [replace(r, delivery_id=d)
                      for r, d in zip(replies, delivery_ids, strict=True)]
    return result


async def _apply(s: AsyncSession, step: Step, cadre: Any, chat_id: str | None,
                 ping_id: int | None, state: CadreState, now: datetime,
                 staff_chat: str | None, writes: _Writes) -> list[Reply]:
    kb = knowledge.load()
    days = (now - state.since).days
    if step.action in (Action.PING, Action.REPING):
        if chat_id is None:  # no chat after all (a race with forget): staff phone them
            return _staff_alert(staff_chat, "staff.checkin.alert.unreachable", cadre, now)
        if step.action == Action.PING:
            checkin_id = ping_id
        else:
            writes.close(step.checkin, "repinged", "repinged_at", now)
            checkin_id = step.checkin.id
        key = f"checkin.ping.{step.kind}" if step.action == Action.PING else "checkin.reping"
        text = kb.string(key, name=cadre.name or "")
        buttons = ((Button(kb.string("checkin.button.ok"), f"checkin:{checkin_id}:ok"),),
                   (Button(kb.string("checkin.button.call"), f"checkin:{checkin_id}:call"),))
        # The transcript line, as repo.record_outbound writes it (with the outbox).
        writes.messages.append({
            "cadre_id": cadre.id, "transport": TELEGRAM, "update_id": None, "direction": "out",
            "kind": "text", "text": text, "payload": {}, "intent": "checkin",
            "audio_path": None, "processed_at": None, "created_at": now,
            "author": "assistant"})
        return [Reply(chat_id, text, buttons=buttons, cadre_id=cadre.id, checkin_id=checkin_id)]
    if step.action == Action.ANSWERED:
        writes.close(step.checkin, "answered", "answered_at", state.last_contact)
        return []
    if step.action == Action.ALERT_NO_ANSWER:
        writes.close(step.checkin, "alerted", "alerted_at", now)
        return _staff_alert(staff_chat, "staff.checkin.alert.no_answer", cadre, now)
    if step.action == Action.ALERT_UNREACHABLE:
        if step.checkin is not None:  # the open one is closed by the alert
            writes.close(step.checkin, "unreachable", "alerted_at", now)
        else:
            writes.checkins.append({
                "cadre_id": cadre.id, "kind": step.kind, "status": "unreachable",
                "sent_at": now, "repinged_at": None, "answered_at": None, "alerted_at": now})
        key = "blocked" if cadre.unreachable else "unreachable"
        return _staff_alert(staff_chat, f"staff.checkin.alert.{key}", cadre, now)
    # The 5- and 6-month flags, raised once per stretch of silence.
    s.add(Flag(cadre_id=cadre.id, kind=step.action.value, since=state.since, raised_at=now))
    await repo.audit(s, "system", f"flag.{step.action.value}", now, cadre_id=cadre.id,
                     detail=f"{days} days without contact")
    return _staff_alert(staff_chat, f"staff.checkin.alert.{step.action.value}", cadre, now,
                        days=days)


def since_text(last_contact: datetime | None, now: datetime) -> str:
    """"距上次联系12天", or "从未联系" for a cadre nobody has been in touch with."""
    kb = knowledge.load()
    if last_contact is None:
        return kb.string("staff.checkin.never")
    return kb.string("staff.checkin.since", days=(now - last_contact).days)


def _staff_alert(staff_chat: str | None, key: str, cadre: Any, now: datetime, *,
                 days: int | None = None) -> list[Reply]:
    """An alert for the cadre's agency's group, with every number to call (in full: the
    group is where staff pick up the phone)."""
    if staff_chat is None:
        return []  # still recorded: it shows in `junxiu checkins report`
    phones = " / ".join(p for p in (cadre.phone, cadre.other_phone) if p) or "-"
    since = cadre.last_contact_at or cadre.created_at
    text = knowledge.load().string(
        key, name=cadre.name or "-", phone=phones, id=cadre.id,
        days=days if days is not None else (now - since).days,
        since=since_text(cadre.last_contact_at, now))
    return [Reply(staff_chat, text, to_staff=True)]


# -- answers and reports ---------------------------------------------------------------------


async def answer(s: AsyncSession, cadre: Cadre, data: str, now: datetime) -> tuple[str, bool]:
    """A press of 我很好 / 请工作人员联系我. Returns the reply and whether staff should call."""
    kb = knowledge.load()
    _, number, choice = [*data.split(":"), "", ""][:3]
    checkin_id = repo.as_id(number)  # a forged button may carry anything
    checkin = await s.get(CheckIn, checkin_id) if checkin_id else None
    if checkin is not None and checkin.cadre_id == cadre.id and checkin.status in OPEN:
        checkin.status, checkin.answered_at = "answered", now
    await repo.record_contact(s, cadre, "checkin", now)
    if choice == "call":
        return kb.string("checkin.thanks.call"), True
    return kb.string("checkin.thanks.ok"), False


async def mark_unreachable(s: AsyncSession, cadre: Cadre | None, payload: dict, now: datetime,
                           staff_chat: str | None) -> list[Reply]:
    """A send to this cadre failed for good (403: blocked, or never pressed Start; or no
    chat): flag them for a phone call and tell their agency's staff at once."""
    if cadre is None or cadre.unreachable:
        return []
    cadre.unreachable = True
    checkin_id = payload.get("checkin_id")
    checkin = await s.get(CheckIn, checkin_id) if checkin_id else None
    if checkin is not None:
        checkin.status, checkin.alerted_at = "unreachable", now
    else:  # the report counts from this alert: it stays there until a contact is recorded
        s.add(CheckIn(cadre_id=cadre.id, kind="monthly", status="unreachable", sent_at=now,
                      alerted_at=now))
    await repo.audit(s, "system", "cadre.unreachable", now, cadre_id=cadre.id)
    return _staff_alert(staff_chat, "staff.checkin.alert.blocked", cadre, now)


@dataclass(frozen=True)
class ReportRow:
    cadre_id: int
    name: str
    phone: str
    category: str  # due | overdue | unreachable | five_months | six_months
    days: int | None  # since the last contact; None: never contacted
    other_phone: str = ""


async def report(s: AsyncSession, now: datetime, settings: Settings,
                 within: Scope = EVERYTHING) -> list[ReportRow]:
    """Who needs attention: due, overdue, unreachable, 5-month warnings, 6-month flags, among
    the cadres `within` may see."""
    cadres = {c.id: c for c in (await s.scalars(
        scope.cadres(select(Cadre).where(Cadre.on_roster), within))).all()}
    rows: list[ReportRow] = []
    for state in await load_states(s):
        cadre = cadres.get(state.cadre_id)
        if cadre is None:
            continue  # another agency's
        days = (now - state.last_contact).days if state.last_contact is not None else None
        categories = []
        if now >= add_months(state.since, settings.pause_months):
            categories.append("six_months")
        elif now >= add_months(state.since, settings.warn_months):
            categories.append("five_months")
        if not state.reachable:
            # On the list to phone until a contact is recorded after the alert.
            if state.alerted_unreachable or state.last_checkin_status != "unreachable":
                categories.append("unreachable")
        elif state.open_checkin is not None:
            categories.append("overdue" if state.open_checkin.status == "repinged" else "due")
        elif _due_kind(state, now, now.astimezone(ZoneInfo(settings.timezone)), settings):
            categories.append("due")
        rows += [ReportRow(cadre.id, cadre.name or "", cadre.phone or "", c, days,
                           cadre.other_phone or "") for c in categories]
    # The most serious first; within a category the longest silence first, never contacted
    # before all.
    return sorted(rows, key=lambda r: (CATEGORY_ORDER.index(r.category),
                                       -(r.days if r.days is not None else 10**6)))


CATEGORY_ORDER = ("six_months", "five_months", "unreachable", "overdue", "due")


def _phones(row: ReportRow) -> str:
    """Every number of the row, masked by the one rule (the report gets pasted around; the
    staff group's alert has them in full)."""
    return " / ".join(mask_phone(p) for p in (row.phone, row.other_phone) if p) or "-"


def _days(row: ReportRow) -> str:
    kb = knowledge.load()
    if row.days is None:
        return kb.string("staff.checkin.never")
    return kb.string("staff.checkin.report.days", days=row.days)


def report_text(rows: Sequence[ReportRow]) -> str:
    kb = knowledge.load()
    if not rows:
        return kb.string("staff.checkin.report.empty")
    lines = []
    for category in CATEGORY_ORDER:
        chosen = [r for r in rows if r.category == category]
        if chosen:
            lines.append(kb.string(f"staff.checkin.report.{category}", count=len(chosen)))
            lines += [kb.string("staff.checkin.report.line", name=r.name or r.cadre_id,
                                phone=_phones(r), days=_days(r)) for r in chosen]
    return "\n".join(lines)


def report_csv(rows: Sequence[ReportRow]) -> str:
    kb = knowledge.load()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(kb.string("staff.checkin.csv.header").split(","))
    for r in rows:
        writer.writerow([kb.string(f"staff.checkin.csv.{r.category}"), r.cadre_id, r.name,
                         _phones(r), "" if r.days is None else r.days])
    return out.getvalue()
