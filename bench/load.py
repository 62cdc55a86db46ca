"""Load: the real bot (PTB or aiogram, polling) against the fake Bot API in a process of its
own, SQLite in a temporary directory, many cadres writing at once.

Two processes. The bot process (this one) runs the app and one framework exactly as
`junxiu run` does; a child process (multiprocessing, spawned) runs tests/helpers/fake_bot_api
on 127.0.0.1 and the driver that pushes updates and reads the bot's calls. So the CPU figure
is the bot's own: `time.process_time()` of this process (user + system, all its threads:
aiosqlite's too), from the first push to the last answer, start-up excluded, divided by the
messages answered. Statements are counted on the engine (`before_cursor_execute`, BEGIN and
COMMIT included) over the same span.

N realistic messages (examples from intents/data/phrases.yaml, drawn with a fixed seed) from C
cadres, pushed in bursts of B messages from B different cadres; the next burst goes when every
message of this one has its answer (closed loop: the bot's capacity, not a queue growing
without end). Latency of a message: the update queued at the fake (push) → the fake
receiving the bot's sendMessage to that chat (the k-th message of a chat ↔ the k-th answer
there), so it includes the long-poll pick-up. Also throughput, p50/p99, peak RSS, errors
(ERROR log records in the bot, failed API calls, unanswered messages). "Extra answers" are
answers nobody was waiting for: a "/start" among the examples gets the menu and, for a cadre
whose region is unknown, the region question too.

Flood control (settings.flood_per_minute, 20 a minute per cadre) stays on as configured: the
messages are spread so a cadre writes once per C messages, far under the limit unless the bot
answers more than C/3 messages a second; any flood notice is counted and reported.

Telegram's own rate limits (about 30 messages a second overall, 20 a minute to a group) are
enforced for PTB by its AIORateLimiter; with them the bench measures Telegram, not the bot:
10,000 answers need at least 333 s. They are off by default here (--telegram-limits keeps
them); aiogram has no such limiter.

Run: python -m bench.load [--messages 10000] [--cadres 1000] [--framework ptb|aiogram]
                          [--burst 100] [--telegram-limits] [--profile] [--bare] [--out FILE]
--profile runs cProfile in the bot process only and prints where its time goes.
--bare runs, instead of junxiu, the framework alone answering each message with one fixed
text (no database, no understanding), polling the same fake the same way: the floor that
the framework and its HTTP client cost per answered message on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import functools
import json
import logging
import multiprocessing
import os
import pstats
import random
import resource
import sys
import tempfile
import time
from multiprocessing.connection import Connection
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


def _without_telegram_limits() -> None:
    """PTB's AIORateLimiter with its overall and group limits off (a 429 is still waited out
    by bot/telegram/delivery.py)."""
    from telegram.ext import AIORateLimiter

    import bot.telegram.ptb as ptb

    ptb.AIORateLimiter = functools.partial(AIORateLimiter, overall_max_rate=0,
                                           group_max_rate=0)


def bare_note(framework: str, limiter: bool) -> str:
    alone = "" if limiter or framework != "ptb" else ", no AIORateLimiter"
    return f" (bare: the framework alone{alone})"


def limits_note(framework: str, telegram_limits: bool) -> str:
    if framework == "aiogram":
        return "none (aiogram has no rate limiter; the bot sends as fast as it can)"
    if telegram_limits:
        return "on (PTB AIORateLimiter: 30 messages/s overall, 20/min per group)"
    return "off (PTB AIORateLimiter's overall and group limits disabled for the run)"


class BareBot:
    """The framework alone: polls like junxiu does and answers every message with one
    sendMessage of a fixed text. What it costs is the floor under junxiu's figure."""

    def __init__(self, framework: str, settings: Any, limiter: bool = True) -> None:
        self.framework = framework
        self.settings = settings
        self.limiter = limiter  # PTB's AIORateLimiter, as junxiu uses it (its limits off)
        self.app = None
        self._stop: Any = None

    async def start(self) -> None:
        self._stop = await (self._ptb() if self.framework == "ptb" else self._aiogram())

    async def stop(self) -> None:
        await self._stop()

    async def _ptb(self) -> Any:
        import datetime as dtm

        from telegram.ext import AIORateLimiter, ApplicationBuilder, MessageHandler, filters

        root = self.settings.api_root
        builder = (ApplicationBuilder().token(self.settings.telegram_token.get_secret_value())
                   .base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
                   .concurrent_updates(True))
        if self.limiter:
            builder = builder.rate_limiter(AIORateLimiter(max_retries=0, overall_max_rate=0,
                                                          group_max_rate=0))
        application = builder.build()

        async def answer(update: Any, _: Any) -> None:
            await update.effective_chat.send_message("收到")

        application.add_handler(MessageHandler(filters.ALL, answer))
        await application.initialize()
        await application.start()
        await application.updater.start_polling(poll_interval=0.0,
                                                timeout=dtm.timedelta(seconds=1))

        async def stop() -> None:
            await application.updater.stop()
            await application.stop()
            await application.shutdown()
        return stop

    async def _aiogram(self) -> Any:
        from aiogram import Bot, Dispatcher
        from aiogram.client.session.aiohttp import AiohttpSession
        from aiogram.client.telegram import TelegramAPIServer

        bot = Bot(self.settings.telegram_token.get_secret_value(),
                  session=AiohttpSession(api=TelegramAPIServer.from_base(
                      self.settings.api_root)))
        dp = Dispatcher()

        @dp.message()
        async def answer(message: Any) -> None:
            await message.answer("收到")

        polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False,
                                                       polling_timeout=1))

        async def stop() -> None:
            await dp.stop_polling()
            await polling
            await bot.session.close()
        return stop


