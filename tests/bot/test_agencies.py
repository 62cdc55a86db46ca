"""Agencies: the table and its migration, `junxiu agencies add|list`, `junxiu staff add
--agency`, `junxiu cadres move`, routing (which group and duty phone a cadre's matters go to)
and the scoping rule (which cadres and tickets a staff member sees)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import scope
from bot.agencies import Directory, Route
from bot.cli import main
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions, upgrade
from bot.storage.models import Agency, Cadre, Staff, Ticket

NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def agency(key: str, region: str = "weihai", chat: str = "-1001", phone: str | None = None
           ) -> Agency:
    return Agency(key=key, name=f"{key}所", region=region, staff_chat=chat, duty_phone=phone,
                  created_at=NOW)


def settings(**kw: object) -> Settings:
    return Settings(_env_file=None, **kw)


# --- routing (pure) ----------------------------------------------------------------------------


def test_a_cadre_of_an_agency_goes_to_its_group_with_its_duty_phone() -> None:
    d = Directory.of(settings(staff_chat_id=-5, duty_phone="110"),
                     [agency("wh", chat="-100", phone="0631-1"), agency("lc", chat="-200")])

    assert d.route("wh") == Route("wh", "-100", "0631-1", "weihai", "wh所")
    assert d.route("lc").staff_chat == "-200"
    assert d.route("lc").duty_phone is None  # not the other agency's or the settings' number


def test_without_agencies_everything_goes_to_the_settings_group() -> None:
    d = Directory.of(settings(staff_chat_id=-5, duty_phone="0631-999"))

    assert d.route(None) == Route(None, "-5", "0631-999")
    assert d.is_staff_chat("-5") and not d.is_staff_chat("-6")


def test_a_cadre_without_agency_goes_to_the_settings_group_when_there_is_one() -> None:
    d = Directory.of(settings(staff_chat_id=-5), [agency("wh", chat="-100")])

    assert d.route(None, "weihai").staff_chat == "-5"


def test_without_a_settings_group_an_unassigned_cadre_goes_to_their_regions_only_agency() -> None:
    d = Directory.of(settings(), [agency("wh", "weihai", "-100"), agency("lc", "liaocheng", "-200"),
                                  agency("lc2", "liaocheng", "-300")])

    assert d.route(None, "weihai").agency_key == "wh"
    assert d.route(None, "liaocheng").staff_chat is None  # two there: it waits in the queue
    assert d.route(None, None).staff_chat is None


def test_a_sole_agency_takes_every_unassigned_cadre() -> None:
    d = Directory.of(settings(), [agency("wh", chat="-100")])

    assert d.route(None, "jilin").agency_key == "wh"


def test_every_agency_group_is_a_staff_chat() -> None:
    d = Directory.of(settings(staff_chat_id=-5), [agency("wh", chat="-100")])

    assert d.staff_chats() == {"-5", "-100"}
    assert d.region_of("wh") == "weihai" and d.region_of(None) is None


# --- the scoping rule (pure) -------------------------------------------------------------------


def member(role: str = "staff", agency_key: str | None = None) -> Staff:
    return Staff(user_id=1, name="王", role=role, agency_key=agency_key, created_at=NOW)


def test_staff_see_their_own_agency_only() -> None:
    mine = scope.of(member(agency_key="wh"))

    assert mine.sees("wh") and not mine.sees("lc") and not mine.sees(None)


def test_a_supervisor_and_the_cli_see_everything() -> None:
    for everything in (scope.of(member("supervisor", "wh")), scope.of(None),
                       scope.of_agency(None)):
        assert everything.sees("wh") and everything.sees("lc") and everything.sees(None)


def test_staff_without_an_agency_see_the_unassigned_as_in_a_single_agency_set_up() -> None:
    plain = scope.of(member())

    assert plain.sees(None) and not plain.sees("wh")


# --- the database ------------------------------------------------------------------------------


@pytest.fixture
async def sessions(tmp_path: Path):
    url = f"sqlite+aiosqlite:///{tmp_path}/agencies.sqlite3"
    await upgrade(url)
    engine = make_engine(url)
    try:
        yield make_sessions(engine)
    finally:
        await engine.dispose()


async def test_listings_are_narrowed_to_the_scope_in_sql(sessions) -> None:
    async with sessions.begin() as s:
        s.add_all([agency("wh", chat="-100"), agency("lc", chat="-200")])
        await s.flush()
        for key in ("wh", "lc", None):
            cadre = Cadre(name=f"干部{key}", agency_key=key, on_roster=True, merits=[],
                          created_at=NOW, updated_at=NOW)
            s.add(cadre)
            await s.flush()
            s.add(Ticket(cadre_id=cadre.id, agency_key=key, reason="complaint", priority=2,
                         created_at=NOW))
    async with sessions() as s:
        wh = scope.of(member(agency_key="wh"))
        assert (await s.scalars(scope.cadres(select(Cadre.name), wh))).all() == ["干部wh"]
        assert [t.agency_key for t in
                (await s.scalars(scope.tickets(select(Ticket), wh))).all()] == ["wh"]
        unassigned = (await s.scalars(scope.cadres(select(Cadre.name), scope.of(member()))))
        assert unassigned.all() == ["干部None"]
        assert len((await s.scalars(scope.cadres(select(Cadre), scope.EVERYTHING))).all()) == 3


async def test_a_cadre_is_loaded_with_their_agency(sessions) -> None:
    async with sessions.begin() as s:
        s.add(agency("wh", chat="-100"))
        await s.flush()
        s.add(Cadre(name="张", agency_key="wh", on_roster=True, merits=[], created_at=NOW,
                    updated_at=NOW))
    async with sessions() as s:
        cadre = (await s.scalars(select(Cadre))).one()
    assert cadre.agency is not None and cadre.agency.staff_chat == "-100"  # no lazy load


def test_the_migration_builds_what_the_models_declare(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from bot.storage.db import upgrade_sync
    from bot.storage.models import Base

    path = tmp_path / "schema.sqlite3"
    upgrade_sync(f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert diff == []


def test_the_migration_goes_down_to_001_and_up_again(tmp_path: Path) -> None:
    from alembic import command

    from bot.storage.db import alembic_config, upgrade_sync

    url = f"sqlite+aiosqlite:///{tmp_path}/down.sqlite3"
    upgrade_sync(url)
    command.downgrade(alembic_config(url), "001")
    upgrade_sync(url)


# --- the commands ------------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("JUNXIU_DATABASE_URL", url)
    return url


def test_agencies_add_and_list(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agencies", "add", "wh1", "--name", "威海市第一军休所", "--region", "weihai",
                 "--staff-chat", "-1001234", "--duty-phone", "0631-5201234"]) == 0
    assert main(["agencies", "add", "lc", "--name", "聊城军休所", "--region", "liaocheng",
                 "--staff-chat", "-1005678"]) == 0
    assert "已添加军休所 wh1" in capsys.readouterr().out

    assert main(["agencies", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("编号")
    assert out[1].split("\t")[:5] == ["lc", "聊城军休所", "聊城", "-1005678", "未设"]
    assert out[2].split("\t")[:5] == ["wh1", "威海市第一军休所", "威海", "-1001234",
                                      "0631-5201234"]


def test_agencies_add_again_updates(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["agencies", "add", "wh1", "--name", "威海一所", "--region", "weihai",
          "--staff-chat", "-1001"])
    assert main(["agencies", "add", "wh1", "--name", "威海一所", "--region", "weihai",
                 "--staff-chat", "-1002", "--duty-phone", "0631-1"]) == 0
    assert "已更新" in capsys.readouterr().out
    main(["agencies", "list"])
    assert "-1002" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "says"), [
    (["--region", "weihai", "--staff-chat", "群"], "工作群号"),
    (["--region", "weihai", "--staff-chat", "-1", "--duty-phone", "无"], "值班电话"),
])
def test_agencies_add_refuses_what_it_cannot_use(cli_db: str, args: list[str], says: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agencies", "add", "wh1", "--name", "威海一所", *args]) == 1
    assert says in capsys.readouterr().err


def test_agencies_add_refuses_an_unknown_region(cli_db: str) -> None:
    with pytest.raises(SystemExit):
        main(["agencies", "add", "x", "--name", "某所", "--region", "beijing",
              "--staff-chat", "-1"])


def test_two_agencies_cannot_share_a_name(cli_db: str, capsys) -> None:
    main(["agencies", "add", "a", "--name", "某所", "--region", "weihai", "--staff-chat", "-1"])
    assert main(["agencies", "add", "b", "--name", "某所", "--region", "weihai",
                 "--staff-chat", "-2"]) == 1
    assert "已被军休所 a 使用" in capsys.readouterr().err


def test_staff_add_with_an_agency(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    main(["agencies", "add", "wh1", "--name", "威海一所", "--region", "weihai",
          "--staff-chat", "-1001"])
    assert main(["staff", "add", "123", "--name", "王主任", "--agency", "wh1"]) == 0
    assert main(["staff", "add", "124", "--name", "李处长", "--role", "supervisor"]) == 0
    assert main(["staff", "add", "125", "--name", "赵", "--agency", "nowhere"]) == 1
    capsys.readouterr()
    main(["staff", "list"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t") == ["123", "王主任", "工作人员", "威海一所"]
    assert lines[1].split("\t")[:3] == ["124", "李处长", "主管（可看全部军休所）"]
    assert len(lines) == 2


def test_cadres_move_moves_the_cadre_and_their_open_tickets(
        cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    main(["agencies", "add", "wh1", "--name", "威海一所", "--region", "weihai",
          "--staff-chat", "-1001"])
    main(["agencies", "add", "lc", "--name", "聊城所", "--region", "liaocheng",
          "--staff-chat", "-1002"])

    async def seed() -> None:
        engine = make_engine(cli_db)
        async with make_sessions(engine).begin() as s:
            cadre = Cadre(name="张建国", agency_key="wh1", on_roster=True, merits=[],
                          created_at=NOW, updated_at=NOW)
            s.add(cadre)
            await s.flush()
            s.add_all([Ticket(cadre_id=cadre.id, agency_key="wh1", staff_chat="-1001",
                              reason="complaint", priority=2, status="open", created_at=NOW),
                       Ticket(cadre_id=cadre.id, agency_key="wh1", staff_chat="-1001",
                              reason="complaint", priority=2, status="closed",
                              created_at=NOW)])
        await engine.dispose()

    asyncio.run(seed())
    capsys.readouterr()
    assert main(["cadres", "move", "张建国", "--agency", "lc"]) == 0
    assert "转到 聊城所，1 张未结工单" in capsys.readouterr().out

    async def read() -> list[tuple[str | None, str | None, str]]:
        engine = make_engine(cli_db)
        async with make_sessions(engine)() as s:
            cadre = (await s.scalars(select(Cadre))).one()
            rows = [(t.agency_key, t.staff_chat, t.status)
                    for t in (await s.scalars(select(Ticket).order_by(Ticket.id))).all()]
            rows.insert(0, (cadre.agency_key, None, "cadre"))
        await engine.dispose()
        return rows

    assert asyncio.run(read()) == [("lc", None, "cadre"), ("lc", "-1002", "open"),
                                   ("wh1", "-1001", "closed")]
    assert main(["cadres", "move", "张建国", "--agency", "nowhere"]) == 1
    assert main(["cadres", "move", "查无此人", "--agency", "lc"]) == 1
