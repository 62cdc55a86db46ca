"""`junxiu ask`: the contract other tools rely on (DESIGN.md)."""

import json
import subprocess
import sys

import pytest

from bot.cli import main

FIELDS = {"text", "intent", "confidence", "escalate", "escalation_reason", "answer",
          "citations", "slots", "result", "follow_up", "topic"}


def ask_json(capsys, *args: str) -> dict:
    assert main(["ask", "--today", "2026-11-22", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_exactly_the_contract_fields(capsys) -> None:
    out = ask_json(capsys, "--region", "jilin", "--status", "退休", "自付了十二万能补多少")
    assert set(out) == FIELDS
    assert out["intent"] == "medical.subsidy" and out["result"] == {"subsidy_yuan": 45000}
    assert out["citations"][0]["article"] == "第二十条"
    assert "吉林" in out["citations"][0]["document"]


def test_profile_options_are_used(capsys) -> None:
    out = ask_json(capsys, "--region", "shanghai", "--rank", "师级", "我要去国外看孙子要办啥手续")
    assert out["result"]["procedure"] == "approval"


def test_age_option_sends_80_year_olds_to_staff(capsys) -> None:
    out = ask_json(capsys, "--region", "weihai", "--age", "82", "我立过二等功，能参加荣誉疗养吗")
    assert out["escalate"] and out["escalation_reason"] == "sanatorium.age_review"


def test_expired_rule_is_flagged_but_not_handed_over(capsys) -> None:
    out = ask_json(capsys, "--region", "weihai", "--age", "70", "我立过二等功，能参加荣誉疗养吗")
    assert out["escalate"] is False and out["escalation_reason"] == "rule.expired"
    assert out["result"] == {"level": "city"}


def test_missing_fact_gives_a_follow_up(capsys) -> None:
    out = ask_json(capsys, "--region", "jilin", "医疗补助怎么算")
    assert out["follow_up"] and "多少" in out["follow_up"]


def test_date_questions_give_an_iso_deadline(capsys) -> None:
    out = ask_json(capsys, "--region", "jilin", "--rank", "团级", "我12月5日回国，护照什么时候交")
    assert out["result"]["deadline"] == "2026-12-15"


def test_stdin_mode_writes_one_json_line_per_input_line_in_one_process() -> None:
    lines = ["你好", "", "🙂", "x" * 10_000, "救命", "12345", "自付了十二万能补多少"]
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--today", "2026-11-22", "-"],
        input="\n".join(lines) + "\n", capture_output=True, text=True, encoding="utf-8",
        timeout=120, check=True)
    outputs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(outputs) == len(lines)
    assert [o["text"] for o in outputs] == lines
    assert outputs[4]["intent"] == "emergency" and outputs[4]["escalate"]


@pytest.mark.parametrize("bad", ["--region mars", "--today 2026-13-01", "--rank 大校"])
def test_bad_options_are_refused_with_a_usage_error(bad: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["ask", *bad.split(), "你好"])
    assert exit_info.value.code == 2


def test_ask_loads_neither_the_database_layer_nor_telegram() -> None:
    """What keeps `junxiu ask` quick to start (the figure itself is in bench/results)."""
    code = ("import sys; from bot import cli; cli.main(['ask', '你好']);"
            " heavy = {'sqlalchemy', 'telegram', 'aiogram'} & set(sys.modules);"
            " assert not heavy, heavy")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, timeout=60)
