"""Transport-neutral message types: adapters turn updates into `Incoming` and send `Reply`s."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

TELEGRAM_MAX = 4096  # one Telegram message, in UTF-16 code units


def fit(text: str, limit: int = TELEGRAM_MAX) -> str:
    """`text` cut to `limit` UTF-16 code units (how Telegram counts), ending in "…" if cut.
    Telegram refuses a longer message outright, and the reply (an emergency post) is lost."""
    if len(text.encode("utf-16-le")) // 2 <= limit:
        return text
    used = 0
    for end, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit - 1:
            return text[:end] + "…"
    return text


@dataclass(frozen=True)
class Incoming:
    transport: str  # telegram | console
    user_id: str
    chat_id: str
    at: datetime
    text: str | None = None
    command: str | None = None  # "start", "voice", "help", "reply", … without the slash
    command_args: str = ""
    callback_data: str | None = None
    contact_phone: str | None = None
    contact_user_id: str | None = None  # whose contact was shared (must be the sender)
    voice: bytes | None = None
    voice_duration: int | None = None
    update_id: int | None = None
    first_name: str | None = None
    chat_type: str = "private"
    reply_to_message_id: int | None = None  # for staff replying to a ticket post
    kind: str = "text"  # text | voice | contact | callback | command | other
    message_id: int | None = None  # the transport's id of this message in its chat
    edited: bool = False  # the cadre edited an earlier message (same message_id): a correction
    corrects: int | None = None  # the stored message an edit corrects (set by the inbox)
    # A voice note's file, downloaded once the message is stored; a photo's or document's,
    # kept for staff (its caption is the text).
    file_id: str | None = None
    file_kind: str | None = None  # voice | audio | photo | document

    def payload(self) -> dict[str, Any]:
        """Everything needed to replay the message that has no column of its own (the audio
        is kept as a file: `messages.audio_path`). One list, read back by `replayed`."""
        return {name: value for name in _PAYLOAD_FIELDS
                if (value := getattr(self, name)) is not None and value != ""
                and value is not False}

    @classmethod
    def replayed(cls, *, transport: str, at: datetime, text: str | None, kind: str,
                 update_id: int | None, payload: dict[str, Any], voice: bytes | None
                 ) -> Incoming:
        """The message as it came in, from its stored row (after a crash or a deferral)."""
        known = {k: v for k, v in payload.items() if k in _PAYLOAD_FIELDS}
        return cls(transport=transport, at=at, text=text, kind=kind, update_id=update_id,
                   voice=voice, **{"user_id": "", "chat_id": "", **known})


# Stored in `messages.payload`; the others are columns (transport, at, text, kind, update_id)
# or a file (voice).
_PAYLOAD_FIELDS = tuple(f.name for f in fields(Incoming)
                        if f.name not in {"transport", "at", "text", "kind", "update_id", "voice"})


class FetchFailed(Exception):
    """A file could not be downloaded from the transport (the adapter's error, named)."""


# What the service may ask of the transport once a message is stored (bot/telegram/hooks.py).
Fetch = Callable[[str], Awaitable[bytes]]  # file id → its bytes, or FetchFailed
Acknowledge = Callable[[], Awaitable[None]]  # a button press answered (its spinner stopped)


@dataclass(frozen=True)
class Button:
    label: str
    data: str  # callback data


@dataclass(frozen=True)
class Reply:
    """One message to send. `delivery_id` is its row in the outbox, marked when sent."""

    chat_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # inline keyboard rows
    keyboard: tuple[tuple[str, ...], ...] = ()  # big reply-keyboard buttons
    request_contact: str | None = None  # label of a share-phone button
    voice: bytes | None = None  # OGG/Opus voice note sent after the text
    # to a cadre who wants spoken replies: once the text is sent, its voice note follows as
    # a delivery of its own (`voice_only`), so the text never waits for speech synthesis
    speak: bool = False
    voice_only: bool = False  # the voice note of a reply already sent as text
    delivery_id: int | None = None
    # what the outbox records with it
    cadre_id: int | None = None  # to a cadre: goes into their transcript
    ticket_id: int | None = None  # a staff post about this ticket
    to_staff: bool = False  # to a staff group: sent on Telegram whatever the cadre's transport
    checkin_id: int | None = None  # a check-in ping (a 403 marks the cadre unreachable)
    voice_path: str | None = None  # the voice note's file (the outbox keeps paths, not bytes)
    transport: str | None = None  # set by the outbox: the transport it goes out on
    author: str | None = None  # who wrote it, for the transcript: None the assistant, staff:<id>

    def payload(self) -> dict[str, Any]:
        """The JSON stored in the outbox."""
        return {
            "text": self.text,
            "buttons": [[[b.label, b.data] for b in row] for row in self.buttons],
            "keyboard": [list(row) for row in self.keyboard],
            "request_contact": self.request_contact,
            **{name: value for name in _RECORDED
               if (value := getattr(self, name)) not in (None, False)},
        }

    @classmethod
    def from_payload(cls, chat_id: str, payload: dict[str, Any], delivery_id: int,
                     voice: bytes | None = None) -> Reply:
        return cls(
            chat_id=chat_id,
            text=payload["text"],
            buttons=tuple(tuple(Button(label, data) for label, data in row)
                          for row in payload.get("buttons", ())),
            keyboard=tuple(tuple(row) for row in payload.get("keyboard", ())),
            request_contact=payload.get("request_contact"),
            voice=voice,
            delivery_id=delivery_id,
            **{name: payload[name] for name in _RECORDED if payload.get(name) is not None},
        )


_RECORDED = ("cadre_id", "ticket_id", "to_staff", "checkin_id", "voice_path", "transport",
             "author", "speak", "voice_only")
