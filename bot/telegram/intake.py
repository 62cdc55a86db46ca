"""Receiving updates without losing one, the same for both frameworks.

Telegram forgets an update once a later getUpdates passes an offset beyond it, and both PTB and
aiogram poll again as soon as a batch is handed to the handlers, not when the handlers are done.
A crash (SIGKILL, OOM, power) in between loses every update fetched but not yet stored: measured
6 of 24 messages in one kill. `Intake` closes that window: a getUpdates waits until every
update fetched before it has been stored by the service (or, for updates no handler takes, has
been processed). `handle_durably` keeps trying to store a message while the database is briefly
unreachable (a restart, a lock), instead of failing and letting the next poll confirm it;
`retrying_db` does the same for recording that Telegram accepted a reply (else the outbox sends
it again once the database is back).

Updates of one chat are also stored and processed one at a time, in the order Telegram sent
them: a batch (the backlog after a restart, a quick double message) is otherwise handled
concurrently and a cadre's answer could be processed before the question it answers.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_before_delay,
    wait_exponential,
)

from bot.messages import Acknowledge, Fetch, Incoming, Reply
from bot.service import ConversationService

log = logging.getLogger(__name__)

# Longest a poll waits for earlier updates to be stored before confirming them anyway (a handler
# stuck this long is logged as an error: the updates it holds may be lost if the process dies).
MAX_STORE_WAIT = 120.0
# How long a message is retried while the database is unreachable.
STORE_RETRY_SECONDS = 60.0

T = TypeVar("T")


class Intake:
    """Update ids fetched from Telegram and not yet stored, and one turn per chat."""

    def __init__(self, *, max_wait: float = MAX_STORE_WAIT) -> None:
        self.max_wait = max_wait
        self._pending: set[int] = set()
        self._chats: dict[Any, tuple[asyncio.Lock, int]] = {}  # chat → (its turn, updates)
        self._holding: dict[int, Any] = {}  # update id → the chat whose turn it has
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def pending(self) -> frozenset[int]:
        return frozenset(self._pending)

    def fetched(self, update_ids: Iterable[int]) -> None:
        ids = set(update_ids)
        if ids:
            self._pending |= ids
            self._idle.clear()

    async def turn(self, update_id: int | None, chat: Any) -> None:
        """Wait for this chat's earlier updates to be stored. Called first thing when the
        update's task starts (tasks start in the order they were created, the locks are FIFO),
        so a chat's updates go through in Telegram's order; `done` ends the turn."""
        if update_id is None or chat is None:
            return
        lock, count = self._chats.get(chat, (asyncio.Lock(), 0))
        self._chats[chat] = (lock, count + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._forget(chat)
            raise
        self._holding[update_id] = chat

    def done(self, update_id: int | None) -> None:
        """The update is stored (or no handler takes it); idempotent."""
        if update_id is None:
            return
        self._pending.discard(update_id)
        if not self._pending:
            self._idle.set()
        chat = self._holding.pop(update_id, None)
        if chat is not None:
            self._chats[chat][0].release()
            self._forget(chat)

    def _forget(self, chat: Any) -> None:
        lock, count = self._chats[chat]
        if count <= 1:
            del self._chats[chat]
        else:
            self._chats[chat] = (lock, count - 1)

    async def wait_stored(self) -> None:
        """Before a getUpdates: the updates it would confirm must be stored first."""
        if not self._pending:
            return
        try:
            await asyncio.wait_for(self._idle.wait(), self.max_wait)
        except TimeoutError:
            log.error("updates %s not stored after %.0f s; polling on", sorted(self._pending),
                      self.max_wait)
            self._pending.clear()
            self._idle.set()

    # -- python-telegram-bot ---------------------------------------------------------------

    def ptb_get_updates_request(self) -> Any:
        """The request object PTB uses for getUpdates only (`get_updates_request`)."""
        from telegram.request import HTTPXRequest

        intake = self

        class StoredFirstRequest(HTTPXRequest):
            async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
                await intake.wait_stored()
                code, payload = await super().do_request(*args, **kwargs)
                if code == 200:
                    intake.fetched(_update_ids(payload))
                return code, payload

        return StoredFirstRequest(connection_pool_size=1)  # PTB's default for getUpdates

    def ptb_update_processor(self, max_concurrent: int = 256) -> Any:
        """Runs updates concurrently, as `concurrent_updates(True)`; marks each one done when
        processed, also those no handler takes."""
        from telegram import Update
        from telegram.ext import SimpleUpdateProcessor

        intake = self

        class Processor(SimpleUpdateProcessor):
            async def do_process_update(self, update: object, coroutine: Awaitable[Any]
                                        ) -> None:
                if not isinstance(update, Update):
                    await coroutine
                    return
                chat = update.effective_chat
                try:
                    await intake.turn(update.update_id, chat.id if chat else None)
                except BaseException:
                    if inspect.iscoroutine(coroutine):
                        coroutine.close()
                    intake.done(update.update_id)
                    raise
                try:
                    await coroutine
                finally:
                    intake.done(update.update_id)

        return Processor(max_concurrent)

    # -- aiogram -------------------------------------------------------------------------

    def aiogram_request_middleware(self) -> Any:
        from aiogram.client.session.middlewares.base import BaseRequestMiddleware
        from aiogram.methods import GetUpdates

        intake = self

        class StoredFirst(BaseRequestMiddleware):
            async def __call__(self, make_request: Any, bot: Any, method: Any) -> Any:
                if not isinstance(method, GetUpdates):
                    return await make_request(bot, method)
                await intake.wait_stored()
                result = await make_request(bot, method)
                intake.fetched(u.update_id for u in result or ())
                return result

        return StoredFirst()

    def aiogram_update_middleware(self) -> Callable[..., Awaitable[Any]]:
        """An outer middleware for `dp.update`: every update marked done once processed."""

        async def processed(handler: Callable[..., Awaitable[Any]], event: Any,
                            data: dict[str, Any]) -> Any:
            update_id = getattr(event, "update_id", None)
            try:
                await self.turn(update_id, _aiogram_chat(event))
                return await handler(event, data)
            finally:
                self.done(update_id)

        return processed


def _aiogram_chat(update: Any) -> Any:
    try:
        inner = update.event
    except Exception:  # an update type aiogram does not know
        return None
    chat = getattr(inner, "chat", None) or getattr(getattr(inner, "message", None), "chat",
                                                   None)
    return getattr(chat, "id", None)


def _update_ids(payload: bytes) -> list[int]:
    try:
        result = json.loads(payload).get("result")
    except (ValueError, AttributeError):
        return []
    if not isinstance(result, list):
        return []
    return [u["update_id"] for u in result if isinstance(u, dict) and "update_id" in u]


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, (OperationalError, InterfaceError, OSError)):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


async def retrying_db(call: Callable[[], Awaitable[T]], what: str) -> T:
    """`call()`, retried with backoff (0.2 s doubling to 5 s) while the database cannot be
    reached (a restart, a lock held too long), giving up before a wait would pass
    STORE_RETRY_SECONDS; other errors are raised at once."""
    retrying = AsyncRetrying(
        retry=retry_if_exception(_retryable),
        wait=wait_exponential(multiplier=0.2, max=5.0),
        stop=stop_before_delay(STORE_RETRY_SECONDS),
        sleep=lambda seconds: asyncio.sleep(seconds),  # looked up when called (tests)
        before_sleep=lambda state: _log_retry(state, what),
        reraise=True)

    async def attempt() -> T:  # tenacity awaits coroutine functions only, not what returns one
        return await call()

    try:
        return await retrying(attempt)
    except Exception:
        log.error("%s failed", what)
        raise


def _log_retry(state: RetryCallState, what: str) -> None:
    error = state.outcome.exception() if state.outcome is not None else None
    wait = state.next_action.sleep if state.next_action is not None else 0.0
    log.warning("database unavailable (%s); %s retried in %.1f s", type(error).__name__, what,
                wait)


async def handle_durably(service: ConversationService, msg: Incoming, *,
                         intake: Intake | None = None, fetch: Fetch | None = None,
                         acknowledge: Acknowledge | None = None) -> list[Reply]:
    """`service.handle`, retried while the database cannot be reached, then the update marked
    stored. Safe to retry: the service stores each update_id once, and a message stored but
    not processed is finished by `resume` on the next outbox pass."""
    try:
        return await retrying_db(
            lambda: service.handle(msg, fetch=fetch, acknowledge=acknowledge),
            f"storing update {msg.update_id}")
    finally:
        if intake is not None:  # stored (or given up): Telegram may now be told
            intake.done(msg.update_id)
