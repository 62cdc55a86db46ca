"""`/checkins`: who is due, silent, unreachable, at five or six months; and recording a call
or a visit (from here or from a cadre's page), which counts as contact."""

from __future__ import annotations

from datetime import datetime

from starlette.responses import Response

from bot.storage import repo
from bot.web import checkin_lists, texts
from bot.web.context import Ctx, page, redirect
from bot.web.cookies import safe_next
from bot.web.views.cadres import visible_cadre

KINDS = ("call", "visit")


@page
async def index(ctx: Ctx) -> Response:
    lists = await checkin_lists.lists(ctx.s, ctx.scope, ctx.now, ctx.settings)
    return ctx.render("checkins.html", lists=lists, order=checkin_lists.ORDER,
                      visit_fields=texts.visit_fields())


def _when(raw: str, ctx: Ctx) -> datetime:
    """The datetime-local field, in the agency's time zone; now if empty or in the future."""
    try:
        at = datetime.fromisoformat(raw).replace(tzinfo=ctx.desk.zone) if raw else ctx.now
    except ValueError:
        return ctx.now
    return min(at, ctx.now)


@page
async def record(ctx: Ctx) -> Response:
    back = safe_next(ctx.field("back") or "/checkins")
    cadre = await visible_cadre(ctx, ctx.field("cadre_id"))
    if cadre is None:
        return ctx.render("message.html", 404, message=texts.t("not_found.cadre"))
    kind = ctx.field("kind")
    if kind not in KINDS:
        return ctx.render("message.html", 400, message=texts.t("error.contact.kind"))
    fields = {key: ctx.field(f"record_{key}")[:500] for key, _ in texts.visit_fields()}
    record = {k: v for k, v in fields.items() if v} if kind == "visit" else {}
    await repo.record_contact(ctx.s, cadre, kind, _when(ctx.field("at"), ctx),
                              staff_id=ctx.staff.user_id, note=ctx.field("note")[:2000] or None,
                              record=record)
    await repo.audit(ctx.s, ctx.actor(), "contact.add", ctx.now, cadre_id=cadre.id,
                     detail=kind)
    sep = "&" if "?" in back else "?"
    return redirect(f"{back}{sep}done=contact")
