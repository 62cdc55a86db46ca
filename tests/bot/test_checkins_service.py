"""Check-ins through the service, on SQLite with a clock the test moves: pings sent once, staff
alerts for those who cannot be reached, the two buttons, the 6-month flag once per stretch of
silence, the staff report, quiet hours, and the calendar month (jilin §15, shanghai 5.8.3)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

import knowledge
from bot import checkins
from bot.app import App
from bot.messages import Incoming, Reply
from bot.storage.db import make_sessions
from bot.storage.models import Account, Cadre, CheckIn, Contact, Delivery, Flag, Ticket
from tests.bot.conftest import STAFF_CHAT, Clock, staff_posts

STAFF = str(STAFF_CHAT)
_phones = itertools.count(13900000001)
_updates = itertools.count(1)


async def add_cadre(app: App, clock: Clock, *, contact_days_ago: float | None = 40,
                    chat: str | None = "200001", lives_alone: bool = False,
                    name: str = "王建国") -> int:
    """A roster cadre last in touch `contact_days_ago` days ago, on Telegram unless chat=None."""
    now = clock()
    last = now - timedelta(days=contact_days_ago) if contact_days_ago is not None else None
    created = now - timedelta(days=400)
    async with make_sessions(app.engine).begin() as s:
        cadre = Cadre(name=name, phone=str(next(_phones)), on_roster=True, merits=[],
                      lives_alone=lives_alone, last_contact_at=last, created_at=created,
                      updated_at=created)
        s.add(cadre)
        await s.flush()
        if chat is not None:
            s.add(Account(transport="telegram", external_id=chat, chat_id=chat,
                          cadre_id=cadre.id, created_at=created))
        return cadre.id


async def rows(app: App, model: type, *where) -> list:
    async with make_sessions(app.engine)() as s:
        return list((await s.scalars(select(model).where(*where).order_by(model.id))).all())


async def tick(app: App) -> list[Reply]:
    return (await app.service.tick_checkins()).replies


def to(chat: str, replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.chat_id == chat]


def button(reply: Reply, choice: str) -> str:
    [data] = [b.data for row in reply.buttons for b in row if b.data.endswith(f":{choice}")]
    return data


async def press(app: App, clock: Clock, chat: str, data: str) -> list[Reply]:
    return await app.service.handle(Incoming(
        transport="telegram", user_id=chat, chat_id=chat, at=clock(), kind="callback",
        callback_data=data, update_id=next(_updates)))


def at_local(day: datetime, hour: int) -> datetime:
    """`hour` o'clock in Shanghai (UTC+8) on the local date of `day`."""
    local = day + timedelta(hours=8)
    return datetime(local.year, local.month, local.day, hour, tzinfo=UTC) - timedelta(hours=8)


async def test_a_second_tick_at_the_same_time_sends_nothing_again(app: App, clock: Clock
                                                                  ) -> None:
    await add_cadre(app, clock, chat="200001")
    await add_cadre(app, clock, chat=None, name="李卫东")
    first = await tick(app)
    assert len(to("200001", first)) == 1 and len(staff_posts(first)) == 1
    assert all(r.delivery_id is not None for r in first)
    assert await tick(app) == []
    assert len(await rows(app, Delivery)) == 2
    assert len(await rows(app, CheckIn)) == 2


async def test_no_telegram_means_one_staff_alert_not_repeated(app: App, clock: Clock) -> None:
    cadre_id = await add_cadre(app, clock, chat=None)
    [alert] = await tick(app)
    assert alert.chat_id == STAFF and "需电话联系" in alert.text and "王建国" in alert.text
    for _ in range(8):  # every three hours for a day: the staff have it already
        clock.advance(hours=3)
        assert staff_posts(await tick(app)) == []
    [checkin] = await rows(app, CheckIn, CheckIn.cadre_id == cadre_id)
    assert checkin.status == "unreachable" and checkin.alerted_at is not None


