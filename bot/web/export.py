"""`/reports/tickets.xlsx` (and .csv): one row per ticket of the period, as agencies report
upward: 编号, 创建时间, 军休干部, 所属军休所, 类型, 优先级, 状态, 首次响应（分钟）,
解决时间（分钟）, 满意度 1-5, 处理人."""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.storage.models import Cadre, Staff, Ticket
from bot.web import texts
from bot.web.reports import Period
from bot.web.scope import Scope

# The columns as the issue names them: the export's schema, which agencies' sheets rely on.
HEADERS = ("编号", "创建时间", "军休干部", "所属军休所", "类型", "优先级", "状态",
           "首次响应（分钟）", "解决时间（分钟）", "满意度 1-5", "处理人")


def _minutes(later: datetime | None, earlier: datetime) -> float | None:
    return round((later - earlier).total_seconds() / 60, 1) if later is not None else None


async def rows(s: AsyncSession, scope: Scope, p: Period) -> list[tuple[Any, ...]]:
    assignee = aliased(Staff)
    stmt = (select(Ticket.id, Ticket.created_at, Cadre.name, scope.agency_name_column(),
                   Ticket.reason, Ticket.priority, Ticket.status, Ticket.first_response_at,
                   Ticket.closed_at, Ticket.rating, assignee.name)
            .join(Cadre, Cadre.id == Ticket.cadre_id)
            .outerjoin(assignee, assignee.user_id == Ticket.assignee_id)
            .where(Ticket.created_at >= p.start, Ticket.created_at < p.end)
            .order_by(Ticket.id))
    stmt = scope.tickets(stmt, agency=p.agency)
    # A few codes, a year of rows: each label looked up once.
    label_reason, label_priority, label_status = (
        functools.cache(f) for f in (texts.reason, texts.priority, texts.status))
    out = []
    for (n, created, name, agency, reason, priority, status, first, closed, rating,
         handler) in (await s.execute(stmt)).all():
        out.append((n, _local(created, p.zone), name or "", agency or "",
                    label_reason(reason), label_priority(priority), label_status(status),
                    _minutes(first, created),
                    _minutes(closed, created) if status == "closed" else None,
                    rating, handler or ""))
    return out


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """Local wall time without a zone: spreadsheets cannot store one."""
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def xlsx(data: Sequence[tuple[Any, ...]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(texts.t("export.sheet"))
    sheet.append(list(HEADERS))
    for row in data:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


CSV_CHUNK = 1000  # rows a chunk: one send per row made a year of tickets take a minute


def csv_lines(data: Sequence[tuple[Any, ...]]) -> Iterator[str]:
    """UTF-8 with a BOM, so Excel opens the Chinese right; sent a thousand rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for n, row in enumerate((HEADERS, *data), start=1):
        writer.writerow(["" if v is None else v.isoformat(sep=" ") if isinstance(v, datetime)
                         else v for v in row])
        if n % CSV_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
