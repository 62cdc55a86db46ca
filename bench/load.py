"""Load: the real bot (PTB or aiogram, polling) in-process against the fake Bot API on
127.0.0.1, SQLite in a temporary directory, many cadres writing at once.

N realistic messages (examples from intents/data/phrases.yaml, drawn with a fixed seed) from C
cadres, pushed in bursts of B messages from B different cadres; the next burst goes when every
message of this one has its answer (closed loop: the bot's capacity, not a queue growing
without end). Latency of a message: the update queued at the fake (push) → the fake
receiving the bot's sendMessage to that chat (the k-th message of a chat ↔ the k-th answer
there), so it includes the long-poll pick-up. Also throughput, p50/p99, peak RSS, CPU, errors
(ERROR log records, failed API calls, unanswered messages). "Extra answers" are answers nobody
was waiting for: a "/start" among the examples gets the menu and, for a cadre whose region is
unknown, the region question too.

Flood control (settings.flood_per_minute, 20 a minute per cadre) stays on as configured: the
messages are spread so a cadre writes once per C messages, far under the limit unless the bot
answers more than C/3 messages a second; any flood notice is counted and reported.

Telegram's own rate limits (about 30 messages a second overall, 20 a minute to a group) are
enforced for PTB by its AIORateLimiter; with them the bench measures Telegram, not the bot:
10,000 answers need at least 333 s. They are off by default here (--telegram-limits keeps
them); aiogram has no such limiter.

Run: python -m bench.load [--messages 10000] [--cadres 1000] [--framework ptb|aiogram]
                          [--burst 100] [--telegram-limits] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import functools
import json
import logging
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from bench.common import ROOT, machine, percentile, summary_ms, write

FIRST_CHAT = 300_000
STAFF_CHAT = -100900
PHRASES = ROOT / "intents" / "data" / "phrases.yaml"
BURST_TIMEOUT = 120.0  # seconds for one burst to be answered before giving up on it


def messages(n: int, seed: int = 11) -> list[tuple[str, str]]:
    """(intent, text) drawn from the written examples: what cadres type, every intent."""
    data = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    pool = [(intent, text) for intent, entry in sorted(data.items())
            for text in entry.get("examples", ())]
    rng = random.Random(seed)
    return [rng.choice(pool) for _ in range(n)]


class Errors(logging.Handler):
    """Counts ERROR records (and keeps the first few) whoever logs them."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.first) < 5:
            self.first.append(f"{record.name}: {record.getMessage()[:200]}")


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _without_telegram_limits() -> None:
    """PTB's AIORateLimiter with its overall and group limits off (a 429 is still waited out
    by bot/telegram/delivery.py)."""
    from telegram.ext import AIORateLimiter

    import bot.telegram.ptb as ptb

    ptb.AIORateLimiter = functools.partial(AIORateLimiter, overall_max_rate=0,
                                           group_max_rate=0)


def limits_note(framework: str, telegram_limits: bool) -> str:
    if framework == "aiogram":
        return "none (aiogram has no rate limiter; the bot sends as fast as it can)"
    if telegram_limits:
        return "on (PTB AIORateLimiter: 30 messages/s overall, 20/min per group)"
    return "off (PTB AIORateLimiter's overall and group limits disabled for the run)"


async def run(n: int, cadres: int, framework: str, burst: int, telegram_limits: bool
              ) -> dict[str, Any]:
    from bot.settings import Settings
    from tests.e2e.conftest import BotRunner
    from tests.helpers.fake_bot_api import FakeBotAPI

    if not telegram_limits:
        _without_telegram_limits()
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    texts = messages(n)
    errors = Errors()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().addHandler(errors)

    with tempfile.TemporaryDirectory(prefix="junxiu-load-") as tmp:
        cwd = Path.cwd()
        os.chdir(tmp)  # anything the bot writes (audio) stays in the temporary directory
        try:
            async with FakeBotAPI(max_poll_wait=1.0) as api:
                api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
                settings = Settings(_env_file=None, telegram_token=api.token,
                                    telegram_api_url=api.url,
                                    database_url=f"sqlite+aiosqlite:///{tmp}/load.sqlite3",
                                    staff_chat_id=STAFF_CHAT)
                bot = BotRunner(framework, api, settings)
                started = time.perf_counter()
                await bot.start()
                startup = time.perf_counter() - started
                try:
                    result = await drive(api, texts, cadres, burst)
                finally:
                    await bot.stop()
        finally:
            os.chdir(cwd)

    result.update(framework=framework, startup_s=round(startup, 2),
                  errors_logged=errors.count, first_errors=errors.first,
                  peak_rss_mb=peak_rss_mb(), flood_per_minute=settings.flood_per_minute,
                  telegram_rate_limits=limits_note(framework, telegram_limits))
    return result