# -- the fake's process ------------------------------------------------------------------------


def fake_process(conn: Connection, n: int, cadres: int, burst: int, flood_text: str) -> None:
    """Child process: the fake Bot API and the driver. Tells the bot process the URL, waits
    for "go", drives, then sends the figures; "stop" ends it."""
    asyncio.run(_fake_main(conn, n, cadres, burst, flood_text))


async def _fake_main(conn: Connection, n: int, cadres: int, burst: int, flood_text: str
                     ) -> None:
    from tests.helpers.fake_bot_api import FakeBotAPI

    loop = asyncio.get_running_loop()
    async with FakeBotAPI(max_poll_wait=1.0) as api:
        api.add_chat(STAFF_CHAT, chat_type="supergroup", title="军休所工作群")
        conn.send(("ready", api.url, api.token))
        assert await loop.run_in_executor(None, conn.recv) == "go"
        conn.send(("done", await drive(api, messages(n), cadres, burst, flood_text)))
        assert await loop.run_in_executor(None, conn.recv) == "stop"


async def drive(api: Any, texts: list[tuple[str, str]], cadres: int, burst: int,
                flood_text: str) -> dict[str, Any]:
    pending: dict[int, collections.deque[float]] = collections.defaultdict(collections.deque)
    latencies: list[float] = []
    seen = 0  # api.requests read so far
    extra = failed_calls = flood_notices = staff_posts = 0
    unanswered = 0
    extras: list[dict[str, Any]] = []  # the first few answers nobody was waiting for
    sent: dict[int, list[str]] = collections.defaultdict(list)  # texts pushed, per chat

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
    }


# -- the bot's process -------------------------------------------------------------------------


class _Statements:
    """Counts every statement the engine sends (BEGIN and COMMIT are not cursor executes on
    SQLite's driver, so transactions are counted apart, on "begin")."""

    def __init__(self) -> None:
        self.statements = self.transactions = 0

    def executed(self, *_: Any) -> None:
        self.statements += 1

    def began(self, *_: Any) -> None:
        self.transactions += 1


