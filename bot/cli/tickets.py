"""`junxiu tickets list|show|reply|close`: the ticket desk from a shell. Replies typed here go
into the same outbox as the bot's, so the running bot delivers them."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import agency_option, cli_scope, run_in_transaction

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    from bot.storage.models import TicketStatus

    tickets_parser = sub.add_parser("tickets", help="the ticket desk")
    tickets_sub = tickets_parser.add_subparsers(dest="tickets_command", required=True)
    one = agency_option()
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


def cmd_tickets(args: argparse.Namespace, settings: Settings) -> int:
    from bot import staff
    from bot.outbox import Outbox

    async def listing(s: AsyncSession, now: datetime) -> str:
        statuses = None if args.all else (args.status,) if args.status else staff.OPEN
        return await staff.queue_text(s, now, await cli_scope(s, args), statuses)

    async def show(s: AsyncSession, now: datetime) -> str:
        return await staff.ticket_text(s, args.number, await cli_scope(s, args),
                                       settings.timezone)

    async def reply(s: AsyncSession, now: datetime) -> str:
        out, ack = await staff.reply(s, args.number, " ".join(args.text), None, now, settings,
                                     await cli_scope(s, args))
        # the bot's own path: the running bot's pump delivers it
        await Outbox.for_settings(settings).put_addressed(s, out, now)
        return ack

    async def close(s: AsyncSession, now: datetime) -> str:
        return await staff.close(s, args.number, " ".join(args.note), None, now,
                                 await cli_scope(s, args))

    return run_in_transaction(settings, {"list": listing, "show": show, "reply": reply,
                                         "close": close}[args.tickets_command])
