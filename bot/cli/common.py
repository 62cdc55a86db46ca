"""What the `junxiu` commands share: the database for one command, the `--agency` option, dates
on the command line, the staff texts. Light to import: `junxiu ask` reads `iso_date` from here
and must start fast, so the database layer is imported inside the functions that use it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from bot.scope import Scope
    from bot.settings import Settings

CHINA = ZoneInfo("Asia/Shanghai")
T = TypeVar("T")

# One transaction for the whole command, and the moment it runs.
InSession = Callable[["AsyncSession", datetime], Awaitable[Any]]
# The session factory, for commands that open their own transactions.
WithSessions = Callable[["async_sessionmaker[AsyncSession]", datetime], Awaitable[Any]]


def today_in_china() -> date:
    return datetime.now(CHINA).date()


def utc_now() -> datetime:
    return datetime.now(UTC)


def staff_text(name: str, /, **params: object) -> str:
    """A `staff.cli.*` string (knowledge/data/answers/staff_cli.yaml)."""
    return text(f"staff.cli.{name}", **params)


def text(key: str, /, **params: object) -> str:
    import knowledge

    return knowledge.load().string(key, **params)


def iso_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {raw!r}") from exc


def _iso_datetime(raw: str) -> datetime:
    moment = datetime.fromisoformat(raw)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# argparse names the type in its error ("invalid _iso_datetime value: 'x'"): scripts see that
# text, so the function keeps its old name behind the public one.
iso_datetime = _iso_datetime


def agency_option() -> argparse.ArgumentParser:
    """`--agency KEY`, as a parent parser for the commands that can be scoped to one agency."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--agency", metavar="KEY",
                        help="only this agency's cadres and tickets (default: all)")
    return parent


async def cli_scope(s: AsyncSession, args: argparse.Namespace) -> Scope:
    """`--agency KEY`: that agency's matters only; without it the server's whole view."""
    from bot import scope
    from bot.agencies import store as agency_store

    key = getattr(args, "agency", None)
    if key is None:
        return scope.EVERYTHING
    return scope.of_agency((await agency_store.agency_or_fail(s, key)).key)


async def with_sessions(settings: Settings,
                        use: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]) -> T:
    """The database migrated (a command may be the first thing run on it), then `use`."""
    from bot.storage.db import make_engine, make_sessions, upgrade

    await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return await use(make_sessions(engine))
    finally:
        await engine.dispose()


async def in_transaction(settings: Settings, work: InSession) -> Any:
    async def use(sessions: async_sessionmaker[AsyncSession]) -> Any:
        async with sessions.begin() as s:
            return await work(s, utc_now())

    return await with_sessions(settings, use)


def run_in_transaction(settings: Settings, work: InSession) -> int:
    """A staff command in one transaction: what it says on stdout (exit 0), or why it could
    not on stderr (exit 1, nothing stored)."""
    return _report(lambda: in_transaction(settings, work))


def run_with_sessions(settings: Settings, work: WithSessions) -> int:
    """As `run_in_transaction`, for a command that opens its transactions itself."""
    return _report(lambda: with_sessions(settings, lambda sessions: work(sessions,
                                                                         utc_now())))


def _report(command: Callable[[], Awaitable[Any]]) -> int:
    from bot.agencies.store import AgencyError
    from bot.staff import DeskError

    try:
        message = asyncio.run(command())
    except (DeskError, AgencyError) as exc:
        print(exc, file=sys.stderr)
        return 1
    if message:
        print(message)
    return 0
