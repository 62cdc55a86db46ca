"""`junxiu cadres import FILE [--agency KEY] [--dry-run] | list [--all] | show KEY | move KEY
--agency KEY | export ID | forget ID [--yes]`: the cadre roster."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.cli.common import (
    CHINA,
    run_in_transaction,
    run_with_sessions,
    staff_text,
    with_sessions,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    cadres = sub.add_parser("cadres", help="the cadre roster: import, list, show, move")
    cadres_sub = cadres.add_subparsers(dest="cadres_command", required=True)
    imp = cadres_sub.add_parser(
        "import", help="import the roster from .csv/.xlsx (exit 1 if rows were rejected)")
    imp.add_argument("file", help="姓名, 电话/联系电话/手机, 出生年月, 离休/退休, 职级, 是否独居, "
                                  "立功受奖情况, 所属军休所, 身份证号 … (or the English names)")
    imp.add_argument("--agency", metavar="KEY",
                     help="every cadre in the file belongs to this agency")
    imp.add_argument("--dry-run", action="store_true",
                     help="show what would change and store nothing")
    listing = cadres_sub.add_parser("list", help="roster cadres, phones masked")
    listing.add_argument("--all", action="store_true",
                         help="also those who wrote to the bot but are not on the roster")
    listing.add_argument("--agency", metavar="KEY", help="only this agency's cadres")
    show = cadres_sub.add_parser("show", help="one cadre by id, phone, invite code or name")
    show.add_argument("key")
    show.add_argument("--agency", metavar="KEY", help="only among this agency's cadres")
    export = cadres_sub.add_parser("export", help="everything stored about one cadre, as JSON")
    export.add_argument("id", type=int)
    forget = cadres_sub.add_parser("forget", help="erase one cadre's personal data")
    forget.add_argument("id", type=int)
    forget.add_argument("--yes", action="store_true", help="do it (otherwise only say what)")
    move = cadres_sub.add_parser("move", help="move one cadre to another agency")
    move.add_argument("key", help="cadre id, phone, invite code or name")
    move.add_argument("--agency", required=True, help="the agency's key")
    cadres.set_defaults(func=cmd_cadres)


def cmd_cadres(args: argparse.Namespace, settings: Settings) -> int:
    commands = {"import": cmd_import, "list": cmd_list, "show": cmd_show,
                "export": cmd_export, "forget": cmd_forget, "move": cmd_move}
    return commands[args.cadres_command](args, settings)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0: all rows stored; 1: some rows rejected (listed); 2: the file was not read."""
    from bot.roster import RosterError, report_text, run_import

    now = datetime.now(UTC)
    try:
        report = asyncio.run(run_import(
            settings.database_url, Path(args.file), now.astimezone(CHINA).date(), now,
            agency=getattr(args, "agency", None), dry_run=getattr(args, "dry_run", False)))
    except RosterError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report_text(report))
    return 1 if report.rejected else 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    from bot import scope
    from bot.roster import cadre_line, list_cadres

    within = scope.of_agency(getattr(args, "agency", None))
    cadres = asyncio.run(with_sessions(settings, lambda sessions: list_cadres(
        sessions, roster_only=not getattr(args, "all", False), within=within)))
    today = datetime.now(CHINA).date()
    for cadre in cadres:
        print(cadre_line(cadre, today))
    return 0


def cmd_show(args: argparse.Namespace, settings: Settings) -> int:
    """One cadre by id, phone, invite code or name: every field kept. A name two cadres
    share shows both."""
    from bot import scope
    from bot.roster import cadre_detail, find_cadres
    from bot.roster.model import msg

    within = scope.of_agency(getattr(args, "agency", None))
    found = asyncio.run(with_sessions(settings, lambda sessions: find_cadres(
        sessions, args.key, within=within)))
    today = datetime.now(CHINA).date()
    if not found:
        print(msg("show_none", key=args.key), file=sys.stderr)
        return 1
    if len(found) > 1:
        print(msg("show_several", count=len(found), key=args.key))
        print("\n\n".join(cadre_detail(c, today) for c in found))
        return 0
    print(cadre_detail(found[0], today))
    return 0


def cmd_move(args: argparse.Namespace, settings: Settings) -> int:
    from bot.agencies import store
    from bot.agencies.store import AgencyError
    from bot.cli.agencies import agency_text
    from bot.roster import cadre_line, find_cadres
    from bot.storage.models import Agency, Cadre

    async def move(sessions: async_sessionmaker[AsyncSession], now: datetime) -> str:
        found = await find_cadres(sessions, args.key)
        if not found:
            raise AgencyError(agency_text("no_cadre", key=args.key))
        if len(found) > 1:
            today = now.date()
            raise AgencyError("\n".join([agency_text("several", count=len(found), key=args.key),
                                         *(cadre_line(c, today) for c in found)]))
        async with sessions.begin() as s:
            agency = await store.agency_or_fail(s, args.agency)
            cadre = await s.get(Cadre, found[0].id)
            assert cadre is not None
            before = cadre.agency_key
            name = cadre.name or "-"
            if before == agency.key:
                return agency_text("moved_same", name=name, id=cadre.id, after=agency.name)
            old = await s.get(Agency, before) if before else None
            tickets = await store.move_cadre(s, cadre, agency, now)
            return agency_text("moved", name=name, id=cadre.id,
                               before=old.name if old else agency_text("default_name"),
                               after=agency.name, tickets=tickets)

    return run_with_sessions(settings, move)


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from bot import privacy
    from bot.storage import repo

    async def work(s: AsyncSession, now: datetime) -> str:
        data = await privacy.export(s, args.id)
        if data is None:
            raise _missing(args.id)
        await repo.audit(s, "cli", "cadre.export", now, cadre_id=args.id)
        return json.dumps(data, ensure_ascii=False, indent=2, default=str)

    return run_in_transaction(settings, work)


def cmd_forget(args: argparse.Namespace, settings: Settings) -> int:
    from bot import privacy
    from bot.storage.models import Cadre

    async def work(s: AsyncSession, now: datetime) -> str:
        if not args.yes:
            if await s.get(Cadre, args.id) is None:
                raise _missing(args.id)
            return staff_text("forget_preview", id=args.id)
        if not await privacy.forget(s, args.id, now):
            raise _missing(args.id)
        return staff_text("forgotten", id=args.id)

    return run_in_transaction(settings, work)


def _missing(cadre_id: int) -> Exception:
    from bot.staff import DeskError

    return DeskError(staff_text("no_cadre", id=cadre_id))
