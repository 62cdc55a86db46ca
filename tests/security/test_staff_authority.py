"""Only roster staff can act on tickets, and a cadre never sees another cadre's data.

Every staff command and ticket button, from someone not on the staff roster (a stranger, or a
cadre), privately and in the staff group, gets the same polite refusal that gives nothing away,
and is audited; from a staff member it works. Ratings, contacts and forged buttons cannot reach
another cadre's ticket or record."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

import knowledge
from bot import staff
from bot.app import App
from bot.messages import Reply
from bot.storage.db import make_sessions
from bot.storage.models import Account, AuditEntry, Cadre, Contact, Ticket
from tests.security.conftest import (
    STAFF_CHAT,
    STAFF_USER,
    STRANGER,
    Person,
    add_roster,
    add_staff,
)

A_USER, B_USER = 4242, 4343
A_NAME, A_PHONE = "王建国", "13800138000"
B_NAME, B_PHONE = "李秀英", "13900139000"
GROUP = -200300  # some other group the bot is in

BUTTONS = ("claim:1", "close:1")


def ui(key: str, **params: object) -> str:
    return knowledge.load().string(key, **params)


def arguments(cadre_id: int) -> dict[str, str]:
    """Each staff command with arguments that would work for a staff member, on ticket #1."""
    return {"reply": "1 您好，已经安排专人处理。", "queue": "", "ticket": "1", "claim": "1",
            "close": "1 已电话回复", "canned": "", "staffhelp": "", "checkins": "",
            "contacted": f"{cadre_id} 电话 问候了身体情况"}


async def rows(app: App, model: type, *where) -> list:
    async with make_sessions(app.engine)() as s:
        return list((await s.scalars(select(model).where(*where).order_by(model.id))).all())


async def a_cadre_with_a_ticket(app: App, person, user: int = A_USER, name: str = A_NAME,
                                phone: str = A_PHONE) -> tuple[Person, int]:
    """A roster cadre, recognised by their shared phone, who asked for a person (a ticket)."""
    cadre_id = await add_roster(app, name, phone)
    cadre = person(user)
    [linked] = cadre.mine(await cadre.share_phone(phone))
    assert name in linked.text
    await cadre.say("转人工")
    return cadre, cadre_id


async def act(who: Person, item: str, args: dict[str, str], chat_id: int | None
              ) -> list[Reply]:
    if ":" in item:
        return await who.press(item, chat_id=chat_id)
    return await who.command(item, args[item], chat_id=chat_id)


def test_every_staff_command_is_covered_here() -> None:
    assert set(arguments(1)) == staff.COMMANDS


# -- refused for everyone off the roster ------------------------------------------------------


@pytest.mark.parametrize("where", ["private", "staff_group"])
@pytest.mark.parametrize("who", ["stranger", "cadre"])
@pytest.mark.parametrize("item", sorted(staff.COMMANDS) + list(BUTTONS))
async def test_staff_actions_from_off_the_roster_are_refused_politely(
        item: str, who: str, where: str, app: App, person) -> None:
    cadre, cadre_id = await a_cadre_with_a_ticket(app, person)
    await add_staff(app)  # there is a staff roster; this sender is not on it
    sender = person(STRANGER) if who == "stranger" else cadre
    chat_id = STAFF_CHAT if where == "staff_group" else None

    replies = await act(sender, item, arguments(cadre_id), chat_id)

    [refusal] = replies  # one message, to where they wrote, nothing to anyone else
    assert refusal.chat_id == str(chat_id or sender.user_id)
    assert refusal.text == ui("ui.staff.refused")
    assert "#" not in refusal.text and not re.search(r"\d", refusal.text)
    assert A_NAME not in refusal.text and A_PHONE not in refusal.text
    [audit] = await rows(app, AuditEntry, AuditEntry.action == "staff.refused")
    assert audit.actor == f"user:{sender.user_id}"
    [ticket] = await rows(app, Ticket)
    assert (ticket.status, ticket.assignee_id, ticket.rating_asked_at) == ("open", None, None)
    assert not await rows(app, Contact, Contact.kind.in_(("call", "visit")))


async def test_plain_talk_in_the_staff_group_is_ignored(app: App, person) -> None:
    await a_cadre_with_a_ticket(app, person)
    await add_staff(app)
    for sender in (person(STRANGER), person(STAFF_USER)):
        for text in ("大家好", "转人工", "#1 怎么办", "13800138000", "我老伴摔倒了起不来"):
            assert await sender.say(text, chat_id=STAFF_CHAT) == []
    assert not await rows(app, AuditEntry, AuditEntry.action == "staff.refused")
    assert len(await rows(app, Ticket)) == 1  # the group's talk opened no ticket
    accounts = {a.external_id for a in await rows(app, Account)}
    assert str(STRANGER) not in accounts and str(STAFF_USER) not in accounts


