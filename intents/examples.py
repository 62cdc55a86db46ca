"""The written training examples: phrases.yaml (examples and keywords) plus examples/*.jsonl.

Each JSONL file is one writer's work (see intents/data/examples/README.md): one object a line,
`{"text", "intent", "topic", "kind"}`; `topic` is the intent a complaint is about.

heard/*.jsonl holds written examples as the speech recogniser transcribed them (made by
bench/heard.py, with the written text in `said`): they train, but are never cross-validated,
so every CV figure stays one of the written examples.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

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


def _rows(name: str, seen: set[str], keep_all: bool = False) -> list[Example | None]:
    """The file's examples not seen before (with `keep_all`, None in place of the others, so
    the list runs beside the file's lines)."""
    out: list[Example | None] = []
    for line in data_path(name).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            key = row["text"].strip()
            if key and key not in seen:
                seen.add(key)
                out.append(Example(row["text"], row["intent"], row.get("topic"),
                                   row.get("kind"), source=name))
            elif keep_all:
                out.append(None)
    return out


def load_heard(written: list[Example]) -> list[Example]:
    """The recogniser's transcripts of written examples, less any text written already. Each
    takes its labels from the written example it was heard from, so a label corrected there
    is corrected here too."""
    seen = {e.text.strip() for e in written}
    by_text = {e.text: e for e in written}
    out = []
    for name in _jsonl(HEARD_DIR):
        said = [json.loads(line).get("said") for line in
                data_path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
        for e, source in zip(_rows(name, seen, keep_all=True), said, strict=True):
            w = by_text.get(source or "")
            if e is None:
                continue
            out.append(e if w is None else replace(e, intent=w.intent, topic=w.topic,
                                                    kind=w.kind))
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
        out.extend(e for e in _rows(name, seen) if e is not None)
    return out
