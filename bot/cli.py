"""The `junxiu` command. Each subcommand imports only what it needs: `ask` must start fast, and
aiogram alone costs seconds to import.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")

Command = Callable[[argparse.Namespace], int]


def today_in_china() -> date:
    return datetime.now(CHINA).date()


def _profile(args: argparse.Namespace):
    from junxiu_core import CadreProfile

    return CadreProfile(region=args.region, status=args.status, rank=args.rank, age=args.age)


def cmd_ask(args: argparse.Namespace) -> int:
    profile = _profile(args)
    today = args.today or today_in_china()
    if args.audio is not None:  # a recording (or one path per line): Whisper, loaded once
        from bot.voice.ask import cmd_ask_audio

        return cmd_ask_audio(args, profile, today)
    if args.text is None:
        print("junxiu ask: give the question, - to read questions from stdin, or --audio",
              file=sys.stderr)
        return 2
    from bot.answering import answer_text, as_json

    def one(text: str) -> None:
        answered = answer_text(text, profile, today)
        if args.json or args.text == "-":
            print(json.dumps(as_json(answered, text), ensure_ascii=False), flush=True)
        else:
            print(answered.text, flush=True)

    if args.text != "-":
        one(args.text)
        return 0
    # One JSON object per input line, in one process: the matcher is loaded once.
    for line in sys.stdin:
        one(line.rstrip("\r\n"))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    import asyncio

    from bot.app import build_app
    from bot.console import ConsoleChat
    from bot.settings import Settings

    async def run() -> None:
        app = await build_app(Settings())
        try:
            await ConsoleChat(app).run()
        finally:
            await app.close()

    asyncio.run(run())
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    import asyncio
    import os

    from bot.app import build_app
    from bot.logs import setup_logging
    from bot.settings import Settings

    os.environ.setdefault("PTB_TIMEDELTA", "1")  # PTB 22: durations as timedelta, no warnings
    setup_logging()
    settings = Settings()
    if settings.telegram_token is None:
        print(_staff_text("no_token"), file=sys.stderr)
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


def cmd_desk(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.web import serve

    serve(Settings(), host=args.host, port=args.port, https=args.https)
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.settings import Settings
    from bot.storage.db import upgrade_sync

    upgrade_sync(Settings().database_url, args.revision)
    print(_staff_text("db_at", revision=args.revision))
    return 0


def _staff_text(name: str, /, **params: object) -> str:
    import knowledge

    return knowledge.load().string(f"staff.cli.{name}", **params)


def cmd_speak(args: argparse.Namespace) -> int:
    from bot.voice.tts import cmd_speak as speak

    return speak(args)


def _iso_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {raw!r}") from exc


def build_parser(*, only_ask: bool = False) -> argparse.ArgumentParser:
    """The whole command line; `only_ask` leaves out the staff commands, whose modules import
    the database layer: `junxiu ask` must start in well under a second."""
    from junxiu_core.model import REGIONS, Rank, Status

    parser = argparse.ArgumentParser(prog="junxiu", description="军休助手")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question (or one per line from stdin with -)")
    ask.add_argument("--region", choices=REGIONS, default="national")
    ask.add_argument("--status", choices=[s.value for s in Status])
    ask.add_argument("--rank", choices=[r.value for r in Rank])
    ask.add_argument("--age", type=int)
    ask.add_argument("--today", type=_iso_date, help="YYYY-MM-DD (default: today in China)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--audio", metavar="FILE",
                     help="a voice note to hear and answer (its transcript is in the JSON), "
                          "or - to read one audio file path per line from stdin")
    ask.add_argument("text", nargs="?",
                     help="the question, or - to read one per line from stdin")
    ask.set_defaults(func=cmd_ask)
    if only_ask:
        return parser

    chat = sub.add_parser("chat", help="talk to the assistant in this terminal (SQLite)")
    chat.set_defaults(func=cmd_chat)

    run = sub.add_parser("run", help="run the Telegram bot (polling)")
    run.add_argument("--framework", choices=["ptb", "aiogram"], default="ptb")
    run.set_defaults(func=cmd_run)

    speak = sub.add_parser("speak", help="say a reply as an OGG/Opus voice note (espeak-ng)")
    speak.add_argument("text", help="the reply (\\n between lines), or - to read it from stdin")
    speak.add_argument("--out", required=True, help="the .ogg file to write")
    speak.add_argument("--speed", type=int, default=150, help="words a minute (default 150)")
    speak.add_argument("--no-pinyin", action="store_true",
                       help="let espeak-ng read the Chinese itself (for comparison)")
    speak.add_argument("--show", action="store_true", help="print what espeak-ng is given")
    speak.set_defaults(func=cmd_speak)

    desk = sub.add_parser("desk", help="serve the staff web desk")
    desk.add_argument("--host", default="127.0.0.1")
    desk.add_argument("--port", type=int, default=8080)
    desk.add_argument("--https", action="store_true",
                      help="served over HTTPS (e.g. behind a TLS proxy): Secure cookies")
    desk.set_defaults(func=cmd_desk)

    from bot.agencies.cli import add_parsers as add_agencies
    from bot.desk import add_checkin_parsers
    from bot.desk import add_parsers as add_desk
    from bot.roster import add_parsers as add_roster
    from bot.training import add_parsers as add_training

    add_desk(sub)
    add_checkin_parsers(sub)
    add_roster(sub)
    add_training(sub)
    add_agencies(sub)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db", required=True)
    db_up = db.add_parser("upgrade", help="apply migrations (also done on every start)")
    db_up.add_argument("revision", nargs="?", default="head")
    db_up.set_defaults(func=cmd_db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # Chinese in and out regardless of the terminal's locale.
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="replace")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(only_ask=argv[:1] == ["ask"]).parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        # `junxiu cadres list | head`: the reader has what it wanted. No traceback, and no
        # second one when Python flushes stdout on the way out.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
