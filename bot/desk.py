"""`junxiu staff …` and `junxiu tickets …`: the staff roster and the ticket desk from a shell.

Replies typed here go through the same outbox as the bot's, so a running bot delivers them.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import staff
from bot.settings import Settings
from bot.storage import repo
from bot.storage.db import make_engine, make_sessions, upgrade
from bot.storage.models import Staff


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
    except staff.DeskError as exc:
        print(exc)
        return 1
    if message:
        print(message)
    return 0


def cmd_staff(args: argparse.Namespace) -> int:
    async def add(s: AsyncSession, settings: Settings, now: datetime) -> str:
        member = await s.get(Staff, args.user_id)
        if member is None:
            member = Staff(user_id=args.user_id, name=args.name, role=args.role, created_at=now)
            s.add(member)
        member.name, member.role, member.active = args.name, args.role, True
        await repo.audit(s, "cli", "staff.add", now, detail=f"{args.user_id} {args.role}")
        return f"staff {args.user_id} ({args.name}, {args.role}) added"

    async def remove(s: AsyncSession, settings: Settings, now: datetime) -> str:
        member = await s.get(Staff, args.user_id)
        if member is None:
            raise staff.DeskError(f"no staff member {args.user_id}")
        member.active = False  # kept for the audit trail, no longer allowed in
        await repo.audit(s, "cli", "staff.remove", now, detail=str(args.user_id))
        return f"staff {args.user_id} removed"

    async def listing(s: AsyncSession, settings: Settings, now: datetime) -> str:
        rows = (await s.scalars(select(Staff).where(Staff.active).order_by(Staff.user_id))).all()
        return "\n".join(f"{m.user_id}\t{m.name}\t{m.role}" for m in rows) or "no staff yet"

    return _run({"add": add, "remove": remove, "list": listing}[args.staff_command])


def cmd_tickets(args: argparse.Namespace) -> int:
    async def listing(s: AsyncSession, settings: Settings, now: datetime) -> str:
        return await staff.queue_text(s, now)

    async def show(s: AsyncSession, settings: Settings, now: datetime) -> str:
        return await staff.ticket_text(s, args.number)

    async def reply(s: AsyncSession, settings: Settings, now: datetime) -> str:
        out, ack = await staff.reply(s, args.number, " ".join(args.text), None, now, settings)
        for target, message in out:
            await repo.enqueue(s, message, target.transport, now)
            await repo.record_outbound(s, message.meta.get("cadre_id"), target.transport,
                                       message.text, now)
        return ack

    async def close(s: AsyncSession, settings: Settings, now: datetime) -> str:
        return await staff.close(s, args.number, " ".join(args.note), None, now)

    return _run({"list": listing, "show": show, "reply": reply,
                 "close": close}[args.tickets_command])


def add_parsers(sub: Any) -> None:
    staff_parser = sub.add_parser("staff", help="the staff roster (who may use staff commands)")
    staff_sub = staff_parser.add_subparsers(dest="staff_command", required=True)
    add = staff_sub.add_parser("add", help="add or re-activate a staff member")
    add.add_argument("user_id", type=int, help="Telegram user id")
    add.add_argument("--name", required=True)
    add.add_argument("--role", choices=["staff", "supervisor"], default="staff")
    remove = staff_sub.add_parser("remove", help="take a staff member off the roster")
    remove.add_argument("user_id", type=int)
    staff_sub.add_parser("list", help="list active staff")
    staff_parser.set_defaults(func=cmd_staff)

    tickets_parser = sub.add_parser("tickets", help="the ticket desk")
    tickets_sub = tickets_parser.add_subparsers(dest="tickets_command", required=True)
    tickets_sub.add_parser("list", help="open tickets by priority and age")
    show = tickets_sub.add_parser("show", help="one ticket with its transcript")
    show.add_argument("number", type=int)
    reply = tickets_sub.add_parser("reply", help="answer the cadre (':key' for a saved reply)")
    reply.add_argument("number", type=int)
    reply.add_argument("text", nargs="+")
    close = tickets_sub.add_parser("close", help="close a ticket")
    close.add_argument("number", type=int)
    close.add_argument("note", nargs="*")
    tickets_parser.set_defaults(func=cmd_tickets)
