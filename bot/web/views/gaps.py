"""`/gaps`: what the assistant could not answer well, grouped, and "加入训练数据"."""

from __future__ import annotations

from starlette.responses import Response

from bot.storage import repo
from bot.web import gaps, texts
from bot.web.context import Ctx, page, redirect


@page
async def index(ctx: Ctx) -> Response:
    error = None
    if ctx.request.method == "POST":
        assert ctx.form is not None
        ids = [i for raw in ctx.form.getlist("message_id")
               if isinstance(raw, str) and (i := repo.as_id(raw))]
        intent = ctx.field("intent")
        try:
            await gaps.review(ctx.s, ctx.scope, ids, intent, ctx.staff.user_id, ctx.now)
        except ValueError:
            error = texts.t("error.review.intent")
        else:
            return redirect("/gaps?done=reviewed")
    groups = gaps.group(await gaps.recent(ctx.s, ctx.scope))
    return ctx.render("gaps.html", 400 if error else 200, groups=groups,
                      choices=gaps.choices(), error=error, intent_names=texts.strings())
