"""The edges of part 6, at the service: a button press and a voice note are stored before the
service asks anything of the transport (answer the press, download the note), an edited message
is the cadre's corrected question, linked to the one it corrects, and a caption is read like
text with its file kept for staff."""

from __future__ import annotations

from sqlalchemy import select

from bot import staff
from bot.app import App
from bot.messages import FetchFailed
from bot.storage.db import make_sessions
from bot.storage.models import Message, Ticket
from tests.bot.conftest import Chat, staff_posts


async def stored(app: App, kind: str | None = None) -> list[Message]:
    async with make_sessions(app.engine)() as s:
        stmt = select(Message).where(Message.direction == "in").order_by(Message.id)
        if kind is not None:
            stmt = stmt.where(Message.kind == kind)
        return list((await s.scalars(stmt)).all())


async def test_a_button_press_is_stored_before_it_is_acknowledged(app: App, chat: Chat) -> None:
    await chat.command("start")
    seen: list[list[Message]] = []

    async def acknowledge() -> None:
        seen.append(await stored(app, "callback"))

    msg = chat.incoming(kind="callback", callback_data="pick:jilin")
    replies = await app.service.handle(msg, acknowledge=acknowledge)

    assert len(seen) == 1 and len(seen[0]) == 1  # acknowledged once, the press stored by then
    assert chat.mine(replies)


async def test_a_voice_note_is_stored_before_it_is_downloaded(app: App, chat: Chat) -> None:
    seen: list[list[Message]] = []

    async def fetch(file_id: str) -> bytes:
        seen.append(await stored(app, "voice"))
        return b"OggS-not-really-a-recording"

    msg = chat.incoming(kind="voice", file_id="VOICE-1", file_kind="voice", voice_duration=3)
    await app.service.handle(msg, fetch=fetch)

    assert len(seen[0]) == 1 and seen[0][0].payload["file_id"] == "VOICE-1"
    [note] = await stored(app, "voice")
    assert note.audio_path is not None  # what was downloaded is kept with the message


async def test_a_voice_note_that_cannot_be_downloaded_goes_to_staff_with_its_file_id(
        app: App, chat: Chat) -> None:
    async def fetch(file_id: str) -> bytes:
        raise FetchFailed("getFile: 500 Internal Server Error")

    msg = chat.incoming(kind="voice", file_id="VOICE-2", file_kind="voice", voice_duration=3)
    replies = await app.service.handle(msg, fetch=fetch)

    assert chat.mine(replies)  # the cadre is told, never left in silence
    [post] = staff_posts(replies)
    assert "VOICE-2" in post.text
    [note] = await stored(app, "voice")
    assert note.processed_at is not None and note.payload["file_id"] == "VOICE-2"


async def test_an_edit_is_answered_and_linked_to_the_message_it_corrects(
        app: App, chat: Chat) -> None:
    first = await chat.send(chat.incoming("吉林退休自付十二万", message_id=31))
    corrected = await chat.send(chat.incoming("吉林退休自付二十万", message_id=31, edited=True))

    assert "四万五千元" in chat.mine(first)[0].text
    assert "四万五千元" not in chat.mine(corrected)[0].text
    original, edit = await stored(app)
    assert edit.payload["corrects"] == original.id and edit.payload["edited"] is True


async def test_an_edit_of_a_message_not_yet_answered_replaces_it(app: App, chat: Chat) -> None:
    """Deferred (flood control) or interrupted by a crash: only the corrected question is
    answered."""
    async with make_sessions(app.engine).begin() as s:  # stored, not handled
        from bot.storage import repo

        account = await repo.account_for(s, chat.incoming("x"), chat.clock())
        original = chat.incoming("吉林退休自付十二万", message_id=40)
        await app.service.inbox.store(s, original, account.cadre_id)

    replies = await chat.send(chat.incoming("吉林退休自付二十万", message_id=40, edited=True))
    later = await app.service.resume("console")

    assert chat.mine(replies) and not later
    first, _ = await stored(app)
    assert first.processed_at is not None and first.payload["corrected_by"]


async def test_a_caption_is_read_like_text_and_its_file_is_in_the_ticket(
        app: App, chat: Chat) -> None:
    msg = chat.incoming("我要找工作人员，看看这张单子", file_id="PHOTO-1", file_kind="photo")
    replies = await chat.send(msg)

    [post] = staff_posts(replies)
    assert "PHOTO-1" in post.text
    async with make_sessions(app.engine)() as s:
        ticket = (await s.scalars(select(Ticket))).one()
        assert "PHOTO-1" in await staff.ticket_text(s, ticket.id)
