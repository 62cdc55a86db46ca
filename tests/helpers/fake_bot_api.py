"""An in-process fake Telegram Bot API server for end-to-end tests.

Both python-telegram-bot and aiogram talk to it over real HTTP on 127.0.0.1, so the tests
exercise the frameworks' own request encoding, polling and error handling::

    async with FakeBotAPI() as api:
        app = (ApplicationBuilder().token(api.token).base_url(f"{api.url}/bot")
               .base_file_url(f"{api.url}/file/bot").build())            # PTB
        session = AiohttpSession(api=TelegramAPIServer.from_base(api.url))  # aiogram
        ...
        api.push_text(42, "你好")
        [call] = await api.wait_for("sendMessage", lambda c: c.params["chat_id"] == 42)

Import it as ``from tests.helpers.fake_bot_api import FakeBotAPI`` or use the ``fake_api``
fixture from ``tests/conftest.py``. Only aiohttp is imported here. Everything runs in the
test's event loop: call ``push_*`` and the other plain methods from that loop's thread.

What the fake does not do: parse ``parse_mode`` markup (text is echoed as sent), enforce
Telegram's rate limits by itself (use :meth:`FakeBotAPI.fail_next`), webhooks delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Self

from aiohttp import BodyPartReader, web

__all__ = ["ApiError", "Call", "FakeBotAPI"]

JSONDict = dict[str, Any]

# Request values that Telegram defines as JSON-serialised objects or arrays.
_JSON_FIELDS = frozenset({
    "reply_markup", "reply_parameters", "entities", "caption_entities", "allowed_updates",
    "link_preview_options", "media", "commands", "scope", "results", "options",
    "explanation_entities", "question_entities", "text_entities", "reaction", "menu_button",
    "rights", "permissions", "message_ids", "prices", "input_message_content",
})
# Request values that are strings even when they look like numbers or booleans.
_STRING_FIELDS = frozenset({
    "text", "caption", "callback_query_id", "inline_message_id", "parse_mode", "action",
    "url", "file_id", "phone_number", "first_name", "last_name", "title", "description",
    "short_description", "address", "emoji", "query", "data", "name", "vcard",
    "business_connection_id", "secret_token", "ip_address", "language_code",
    "message_effect_id", "custom_title", "invite_link", "foursquare_id", "google_place_id",
    "voice", "audio", "document", "photo", "video", "animation", "video_note", "sticker",
    "thumbnail", "certificate", "performer", "payload", "currency", "provider_token",
})
_INT_RE = re.compile(r"-?\d+")
_FLOAT_RE = re.compile(r"-?\d+\.\d*(?:[eE][-+]?\d+)?")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,})?")

_CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected error",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: _CONFLICT_POLL,
    500: "Internal Server Error",
    502: "Bad Gateway",
}
# Methods that deliver something to a chat: these get 403 for a blocked chat.
_DELIVERY_PREFIXES = ("send", "copyMessage", "forwardMessage", "editMessage")
# Message content copied by copyMessage / forwardMessage.
_CONTENT_FIELDS = (
    "text", "entities", "caption", "caption_entities", "voice", "audio", "document", "photo",
    "sticker", "video", "video_note", "animation", "location", "contact",
)
# sendX method → (message field, file extension, MIME type, extra defaults).
_MEDIA_METHODS: dict[str, tuple[str, str, str]] = {
    "sendVoice": ("voice", "oga", "audio/ogg"),
    "sendAudio": ("audio", "mp3", "audio/mpeg"),
    "sendDocument": ("document", "bin", "application/octet-stream"),
    "sendPhoto": ("photo", "jpg", "image/jpeg"),
    "sendVideo": ("video", "mp4", "video/mp4"),
    "sendAnimation": ("animation", "mp4", "video/mp4"),
    "sendVideoNote": ("video_note", "mp4", "video/mp4"),
    "sendSticker": ("sticker", "webp", "image/webp"),
}


class ApiError(Exception):
    """Raised inside method handlers; becomes Telegram's JSON error reply."""

    def __init__(self, status: int, description: str | None = None,
                 parameters: JSONDict | None = None) -> None:
        self.status = status
        self.description = description or _DEFAULT_DESCRIPTIONS.get(status, f"Error {status}")
        self.parameters = parameters
        super().__init__(f"{status} {self.description}")

    def body(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status,
                          "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass
class Call:
    """One recorded request to the fake.

    ``params`` holds decoded values: numbers as ``int``/``float``, ``"true"``/``"false"`` as
    ``bool``, JSON-string fields (``reply_markup`` …) as dicts/lists. ``files`` maps both the
    multipart part name and the parameter that refers to it (``voice="attach://x"`` →
    ``files["voice"]`` and ``files["x"]``) to the uploaded bytes. ``at`` is
    ``time.monotonic()`` when the request arrived. A call is recorded when the fake answers
    it, so ``status`` (HTTP) and ``result`` (the JSON ``result``, or the error
    ``description``) are final; a long poll therefore appears when it returns.
    """

    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    at: float
    status: int = 200
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == 200

    def __repr__(self) -> str:
        shown = {k: _short(v) for k, v in self.params.items()}
        files = f" files={sorted(self.files)}" if self.files else ""
        return f"<Call {self.method} {self.status} {shown}{files}>"


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes

    def describe(self) -> JSONDict:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id,
                "file_size": len(self.data), "file_path": self.file_path}


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    description: str | None
    times: int


