"""The learned intent model at run time: TF-IDF weights and linear classifiers, applied with numpy.

One vector per message feeds every output at once: the topic classifier (one score per intent),
the safety heads (emergency, complaint, bereavement news) and the complaint-topic classifier.
The weights are trained by `intents.train` (scikit-learn, at install time) and kept in a cache
file keyed on everything that shapes them: the training data and the code of this package.
scikit-learn is never imported here: scoring is a gather and a dot product.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from intents.examples import example_files
from intents.pinyin import use_table
from intents.resources import data_path

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parent

FORMAT = 1  # bump when the saved layout changes
# Data files besides the examples that change what a message's features are.
SHAPING_DATA = ("homophones.yaml", "fillers.yaml", "domain_words.txt", "jieba_dict.txt",
                "stopwords.txt", "emergency.yaml", "gazetteer.yaml", "domain_cues.yaml",
                "slots.yaml")


@dataclass(frozen=True)
class Scores:
    intents: tuple[tuple[str, float], ...]  # calibrated probabilities, best first
    heads: dict[str, float]  # emergency / complaint / bereavement.news → probability
    complaint_topic: tuple[str | None, float] = (None, 0.0)


@dataclass(frozen=True)
class Model:
    vocabulary: dict[str, int]
    idf: np.ndarray  # float32, one per feature
    weights: np.ndarray  # float32, (features, outputs)
    bias: np.ndarray  # float32, (outputs,)
    intents: tuple[str, ...]  # outputs [0, len(intents)): the topic classifier
    heads: tuple[str, ...]  # the next outputs: one binary head each
    topics: tuple[str, ...]  # the last outputs: complaint topics ("" = none named)
    temperature: float  # softmax temperature of the topic classifier (fitted out of fold)
    platt: dict[str, tuple[float, float]]  # head → (a, b): p = sigmoid(a·score + b)
    topic_temperature: float
    thresholds: dict[str, float]
    report: dict[str, Any] = field(default_factory=dict)  # cross-validation figures
    pinyin: dict[str, str] = field(default_factory=dict)  # character → reading (intents.pinyin)

    def vector(self, feats: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Columns and TF-IDF values (sublinear tf, L2-normalised) of known features."""
        # map() keeps the lookups in C: this loop is a third of the cost of scoring
        found = [j for j in map(self.vocabulary.get, feats) if j is not None]
        if not found:
            return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.float32)
        cols, counts = np.unique(np.asarray(found, dtype=np.intp), return_counts=True)
        tf = counts.astype(np.float32)
        vals = (1.0 + np.log(tf)) * self.idf[cols]
        vals /= np.linalg.norm(vals)
        return cols, vals

    def raw(self, feats: Sequence[str]) -> np.ndarray:
        cols, vals = self.vector(feats)
        if not len(cols):
            return self.bias.copy()
        # einsum, not `@`: for a product this small OpenBLAS's second thread costs more than
        # it gives, and on a busy machine waiting for it put 4 ms on one message in fifty.
        return np.einsum("i,ij->j", vals, self.weights[cols]) + self.bias

    def score(self, feats: Sequence[str]) -> Scores:
        out = self.raw(feats).astype(np.float64)
        n, h = len(self.intents), len(self.heads)
        probs = _softmax(out[:n] * self.temperature)
        order = np.argsort(-probs)
        heads = {}
        for k, name in enumerate(self.heads):
            a, b = self.platt[name]
            heads[name] = float(1.0 / (1.0 + np.exp(-(a * out[n + k] + b))))
        complaint_topic: tuple[str | None, float] = (None, 0.0)
        if self.topics:
            topic_probs = _softmax(out[n + h:] * self.topic_temperature)
            best = int(np.argmax(topic_probs))
            complaint_topic = (self.topics[best] or None, float(topic_probs[best]))
        return Scores(tuple((self.intents[i], float(probs[i])) for i in order), heads,
                      complaint_topic)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    return e / e.sum()


def shaping_code() -> list[Path]:
    """Every module of this package and its subpackages (intents/slots/): normalising,
    segmenting, pinyin, slots and the rule net all shape the features, not only the model code."""
    return sorted(_PACKAGE.rglob("*.py"))


def fingerprint() -> str:
    """Digest of everything that shapes the model: this package's code and its data."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for path in shaping_code():
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + path.read_bytes())
    for name in (*SHAPING_DATA, *example_files()):
        path = data_path(name)
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b""))
    return digest.hexdigest()[:16]


def cache_path(key: str | None = None) -> Path:
    root = Path(os.environ.get("JUNXIU_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
                or Path.home() / ".cache")
    if not os.environ.get("JUNXIU_CACHE_DIR"):
        root = root / "junxiu"
    return root / f"intent-model-{key or fingerprint()}.pickle"


def save(model: Model, path: Path) -> None:
    with contextlib.suppress(OSError):  # a read-only home only costs the next start-up
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(model, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)


def load_cached(path: Path) -> Model | None:
    try:
        with path.open("rb") as f:
            model = pickle.load(f)  # our own file, written by save()
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, TypeError,
            ModuleNotFoundError):
        return None
    return model if isinstance(model, Model) else None


@functools.cache
def default_model() -> Model:
    """The model over the packaged data: from the cache, or trained once now (logged)."""
    path = cache_path()
    model = load_cached(path)
    if model is None:
        log.warning("intent model not in the cache (%s): training it now, once", path.name)
        from intents.train import train  # scikit-learn: imported only to train

        model = train()
        save(model, path)
    use_table(model.pinyin)  # no pypinyin import at start-up
    return model
