"""Voice: replies spoken as Telegram voice notes, and (when a local model is configured)
voice messages recognised as text. See docs/voice.md.

    to_spoken(reply)                     -> the reply as it is said (numbers in words, …)
    default_synthesizer()                -> EspeakSynthesizer, or None without espeak-ng
    synthesizer.synthesize(reply)        -> OGG/Opus bytes (raises SpeechError)
    recognizer_from_settings(backend, model_path) -> Recognizer, or None (no ASR)
    recognizer.transcribe(ogg)           -> text or None
"""

from bot.voice.asr import ASRConfigError, Recognizer, decode_pcm16k, recognizer_from_settings
from bot.voice.spoken import to_pinyin, to_spoken
from bot.voice.tts import (
    EspeakSynthesizer,
    SpeechError,
    Synthesizer,
    available,
    default_synthesizer,
    ogg_duration,
)

__all__ = [
    "ASRConfigError",
    "EspeakSynthesizer",
    "Recognizer",
    "SpeechError",
    "Synthesizer",
    "available",
    "decode_pcm16k",
    "default_synthesizer",
    "ogg_duration",
    "recognizer_from_settings",
    "to_pinyin",
    "to_spoken",
]
