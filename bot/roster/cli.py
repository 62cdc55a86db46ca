"""`junxiu cadres import FILE [--agency KEY] [--dry-run] | list | show KEY | move | export |
forget`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.roster.model import ImportReport, ParsedRoster, RosterError, msg
from bot.roster.read import read_grid
from bot.roster.store import find_cadres, import_roster, list_cadres
from bot.roster.table import Agencies, parse_table
from bot.roster.views import cadre_detail, cadre_line, report_text

CHINA = ZoneInfo("Asia/Shanghai")


def parse_roster(path: Path, today: date, agencies: Agencies | None = None) -> ParsedRoster:
    """Read a roster file into valid rows, rejected ones (each with a reason for staff),
    skipped ones, the columns nobody reads and notes."""
    grid = read_grid(Path(path))
    return parse_table(grid.rows, today, agencies=agencies, formats=grid.formats)


async def load_agencies(s: Any, given: str | None) -> Agencies:
    """The agencies a roster may name (by name or key), and `--agency KEY` checked."""
    from bot.agencies.store import name_key
    from bot.storage.models import Agency

    rows = (await s.scalars(select(Agency))).all()
    by_name = {name_key(a.name): a.key for a in rows} | {name_key(a.key): a.key for a in rows}
    if given is not None and given not in {a.key for a in rows}:
        raise RosterError(msg("agency_given_unknown", key=given))
    return Agencies(by_name, given)


async def run_import(database_url: str, path: Path, today: date, now: datetime, *,
                     agency: str | None = None, dry_run: bool = False) -> ImportReport:
    """Read the file (a RosterError leaves the database untouched), migrate, read the
    agencies its 所属军休所 may name, import."""
    from bot.storage.db import make_engine, make_sessions, upgrade

    grid = read_grid(Path(path))
    parse_table(grid.rows, today, formats=grid.formats)  # the file as a whole is readable
    await upgrade(database_url)
    engine = make_engine(database_url)
    try:
        sessions = make_sessions(engine)
        async with sessions() as s:
            agencies = await load_agencies(s, agency)
        parsed = parse_table(grid.rows, today, agencies=agencies, formats=grid.formats)
        return await import_roster(sessions, parsed, now, dry_run=dry_run)
    finally:
        await engine.dispose()


def cmd_cadres_import(args: argparse.Namespace) -> int:
    """Exit 0: all rows stored; 1: some rows rejected (listed); 2: the file was not read."""
    from bot.settings import Settings

    now = datetime.now(UTC)
    try:
        report = asyncio.run(run_import(
            Settings().database_url, Path(args.file), now.astimezone(CHINA).date(), now,
            agency=getattr(args, "agency", None), dry_run=getattr(args, "dry_run", False)))
    except RosterError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report_text(report))
    return 1 if report.rejected else 0


async def _with_sessions(use: Any) -> Any:
    from bot.settings import Settings
    from bot.storage.db import make_engine, make_sessions, upgrade

    url = Settings().database_url
    await upgrade(url)
    engine = make_engine(url)
    try:
        return await use(make_sessions(engine))
    finally:
        await engine.dispose()


def _scope(agency: str | None) -> Any:
    from bot import scope

    return scope.of_agency(agency)


def cmd_cadres_list(args: argparse.Namespace) -> int:
    within = _scope(getattr(args, "agency", None))
    cadres = asyncio.run(_with_sessions(lambda sessions: list_cadres(
        sessions, roster_only=not getattr(args, "all", False), within=within)))
    today = datetime.now(CHINA).date()
    for cadre in cadres:
        print(cadre_line(cadre, today))
    return 0


def cmd_cadres_show(args: argparse.Namespace) -> int:
    """One cadre by id, phone, invite code or name: every field kept. A name two cadres
    share shows both."""
    within = _scope(getattr(args, "agency", None))
    found = asyncio.run(_with_sessions(lambda sessions: find_cadres(sessions, args.key,
                                                                   within=within)))
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


def cmd_cadres(args: argparse.Namespace) -> int:
    """`junxiu cadres import FILE | list [--all] | show KEY | move | export | forget`."""
    from bot.agencies.cli import cmd_cadres_move
    from bot.privacy import cmd_export, cmd_forget

    commands = {"import": cmd_cadres_import, "list": cmd_cadres_list, "show": cmd_cadres_show,
                "export": cmd_export, "forget": cmd_forget, "move": cmd_cadres_move}
    return commands[args.cadres_command](args)


def add_parsers(sub: Any) -> None:
    """The `cadres` subcommands, for bot.cli.build_parser (as bot.desk.add_parsers)."""
    from bot.agencies.cli import add_move_parser

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
    add_move_parser(cadres_sub)
    cadres.set_defaults(func=cmd_cadres)
