"""Sending replies, the same for both frameworks: each adapter supplies `send` and maps its own
errors to the three outcomes below; this module records what happened in the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from functools import partial

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from bot.messages import Reply
from bot.service import ConversationService
from bot.telegram.intake import retrying_db

log = logging.getLogger(__name__)

TRANSPORT = "telegram"
# Telegram's limit is about one message a second per chat; bursts to one chat are paced.
PER_CHAT_INTERVAL = 1.0
# A 429 asking to wait this long or less is waited out while sending (at most this many tries);
# a longer one goes back to the outbox with Telegram's delay.
SHORT_429_SECONDS = 5.0
SHORT_429_ATTEMPTS = 3


class RetryLater(Exception):  # an outcome to act on, not our failure
    """Telegram said 429: try again after `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds}s")
        self.seconds = seconds


class Unreachable(Exception):
    """403 or chat not found: the cadre blocked the bot or never started it. Do not retry."""


class Transient(Exception):
    """5xx, a timeout, no connection: retry with backoff."""


Send = Callable[[Reply], Awaitable[int | None]]


async def deliver(service: ConversationService, send: Send, replies: Iterable[Reply]) -> int:
    """Send each reply in order and mark it; returns how many went out now.

    The one place a 429 is handled, for both frameworks (PTB's rate limiter paces sends but
    does not retry them): a short retry_after is waited out here, up to SHORT_429_ATTEMPTS
    times, so the cadre gets the answer at once; a longer one, or 429s on every attempt, go
    back to the outbox with Telegram's delay. Anything else stays in the outbox for the next
    flush. Nothing is dropped.
    """
    sent = 0
    spoken = []
    for reply in replies:
        if reply.delivery_id is not None and not _claim(service, reply.delivery_id):
            continue  # another task of this process is sending it, or has sent it
        try:
            try:
                message_id = await _waiting_out_429(send, reply)
            except RetryLater as exc:
                await _failed(service, reply, str(exc), retry_after=exc.seconds)
            except Unreachable as exc:
                log.warning("chat unreachable for delivery %s: %s", reply.delivery_id, exc)
                await _failed(service, reply, f"unreachable: {exc}", permanent=True)
            except Transient as exc:
                log.warning("delivery %s failed, will retry: %s", reply.delivery_id, exc)
                await _failed(service, reply, str(exc))
            else:
                sent += 1
                if reply.speak:
                    spoken.append(reply)
                if reply.delivery_id is not None:  # a database blip must not re-send it
                    await retrying_db(
                        partial(service.delivered, reply.delivery_id, message_id),
                        f"recording delivery {reply.delivery_id} as sent")
        except BaseException:
            _release(service, reply.delivery_id)
            raise
    if spoken:  # the texts are out: now their voice notes (synthesis takes a second or more)
        sent += await deliver(service, send, await service.voice_notes(spoken))
    return sent


def _short_429(exc: BaseException) -> bool:
    return isinstance(exc, RetryLater) and exc.seconds <= SHORT_429_SECONDS


def _telegrams_delay(state: RetryCallState) -> float:
    error = state.outcome.exception() if state.outcome is not None else None
    return error.seconds if isinstance(error, RetryLater) else 0.0


async def _waiting_out_429(send: Send, reply: Reply) -> int | None:
    retrying = AsyncRetrying(retry=retry_if_exception(_short_429), wait=_telegrams_delay,
                             stop=stop_after_attempt(SHORT_429_ATTEMPTS),
                             sleep=lambda seconds: asyncio.sleep(seconds), reraise=True)

    async def attempt() -> int | None:  # tenacity awaits coroutine functions only
        return await send(reply)

    return await retrying(attempt)


def _claim(service: ConversationService, delivery_id: int) -> bool:
    return service.outbox.sending.claim(delivery_id)


def _release(service: ConversationService, delivery_id: int | None) -> None:
    service.outbox.sending.release(delivery_id)


async def _failed(service: ConversationService, reply: Reply, error: str, *,
                  retry_after: float | None = None, permanent: bool = False) -> None:
    try:
        if reply.delivery_id is not None:
            await service.failed(reply.delivery_id, error, retry_after=retry_after,
                                 permanent=permanent)
    finally:
        # Only now may the next flush try it again: released before the backoff (or Telegram's
        # retry_after) was stored, a flush running meanwhile re-sent it at once.
        _release(service, reply.delivery_id)


def paced(send: Send, per_second: float, per_chat: float = PER_CHAT_INTERVAL) -> Send:
    """Keep a burst (a check-in pass over thousands of cadres) under Telegram's limits: at most
    `per_second` messages overall and one per `per_chat` seconds to any one chat.

    Kept by hand: it paces (no retry), for the bare Bot of `junxiu checkins tick` and the
    bench, which have no PTB Application and so no AIORateLimiter; a 429 is still handled
    once, by `deliver`."""
    loop_time = asyncio.get_running_loop().time
    state = {"next": 0.0}
    last_in_chat: dict[str, float] = {}

    async def send_paced(reply: Reply) -> int | None:
        now = loop_time()
        wait = max(state["next"] - now, last_in_chat.get(reply.chat_id, -1e9) + per_chat - now)
        if wait > 0:
            await asyncio.sleep(wait)
        start = loop_time()
        state["next"] = start + 1.0 / per_second
        last_in_chat[reply.chat_id] = start
        return await send(reply)

    return send_paced


async def flush(service: ConversationService, send: Send, *, batch: int = 100) -> int:
    """Send whatever is due in the outbox (after failures or a restart), batch by batch."""
    total = 0
    while True:
        due = await service.due(TRANSPORT, limit=batch)
        if not due:
            return total
        sent = await deliver(service, send, due)
        total += sent
        if sent == 0:
            return total  # the rest failed and waits for its backoff
