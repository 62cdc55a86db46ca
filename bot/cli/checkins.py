"""`junxiu checkins tick [--now ISO]` (one pass of the scheduler, cron-friendly: it sends
through the same Telegram settings as `run`) and `junxiu checkins report`."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.cli.common import (
    agency_option,
    cli_scope,
    iso_datetime,
    run_in_transaction,
    text,
    utc_now,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    checkins = sub.add_parser("checkins", help="the check-in scheduler and its report")
    checkins_sub = checkins.add_subparsers(dest="checkins_command", required=True)
    tick = checkins_sub.add_parser("tick", help="one pass: send what is due, raise alerts")
    tick.add_argument("--now", type=iso_datetime, help="ISO time (default: now)")
    report = checkins_sub.add_parser("report", help="due, overdue, unreachable, 5/6 months",
                                     parents=[agency_option()])
    report.add_argument("--format", choices=["text", "csv"], default="text")
    report.add_argument("--now", type=iso_datetime)
    checkins.set_defaults(func=cmd_checkins)


def cmd_checkins(args: argparse.Namespace, settings: Settings) -> int:
    from bot import checkins

    if args.checkins_command == "report":
        async def build(s: AsyncSession, now: datetime) -> str:
            rows = await checkins.report(s, args.now or now, settings, await cli_scope(s, args))
            return checkins.report_csv(rows) if args.format == "csv" else \
                checkins.report_text(rows)

        return run_in_transaction(settings, build)
    return asyncio.run(tick(settings, args.now))


async def tick(settings: Settings, now: datetime | None) -> int:
    from bot import checkins
    from bot.app import build_app
    from bot.telegram.delivery import TRANSPORT, deliver, paced

    app = await build_app(settings, clock=(lambda: now) if now else utc_now)
    try:
        result = await app.service.tick_checkins()
        print(checkins.tick_text(result))
        if settings.telegram_token is None:
            print(text("staff.checkin.tick.no_token"))
            return 0
        from telegram import Bot

        from bot.telegram.ptb import sender

        bot = Bot(settings.telegram_token.get_secret_value(),
                  base_url=f"{settings.api_root}/bot",
                  base_file_url=f"{settings.api_root}/file/bot")
        send = paced(sender(bot), settings.send_per_second)
        async with bot:
            sent = await deliver(app.service, send, result.replies)
            # A ping that failed for good (blocked, never pressed Start) raised a staff alert
            # just now: send it too, rather than leave it for a bot that may not be running.
            first = min((r.delivery_id for r in result.replies if r.delivery_id), default=None)
            if first is not None:
                alerts = [r for r in await app.service.due(TRANSPORT, limit=1000)
                          if r.delivery_id is not None and r.delivery_id > first]
                sent += await deliver(app.service, send, alerts)
                total = len(result.replies) + len(alerts)
            else:
                total = len(result.replies)
        print(text("staff.checkin.tick.sent", sent=sent, total=total))
        return 0
    finally:
        await app.close()
