"""The conversation service without Telegram: storage first, multi-turn memory, hand-overs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

import knowledge
from bot.app import App, build_app
from bot.settings import Settings
from bot.storage.db import make_sessions
from bot.storage.models import Cadre, Message, Ticket
from junxiu_core import Priority
from tests.bot.conftest import Chat, Clock, staff_posts

QUESTION = "我在吉林，退休的，医疗补助怎么算"
AMOUNT = "十二万"
SUBSIDY = "四万五千元"  # 吉林 退休: (10万-5万)×70% + (12万-10万)×50%
# The pending question (with 退休 given) completed. A fresh "十二万" may still be read as a
# new subsidy question, but without the status it is only a conditional figure.
COMPLETED = "大约能补助" + SUBSIDY


def ui(key: str) -> str:
    return knowledge.load().string(key)


async def rows(app: App, model: type, *where) -> list:
    async with make_sessions(app.engine)() as s:
        return list((await s.scalars(select(model).where(*where).order_by(model.id))).all())


async def only_cadre(app: App) -> Cadre:
    [cadre] = await rows(app, Cadre)
    return cadre


# -- storage first ---------------------------------------------------------------------------


async def test_inbound_is_stored_before_processing_and_answered_on_resume(
        app: App, chat: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_step(*args, **kwargs):
        raise RuntimeError("the process died while thinking")

    monkeypatch.setattr("bot.handlers.conversation.step", broken_step)
    with pytest.raises(RuntimeError):
        await chat.say("吉林退休干部自付十二万能补多少")

    [inbound] = await rows(app, Message)
    assert (inbound.direction, inbound.text) == ("in", "吉林退休干部自付十二万能补多少")
    assert inbound.processed_at is None

    monkeypatch.undo()  # "restarted": the service finishes what it had stored
    replies = await app.service.resume("console")
    assert SUBSIDY in "\n".join(r.text for r in chat.mine(replies))
    [inbound] = await rows(app, Message, Message.direction == "in")
    assert inbound.processed_at is not None
    assert await app.service.resume("console") == []


async def test_a_redelivered_update_is_answered_once(app: App, chat: Chat) -> None:
    first = await chat.send(chat.incoming("你好", update_id=77))
    again = await chat.send(chat.incoming("你好", update_id=77))
    assert first
    assert again == []
    assert len(await rows(app, Message, Message.direction == "in")) == 1


# -- multi-turn ------------------------------------------------------------------------------


async def test_a_missing_amount_is_asked_for_and_the_next_message_completes_it(
        chat: Chat) -> None:
    asked = await chat.answer(QUESTION)
    assert ui("ask.amount") in asked
    assert SUBSIDY not in asked

    answered = await chat.answer(AMOUNT)
    assert SUBSIDY in answered
    assert "第二十条" in answered


async def test_cancel_drops_the_pending_question(chat: Chat) -> None:
    await chat.say(QUESTION)
    assert await chat.answer("算了") == ui("ui.cancelled")
    said = await chat.answer("嗯")  # nothing is waiting for an answer any more
    assert ui("ask.amount") not in said and ui("ui.reask") not in said


async def test_repeat_says_the_last_answer_again(chat: Chat) -> None:
    await chat.say(QUESTION)
    answered = await chat.answer(AMOUNT)
    assert await chat.answer("再说一遍") == answered


async def test_asking_for_a_person_mid_question_opens_a_ticket_for_staff(
        app: App, chat: Chat, settings: Settings) -> None:
    await chat.say(QUESTION)
    replies = await chat.say("转人工")

    notice = knowledge.load().string("ui.ticket.opened", n=1, days=settings.sla_working_days)
    [told] = chat.mine(replies)  # one message to the cadre, the ticket number in it
    assert told.text.endswith(notice)
    [post] = staff_posts(replies)
    assert post.chat_id == "-100500"
    assert "#1" in post.text
    [ticket] = await rows(app, Ticket)
    assert ticket.reason == "human_agent"
    assert ticket.status == "open"
    # the pending question was handed over: nothing waits for the amount any more
    said = await chat.answer("嗯")
    assert ui("ask.amount") not in said and ui("ui.reask") not in said


async def test_a_pending_question_survives_a_restart(
        app: App, chat: Chat, settings: Settings, clock: Clock,
        update_ids: Iterator[int]) -> None:
    await chat.say(QUESTION)
    await app.close()

    restarted = await build_app(settings, clock=clock)  # same database file
    try:
        after = Chat(restarted, clock, update_ids)
        assert SUBSIDY in await after.answer(AMOUNT)
    finally:
        await restarted.close()


async def test_a_pending_question_waits_hours_for_its_answer(chat: Chat, clock: Clock) -> None:
    await chat.say(QUESTION)
    clock.advance(hours=3)
    assert SUBSIDY in await chat.answer(AMOUNT)


async def test_a_pending_question_expires_after_the_window(
        chat: Chat, clock: Clock, settings: Settings) -> None:
    await chat.say(QUESTION)
    clock.advance(hours=settings.pending_hours, minutes=1)
    assert not (await chat.answer(AMOUNT)).startswith(COMPLETED)


# -- start -----------------------------------------------------------------------------------


async def test_start_shows_the_menu_and_asks_a_new_cadre_for_the_region(
        app: App, chat: Chat) -> None:
    menu, region = chat.mine(await chat.command("start"))

    assert menu.text == ui("ui.welcome")
    labels = [label for row in menu.keyboard for label in row]
    assert "找工作人员" in labels
    assert menu.request_contact == ui("ui.share_phone")
    assert region.text == ui("ask.region")
    assert [b.data for row in region.buttons for b in row] == [
        f"pick:{v}" for v in ui("ask.region.values").split()]


async def test_the_region_picked_after_start_is_remembered(app: App, chat: Chat) -> None:
    await chat.command("start")
    await chat.press("pick:jilin")

    assert (await only_cadre(app)).region == "jilin"
    asked = await chat.answer("医疗补助怎么算")  # no need to ask the region again
    assert ui("ask.region") not in asked
    assert ui("ask.amount") in asked


async def test_start_does_not_ask_the_region_twice(app: App, chat: Chat) -> None:
    await chat.command("start")
    await chat.press("pick:jilin")
    [menu] = chat.mine(await chat.command("start"))
    assert menu.text == ui("ui.welcome")


# -- emergencies -----------------------------------------------------------------------------


async def test_an_emergency_says_call_120_and_alerts_staff_at_once(
        app: App, chat: Chat) -> None:
    replies = await chat.say("我老伴摔倒了起不来")

    assert "120" in chat.mine(replies)[0].text
    [post] = staff_posts(replies)
    assert "#1" in post.text
    assert "我老伴摔倒了起不来" in post.text
    [ticket] = await rows(app, Ticket)
    assert (ticket.reason, ticket.priority) == ("emergency", int(Priority.URGENT))
    assert ticket.sla_due_at - ticket.created_at <= timedelta(minutes=10)


async def test_an_emergency_breaks_into_a_pending_question(app: App, chat: Chat) -> None:
    await chat.say(QUESTION)
    replies = await chat.say("我老伴摔倒了起不来")
    assert "120" in chat.mine(replies)[0].text
    assert staff_posts(replies)



async def test_saying_thanks_while_a_question_waits_keeps_it_open(chat: Chat) -> None:
    await chat.say(QUESTION)
    assert await chat.answer("谢谢") == knowledge.load().entry("smalltalk.thanks", "national")\
        .answer
    assert (await chat.answer(AMOUNT)).startswith(COMPLETED)


# -- the first day ---------------------------------------------------------------------------


async def test_the_first_question_after_start_is_answered_not_swallowed_by_the_region_prompt(
        app: App, chat: Chat) -> None:
    await chat.command("start")
    said = await chat.answer("我是吉林退休的，今年看病自己掏了十二万，能给补多少")
    assert SUBSIDY in said
    assert (await only_cadre(app)).region == "jilin"


async def test_a_first_question_without_a_region_is_answered_and_the_region_still_asked(
        chat: Chat) -> None:
    await chat.command("start")
    said = await chat.answer("我能参加荣誉疗养吗")
    assert ui("ui.menu") not in said
    assert "疗养" in said


async def test_a_death_told_right_after_start_gets_condolence_and_a_ticket(
        app: App, chat: Chat) -> None:
    await chat.command("start")
    replies = await chat.say("我父亲今天早上去世了")
    assert "节哀" in chat.mine(replies)[0].text
    assert ui("ask.region") not in chat.mine(replies)[0].text
    [ticket] = await rows(app, Ticket)
    assert ticket.reason == "bereavement.news"


# -- safety: the health worry, the death reported ------------------------------------------


async def test_a_health_worry_offers_the_duty_staff_and_the_button_alerts_them(
        app: App, chat: Chat) -> None:
    replies = await chat.say("这几天老是头晕，吃饭也不香")
    [offer] = chat.mine(replies)
    assert "120" in offer.text
    [[button]] = offer.buttons
    assert button.label == ui("health.concern.button")
    assert await rows(app, Ticket) == []
    replies = await chat.press(button.data)
    assert ui("health.concern.alerted") in chat.mine(replies)[0].text
    [ticket] = await rows(app, Ticket)
    assert (ticket.reason, ticket.priority) == ("health.concern", int(Priority.HIGH))
    assert staff_posts(replies)


async def test_a_spoken_yes_to_the_offer_alerts_the_duty_staff_too(
        app: App, chat: Chat) -> None:
    await chat.say("这几天老是头晕，吃饭也不香")
    await chat.say("好的")
    [ticket] = await rows(app, Ticket)
    assert ticket.reason == "health.concern"


async def test_no_answer_to_the_offer_in_three_minutes_alerts_staff_at_normal_priority(
        app: App, chat: Chat, clock: Clock) -> None:
    await chat.say("这几天老是头晕，吃饭也不香")
    clock.advance(minutes=2)
    assert staff_posts(await app.service.tick_escalations()) == []
    clock.advance(minutes=2)
    [post] = staff_posts(await app.service.tick_escalations())
    assert "头晕" in post.text
    [ticket] = await rows(app, Ticket)
    assert (ticket.reason, ticket.priority) == ("health.concern.timeout",
                                                int(Priority.NORMAL))
    assert staff_posts(await app.service.tick_escalations()) == []  # once


async def test_news_of_a_death_opens_a_ticket_and_is_never_answered_with_a_wish(
        app: App, chat: Chat) -> None:
    replies = await chat.say("老伴昨晚走了")
    text = chat.mine(replies)[0].text
    assert "节哀" in text and "健康" not in text and "120" not in text
    [ticket] = await rows(app, Ticket)
    assert (ticket.reason, ticket.priority) == ("bereavement.news", int(Priority.HIGH))


async def test_facts_said_once_are_not_asked_again_on_the_next_questions(chat: Chat) -> None:
    await chat.say("我是吉林的，退休干部")
    said = await chat.answer("自付了十二万能补多少")
    assert SUBSIDY in said
    said = await chat.answer("那十五万呢")  # status and region still known
    assert "六万元" in said
    assert ui("ask.status") not in said


async def test_a_new_statement_wins_over_an_old_one(chat: Chat) -> None:
    await chat.say("我是吉林的退休干部")
    said = await chat.answer("说错了，我是离休的，自付十二万能补多少")
    assert SUBSIDY not in said


@pytest.mark.parametrize(("reply", "figure"), [("九万", "两万八千元"), ("12", SUBSIDY),
                                               ("十二万块", SUBSIDY)])
async def test_a_bare_amount_answers_the_amount_question(chat: Chat, reply: str,
                                                          figure: str) -> None:
    await chat.say(QUESTION)
    assert figure in await chat.answer(reply)



# -- answers for the ear ---------------------------------------------------------------------


async def test_a_first_answer_leads_with_the_figure_and_offers_more(chat: Chat) -> None:
    said = await chat.answer("我在吉林，退休的，自付了十二万能补多少")
    lines = said.splitlines()
    # facts said unasked are used, not yet saved: "要我记下吗" waits for a turn asking nothing
    assert lines[0].startswith(COMPLETED)
    assert ui("ui.region_saved").format(region="吉林") not in said
    assert ui("ui.offer_more") in said
    assert lines[-1].startswith("依据：")  # the citation stays last
    assert len([line for line in lines if not line.startswith("依据")]) <= 5


async def test_detail_gives_the_next_layer_never_the_same_text(chat: Chat) -> None:
    first = await chat.answer("我在吉林，退休的，自付了十二万能补多少")
    more = await chat.answer("详细说说")
    assert more != first
    assert not more.startswith(COMPLETED)  # not the first answer again
    assert "五万元以内的部分不补" in more


async def test_an_answer_that_hands_over_keeps_its_instructions(chat: Chat) -> None:
    said = await chat.answer("我老伴摔倒了起不来")
    assert ui("ui.offer_more") not in said
    assert len(said.splitlines()) >= 3


async def test_a_natural_follow_up_stays_on_the_topic(chat: Chat) -> None:
    await chat.say("我要去国外看孙子要办啥手续")
    said = await chat.answer("要是待半年呢")
    assert ui("intent.label.out_of_scope") not in said
    assert "出发前" in said or "出国" in said  # the travel topic, its next layer


async def test_other_region_asks_which_place_before_handing_over(app: App, chat: Chat) -> None:
    await chat.say("医疗补助怎么算")
    asked = "\n".join(r.text for r in chat.mine(await chat.press("pick:other")))
    assert ui("ask.place") in asked
    assert await rows(app, Ticket) == []
    said = await chat.answer("广州")
    assert "广州" in said and "吉林" not in said and "上海" not in said
    [ticket] = await rows(app, Ticket)
    assert ticket.reason == "policy.other"
