"""`junxiu run [--framework ptb|aiogram]`: the Telegram bot, polling."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.cli.common import staff_text

if TYPE_CHECKING:
    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    run = sub.add_parser("run", help="run the Telegram bot (polling)")
    run.add_argument("--framework", choices=["ptb", "aiogram"], default="ptb")
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio
    import os

    from bot.app import build_app
    from bot.logs import setup_logging

    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22: durations as timedelta, no warnings
    setup_logging()
    if settings.telegram_token is None:
        print(staff_text("no_token"), file=sys.stderr)
        return 2
    if args.framework == "aiogram":
        from bot.telegram import aiogram as adapter

        async def main_aiogram() -> None:
            app = await build_app(settings, speech=True)
            try:
                await adapter.run_polling(settings, app.service)
            finally:
                await app.close()

        asyncio.run(main_aiogram())
        return 0
    from bot.telegram import ptb

    app = asyncio.run(build_app(settings, speech=True))
    ptb.run(settings, app.service)
    return 0
