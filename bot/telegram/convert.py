"""Telegram messages → Incoming, for both frameworks: PTB's and aiogram's Message objects carry
the same Bot API field names, so one reading serves both adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.messages import Incoming
from bot.telegram.delivery import TRANSPORT


def incoming_from_message(message: Any, update_id: int | None) -> Incoming:
    user = message.from_user
    base: dict[str, Any] = {
        "transport": TRANSPORT, "user_id": str(user.id if user else message.chat.id),
        "chat_id": str(message.chat.id), "at": message.date.astimezone(UTC),
        "update_id": update_id, "first_name": user.first_name if user else None,
        "chat_type": message.chat.type,
    }
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    if message.contact is not None:
        return Incoming(**base, kind="contact", contact_phone=message.contact.phone_number,
                        contact_user_id=str(message.contact.user_id or ""))
    if message.voice is not None or message.audio is not None:
        media = message.voice or message.audio
        duration = media.duration
        seconds = duration.total_seconds() if hasattr(duration, "total_seconds") else duration
        return Incoming(**base, kind="voice", voice_duration=int(seconds or 0))
    text = message.text
    if text is None:  # stickers, photos, documents, locations: a kind reply, never an error
        return Incoming(**base, kind="other", text=message.caption)
    if text.startswith("/"):
        head, _, args = text[1:].partition(" ")
        return Incoming(**base, kind="command", text=text, command=head.split("@")[0].lower(),
                        command_args=args, reply_to_message_id=reply_to)
    return Incoming(**base, text=text, reply_to_message_id=reply_to)


def incoming_from_callback(user: Any, message: Any | None, data: str | None,
                           update_id: int | None, at: datetime) -> Incoming:
    """A button press, stamped `at` (the service's clock): it happens now, not when the
    message it sits on was sent."""
    chat_id = message.chat.id if message is not None else user.id
    return Incoming(transport=TRANSPORT, user_id=str(user.id), chat_id=str(chat_id),
                    at=at, update_id=update_id, kind="callback",
                    callback_data=data, first_name=user.first_name,
                    chat_type=message.chat.type if message is not None else "private")
