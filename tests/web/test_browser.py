"""The desk in a real browser (Debian's chromium, headless, driven by Selenium through its
chromedriver), beside the real bot polling the fake Bot API: a cadre's complaint on Telegram
becomes a ticket, a staff member signs in, opens it and replies, and the reply reaches the
cadre on Telegram. Also: charts drawn, the XLSX opens, no token no POST, no session no page,
a wrong password refused. JUNXIU_SCREENSHOTS=DIR keeps screenshots (docs/ has them)."""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

import knowledge
from bot.settings import Settings
from bot.storage.models import Staff
from bot.web import auth, create_app
from tests.e2e.conftest import CADRE, STAFF_CHAT, BotRunner, sends_to
from tests.helpers.fake_bot_api import FakeBotAPI

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

STAFF_USER = 777001
PASSWORD = "desk-pass-2026"
COMPLAINT = "打了三天电话军休所都没人接，我要投诉"
ANSWER = "您好，已经安排专人每天值守电话，今天下午给您回电。"


def _browser_or_skip() -> tuple[str, str]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    reason = "Debian's chromium and chromium-driver are not installed (make test installs them)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def browser() -> Iterator[object]:
    chromium, driver_path = _browser_or_skip()
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch anything
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,900", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-default-apps", "--disable-extensions", "--lang=zh-CN",
                 "--autoplay-policy=no-user-gesture-required"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DeskServer:
    """`junxiu desk` in a thread: uvicorn on 127.0.0.1, the bot's database."""

    def __init__(self, settings: Settings) -> None:
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port,
                                log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> DeskServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the desk did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def fast_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.telegram import pump

    monkeypatch.setattr(pump, "FLUSH_SECONDS", 0.2)
    monkeypatch.setattr(pump, "ALERT_SECONDS", 0.2)


@pytest.fixture
async def stack(fake_api: FakeBotAPI, tmp_path: Path, fast_timers: None,
                monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[BotRunner, str]]:
    """The bot (python-telegram-bot) polling the fake Bot API, and the desk, on one SQLite."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    settings = Settings(_env_file=None, telegram_token=fake_api.token,
                        telegram_api_url=fake_api.url,
                        database_url=f"sqlite+aiosqlite:///{tmp_path}/junxiu.sqlite3",
                        staff_chat_id=STAFF_CHAT, desk_secret="browser-test-" + "k" * 32)
    fake_api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
    runner = BotRunner("ptb", fake_api, settings)
    await runner.start()
    try:
        async with runner.sessions.begin() as s:
            member = Staff(user_id=STAFF_USER, name="王主任", role="supervisor",
                           created_at=datetime.now(UTC))
            s.add(member)
            await auth.set_password(s, member, PASSWORD, "cli", datetime.now(UTC))
        with DeskServer(settings) as desk:
            yield runner, desk.url
    finally:
        await runner.stop()


def _shot(driver, name: str) -> None:
    folder = os.environ.get("JUNXIU_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / f"{name}.png"))


def _sign_in(driver, base: str, password: str = PASSWORD) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/login")
    driver.find_element(By.NAME, "user").send_keys(str(STAFF_USER))
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()


# Visible controls under 44 px high (radio buttons and check boxes count by their label).
SMALL_TARGETS = """
return [...document.querySelectorAll('a, button, select, textarea, summary, label.choice, '
    + 'input:not([type=hidden]):not([type=radio]):not([type=checkbox])')]
  .filter(e => e.offsetParent !== null && !e.classList.contains('skip'))
  .filter(e => e.getBoundingClientRect().height < 44)
  .map(e => e.outerHTML.slice(0, 80));
