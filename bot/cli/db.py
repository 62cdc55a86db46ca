"""`junxiu db upgrade [REVISION]`: apply the migrations (every start does it too)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from bot.cli.common import staff_text

if TYPE_CHECKING:
    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db_up = db.add_parser("upgrade", help="apply migrations (also done on every start)")
    db_up.add_argument("revision", nargs="?", default="head")
    db_up.set_defaults(func=cmd_db_upgrade)


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.db import upgrade_sync

    upgrade_sync(settings.database_url, args.revision)
    print(staff_text("db_at", revision=args.revision))
    return 0
