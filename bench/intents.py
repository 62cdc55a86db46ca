"""Matcher benchmark on the labelled evaluation set: intent top-1, escalation, computed results,
emergencies, a confusion matrix and an errors file; latency per message in process.

Two passes: `text_only` (what the message alone says: the harder and primary figure) and
`with_region` (the region label passed as a profile, as `junxiu ask --region` would).
Run: python -m bench.intents [PATH.jsonl]
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import EVAL, RESULTS, load_jsonl, machine, summary_ms, write
from bot.answering import answer_text, as_json
from junxiu_core import CadreProfile

TODAY = date(2026, 11, 22)


def evaluate(rows: list[dict[str, Any]], *, with_region: bool) -> dict[str, Any]:
    intent_ok = escalate_ok = escalate_n = expect_ok = expect_n = 0
    emergencies = emergencies_caught = 0
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    errors: list[dict[str, Any]] = []
    timings: list[float] = []
    for row in rows:
        region = row.get("region") if with_region and row.get("region") else "national"
        start = time.perf_counter()
        out = as_json(answer_text(row["text"], CadreProfile(region=region), TODAY), row["text"])
        timings.append(time.perf_counter() - start)
        problems = []
        confusion[row["intent"]][out["intent"]] += 1
        if out["intent"] == row["intent"]:
            intent_ok += 1
        else:
            problems.append("intent")
        if row["intent"] == "emergency":
            emergencies += 1
            emergencies_caught += out["intent"] == "emergency"
        if row.get("escalate") is not None:
            escalate_n += 1
            if out["escalate"] == row["escalate"]:
                escalate_ok += 1
            else:
                problems.append("escalate")
        for key, want in (row.get("expect") or {}).items():
            expect_n += 1
            if out["result"].get(key) == want:
                expect_ok += 1
            else:
                problems.append(f"expect.{key}")
        if problems:
            errors.append({"id": row.get("id"), "problems": problems, "text": row["text"],
                           "want": {k: row.get(k) for k in ("intent", "escalate", "expect")},
                           "got": {k: out[k] for k in ("intent", "confidence", "escalate",
                                                       "escalation_reason", "result",
                                                       "slots")}})
    n = len(rows)
    return {
        "n": n,
        "intent_accuracy": round(intent_ok / n, 4),
        "escalate_accuracy": round(escalate_ok / max(escalate_n, 1), 4),
        "escalate_labelled": escalate_n,
        "expect_accuracy": round(expect_ok / max(expect_n, 1), 4),
        "expect_checked": expect_n,
        "emergency_recall": round(emergencies_caught / max(emergencies, 1), 4),
        "emergencies": emergencies,
        "latency": summary_ms(timings[1:] or timings),  # the first call builds the index
        "confusion": {want: dict(got) for want, got in sorted(confusion.items())},
        "errors": errors,
    }


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else EVAL
    rows = load_jsonl(path)
    start = time.perf_counter()
    answer_text("你好", CadreProfile(), TODAY)  # warm: dictionary and index
    warm = time.perf_counter() - start
    report: dict[str, Any] = {"dataset": path.name, "today": TODAY.isoformat(),
                              "machine": machine(), "warm_up_s": round(warm, 3)}
    for name, with_region in (("text_only", False), ("with_region", True)):
        result = evaluate(rows, with_region=with_region)
        errors = result.pop("errors")
        (RESULTS / f"intents_errors_{name}.jsonl").write_text(
            "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors), encoding="utf-8")
        report[name] = result
        print(f"{name}: intent {result['intent_accuracy']:.1%}, escalate "
              f"{result['escalate_accuracy']:.1%}, expect {result['expect_accuracy']:.1%} "
              f"({result['expect_checked']}), emergencies {result['emergency_recall']:.0%}, "
              f"p50 {result['latency']['p50_ms']} ms, p99 {result['latency']['p99_ms']} ms, "
              f"{len(errors)} errors")
    print("wrote", write("intents.json", report))
    return 0


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    sys.exit(main(sys.argv[1:]))