"""


def _reply_in_browser(driver, base: str) -> dict[str, object]:
    """Everything a staff member does, in the browser (blocking: run in a thread)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 15)
    seen: dict[str, object] = {}
    driver.get(f"{base}/tickets/1")
    seen["redirected_to"] = driver.current_url
    _sign_in(driver, base, "not the password")
    seen["wrong_password"] = driver.find_element(By.CSS_SELECTOR, ".error").text
    _shot(driver, "desk-login")
    _sign_in(driver, base)
    wait.until(ec.presence_of_element_located((By.TAG_NAME, "textarea")))
    seen["after_login"] = driver.current_url
    driver.get(f"{base}/")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "ol.tickets")))
    _shot(driver, "desk-inbox")
    inbox = driver.find_element(By.CSS_SELECTOR, "ol.tickets").text
    seen["inbox"] = inbox
    driver.find_element(By.CSS_SELECTOR, 'a[href="/tickets/1"]').click()
    box = wait.until(ec.presence_of_element_located((By.TAG_NAME, "textarea")))
    seen["transcript"] = driver.find_element(By.CSS_SELECTOR, "ol.transcript").text
    box.send_keys(ANSWER)
    _shot(driver, "desk-ticket")
    box.find_element(By.XPATH, "ancestor::form").find_element(
        By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
    seen["notice"] = driver.find_element(By.CSS_SELECTOR, ".notice").text
    driver.get(f"{base}/reports")
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "svg.chart")))
    seen["charts"] = len(driver.find_elements(By.CSS_SELECTOR, "svg.chart"))
    seen["bars"] = len(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect"))
    _shot(driver, "desk-reports")
    seen["small_targets"] = {}
    for width in (1280, 390):
        driver.set_window_size(width, 844 if width == 390 else 900)
        for path in ("/", "/tickets/1", "/checkins", "/reports", "/gaps", "/account"):
            driver.get(f"{base}{path}")
            seen["small_targets"][f"{path}@{width}"] = driver.execute_script(SMALL_TARGETS)
    seen["font_px"] = driver.execute_script(
        "return parseFloat(getComputedStyle(document.body).fontSize)")
    driver.get(f"{base}/tickets/1")
    seen["narrow_overflow"] = driver.execute_script(
        "return document.documentElement.scrollWidth > window.innerWidth + 1")
    _shot(driver, "desk-ticket-390")
    driver.set_window_size(1280, 900)
    seen["cookies"] = {c["name"]: c for c in driver.get_cookies()}
    return seen


async def test_a_staff_member_answers_a_telegram_ticket_from_the_browser(
        stack: tuple[BotRunner, str], fake_api: FakeBotAPI, browser) -> None:
    _, base = stack
    fake_api.push_text(CADRE, COMPLAINT)
    await fake_api.wait_for("sendMessage", lambda c: c.ok and c.params["chat_id"] == STAFF_CHAT)
    before = len(sends_to(fake_api, CADRE))

    seen = await asyncio.to_thread(_reply_in_browser, browser, base)

    assert seen["redirected_to"] == f"{base}/login"
    assert "工号或密码不正确" in seen["wrong_password"]
    assert seen["after_login"] == f"{base}/tickets/1"  # back where the link pointed
    assert "#1" in seen["inbox"] and COMPLAINT in seen["inbox"]
    assert COMPLAINT in seen["transcript"]
    assert "已放入发送队列" in seen["notice"]
    relayed = knowledge.load().string("ui.staff_reply", text=ANSWER)
    calls = await fake_api.wait_for(
        "sendMessage", lambda c: c.ok and c.params["chat_id"] == CADRE, count=before + 1,
        timeout=15)
    assert relayed in [c.params["text"] for c in calls[before:]]
    assert seen["charts"] >= 5 and seen["bars"] >= 1
    assert seen["narrow_overflow"] is False
    assert seen["font_px"] >= 18
    assert {page: small for page, small in seen["small_targets"].items() if small} == {}
    session = seen["cookies"]["junxiu_desk"]
    assert session["httpOnly"] is True and session["sameSite"] == "Lax"


async def test_the_served_desk_refuses_what_it_must(stack: tuple[BotRunner, str]) -> None:
    """Over real HTTP: no session no page, no token no POST, and the XLSX opens."""
    from openpyxl import load_workbook

    from tests.web.conftest import csrf_of

    _, base = stack
    async with httpx.AsyncClient(base_url=base) as http:
        for path in ("/", "/reports", "/gaps", "/checkins", "/cadres/1", "/tickets/1"):
            response = await http.get(path)
            assert response.status_code == 303 and response.headers["location"] == "/login"
        login = await http.get("/login")
        assert (await http.post("/login", data={"user": str(STAFF_USER),
                                                "password": PASSWORD})).status_code == 403
        signed = await http.post("/login", data={"user": str(STAFF_USER), "password": PASSWORD,
                                                 "csrf_token": csrf_of(login.text)})
        assert signed.status_code == 303
        assert (await http.post("/tickets/1/close", data={})).status_code == 403
        sheet = await http.get("/reports/tickets.xlsx")
        book = load_workbook(io.BytesIO(sheet.content))
        assert next(book.active.values)[0] == "编号"
