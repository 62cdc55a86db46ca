"""Sending replies, the same for both frameworks: each adapter supplies `send` and maps its own
errors to the three outcomes below; this module records what happened in the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from bot.messages import Reply
from bot.service import ConversationService

log = logging.getLogger(__name__)

TRANSPORT = "telegram"
# Telegram's limit is about one message a second per chat; bursts to one chat are paced.
PER_CHAT_INTERVAL = 1.0


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

    A 429 with a short retry_after is waited out here so the cadre gets the answer at once;
    anything else stays in the outbox and the next flush retries it. Nothing is dropped.
    """
    sent = 0
    for reply in replies:
        for _attempt in range(3):
            try:
                message_id = await send(reply)
            except RetryLater as exc:
                if exc.seconds <= 5:
                    await asyncio.sleep(exc.seconds)
                    continue
                await _failed(service, reply, str(exc), retry_after=exc.seconds)
            except Unreachable as exc:
                log.warning("chat unreachable for delivery %s: %s", reply.delivery_id, exc)
                await _failed(service, reply, f"unreachable: {exc}", permanent=True)
            except Transient as exc:
                log.warning("delivery %s failed, will retry: %s", reply.delivery_id, exc)
                await _failed(service, reply, str(exc))
            else:
                sent += 1
                if reply.delivery_id is not None:
                    await service.delivered(reply.delivery_id, message_id)
            break
    return sent


async def _failed(service: ConversationService, reply: Reply, error: str, *,
                  retry_after: float | None = None, permanent: bool = False) -> None:
    if reply.delivery_id is not None:
        await service.failed(reply.delivery_id, error, retry_after=retry_after,
                             permanent=permanent)


async def flush(service: ConversationService, send: Send) -> int:
    """Send whatever is due in the outbox (after failures or a restart)."""
    return await deliver(service, send, await service.due(TRANSPORT))
