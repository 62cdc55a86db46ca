"""The `junxiu` command: one module per command group, each with `add_parsers(sub)` and its
commands `(args, settings) -> exit code`. `main` parses the line, builds the Settings once and
passes them down.

Each command imports only what it needs: `ask` must start fast (it needs no Settings unless it
hears a recording), and aiogram alone costs seconds to import.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from bot.cli.common import today_in_china

if TYPE_CHECKING:
    from bot.settings import Settings

Command = Callable[[argparse.Namespace, "Settings | None"], int]

# The command groups in the order `junxiu --help` lists them.
GROUPS = ("ask", "chat", "run", "speak", "desk", "staff", "tickets", "checkins", "contacts",
          "cadres", "training", "agencies", "db")

__all__ = ["GROUPS", "build_parser", "main", "today_in_china"]


def build_parser(*, only_ask: bool = False) -> argparse.ArgumentParser:
    """The whole command line; `only_ask` leaves out the staff commands, whose modules import
    the database layer: `junxiu ask` must start in well under a second."""
    from importlib import import_module

    parser = argparse.ArgumentParser(prog="junxiu", description="军休助手")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in GROUPS[:1] if only_ask else GROUPS:
        import_module(f"bot.cli.{group}").add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Chinese in and out regardless of the terminal's locale.
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    argv = list(sys.argv[1:] if argv is None else argv)
    from bot.logs import mask_last_resort

    mask_last_resort()  # `run` and `desk` set up logging themselves; the others print warnings
    args = build_parser(only_ask=argv[:1] == ["ask"]).parse_args(argv)
    settings = _settings() if _needs_settings(args) else None
    try:
        return args.func(args, settings)
    except BrokenPipeError:
        # `junxiu cadres list | head`: the reader has what it wanted. No traceback, and no
        # second one when Python flushes stdout on the way out.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _needs_settings(args: argparse.Namespace) -> bool:
    needs: Callable[[argparse.Namespace], bool] | None = getattr(args, "needs_settings", None)
    return needs is None or needs(args)


def _settings() -> Settings:
    from bot.settings import Settings

    return Settings()
