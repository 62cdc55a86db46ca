"""Signing in and out, one's own password, and a supervisor's resets of others'."""

from __future__ import annotations

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from bot.storage import repo
from bot.storage.models import Staff
from bot.web import auth, texts
from bot.web.context import CSRF_FIELD, Ctx, Desk, page, redirect, refused
from bot.web.cookies import new_nonce, same_token


def _login_form(desk: Desk, request: Request, *, error: str | None = None, status: int = 200,
                user: str = "", next_path: str | None = None) -> Response:
    state = desk.cookies.login_state(request)
    nonce = new_nonce()
    target = next_path or (state[1] if state else "/")
    response = desk.templates.TemplateResponse(
        request, "login.html", {"csrf_token": nonce, "error": error, "user": user,
                                "me": None}, status_code=status)
    desk.cookies.start_login(response, nonce, target)
    return response


async def login_page(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    session = desk.cookies.session(request)
    if session is not None:
        async with desk.sessions() as s:
            if await auth.session_staff(s, session) is not None:
                return redirect("/")
    return _login_form(desk, request)


async def login_submit(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await request.form()
    state = desk.cookies.login_state(request)
    if state is None or not same_token(state[0], form.get(CSRF_FIELD)):
        return refused()
    user = form.get("user")
    async with desk.sessions.begin() as s:
        attempt = await auth.login(s, user, form.get("password"), desk.now())
        version = attempt.staff.session_version if attempt.staff else 0
    shown = user.strip()[:20] if isinstance(user, str) else ""
    if attempt.outcome == auth.Outcome.LOCKED:
        return _login_form(desk, request, status=429, user=shown, next_path=state[1],
                           error=texts.t("login.locked", minutes=attempt.locked_minutes))
    if attempt.outcome == auth.Outcome.FAILED or attempt.staff is None:
        return _login_form(desk, request, status=401, user=shown, next_path=state[1],
                           error=texts.t("login.failed"))
    response = redirect(state[1])
    desk.cookies.start_session(response, attempt.staff.user_id, version)
    return response


@page
async def logout(ctx: Ctx) -> Response:
    await repo.audit(ctx.s, ctx.actor(), "desk.logout", ctx.now)
    response = redirect("/login")
    ctx.desk.cookies.end_session(response)
    return response


@page
async def account(ctx: Ctx) -> Response:
    if ctx.request.method == "GET":
        return ctx.render("account.html")
    old, new, confirm = (ctx.field("old_password"), ctx.field("new_password"),
                         ctx.field("confirm_password"))
    if not auth.verify(ctx.staff, old):
        return ctx.render("account.html", 400, error=texts.t("error.password.wrong"))
    problem = auth.check_new(new, confirm)
    if problem:
        return ctx.render("account.html", 400, error=texts.t(problem, min=auth.MIN_LENGTH))
    await auth.set_password(ctx.s, ctx.staff, new, ctx.actor(), ctx.now)
    response = redirect("/login")
    ctx.desk.cookies.end_session(response)  # signed with the old version: sign in again
    return response


@page
async def staff_list(ctx: Ctx) -> Response:
    """Supervisors see everyone on the desk and may set a new password for any of them."""
    if not ctx.scope.supervisor:
        return ctx.render("message.html", 403, message=texts.t("forbidden.supervisor"))
    error = None
    if ctx.request.method == "POST":
        member = await ctx.s.get(Staff, auth.parse_user_id(ctx.field("user_id")) or 0)
        password = ctx.field("new_password")
        problem = auth.check_new(password)
        if member is None or not ctx.scope.sees_staff(member):
            error = texts.t("forbidden.supervisor")
        elif problem:
            error = texts.t(problem, min=auth.MIN_LENGTH)
        else:
            await auth.set_password(ctx.s, member, password, ctx.actor(), ctx.now)
            return redirect("/staff?done=reset")
    rows = (await ctx.s.scalars(ctx.scope.staff_members(
        select(Staff).where(Staff.active).order_by(Staff.user_id)))).all()
    return ctx.render("staff.html", 400 if error else 200, members=rows, error=error)
