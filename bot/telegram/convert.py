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
        "chat_type": message.chat.type, "message_id": message.message_id,
    }
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    if message.contact is not None:
        return Incoming(**base, kind="contact", contact_phone=message.contact.phone_number,
                        contact_user_id=str(message.contact.user_id or ""))
    if message.voice is not None or message.audio is not None:
        # Not downloaded here: the service stores the note first, then asks for its bytes.
        media = message.voice or message.audio
        duration = media.duration
        seconds = duration.total_seconds() if hasattr(duration, "total_seconds") else duration
        return Incoming(**base, kind="voice", voice_duration=int(seconds or 0),
                        file_id=media.file_id,
                        file_kind="voice" if message.voice is not None else "audio")
    text = message.text
    if text is None:
        return _without_text(message, base, reply_to)
    if text.startswith("/"):
        head, _, args = text[1:].partition(" ")
        return Incoming(**base, kind="command", text=text, command=head.split("@")[0].lower(),
                        command_args=args, reply_to_message_id=reply_to)
    return Incoming(**base, text=text, reply_to_message_id=reply_to)


def _without_text(message: Any, base: dict[str, Any], reply_to: int | None) -> Incoming:
    """A cadre's photo or document: its caption read like typed text, its file id kept for
    staff. Without a caption (and stickers, locations, …): a kind reply, never an error. In the
    staff group a caption stays what it was (not a reply to a cadre)."""
    file_id, file_kind = _file_of(message)
    caption = (message.caption or "").strip()
    if caption and file_id is not None and message.chat.type == "private":
        return Incoming(**base, text=caption, file_id=file_id, file_kind=file_kind,
                        reply_to_message_id=reply_to)
    return Incoming(**base, kind="other", text=message.caption, file_id=file_id,
                    file_kind=file_kind)


def _file_of(message: Any) -> tuple[str | None, str | None]:
    if message.photo:
        return message.photo[-1].file_id, "photo"  # the largest size
    if message.document is not None:
        return message.document.file_id, "document"
    return None, None


def incoming_from_edit(message: Any, update_id: int | None) -> Incoming | None:
    """A cadre's edited message: the corrected question, at the time of the edit (linked to
    the one it corrects when stored). None for what an edit must not do again: a command, or
    anything in a group (a staff member's /reply edited would send a second reply)."""
    if message.chat.type != "private":
        return None
    msg = incoming_from_message(message, update_id)
    if msg.kind != "text":
        return None
    edited = message.edit_date
    if isinstance(edited, int | float):
        at = datetime.fromtimestamp(edited, UTC)
    elif isinstance(edited, datetime):
        at = edited.astimezone(UTC)
    else:
        at = msg.at
    from dataclasses import replace

    return replace(msg, at=at, edited=True)


def incoming_from_callback(user: Any, message: Any | None, data: str | None,
                           update_id: int | None, at: datetime) -> Incoming:
    """A button press, stamped `at` (the service's clock): it happens now, not when the
    message it sits on was sent."""
    chat_id = message.chat.id if message is not None else user.id
    return Incoming(transport=TRANSPORT, user_id=str(user.id), chat_id=str(chat_id),
                    at=at, update_id=update_id, kind="callback",
                    callback_data=data, first_name=user.first_name,
                    chat_type=message.chat.type if message is not None else "private")
