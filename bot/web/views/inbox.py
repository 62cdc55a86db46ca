"""`/`, the inbox, and `/alerts`, which every desk page polls for unclaimed emergencies."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from bot.web import inbox, texts
from bot.web.context import Ctx, page


def _filters(ctx: Ctx) -> inbox.Filters:
    q = ctx.request.query_params
    priority = q.get("priority", "")
    page_no = q.get("page", "1")
    return inbox.Filters(
        status=q.get("status") or "active",
        priority=int(priority) if priority.isdigit() and len(priority) < 3 else None,
        agency=q.get("agency") or None, q=q.get("q", "")[:50],
        page=int(page_no) if page_no.isdigit() and len(page_no) < 6 else 1)


@page
async def index(ctx: Ctx) -> Response:
    filters = _filters(ctx)
    rows, total = await inbox.tickets(ctx.s, ctx.scope, filters, ctx.now)
    counts = await inbox.status_counts(ctx.s, ctx.scope)
    return ctx.render("inbox.html", rows=rows, total=total, counts=counts, filters=filters,
                      statuses=("active", *inbox.STATUSES, "all"), page_size=inbox.PAGE,
                      agencies=await ctx.scope.agencies(ctx.s))


@page
async def alerts(ctx: Ctx) -> Response:
    items = await inbox.emergencies(ctx.s, ctx.scope)
    return JSONResponse({"emergencies": [
        {"id": n, "name": name or texts.t("unnamed"), "text": (text or "")[:120],
         "url": f"/tickets/{n}"} for n, name, text in items]})
