"""`/cadres/ID` and `/checkins`: the profile, contact log and visit records, and recording a
call or a visit, which counts as contact."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from bot.storage.models import Account, AuditEntry, Cadre, CheckIn, Contact
from tests.web.conftest import STAFF_ID, DeskClient


async def roster_cadre(sessions, name: str = "张建国", phone: str = "13800138000", *,
                       last_contact: datetime | None = None, telegram: bool = True,
                       lives_alone: bool = False, created: datetime | None = None) -> int:
    created = created or datetime(2026, 1, 1, tzinfo=UTC)
    async with sessions.begin() as s:
        cadre = Cadre(name=name, phone=phone, region="shanghai", status="离休", rank="师级",
                      birth_date=date(1936, 5, 1), lives_alone=lives_alone, merits=[],
                      on_roster=True, last_contact_at=last_contact, created_at=created,
                      updated_at=created)
        s.add(cadre)
        await s.flush()
        if telegram:
            s.add(Account(transport="telegram", external_id=str(5000 + cadre.id),
                          chat_id=str(5000 + cadre.id), cadre_id=cadre.id, created_at=created))
        return cadre.id


async def test_the_cadre_page_shows_the_profile_with_the_phone_to_call(
        desk: DeskClient, sessions) -> None:
    cadre_id = await roster_cadre(sessions)
    page = await desk.get(f"/cadres/{cadre_id}")
    assert page.status_code == 200
    for shown in ("张建国", 'href="tel:13800138000"', "离休", "师级", "1936-05-01", "上海"):
        assert shown in page.text


async def test_a_visit_is_recorded_with_the_standards_fields(
        desk: DeskClient, sessions, clock) -> None:
    cadre_id = await roster_cadre(sessions)
    await desk.get(f"/cadres/{cadre_id}")
    response = await desk.post("/checkins/contact", {
        "cadre_id": str(cadre_id), "kind": "visit", "note": "精神很好",
        "record_健康": "血压稳定", "record_建议": "希望多组织活动", "back": f"/cadres/{cadre_id}"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/cadres/{cadre_id}?done=contact"
    async with sessions() as s:
        contact = (await s.scalars(select(Contact).where(Contact.kind == "visit"))).one()
        assert (contact.staff_id, contact.note) == (STAFF_ID, "精神很好")
        assert contact.record == {"健康": "血压稳定", "建议": "希望多组织活动"}
        assert (await s.get(Cadre, cadre_id)).last_contact_at == clock()
        assert (await s.scalars(select(AuditEntry.action).where(
            AuditEntry.cadre_id == cadre_id))).all() == ["contact.add"]
    page = (await desk.get(f"/cadres/{cadre_id}")).text
    assert "血压稳定" in page and "身体状况" in page and "对服务管理的建议和意见" in page


async def test_a_call_can_be_dated_in_the_past_but_not_the_future(
        desk: DeskClient, sessions, clock) -> None:
    cadre_id = await roster_cadre(sessions)
    await desk.get("/checkins")
    await desk.post("/checkins/contact", {"cadre_id": str(cadre_id), "kind": "call",
                                          "at": "2026-11-21T15:30"})
    await desk.post("/checkins/contact", {"cadre_id": str(cadre_id), "kind": "call",
                                          "at": "2030-01-01T00:00"})
    async with sessions() as s:
        ats = (await s.scalars(select(Contact.at).order_by(Contact.id))).all()
    assert ats == [datetime(2026, 11, 21, 7, 30, tzinfo=UTC), clock()]


async def test_a_contact_needs_a_kind_and_a_known_cadre(desk: DeskClient, sessions) -> None:
    cadre_id = await roster_cadre(sessions)
    await desk.get("/checkins")
    assert (await desk.post("/checkins/contact", {"cadre_id": str(cadre_id),
                                                  "kind": "letter"})).status_code == 400
    assert (await desk.post("/checkins/contact", {"cadre_id": "999",
                                                  "kind": "call"})).status_code == 404


async def test_the_checkins_page_lists_who_needs_attention(
        desk: DeskClient, sessions, clock) -> None:
    now = clock()
    await roster_cadre(sessions, "失联六月", "13800000006",
                       last_contact=now - timedelta(days=190))
    await roster_cadre(sessions, "失联五月", "13800000005",
                       last_contact=now - timedelta(days=160))
    await roster_cadre(sessions, "没有微信", "13800000001", telegram=False,
                       last_contact=now - timedelta(days=40))
    silent = await roster_cadre(sessions, "两次未回", "13800000002",
                                last_contact=now - timedelta(days=40))
    async with sessions.begin() as s:
        s.add(CheckIn(cadre_id=silent, kind="monthly", status="alerted",
                      sent_at=now - timedelta(days=2), repinged_at=now - timedelta(days=1),
                      alerted_at=now - timedelta(hours=1)))
    page = (await desk.get("/checkins")).text
    sections = {key: page.index(f'id="{key}"') for key in
                ("six_months", "five_months", "unanswered", "unreachable", "overdue", "due")}

    def section_of(name: str) -> str:
        at = page.index(name)
        return max((k for k, v in sections.items() if v < at), key=lambda k: sections[k])

    assert section_of("失联六月") == "six_months"
    assert section_of("失联五月") == "five_months"
    assert section_of("没有微信") == "unreachable"
    assert section_of("两次未回") == "unanswered"
    assert 'href="tel:13800000001"' in page  # the people to phone, whole numbers


async def test_an_unknown_cadre_is_not_found(desk: DeskClient) -> None:
    assert (await desk.get("/cadres/12345")).status_code == 404
