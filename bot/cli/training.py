"""`junxiu train [--without-reviewed]` and `junxiu gaps export FILE`: the intent model rebuilt
with the examples staff reviewed on the desk, or those examples written out (bot/training.py)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import Settings


def add_parsers(sub: Any) -> None:
    train = sub.add_parser("train", help="rebuild the intent model: the written examples plus "
                                         "those staff reviewed on the desk")
    train.add_argument("--without-reviewed", action="store_true",
                       help="the written examples only (as make install trains)")
    train.set_defaults(func=cmd_train)
    gaps = sub.add_parser("gaps", help="the desk's gaps inbox")
    gaps_sub = gaps.add_subparsers(dest="gaps_command", required=True)
    export = gaps_sub.add_parser("export", help="write the reviewed examples as training data "
                                                "(one JSON object a line)")
    export.add_argument("file")
    export.set_defaults(func=cmd_gaps_export)


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    from bot.training import reviewed
    from intents.examples import Example
    from intents.model import cache_path, save
    from intents.train import train

    rows = [] if args.without_reviewed else asyncio.run(reviewed(settings))
    model = train([Example(r["text"], r["intent"], source="reviewed") for r in rows])
    path = cache_path()
    save(model, path)
    r = model.report
    print(f"intent model → {path}: {r['examples']} written examples + "
          f"{r.get('reviewed_examples', 0)} reviewed; 5-fold CV topic (written only) "
          f"{r['topic_accuracy']:.1%}")
    return 0


def cmd_gaps_export(args: argparse.Namespace, settings: Settings) -> int:
    from bot.training import reviewed

    rows = asyncio.run(reviewed(settings))
    Path(args.file).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                               encoding="utf-8")
    print(f"{len(rows)} reviewed examples → {args.file}")
    return 0