async def run(n: int, cadres: int, framework: str, burst: int, telegram_limits: bool,
              profile: cProfile.Profile | None, bare: bool = False, limiter: bool = True
              ) -> dict[str, Any]:
    from sqlalchemy import event

    import knowledge
    from bot.settings import Settings
    from tests.e2e.conftest import BotRunner

    if not telegram_limits:
        _without_telegram_limits()
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    errors = Errors()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().addHandler(errors)

    loop = asyncio.get_running_loop()
    ours, theirs = multiprocessing.Pipe()
    fake = multiprocessing.get_context("spawn").Process(
        target=fake_process, name="fake-bot-api", daemon=True,
        args=(theirs, n, cadres, burst, knowledge.load().string("ui.flood")))
    fake.start()

    async def receive() -> Any:
        return await loop.run_in_executor(None, ours.recv)  # a thread blocked in recv: no CPU

    try:
        _, url, token = await receive()
        with tempfile.TemporaryDirectory(prefix="junxiu-load-") as tmp:
            cwd = Path.cwd()
            os.chdir(tmp)  # anything the bot writes (audio) stays in the temporary directory
            try:
                settings = Settings(_env_file=None, telegram_token=token,
                                    telegram_api_url=url,
                                    database_url=f"sqlite+aiosqlite:///{tmp}/load.sqlite3",
                                    staff_chat_id=STAFF_CHAT)
                bot: Any = (BareBot(framework, settings, limiter) if bare
                            else BotRunner(framework, None, settings))  # type: ignore[arg-type]
                started = time.perf_counter()
                await bot.start()
                startup = time.perf_counter() - started
                counted = _Statements()
                engine = bot.app.engine.sync_engine if bot.app is not None else None
                try:
                    await asyncio.sleep(1.5)  # the first long polls and timers settle
                    if engine is not None:
                        event.listen(engine, "before_cursor_execute", counted.executed)
                        event.listen(engine, "begin", counted.began)
                    if profile:
                        profile.enable()
                    cpu_before, loop_before = time.process_time(), time.thread_time()
                    ours.send("go")
                    _, result = await receive()
                    cpu = time.process_time() - cpu_before
                    loop_cpu = time.thread_time() - loop_before  # the event loop's thread
                    if profile:
                        profile.disable()
                    if engine is not None:
                        event.remove(engine, "before_cursor_execute", counted.executed)
                        event.remove(engine, "begin", counted.began)
                finally:
                    await bot.stop()
            finally:
                os.chdir(cwd)
        ours.send("stop")
        fake.join(10)
    finally:
        if fake.is_alive():
            fake.terminate()

    answered = result["answered"] or 1
    result.update(
        framework=framework + (bare_note(framework, limiter) if bare else ""),
        startup_s=round(startup, 2),
        bot_cpu_s=round(cpu, 2), cpu_ms_per_message=round(cpu / answered * 1000, 2),
        cpu_ms_per_message_event_loop=round(loop_cpu / answered * 1000, 2),
        cpu_ms_per_message_other_threads=round((cpu - loop_cpu) / answered * 1000, 2),
        statements=counted.statements, transactions=counted.transactions,
        statements_per_message=round(counted.statements / answered, 2),
        transactions_per_message=round(counted.transactions / answered, 2),
        errors_logged=errors.count, first_errors=errors.first,
        peak_rss_mb=peak_rss_mb(), flood_per_minute=settings.flood_per_minute,
        telegram_rate_limits=limits_note(framework, telegram_limits))
    return result


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
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the bot process; print the hot spots")
    parser.add_argument("--profile-out", type=Path, help="also dump the pstats file here")
    parser.add_argument("--bare", action="store_true",
                        help="the framework alone answering a fixed text: the floor")
    parser.add_argument("--no-limiter", action="store_true",
                        help="with --bare on PTB: without AIORateLimiter")
    parser.add_argument("--out", help="result file name in bench/results "
                        "(default load.json for PTB, load_aiogram.json for aiogram)")
    args = parser.parse_args(argv)
    burst = min(args.burst, args.cadres)

    load_before = machine()["load_average"]
    # CPU of the event loop thread, not wall time: waiting in epoll or for aiosqlite costs none
    profile = (cProfile.Profile(time.thread_time) if args.profile or args.profile_out
               else None)
    report = asyncio.run(run(args.messages, args.cadres, args.framework, burst,
                             args.telegram_limits, profile, args.bare, not args.no_limiter))
    if profile:
        report["profile_share_pct"] = hot_spots(profile)
        print(json.dumps(report["profile_share_pct"], indent=1), file=sys.stderr)
        if args.profile_out:
            profile.dump_stats(args.profile_out)
        pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    report["machine"] = {**machine(), "load_average_at_start": load_before,
                         "load_average_at_end": machine()["load_average"]}
    report["machine"].pop("load_average")
    report["note"] = ("fake Bot API and driver in a spawned child process; CPU is the bot "
                      "process's process_time (user+sys, all threads) over the run, start-up "
                      "excluded; SQLite file in a temporary directory; closed-loop bursts"
                      + ("; profiled (cProfile slows the bot)" if profile else ""))
    name = args.out or ("load" + ("_bare" if args.bare else "")
                        + ("_no_limiter" if args.bare and args.no_limiter else "")
                        + ("" if args.framework == "ptb" else "_aiogram") + ".json")
    path = write(name, report)
    lat = report["latency"]
    print(f"load {report['framework']}: {report['answered']}/{report['messages']} answered "
          f"from {report['cadres']} cadres in {report['wall_s']} s, "
          f"{report['throughput_msg_s']} msg/s, p50 {lat.get('p50_ms')} ms, "
          f"p99 {lat.get('p99_ms')} ms, bot CPU {report['cpu_ms_per_message']} ms/message, "
          f"{report['statements_per_message']} statements/message, "
          f"peak RSS {report['peak_rss_mb']} MB, "
          f"errors {report['errors_logged'] + report['failed_api_calls'] + report['unanswered']}"
          f" -> {path}")
    return 0 if report["unanswered"] == 0 and report["errors_logged"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
