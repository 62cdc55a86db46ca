"""Reading a roster file and importing it: the file read whole first (a RosterError leaves the
database untouched), then the agencies its 所属军休所 may name, then one transaction."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.roster.model import ImportReport, ParsedRoster, RosterError, msg
from bot.roster.read import read_grid
from bot.roster.store import import_roster
from bot.roster.table import Agencies, parse_table


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
