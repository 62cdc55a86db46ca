"""`/tickets/N`: the conversation, claim / close / reopen, the reply box and canned replies.
A reply goes through the bot's own outbox (bot.outbox), which the running bot delivers."""

from __future__ import annotations

from starlette.responses import Response

from bot import staff
from bot.outbox import Outbox
from bot.storage import repo
from bot.storage.models import Cadre, Staff, Ticket
from bot.web import conversation, texts
from bot.web.context import Ctx, page, redirect
from junxiu_core import Priority


async def _ticket(ctx: Ctx) -> Ticket | None:
    number = repo.as_id(ctx.request.path_params["number"])
    ticket = await ctx.s.get(Ticket, number) if number else None
    return ticket if ticket is not None and ctx.scope.sees_ticket(ticket) else None


def _missing(ctx: Ctx) -> Response:
    return ctx.render("message.html", 404, message=texts.t("not_found.ticket"))


async def _show(ctx: Ctx, ticket: Ticket, *, error: str | None = None, status: int = 200,
                draft: str = "") -> Response:
    cadre = await ctx.s.get(Cadre, ticket.cadre_id)
    assignee = await ctx.s.get(Staff, ticket.assignee_id) if ticket.assignee_id else None
    return ctx.render(
        "ticket.html", status, ticket=ticket, cadre=cadre, assignee=assignee, error=error,
        draft=draft, lines=await conversation.lines(ctx.s, ticket, ctx.now),
        failed=await conversation.failed_replies(ctx.s, ticket.id),
        history=await conversation.history(ctx.s, ticket.id),
        canned=staff.canned_replies(),
        # An emergency is phoned at once: its number is shown whole, elsewhere masked.
        show_phone=ticket.priority >= int(Priority.URGENT),
        overdue=ticket.sla_due_at is not None and ticket.sla_due_at < ctx.now
        and ticket.first_response_at is None and ticket.status != "closed")


@page
async def show(ctx: Ctx) -> Response:
    ticket = await _ticket(ctx)
    return await _show(ctx, ticket) if ticket else _missing(ctx)


@page
async def reply(ctx: Ctx) -> Response:
    ticket = await _ticket(ctx)
    if ticket is None:
        return _missing(ctx)
    text, canned = ctx.field("text"), ctx.field("canned")
    if not text and canned:
        text = f":{canned}"  # a canned reply sent as it is
    try:
        out, _ack = await staff.reply(ctx.s, ticket.id, text, ctx.staff, ctx.now, ctx.settings)
    except staff.DeskError as exc:
        return await _show(ctx, ticket, error=str(exc), status=400, draft=text)
    await Outbox.for_settings(ctx.settings).put_addressed(ctx.s, out, ctx.now)
    return redirect(f"/tickets/{ticket.id}?done=replied")


async def _act(ctx: Ctx, action: str) -> Response:
    ticket = await _ticket(ctx)
    if ticket is None:
        return _missing(ctx)
    try:
        if action == "claim":
            await staff.claim(ctx.s, ticket.id, ctx.staff, ctx.now)
        elif action == "close":
            await staff.close(ctx.s, ticket.id, ctx.field("note")[:500], ctx.staff, ctx.now)
        else:
            await staff.reopen(ctx.s, ticket.id, ctx.staff, ctx.now)
    except staff.DeskError as exc:
        return await _show(ctx, ticket, error=str(exc), status=400)
    done = {"claim": "claimed", "close": "closed", "reopen": "reopened"}[action]
    return redirect(f"/tickets/{ticket.id}?done={done}")


@page
async def claim(ctx: Ctx) -> Response:
    return await _act(ctx, "claim")


@page
async def close(ctx: Ctx) -> Response:
    return await _act(ctx, "close")


@page
async def reopen(ctx: Ctx) -> Response:
    return await _act(ctx, "reopen")
