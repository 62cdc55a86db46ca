"""The written training examples: phrases.yaml (examples and keywords) plus examples/*.jsonl.

Each JSONL file is one writer's work (see intents/data/examples/README.md): one object a line,
`{"text", "intent", "topic", "kind"}`; `topic` is the intent a complaint is about.

heard/*.jsonl holds written examples as the speech recogniser transcribed them (made by
bench/heard.py, with the written text in `said`): they train, but are never cross-validated,
so every CV figure stays one of the written examples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from intents.resources import data_path, read_yaml

EXAMPLES_DIR = "examples"
HEARD_DIR = "heard"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    topic: str | None = None  # complaints only: the intent the grievance is about
    kind: str | None = None  # emergencies and their look-alikes: the sign or the look-alike
    source: str = ""


def _jsonl(folder_name: str) -> list[str]:
    folder = data_path(folder_name)
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".jsonl")) \
        if folder.is_dir() else []
    return [f"{folder_name}/{n}" for n in names]


def example_files() -> list[str]:
    """Names under data/ that shape the model, in a fixed order (the cache key reads them)."""
    return ["phrases.yaml", *_jsonl(EXAMPLES_DIR), *_jsonl(HEARD_DIR)]


def _read(name: str) -> list[dict]:
    return [json.loads(line) for line in data_path(name).read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _rows(name: str, seen: set[str]) -> list[Example]:
    """The file's examples whose text was not seen before."""
    out = []
    for row in _read(name):
        key = row["text"].strip()
        if key and key not in seen:
            seen.add(key)
            out.append(Example(row["text"], row["intent"], row.get("topic"), row.get("kind"),
                               source=name))
    return out


def load_heard(written: list[Example]) -> list[Example]:
    """The recogniser's transcripts of written examples, less any text written already. Each
    takes its labels from the written example it was heard from (`said`), so a label corrected
    there is corrected here too."""
    seen = {e.text.strip() for e in written}
    by_text = {e.text: e for e in written}
    out = []
    for name in _jsonl(HEARD_DIR):
        for row in _read(name):
            key = row["text"].strip()
            if not key or key in seen:
                continue
            seen.add(key)
            labels = by_text.get(row.get("said") or "")
            out.append(Example(row["text"], labels.intent, labels.topic, labels.kind, name)
                       if labels else Example(row["text"], row["intent"], row.get("topic"),
                                              row.get("kind"), source=name))
    return out


def load_examples() -> list[Example]:
    """Every example once (the first writer to use a text keeps it)."""
    seen: set[str] = set()
    out: list[Example] = []

    def add(example: Example) -> None:
        key = example.text.strip()
        if key and key not in seen:
            seen.add(key)
            out.append(example)

    for intent, entry in (read_yaml("phrases.yaml") or {}).items():
        for text in entry.get("examples", ()):
            add(Example(str(text), intent, source="phrases.yaml"))
        # A keyword is a very short example of its intent ("二等功", "转人工").
        for text in entry.get("keywords", ()):
            add(Example(str(text), intent, source="phrases.yaml:keywords"))
    for name in _jsonl(EXAMPLES_DIR):
        out.extend(_rows(name, seen))
    return out
