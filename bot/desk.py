"""`junxiu staff …` and `junxiu tickets …`: the staff roster and the ticket desk from a shell.

Replies typed here go through the same outbox as the bot's, so a running bot delivers them.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

import knowledge
from bot import scope, staff
from bot.agencies import store as agency_store
from bot.agencies.store import AgencyError
from bot.outbox import Outbox
from bot.scope import Scope
from bot.settings import Settings
from bot.storage import repo
from bot.storage.db import make_engine, make_sessions, upgrade
from bot.storage.models import Agency, Staff, TicketStatus


async def _with_session(work: Callable[[AsyncSession, Settings, datetime], Awaitable[Any]]
                        ) -> Any:
    settings = Settings()
    await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessions(engine).begin() as s:
            return await work(s, settings, datetime.now(UTC))
    finally:
        await engine.dispose()


def _run(work: Callable[[AsyncSession, Settings, datetime], Awaitable[Any]]) -> int:
    try:
        message = asyncio.run(_with_session(work))
    except (staff.DeskError, AgencyError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if message:
        print(message)
    return 0


def _t(name: str, /, **params: object) -> str:
    return knowledge.load().string(f"staff.cli.{name}", **params)


def cmd_staff(args: argparse.Namespace) -> int:
    async def add(s: AsyncSession, settings: Settings, now: datetime) -> str:
        agency_key = getattr(args, "agency", None)
        agency = await agency_store.agency_or_fail(s, agency_key) if agency_key else None
        member = await s.get(Staff, args.user_id)
        if member is None:
            member = Staff(user_id=args.user_id, name=args.name, role=args.role, created_at=now)
            s.add(member)
        member.name, member.role, member.active = args.name, args.role, True
        member.agency_key = agency.key if agency is not None else None
        await repo.audit(s, "cli", "staff.add", now,
                         detail=f"{args.user_id} {args.role} {member.agency_key or '-'}")
        return _t("added", id=args.user_id, name=args.name, role=_t(f"role.{args.role}"),
                  agency=agency.name if agency is not None else _t("no_agency"))

    async def remove(s: AsyncSession, settings: Settings, now: datetime) -> str:
        member = await s.get(Staff, args.user_id)
        if member is None:
            raise staff.DeskError(_t("unknown", id=args.user_id))
        member.active = False  # kept for the audit trail, no longer allowed in
        await repo.audit(s, "cli", "staff.remove", now, detail=str(args.user_id))
        return _t("removed", id=args.user_id)

    async def listing(s: AsyncSession, settings: Settings, now: datetime) -> str:
        rows = (await s.scalars(select(Staff).where(Staff.active).order_by(Staff.user_id))).all()
        names = {a.key: a.name for a in (await s.scalars(select(Agency))).all()}
        if not rows:
            return _t("none")
        return "\n".join(_t("line", id=m.user_id, name=m.name, role=_t(f"role.{m.role}"),
                             agency=names.get(m.agency_key or "", _t("no_agency")))
                         for m in rows)

    async def password(s: AsyncSession, settings: Settings, now: datetime) -> str:
        from bot.web import auth

        member = await s.get(Staff, args.user_id)
        if member is None or not member.active:
            raise staff.DeskError(f"no staff member {args.user_id}")
        problem = auth.check_new(args.secret)
        if problem:
            raise staff.DeskError(f"the password needs at least {auth.MIN_LENGTH} characters")
        await auth.set_password(s, member, args.secret, "cli", now)
        return f"desk password set for staff {args.user_id} ({member.name})"

    if args.staff_command == "password":
        args.secret = _read_password()
        if args.secret is None:
            print("the two passwords differ")
            return 1
    return _run({"add": add, "remove": remove, "list": listing,
                 "password": password}[args.staff_command])


def _read_password() -> str | None:
    """From stdin when it is not a terminal (one line), else asked twice without echo."""
    import getpass
    import sys

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("desk password: ")
    return first if getpass.getpass("again: ") == first else None


async def cli_scope(s: AsyncSession, args: argparse.Namespace) -> Scope:
    """`--agency KEY`: that agency's matters only; without it the server's whole view."""
    key = getattr(args, "agency", None)
    if key is None:
        return scope.EVERYTHING
    return scope.of_agency((await agency_store.agency_or_fail(s, key)).key)


def cmd_tickets(args: argparse.Namespace) -> int:
    async def listing(s: AsyncSession, settings: Settings, now: datetime) -> str:
        statuses = None if args.all else (args.status,) if args.status else staff.OPEN
        return await staff.queue_text(s, now, await cli_scope(s, args), statuses)

    async def show(s: AsyncSession, settings: Settings, now: datetime) -> str:
        return await staff.ticket_text(s, args.number, await cli_scope(s, args),
                                       settings.timezone)

    async def reply(s: AsyncSession, settings: Settings, now: datetime) -> str:
        out, ack = await staff.reply(s, args.number, " ".join(args.text), None, now, settings,
                                     await cli_scope(s, args))
        # the bot's own path: the running bot's pump delivers it
        await Outbox.for_settings(settings).put_addressed(s, out, now)
        return ack

    async def close(s: AsyncSession, settings: Settings, now: datetime) -> str:
        return await staff.close(s, args.number, " ".join(args.note), None, now,
                                 await cli_scope(s, args))

    return _run({"list": listing, "show": show, "reply": reply,
                 "close": close}[args.tickets_command])


def _agency_option() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--agency", metavar="KEY",
                        help="only this agency's cadres and tickets (default: all)")
    return parent


AGENCY_OPTION = _agency_option()


def add_parsers(sub: Any) -> None:
    staff_parser = sub.add_parser("staff", help="the staff roster (who may use staff commands)")
    staff_sub = staff_parser.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="add or re-activate a staff member")
    add.add_argument("user_id", type=int, help="Telegram user id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["staff", "supervisor"], default="staff")
    add.add_argument("--agency", metavar="KEY",
                     help="the agency whose cadres and tickets they see (a supervisor sees all)")
    remove = staff_sub.add_parser("remove", help="take a staff member off the roster")
    remove.add_argument("user_id", type=int)
    staff_sub.add_parser("list", help="list active staff")
    password = staff_sub.add_parser("password", help="set a staff member's web desk password "
                                                     "(read from stdin when not a terminal)")
    password.add_argument("user_id", type=int)
    staff_parser.set_defaults(func=cmd_staff)

    tickets_parser = sub.add_parser("tickets", help="the ticket desk")
    tickets_sub = tickets_parser.add_subparsers(dest="tickets_command", required=True)
    one = AGENCY_OPTION
    listing = tickets_sub.add_parser("list", help="open tickets by priority and age",
                                     parents=[one])
    which = listing.add_mutually_exclusive_group()
    which.add_argument("--all", action="store_true", help="every ticket, closed ones too")
    which.add_argument("--status", choices=[s.value for s in TicketStatus],
                       help="only tickets in this status")
    show = tickets_sub.add_parser("show", help="one ticket with its transcript", parents=[one])
    show.add_argument("number", type=int)
    reply = tickets_sub.add_parser("reply", help="answer the cadre (':key' for a saved reply)",
                                   parents=[one])
    reply.add_argument("number", type=int)
    reply.add_argument("text", nargs="+")
    close = tickets_sub.add_parser("close", help="close a ticket", parents=[one])
    close.add_argument("number", type=int)
    close.add_argument("note", nargs="*")
    tickets_parser.set_defaults(func=cmd_tickets)


def cmd_checkins(args: argparse.Namespace) -> int:
    """`junxiu checkins tick|report`: tick sends through the same Telegram settings as `run`."""
    from bot import checkins

    if args.checkins_command == "report":
        async def build(s: AsyncSession, settings: Settings, now: datetime) -> str:
            rows = await checkins.report(s, args.now or now, settings, await cli_scope(s, args))
            return checkins.report_csv(rows) if args.format == "csv" else \
                checkins.report_text(rows)

        return _run(build)
    return asyncio.run(_tick(args.now))


async def _tick(now: datetime | None) -> int:
    from bot import checkins
    from bot.app import build_app
    from bot.telegram.delivery import TRANSPORT, deliver, paced

    settings = Settings()
    app = await build_app(settings, clock=(lambda: now) if now else _utc_now)
    try:
        result = await app.service.tick_checkins()
        print(checkins.tick_text(result))
        if settings.telegram_token is None:
            print(_k("staff.checkin.tick.no_token"))
            return 0
        from telegram import Bot

        from bot.telegram.ptb import sender

        bot = Bot(settings.telegram_token.get_secret_value(),
                  base_url=f"{settings.api_root}/bot",
                  base_file_url=f"{settings.api_root}/file/bot")
        send = paced(sender(bot), settings.send_per_second)
        async with bot:
            sent = await deliver(app.service, send, result.replies)
            # A ping that failed for good (blocked, never pressed Start) raised a staff alert
            # just now: send it too, rather than leave it for a bot that may not be running.
            first = min((r.delivery_id for r in result.replies if r.delivery_id), default=None)
            if first is not None:
                alerts = [r for r in await app.service.due(TRANSPORT, limit=1000)
                          if r.delivery_id is not None and r.delivery_id > first]
                sent += await deliver(app.service, send, alerts)
                total = len(result.replies) + len(alerts)
            else:
                total = len(result.replies)
        print(_k("staff.checkin.tick.sent", sent=sent, total=total))
        return 0
    finally:
        await app.close()


def _k(name: str, /, **params: object) -> str:
    return knowledge.load().string(name, **params)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def cmd_contacts(args: argparse.Namespace) -> int:
    async def add(s: AsyncSession, settings: Settings, now: datetime) -> str:
        record = dict(item.split("=", 1) for item in args.field) if args.field else None
        return await staff.record_contact(s, args.cadre, args.kind, " ".join(args.note),
                                          None, args.at or now, record)

    return _run(add)


def _iso_datetime(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def add_checkin_parsers(sub: Any) -> None:
    checkins = sub.add_parser("checkins", help="the check-in scheduler and its report")
    checkins_sub = checkins.add_subparsers(dest="checkins_command", required=True)
    tick = checkins_sub.add_parser("tick", help="one pass: send what is due, raise alerts")
    tick.add_argument("--now", type=_iso_datetime, help="ISO time (default: now)")
    report = checkins_sub.add_parser("report", help="due, overdue, unreachable, 5/6 months",
                                     parents=[AGENCY_OPTION])
    report.add_argument("--format", choices=["text", "csv"], default="text")
    report.add_argument("--now", type=_iso_datetime)
    checkins.set_defaults(func=cmd_checkins)

    contacts = sub.add_parser("contacts", help="record calls and visits")
    contacts_sub = contacts.add_subparsers(dest="contacts_command", required=True)
    add = contacts_sub.add_parser("add", help="a call or visit staff made")
    add.add_argument("cadre", help="cadre id, phone or name")
    add.add_argument("kind", choices=["电话", "上门", "call", "visit"])
    add.add_argument("note", nargs="*")
    add.add_argument("--at", type=_iso_datetime, help="when (default: now)")
    add.add_argument("--field", action="append", metavar="KEY=VALUE",
                     help="visit record fields (思想, 健康, 医疗, 爱好, 社交, 家庭, 生活, 建议)")
    contacts.set_defaults(func=cmd_contacts)