async def test_a_403_on_a_ping_marks_the_cadre_unreachable_and_queues_a_staff_alert(
        app: App, clock: Clock) -> None:
    cadre_id = await add_cadre(app, clock)
    [ping] = await tick(app)
    clock.advance(seconds=5)
    await app.service.failed(ping.delivery_id, "403", permanent=True)

    [cadre] = await rows(app, Cadre)
    assert cadre.unreachable
    [checkin] = await rows(app, CheckIn, CheckIn.cadre_id == cadre_id)
    assert checkin.status == "unreachable" and checkin.alerted_at == clock()
    [failed] = await rows(app, Delivery, Delivery.id == ping.delivery_id)
    assert failed.status == "failed"
    [alert] = await app.service.due("telegram")
    assert alert.chat_id == STAFF and "需电话联系" in alert.text
    await app.service.failed(ping.delivery_id, "403", permanent=True)  # told twice: one alert
    assert len(await app.service.due("telegram")) == 1
    clock.advance(hours=3)
    assert await tick(app) == []  # no re-ping to a chat that blocked the bot


async def test_pressing_i_am_fine_records_a_contact_and_answers_the_check_in(
        app: App, clock: Clock) -> None:
    cadre_id = await add_cadre(app, clock)
    [ping] = await tick(app)
    assert [b.label for row in ping.buttons for b in row] == ["我很好", "请工作人员联系我"]
    clock.advance(hours=2)
    replies = await press(app, clock, "200001", button(ping, "ok"))
    assert [r.text for r in replies] == [knowledge.load().string("checkin.thanks.ok")]
    assert staff_posts(replies) == []

    [checkin] = await rows(app, CheckIn)
    assert (checkin.status, checkin.answered_at) == ("answered", clock())
    contacts = await rows(app, Contact, Contact.cadre_id == cadre_id)
    assert "checkin" in {c.kind for c in contacts} and all(c.at == clock() for c in contacts)
    [cadre] = await rows(app, Cadre)
    assert cadre.last_contact_at == clock()
    clock.advance(days=1)
    assert await tick(app) == []  # answered: no re-ping, no alert


async def test_pressing_please_call_me_opens_a_ticket_and_posts_it_to_staff(
        app: App, clock: Clock) -> None:
    cadre_id = await add_cadre(app, clock)
    [ping] = await tick(app)
    clock.advance(hours=1)
    replies = await press(app, clock, "200001", button(ping, "call"))
    assert to("200001", replies)[0].text == knowledge.load().string("checkin.thanks.call")
    [post] = staff_posts(replies)
    [ticket] = await rows(app, Ticket)
    assert (ticket.cadre_id, ticket.reason, ticket.status) == (cadre_id, "checkin.call", "open")
    assert f"#{ticket.id}" in post.text and "王建国" in post.text
    [checkin] = await rows(app, CheckIn)
    assert checkin.status == "answered"


async def test_unanswered_ping_is_repinged_then_staff_are_alerted_once(app: App, clock: Clock
                                                                       ) -> None:
    await add_cadre(app, clock)
    assert len(await tick(app)) == 1
    clock.advance(hours=24)
    [reping] = await tick(app)
    assert reping.chat_id == "200001" and "还没收到回复" in reping.text
    clock.advance(hours=24)
    [alert] = await tick(app)
    assert alert.chat_id == STAFF and "问候无回复" in alert.text
    clock.advance(hours=3)
    assert await tick(app) == []


