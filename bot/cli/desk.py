"""`junxiu desk [--host H] [--port N] [--https]`: the staff web desk (bot/web)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    desk = sub.add_parser("desk", help="serve the staff web desk")
    desk.add_argument("--host", default="127.0.0.1")
    desk.add_argument("--port", type=int, default=8080)
    desk.add_argument("--https", action="store_true",
                      help="served over HTTPS (e.g. behind a TLS proxy): Secure cookies")
    desk.set_defaults(func=cmd_desk)


def cmd_desk(args: argparse.Namespace, settings: Settings) -> int:
    from bot.web import serve

    serve(settings, host=args.host, port=args.port, https=args.https)
    return 0
