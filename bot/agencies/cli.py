"""`junxiu agencies add|list` and `junxiu cadres move KEY --agency KEY`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import knowledge
from bot.agencies import store
from bot.agencies.store import AgencyError
from bot.storage.models import Agency, Cadre
from junxiu_core.model import REGIONS


def _s(name: str, /, **params: object) -> str:  # "key" is a parameter of some strings
    return knowledge.load().string(f"staff.agency.{name}", **params)


def region_name(region: str | None) -> str:
    if region == "national":  # "未说明地区" is for a cadre; an agency may follow national rules
        return _s("region_national")
    return knowledge.load().strings.get(f"region.{region}", region or "-")


async def _with_sessions(work: Callable[[async_sessionmaker[AsyncSession], datetime],
                                        Awaitable[Any]]) -> Any:
    from bot.settings import Settings
    from bot.storage.db import make_engine, make_sessions, upgrade

    url = Settings().database_url
    await upgrade(url)
    engine = make_engine(url)
    try:
        return await work(make_sessions(engine), datetime.now(UTC))
    finally:
        await engine.dispose()


def _run(work: Callable[[async_sessionmaker[AsyncSession], datetime], Awaitable[str]]) -> int:
    try:
        print(asyncio.run(_with_sessions(work)))
    except AgencyError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_agencies(args: argparse.Namespace) -> int:
    async def add(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
        async with sessions.begin() as s:
            agency, created = await store.add_agency(
                s, args.key, name=args.name, region=args.region, staff_chat=args.staff_chat,
                duty_phone=args.duty_phone, now=now)
            return _s("added" if created else "updated", key=agency.key, name=agency.name,
                      region=region_name(agency.region), chat=agency.staff_chat,
                      phone=agency.duty_phone or _s("no_phone"))

    async def listing(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
        async with sessions() as s:
            lines = await store.list_agencies(s)
        if not lines:
            return _s("none")
        return "\n".join([_s("list_head"), *(_s(
            "list_line", key=x.agency.key, name=x.agency.name,
            region=region_name(x.agency.region), chat=x.agency.staff_chat,
            phone=x.agency.duty_phone or _s("no_phone"), cadres=x.cadres, staff=x.staff)
            for x in lines)])

    return _run({"add": add, "list": listing}[args.agencies_command])


def cmd_cadres_move(args: argparse.Namespace) -> int:
    from bot.roster import cadre_line, find_cadres

    async def move(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
        found = await find_cadres(sessions, args.key)
        if not found:
            raise AgencyError(_s("no_cadre", key=args.key))
        if len(found) > 1:
            today = now.date()
            raise AgencyError("\n".join([_s("several", count=len(found), key=args.key),
                                         *(cadre_line(c, today) for c in found)]))
        async with sessions.begin() as s:
            agency = await store.agency_or_fail(s, args.agency)
            cadre = await s.get(Cadre, found[0].id)
            assert cadre is not None
            before = cadre.agency_key
            name = cadre.name or "-"
            if before == agency.key:
                return _s("moved_same", name=name, id=cadre.id, after=agency.name)
            old = await s.get(Agency, before) if before else None
            tickets = await store.move_cadre(s, cadre, agency, now)
            return _s("moved", name=name, id=cadre.id,
                      before=old.name if old else _s("default_name"), after=agency.name,
                      tickets=tickets)

    return _run(move)


def add_parsers(sub: Any) -> None:
    """`junxiu agencies …`, for bot.cli.build_parser."""
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


def add_move_parser(cadres_sub: Any) -> None:
    """`junxiu cadres move KEY --agency KEY`, beside the other `cadres` subcommands."""
    move = cadres_sub.add_parser("move", help="move one cadre to another agency")
    move.add_argument("key", help="cadre id, phone, invite code or name")
    move.add_argument("--agency", required=True, help="the agency's key")
