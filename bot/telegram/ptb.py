"""The python-telegram-bot adapter: updates → Incoming, Replies → Bot API calls. No behaviour
of its own; everything is in the service. Built in one place, `build_application`."""

from __future__ import annotations

import logging
from datetime import datetime

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.messages import Fetch, Incoming, Reply
from bot.service import ConversationService
from bot.settings import Settings
from bot.telegram import pump
from bot.telegram.convert import incoming_from_callback, incoming_from_edit, incoming_from_message
from bot.telegram.delivery import RetryLater, Transient, Unreachable, deliver
from bot.telegram.hooks import acknowledger, fetcher
from bot.telegram.intake import Intake, handle_durably

log = logging.getLogger(__name__)


class JunxiuContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Typed access to the service, as in PTB's contexttypesbot example."""

    @property
    def service(self) -> ConversationService:
        return self.application.bot_data["service"]

    @property
    def intake(self) -> Intake | None:
        return self.application.bot_data.get("intake")


def incoming_from(update: Update, now: datetime) -> Incoming | None:
    """The transport-neutral form of an update; None for updates we do not handle."""
    if update.callback_query is not None:
        query = update.callback_query
        return incoming_from_callback(query.from_user, query.message, query.data,
                                      update.update_id, now)
    if update.edited_message is not None:  # the cadre's corrected question
        return incoming_from_edit(update.edited_message, update.update_id)
    if update.message is None:  # channel posts, …: not a conversation turn
        return None
    return incoming_from_message(update.message, update.update_id)


def markup(reply: Reply) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if reply.buttons:
        return InlineKeyboardMarkup([[InlineKeyboardButton(b.label, callback_data=b.data)
                                      for b in row] for row in reply.buttons])
    if reply.keyboard or reply.request_contact:
        rows = [[KeyboardButton(label) for label in row] for row in reply.keyboard]
        if reply.request_contact:
            rows.append([KeyboardButton(reply.request_contact, request_contact=True)])
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, is_persistent=True)
    return None


def sender(bot: ExtBot):
    async def send(reply: Reply) -> int | None:
        try:
            if reply.voice_only:  # the text went before it
                if not reply.voice:
                    return None  # its file is gone: nothing left to send
                return (await bot.send_voice(int(reply.chat_id), reply.voice)).message_id
            sent = await bot.send_message(int(reply.chat_id), reply.text,
                                          reply_markup=markup(reply))
            if reply.voice:
                await bot.send_voice(int(reply.chat_id), reply.voice)
            return sent.message_id
        except RetryAfter as exc:
            retry = exc.retry_after
            raise RetryLater(retry.total_seconds() if hasattr(retry, "total_seconds")
                             else float(retry)) from exc
        except Forbidden as exc:
            raise Unreachable(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable(str(exc)) from exc
            raise
        except (TimedOut, NetworkError) as exc:
            raise Transient(str(exc)) from exc

    return send


async def on_update(update: Update, context: JunxiuContext) -> None:
    """Every update goes the same way: to the service, then the replies out. A button is
    answered and a voice note downloaded only once the service has stored them."""
    msg = incoming_from(update, context.service.now())
    if msg is None:
        return
    query = update.callback_query
    acknowledge = None if query is None else acknowledger(
        query.answer, TelegramError, f"button press {update.update_id}")
    replies = await handle_durably(context.service, msg, intake=context.intake,
                                   fetch=downloads(context.bot),
                                   acknowledge=acknowledge)
    await deliver(context.service, sender(context.bot), replies)


def downloads(bot: ExtBot) -> Fetch:
    async def download(file_id: str) -> bytes:
        file = await bot.get_file(file_id)
        return bytes(await file.download_as_bytearray())

    return fetcher(download, TelegramError)


async def on_error(update: object, context: JunxiuContext) -> None:
    """Log first; the inbound message is stored, so the flush/resume path will answer it."""
    log.error("error while handling an update", exc_info=context.error)


async def flush_outbox(context: JunxiuContext) -> None:
    await pump.flush_outbox(context.service, sender(context.bot), downloads(context.bot))


async def alert_staff(context: JunxiuContext) -> None:
    await pump.alert_staff(context.service, sender(context.bot))


async def post_init(app: Application) -> None:
    await app.bot.delete_webhook()
    # Finish what a crash interrupted, then send anything still waiting.
    await pump.flush_outbox(app.bot_data["service"], sender(app.bot), downloads(app.bot))


class _OurRetries(logging.Filter):
    """PTB's limiter logs a 429 it does not retry as an error with its traceback; with
    max_retries=0 that is every 429, which bot/telegram/delivery.py handles and logs itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Rate limit hit after maximum of 0 retries")


def build_application(settings: Settings, service: ConversationService) -> Application:
    limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(f, _OurRetries) for f in limiter_log.filters):
        limiter_log.addFilter(_OurRetries())
    token = settings.telegram_token.get_secret_value() if settings.telegram_token else ""
    intake = Intake()
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{settings.api_root}/bot")
        .base_file_url(f"{settings.api_root}/file/bot")
        # Paces sends under Telegram's limits (30/s, 1/s a chat, 20/min a group); a 429 is
        # not retried here but in the one place both frameworks share (bot/telegram/delivery).
        .rate_limiter(AIORateLimiter(max_retries=0))
        .context_types(ContextTypes(context=JunxiuContext))
        # Concurrent, but an update is confirmed to Telegram only once it is stored.
        .concurrent_updates(intake.ptb_update_processor())
        .get_updates_request(intake.ptb_get_updates_request())
        .post_init(post_init)
        .build()
    )
    app.bot_data["service"] = service
    app.bot_data["intake"] = intake
    app.add_handler(CallbackQueryHandler(on_update))
    app.add_handler(MessageHandler(filters.UpdateType.MESSAGES, on_update))  # edited too
    app.add_error_handler(on_error)
    if app.job_queue is not None:
        for job, seconds in ((flush_outbox, pump.FLUSH_SECONDS),
                             (alert_staff, pump.ALERT_SECONDS)):
            app.job_queue.run_repeating(job, interval=seconds, first=seconds)
    return app


def run(settings: Settings, service: ConversationService) -> None:
    """Poll until stopped (Ctrl-C / SIGTERM)."""
    build_application(settings, service).run_polling(allowed_updates=Update.ALL_TYPES)