@pytest.mark.parametrize("item", sorted(staff.COMMANDS) + list(BUTTONS))
async def test_staff_commands_in_another_group_are_ignored(
        item: str, app: App, person) -> None:
    """Even from a staff member: a /ticket there would show a cadre's phone to the group."""
    _, cadre_id = await a_cadre_with_a_ticket(app, person)
    await add_staff(app)
    assert await act(person(STAFF_USER), item, arguments(cadre_id), GROUP) == []
    assert await act(person(STRANGER), item, arguments(cadre_id), GROUP) == []
    [ticket] = await rows(app, Ticket)
    assert ticket.status == "open"


# -- working for the roster ----------------------------------------------------------------------


@pytest.mark.parametrize("where", ["staff_group", "private"])
@pytest.mark.parametrize("item", sorted(staff.COMMANDS) + list(BUTTONS))
async def test_staff_actions_work_for_a_roster_member(
        item: str, where: str, app: App, person) -> None:
    cadre, cadre_id = await a_cadre_with_a_ticket(app, person)
    await add_staff(app)
    member = person(STAFF_USER)
    chat_id = STAFF_CHAT if where == "staff_group" else None

    replies = await act(member, item, arguments(cadre_id), chat_id)

    [ack] = member.mine(replies, chat_id)
    assert ack.text != ui("ui.staff.refused")
    [ticket] = await rows(app, Ticket)
    expected = {
        "reply": ui("ui.staff.replied", n=1), "claim": ui("ui.staff.claimed", n=1, name="赵主任"),
        "close": ui("ui.staff.closed", n=1), "staffhelp": ui("ui.staff.usage"),
        "claim:1": ui("ui.staff.claimed", n=1, name="赵主任"),
        "close:1": ui("ui.staff.closed", n=1),
    }
    if item in expected:
        assert ack.text == expected[item]
    if item == "reply":
        told = [r.text for r in cadre.mine(replies)]
        assert told[0] == ui("ui.staff_reply", text="您好，已经安排专人处理。")
        assert told[1] == ui("ui.rate")
        assert ticket.status == "answered"
    elif item in ("queue", "ticket"):
        assert "#1" in ack.text
    elif item == "canned":
        assert ":received" in ack.text
    elif item == "contacted":
        assert A_NAME in ack.text
        [contact] = await rows(app, Contact, Contact.kind == "call")
        assert (contact.cadre_id, contact.staff_id) == (cadre_id, STAFF_USER)
    elif item in ("claim", "claim:1"):
        assert (ticket.status, ticket.assignee_id) == ("claimed", STAFF_USER)
    elif item in ("close", "close:1"):
        assert ticket.status == "closed"
    elif item == "checkins":
        assert ack.text.strip()
    assert not await rows(app, AuditEntry, AuditEntry.action == "staff.refused")


ODD_STAFF_INPUT = (
    ("ticket", "99999999999999999999"), ("ticket", "-1"), ("ticket", "abc"), ("ticket", ""),
    ("claim", "#"), ("claim", "1.5"), ("close", ""), ("reply", ""), ("reply", "1"),
    ("reply", "1 :nosuchcanned"), ("reply", "99999999999999999999 hi"), ("reply", "#2 hi"),
    ("contacted", ""), ("contacted", "1"), ("contacted", "1 飞鸽"), ("contacted", "nobody 电话"),
    ("contacted", "99999999999999999999 电话"), ("queue", "{0} %s"), ("ticket", "１"),
    ("claim", "٣"),
)


async def test_odd_staff_input_gets_a_usage_hint_not_an_error(app: App, person) -> None:
    await a_cadre_with_a_ticket(app, person)
    await add_staff(app)
    member = person(STAFF_USER)
    for name, args in ODD_STAFF_INPUT:
        [ack] = member.mine(await member.command(name, args, chat_id=STAFF_CHAT), STAFF_CHAT)
        assert ack.text.strip(), (name, args)
    for data in ("claim:", "claim:x", "close:-5", "claim:99999999999999999999", "close:1:2"):
        [ack] = member.mine(await member.press(data, chat_id=STAFF_CHAT), STAFF_CHAT)
        assert ack.text.strip(), data


# -- one cadre, another cadre's data -------------------------------------------------------------


