"""What the staff command line prints: Chinese, numbers masked, no traceback when its output
is cut short (`junxiu cadres list | head`), and a check-in pass from cron that tells staff at
once about a cadre the bot cannot reach."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cli import main
from bot.storage.db import make_engine, make_sessions
from bot.storage.models import Account, Cadre, Delivery
from tests.helpers.fake_bot_api import FakeBotAPI

REPO = Path(__file__).resolve().parents[2]
# What may stay in Latin letters: command names and options quoted to staff, and names.
COMMAND_WORDS = {"junxiu", "staff", "add", "name", "yes", "Telegram", "JUNXIU_TELEGRAM_TOKEN",
                 "head", "JUNXIU", "TELEGRAM", "TOKEN"}


def roster(tmp_path: Path, count: int) -> Path:
    lines = ["姓名,手机,是否独居"] + [f"干部{i},139{i:08d},否" for i in range(count)]
    path = tmp_path / "roster.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_closed_pipe_ends_the_listing_quietly(tmp_path: Path) -> None:
    env = {**os.environ, "JUNXIU_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/p.sqlite3"}
    junxiu = [sys.executable, "-m", "bot.cli"]
    subprocess.run([*junxiu, "cadres", "import", str(roster(tmp_path, 3000))], env=env,
                   cwd=REPO, check=True, capture_output=True)

    listing = subprocess.Popen([*junxiu, "cadres", "list"], env=env, cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert listing.stdout is not None
    first = listing.stdout.readline()
    listing.stdout.close()  # what `head -1` does
    _, err = listing.communicate(timeout=60)

    assert first.decode("utf-8").startswith("#1\t干部0")
    assert b"Traceback" not in err and b"BrokenPipeError" not in err, err.decode()
    assert listing.returncode == 0


def test_staff_commands_speak_chinese(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("JUNXIU_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/c.sqlite3")
    monkeypatch.delenv("JUNXIU_TELEGRAM_TOKEN", raising=False)
    main(["cadres", "import", str(roster(tmp_path, 2))])
    for argv in (["checkins", "tick"], ["checkins", "report"], ["staff", "list"],
                 ["staff", "add", "5", "--name", "王"], ["staff", "remove", "5"],
                 ["tickets", "list"], ["cadres", "forget", "1"], ["db", "upgrade"]):
        capsys.readouterr()
        main(argv)
        out = capsys.readouterr()
        printed = out.out + out.err
        assert printed.strip(), argv
        english = set(re.findall(r"[A-Za-z]{3,}", printed)) - COMMAND_WORDS
        assert not english, (argv, printed)


async def test_a_tick_from_cron_posts_the_blocked_cadre_to_staff_at_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_api: FakeBotAPI) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3"
    monkeypatch.setenv("JUNXIU_DATABASE_URL", url)
    monkeypatch.setenv("JUNXIU_TELEGRAM_TOKEN", fake_api.token)
    monkeypatch.setenv("JUNXIU_TELEGRAM_API_URL", fake_api.url)
    monkeypatch.setenv("JUNXIU_STAFF_CHAT_ID", "-100777")
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    await asyncio.to_thread(main, ["db", "upgrade"])
    engine = make_engine(url)
    long_ago = datetime.now(UTC) - timedelta(days=60)
    async with make_sessions(engine).begin() as s:
        cadre = Cadre(name="刘志强", phone="13912345678", on_roster=True, merits=[],
                      last_contact_at=long_ago, created_at=long_ago, updated_at=long_ago)
        s.add(cadre)
        await s.flush()
        s.add(Account(transport="telegram", external_id="4242", chat_id="4242",
                      cadre_id=cadre.id, created_at=long_ago))
    fake_api.block_user(4242)
    noon = "2026-11-23T04:00:00+00:00"  # 12:00 in Shanghai: not quiet hours

    assert await asyncio.to_thread(main, ["checkins", "tick", "--now", noon]) == 0

    [alert] = [c for c in fake_api.calls("sendMessage") if c.ok]
    assert alert.params["chat_id"] == -100777 and "刘志强" in alert.params["text"]
    assert "13912345678" in alert.params["text"]
    async with make_sessions(engine)() as s:
        pending = (await s.scalars(select(Delivery).where(Delivery.status == "pending"))).all()
    await engine.dispose()
    assert pending == []
