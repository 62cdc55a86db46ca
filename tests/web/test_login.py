"""Signing in to the desk: sessions, CSRF, the lockout, passwords, audit."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import AuditEntry, Staff
from bot.web import auth
from tests.helpers.clock import Clock
from tests.web.conftest import PASSWORD, STAFF_ID, SUPERVISOR_ID, DeskClient, add_staff

PAGES = ("/", "/tickets/1", "/cadres/1", "/checkins", "/reports", "/reports/tickets.xlsx",
         "/reports/tickets.csv", "/gaps", "/account", "/staff", "/alerts")


async def actions(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, str]]:
    async with sessions() as s:
        rows = (await s.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        return [(r.actor, r.action) for r in rows if r.action.startswith("desk.")]


@pytest.mark.parametrize("path", PAGES)
async def test_every_page_but_login_redirects_there_without_a_session(
        client: DeskClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


async def test_the_login_page_has_the_user_and_password_fields_and_a_token(
        client: DeskClient) -> None:
    page = await client.get("/login")
    assert page.status_code == 200
    for field in ('name="user"', 'type="password" name="password"', 'name="csrf_token"'):
        assert field in page.text
    assert 'lang="zh-CN"' in page.text and "登录" in page.text


async def test_staff_sign_in_with_their_telegram_id_and_get_a_signed_httponly_cookie(
        client: DeskClient, staff: int, sessions) -> None:
    response = await client.login()
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith("junxiu_desk="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    inbox = await client.get("/")
    assert inbox.status_code == 200 and "王主任" in inbox.text
    assert (f"staff:{STAFF_ID}", "desk.login") in await actions(sessions)


async def test_a_wrong_password_is_refused_and_audited(
        client: DeskClient, staff: int, sessions) -> None:
    response = await client.login(password="not the password")
    assert response.status_code == 401
    assert "工号或密码不正确" in response.text
    assert "junxiu_desk=" not in response.headers.get("set-cookie", "")
    assert (await client.get("/")).status_code == 303
    assert (f"staff:{STAFF_ID}", "desk.login.failed") in await actions(sessions)


async def test_an_unknown_user_is_refused_like_a_wrong_password(
        client: DeskClient, staff: int) -> None:
    response = await client.login(user=123, password=PASSWORD)
    assert response.status_code == 401 and "工号或密码不正确" in response.text


async def test_a_staff_member_without_a_desk_password_cannot_sign_in(
        client: DeskClient, sessions) -> None:
    await add_staff(sessions, 800, "赵干事", password=None)
    assert (await client.login(user=800, password="")).status_code == 401


async def test_five_failures_lock_the_user_for_fifteen_minutes(
        client: DeskClient, staff: int, clock: Clock, sessions) -> None:
    for _ in range(4):
        assert (await client.login(password="wrong password")).status_code == 401
    locked = await client.login(password="wrong password")
    assert locked.status_code == 429 and "15分钟" in locked.text
    clock.advance(minutes=14)
    assert (await client.login()).status_code == 429  # the right password, still locked
    clock.advance(minutes=1, seconds=1)
    assert (await client.login()).status_code == 303
    assert (f"staff:{STAFF_ID}", "desk.lockout") in await actions(sessions)


async def test_a_lockout_is_per_user(client: DeskClient, staff: int) -> None:
    for _ in range(5):
        await client.login(password="wrong password")
    assert (await client.login(user=SUPERVISOR_ID)).status_code == 303


async def test_a_post_without_the_csrf_token_is_refused(desk: DeskClient) -> None:
    assert (await desk.post("/tickets/1/claim", csrf=False)).status_code == 403
    assert (await desk.post("/tickets/1/claim", {"csrf_token": "forged"},
                            csrf=False)).status_code == 403


async def test_a_login_without_the_csrf_token_is_refused(client: DeskClient, staff: int
                                                         ) -> None:
    await client.get("/login")
    response = await client.post("/login", {"user": str(STAFF_ID), "password": PASSWORD},
                                 csrf=False)
    assert response.status_code == 403


async def test_a_token_from_another_session_is_refused(
        desk: DeskClient, client: DeskClient) -> None:
    stale = desk.token
    await desk.post("/logout")
    await desk.login()
    assert (await desk.post("/tickets/1/claim", {"csrf_token": stale}, csrf=False)
            ).status_code == 403


async def test_logout_ends_the_session(desk: DeskClient, sessions) -> None:
    response = await desk.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    assert (await desk.get("/")).status_code == 303
    assert (f"staff:{STAFF_ID}", "desk.logout") in await actions(sessions)


async def test_staff_change_their_own_password_and_sign_in_again(
        desk: DeskClient, sessions) -> None:
    await desk.get("/account")
    wrong = await desk.post("/account", {"old_password": "nope", "new_password": "n3w-secret!",
                                         "confirm_password": "n3w-secret!"})
    assert wrong.status_code == 400 and "原密码不正确" in wrong.text
    done = await desk.post("/account", {"old_password": PASSWORD,
                                        "new_password": "n3w-secret!",
                                        "confirm_password": "n3w-secret!"})
    assert done.status_code == 303
    assert (await desk.get("/")).status_code == 303  # the old session is over
    assert (await desk.login()).status_code == 401
    assert (await desk.login(password="n3w-secret!")).status_code == 303


async def test_a_supervisor_resets_another_staff_members_password(
        client: DeskClient, staff: int) -> None:
    await client.login(user=SUPERVISOR_ID)
    page = await client.get("/staff")
    assert page.status_code == 200 and "王主任" in page.text
    assert (await client.post("/staff", {"user_id": str(STAFF_ID),
                                         "new_password": "reset-by-boss"})).status_code == 303
    await client.post("/logout")
    assert (await client.login(user=STAFF_ID, password="reset-by-boss")).status_code == 303


async def test_ordinary_staff_cannot_reset_passwords(desk: DeskClient) -> None:
    assert (await desk.get("/staff")).status_code == 403
    assert (await desk.post("/staff", {"user_id": str(SUPERVISOR_ID),
                                       "new_password": "taken over!"})).status_code == 403


async def test_a_removed_staff_members_session_stops_working(desk: DeskClient, sessions
                                                             ) -> None:
    async with sessions.begin() as s:
        (await s.get(Staff, STAFF_ID)).active = False
    assert (await desk.get("/")).status_code == 303


async def test_cookies_are_secure_when_served_over_https(bot_app, desk_settings, clock,
                                                         staff: int) -> None:
    import httpx

    from bot.web import create_app
    from tests.web.conftest import DeskClient

    app = create_app(desk_settings, clock=clock, https=True, migrate=False)
    async with (app.router.lifespan_context(app),
                httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                  base_url="https://desk.test") as http):
        response = await DeskClient(http).login()
    cookie = next(h for h in response.headers.get_list("set-cookie")
                  if h.startswith("junxiu_desk="))
    assert "Secure" in cookie and "HttpOnly" in cookie


async def test_the_cli_sets_a_desk_password_from_stdin(
        bot_app, desk_settings, sessions, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from bot.cli import main

    await add_staff(sessions, 900, "钱干事", password=None)
    monkeypatch.setenv("JUNXIU_DATABASE_URL", desk_settings.database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("from-the-cli-1\n"))
    import asyncio

    code = await asyncio.to_thread(main, ["staff", "password", "900"])
    assert code == 0 and "900" in capsys.readouterr().out
    async with sessions() as s:
        member = await s.get(Staff, 900)
        assert member.password_hash.startswith("$argon2")
        assert auth.verify(member, "from-the-cli-1")
