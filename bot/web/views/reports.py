"""`/reports` with its charts and figures, `/reports/tickets.xlsx` and `.csv`, filtered by
`?agency=&from=&to=`."""

from __future__ import annotations

from starlette.responses import Response, StreamingResponse

from bot.storage import repo
from bot.web import charts, export, texts
from bot.web.context import Ctx, page
from bot.web.reports import BUCKETS, Period, Reports, period


def _period(ctx: Ctx) -> Period:
    q = ctx.request.query_params
    today = ctx.now.astimezone(ctx.desk.zone).date()
    return period(q.get("from"), q.get("to"), today, ctx.desk.zone, q.get("agency"))


def _query(p: Period) -> str:
    agency = f"&agency={p.agency}" if p.agency else ""
    return f"from={p.first.isoformat()}&to={p.last.isoformat()}{agency}"


@page
async def index(ctx: Ctx) -> Response:
    p = _period(ctx)
    f = await Reports(ctx.s, ctx.scope, p, ctx.now).figures()
    labels = {label: texts.t(f"bucket.{label}") for label, _ in BUCKETS}

    def bucketed(d):
        return [(labels[k], n) for k, n in d.buckets]

    reasons = [(texts.reason(r), n) for r, n in f.reasons]
    names = texts.strings()
    intents = [(names.get(f"intent.{i}", i), n) for i, n in f.intents]
    return ctx.render(
        "reports.html", f=f, p=p, query=_query(p), agencies=await ctx.scope.agencies(ctx.s),
        reasons=reasons, intents=intents,
        first_buckets=bucketed(f.first_response), resolution_buckets=bucketed(f.resolution),
        charts={
            "per_day": charts.columns(f.per_day, texts.t("chart.per_day")),
            "first": charts.bars(bucketed(f.first_response), texts.t("chart.first")),
            "resolution": charts.bars(bucketed(f.resolution), texts.t("chart.resolution")),
            "reasons": charts.bars(reasons, texts.t("chart.reasons")),
            "intents": charts.bars(intents, texts.t("chart.intents")),
        })


async def _export_rows(ctx: Ctx) -> tuple[Period, list]:
    p = _period(ctx)
    data = await export.rows(ctx.s, ctx.scope, p)
    await repo.audit(ctx.s, ctx.actor(), "desk.export", ctx.now,
                     detail=f"tickets {p.first}..{p.last} {p.agency or ''} {len(data)}".strip())
    return p, data


@page
async def tickets_xlsx(ctx: Ctx) -> Response:
    p, data = await _export_rows(ctx)
    name = f"tickets-{p.first}-{p.last}.xlsx"
    return Response(export.xlsx(data), headers={
        "Content-Disposition": f'attachment; filename="{name}"'},
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@page
async def tickets_csv(ctx: Ctx) -> Response:
    p, data = await _export_rows(ctx)
    name = f"tickets-{p.first}-{p.last}.csv"
    return StreamingResponse(export.csv_lines(data), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
