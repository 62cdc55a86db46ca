"""What every page handler gets: the database session (one transaction per request), the
signed-in staff member and their scope, the clock, and rendering. `page` wraps a handler with
the session check (no session: to /login) and the CSRF check (a POST without the token: 403).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from bot.settings import Settings
from bot.storage.models import Staff
from bot.web import texts
from bot.web.auth import session_staff
from bot.web.cookies import Cookies, Session, new_nonce, same_token
from bot.web.scope import Scope

Clock = Callable[[], datetime]
CSRF_FIELD = "csrf_token"


@dataclass
class Desk:
    """Built once by create_app and kept on app.state."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    cookies: Cookies
    templates: Jinja2Templates
    zone: ZoneInfo = field(init=False)

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.settings.timezone)

    def now(self) -> datetime:
        return self.clock()


@dataclass
class Ctx:
    request: Request
    s: AsyncSession
    staff: Staff
    scope: Scope
    now: datetime
    desk: Desk
    session: Session
    form: FormData | None = None

    @property
    def settings(self) -> Settings:
        return self.desk.settings

    def render(self, template: str, status_code: int = 200, **context: Any) -> Response:
        return self.desk.templates.TemplateResponse(
            self.request, template,
            {"me": self.staff, "csrf_token": self.session.csrf, "scope": self.scope,
             "now": self.now, "notice": notice(self.request), **context},
            status_code=status_code)

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def actor(self) -> str:
        return f"staff:{self.staff.user_id}"


def notice(request: Request) -> str | None:
    """The one-line result of the last action, named by key in ?done= (PRG)."""
    key = request.query_params.get("done")
    return texts.strings().get(f"done.{key}") if key else None


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def refused() -> Response:
    return PlainTextResponse(texts.t("csrf.refused"), status_code=403)


def to_login(desk: Desk, request: Request) -> Response:
    response = redirect("/login")
    if request.method == "GET":
        # Where to return after signing in, kept with the login form's token.
        desk.cookies.start_login(response, new_nonce(), request.url.path + (
            f"?{request.url.query}" if request.url.query else ""))
    return response


Handler = Callable[[Ctx], Awaitable[Response]]


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        desk: Desk = request.app.state.desk
        form = None
        if request.method == "POST":
            form = await request.form()
            if not form.get(CSRF_FIELD):
                return refused()  # before anything else, with or without a session
        session = desk.cookies.session(request)
        if session is None:
            return to_login(desk, request)
        async with desk.sessions.begin() as s:
            staff = await session_staff(s, session)
            if staff is None:
                response = to_login(desk, request)
                desk.cookies.end_session(response)
                return response
            if form is not None and not same_token(session.csrf, form.get(CSRF_FIELD)):
                return refused()
            ctx = Ctx(request, s, staff, Scope(staff), desk.now(), desk, session, form)
            return await handler(ctx)

    return endpoint
