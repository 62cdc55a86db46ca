"""Routing through the service: a cadre's ticket, emergency, check-in alert and blocked-bot
alert go to their own agency's staff group (the settings' group keeps the agency-less), and
staff commands in a group show only that group's agency."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

import knowledge
from bot import checkins
from bot.app import App
from bot.messages import Incoming, Reply
from bot.service import profile_of
from bot.storage.db import make_sessions
from bot.storage.models import Account, Agency, Cadre, Staff, Ticket
from tests.bot.conftest import STAFF_CHAT, Clock

WH_GROUP, LC_GROUP = "-100901", "-100902"
_updates = itertools.count(1000)
_phones = itertools.count(13900000101)


def ui(name: str, /, **params: object) -> str:
    return knowledge.load().string(name, **params)


@pytest.fixture
async def two(app: App, clock: Clock) -> dict[str, int]:
    """Two agencies, a Telegram cadre in each and one without an agency; staff of each and a
    supervisor. Returns the cadres' ids by agency key ("-" for the agency-less one)."""
    now = clock()
    created = now - timedelta(days=400)
    ids = {}
    async with make_sessions(app.engine).begin() as s:
        s.add_all([Agency(key="wh", name="威海一所", region="weihai", staff_chat=WH_GROUP,
                          duty_phone="0631-5201234", created_at=now),
                   Agency(key="lc", name="聊城所", region="liaocheng", staff_chat=LC_GROUP,
                          duty_phone="0635-8888888", created_at=now)])
        await s.flush()
        for chat, key in (("7001", "wh"), ("7002", "lc"), ("7003", None)):
            cadre = Cadre(name=f"干部{chat}", phone=str(next(_phones)), agency_key=key,
                          on_roster=True, merits=[], last_contact_at=now - timedelta(days=40),
                          created_at=created, updated_at=created)
            s.add(cadre)
            await s.flush()
            s.add(Account(transport="telegram", external_id=chat, chat_id=chat,
                          cadre_id=cadre.id, created_at=created))
            ids[key or "-"] = cadre.id
        s.add_all([Staff(user_id=81, name="威海王", agency_key="wh", created_at=now),
                   Staff(user_id=82, name="聊城赵", agency_key="lc", created_at=now),
                   Staff(user_id=83, name="主管", role="supervisor", created_at=now)])
    return ids


async def say(app: App, clock: Clock, user: str, text: str, *, chat: str | None = None
              ) -> list[Reply]:
    group = chat is not None and chat != user
    command = text[1:].partition(" ") if text.startswith("/") else None
    return await app.service.handle(Incoming(
        transport="telegram", user_id=user, chat_id=chat or user, at=clock(), text=text,
        update_id=next(_updates), chat_type="supergroup" if group else "private",
        kind="command" if command else "text", command=command[0] if command else None,
        command_args=command[2] if command else ""))


def to(chat: str | int, replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.chat_id == str(chat)]


async def test_a_complaint_goes_to_the_cadres_agency_group_only(app: App, clock: Clock,
                                                                two: dict[str, int]) -> None:
    replies = await say(app, clock, "7001", "我要投诉，报销拖了三个月")

    [post] = to(WH_GROUP, replies)
    assert post.meta["to_staff"] and "干部7001" in post.text
    assert to(LC_GROUP, replies) == [] and to(STAFF_CHAT, replies) == []
    async with make_sessions(app.engine)() as s:
        ticket = (await s.scalars(select(Ticket))).one()
    assert ticket.agency_key == "wh"


async def test_an_agency_less_cadre_still_goes_to_the_settings_group(
        app: App, clock: Clock, two: dict[str, int]) -> None:
    replies = await say(app, clock, "7003", "我要投诉，报销拖了三个月")

    assert len(to(STAFF_CHAT, replies)) == 1
    assert to(WH_GROUP, replies) == [] and to(LC_GROUP, replies) == []


async def test_an_emergency_gives_the_agencys_own_duty_phone(app: App, clock: Clock,
                                                             two: dict[str, int]) -> None:
    replies = await say(app, clock, "7002", "我老伴摔倒了起不来，快来人")

    [told] = to("7002", replies)
    assert "0635-8888888" in told.text and "0631-5201234" not in told.text
    assert len(to(LC_GROUP, replies)) == 1


async def test_the_agency_region_is_the_cadres_unless_their_record_says_otherwise(
        app: App, two: dict[str, int]) -> None:
    async with make_sessions(app.engine).begin() as s:
        cadre = await s.get(Cadre, two["lc"])
        assert profile_of(cadre).region == "liaocheng"
        cadre.region = "jilin"
        assert profile_of(cadre).region == "jilin"


async def test_check_in_alerts_go_to_each_agencys_group(app: App, clock: Clock,
                                                        two: dict[str, int]) -> None:
    async with make_sessions(app.engine).begin() as s:
        for account in (await s.scalars(select(Account))).all():
            await s.delete(account)  # nobody on Telegram: all three need a phone call
    replies = (await app.service.tick_checkins()).replies

    assert [len(to(c, replies)) for c in (WH_GROUP, LC_GROUP, STAFF_CHAT)] == [1, 1, 1]
    assert "干部7001" in to(WH_GROUP, replies)[0].text
    assert "干部7002" in to(LC_GROUP, replies)[0].text


