"""What the service may ask of Telegram once a message is stored (bot/service.py), the same for
both frameworks: answer the button press (stop its spinner), download a voice note. Each
adapter hands in its own call and the errors it raises; a refused answer is logged and the
press goes on (it is stored), a failed download is `FetchFailed` (the note goes to staff with
its file id)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.messages import Acknowledge, Fetch, FetchFailed

log = logging.getLogger(__name__)

Errors = type[BaseException] | tuple[type[BaseException], ...]


def acknowledger(answer: Callable[[], Awaitable[object]], errors: Errors, what: str
                 ) -> Acknowledge:
    """`answer()` at most once (a retried store may ask again); its failure only logged: an
    old press ("query is too old") must still be answered in the chat."""
    done = False

    async def acknowledge() -> None:
        nonlocal done
        if done:
            return
        done = True
        try:
            await answer()
        except errors as exc:
            log.warning("%s not acknowledged: %s", what, exc)

    return acknowledge


def fetcher(download: Callable[[str], Awaitable[bytes]], errors: Errors) -> Fetch:
    async def fetch(file_id: str) -> bytes:
        try:
            return await download(file_id)
        except errors as exc:
            raise FetchFailed(f"{type(exc).__name__}: {exc}") from exc

    return fetch