async def test_a_cadre_cannot_rate_another_cadres_ticket(app: App, person) -> None:
    a, _ = await a_cadre_with_a_ticket(app, person)
    b, _ = await a_cadre_with_a_ticket(app, person, B_USER, B_NAME, B_PHONE)
    await add_staff(app)
    member = person(STAFF_USER)
    for n in (1, 2):  # both answered, both asked for a rating
        await member.command("reply", f"{n} 已处理", chat_id=STAFF_CHAT)
    a_ticket, b_ticket = await rows(app, Ticket)
    assert (a_ticket.cadre_id, b_ticket.cadre_id) != (None, None)

    [thanks] = a.mine(await a.press(f"rate:{b_ticket.id}:1"))
    assert thanks.text == ui("ui.rate.thanks")  # the same words: nothing to learn from it
    assert (await rows(app, Ticket, Ticket.id == b_ticket.id))[0].rating is None

    await b.press(f"rate:{b_ticket.id}:4")
    await a.press(f"rate:{b_ticket.id}:1")  # nor overwrite it afterwards
    await a.press(f"rate:{a_ticket.id}:5")
    a_ticket, b_ticket = await rows(app, Ticket)
    assert (a_ticket.rating, b_ticket.rating) == (5, 4)
    rated = await rows(app, AuditEntry, AuditEntry.action == "ticket.rated")
    assert {(r.ticket_id, r.detail) for r in rated} == {(1, "5"), (2, "4")}


FORGED = ("rate:2", "rate:x:y", "rate:2:5:1", "rate:-1:5", "rate:2:0", "rate:2:6",
          "rate:99999999999999999999:5", "rate:2:99999999999999999999", "rate::",
          "pick:", "pick:human_agent", "pick:" + "x" * 500, "checkin:", "checkin:x:y",
          "checkin:99999999999999999999:ok", "", ":", "claim", "rate")


async def test_forged_buttons_from_a_cadre_change_nothing_and_leak_nothing(
        app: App, person) -> None:
    a, _ = await a_cadre_with_a_ticket(app, person)
    await a_cadre_with_a_ticket(app, person, B_USER, B_NAME, B_PHONE)
    await add_staff(app)
    await person(STAFF_USER).command("reply", "2 已处理", chat_id=STAFF_CHAT)
    for data in FORGED:
        replies = await a.press(data)
        for r in a.mine(replies):
            assert r.text.strip(), data
            assert B_NAME not in r.text and B_PHONE not in r.text, (data, r.text)
    assert (await rows(app, Ticket, Ticket.id == 2))[0].rating is None


async def test_a_cadre_cannot_take_over_another_cadres_record_with_a_contact(
        app: App, person) -> None:
    """Only the sender's own number (Telegram sets contact.user_id to the sender) links.
    A contact card typed into the address book, or someone else's, does not."""
    b_id = await add_roster(app, B_NAME, B_PHONE)
    a = person(A_USER)
    for owner in (None, B_USER, 999):  # no Telegram user behind it; B's; someone else's
        [told] = a.mine(await a.share_phone(B_PHONE, contact_user_id=owner))
        assert told.text == ui("ui.contact_not_own")
        assert B_NAME not in told.text
    [account] = await rows(app, Account, Account.external_id == str(A_USER))
    assert account.cadre_id != b_id


async def test_a_cadres_replies_never_mention_another_cadre(app: App, person) -> None:
    b, b_id = await a_cadre_with_a_ticket(app, person, B_USER, B_NAME, B_PHONE)
    await b.say("我老伴摔倒了起不来")  # an emergency: a second, urgent ticket for B
    await b.say("打了三天电话都没人接，我要投诉")
    await add_staff(app)
    await person(STAFF_USER).command("reply", f"1 {B_NAME}同志，已处理", chat_id=STAFF_CHAT)

    a, a_id = await a_cadre_with_a_ticket(app, person)
    told: list[Reply] = []
    steps = [
        a.command("start"), a.say("你好"), a.say("转人工"), a.say("我要投诉"),
        a.command("ticket", "1"), a.command("ticket", "2"), a.command("queue"),
        a.command("reply", "1 hi"), a.press("claim:1"), a.press("close:2"),
        a.press("rate:1:1"), a.press("rate:2:1"), a.say(f"{B_NAME}的电话是多少"),
        a.say(B_PHONE), a.say(f"我是{B_NAME}"), a.share_phone(B_PHONE, contact_user_id=None),
        a.share_phone(B_PHONE, contact_user_id=B_USER), a.command("start", "ABCDEFGH"),
        a.say("再说一遍"), a.say("详细说说"), a.command("help"), a.command("voice"),
        a.say("我老伴摔倒了起不来"), a.press("pick:human_agent"),
    ]
    for step in steps:
        told += a.mine(await step)
    assert told
    for reply in told:
        assert B_NAME not in reply.text and B_PHONE not in reply.text, reply.text
        assert "0139" not in reply.text  # no part of B's number either
    [a_account] = await rows(app, Account, Account.external_id == str(A_USER))
    assert a_account.cadre_id == a_id
    [b_cadre] = await rows(app, Cadre, Cadre.id == b_id)
    assert (b_cadre.name, b_cadre.phone) == (B_NAME, B_PHONE)
