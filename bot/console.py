"""`junxiu chat`: the conversation service in a terminal, on the default SQLite file.

Works with piped input (`printf '你好\n…' | junxiu chat`) and ends cleanly at EOF. Buttons are
shown numbered; typing the number presses the button.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

import knowledge
from bot.app import App
from bot.messages import Incoming, Reply

TRANSPORT = "console"
USER = "local"


class ConsoleChat:
    def __init__(self, app: App, out: TextIO = sys.stdout) -> None:
        self._app = app
        self._out = out
        self._buttons: list[str] = []  # callback data of the last buttons shown
        self._update = 0

    def _incoming(self, text: str) -> Incoming:
        self._update += 1
        now = self._app.service.now()
        # isdecimal, not isdigit: "²" is a digit that int() refuses; a button is 1-2 digits.
        if text.isdecimal() and len(text) <= 2 and 0 < int(text) <= len(self._buttons):
            return Incoming(TRANSPORT, USER, TRANSPORT, now, kind="callback",
                            callback_data=self._buttons[int(text) - 1])
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return Incoming(TRANSPORT, USER, TRANSPORT, now, text=text, kind="command",
                            command=command.lower(), command_args=args)
        return Incoming(TRANSPORT, USER, TRANSPORT, now, text=text)

    async def send(self, replies: list[Reply]) -> None:
        if any(r.chat_id == TRANSPORT for r in replies):
            self._buttons = []  # numbers only press the buttons just shown
        for reply in replies:
            if reply.chat_id != TRANSPORT:
                continue  # staff group posts: not shown in the cadre's console
            self._out.write(reply.text + "\n")
            buttons = [b for row in reply.buttons for b in row]
            if buttons:
                self._buttons = [b.data for b in buttons]
                for i, b in enumerate(buttons, 1):
                    self._out.write(f"  {i}. {b.label}\n")
            self._out.write("\n")
            self._out.flush()
            if reply.delivery_id is not None:
                await self._app.service.delivered(reply.delivery_id, None)

    async def say(self, text: str) -> None:
        await self.send(await self._app.service.handle(self._incoming(text)))

    async def run(self, stream: TextIO = sys.stdin) -> None:
        await self.send(await self._app.service.resume(TRANSPORT))
        await self.send(await self._app.service.due(TRANSPORT))  # e.g. staff replies
        await self.say("/start")
        prompt = knowledge.load().string("ui.console.prompt")
        loop = asyncio.get_running_loop()
        while True:
            if stream.isatty():
                self._out.write(prompt)
                self._out.flush()
            line = await loop.run_in_executor(None, stream.readline)
            if not line:  # EOF: leave quietly, everything is stored
                return
            text = line.strip()
            if text:
                await self.say(text)
