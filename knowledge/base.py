"""The knowledge base: documents, their articles, and the plain-language answer texts.

All of it is package data under knowledge/data/; this module only loads and indexes it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from typing import Any

import yaml

from knowledge.articles import parse_articles

try:  # the C loader is several times faster; cold start matters for `junxiu ask`
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

FALLBACK_REGION = "national"


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    number: str
    issuer: str
    region: str
    seed: str
    scheme: str
    valid_from: date | None = None
    valid_until: date | None = None
    replaces: str | None = None

    def expired(self, today: date) -> bool:
        return self.valid_until is not None and today > self.valid_until

    @property
    def citation_name(self) -> str:
        return f"《{self.title}》"


@dataclass(frozen=True)
class Article:
    document: str
    ref: str  # 第二十条, 第十一条（三）, 5.11.2
    text: str


Ref = tuple[str, str]  # (document key, article ref): ("jilin", "第二十条")


RANK_CLASSES = ("division_or_above", "below_division")  # how the rules split post grades


@dataclass(frozen=True)
class Statement:
    """One sentence of an answer text and the articles that back it.

    `cite` is the item's own citation list when the data gives one (an empty list marks the
    assistant's own action or a piece of advice, which rest on no article), else the entry's.
    """

    layer: str  # "answer", "points" or "more"
    text: str
    cite: tuple[Ref, ...]
    own_cite: bool = False  # True when the item carries its own `cite` in the data
    # a sentence that holds for one post grade only: "division_or_above" or "below_division"
    rank: str | None = None


@dataclass(frozen=True)
class TextEntry:
    """One answer in the knowledge base, for one region (or national).

    `answer`, `points` and `more` are the plain strings the rules and the renderer use;
    `statements` holds the same sentences, in that order, each with the article(s) backing it.
    """

    key: str
    region: str
    answer: str
    points: tuple[str, ...] = ()
    more: tuple[str, ...] = ()
    cite: tuple[Ref, ...] = ()  # every article the entry's statements rest on
    statements: tuple[Statement, ...] = ()

    def __post_init__(self) -> None:
        if not self.statements:  # built by hand: every sentence rests on the entry's cite
            texts = [("answer", self.answer), *(("points", p) for p in self.points),
                     *(("more", p) for p in self.more)]
            object.__setattr__(self, "statements", tuple(
                Statement(layer, text, self.cite) for layer, text in texts))


@dataclass
class KnowledgeBase:
    documents: dict[str, Document]
    articles: dict[str, dict[str, Article]]
    entries: dict[str, dict[str, TextEntry]]  # key -> region -> entry
    strings: dict[str, str] = field(default_factory=dict)  # key -> plain string (questions…)
    policy: dict[str, Any] = field(default_factory=dict)  # figures the rules compute with

    def document(self, key: str) -> Document:
        return self.documents[key]

    def article(self, document: str, ref: str) -> Article:
        return self.articles[document][ref]

    def has_entry(self, key: str, region: str | None = None) -> bool:
        regions = self.entries.get(key, {})
        return bool(regions) if region is None else region in regions

    def entry(self, key: str, region: str) -> TextEntry:
        """The region's own text if it has one, else the national one."""
        regions = self.entries[key]
        if region in regions:
            return regions[region]
        if FALLBACK_REGION in regions:
            return regions[FALLBACK_REGION]
        raise KeyError(f"{key!r} has no text for {region!r} and no national text")

    def string(self, key: str, /, **params: Any) -> str:  # some strings have a {key}
        template = self.strings[key]
        return template.format(**params) if params else template

    def documents_for(self, region: str) -> list[Document]:
        """A region's own documents first, then the national measures."""
        own = [d for d in self.documents.values() if d.region == region and region != "national"]
        return own + [d for d in self.documents.values() if d.region == FALLBACK_REGION]


def _read_yaml(path: resources.abc.Traversable) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)


def _cite(raw: str) -> Ref:
    document, _, ref = raw.partition(" ")
    if not ref:
        raise ValueError(f"citation {raw!r} must read 'document article', e.g. 'jilin 第二十条'")
    return document, ref.strip()


def _item(raw: Any, entry_cite: tuple[Ref, ...], layer: str, where: str) -> Statement:
    """A plain string rests on the entry's `cite`; a mapping {text, cite} on its own."""
    if isinstance(raw, str):
        return Statement(layer, raw.strip(), entry_cite)
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or "cite" not in raw:
        raise ValueError(f"{where}: an item is a string or a mapping with 'text' and 'cite'")
    extra = set(raw) - {"text", "cite", "rank"}
    if extra:
        raise ValueError(f"{where}: unknown field(s) {sorted(extra)} in an item")
    rank = raw.get("rank")
    if rank not in (None, *RANK_CLASSES):
        raise ValueError(f"{where}: rank {rank!r} is not one of {RANK_CLASSES}")
    if rank is not None and layer == "answer":
        raise ValueError(f"{where}: the answer holds for every rank; `rank` goes on a point")
    return Statement(layer, raw["text"].strip(), tuple(_cite(c) for c in raw["cite"] or ()),
                     own_cite=True, rank=rank)


def _entry(key: str, region: str, body: dict[str, Any]) -> TextEntry:
    where = f"{key}/{region}"
    declared = tuple(_cite(c) for c in body.get("cite") or ())
    statements = (
        _item(body["answer"], declared, "answer", where),
        *(_item(p, declared, "points", where) for p in body.get("points", ())),
        *(_item(p, declared, "more", where) for p in body.get("more", ())),
    )
    # The entry cites everything its statements rest on, declared ones first.
    union = tuple(dict.fromkeys([*declared, *(c for s in statements for c in s.cite)]))
    return TextEntry(
        key=key,
        region=region,
        answer=statements[0].text,
        points=tuple(s.text for s in statements if s.layer == "points"),
        more=tuple(s.text for s in statements if s.layer == "more"),
        cite=union,
        statements=statements,
    )


def _entries(data: dict[str, Any]) -> tuple[dict[str, dict[str, TextEntry]], dict[str, str]]:
    entries: dict[str, dict[str, TextEntry]] = {}
    strings: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, str):
            strings[key] = value.strip()
            continue
        entries[key] = {region: _entry(key, region, body) for region, body in value.items()}
    return entries, strings


@functools.cache
def load() -> KnowledgeBase:
    """Load the packaged knowledge base once per process."""
    root = resources.files("knowledge") / "data"
    documents = {
        key: Document(key=key, **{k: v for k, v in raw.items()})
        for key, raw in _read_yaml(root / "documents.yaml").items()
    }
    articles = {
        key: {
            ref: Article(key, ref, text)
            for ref, text in parse_articles(
                (root / "seeds" / doc.seed).read_text(encoding="utf-8"), doc.scheme
            ).items()
        }
        for key, doc in documents.items()
    }
    entries: dict[str, dict[str, TextEntry]] = {}
    strings: dict[str, str] = {}
    for path in sorted((root / "answers").iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".yaml"):
            continue
        file_entries, file_strings = _entries(_read_yaml(path) or {})
        for key in file_entries.keys() & entries.keys() | file_strings.keys() & strings.keys():
            raise ValueError(f"text key {key!r} is defined twice (again in {path.name})")
        entries.update(file_entries)
        strings.update(file_strings)
    policy = _read_yaml(root / "policy.yaml")
    return KnowledgeBase(documents, articles, entries, strings, policy)
