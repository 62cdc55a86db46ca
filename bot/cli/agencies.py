"""`junxiu agencies add KEY --name NAME --region R --staff-chat CHAT_ID [--duty-phone P]` and
`junxiu agencies list`: the 军休所 on this assistant, each with its staff group."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import run_with_sessions, text

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.settings import Settings


def agency_text(name: str, /, **params: object) -> str:  # "key" is a parameter of some strings
    return text(f"staff.agency.{name}", **params)


def region_name(region: str | None) -> str:
    import knowledge

    if region == "national":  # "未说明地区" is for a cadre; an agency may follow national rules
        return agency_text("region_national")
    return knowledge.load().strings.get(f"region.{region}", region or "-")


def add_parsers(sub: Any) -> None:
    from junxiu_core.model import REGIONS

    agencies = sub.add_parser("agencies", help="军休所: each with its staff group and duty phone")
    agencies_sub = agencies.add_subparsers(dest="agencies_command", required=True)
    add = agencies_sub.add_parser("add", help="add an agency (or update the one with this key)")
    add.add_argument("key", help="a short id, e.g. weihai1")
    add.add_argument("--name", required=True, help="the name rosters use in 所属军休所")
    add.add_argument("--region", required=True, choices=REGIONS,
                     help="whose rules its cadres get unless their record says otherwise")
    add.add_argument("--staff-chat", required=True, metavar="CHAT_ID",
                     help="the Telegram chat id of its staff group")
    add.add_argument("--duty-phone", metavar="PHONE", help="the 24-hour duty phone")
    agencies_sub.add_parser("list", help="every agency with its group, phone and head counts")
    agencies.set_defaults(func=cmd_agencies)


def cmd_agencies(args: argparse.Namespace, settings: Settings) -> int:
    from bot.agencies import store

    async def add(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
        async with sessions.begin() as s:
            agency, created = await store.add_agency(
                s, args.key, name=args.name, region=args.region, staff_chat=args.staff_chat,
                duty_phone=args.duty_phone, now=now)
            return agency_text("added" if created else "updated", key=agency.key,
                               name=agency.name, region=region_name(agency.region),
                               chat=agency.staff_chat,
                               phone=agency.duty_phone or agency_text("no_phone"))

    async def listing(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
        async with sessions() as s:
            lines = await store.list_agencies(s)
        if not lines:
            return agency_text("none")
        return "\n".join([agency_text("list_head"), *(agency_text(
            "list_line", key=x.agency.key, name=x.agency.name,
            region=region_name(x.agency.region), chat=x.agency.staff_chat,
            phone=x.agency.duty_phone or agency_text("no_phone"), cadres=x.cadres,
            staff=x.staff) for x in lines)])

    return run_with_sessions(settings, {"add": add, "list": listing}[args.agencies_command])
