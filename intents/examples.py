"""The written training examples: phrases.yaml (examples and keywords) plus examples/*.jsonl.

Each JSONL file is one writer's work (see intents/data/examples/README.md): one object a line,
`{"text", "intent", "topic", "kind"}`; `topic` is the intent a complaint is about.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from intents.resources import data_path, read_yaml

EXAMPLES_DIR = "examples"


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    topic: str | None = None  # complaints only: the intent the grievance is about
    kind: str | None = None  # emergencies and their look-alikes: the sign or the look-alike
    source: str = ""


def example_files() -> list[str]:
    """Names under data/ that shape the model, in a fixed order (the cache key reads them)."""
    folder = data_path(EXAMPLES_DIR)
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".jsonl")) \
        if folder.is_dir() else []
    return ["phrases.yaml", *(f"{EXAMPLES_DIR}/{n}" for n in names)]


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
    for name in example_files()[1:]:
        for line in data_path(name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                add(Example(row["text"], row["intent"], row.get("topic"), row.get("kind"),
                            source=name))
    return out