async def test_a_blocked_bot_is_reported_to_the_cadres_agency(app: App, clock: Clock,
                                                              two: dict[str, int]) -> None:
    replies = (await app.service.tick_checkins()).replies
    [ping] = to("7002", replies)
    await app.service.failed(ping.delivery_id, "Forbidden: bot was blocked by the user",
                             permanent=True)
    async with make_sessions(app.engine)() as s:
        from bot.storage.models import Delivery

        alerts = (await s.scalars(select(Delivery).where(Delivery.chat_id == LC_GROUP))).all()
    assert len(alerts) == 1 and "干部7002" in alerts[0].payload["text"]


async def queue_after_three_complaints(app: App, clock: Clock) -> dict[str | None, int]:
    for user in ("7001", "7002", "7003"):
        await say(app, clock, user, "我要投诉，报销拖了三个月")
    async with make_sessions(app.engine)() as s:
        return {t.agency_key: t.id for t in (await s.scalars(select(Ticket))).all()}


async def test_staff_see_their_agencys_queue_wherever_they_write(
        app: App, clock: Clock, two: dict[str, int]) -> None:
    n = await queue_after_three_complaints(app, clock)

    [queue] = await say(app, clock, "81", "/queue", chat=WH_GROUP)
    assert f"#{n['wh']} " in queue.text and f"#{n['lc']} " not in queue.text
    assert f"#{n[None]} " not in queue.text
    [private] = await say(app, clock, "81", "/queue")
    assert f"#{n['wh']} " in private.text and f"#{n['lc']} " not in private.text


async def test_a_supervisor_sees_all_in_private_but_only_the_groups_agency_in_a_group(
        app: App, clock: Clock, two: dict[str, int]) -> None:
    n = await queue_after_three_complaints(app, clock)

    [private] = await say(app, clock, "83", "/queue")
    assert all(f"#{number} " in private.text for number in n.values())
    [in_group] = await say(app, clock, "83", "/queue", chat=LC_GROUP)
    assert f"#{n['lc']} " in in_group.text and f"#{n['wh']} " not in in_group.text
    [central] = await say(app, clock, "83", "/queue", chat=str(STAFF_CHAT))
    assert all(f"#{number} " in central.text for number in n.values())


async def test_staff_cannot_touch_another_agencys_ticket_or_cadre(
        app: App, clock: Clock, two: dict[str, int]) -> None:
    n = await queue_after_three_complaints(app, clock)

    for command in (f"/ticket {n['lc']}", f"/claim {n['lc']}", f"/close {n['lc']}",
                    f"/reply {n['lc']} 好的"):
        [answer] = await say(app, clock, "81", command, chat=WH_GROUP)
        assert answer.text == ui("ui.staff.no_ticket", n=n["lc"]), command
    [answer] = await say(app, clock, "81", "/contacted 干部7002 电话 聊了", chat=WH_GROUP)
    assert answer.text == ui("staff.checkin.no_cadre", key="干部7002")
    async with make_sessions(app.engine)() as s:
        assert (await s.get(Ticket, n["lc"])).status == "open"


async def test_a_message_in_some_other_group_is_ignored(app: App, clock: Clock,
                                                       two: dict[str, int]) -> None:
    assert await say(app, clock, "81", "/queue", chat="-100999") == []


async def test_the_check_in_report_is_scoped(app: App, clock: Clock, two: dict[str, int]
                                             ) -> None:
    from bot import scope

    async with make_sessions(app.engine)() as s:
        everything = await checkins.report(s, clock(), app.settings)
        wh = await checkins.report(s, clock(), app.settings, scope.of_agency("wh"))
    assert {r.cadre_id for r in everything} == set(two.values())
    assert {r.cadre_id for r in wh} == {two["wh"]}


def test_cli_tickets_list_with_an_agency(tmp_path, monkeypatch, capsys) -> None:
    import asyncio

    from bot.cli import main
    from bot.storage.db import make_engine

    url = f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("JUNXIU_DATABASE_URL", url)
    main(["agencies", "add", "wh", "--name", "威海一所", "--region", "weihai",
          "--staff-chat", WH_GROUP])
    main(["agencies", "add", "lc", "--name", "聊城所", "--region", "liaocheng",
          "--staff-chat", LC_GROUP])

    async def seed() -> None:
        engine = make_engine(url)
        now = datetime.now(UTC)
        async with make_sessions(engine).begin() as s:
            for key in ("wh", "lc"):
                cadre = Cadre(name=key, agency_key=key, on_roster=True, merits=[],
                              created_at=now, updated_at=now)
                s.add(cadre)
                await s.flush()
                s.add(Ticket(cadre_id=cadre.id, agency_key=key, reason="complaint",
                             priority=2, status="open", created_at=now))
        await engine.dispose()

    asyncio.run(seed())
    capsys.readouterr()
    assert main(["tickets", "list", "--agency", "lc"]) == 0
    out = capsys.readouterr().out
    assert "#2 " in out and "#1 " not in out
    assert main(["tickets", "show", "1", "--agency", "lc"]) == 1
    assert main(["tickets", "list"]) == 0
    out = capsys.readouterr().out
    assert "#1 " in out and "#2 " in out
    assert main(["checkins", "report", "--agency", "nowhere"]) == 1
