"""The aiogram 3 adapter: the same service behind aiogram's Dispatcher. Imported only when
`--framework aiogram` is chosen (aiogram takes seconds to import)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import DeleteWebhook
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiohttp import ClientError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.messages import Fetch, Reply
from bot.service import ConversationService
from bot.settings import Settings
from bot.telegram import pump
from bot.telegram.convert import incoming_from_callback, incoming_from_edit, incoming_from_message
from bot.telegram.delivery import RetryLater, Send, Transient, Unreachable, deliver
from bot.telegram.hooks import acknowledger, fetcher
from bot.telegram.intake import Intake, handle_durably

log = logging.getLogger(__name__)


def markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if reply.buttons:
        return InlineKeyboardMarkup(inline_keyboard=[
            [InlineKeyboardButton(text=b.label, callback_data=b.data) for b in row]
            for row in reply.buttons])
    if reply.keyboard or reply.request_contact:
        rows = [[KeyboardButton(text=label) for label in row] for row in reply.keyboard]
        if reply.request_contact:
            rows.append([KeyboardButton(text=reply.request_contact, request_contact=True)])
        return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)
    return None


def sender(bot: Bot):
    from aiogram.types import BufferedInputFile

    async def send(reply: Reply) -> int | None:
        try:
            if reply.voice_only:  # the text went before it
                if not reply.voice:
                    return None  # its file is gone: nothing left to send
                return (await bot.send_voice(int(reply.chat_id), BufferedInputFile(
                    reply.voice, filename="reply.ogg"))).message_id
            sent = await bot.send_message(int(reply.chat_id), reply.text,
                                          reply_markup=markup(reply))
            if reply.voice:
                await bot.send_voice(int(reply.chat_id),
                                     BufferedInputFile(reply.voice, filename="reply.ogg"))
            return sent.message_id
        except TelegramRetryAfter as exc:
            raise RetryLater(float(exc.retry_after)) from exc
        except TelegramForbiddenError as exc:
            raise Unreachable(str(exc)) from exc
        except TelegramBadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable(str(exc)) from exc
            raise
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise Transient(str(exc)) from exc

    return send


class UpdateIdMiddleware(BaseMiddleware):
    """Hands the update_id to handlers: the service dedupes redelivered updates by it."""

    async def __call__(self, handler: Callable[..., Awaitable[Any]], event: Any,
                       data: dict[str, Any]) -> Any:
        update = data.get("event_update")
        data["update_id"] = update.update_id if update is not None else None
        return await handler(event, data)


async def on_callback(query: CallbackQuery, bot: Bot, service: ConversationService,
                      update_id: int | None, intake: Intake | None = None) -> None:
    """Answered (its spinner stopped) only once the service has stored the press."""
    msg = incoming_from_callback(query.from_user, query.message, query.data, update_id,
                                 service.now())
    acknowledge = acknowledger(query.answer, (TelegramAPIError, ClientError),
                               f"button press {update_id}")
    replies = await handle_durably(service, msg, intake=intake, acknowledge=acknowledge)
    await deliver(service, sender(bot), replies)


async def on_message(message: Message, bot: Bot, service: ConversationService,
                     update_id: int | None, intake: Intake | None = None) -> None:
    """A voice note is downloaded only once the service has stored it."""
    replies = await handle_durably(service, incoming_from_message(message, update_id),
                                   intake=intake, fetch=downloads(bot))
    await deliver(service, sender(bot), replies)


async def on_edited(message: Message, bot: Bot, service: ConversationService,
                    update_id: int | None, intake: Intake | None = None) -> None:
    """The cadre's corrected question (not a command again, nothing from a group)."""
    msg = incoming_from_edit(message, update_id)
    if msg is not None:
        await deliver(service, sender(bot), await handle_durably(service, msg, intake=intake))


def downloads(bot: Bot) -> Fetch:
    async def download(file_id: str) -> bytes:
        data = await bot.download(file_id)
        if data is None:
            raise ClientError(f"no bytes for {file_id}")
        return data.read()

    return fetcher(download, (TelegramAPIError, ClientError, TimeoutError))


def build_router() -> Router:
    """A fresh router per dispatcher: a router can be attached to one dispatcher only."""
    router = Router(name=__name__)
    router.message.outer_middleware(UpdateIdMiddleware())
    router.callback_query.outer_middleware(UpdateIdMiddleware())
    router.edited_message.outer_middleware(UpdateIdMiddleware())
    router.callback_query.register(on_callback)
    router.message.register(on_message)
    router.edited_message.register(on_edited)
    return router


def build_bot(settings: Settings, *, request_middlewares: tuple[BaseRequestMiddleware, ...] = ()
              ) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_root))
    for middleware in request_middlewares:
        session.middleware(middleware)
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    return Bot(token, session=session)


def build_dispatcher(service: ConversationService) -> Dispatcher:
    dp = Dispatcher(service=service)  # workflow data: handlers get `service` by name
    # An update is confirmed to Telegram only once it is stored: pass
    # dp["intake"].aiogram_request_middleware() to build_bot for the polling bot.
    intake = Intake()
    dp["intake"] = intake
    dp.update.outer_middleware(intake.aiogram_update_middleware())
    dp.include_router(build_router())
    return dp


def build_scheduler(service: ConversationService, bot: Bot) -> AsyncIOScheduler:
    """The timers, as PTB's job queue runs them (bot/telegram/pump.py): aiogram has none."""
    scheduler = AsyncIOScheduler(timezone=UTC)
    send = sender(bot)
    start = datetime.now(UTC)
    fetch = downloads(bot)
    for job, seconds in ((pump.flush_outbox, pump.FLUSH_SECONDS),
                         (pump.alert_staff, pump.ALERT_SECONDS)):
        hooks = (send, fetch) if job is pump.flush_outbox else (send,)
        scheduler.add_job(_logged, "interval", seconds=seconds, args=(job, service, *hooks),
                          id=job.__name__, next_run_time=start + timedelta(seconds=seconds),
                          max_instances=1, coalesce=True)
    return scheduler


async def _logged(job: Callable[..., Awaitable[None]], service: ConversationService,
                  *hooks: Send | Fetch) -> None:
    try:
        await job(service, *hooks)
    except Exception:  # logged; the outbox keeps the replies for the next pass
        log.exception("%s failed", job.__name__)


async def run_polling(settings: Settings, service: ConversationService, *,
                      polling_timeout: int = 10) -> None:
    dp = build_dispatcher(service)
    bot = build_bot(settings, request_middlewares=(dp["intake"].aiogram_request_middleware(),))
    await bot(DeleteWebhook())  # aiogram does not do this itself
    # what a crash interrupted, what still waits
    await pump.flush_outbox(service, sender(bot), downloads(bot))
    scheduler = build_scheduler(service, bot)
    scheduler.start()
    try:
        await dp.start_polling(bot, polling_timeout=polling_timeout, handle_signals=True)
    finally:
        scheduler.shutdown(wait=False)  # cancels a pass still running
        await bot.session.close()
