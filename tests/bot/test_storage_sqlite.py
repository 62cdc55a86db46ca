"""bot/storage/sqlite.py: a statement is one trip to aiosqlite's thread, and nothing a DBAPI
cursor tells SQLAlchemy is lost on the way (rows, RETURNING, rowcount, lastrowid, errors,
transactions)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.storage.db import make_engine
from bot.storage.sqlite import OneTripConnection


@pytest.fixture
async def engine(tmp_path: Path):
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_the_engine_uses_the_one_trip_connection(engine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneTripConnection)


async def test_rows_rowcount_lastrowid_and_returning_come_back(engine) -> None:
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.lastrowid == 1
        await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}])
        updated = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id > 1"))
        assert updated.rowcount == 2
        returned = await conn.execute(text("UPDATE t SET v = 'z' WHERE id = 1 RETURNING id, v"))
        assert returned.all() == [(1, "z")]
        rows = await conn.execute(text("SELECT id, v FROM t ORDER BY id"))
        assert list(rows.keys()) == ["id", "v"]
        assert rows.all() == [(1, "z"), (2, "b!"), (3, "c!")]


async def test_a_rollback_undoes_and_an_error_is_sqlalchemys(engine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO t (v) VALUES ('kept')"))
        await conn.commit()
        await conn.execute(text("INSERT INTO t (v) VALUES ('undone')"))
        await conn.rollback()
        with pytest.raises(IntegrityError):
            await conn.execute(text("INSERT INTO t (v) VALUES ('kept')"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT v FROM t"))).scalars().all() == ["kept"]


async def test_a_statement_goes_to_the_thread_once(engine) -> None:
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).dbapi_connection
        queue = raw._connection._tx
        trips = []
        put = queue.put_nowait

        class Counting:
            def put_nowait(self, item):
                trips.append(item)
                put(item)

        raw._connection._tx = Counting()
        try:
            await conn.execute(text("SELECT 1"))
            await conn.rollback()  # nothing to roll back: no trip
        finally:
            raw._connection._tx = queue
    assert len(trips) == 1
