"""`junxiu contacts add CADRE 电话|上门|call|visit [NOTE…]`: a call or visit staff made (it
counts for the monthly duty and the six-month rule)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import iso_datetime, run_in_transaction

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    contacts = sub.add_parser("contacts", help="record calls and visits")
    contacts_sub = contacts.add_subparsers(dest="contacts_command", required=True)
    add = contacts_sub.add_parser("add", help="a call or visit staff made")
    add.add_argument("cadre", help="cadre id, phone or name")
    add.add_argument("kind", choices=["电话", "上门", "call", "visit"])
    add.add_argument("note", nargs="*")
    add.add_argument("--at", type=iso_datetime, help="when (default: now)")
    add.add_argument("--field", action="append", metavar="KEY=VALUE",
                     help="visit record fields (思想, 健康, 医疗, 爱好, 社交, 家庭, 生活, 建议)")
    contacts.set_defaults(func=cmd_contacts)


def cmd_contacts(args: argparse.Namespace, settings: Settings) -> int:
    from bot import staff

    async def add(s: AsyncSession, now: datetime) -> str:
        record = dict(item.split("=", 1) for item in args.field) if args.field else None
        return await staff.record_contact(s, args.cadre, args.kind, " ".join(args.note),
                                          None, args.at or now, record)

    return run_in_transaction(settings, add)
