"""aiosqlite with fewer trips to its thread.

aiosqlite runs each call on a thread of its own and wakes the event loop when it is done; as
SQLAlchemy drives it, a statement costs three such trips (make a cursor, execute, fetch the
rows or close) and every commit and rollback one more, even when there is no transaction to end
(the pool rolls back each connection it gets back). At about 50 trips an answered message, the
trips cost more CPU than SQLite itself (bench/load.py, docs/pipeline.md). Here a statement is one
trip (cursor, execute, fetch all, close, done together on the thread), and commit and rollback
make none when sqlite3 reports no open transaction, which is what sqlite3 itself checks first.

Tied to SQLAlchemy's adapter classes (sqlalchemy.dialects.sqlite.aiosqlite) and aiosqlite's
queue, as SQLAlchemy's own adapter is; both are pinned in pyproject.toml and
tests/bot/test_storage_sqlite.py checks the behaviour a version change could break.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

# (description, rows or None, rowcount, lastrowid) of one statement
_Outcome = tuple[Any, list[Any] | None, int, int | None]


def _run(conn: sqlite3.Connection, many: bool, operation: str, parameters: Any) -> _Outcome:
    """On aiosqlite's thread: the whole statement, its rows read before the cursor closes."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else None
        return cursor.description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A buffered cursor whose statement goes to the thread once; it holds no sqlite3 cursor
    between calls, so it has nothing to close."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no cursor made on the thread yet
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:  # type: ignore[override]
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass  # every row is fetched at once anyway

    async def _run(self, many: bool, operation: Any, parameters: Any) -> None:
        async with self._adapt_connection._execute_mutex:
            conn: aiosqlite.Connection = self._connection  # type: ignore[assignment]
            outcome = await conn._execute(_run, conn._conn, many, operation, parameters)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows or ())

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(False, operation, parameters)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(True, operation, seq_of_parameters)

    async def _async_soft_close(self) -> None:
        return None  # the rows are buffered and the sqlite3 cursor already closed

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    _cursor_cls = OneTripCursor

    def _in_transaction(self) -> bool:
        try:
            return self._connection._conn.in_transaction
        except (ValueError, sqlite3.ProgrammingError):  # closed, or another thread's: let
            return True  # aiosqlite's thread answer, as before

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDBAPI:
    """For `create_async_engine(..., module=dbapi())` on a sqlite+aiosqlite URL."""
    return OneTripDBAPI(aiosqlite, sqlite3)


__all__ = ["OneTripConnection", "OneTripCursor", "dbapi"]
