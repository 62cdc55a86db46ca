"""The learned model: run-time scoring is exactly scikit-learn's, and the cache follows
everything that shapes it."""

from __future__ import annotations

import numpy as np

from intents import model, train
from intents.examples import Example

SMALL = [Example("我能参加疗养吗", "sanatorium.eligibility"),
         Example("疗养几年能去一次", "sanatorium.eligibility"),
         Example("自付十二万能补多少", "medical.subsidy"),
         Example("医疗补助怎么算", "medical.subsidy"),
         Example("救命啊我摔倒了", "emergency"), Example("胸口疼得厉害", "emergency"),
         Example("你们太不负责任了", "complaint", "medical.subsidy"),
         Example("说好的回电话一直没回", "complaint"),
         Example("老伴昨晚走了", "bereavement.news"), Example("我爸去世了", "bereavement.news")]


def test_run_time_tfidf_and_scores_equal_scikit_learn() -> None:
    feats = train.prepare([e.text for e in SMALL])
    fitted = train.fit(feats, SMALL)
    cal = {"temperature": 1.0, "platt": {h: (1.0, 0.0) for h in train.HEADS},
           "thresholds": {}}
    m = train.export(fitted, cal, 1.0, {})
    query = train.prepare(["我摔倒了能补多少"])
    want = fitted.vectoriser.transform(query).toarray()[0]
    cols, vals = m.vector(query[0])
    got = np.zeros_like(want)
    got[cols] = vals
    assert np.allclose(got, want, atol=1e-6)
    raw = m.raw(query[0])
    assert np.allclose(raw[:len(m.intents)],
                       fitted.topic.decision_function(fitted.vectoriser.transform(query))[0],
                       atol=1e-5)


def test_probabilities_are_a_distribution_over_every_intent() -> None:
    scores = model.default_model().score(train.prepare(["我能参加疗养吗"])[0])
    assert abs(sum(p for _, p in scores.intents) - 1.0) < 1e-6
    assert scores.intents[0][0] == "sanatorium.eligibility"
    assert all(0.0 <= p <= 1.0 for p in scores.heads.values())


def test_the_cache_key_follows_the_examples(monkeypatch) -> None:
    before = model.fingerprint()
    monkeypatch.setattr(model, "example_files", lambda: ["phrases.yaml", "nothing.jsonl"])
    assert model.fingerprint() != before


# Data the package reads that does not shape the features: the aspect slot is not a model
# feature (features.TOPICAL_SLOTS), so its words may change without a new model.
NOT_SHAPING = {"aspects.yaml"}


def test_every_data_file_the_package_reads_is_in_the_cache_key() -> None:
    """A data file read by intents/ (slots, gazetteer, fillers…) changes the features: it must
    change the model's fingerprint, or the cached model is stale."""
    import re
    from pathlib import Path

    from intents.examples import example_files

    package = Path(model.__file__).parent
    read = {m.group(1) for path in package.rglob("*.py") if "tools" not in path.parts  # builders
            for m in re.finditer(r'"([a-z_]+\.(?:yaml|txt))"', path.read_text(encoding="utf-8"))}
    assert read >= {"slots.yaml", "gazetteer.yaml", "emergency.yaml"}  # the scan finds them
    missing = read - set(model.SHAPING_DATA) - set(example_files()) - NOT_SHAPING
    assert not missing, f"read by intents/ but not in SHAPING_DATA: {sorted(missing)}"


def test_the_shipped_model_meets_its_cross_validation_floor() -> None:
    report = model.default_model().report
    assert report["examples"] >= 8000
    assert report["emergency_model_recall"] >= 0.97


def test_a_heard_example_takes_its_labels_from_the_written_one(tmp_path, monkeypatch) -> None:
    """A label corrected in the written examples is corrected in what was heard of them."""
    import json

    from intents import examples

    (tmp_path / "heard").mkdir()
    rows = [{"text": "谢谢 找到了 他在楼下", "intent": "smalltalk.thanks", "topic": None,
             "kind": "resolved", "said": "谢谢，找到了，他在楼下"},
            {"text": "我能参加聊样吗", "intent": "sanatorium.eligibility", "topic": None,
             "kind": None, "said": "一句没有写过的话"}]
    (tmp_path / "heard" / "x.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    monkeypatch.setattr(examples, "data_path", lambda name: tmp_path / name)
    written = [Example("谢谢，找到了，他在楼下", "checkin.reply", kind="resolved")]
    heard = examples.load_heard(written)
    assert [(e.text, e.intent) for e in heard] == [
        ("谢谢 找到了 他在楼下", "checkin.reply"), ("我能参加聊样吗", "sanatorium.eligibility")]