async def drive(api: Any, texts: list[tuple[str, str]], cadres: int, burst: int
                ) -> dict[str, Any]:
    pending: dict[int, collections.deque[float]] = collections.defaultdict(collections.deque)
    latencies: list[float] = []
    seen = 0  # api.requests read so far
    extra = failed_calls = flood_notices = staff_posts = 0
    unanswered = 0
    extras: list[dict[str, Any]] = []  # the first few answers nobody was waiting for
    sent: dict[int, list[str]] = collections.defaultdict(list)  # texts pushed, per chat
    from knowledge import load

    flood_text = load().string("ui.flood")

    def read_new() -> None:
        nonlocal seen, extra, failed_calls, flood_notices, staff_posts
        calls = api.requests
        for call in calls[seen:]:
            if call.method == "getUpdates":
                continue
            if not call.ok:
                failed_calls += 1
                continue
            if call.method != "sendMessage":
                continue
            chat = call.params.get("chat_id")
            if chat == STAFF_CHAT:
                staff_posts += 1
                continue
            if call.params.get("text") == flood_text:
                flood_notices += 1
                continue
            queue = pending.get(chat)
            if queue:
                latencies.append(call.at - queue.popleft())
            else:
                extra += 1
                if len(extras) < 5:
                    extras.append({"chat": chat, "answer": call.params.get("text", "")[:120],
                                   "chat_said": sent[chat][-2:]})
        seen = len(calls)

    first_push = time.monotonic()
    cpu_before = cpu_seconds()
    for start in range(0, len(texts), burst):
        chunk = texts[start:start + burst]
        for offset, (_, text) in enumerate(chunk):
            i = start + offset
            chat = FIRST_CHAT + i % cadres  # a cadre writes once every `cadres` messages
            pending[chat].append(time.monotonic())
            sent[chat].append(text)
            api.push_text(chat, text, first_name=f"军休{i % cadres}")
        deadline = time.monotonic() + BURST_TIMEOUT
        while True:
            read_new()
            if not any(pending.values()):
                break
            if time.monotonic() > deadline:
                unanswered += sum(len(q) for q in pending.values())
                for queue in pending.values():
                    queue.clear()
                break
            await asyncio.sleep(0.005)
        done = start + len(chunk)
        if done % max(burst, len(texts) // 10) < burst:
            elapsed = time.monotonic() - first_push
            print(f"  {done}/{len(texts)} answered, {done / elapsed:.0f} msg/s, "
                  f"p50 {percentile(latencies, 50) * 1000:.0f} ms", file=sys.stderr)
    last_answer = time.monotonic()
    await asyncio.sleep(0.5)  # late extras
    read_new()
    wall = last_answer - first_push
    stats = summary_ms(latencies) if latencies else {}
    return {
        "messages": len(texts), "cadres": cadres, "burst": burst,
        "answered": len(latencies), "unanswered": unanswered, "extra_answers": extra,
        "extras": extras, "failed_api_calls": failed_calls, "flood_notices": flood_notices,
        "staff_posts": staff_posts,  # ticket posts, and re-alerts of unclaimed emergencies
        "wall_s": round(wall, 2),
        "throughput_msg_s": round(len(latencies) / wall, 1) if wall else None,
        "latency": stats, "p90_ms": round(percentile(latencies, 90) * 1000, 1)
        if latencies else None,
        "cpu_s": round(cpu_seconds() - cpu_before, 1),
        "cpu_ms_per_message": round((cpu_seconds() - cpu_before) / len(texts) * 1000, 1),
    }


def hot_spots(profile: cProfile.Profile, top: int = 15) -> dict[str, float]:
    """Share of the event-loop thread's own time per package (site-packages name, or this
    repository's top-level directory); "idle" is the loop waiting in epoll."""
    shares: collections.Counter[str] = collections.Counter()
    for (path, _, name), (_, _, own, _, _) in pstats.Stats(profile).stats.items():
        if "site-packages/" in path:
            key = path.split("site-packages/")[1].split("/")[0].removesuffix(".py")
        elif str(ROOT) in path:
            key = "repo:" + Path(path).relative_to(ROOT).parts[0]
        elif "epoll" in name:
            key = "idle (epoll)"
        elif path.startswith(("~", "<")):
            key = "builtins"
        else:
            key = "stdlib"
        shares[key] += own
    total = sum(shares.values()) or 1.0
    return {key: round(own / total * 100, 1) for key, own in shares.most_common(top)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--cadres", type=int, default=1_000)
    parser.add_argument("--framework", choices=["ptb", "aiogram"], default="ptb")
    parser.add_argument("--burst", type=int, default=100,
                        help="messages pushed at once, each from a different cadre")
    parser.add_argument("--telegram-limits", action="store_true",
                        help="keep PTB's rate limiter at Telegram's limits")
    parser.add_argument("--profile", action="store_true", help="print the hot spots")
    args = parser.parse_args(argv)
    burst = min(args.burst, args.cadres)

    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    report = asyncio.run(run(args.messages, args.cadres, args.framework, burst,
                             args.telegram_limits))
    if profile:
        profile.disable()
        report["profile_share_pct"] = hot_spots(profile)
        print(json.dumps(report["profile_share_pct"], indent=1), file=sys.stderr)
    report["machine"] = machine()
    report["note"] = ("bot and fake Bot API share one process and event loop; SQLite file in "
                      "a temporary directory; closed-loop bursts")
    path = write("load.json", report)
    lat = report["latency"]
    print(f"load {report['framework']}: {report['answered']}/{report['messages']} answered "
          f"from {report['cadres']} cadres in {report['wall_s']} s, "
          f"{report['throughput_msg_s']} msg/s, p50 {lat.get('p50_ms')} ms, "
          f"p99 {lat.get('p99_ms')} ms, peak RSS {report['peak_rss_mb']} MB, "
          f"errors {report['errors_logged'] + report['failed_api_calls'] + report['unanswered']}"
          f" -> {path.relative_to(ROOT)}")
    return 0 if report["unanswered"] == 0 and report["errors_logged"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
