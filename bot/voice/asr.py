"""Speech recognition for inbound voice messages, when a local model is configured.

None ships: no offline Mandarin model can be downloaded here, so the default is no ASR (the
bot keeps the audio and hands it to staff). A backend is imported only when it is configured
(JUNXIU_ASR_BACKEND = vosk | sherpa-onnx, JUNXIU_ASR_MODEL_PATH = the model directory), and a
configured backend that cannot load fails at start with ASRConfigError, not on the first
message. Recognition blocks: call `await asyncio.to_thread(recognizer.transcribe, ogg)`.
"""

from __future__ import annotations

import array
import io
import json
import re
import sys
from pathlib import Path
from typing import Protocol, runtime_checkable

SAMPLE_RATE = 16_000  # what Mandarin ASR models are trained on
BACKENDS = ("vosk", "sherpa-onnx")
MAX_SECONDS = 300  # a voice message longer than this is cut (Telegram allows far more)


class ASRConfigError(RuntimeError):
    """ASR is configured but cannot run: unknown backend, package or model missing."""


class AudioDecodeError(ValueError):
    """The voice message is not audio PyAV can decode."""


@runtime_checkable
class Recognizer(Protocol):
    def transcribe(self, ogg: bytes) -> str | None:
        """A voice message (OGG/Opus, or any audio PyAV opens) -> its text, None if nothing
        was understood."""
        ...


# --- decoding --------------------------------------------------------------------------------

def decode_pcm16k(audio: bytes, *, max_seconds: float = MAX_SECONDS) -> bytes:
    """Any audio PyAV can open (Telegram voice notes are OGG/Opus 48 kHz) -> 16 kHz mono
    signed 16-bit little-endian PCM, what vosk and sherpa-onnx take."""
    import av

    limit = int(max_seconds * SAMPLE_RATE) * 2
    out = bytearray()
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    try:
        with av.open(io.BytesIO(audio)) as container:
            if not container.streams.audio:
                raise AudioDecodeError("no audio stream")
            for frame in container.decode(audio=0):
                for piece in resampler.resample(frame):
                    out += bytes(piece.planes[0])[:piece.samples * 2]
                if len(out) >= limit:
                    break
            for piece in resampler.resample(None):
                out += bytes(piece.planes[0])[:piece.samples * 2]
    except av.FFmpegError as exc:
        raise AudioDecodeError(f"cannot decode the voice message: {exc}") from exc
    return bytes(out[:limit])


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

class VoskRecognizer:
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
        rec.AcceptWaveform(decode_pcm16k(ogg))
        return _clean(json.loads(rec.FinalResult()).get("text", ""))


class SherpaOnnxRecognizer:
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
        stream.accept_waveform(SAMPLE_RATE, pcm_to_floats(decode_pcm16k(ogg)))
        self._recognizer.decode_stream(stream)
        return _clean(stream.result.text)


def recognizer_from_settings(backend: str | None, model_path: str | None) -> Recognizer | None:
    """The configured recognizer, loaded now; None when no backend is configured.

    Raises ASRConfigError for an unknown backend, a missing package or model. Call it at start
    (settings.asr_backend, settings.asr_model_path) so a bad configuration stops the bot."""
    name = (backend or "").strip().lower().replace("_", "-")
    if name in ("", "none", "off"):
        return None
    if name not in BACKENDS:
        raise ASRConfigError(f"unknown JUNXIU_ASR_BACKEND {backend!r}; "
                             f"use one of {', '.join(BACKENDS)} or leave it unset")
    if not model_path:
        raise ASRConfigError(f"JUNXIU_ASR_BACKEND={name} needs JUNXIU_ASR_MODEL_PATH "
                             "(the local model directory)")
    path = Path(model_path).expanduser()
    if not path.is_dir():
        raise ASRConfigError(f"JUNXIU_ASR_MODEL_PATH {path} is not a directory")
    if name == "vosk":
        return VoskRecognizer(path)
    return SherpaOnnxRecognizer(path)
