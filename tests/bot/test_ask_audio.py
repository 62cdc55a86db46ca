"""`junxiu ask --audio FILE` and `--audio -`: the `ask --json` contract plus `transcript`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.helpers.voice import CORRUPT, needs_voice_extra, said, silence


def typed_fields(capsys: pytest.CaptureFixture[str]) -> set[str]:
    assert main(["ask", "--json", "你好"]) == 0
    return set(json.loads(capsys.readouterr().out))


@needs_voice_extra
def test_one_recording_gives_the_ask_fields_plus_the_transcript(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fields = typed_fields(capsys)
    note = tmp_path / "q.ogg"
    note.write_bytes(said("老年大学怎么报名"))
    assert main(["ask", "--today", "2026-11-22", "--json", "--audio", str(note)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == fields | {"transcript"}
    assert "老年大学" in out["transcript"] and out["text"] == out["transcript"]
    assert out["intent"] == "culture.education" and out["citations"]


@needs_voice_extra
def test_without_json_the_reply_starts_with_what_was_heard(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note = tmp_path / "q.ogg"
    note.write_bytes(said("老年大学怎么报名"))
    assert main(["ask", "--audio", str(note)]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("您问的是") and "老年大学" in first


@needs_voice_extra
def test_stdin_mode_hears_one_path_per_line_in_one_process(tmp_path: Path) -> None:
    files = {"question.ogg": said("老年大学怎么报名"), "fall.ogg": said("我老伴摔倒了，起不来了"),
             "quiet.ogg": silence(2.0), "broken.ogg": CORRUPT}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    paths = [str(tmp_path / n) for n in files] + [str(tmp_path / "missing.ogg")]
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--today", "2026-11-22", "--audio", "-"],
        input="\n".join(paths) + "\n", capture_output=True, text=True, encoding="utf-8",
        timeout=300, check=True, cwd=tmp_path)
    question, fall, quiet, broken, missing = (json.loads(line)
                                              for line in proc.stdout.splitlines())
    assert question["intent"] == "culture.education"
    assert fall["intent"] == "emergency" and fall["escalate"]
    assert quiet["transcript"] is None and quiet["intent"] is None and not quiet["escalate"]
    for unreadable in (broken, missing):  # a person listens to what we cannot
        assert unreadable["transcript"] is None and unreadable["escalate"]
        assert unreadable["escalation_reason"] == "voice.unheard"


def test_ask_needs_a_question_or_a_recording(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask"]) == 2
    assert "--audio" in capsys.readouterr().err
