"""`junxiu chat`: the console chat on the configured database (the embedded SQLite default)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    chat = sub.add_parser("chat", help="talk to the assistant in this terminal (SQLite)")
    chat.set_defaults(func=cmd_chat)


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    import asyncio

    from bot.app import build_app
    from bot.console import ConsoleChat

    async def run() -> None:
        app = await build_app(settings)
        try:
            await ConsoleChat(app).run()
        finally:
            await app.close()

    asyncio.run(run())
    return 0
