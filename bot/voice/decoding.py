"""How Whisper is asked to listen: which readings of a note are decoded (search width, with
or without the domain prompt, on the note as it is or with its steady noise reduced), the
temperature fallback, the voice-activity detector, hotwords. Values live in
bot/data/asr.yaml (`decoding:`); this is their shape and their defaults. bench/voice_tune.py
compares settings on its own sentences.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class Reading:
    """One decoding of a note, written "beam5+prompt", "greedy", "denoised+beam5+prompt"."""

    beam_size: int = 1
    prompt: bool = True
    denoised: bool = False

    @classmethod
    def parse(cls, spec: str) -> Reading:
        beam, prompt, denoised = 1, False, False
        for word in spec.strip().split("+"):
            if word == "greedy":
                beam = 1
            elif word.startswith("beam") and word[4:].isdigit():
                beam = int(word[4:])
            elif word == "prompt":
                prompt = True
            elif word == "denoised":
                denoised = True
            else:
                raise ValueError(f"unknown word {word!r} in the reading {spec!r}")
        return cls(beam, prompt, denoised)


FIRST = Reading(1, True)
SECOND_OPINION = (Reading(5, True), Reading(5, False))


@dataclass(frozen=True)
class Decoding:
    first: Reading = FIRST  # every note
    # An unsure first reading (or none) is decoded again these ways; the understanding then
    # takes the reading it makes most sense of (listening.listen).
    second_opinion: tuple[Reading, ...] = SECOND_OPINION
    second_opinion_below: float = 0.7  # "unsure": the first reading's confidence
    # ... or the understanding's confidence in it: a clearly heard sentence that makes no
    # sense in this domain ("外面有人秀我家的门") is more likely misheard than meant.
    second_opinion_unclear_below: float = 0.5
    temperatures: tuple[float, ...] = (0.0, 0.3, 0.6)  # fallback when a reading looks wrong
    vad_threshold: float = 0.5  # Silero VAD speech probability
    vad_min_silence_ms: int = 2000
    vad_speech_pad_ms: int = 400
    hotwords: bool = False  # the prompt's domain terms also as faster-whisper hotwords

    @classmethod
    def from_data(cls, data: dict[str, Any] | None) -> Decoding:
        """From asr.yaml's `decoding:` mapping; unknown keys are an error, not ignored."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown decoding settings in asr.yaml: {unknown}")
        if "first" in data:
            data["first"] = Reading.parse(data["first"])
        if "second_opinion" in data:
            data["second_opinion"] = tuple(Reading.parse(s) for s in data["second_opinion"])
        if "temperatures" in data:
            data["temperatures"] = tuple(float(t) for t in data["temperatures"])
        return cls(**data)

    def but(self, **changes: Any) -> Decoding:
        return replace(self, **changes)

    def vad_parameters(self) -> dict[str, Any]:
        return {"threshold": self.vad_threshold,
                "min_silence_duration_ms": self.vad_min_silence_ms,
                "speech_pad_ms": self.vad_speech_pad_ms}
