"""A recording in, the answer out, without state: `junxiu ask --audio FILE` and `--audio -`
(bot/cli/ask.py).

The same verdict as the bot (bot/voice/listening.py) on the same recogniser, loaded once for
all the files of a run. JSON has the `ask --json` fields plus `transcript` (what was heard,
null if nothing); `text` is what was understood (a correction's own words). `answer` is what
the bot would reply, without the "您问的是……" line that the bot puts first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import knowledge
from bot.answering import as_json, decide
from bot.voice.asr import Hearing, Recognizer
from bot.voice.listening import Listening, Verdict, choices, echo, listen
from junxiu_core import CadreProfile


def _empty(text: str, transcript: str | None, answer: str, *, escalate: bool,
           reason: str | None) -> dict[str, Any]:
    return {"text": text, "intent": None, "confidence": 0.0, "escalate": escalate,
            "escalation_reason": reason, "answer": answer, "citations": [], "slots": {},
            "result": {}, "follow_up": None, "topic": None, "transcript": transcript}


def answer_listening(listening: Listening, profile: CadreProfile, today: date
                     ) -> tuple[dict[str, Any], str]:
    """(the JSON object, the reply as the bot would send it: what was heard first)."""
    kb = knowledge.load()
    hearing, verdict = listening.hearing, listening.verdict
    transcript = hearing.text
    if verdict in (Verdict.FAILED, Verdict.UNHEARD, Verdict.STAFF) or listening.text is None:
        key = {Verdict.FAILED: "ui.voice.failed", Verdict.STAFF: "ui.voice.to_staff"}.get(
            verdict, "ui.voice.unheard")
        to_staff = verdict in (Verdict.FAILED, Verdict.STAFF)
        out = _empty(listening.text or "", transcript, kb.string(key), escalate=to_staff,
                     reason="voice.unheard" if to_staff else None)
        return out, out["answer"]
    u = listening.understanding
    assert u is not None
    answered = decide(u, profile, today)
    out = {**as_json(answered, listening.text), "transcript": transcript}
    if verdict == Verdict.CONFIRM:
        from bot.dialogue import spoken_choices

        labels, _ = choices(u)
        prompt = kb.string("ui.voice.confirm", text=listening.text)
        out.update(answer=spoken_choices(prompt, labels), follow_up=prompt)
        return out, out["answer"]
    if verdict == Verdict.LONG:
        told = kb.string("ui.voice.long") + "\n" + kb.string("ui.voice.long_heard",
                                                               text=listening.text)
        out.update(answer=told, escalate=True, escalation_reason="voice.long")
        return out, told
    return out, echo(listening, answered.intent) + "\n" + answered.text


def hear_file(recognizer: Recognizer, path: str) -> Hearing:
    try:
        audio = Path(path).expanduser().read_bytes()
    except OSError:
        return Hearing(None, problem="undecodable")
    return recognizer.recognize(audio)


def run(recognizer: Recognizer, paths: Iterable[str], profile: CadreProfile, today: date, *,
        confirm_below: float, as_lines: bool) -> Iterator[str]:
    """One output per path: a JSON line, or the reply as text."""
    for path in paths:
        hearing = hear_file(recognizer, path)
        listening = listen(hearing, today, confirm_below=confirm_below)
        out, reply = answer_listening(listening, profile, today)
        yield json.dumps(out, ensure_ascii=False) if as_lines else reply
