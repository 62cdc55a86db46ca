"""First-day conversations benchmark: held-out multi-turn conversations played through the real
service (console transport, SQLite), each turn checked against what a good assistant must do.

The sets (bench/sets/conversations_*.jsonl) were written by writers who never saw the code, the
stories in tests/bot/stories.yaml, the training data or dev.jsonl (bench/sets/README.md). Each
turn's `expect` may hold: intent, contains, not_contains, asks_region, ticket, says_120,
condolence (format: the writers' brief, quoted in bench/sets/README.md). Per set: share of
checks met (by kind of check), share of turns with every check met, share of whole
conversations met. Failures go to bench/results/conversations_errors_<set>.jsonl.

Run: python -m bench.conversations [PATH.jsonl ...]   (default: bench/sets/conversations_*.jsonl)
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import knowledge
from bench.common import RESULTS, ROOT, load_jsonl, machine, write
from bot.app import build_app
from bot.messages import Incoming
from bot.settings import Settings
from bot.storage.db import make_sessions
from bot.storage.models import Message, Ticket

SETS = ROOT / "bench" / "sets"
START = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Sunday
STAFF_CHAT = "-100777"
USER = "c1"


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


async def play(conversation: dict[str, Any], root: Path) -> list[dict[str, Any]]:
    """Every check of one conversation: {turn, check, ok, want, said}."""
    clock = _Clock()
    url = f"sqlite+aiosqlite:///{root / (conversation['id'] + '.db')}"
    app = await build_app(Settings(_env_file=None, database_url=url, staff_chat_id=STAFF_CHAT),
                          clock=clock)
    sessions = make_sessions(app.engine)
    region_question = knowledge.load().string("ask.region").split("？")[0]
    out: list[dict[str, Any]] = []
    try:
        for n, turn in enumerate(conversation["turns"], 1):
            clock.now += timedelta(minutes=1)
            text = str(turn["say"])
            async with sessions() as s:
                tickets_before = await s.scalar(select(func.count(Ticket.id)))
            if text.startswith("/"):
                name, _, args = text[1:].partition(" ")
                msg = Incoming(transport="console", user_id=USER, chat_id=USER, at=clock(),
                               text=text, update_id=n, kind="command", command=name,
                               command_args=args)
            else:
                msg = Incoming(transport="console", user_id=USER, chat_id=USER, at=clock(),
                               text=text, update_id=n)
            replies = await app.service.handle(msg)
            said = "\n".join(r.text for r in replies if r.chat_id == USER)
            async with sessions() as s:
                tickets_after = await s.scalar(select(func.count(Ticket.id)))
                intent = await s.scalar(select(Message.intent).where(
                    Message.direction == "in").order_by(Message.id.desc()).limit(1))
            for check, want in (turn.get("expect") or {}).items():
                ok = _met(check, want, said=said, intent=intent,
                          new_ticket=tickets_after > tickets_before,
                          region_question=region_question)
                out.append({"turn": n, "say": text, "check": check, "want": want, "ok": ok,
                            "intent": intent, "said": said})
    finally:
        await app.close()
    return out


def _met(check: str, want: Any, *, said: str, intent: str | None, new_ticket: bool,
         region_question: str) -> bool:
    if check == "intent":
        return intent == want
    if check == "contains":
        return all(str(w) in said for w in want)
    if check == "not_contains":
        return not any(str(w) in said for w in want)
    if check == "asks_region":
        return (region_question in said) == bool(want)
    if check == "ticket":
        return new_ticket == bool(want)
    if check == "says_120":
        return ("120" in said) == bool(want)
    if check == "condolence":
        return ("节哀" in said) == bool(want)
    raise ValueError(f"unknown check {check!r}")


async def evaluate(rows: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    by_check: Counter[str] = Counter()
    met: Counter[str] = Counter()
    turns_ok = turns = whole_ok = 0
    failures: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for conversation in rows:
            checks = await play(conversation, Path(tmp))
            for c in checks:
                by_check[c["check"]] += 1
                met[c["check"]] += c["ok"]
            by_turn: dict[int, bool] = {}
            for c in checks:
                by_turn[c["turn"]] = by_turn.get(c["turn"], True) and c["ok"]
            turns += len(by_turn)
            turns_ok += sum(by_turn.values())
            whole_ok += all(by_turn.values())
            failures += [{"id": conversation["id"], **c} for c in checks if not c["ok"]]
    total = sum(by_check.values())
    return {
        "conversations": len(rows), "turns_checked": turns, "checks": total,
        "checks_met": round(sum(met.values()) / total, 4) if total else None,
        "turns_met": round(turns_ok / turns, 4) if turns else None,
        "conversations_met": round(whole_ok / len(rows), 4) if rows else None,
        "by_check": {k: {"n": n, "met": round(met[k] / n, 4)} for k, n in sorted(by_check.items())},
    }, failures


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(SETS.glob("conversations_*.jsonl"))
    report: dict[str, Any] = {"machine": machine(), "sets": {}}
    for path in paths:
        result, failures = asyncio.run(evaluate(load_jsonl(path)))
        report["sets"][path.stem] = result
        (RESULTS / f"conversations_errors_{path.stem}.jsonl").write_text(
            "".join(json.dumps(f, ensure_ascii=False) + "\n" for f in failures), encoding="utf-8")
        print(f"{path.stem}: {result['conversations']} conversations, {result['checks']} checks: "
              f"{result['checks_met']:.1%} of checks, {result['turns_met']:.1%} of turns, "
              f"{result['conversations_met']:.1%} of whole conversations met; "
              + ", ".join(f"{k} {v['met']:.0%} of {v['n']}" for k, v in result["by_check"].items()))
    print("wrote", write("conversations.json", report))
    return 0


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    sys.exit(main(sys.argv[1:]))
