"""`/cadres/ID`: the profile, the contact log with visit records (DB31/T 1044 5.8.4), tickets,
check-ins and flags, and the form to record a call or a visit."""

from __future__ import annotations

from sqlalchemy import select
from starlette.responses import Response

from bot.storage import repo
from bot.storage.models import Account, Cadre, CheckIn, Contact, Flag, Staff, Ticket
from bot.web import texts
from bot.web.context import Ctx, page

HISTORY = 200


async def visible_cadre(ctx: Ctx, raw: str) -> Cadre | None:
    cadre_id = repo.as_id(raw)
    cadre = await ctx.s.get(Cadre, cadre_id) if cadre_id else None
    return cadre if cadre is not None and ctx.scope.sees_cadre(cadre) else None


@page
async def show(ctx: Ctx) -> Response:
    cadre = await visible_cadre(ctx, ctx.request.path_params["cadre_id"])
    if cadre is None:
        return ctx.render("message.html", 404, message=texts.t("not_found.cadre"))
    s = ctx.s

    async def rows(stmt):
        return (await s.scalars(stmt.limit(HISTORY))).all()

    contacts = (await s.execute(
        select(Contact, Staff.name).outerjoin(Staff, Staff.user_id == Contact.staff_id)
        .where(Contact.cadre_id == cadre.id, Contact.kind.in_(("call", "visit", "checkin")))
        .order_by(Contact.at.desc()).limit(HISTORY))).all()
    return ctx.render(
        "cadre.html", cadre=cadre, contacts=contacts,
        tickets=await rows(ctx.scope.tickets(select(Ticket).where(Ticket.cadre_id == cadre.id)
                                             .order_by(Ticket.id.desc()))),
        checkins=await rows(select(CheckIn).where(CheckIn.cadre_id == cadre.id)
                            .order_by(CheckIn.id.desc())),
        flags=await rows(select(Flag).where(Flag.cadre_id == cadre.id)
                         .order_by(Flag.raised_at.desc())),
        accounts=await rows(select(Account).where(Account.cadre_id == cadre.id)),
        visit_fields=texts.visit_fields())
