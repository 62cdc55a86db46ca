"""Cross-validation of the matcher over our own written examples (never the evaluation set):
5 folds, each fold's examples matched against an index built from the other four.
Prints top-1 accuracy per weight setting, to choose W_* in intents/match.py.
Run: python -m bench.tune_matcher
"""

from __future__ import annotations

import random
import sys
from collections import Counter

from intents import match
from intents.normalise import default_normaliser
from intents.resources import read_text, read_yaml
from intents.segment import segment
from intents.slots import extract

FOLDS = 5
SETTINGS = [(0.45, 0.30, 0.25), (0.35, 0.35, 0.30), (0.55, 0.25, 0.20), (0.40, 0.20, 0.40),
            (0.30, 0.40, 0.30), (0.50, 0.35, 0.15)]


def main() -> int:
    from datetime import date

    phrases = read_yaml("phrases.yaml")
    cues = read_yaml("domain_cues.yaml")
    stop = frozenset(w for line in read_text("stopwords.txt").splitlines()
                     if not line.startswith("#") for w in line.split())
    normalise = default_normaliser()
    rows = [(intent, ex) for intent, body in phrases.items() for ex in body["examples"]]
    random.Random(7).shuffle(rows)
    folds = [rows[i::FOLDS] for i in range(FOLDS)]
    indexes = []
    for k in range(FOLDS):
        held = {id(r) for r in folds[k]}
        train: dict[str, dict] = {i: {"keywords": b.get("keywords", []), "examples": []}
                                  for i, b in phrases.items()}
        for r in rows:
            if id(r) not in held:
                train[r[0]]["examples"].append(r[1])
        indexes.append(match.build_index(train, stop, cues, normalise))
    prepared = [[(intent, t := normalise(ex), segment(t), extract(t, date(2026, 11, 22)))
                 for intent, ex in fold] for fold in folds]
    for w in SETTINGS:
        match.W_FUZZY, match.W_KEYWORD, match.W_NGRAM = w
        ok, wrong = 0, Counter()
        for k in range(FOLDS):
            for intent, text, tokens, slots in prepared[k]:
                top = match.rank(indexes[k], text, tokens, slots)[0].intent
                ok += top == intent
                if top != intent:
                    wrong[(intent, top)] += 1
        print(f"W_FUZZY={w[0]} W_KEYWORD={w[1]} W_NGRAM={w[2]}: "
              f"{ok / len(rows):.1%} of {len(rows)}; most confused {wrong.most_common(3)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
