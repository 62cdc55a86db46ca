"""`junxiu ask [--region R] … (TEXT | -)` and `junxiu ask --audio (FILE | -)`: an answer
without state or database (the contract in DESIGN.md). Must start in well under a second: the
matcher and the recogniser are imported only when asked for, and typed questions need no
Settings at all."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from bot.cli.common import iso_date, today_in_china

if TYPE_CHECKING:
    from bot.settings import Settings
    from junxiu_core import CadreProfile


def add_parsers(sub: Any) -> None:
    from junxiu_core.model import REGIONS, Rank, Status

    ask = sub.add_parser("ask", help="answer one question (or one per line from stdin with -)")
    ask.add_argument("--region", choices=REGIONS, default="national")
    ask.add_argument("--status", choices=[s.value for s in Status])
    ask.add_argument("--rank", choices=[r.value for r in Rank])
    ask.add_argument("--age", type=int)
    ask.add_argument("--today", type=iso_date, help="YYYY-MM-DD (default: today in China)")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--audio", metavar="FILE",
                     help="a voice note to hear and answer (its transcript is in the JSON), "
                          "or - to read one audio file path per line from stdin")
    ask.add_argument("text", nargs="?",
                     help="the question, or - to read one per line from stdin")
    ask.set_defaults(func=cmd_ask, needs_settings=needs_settings)


def needs_settings(args: argparse.Namespace) -> bool:
    """Only a recording needs them (which recogniser, its thresholds)."""
    return args.audio is not None


def _profile(args: argparse.Namespace) -> CadreProfile:
    from junxiu_core import CadreProfile

    return CadreProfile(region=args.region, status=args.status, rank=args.rank, age=args.age)


def cmd_ask(args: argparse.Namespace, settings: Settings | None) -> int:
    profile = _profile(args)
    today = args.today or today_in_china()
    if args.audio is not None:  # a recording (or one path per line): Whisper, loaded once
        assert settings is not None
        return cmd_ask_audio(args, profile, today, settings)
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


def cmd_ask_audio(args: argparse.Namespace, profile: CadreProfile, today: date,
                  settings: Settings) -> int:
    """The same verdict as the bot on the same recogniser, loaded once for all the files."""
    from bot.voice.ask import run
    from bot.voice.asr import ASRConfigError, recognizer_from_settings

    try:
        recognizer = recognizer_from_settings(settings.asr_backend, settings.asr_model_path,
                                              max_seconds=settings.asr_max_seconds)
    except ASRConfigError as exc:
        print(f"speech recognition cannot start: {exc}", file=sys.stderr)
        return 2
    if recognizer is None:
        print("speech recognition is not installed: make install-voice (the voice extra)",
              file=sys.stderr)
        return 2
    reading = args.audio == "-"
    paths = (line.strip() for line in sys.stdin) if reading else iter([args.audio])
    for line in run(recognizer, paths, profile, today,
                    confirm_below=settings.asr_confirm_below,
                    as_lines=args.json or reading):
        print(line, flush=True)
    return 0