async def test_six_months_of_silence_is_flagged_once_and_again_after_the_next_silence(
        app: App, clock: Clock) -> None:
    cadre_id = await add_cadre(app, clock, contact_days_ago=1)
    first_since = (await rows(app, Cadre))[0].last_contact_at
    latest_ping: Reply | None = None
    for _ in range(7 * 30 // 2):  # every other day for seven months, twice each time
        clock.advance(days=2)
        for _ in range(2):
            for reply in await tick(app):
                if reply.chat_id == "200001" and reply.buttons:
                    latest_ping = reply
    flags = await rows(app, Flag, Flag.cadre_id == cadre_id, Flag.kind == "six_months")
    assert [f.since for f in flags] == [first_since]
    assert flags[0].raised_at >= checkins.add_months(first_since, 6)
    assert len(await rows(app, Flag, Flag.kind == "five_months")) == 1

    assert latest_ping is not None
    await press(app, clock, "200001", button(latest_ping, "ok"))  # back in touch
    second_since = clock()
    for _ in range(7 * 30 // 3):
        clock.advance(days=3)
        await tick(app)
        await tick(app)
    flags = await rows(app, Flag, Flag.cadre_id == cadre_id, Flag.kind == "six_months")
    assert [f.since for f in flags] == [first_since, second_since]
    assert len(await rows(app, Flag, Flag.kind == "five_months")) == 2


async def test_the_report_lists_every_category(app: App, clock: Clock) -> None:
    await add_cadre(app, clock, contact_days_ago=200, chat="200001", name="六个月")
    await add_cadre(app, clock, contact_days_ago=160, chat="200002", name="五个月")
    await add_cadre(app, clock, contact_days_ago=10, chat=None, name="没有账号")
    await add_cadre(app, clock, contact_days_ago=40, chat="200004", name="待问候")
    await add_cadre(app, clock, contact_days_ago=5, chat="200005", name="近期联系")
    now = clock()
    async with make_sessions(app.engine)() as s:
        rows_ = await checkins.report(s, now, app.settings)
    by_name: dict[str, set[str]] = {}
    for row in rows_:
        by_name.setdefault(row.name, set()).add(row.category)
    assert by_name["六个月"] == {"six_months", "due"}
    assert by_name["五个月"] == {"five_months", "due"}
    assert by_name["没有账号"] == {"unreachable"}
    assert by_name["待问候"] == {"due"}
    assert "近期联系" not in by_name
    assert rows_[0].category == "six_months"  # the most serious first

    await tick(app)  # everyone due is pinged; then a day later they are overdue
    clock.advance(hours=24)
    await tick(app)
    async with make_sessions(app.engine)() as s:
        later = await checkins.report(s, clock(), app.settings)
    assert {r.name for r in later if r.category == "overdue"} == {"六个月", "五个月", "待问候"}
    text = checkins.report_text(later)
    for heading in ("失联六个月", "失联五个月", "需电话联系", "问候未回复"):
        assert heading in text
    assert checkins.report_csv(later).splitlines()[0].startswith("类别,编号,姓名")


async def test_no_ping_in_quiet_hours_but_the_next_morning(app: App, clock: Clock) -> None:
    clock.now = at_local(clock(), 22)
    await add_cadre(app, clock, chat="200001")
    await add_cadre(app, clock, chat="200002", lives_alone=True, contact_days_ago=2)
    assert await tick(app) == []
    clock.now = at_local(clock() + timedelta(days=1), 7)
    assert await tick(app) == []
    clock.now = at_local(clock(), 8)
    assert [r.chat_id for r in await tick(app)] == ["200001"]  # the daily one waits for 9:00
    clock.now = at_local(clock(), 9)
    [daily] = await tick(app)
    assert daily.chat_id == "200002" and "早上好" in daily.text


async def test_living_alone_gets_a_ping_every_day_even_when_long_out_of_touch(
        app: App, clock: Clock) -> None:
    # A monthly ping (re-ping after 24 h) would hold the daily ones up for two days.
    await add_cadre(app, clock, chat="200001", lives_alone=True, contact_days_ago=45)
    clock.now = at_local(clock(), 8)
    assert await tick(app) == []
    days_pinged = 0
    for _ in range(4):
        clock.now = at_local(clock(), 11)
        pings = [r for r in await tick(app) if r.chat_id == "200001"]
        assert [p.text for p in pings] and "早上好" in pings[0].text
        days_pinged += 1
        for hour in (14, 17, 20, 23):  # re-ping, staff alert, nothing more that day
            clock.now = at_local(clock(), hour)
            await tick(app)
        clock.now = at_local(clock() + timedelta(days=1), 8)
        assert to("200001", await tick(app)) == []
    assert days_pinged == 4
    kinds = {c.kind for c in await rows(app, CheckIn)}
    assert kinds == {"daily"}


async def test_a_month_without_contact_gets_its_ping_by_the_25th(app: App, clock: Clock) -> None:
    # In touch on 31 January: thirty days on is 2 March, and February would pass in silence.
    clock.now = datetime(2026, 1, 31, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    await add_cadre(app, clock, contact_days_ago=0)
    clock.now = datetime(2026, 2, 24, 4, 0, tzinfo=UTC)
    assert await tick(app) == []
    clock.now = datetime(2026, 2, 25, 0, 0, tzinfo=UTC)  # 08:00 on the 25th
    [ping] = await tick(app)
    assert ping.chat_id == "200001"
    clock.advance(hours=24)
    assert len(await tick(app)) == 1  # re-ping on the 26th
    clock.advance(hours=24)
    [alert] = await tick(app)  # and the staff know on the 27th, still in February
    assert alert.chat_id == STAFF
    clock.now = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)
    assert await tick(app) == []  # the February ping counts: the next is thirty days on


# --- unreachable at once, 从未联系, one masking rule -----------------------------------------


async def test_a_roster_cadre_without_telegram_is_posted_at_the_first_pass_with_the_phone(
        app: App, clock: Clock) -> None:
    cadre_id = await add_cadre(app, clock, contact_days_ago=None, chat=None, name="刘志强")
    [alert] = [r for r in staff_posts(await tick(app)) if "需电话联系" in r.text]
    [cadre] = await rows(app, Cadre, Cadre.id == cadre_id)

    assert "需电话联系" in alert.text and "刘志强" in alert.text
    assert cadre.phone in alert.text  # the number to call, in full, in the staff group
    assert "从未联系" in alert.text and "0天" not in alert.text
    clock.advance(hours=1)
    assert staff_posts(await tick(app)) == []  # told once


async def test_the_unreachable_stay_on_the_report_until_a_contact_is_recorded(
        app: App, clock: Clock) -> None:
    from bot import staff

    await add_cadre(app, clock, contact_days_ago=3, chat=None, name="刘志强")
    await tick(app)
    clock.advance(days=2)
    assert [r.category for r in await report(app, clock)] == ["unreachable"]

    async with make_sessions(app.engine).begin() as s:
        await staff.record_contact(s, "刘志强", "电话", "身体好", None, clock())
    clock.advance(hours=1)
    assert await report(app, clock) == []


async def report(app: App, clock: Clock) -> list:
    async with make_sessions(app.engine)() as s:
        return await checkins.report(s, clock(), app.settings)


async def test_the_report_says_never_contacted_rather_than_zero_days(app: App, clock: Clock
                                                                      ) -> None:
    await add_cadre(app, clock, contact_days_ago=None, chat=None, name="刘志强")
    text = checkins.report_text(await report(app, clock))

    assert "刘志强" in text and "从未联系" in text and "0天" not in text


async def test_the_report_masks_landlines_as_it_masks_mobiles(app: App, clock: Clock) -> None:
    cadre_id = await add_cadre(app, clock, chat=None, name="刘志强")
    async with make_sessions(app.engine).begin() as s:
        cadre = await s.get(Cadre, cadre_id)
        mobile = cadre.phone
        cadre.phone, cadre.other_phone = "06315201234", mobile
    rows_ = await report(app, clock)
    for shown in (checkins.report_text(rows_), checkins.report_csv(rows_)):
        assert "063****1234" in shown and f"{mobile[:3]}****{mobile[-4:]}" in shown
        assert "06315201234" not in shown and mobile not in shown


async def test_a_blocked_cadre_alert_says_so_and_counts_from_the_last_contact(
        app: App, clock: Clock) -> None:
    await add_cadre(app, clock, contact_days_ago=40)
    [ping] = await tick(app)
    await app.service.failed(ping.delivery_id, "Forbidden: bot was blocked by the user",
                             permanent=True)
    [alert] = await app.service.due("telegram")
    assert "发不出去" in alert.text and "距上次联系40天" in alert.text


def test_the_tick_summary_is_chinese() -> None:
    result = checkins.TickResult(counts={"ping": 3, "alert_unreachable": 1})
    assert checkins.tick_text(result) == "问候：发出问候3人，需电话联系提醒1人"
    assert checkins.tick_text(checkins.TickResult()).startswith("问候：这次没有")
