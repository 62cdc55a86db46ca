"""Understanding benchmark: every labelled set, plus 5-fold cross-validation over the examples.

Sets: `../shared/eval/dev.jsonl` and our own held-out sets in bench/sets/ (written by writers
who never saw the training data nor each other's work; see bench/sets/README.md). Per set:
intent accuracy, macro-F1, escalation, complaint topics, computed results, emergency recall and
false alarms on look-alikes, misses by kind, a confusion matrix, latency per message in process
(understanding + rules + rendering, and understanding alone: the target's measure). Errors go
to intents_errors_<set>.jsonl.

Run: python -m bench.intents [PATH.jsonl ...]      (default: dev plus bench/sets/*.jsonl)
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from bench.common import EVAL, RESULTS, ROOT, load_jsonl, machine, summary_ms, write
from bot.answering import answer_text, as_json
from intents.model import default_model
from intents.understand import understand
from junxiu_core import CadreProfile
from junxiu_core.model import REGIONS

TODAY = date(2026, 11, 22)
SETS = ROOT / "bench" / "sets"


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    labels = {want for want, _ in pairs}
    scores = []
    for label in labels:
        tp = sum(w == g == label for w, g in pairs)
        fp = sum(g == label and w != label for w, g in pairs)
        fn = sum(w == label and g != label for w, g in pairs)
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return round(sum(scores) / len(scores), 4) if scores else 0.0


def evaluate(rows: list[dict[str, Any]], *, with_region: bool) -> dict[str, Any]:
    pairs: list[tuple[str, str]] = []
    escalate_ok = escalate_n = expect_ok = expect_n = topic_ok = topic_n = 0
    emergencies = caught = lookalikes = false_alarms = 0
    missed_kinds: Counter[str] = Counter()
    alarm_kinds: Counter[str] = Counter()
    confusion: dict[str, Counter[str]] = defaultdict(Counter)
    errors: list[dict[str, Any]] = []
    timings: list[float] = []
    understanding: list[float] = []
    for row in rows:
        # a place without rules here ("other") has only the national measures
        named = row.get("region") if with_region else None
        region = named if named in REGIONS else "national"
        start = time.perf_counter()
        out = as_json(answer_text(row["text"], CadreProfile(region=region), TODAY), row["text"])
        timings.append(time.perf_counter() - start)
        # the target's own measure: topic model and heads together, nothing after them
        start = time.perf_counter()
        understand(row["text"], TODAY)
        understanding.append(time.perf_counter() - start)
        want, got = row["intent"], out["intent"]
        pairs.append((want, got))
        confusion[want][got] += 1
        problems = [] if got == want else ["intent"]
        if want == "emergency":
            emergencies += 1
            caught += got == "emergency"
            if got != "emergency":
                missed_kinds[row.get("kind") or "?"] += 1
        elif row.get("kind"):  # a look-alike of an emergency
            lookalikes += 1
            if got == "emergency":
                false_alarms += 1
                alarm_kinds[row["kind"]] += 1
        if row.get("escalate") is not None:
            escalate_n += 1
            if out["escalate"] == row["escalate"]:
                escalate_ok += 1
            else:
                problems.append("escalate")
        if want == "complaint" and got == "complaint" and "topic" in row:
            topic_n += 1
            if out["topic"] == row["topic"]:
                topic_ok += 1
            else:
                problems.append("topic")
        for key, value in (row.get("expect") or {}).items():
            expect_n += 1
            if out["result"].get(key) == value:
                expect_ok += 1
            else:
                problems.append(f"expect.{key}")
        if problems:
            errors.append({"id": row.get("id"), "problems": problems, "text": row["text"],
                           "want": {k: row.get(k) for k in ("intent", "escalate", "topic",
                                                            "kind", "expect")},
                           "got": {k: out[k] for k in ("intent", "confidence", "escalate",
                                                       "topic", "result", "slots")}})
    n = len(rows)
    ok = sum(w == g for w, g in pairs)
    return {
        "n": n,
        "intent_accuracy": round(ok / n, 4),
        "macro_f1": macro_f1(pairs),
        "escalate_accuracy": round(escalate_ok / max(escalate_n, 1), 4),
        "escalate_labelled": escalate_n,
        "complaint_topic_accuracy": round(topic_ok / topic_n, 4) if topic_n else None,
        "complaint_topics_checked": topic_n,
        "expect_accuracy": round(expect_ok / expect_n, 4) if expect_n else None,
        "expect_checked": expect_n,
        "emergencies": emergencies,
        "emergency_recall": round(caught / emergencies, 4) if emergencies else None,
        "emergency_missed_by_kind": dict(missed_kinds),
        "lookalikes": lookalikes,
        "false_alarm_rate": round(false_alarms / lookalikes, 4) if lookalikes else None,
        "false_alarms_by_kind": dict(alarm_kinds),
        "latency": summary_ms(timings[1:] or timings),
        "understanding_latency": summary_ms(understanding[1:] or understanding),
        "confusion": {w: dict(g) for w, g in sorted(confusion.items())},
        "errors": errors,
    }


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [EVAL, *sorted(SETS.glob("*.jsonl"))]
    start = time.perf_counter()
    model = default_model()
    answer_text("你好", CadreProfile(), TODAY)  # warm: dictionary, model, knowledge
    report: dict[str, Any] = {"today": TODAY.isoformat(), "machine": machine(),
                              "warm_up_s": round(time.perf_counter() - start, 3),
                              "cross_validation": model.report, "sets": {}}
    for path in paths:
        if not path.is_file():
            print(f"skipped {path}: not found")
            continue
        rows = load_jsonl(path)
        name = path.stem
        report["sets"][name] = {}
        for mode, with_region in (("text_only", False), ("with_region", True)):
            result = evaluate(rows, with_region=with_region)
            errors = result.pop("errors")
            report["sets"][name][mode] = result
            if mode == "text_only":
                (RESULTS / f"intents_errors_{name}.jsonl").write_text(
                    "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errors),
                    encoding="utf-8")
            er = result["emergency_recall"]
            fa = result["false_alarm_rate"]
            print(f"{name} [{mode}]: n {result['n']}, intent {result['intent_accuracy']:.1%}, "
                  f"macro-F1 {result['macro_f1']:.3f}, escalate "
                  f"{result['escalate_accuracy']:.1%}"
                  + (f", emergencies {er:.1%} of {result['emergencies']}" if er is not None
                     else "")
                  + (f", false alarms {fa:.1%} of {result['lookalikes']}" if fa is not None
                     else "")
                  + f", p50 {result['latency']['p50_ms']} ms, p99 "
                    f"{result['latency']['p99_ms']} ms (understanding alone p99 "
                    f"{result['understanding_latency']['p99_ms']} ms)")
    cv = model.report
    print(f"5-fold CV over {cv['examples']} written examples: topic {cv['topic_accuracy']:.1%},"
          f" emergency recall {cv['emergency_model_recall']:.1%}")
    print("wrote", write("intents.json", report))
    return 0


if __name__ == "__main__":
    RESULTS.mkdir(parents=True, exist_ok=True)
    sys.exit(main(sys.argv[1:]))