@dataclass
class _Parsed:
    params: dict[str, Any] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    filenames: dict[str, str] = field(default_factory=dict)


def _short(value: Any, limit: int = 60) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return value if len(text) <= limit else text[: limit - 1] + "…"


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_value(name: str, value: Any) -> Any:
    """Turn a form value back into the JSON value the framework meant."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS or (name not in _STRING_FIELDS and value.startswith(("{", "["))):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if name in _STRING_FIELDS:
        return value
    if _INT_RE.fullmatch(value):
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    if _FLOAT_RE.fullmatch(value):
        return float(value)
    return value


class FakeBotAPI:
    """A fake Bot API server: records every call, serves updates, injects faults.

    ``max_poll_wait`` caps how long a ``getUpdates`` long poll may block, whatever
    ``timeout`` the client asked for, so tests and shutdowns stay fast.
    """

    def __init__(self, token: str = "123456:TEST-token", bot_id: int = 123456,
                 bot_username: str = "junxiu_test_bot", *, bot_first_name: str = "Junxiu Test",
                 max_poll_wait: float = 2.0) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.max_poll_wait = max_poll_wait
        self.bot_user: JSONDict = {
            "id": bot_id, "is_bot": True, "first_name": bot_first_name,
            "username": bot_username,
        }
        self.requests: list[Call] = []
        self.webhook_url: str = ""
        self.commands: list[JSONDict] = []

        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._closing = False
        self._changed = asyncio.Event()  # replaced on every change; see _notify()

        self._update_ids = itertools.count(1)
        self._pending: list[JSONDict] = []  # unconfirmed updates, oldest first
        self._delivered: set[int] = set()
        self._poll_generation = 0  # getUpdates requests received so far
        self._callback_ids = itertools.count(1)

        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int | str, JSONDict] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._messages: dict[tuple[int | str, int], JSONDict] = {}
        self._sent: list[JSONDict] = []
        self._media_groups = itertools.count(1)

        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._file_seq = itertools.count(1)

        self._faults: dict[str, deque[_Fault]] = {}
        self._blocked: set[int | str] = set()
        self._delays: dict[str, float] = {}

        self._methods: dict[str, Callable[[_Parsed], Awaitable[Any]]] = {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyDescription": self._true,
            "setMyShortDescription": self._true,
            "setMyName": self._true,
            "setChatMenuButton": self._true,
            "sendChatAction": self._true,
            "answerCallbackQuery": self._true,
            "setMessageReaction": self._true,
            "pinChatMessage": self._true,
            "unpinChatMessage": self._true,
            "leaveChat": self._true,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getFile": self._get_file,
            "sendMessage": self._send_message,
            "sendLocation": self._send_location,
            "sendContact": self._send_contact,
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "forwardMessage": self._forward_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._true,
        }
        for method in _MEDIA_METHODS:
            self._methods[method] = self._media_sender(method)
        self._canonical = {name.lower(): name for name in self._methods}

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 with a port chosen by the OS."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self._url = f"http://{host}:{port}"
        self._closing = False

    async def stop(self) -> None:
        """Release pending long polls and delayed replies, then close the server."""
        self._closing = True
        self._notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:43121``."""
        if self._url is None:
            raise RuntimeError("FakeBotAPI is not started")
        return self._url

    def _notify(self) -> None:
        """Wake everything waiting for a change (long polls, wait_for)."""
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, event: asyncio.Event, timeout: float) -> None:
        if timeout <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout)

    # -- feeding updates -----------------------------------------------------------------------

    def push_update(self, update: JSONDict) -> JSONDict:
        """Queue a raw update; it gets the next update_id. Returns the stored update."""
        stored = {**update, "update_id": next(self._update_ids)}
        self._pending.append(stored)
        self._notify()
        return stored

    def add_chat(self, chat_id: int, *, chat_type: str = "supergroup",
                 title: str | None = None) -> JSONDict:
        """Declare a chat, so messages the bot sends there carry the right ``chat``."""
        chat: JSONDict = {"id": chat_id, "type": chat_type}
        if chat_type != "private":
            chat["title"] = title or "Test group"
        self._chats[chat_id] = chat
        return chat

    def push_text(self, user_id: int, text: str, *, chat_id: int | None = None,
                  chat_type: str | None = None, first_name: str | None = None,
                  username: str | None = None, reply_to_message_id: int | None = None,
                  entities: list[JSONDict] | None = None) -> JSONDict:
        """A text message from a user. A leading ``/command`` gets its bot_command entity.

        ``chat_id`` defaults to the user's private chat (same id). ``chat_type`` defaults to
        the chat's known type, else "private" for the user's own chat and "supergroup" for
        a negative id.
        """
        content: JSONDict = {"text": text}
        if entities is None:
            match = _COMMAND_RE.match(text)
            entities = ([{"type": "bot_command", "offset": 0,
                          "length": _utf16_len(match.group())}] if match else [])
        if entities:
            content["entities"] = entities
        message = self._user_message(user_id, content, chat_id=chat_id, chat_type=chat_type,
                                     first_name=first_name, username=username,
                                     reply_to_message_id=reply_to_message_id)
        return self.push_update({"message": message})

    def push_command(self, user_id: int, command: str, args: str = "", **kwargs: Any
                     ) -> JSONDict:
        """``push_command(1, "start", "CODE")`` sends ``/start CODE``; kwargs as push_text."""
        text = "/" + command.lstrip("/") + (f" {args}" if args else "")
        return self.push_text(user_id, text, **kwargs)

    def push_callback(self, user_id: int, data: str, *, message_id: int,
                      chat_id: int | None = None, first_name: str | None = None) -> JSONDict:
        """A button press on a message the bot sent (looked up, so ``message`` is filled)."""
        chat_key = user_id if chat_id is None else chat_id
        message = self._messages.get((chat_key, message_id))
        if message is None:
            known = sorted(mid for (cid, mid) in self._messages if cid == chat_key)
            raise LookupError(f"no message {message_id} in chat {chat_key}; known: {known}")
        query_id = str(next(self._callback_ids))
        return self.push_update({"callback_query": {
            "id": query_id,
            "from": self._user(user_id, first_name),
            "message": dict(message),
            "chat_instance": f"ci{chat_key}",
            "data": data,
        }})

    def push_contact(self, user_id: int, phone_number: str, *,
                     contact_user_id: int | None = None, first_name: str | None = None,
                     chat_id: int | None = None) -> JSONDict:
        """A shared contact; ``contact_user_id`` defaults to the sender (own number shared)."""
        user = self._user(user_id, first_name)
        contact = {"phone_number": phone_number, "first_name": user["first_name"],
                   "user_id": user_id if contact_user_id is None else contact_user_id}
        message = self._user_message(user_id, {"contact": contact}, chat_id=chat_id)
        return self.push_update({"message": message})

    def push_voice(self, user_id: int, ogg_bytes: bytes, *, duration: int = 3,
                   chat_id: int | None = None, first_name: str | None = None) -> JSONDict:
        """A voice note; its bytes are served through getFile and the /file/ route."""
        stored = self._store_file(ogg_bytes, "voice", "oga")
        voice = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                 "duration": duration, "mime_type": "audio/ogg", "file_size": len(ogg_bytes)}
        message = self._user_message(user_id, {"voice": voice}, chat_id=chat_id,
                                     first_name=first_name)
        return self.push_update({"message": message})

    def push_photo(self, user_id: int, image_bytes: bytes = b"\xff\xd8fake-jpeg", *,
                   caption: str | None = None, width: int = 1280, height: int = 960,
                   chat_id: int | None = None) -> JSONDict:
        """A photo (a small and a full size, both served as ``image_bytes``)."""
        sizes = []
        for w, h in ((90, 90 * height // width), (width, height)):
            stored = self._store_file(image_bytes, "photos", "jpg")
            sizes.append({"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                          "width": w, "height": h, "file_size": len(image_bytes)})
        content: JSONDict = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return self.push_update({"message": self._user_message(user_id, content,
                                                               chat_id=chat_id)})

    def push_sticker(self, user_id: int, *, emoji: str = "👍", chat_id: int | None = None
                     ) -> JSONDict:
        stored = self._store_file(b"RIFF-fake-webp", "stickers", "webp")
        sticker = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                   "type": "regular", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "emoji": emoji}
        return self.push_update({"message": self._user_message(
            user_id, {"sticker": sticker}, chat_id=chat_id)})

    def push_location(self, user_id: int, latitude: float, longitude: float, *,
                      chat_id: int | None = None) -> JSONDict:
        location = {"latitude": latitude, "longitude": longitude}
        return self.push_update({"message": self._user_message(
            user_id, {"location": location}, chat_id=chat_id)})

    def push_document(self, user_id: int, data: bytes, *, file_name: str = "document.pdf",
                      mime_type: str = "application/pdf", caption: str | None = None,
                      chat_id: int | None = None) -> JSONDict:
        stored = self._store_file(data, "documents", file_name.rpartition(".")[2] or "bin")
        content: JSONDict = {"document": {
            "file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_name": file_name, "mime_type": mime_type, "file_size": len(data)}}
        if caption is not None:
            content["caption"] = caption
        return self.push_update({"message": self._user_message(user_id, content,
                                                               chat_id=chat_id)})

    def push_edited_text(self, user_id: int, message_id: int, text: str, *,
                         chat_id: int | None = None) -> JSONDict:
        """The user edits an earlier text message (pushed before with push_text)."""
        chat_key = user_id if chat_id is None else chat_id
        message = self._messages.get((chat_key, message_id))
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_key}")
        message["text"] = text
        message.pop("entities", None)
        match = _COMMAND_RE.match(text)
        if match:
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": _utf16_len(match.group())}]
        message["edit_date"] = int(time.time())
        return self.push_update({"edited_message": dict(message)})

    async def wait_polling(self, timeout: float = 5.0) -> None:
        """Wait until the bot has sent its first getUpdates (calls are recorded only when
        answered, so ``wait_for("getUpdates")`` would wait out the first long poll)."""
        deadline = time.monotonic() + timeout
        while self._poll_generation == 0:
            event = self._changed
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no getUpdates within {timeout}s\n" + self.summary())
            await self._wait_change(event, remaining)

    def pending_updates(self) -> list[JSONDict]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._pending)

    async def wait_delivered(self, timeout: float = 5.0) -> None:
        """Wait until every pushed update was handed out by getUpdates at least once."""
        deadline = time.monotonic() + timeout
        while True:
            event = self._changed
            missing = [u["update_id"] for u in self._pending
                       if u["update_id"] not in self._delivered]
            if not missing:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"updates {missing} not fetched within {timeout}s\n"
                                     + self.summary())
            await self._wait_change(event, remaining)

    # -- recorded calls ----------------------------------------------------------------------

    def calls(self, method: str) -> list[Call]:
        return [c for c in self.requests if c.method == method]

    def sent_messages(self, chat_id: int | None = None) -> list[JSONDict]:
        """Messages the bot sent, in order (edits applied in place; deletions kept)."""
        return [m for m in self._sent if chat_id is None or m["chat"]["id"] == chat_id]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Text (or caption) of each sent message; "" for media without caption."""
        return [m.get("text", m.get("caption", "")) for m in self.sent_messages(chat_id)]

    def file_bytes(self, file_id: str) -> bytes:
        """Bytes behind a file_id (pushed by a test or uploaded by the bot)."""
        return self._files[file_id].data

    async def wait_for(self, method: str, predicate: Callable[[Call], bool] = lambda c: True,
                       *, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until ``count`` recorded calls to ``method`` match; return all matching.

        Failed calls (e.g. an injected 429) count too: check ``Call.ok`` in the predicate to
        exclude them. A predicate raising KeyError/IndexError counts as no match.
        """
        deadline = time.monotonic() + timeout
        while True:
            event = self._changed
            matching = [c for c in self.calls(method) if self._matches(predicate, c)]
            if len(matching) >= count:
                return matching
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"expected {count} {method} call(s) matching the predicate within "
                    f"{timeout}s, got {len(matching)}\n" + self.summary())
            await self._wait_change(event, remaining)

    async def assert_no_call(self, method: str,
                             predicate: Callable[[Call], bool] = lambda c: True, *,
                             within: float = 0.5) -> None:
        """Fail if a matching call to ``method`` is (or gets) recorded within ``within`` s."""
        try:
            found = await self.wait_for(method, predicate, timeout=within)
        except AssertionError:
            return
        raise AssertionError(f"unexpected {method} call(s): {found}\n" + self.summary())

    @staticmethod
    def _matches(predicate: Callable[[Call], bool], call: Call) -> bool:
        try:
            return bool(predicate(call))
        except (KeyError, IndexError):
            return False

    def summary(self, last: int = 20) -> str:
        """Counts per method and the last non-polling calls, for failure messages."""
        counts = Counter(c.method for c in self.requests)
        lines = ["recorded calls: " + (", ".join(f"{m}×{n}" for m, n in counts.items())
                                       or "none")]
        recent = [c for c in self.requests if c.method != "getUpdates"][-last:]
        lines += [f"  {c!r}" for c in recent]
        if self._pending:
            lines.append(f"unconfirmed updates: {[u['update_id'] for u in self._pending]}")
        return "\n".join(lines)

    # -- fault injection ---------------------------------------------------------------------

    def fail_next(self, method: str, *, status: int = 429, retry_after: int | None = 1,
                  times: int = 1, description: str | None = None) -> None:
        """The next ``times`` calls to ``method`` get a Telegram error reply.

        429 carries ``parameters.retry_after`` (unless ``retry_after`` is None) and the
        description "Too Many Requests: retry after N"; 403 says the bot was blocked; other
        statuses get Telegram's plain description ("Internal Server Error", "Bad Gateway").
        """
        self._faults.setdefault(method, deque()).append(
            _Fault(status, retry_after, description, times))

    def block_user(self, chat_id: int) -> None:
        """Every delivery to ``chat_id`` gets 403 "Forbidden: bot was blocked by the user"."""
        self._blocked.add(chat_id)

    def unblock_user(self, chat_id: int) -> None:
        self._blocked.discard(chat_id)

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (0 removes the delay)."""
        if seconds > 0:
            self._delays[method] = seconds
        else:
            self._delays.pop(method, None)

    def _take_fault(self, method: str) -> ApiError | None:
        queue = self._faults.get(method)
        if not queue:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.popleft()
        if fault.status == 429:
            description = fault.description or (
                f"Too Many Requests: retry after {fault.retry_after or 1}")
            params = {"retry_after": fault.retry_after} if fault.retry_after is not None else None
            return ApiError(429, description, params)
        return ApiError(fault.status, fault.description)

    # -- HTTP --------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        raw_method = request.match_info["method"]
        method = self._canonical.get(raw_method.lower(), raw_method)
        parsed = await self._parse(request)
        call = Call(method, parsed.params, parsed.files, arrived)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401)
            handler = self._methods.get(method)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            if method in self._delays:
                await self._sleep(self._delays[method])
            fault = self._take_fault(method)
            if fault is not None:
                raise fault
            if method.startswith(_DELIVERY_PREFIXES) and parsed.params.get("chat_id") in \
                    self._blocked:
                raise ApiError(403)
            result = await handler(parsed)
        except ApiError as error:
            call.status, call.result = error.status, error.description
            self._record(call)
            return web.json_response(error.body(), status=error.status)
        call.result = result
        self._record(call)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401).body(), status=401)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return web.json_response(ApiError(404).body(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _record(self, call: Call) -> None:
        self.requests.append(call)
        self._notify()

    async def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self._closing and (remaining := deadline - time.monotonic()) > 0:
            await self._wait_change(self._changed, remaining)

    @staticmethod
    async def _parse(request: web.Request) -> _Parsed:
        """Read params and files from a query string plus a JSON, form or multipart body."""
        parsed = _Parsed()
        raw: dict[str, Any] = dict(request.query)
        parts: dict[str, bytes] = {}
        ctype = request.content_type
        if ctype == "multipart/form-data":
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue
                if part.filename is not None:
                    parts[part.name] = bytes(await part.read())
                    parsed.filenames[part.name] = part.filename
                else:
                    raw[part.name] = await part.text()
        elif ctype == "application/x-www-form-urlencoded":
            form = await request.post()
            raw.update({key: form[key] for key in form})
        else:  # JSON, or PTB's empty application/octet-stream body
            body = await request.read()
            if body.strip():
                try:
                    data = json.loads(body)
                except ValueError as error:
                    raise web.HTTPBadRequest(text=f"cannot parse body: {error}") from error
                if isinstance(data, dict):
                    raw.update(data)
        parsed.params = {key: _decode_value(key, value) for key, value in raw.items()}
        parsed.files.update(parts)
        for key, value in parsed.params.items():
            if isinstance(value, str) and value.startswith("attach://"):
                name = value.removeprefix("attach://")
                if name in parts:
                    parsed.files[key] = parts[name]
                    parsed.filenames[key] = parsed.filenames[name]
        return parsed

    # -- objects -------------------------------------------------------------------------------

    def _user(self, user_id: int, first_name: str | None = None,
              username: str | None = None) -> JSONDict:
        user = self._users.setdefault(user_id, {"id": user_id, "is_bot": False,
                                                "first_name": "Test"})
        if first_name is not None:
            user["first_name"] = first_name
        if username is not None:
            user["username"] = username
        return dict(user)

    def _chat(self, chat_id: int | str, *, chat_type: str | None = None,
              user: JSONDict | None = None) -> JSONDict:
        known = self._chats.get(chat_id)
        if known is not None and chat_type in (None, known["type"]):
            return dict(known)
        if chat_type is None:
            if isinstance(chat_id, str):
                chat_type = "channel"
            else:
                chat_type = "supergroup" if chat_id < 0 else "private"
        if chat_type == "private":
            known_user = self._users.get(chat_id) if isinstance(chat_id, int) else None
            person = user or known_user or {"first_name": "Test"}
            chat: JSONDict = {"id": chat_id, "type": "private",
                              "first_name": person["first_name"]}
            if "username" in person:
                chat["username"] = person["username"]
        else:
            chat = {"id": chat_id, "type": chat_type, "title": "Test group"}
        self._chats[chat_id] = chat
        return dict(chat)

    def _new_message_id(self, chat_id: int | str) -> int:
        next_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = next_id + 1
        return next_id

    def _reply_target(self, chat_id: int | str, message_id: int) -> JSONDict:
        target = self._messages.get((chat_id, message_id))
        if target is None:
            return {"message_id": message_id, "date": int(time.time()),
                    "chat": self._chat(chat_id)}
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _user_message(self, user_id: int, content: JSONDict, *, chat_id: int | None = None,
                      chat_type: str | None = None, first_name: str | None = None,
                      username: str | None = None,
                      reply_to_message_id: int | None = None) -> JSONDict:
        user = self._user(user_id, first_name, username)
        chat_key = user_id if chat_id is None else chat_id
        message: JSONDict = {
            "message_id": self._new_message_id(chat_key), "date": int(time.time()),
            "chat": self._chat(chat_key, chat_type=chat_type, user=user), "from": user,
            **content,
        }
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._reply_target(chat_key, reply_to_message_id)
        self._messages[(chat_key, message["message_id"])] = message
        return dict(message)

    def _bot_message(self, params: dict[str, Any], content: JSONDict) -> JSONDict:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        message: JSONDict = {
            "message_id": self._new_message_id(chat_id), "date": int(time.time()),
            "chat": self._chat(chat_id), "from": dict(self.bot_user), **content,
        }
        if "message_thread_id" in params:
            message["message_thread_id"] = params["message_thread_id"]
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = reply_id or params.get("reply_to_message_id")
        if reply_id:
            message["reply_to_message"] = self._reply_target(chat_id, reply_id)
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            # Telegram returns only inline keyboards; both frameworks fail to parse a
            # reply keyboard in Message.reply_markup.
            message["reply_markup"] = markup
        self._messages[(chat_id, message["message_id"])] = message
        self._sent.append(message)
        return message

    def _store_file(self, data: bytes, folder: str, ext: str) -> _StoredFile:
        n = next(self._file_seq)
        stored = _StoredFile(file_id=f"fake-{folder}-{n}", file_unique_id=f"uniq{n}",
                             file_path=f"{folder}/file_{n}.{ext}", data=data)
        self._files[stored.file_id] = stored
        self._files_by_path[stored.file_path] = stored
        return stored

    def _resolve_file(self, parsed: _Parsed, field_name: str, folder: str, ext: str
                      ) -> tuple[_StoredFile, str | None]:
        """The uploaded, referenced (file_id) or linked (URL) file for a send call."""
        if field_name in parsed.files:
            stored = self._store_file(parsed.files[field_name], folder, ext)
            return stored, parsed.filenames.get(field_name)
        ref = parsed.params.get(field_name)
        if isinstance(ref, str) and ref in self._files:
            return self._files[ref], None
        if isinstance(ref, str) and ref.startswith(("http://", "https://")):
            return self._store_file(b"", folder, ext), ref.rsplit("/", 1)[-1]
        if ref is None:
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    @staticmethod
    def _media_object(kind: str, stored: _StoredFile, params: dict[str, Any], mime: str,
                      filename: str | None) -> Any:
        base: JSONDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                          "file_size": len(stored.data)}
        duration = params.get("duration", 0)
        if kind == "photo":
            return [{**base, "width": 1280, "height": 960}]
        if kind == "sticker":
            return {**base, "type": "regular", "width": 512, "height": 512,
                    "is_animated": False, "is_video": False}
        if kind == "video_note":
            return {**base, "length": params.get("length", 240), "duration": duration}
        if kind in ("video", "animation"):
            return {**base, "width": params.get("width", 640),
                    "height": params.get("height", 480), "duration": duration,
                    "mime_type": mime}
        media = {**base, "mime_type": mime}
        if kind in ("voice", "audio"):
            media["duration"] = duration
        if kind in ("audio", "document") and filename:
            media["file_name"] = filename
        return media

    @staticmethod
    def _caption(params: dict[str, Any]) -> JSONDict:
        content: JSONDict = {}
        if params.get("caption"):
            content["caption"] = params["caption"]
            if params.get("caption_entities"):
                content["caption_entities"] = params["caption_entities"]
        return content

    def _stored_message(self, params: dict[str, Any], what: str) -> JSONDict:
        message = self._messages.get((params.get("chat_id"), params.get("message_id")))
        if message is None:
            raise ApiError(400, f"Bad Request: message to {what} not found")
        return message

    # -- methods -------------------------------------------------------------------------------

    async def _true(self, parsed: _Parsed) -> bool:
        return True

    async def _get_me(self, parsed: _Parsed) -> JSONDict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}

    async def _get_updates(self, parsed: _Parsed) -> list[JSONDict]:
        params = parsed.params
        if self.webhook_url:
            raise ApiError(409, _CONFLICT_WEBHOOK)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = min(float(params.get("timeout") or 0), self.max_poll_wait)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll still waiting ends with 409, as on Telegram
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        elif offset < 0:
            self._pending = self._pending[offset:]
        deadline = time.monotonic() + timeout
        while True:
            event = self._changed
            if self._closing:
                return []
            if generation != self._poll_generation:
                raise ApiError(409, _CONFLICT_POLL)
            ready = self._pending[:limit]
            if ready:
                self._delivered.update(u["update_id"] for u in ready)
                self._notify()
                return ready
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            await self._wait_change(event, remaining)

    async def _set_webhook(self, parsed: _Parsed) -> bool:
        self.webhook_url = str(parsed.params.get("url") or "")
        if parsed.params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _delete_webhook(self, parsed: _Parsed) -> bool:
        self.webhook_url = ""
        if parsed.params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    async def _get_webhook_info(self, parsed: _Parsed) -> JSONDict:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._pending)}

    async def _set_my_commands(self, parsed: _Parsed) -> bool:
        self.commands = list(parsed.params.get("commands") or [])
        return True

    async def _get_my_commands(self, parsed: _Parsed) -> list[JSONDict]:
        return self.commands

    async def _delete_my_commands(self, parsed: _Parsed) -> bool:
        self.commands = []
        return True

    async def _get_chat(self, parsed: _Parsed) -> JSONDict:
        chat_id = parsed.params.get("chat_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        return {**self._chat(chat_id), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False}}

    async def _get_chat_member(self, parsed: _Parsed) -> JSONDict:
        user_id = parsed.params.get("user_id")
        if user_id == self.bot_id:
            return {"status": "member", "user": dict(self.bot_user)}
        if not isinstance(user_id, int):
            raise ApiError(400, "Bad Request: invalid user_id specified")
        return {"status": "member", "user": self._user(user_id)}

    async def _get_file(self, parsed: _Parsed) -> JSONDict:
        stored = self._files.get(str(parsed.params.get("file_id")))
        if stored is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return stored.describe()

    async def _send_message(self, parsed: _Parsed) -> JSONDict:
        text = parsed.params.get("text")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        content: JSONDict = {"text": str(text)}
        if parsed.params.get("entities"):
            content["entities"] = parsed.params["entities"]
        return self._bot_message(parsed.params, content)

    def _media_sender(self, method: str) -> Callable[[_Parsed], Awaitable[JSONDict]]:
        kind, ext, mime = _MEDIA_METHODS[method]

        async def send(parsed: _Parsed) -> JSONDict:
            stored, filename = self._resolve_file(parsed, kind, kind + "s", ext)
            media = self._media_object(kind, stored, parsed.params, mime, filename)
            return self._bot_message(parsed.params, {kind: media, **self._caption(parsed.params)})

        return send

    async def _send_location(self, parsed: _Parsed) -> JSONDict:
        location = {"latitude": parsed.params.get("latitude"),
                    "longitude": parsed.params.get("longitude")}
        return self._bot_message(parsed.params, {"location": location})

    async def _send_contact(self, parsed: _Parsed) -> JSONDict:
        contact = {key: parsed.params[key] for key in
                   ("phone_number", "first_name", "last_name", "vcard") if key in parsed.params}
        return self._bot_message(parsed.params, {"contact": contact})

    async def _send_media_group(self, parsed: _Parsed) -> list[JSONDict]:
        media = parsed.params.get("media")
        if not isinstance(media, list) or not media:
            raise ApiError(400, "Bad Request: media is empty")
        group_id = str(next(self._media_groups))
        sent = []
        for item in media:
            kind = item.get("type", "photo")
            ext, mime = {"photo": ("jpg", "image/jpeg"), "video": ("mp4", "video/mp4"),
                         "audio": ("mp3", "audio/mpeg")}.get(kind, ("bin",
                                                                   "application/octet-stream"))
            ref = str(item.get("media", ""))
            sub = _Parsed(params={kind: ref})
            name = ref.removeprefix("attach://")
            if ref.startswith("attach://") and name in parsed.files:
                sub.files[kind] = parsed.files[name]
                sub.filenames[kind] = parsed.filenames.get(name, name)
            stored, filename = self._resolve_file(sub, kind, kind + "s", ext)
            content = {kind: self._media_object(kind, stored, item, mime, filename),
                       "media_group_id": group_id, **self._caption(item)}
            sent.append(self._bot_message(parsed.params, content))
        return sent

    def _source_message(self, params: dict[str, Any], what: str) -> JSONDict:
        key = (params.get("from_chat_id"), params.get("message_id"))
        source = self._messages.get(key)
        if source is None:
            raise ApiError(400, f"Bad Request: message to {what} not found")
        return source

    async def _copy_message(self, parsed: _Parsed) -> JSONDict:
        """Returns a MessageId, as Telegram does; the copy is in sent_messages()."""
        source = self._source_message(parsed.params, "copy")
        content = {k: source[k] for k in _CONTENT_FIELDS if k in source}
        if "caption" in parsed.params:
            content.pop("caption_entities", None)
            content.update(self._caption(parsed.params))
        message = self._bot_message(parsed.params, content)
        return {"message_id": message["message_id"]}

    async def _forward_message(self, parsed: _Parsed) -> JSONDict:
        source = self._source_message(parsed.params, "forward")
        content = {k: source[k] for k in _CONTENT_FIELDS if k in source}
        sender = source.get("from")
        origin: JSONDict = (
            {"type": "user", "date": source["date"], "sender_user": sender} if sender
            else {"type": "chat", "date": source["date"], "sender_chat": source["chat"]})
        return self._bot_message(parsed.params, {**content, "forward_origin": origin})

    def _editable(self, parsed: _Parsed) -> JSONDict | None:
        if parsed.params.get("inline_message_id"):
            return None
        message = self._stored_message(parsed.params, "edit")
        if message["from"]["id"] != self.bot_id:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    @staticmethod
    def _apply_edit(message: JSONDict, changes: JSONDict, markup: Any,
                    drop: tuple[str, ...] = ()) -> JSONDict:
        """Apply an edit; Telegram drops the inline keyboard unless it is sent again."""
        new = {k: v for k, v in message.items() if k not in drop and k != "edit_date"}
        new.update(changes)
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            new["reply_markup"] = markup
        else:
            new.pop("reply_markup", None)
        if new == {k: v for k, v in message.items() if k != "edit_date"}:
            raise ApiError(400, "Bad Request: message is not modified: specified new message "
                                "content and reply markup are exactly the same as a current "
                                "content and reply markup of the message")
        message.clear()
        message.update(new, edit_date=int(time.time()))
        return message

    async def _edit_message_text(self, parsed: _Parsed) -> JSONDict | bool:
        text = parsed.params.get("text")
        if not text:
            raise ApiError(400, "Bad Request: message text is empty")
        message = self._editable(parsed)
        if message is None:
            return True
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        changes: JSONDict = {"text": str(text)}
        if parsed.params.get("entities"):
            changes["entities"] = parsed.params["entities"]
        return self._apply_edit(message, changes, parsed.params.get("reply_markup"),
                                drop=("entities",))

    async def _edit_message_caption(self, parsed: _Parsed) -> JSONDict | bool:
        message = self._editable(parsed)
        if message is None:
            return True
        return self._apply_edit(message, self._caption(parsed.params),
                                parsed.params.get("reply_markup"),
                                drop=("caption", "caption_entities"))

    async def _edit_message_reply_markup(self, parsed: _Parsed) -> JSONDict | bool:
        message = self._editable(parsed)
        if message is None:
            return True
        return self._apply_edit(message, {}, parsed.params.get("reply_markup"))

    async def _delete_message(self, parsed: _Parsed) -> bool:
        self._stored_message(parsed.params, "delete")
        del self._messages[(parsed.params["chat_id"], parsed.params["message_id"])]
        return True
