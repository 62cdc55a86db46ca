"""`/gaps`: what the assistant could not answer well, grouped, reviewed into training data;
`junxiu gaps export`, `junxiu train` (reviewed examples never held out), `cadres forget`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot import privacy
from bot.storage.models import AuditEntry, Cadre, Message, ReviewedExample
from bot.web.gaps import Gap, group
from tests.web.conftest import STAFF_ID, DeskClient


async def gap_messages(sessions, clock, texts: list[tuple[str, str | None, float | None]]
                       ) -> list[int]:
    async with sessions.begin() as s:
        cadre = Cadre(name="张建国", merits=[], created_at=clock(), updated_at=clock())
        s.add(cadre)
        await s.flush()
        ids = []
        for i, (text, intent, confidence) in enumerate(texts):
            m = Message(cadre_id=cadre.id, transport="telegram", direction="in", kind="text",
                        text=text, intent=intent, confidence=confidence,
                        created_at=clock() + timedelta(minutes=i))
            s.add(m)
            await s.flush()
            ids.append(m.id)
        return ids


def test_similar_messages_are_grouped_newest_first() -> None:
    at = None
    gaps = [Gap(3, "今天天气怎么样啊", "out_of_scope", 0.9, at),
            Gap(2, "股票明天会涨吗", "out_of_scope", 0.8, at),
            Gap(1, "今天天气怎么样", "out_of_scope", 0.9, at)]
    groups = group(gaps)
    assert [[g.message_id for g in grp.gaps] for grp in groups] == [[3, 1], [2]]


async def test_the_service_keeps_how_sure_it_was(chat, sessions) -> None:
    await chat.say("今天天气怎么样")
    async with sessions() as s:
        inbound = (await s.scalars(select(Message).where(Message.direction == "in"))).one()
    assert inbound.intent is not None and 0 <= inbound.confidence <= 1


async def test_the_gaps_page_lists_low_confidence_and_unanswerable_messages(
        desk: DeskClient, sessions, clock) -> None:
    await gap_messages(sessions, clock, [("今天天气怎么样", "out_of_scope", 0.9),
                                         ("今天天气怎么样啊", "out_of_scope", 0.9),
                                         ("住房补贴怎么申请", "policy.other", 0.8),
                                         ("那个事儿咋办", "help", 0.3),
                                         ("荣誉疗养怎么参加", "sanatorium.eligibility", 0.95)])
    page = (await desk.get("/gaps")).text
    assert "住房补贴怎么申请" in page and "那个事儿咋办" in page and "今天天气怎么样" in page
    assert "荣誉疗养怎么参加" not in page
    assert "2 条" in page  # the two weather questions, one group
    assert page.index("那个事儿咋办") < page.index("住房补贴怎么申请")  # newest first


async def test_a_reviewed_message_becomes_a_training_example(
        desk: DeskClient, sessions, clock) -> None:
    [first, second] = await gap_messages(sessions, clock, [
        ("住房补贴怎么申请", "policy.other", 0.8), ("住房补贴咋申请", "policy.other", 0.7)])
    await desk.get("/gaps")
    response = await desk.post("/gaps", {"message_id": [str(first), str(second)],
                                         "intent": "pension.allowances"})
    assert response.status_code == 303
    async with sessions() as s:
        rows = (await s.scalars(select(ReviewedExample).order_by(ReviewedExample.id))).all()
        audit = (await s.scalars(select(AuditEntry.actor).where(
            AuditEntry.action == "gap.review"))).all()
    assert [(r.message_id, r.intent, r.reviewer_id) for r in rows] == [
        (first, "pension.allowances", STAFF_ID), (second, "pension.allowances", STAFF_ID)]
    assert rows[0].text == "住房补贴怎么申请" and audit == [f"staff:{STAFF_ID}"] * 2
    assert "住房补贴怎么申请" not in (await desk.get("/gaps")).text  # reviewed: off the list


async def test_an_unknown_intent_is_refused(desk: DeskClient, sessions, clock) -> None:
    [mid] = await gap_messages(sessions, clock, [("住房补贴怎么申请", "policy.other", 0.8)])
    await desk.get("/gaps")
    response = await desk.post("/gaps", {"message_id": str(mid), "intent": "made.up"})
    assert response.status_code == 400


async def test_export_writes_the_training_data_format(
        desk: DeskClient, sessions, clock, desk_settings, tmp_path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main

    [mid] = await gap_messages(sessions, clock, [("住房补贴怎么申请", "policy.other", 0.8)])
    await desk.get("/gaps")
    await desk.post("/gaps", {"message_id": str(mid), "intent": "pension.allowances"})
    monkeypatch.setenv("JUNXIU_DATABASE_URL", desk_settings.database_url)
    out = tmp_path / "reviewed.jsonl"
    assert await asyncio.to_thread(main, ["gaps", "export", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [{"text": "住房补贴怎么申请", "intent": "pension.allowances",
                     "topic": None, "kind": None}]


async def test_forgetting_a_cadre_removes_their_messages_from_the_gaps(
        desk: DeskClient, sessions, clock) -> None:
    [mid, _] = await gap_messages(sessions, clock, [("住房补贴怎么申请", "policy.other", 0.8),
                                                    ("今天天气怎么样", "out_of_scope", 0.9)])
    await desk.get("/gaps")
    await desk.post("/gaps", {"message_id": str(mid), "intent": "pension.allowances"})
    async with sessions.begin() as s:
        cadre_id = (await s.get(Message, mid)).cadre_id
        assert await privacy.forget(s, cadre_id, clock())
    async with sessions() as s:
        assert (await s.scalars(select(ReviewedExample))).all() == []
    page = (await desk.get("/gaps")).text
    assert "住房补贴" not in page and "今天天气" not in page


def test_reviewed_and_heard_examples_train_but_are_never_held_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from intents import train as training
    from intents.examples import Example

    written = [Example(t, i) for t, i in (
        ("我能参加荣誉疗养吗", "sanatorium.eligibility"),
        ("疗养有什么条件", "sanatorium.eligibility"),
        ("荣誉疗养谁能去", "sanatorium.eligibility"), ("我要投诉你们", "complaint"),
        ("投诉工作人员态度差", "complaint"), ("我要投诉", "complaint"),
        ("老伴摔倒了起不来", "emergency"), ("胸口疼喘不上气", "emergency"),
        ("快来人啊他晕倒了", "emergency"), ("我父亲昨晚去世了", "bereavement.news"),
        ("老伴走了", "bereavement.news"), ("家里老人去世了", "bereavement.news"),
        ("今天天气怎么样", "out_of_scope"), ("股票会涨吗", "out_of_scope"),
        ("红烧肉怎么做", "out_of_scope"))]
    seen_by_cv: list[str] = []
    fitted_on: list[str] = []
    real_cv, real_fit = training.cross_validate, training.fit

    def spy_cv(examples, feats):
        seen_by_cv.extend(e.text for e in examples)
        return real_cv(examples, feats)

    def spy_fit(feats, examples):
        fitted_on[:] = [e.text for e in examples]
        return real_fit(feats, examples)

    heard = [Example("我能参加聊样吗", "sanatorium.eligibility", source="heard/x.jsonl")]
    monkeypatch.setattr(training, "load_examples", lambda: written)
    monkeypatch.setattr(training, "load_heard", lambda _: heard)
    monkeypatch.setattr(training, "FOLDS", 3)
    monkeypatch.setattr(training, "cross_validate", spy_cv)
    monkeypatch.setattr(training, "fit", spy_fit)
    model = training.train([Example("住房补贴怎么申请", "out_of_scope", source="reviewed")])
    for text in ("住房补贴怎么申请", "我能参加聊样吗"):
        assert text not in seen_by_cv
        assert text in fitted_on
    assert model.report["reviewed_examples"] == 1
    assert model.report["heard_examples"] == 1
    assert model.report["examples"] == len(written)  # the CV figures are the written ones
