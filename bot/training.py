"""`junxiu train` and `junxiu gaps export FILE`: the reviewed examples staff made on the desk's
gaps page, read from the database, added to the written training data (never held out), or
written out in the training-data format (intents/data/examples/*.jsonl)."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions, upgrade
from bot.storage.models import ReviewedExample


async def reviewed(settings: Settings) -> list[dict[str, Any]]:
    """Every reviewed example, oldest first, as a training-data row."""
    await upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        async with make_sessions(engine)() as s:
            rows = (await s.scalars(select(ReviewedExample)
                                    .order_by(ReviewedExample.id))).all()
            return [{"text": r.text, "intent": r.intent, "topic": None, "kind": None}
                    for r in rows]
    finally:
        await engine.dispose()


def cmd_train(args: argparse.Namespace) -> int:
    from intents.examples import Example
    from intents.model import cache_path, save
    from intents.train import train

    rows = [] if args.without_reviewed else asyncio.run(reviewed(Settings()))
    model = train([Example(r["text"], r["intent"], source="reviewed") for r in rows])
    path = cache_path()
    save(model, path)
    r = model.report
    print(f"intent model → {path}: {r['examples']} written examples + "
          f"{r.get('reviewed_examples', 0)} reviewed; 5-fold CV topic (written only) "
          f"{r['topic_accuracy']:.1%}")
    return 0


def cmd_gaps_export(args: argparse.Namespace) -> int:
    rows = asyncio.run(reviewed(Settings()))
    Path(args.file).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                               encoding="utf-8")
    print(f"{len(rows)} reviewed examples → {args.file}")
    return 0


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
