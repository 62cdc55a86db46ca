"""Speech models load in the background: the bot polls at once after a restart, and only the
first voice note waits for the model (bot/voice/preload.py)."""

from __future__ import annotations

import threading
import time

import pytest

from bot.voice.asr import ASRConfigError, Hearing
from bot.voice.preload import PreloadedRecognizer, PreloadedSynthesizer
from bot.voice.tts import SpeechError


class SlowRecognizer:
    max_seconds = 60.0

    def recognize(self, audio: bytes) -> Hearing:
        return Hearing("我能参加疗养吗", confidence=0.9)

    def transcribe(self, ogg: bytes) -> str | None:
        return self.recognize(ogg).text


def test_making_it_does_not_wait_for_the_load_but_using_it_does():
    release = threading.Event()

    def load() -> SlowRecognizer:
        release.wait(5)
        return SlowRecognizer()

    start = time.perf_counter()
    recognizer = PreloadedRecognizer(load, max_seconds=30.0)
    assert time.perf_counter() - start < 0.5
    assert not recognizer.ready
    assert recognizer.max_seconds == 30.0
    release.set()
    assert recognizer.recognize(b"ogg").text == "我能参加疗养吗"
    assert recognizer.ready


def test_a_failed_load_is_raised_where_the_model_is_used():
    def load() -> SlowRecognizer:
        raise RuntimeError("model files missing")

    recognizer = PreloadedRecognizer(load, max_seconds=30.0)
    with pytest.raises(RuntimeError, match="model files missing"):
        recognizer.recognize(b"ogg")


def test_no_engine_after_loading_is_a_speech_error_so_the_reply_goes_as_text():
    with pytest.raises(SpeechError):
        PreloadedSynthesizer(lambda: None).synthesize("您好")
    with pytest.raises(ASRConfigError):
        PreloadedRecognizer(lambda: None, max_seconds=30.0).recognize(b"ogg")
