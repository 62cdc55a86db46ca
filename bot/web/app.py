"""The desk as one Starlette application: `create_app(settings)` builds it on the same
database as `junxiu run` (migrated at start), with every asset served from the package."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions, upgrade
from bot.web import filters
from bot.web.context import Clock, Desk
from bot.web.cookies import Cookies, load_secret
from bot.web.views import account, cadres, checkins, gaps, inbox, reports, tickets

HERE = Path(__file__).resolve().parent
SECRET_FILE = Path("var") / "desk-secret"


def _utc_now() -> datetime:
    return datetime.now(UTC)


def routes() -> list[Route | Mount]:
    return [
        Route("/login", account.login_page, methods=["GET"]),
        Route("/login", account.login_submit, methods=["POST"]),
        Route("/logout", account.logout, methods=["POST"]),
        Route("/account", account.account, methods=["GET", "POST"]),
        Route("/staff", account.staff_list, methods=["GET", "POST"]),
        Route("/", inbox.index, methods=["GET"]),
        Route("/alerts", inbox.alerts, methods=["GET"]),
        Route("/tickets/{number}", tickets.show, methods=["GET"]),
        Route("/tickets/{number}/reply", tickets.reply, methods=["POST"]),
        Route("/tickets/{number}/claim", tickets.claim, methods=["POST"]),
        Route("/tickets/{number}/close", tickets.close, methods=["POST"]),
        Route("/tickets/{number}/reopen", tickets.reopen, methods=["POST"]),
        Route("/cadres/{cadre_id}", cadres.show, methods=["GET"]),
        Route("/checkins", checkins.index, methods=["GET"]),
        Route("/checkins/contact", checkins.record, methods=["POST"]),
        Route("/reports", reports.index, methods=["GET"]),
        Route("/reports/tickets.xlsx", reports.tickets_xlsx, methods=["GET"]),
        Route("/reports/tickets.csv", reports.tickets_csv, methods=["GET"]),
        Route("/gaps", gaps.index, methods=["GET", "POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]


def create_app(settings: Settings, *, clock: Clock = _utc_now, https: bool = False,
               migrate: bool = True) -> Starlette:
    """The desk. `https`: cookies are Secure (served over TLS, or behind a proxy that is)."""
    templates = Jinja2Templates(directory=HERE / "templates")
    filters.install(templates.env, settings)
    secret = load_secret(settings.desk_secret.get_secret_value()
                         if settings.desk_secret else None, SECRET_FILE)
    cookies = Cookies(secret, secure=https,
                      session_seconds=int(settings.desk_session_hours * 3600))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if migrate:
            await upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        app.state.desk = Desk(settings, make_sessions(engine), clock, cookies, templates)
        try:
            yield
        finally:
            await engine.dispose()

    return Starlette(routes=routes(), lifespan=lifespan)
