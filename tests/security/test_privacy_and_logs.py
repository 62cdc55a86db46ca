"""Personal data stays where it belongs.

- Logs: a whole conversation and the staff's work, through the real PTB and aiogram stacks with
  every logger at DEBUG (httpx, httpcore, aiohttp, telegram, aiogram, SQLAlchemy, aiosqlite)
  and logging set up exactly as `junxiu run` does it, never print the bot token or a mobile
  number in full.
- `junxiu cadres export ID` prints that cadre's data and nobody else's.
- `junxiu cadres forget ID --yes` leaves nothing that names the cadre (name, phone, messages,
  voice files) anywhere in the database, and leaves every other cadre as they were.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import privacy
from bot.app import build_app
from bot.cli import main as junxiu
from bot.logs import MaskingFilter, mask, setup_logging
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage.db import make_sessions
from bot.storage.models import Cadre, Staff, Ticket
from tests.e2e.conftest import FRAMEWORKS, BotRunner, replies_to
from tests.helpers.fake_bot_api import FakeBotAPI

# A token shaped like BotFather's: the bot id, a colon, 35 characters.
TOKEN = "7012345678:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9"
SECRET = TOKEN.split(":")[1]
PHONE = "13800138000"
OTHER_PHONE = "13900139000"
CADRE, STAFF_USER, STAFF_CHAT = 4242, 777001, -100777


# -- mask() ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "masked"), [
    (f"POST https://api.telegram.org/bot{TOKEN}/getUpdates",
     "POST https://api.telegram.org/bot<token>/getUpdates"),
    (f"token={TOKEN}&x=1", "token=<token>&x=1"),
    ("电话：13800138000", "电话：138****8000"),
    ("+8613800138000", "+86****8000"),
    ("+86 13800138000", "+86****8000"),
    ("86-13800138000", "86-****8000"),
    ("138 0013 8000", "138****8000"),
    ("138-0013-8000", "138****8000"),
    ("+86 138 0013 8000", "+86****8000"),
    ("{'phone': '13800138000', 'n': 2}", "{'phone': '138****8000', 'n': 2}"),
    ("13800138000,13900139000", "138****8000,139****9000"),
    ('{"text": "\\u5df2\\u7ed913900139000"}', '{"text": "\\u5df2\\u7ed9139****9000"}'),
    (f"GET /file/bot{TOKEN.replace(':', '%3A')}/voice/file_1.oga",
     "GET /file/bot<token>/voice/file_1.oga"),
])
def test_mask_hides_tokens_and_mobile_numbers(raw: str, masked: str) -> None:
    assert mask(raw) == masked
    assert PHONE not in digits_joined(mask(raw))


@pytest.mark.parametrize("kept", [
    "自付了120000元", "2026-11-22 10:00:00", "#12 工单", "编号1380013", "12345678901234567890",
    "update_id=138001380001", "110 119 120", "医疗补助45000元",
    "123456:TEST-token",  # too short to be a real token: left alone (see the e2e test)
])
def test_mask_leaves_other_numbers_alone(kept: str) -> None:
    assert mask(kept) == kept


@pytest.mark.parametrize(("raw", "masked"), [
    ("010-12345678", "010****5678"), ("电话0631-5201234", "电话063****1234"),
    ("(021)62345678", "021****5678"), ("06315201234", "063****1234"),
    ("身份证370102194103051234", "身份证370***********1234"),
    ("37010219410305123X", "370***********123X"),
])
def test_landlines_and_id_numbers_are_masked_by_the_same_rule(raw: str, masked: str) -> None:
    assert mask(raw) == masked


def test_the_filter_masks_arguments_and_keeps_the_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "send %s to %s",
                               (f"bot{TOKEN}", {"phone": PHONE}), None)
    assert MaskingFilter().filter(record) is True
    assert TOKEN not in record.getMessage() and PHONE not in record.getMessage()
    assert "138****8000" in record.getMessage()


def digits_joined(text: str) -> str:
    """Spaces and dashes between digits removed: "138 0013 8000" shows as 13800138000."""
    return re.sub(r"(?<=\d)[\s\-]+(?=\d)", "", text)


# -- every log line of a real run ----------------------------------------------------------------

NOISY = ("httpx", "httpcore", "aiohttp", "aiohttp.access", "aiohttp.client", "aiohttp.server",
         "telegram", "telegram.ext", "telegram.Bot", "aiogram", "aiogram.event",
         "aiogram.dispatcher", "sqlalchemy", "sqlalchemy.engine", "sqlalchemy.pool",
         "aiosqlite", "asyncio", "apscheduler", "bot")


class Collect(logging.Handler):
    """Every record, as the masking handler left it, formatted with tracebacks."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def run_logging() -> Iterator[tuple[io.StringIO, Collect]]:
    """`junxiu run`'s logging (setup_logging) at DEBUG, every library logger at DEBUG too,
    its output captured; the test process's logging restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in NOISY}
    setup_logging(logging.DEBUG)
    [handler] = root.handlers
    stream = io.StringIO()
    handler.setStream(stream)
    for name in NOISY:  # worst case: even httpx, which setup_logging quiets, at DEBUG
        logging.getLogger(name).setLevel(logging.DEBUG)
    collect = Collect()
    root.addHandler(collect)  # after the masking handler: sees what it printed
    try:
        yield stream, collect
    finally:
        root.handlers[:], root.level = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def leaks(text: str) -> list[str]:
    found = []
    if TOKEN in text or SECRET in text:
        found.append("the bot token")
    joined = digits_joined(text)
    found += [f"the phone {p}" for p in (PHONE, OTHER_PHONE) if p in joined]
    return found


@pytest.mark.e2e
@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_a_debug_run_logs_no_token_and_no_phone_number(
        framework: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        run_logging: tuple[io.StringIO, Collect]) -> None:
    stream, collect = run_logging
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    monkeypatch.chdir(tmp_path)
    async with FakeBotAPI(token=TOKEN) as api:
        api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
        settings = Settings(_env_file=None, telegram_token=TOKEN, telegram_api_url=api.url,
                            database_url=f"sqlite+aiosqlite:///{tmp_path}/bot.sqlite3",
                            staff_chat_id=STAFF_CHAT)
        bot = BotRunner(framework, api, settings)
        await bot.start()
        try:
            now = datetime.now(UTC)
            async with bot.sessions.begin() as s:
                s.add(Cadre(name="王建国", phone=PHONE, region="jilin", on_roster=True,
                            merits=[], created_at=now, updated_at=now))
                s.add(Staff(user_id=STAFF_USER, name="赵主任", role="staff", created_at=now))
            await replies_to(api, lambda: api.push_command(CADRE, "start"), count=2)
            await replies_to(api, lambda: api.push_contact(CADRE, "+86 138 0013 8000"))
            await replies_to(api, lambda: api.push_text(CADRE,
                                                         f"我的电话是{PHONE}，医疗补助怎么算"))
            await replies_to(api, lambda: api.push_text(CADRE, "我老伴的电话138-0013-8000"))
            [post] = await replies_to(api, lambda: api.push_text(CADRE, "转人工"),
                                      chat_id=STAFF_CHAT)
            assert PHONE in post.params["text"]  # staff do see it, in their group
            [shown] = await replies_to(api, lambda: api.push_command(
                STAFF_USER, "ticket", "1", chat_id=STAFF_CHAT), chat_id=STAFF_CHAT)
            assert PHONE in shown.params["text"]
            await replies_to(api, lambda: api.push_command(
                STAFF_USER, "contacted", f"{PHONE} 电话 已回电", chat_id=STAFF_CHAT),
                chat_id=STAFF_CHAT)
            api.fail_next("sendMessage", status=500)  # a failure path logs too
            await replies_to(api, lambda: api.push_command(
                STAFF_USER, "reply", f"1 已给{OTHER_PHONE}回电", chat_id=STAFF_CHAT),
                count=2, timeout=15)
            api.push_voice(CADRE, b"OggS fake voice")
            await api.wait_for("sendVoice", lambda c: c.params["chat_id"] == STAFF_CHAT)
        finally:
            await bot.stop()

    printed = stream.getvalue()
    # The libraries did log: PTB each Bot API call, aiogram each update; SQL for both.
    assert ("sendMessage" if framework == "ptb" else "is handled") in printed
    assert "INSERT INTO messages" in printed
    assert len(collect.lines) > 100
    assert not leaks(printed), leaks(printed)
    leaking = [line[:300] for line in collect.lines if leaks(line)]
    assert not leaking, leaking[:5]


# -- export and forget -------------------------------------------------------------------------

A_NAME, B_NAME = "王建国", "李秀英"
A_SAYS = ("我在吉林，医疗补助怎么算", "转人工")
B_SAYS = ("出国要报备吗", "我要投诉，电话打不通")
A_USER, B_USER = 4242, 4343


def incoming(user: int, chat: int, now: datetime, n: int, **fields) -> Incoming:
    return Incoming(transport="telegram", user_id=str(user), chat_id=str(chat), at=now,
                    update_id=n, first_name="测试",
                    chat_type="private" if chat > 0 else "supergroup", **fields)


async def populate(url: str) -> tuple[int, int]:
    """Two roster cadres who talked, asked for staff, were answered and sent a voice note."""
    settings = Settings(_env_file=None, database_url=url, staff_chat_id=STAFF_CHAT)
    app = await build_app(settings)
    ids = iter(range(1, 1000))
    try:
        now = datetime.now(UTC)
        async with make_sessions(app.engine).begin() as s:
            a = Cadre(name=A_NAME, phone=PHONE, region="jilin", on_roster=True, merits=[],
                      created_at=now, updated_at=now)
            b = Cadre(name=B_NAME, phone=OTHER_PHONE, region="shanghai", on_roster=True,
                      merits=[], created_at=now, updated_at=now)
            s.add_all([a, b, Staff(user_id=STAFF_USER, name="赵主任", role="staff",
                                   created_at=now)])
        service = app.service
        for user, phone, says in ((A_USER, PHONE, A_SAYS), (B_USER, OTHER_PHONE, B_SAYS)):
            await service.handle(incoming(user, user, now, next(ids), kind="contact",
                                          contact_phone=phone, contact_user_id=str(user)))
            for text in says:
                await service.handle(incoming(user, user, now, next(ids), text=text))
            await service.handle(incoming(user, user, now, next(ids), kind="voice",
                                          voice=f"OggS voice of {user}".encode()))
        async with make_sessions(app.engine)() as s:
            tickets = (await s.scalars(select(Ticket).order_by(Ticket.id))).all()
        for ticket in tickets:  # staff look at, answer and name every ticket
            for text in (f"/ticket {ticket.id}", f"/reply {ticket.id} 已安排，请保持电话畅通",
                         f"/contacted {ticket.cadre_id} 电话 已回电"):
                name, _, args = text[1:].partition(" ")
                await service.handle(incoming(STAFF_USER, STAFF_CHAT, now, next(ids),
                                              kind="command", text=text, command=name,
                                              command_args=args))
        a_ticket = next(t for t in tickets if t.cadre_id == a.id)
        await service.handle(incoming(A_USER, A_USER, now, next(ids), kind="callback",
                                      callback_data=f"rate:{a_ticket.id}:5"))
        await service.handle(incoming(STAFF_USER, STAFF_CHAT, now, next(ids), text=(
            f"{A_NAME}的事办好了，他电话{PHONE}")))  # staff talk that names a cadre
        return a.id, b.id
    finally:
        await app.close()


def every_stored_text(db: Path) -> str:
    """All values of all tables, JSON decoded (SQLite keeps Chinese in JSON as \\u escapes)."""
    out = []
    with sqlite3.connect(db) as con:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in con.execute(f"SELECT * FROM {table}"):
                for value in row:
                    if isinstance(value, str) and value[:1] in "[{":
                        with contextlib.suppress(ValueError):
                            value = json.dumps(json.loads(value), ensure_ascii=False)
                    out.append(f"{table}: {value}")
    return "\n".join(out)


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int, int]:
    db = tmp_path / "junxiu.sqlite3"
    url = f"sqlite+aiosqlite:///{db}"
    monkeypatch.chdir(tmp_path)  # no .env from the repository; voice files under tmp
    monkeypatch.setenv("JUNXIU_DATABASE_URL", url)
    a_id, b_id = asyncio.run(populate(url))
    return db, a_id, b_id


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = junxiu(list(argv))
    return code, capsys.readouterr().out


def test_export_prints_the_cadres_own_data_only(
        cli_db: tuple[Path, int, int], capsys: pytest.CaptureFixture[str]) -> None:
    _, a_id, _ = cli_db
    code, out = run_cli(capsys, "cadres", "export", str(a_id))
    assert code == 0
    data = json.loads(out)
    assert (data["cadre"]["id"], data["cadre"]["name"], data["cadre"]["phone"]) == (
        a_id, A_NAME, PHONE)
    said = [m["text"] for m in data["messages"] if m["direction"] == "in"]
    assert all(text in said for text in A_SAYS)
    assert data["tickets"] and all(t["id"] for t in data["tickets"])
    assert [t["rating"] for t in data["tickets"] if t["rating"]] == [5]
    assert data["contacts"]
    for other in (B_NAME, OTHER_PHONE, *B_SAYS, str(B_USER)):
        assert other not in out, other

    code, out = run_cli(capsys, "cadres", "export", "999")
    assert code == 1 and A_NAME not in out


def test_forget_erases_one_cadre_and_leaves_the_others(
        cli_db: tuple[Path, int, int], capsys: pytest.CaptureFixture[str]) -> None:
    db, a_id, b_id = cli_db
    _, b_before = run_cli(capsys, "cadres", "export", str(b_id))
    audio = sorted(Path("var/audio").glob("*.ogg"))
    assert len(audio) == 2  # one voice note each

    code, out = run_cli(capsys, "cadres", "forget", str(a_id))  # without --yes: nothing
    assert code == 0 and "--yes" in out
    assert A_NAME in every_stored_text(db)

    code, out = run_cli(capsys, "cadres", "forget", str(a_id), "--yes")
    assert code == 0

    stored = every_stored_text(db)
    for trace in (A_NAME, PHONE, *A_SAYS, f"OggS voice of {A_USER}"):
        found = [line[:200] for line in stored.splitlines() if trace in line]
        assert not found, (trace, found[:5])
    assert not any(f"voice of {A_USER}".encode() in p.read_bytes()
                   for p in Path("var/audio").glob("*.ogg"))
    _, a_after = run_cli(capsys, "cadres", "export", str(a_id))
    after = json.loads(a_after)
    assert (after["cadre"]["name"], after["cadre"]["phone"]) == (None, None)
    assert after["messages"] == after["accounts"] == after["contacts"] == []

    _, b_after = run_cli(capsys, "cadres", "export", str(b_id))
    assert b_after == b_before  # the other cadre exactly as before
    assert B_NAME in stored and OTHER_PHONE in stored
    assert any(f"voice of {B_USER}".encode() in p.read_bytes()
               for p in Path("var/audio").glob("*.ogg"))


def test_privacy_functions_directly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path}/direct.sqlite3"

    async def check() -> None:
        a_id, b_id = await populate(url)
        app = await build_app(Settings(_env_file=None, database_url=url))
        try:
            async with make_sessions(app.engine).begin() as s:
                assert await privacy.export(s, 999) is None
                a = await privacy.export(s, a_id)
                assert a["cadre"]["name"] == A_NAME
                assert await privacy.forget(s, a_id, datetime.now(UTC)) is True
                assert await privacy.forget(s, 999, datetime.now(UTC)) is False
            async with make_sessions(app.engine)() as s:
                a = await privacy.export(s, a_id)
                b = await privacy.export(s, b_id)
        finally:
            await app.close()
        assert a["cadre"]["name"] is None and a["messages"] == []
        assert b["cadre"]["name"] == B_NAME and b["messages"]

    asyncio.run(check())


def test_a_timer_pass_skipped_while_the_last_one_runs_is_not_logged(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The outbox pass runs every second: a skipped one is expected, other warnings are not."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    setup_logging()
    try:
        scheduler = logging.getLogger("apscheduler.scheduler")
        scheduler.warning('Execution of job "flush_outbox" skipped: maximum number of running '
                          'instances reached (1)')
        scheduler.warning("Run time of job was missed by 0:00:03")
    finally:
        root.handlers[:], root.level = saved
    err = capsys.readouterr().err
    assert "maximum number of running instances" not in err and "was missed" in err
