"""Cold start of `junxiu ask`: a new process, to the first answer on stdout (median of runs)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import machine, write

RUNS = 7
QUESTION = "我在吉林，退休的，自付了十二万能补多少"


def first_answer_seconds(junxiu: str) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen([junxiu, "ask", "--json", "-"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, encoding="utf-8")
    assert proc.stdin and proc.stdout
    proc.stdin.write(QUESTION + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.stdin.close()
    proc.wait(timeout=30)
    assert '"subsidy_yuan": 45000' in line, line
    return elapsed


def main() -> int:
    junxiu = str(Path(sys.executable).with_name("junxiu"))
    first_answer_seconds(junxiu)  # fills jieba's cache, as `make install` does
    runs = [first_answer_seconds(junxiu) for _ in range(RUNS)]
    report = {"command": "junxiu ask --json -", "runs": RUNS,
              "median_s": round(statistics.median(runs), 3), "max_s": round(max(runs), 3),
              "all_s": [round(r, 3) for r in runs], "machine": machine()}
    print(f"cold start to first answer: median {report['median_s']} s, max {report['max_s']} s")
    print("wrote", write("cold_start.json", report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
