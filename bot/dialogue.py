"""One turn of the conversation, as a pure function of the state and the understood message.

The service loads the state, calls `step`, and stores what it returns; nothing here does I/O,
so both Telegram adapters and the console behave alike and a restart loses nothing.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import knowledge
from bot.answering import clarification, jsonable
from bot.asked import asked_sentence
from bot.render import render, sources_text
from intents import Understanding, understand
from intents.pinyin import is_han
from intents.slots import bare_number, without_places
from junxiu_core import CadreProfile, Decision, Escalation, FollowUp, Priority, answer

# Intents that break into any pending question: a person in trouble never waits for a form.
INTERRUPTS = knowledge.intents_where(interrupts=True)
ONBOARDING = "help"  # the pending intent of the region question asked at /start
ALERT_STAFF = "alert_staff"  # the health-concern offer: its follow-up slot (junxiu_core.safety)
REGIONAL_ANSWERS = knowledge.intents_where(regional=True)
NATIONAL = "national"  # a profile region: no region of ours known
PLACE = "place"  # "其他地区" pressed: which place, asked before handing over
MAX_PLACE_CHARS = 20
# What a pending question should not mistake for a new question.
CHATTER = knowledge.intents_where(chatter=True)
POLITE = knowledge.intents_where(polite=True)
MAX_RETRIES = 2  # re-ask a pending question this often before handing over to staff
REMEMBERED = {"region", "status", "rank"}  # answers to our own questions, kept in the profile
# The same facts said unasked are kept on the record only when the cadre agrees ("要我记下吗？").
CONSENT = "consent"  # the pending slot of that question
# Facts about the cadre said in any message, carried to the next questions of the same
# conversation (the pending window): "副师职退休" is not asked again three turns later.
FACTS = ("region", "place_other", "status", "rank", "age", "merits", "lives_alone",
         "self_care", "serious_illness", "last_sanatorium_year", "amount_yuan",
         "amount_approx", "date", "date_kind", "destination", "abroad")
# A message that only states facts ("我在吉林，退休的", "说错了，我是离休的") asks nothing: it is
# noted (or corrects the last answer), never taken for a policy question or a complaint.
STATEMENT_CHARS = 16
# ...unless the model is this sure of a topic ("我在上海，离休的" reads 0.48 medical.access).
TOPIC_SURE = 0.6
_CORRECTION = re.compile(r"说错了|搞错了|不对|弄错了|记错了|不是的")  # "说错了，我是离休的"
_QUESTION = re.compile(r"[吗么嘛呢?？]|多少|怎么|什么|啥|能不能|可不可以|行不行|有没有|是否|咋|哪|"
                       r"想问|问问|问一下|请问|咨询|打听")
# A message that asks something (not "12", "谢谢", a bare fact), for choosing what to lead with.
_ASKS = re.compile(_QUESTION.pattern + r"|多久|几|多长|多大|谁|不$")
COMPUTED_FROM = ("amount_yuan", "age", "date", "merits", "rank", "status")


# What a message right after an emergency is read as when it names nothing else: the same
# emergency (its ticket is joined, and what to do is said again).
STILL_THE_EMERGENCY = frozenset({"help", "out_of_scope", "checkin.reply", "health.concern"})


def pending_window(memory: Memory, ctx: Context) -> bool:
    return memory.facts_until is not None and ctx.now < memory.facts_until


class State(StrEnum):
    IDLE = "idle"
    AWAITING_SLOT = "awaiting_slot"  # a rule asked for a fact (amount, rank, region…)
    AWAITING_CHOICE = "awaiting_choice"  # torn between two topics: which one was meant


@dataclass(frozen=True)
class Memory:
    """The per-cadre conversation state the service keeps in the database."""

    state: State = State.IDLE
    pending_intent: str | None = None
    pending_slot: str | None = None
    slots: dict[str, Any] = field(default_factory=dict)
    options: tuple[str, ...] = ()  # button labels offered
    values: tuple[str, ...] = ()  # what each label stands for
    retries: int = 0
    question: str | None = None  # the cadre's message that led to the pending question
    prompt: str | None = None  # the question we asked, to ask again
    last_intent: str | None = None
    last_slots: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None
    facts: dict[str, Any] = field(default_factory=dict)  # FACTS said in this conversation
    facts_until: datetime | None = None
    offered_more: bool = False  # the last answer ended with "要详细说说吗？"
    consent_asked: bool = False  # "要我记下吗？" was asked in this conversation window
    layer: int = 0  # how deep the last answer went: 0 the first answer, 1 详细说说, 2 the sources

    def pending(self, now: datetime) -> bool:
        return self.state != State.IDLE and (self.expires_at is None or now < self.expires_at)


@dataclass(frozen=True)
class Turn:
    """What one message leads to. `decision` is None for turns that are not an answer."""

    text: str
    memory: Memory
    intent: str
    decision: Decision | None = None
    options: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    escalation: Escalation | None = None
    learned: dict[str, Any] = field(default_factory=dict)  # facts to keep in the profile


@dataclass(frozen=True)
class Context:
    profile: CadreProfile
    today: date
    now: datetime
    pending_for: timedelta
    on_roster: bool = False  # the record comes from the agency's roster: it wins over a guess
    # How long the offer to alert the duty staff waits; then the shell alerts them anyway.
    offer_for: timedelta = timedelta(minutes=3)


def kb_string(key: str) -> str:
    return knowledge.load().string(key)


def _words(key: str) -> tuple[str, ...]:
    return tuple(knowledge.load().string(key).split())


def _is(text: str, key: str) -> bool:
    bare = text.strip(" ,.!?，。！？~")
    return bare in _words(key)


def step(memory: Memory, u: Understanding, ctx: Context, *, choice: str | None = None
         ) -> Turn:
    """Decide one turn. `choice` is the value of a pressed button, if one was pressed."""
    # our own region question is waiting: a region in whatever comes next answers it, even
    # inside a first question ("我是吉林退休的，…能给补多少" right after /start)
    asked_region = memory.pending(ctx.now) and memory.pending_slot == "region"
    turn = _decide(memory, u, ctx, choice)
    if asked_region and u.slots.get("region") and "region" not in turn.learned:
        turn = replace(turn, learned={**turn.learned, "region": u.slots["region"]})
    return _asking_consent(turn, ctx)


def _decide(memory: Memory, u: Understanding, ctx: Context, choice: str | None) -> Turn:
    kb = knowledge.load()
    memory = _with_facts(memory, u, ctx)
    if memory.pending_slot == CONSENT and memory.pending(ctx.now):
        value = choice if choice is not None else _option_value(memory, u.text)
        if value in ("yes", "no") and u.intent != "emergency":
            return _consent_answered(memory, value)
        memory = _idle(memory)  # anything else: the question lapses, the facts stay for now
    pending = memory.pending(ctx.now)

    if u.intent == "emergency" or (memory.last_intent == "emergency" and pending_window(
            memory, ctx) and u.intent in STILL_THE_EMERGENCY):
        # "打了 车快到了 俺还用干啥" right after an emergency is about it, not a new subject
        return _answer("emergency", {}, u, ctx, memory)
    if _is(u.text, "ui.words.cancel"):
        return Turn(kb.string("ui.cancelled"), _idle(memory), "cancel")
    if _is(u.text, "ui.words.repeat") and memory.last_intent:
        # Said again, not asked again: no second ticket for the same question.
        return replace(_answer(memory.last_intent, memory.last_slots, u, ctx, memory,
                               again=True), escalation=None)
    if memory.last_intent and (_is(u.text, "ui.words.detail") or (
            memory.offered_more and not pending and _is(u.text, "ui.words.yes"))):
        if memory.layer >= 1:  # 详细说说 again: the articles themselves, never the same text
            return _sources(memory, u, ctx)
        return replace(_answer(memory.last_intent, memory.last_slots, u, ctx, memory,
                               detailed=True), escalation=None)
    if u.intent == "smalltalk.goodbye" and memory.last_intent in BEREAVED:
        return Turn(kb.string("ui.goodbye.bereaved"), _idle(memory), u.intent)
    if (not pending and memory.last_intent in AGE_READ and pending_window(memory, ctx)
            and (age := _bare_age(u)) is not None):
        # "79" right after the sanatorium answer: the age its rule reads, the answer again
        u = replace(u, slots={**u.slots, "age": age})
    if not pending and _states_facts(u):
        return _noted(memory, u, ctx)
    if pending and (u.intent in POLITE or u.intent == "help") and not _said_facts(u) \
            and _option_value(memory, u.text) is None:
        # "你好" / "谢谢" / "你都能干啥" while we wait for an answer: reply, keep the question open
        return replace(_answer(u.intent, {}, u, ctx, memory), memory=memory)
    if pending and (u.intent not in INTERRUPTS or choice is not None):  # a pressed button
        # answers the question it was offered with, whatever its label reads like
        turn = _continue(memory, u, ctx, choice)
        if turn is not None:
            return turn
    if u.clarify:
        follow_up = clarification(u)
        values = (*(intent for intent, _ in u.alternatives[:2]), "human_agent")
        memory = Memory(State.AWAITING_CHOICE, slots=jsonable(u.slots),
                        options=follow_up.options, values=values, question=u.text,
                        prompt=follow_up.question, last_intent=memory.last_intent,
                        last_slots=memory.last_slots,
                        expires_at=ctx.now + ctx.pending_for, facts=memory.facts,
                        facts_until=memory.facts_until, consent_asked=memory.consent_asked)
        return Turn(spoken_choices(follow_up.question, follow_up.options), memory, u.intent,
                    options=follow_up.options, values=values)
    return _answer(u.intent, u.slots, u, ctx, memory)


BEREAVED = {"bereavement.news", "bereavement"}  # a goodbye then wishes no good health


def _said_facts(u: Understanding) -> bool:
    return any(u.slots.get(k) not in (None, []) for k in FACTS)


def _states_facts(u: Understanding) -> bool:
    if u.intent in INTERRUPTS and u.intent != "complaint":
        return False
    if u.intent in REGIONAL_ANSWERS and u.confidence >= TOPIC_SURE:
        return False  # "我在吉林，想去疗养": a topic, asked without a question mark
    if u.intent == "complaint" and u.confidence >= 0.9 and not _CORRECTION.search(u.text):
        return False
    return (_said_facts(u) and sum(ch.isalnum() for ch in u.text) <= STATEMENT_CHARS
            and not _QUESTION.search(u.said or u.text))  # "想问问…" is normalised away


def _noted(memory: Memory, u: Understanding, ctx: Context) -> Turn:
    """Facts stated with no question: they correct the last answer if there was one, or are
    noted with an invitation to ask."""
    if memory.last_intent in REGIONAL_ANSWERS:
        # "说错了，他是副师职": the last question again, with what is now said winning
        slots = {**{k: v for k, v in memory.last_slots.items() if k != "aspect"},
                 **jsonable(u.slots)}
        turn = _answer(memory.last_intent, slots, u, ctx, memory)
        text = knowledge.load().string("ui.facts_corrected") + "\n" + turn.text
        return replace(turn, text=text)
    kb = knowledge.load()
    said = [kb.string(f"fact.{name}", value=_spoken_fact(kb, name, u.slots[name]))
            for name in SPOKEN_FACTS if u.slots.get(name) not in (None, [])]
    text = kb.string("ui.facts_noted", facts="，".join(said))  # clauses of one sentence
    return Turn(text, _idle(memory), "facts")


SPOKEN_FACTS = ("region", "place_other", "status", "rank", "age")  # said back when noted


def _spoken_fact(kb: knowledge.KnowledgeBase, name: str, value: Any) -> str:
    if name == "region":
        return kb.strings.get(f"region.{value}", str(value))
    return str(value)


def _continue(memory: Memory, u: Understanding, ctx: Context, choice: str | None
              ) -> Turn | None:
    """Use the message as the answer to the pending question, or return None if it is not."""
    value = choice if choice is not None else _option_value(memory, u.text)
    if value is None and memory.pending_intent == ONBOARDING and _is_new_question(u):
        return None  # the region asked at /start never swallows the first real question
    if memory.pending_intent == ONBOARDING and u.reason == MORE_THAN_THE_PLACE:
        return None  # nor what is said beside the place ("明朝上海落雨伐")
    if memory.state == State.AWAITING_CHOICE:
        if value is None:
            return None if _is_new_question(u) else _reask(memory, u, ctx)
        return _answer(value, memory.slots, u, ctx, _idle(memory))
    slot = memory.pending_slot or ""
    if slot == PLACE:
        return _place_answered(memory, u, ctx)
    found = _slot_from(slot, value, u.slots, u.text)
    if found is None:
        if _is_new_question(u):
            return None
        if u.slots:  # "我是退休的" while we wait for the amount: keep it, ask again kindly
            slots = {**memory.slots, **jsonable(u.slots)}
            return _answer(memory.pending_intent or u.intent, slots, u, ctx, _idle(memory))
        return _reask(memory, u, ctx)
    if slot == "region" and found == "other":
        if u.slots.get("place_other"):
            return _outside(memory, u.slots["place_other"], u, ctx)
        # "其他地区": which place, first; then the question goes to staff with it.
        kb = knowledge.load()
        asking = replace(memory, pending_slot=PLACE, options=(), values=(), retries=0,
                         prompt=kb.string("ask.place"), expires_at=ctx.now + ctx.pending_for)
        return Turn(kb.string("ask.place"), asking, "ask.place")
    slots = {**memory.slots, **u.slots, slot: found}
    learned = {slot: found} if slot in REMEMBERED else {}
    turn = _answer(memory.pending_intent or u.intent, slots, u, ctx, _idle(memory))
    return replace(turn, learned={**turn.learned, **learned})


def _place_answered(memory: Memory, u: Understanding, ctx: Context) -> Turn | None:
    region = u.slots.get("region")
    if region:  # one of ours after all
        slots = {**memory.slots, "region": region}
        turn = _answer(memory.pending_intent or u.intent, slots, u, ctx, _idle(memory))
        return replace(turn, learned={"region": region})
    place = u.slots.get("place_other")
    if place is None:
        if _is_new_question(u):
            return None
        place = u.text.strip(" ,.!?，。！？")[:MAX_PLACE_CHARS]
    return _outside(memory, place, u, ctx) if place else _reask(memory, u, ctx)


def _outside(memory: Memory, place: str, u: Understanding, ctx: Context) -> Turn:
    """A cadre settled where the knowledge base has no rules: staff answer by the local rules
    (DB31/T 1044 5.11.2); the place is kept, and what the national measures say is told."""
    about = memory.pending_intent if memory.pending_intent not in (None, ONBOARDING) else None
    slots = {**memory.slots, "place_other": place, **({"about": about} if about else {})}
    facts = {**{k: v for k, v in memory.facts.items() if k != "region"}, "place_other": place}
    return _answer("policy.other", slots, u, ctx, replace(_idle(memory), facts=facts))


def _volunteered(memory: Memory, ctx: Context, turn: Turn) -> dict[str, Any]:
    """Facts about the cadre said unasked in this conversation that the record lacks or holds
    otherwise; the roster's own values are not offered for change (the roster wins)."""
    out: dict[str, Any] = {}
    for name in sorted(REMEMBERED):
        value = memory.facts.get(name)
        if value in (None, "", "other") or name in turn.learned:
            continue
        held = getattr(ctx.profile, name)
        held = None if held in (None, NATIONAL) else str(held)
        if held == value or (held is not None and ctx.on_roster):
            continue
        out[name] = value
    return out


def _asking_consent(turn: Turn, ctx: Context) -> Turn:
    """Ask whether to keep what the cadre told us about themselves ("我是吉林的退休干部"):
    "吉林、退休，要我记下来吗？" — once per conversation, at the first turn that asks nothing
    else (never beside "要详细说说吗？" or our own question: one question at a time). A fact
    said about a relative ("我父亲是离休干部") is asked about too: nothing is kept unmeant."""
    kb = knowledge.load()
    memory = turn.memory
    if (memory.state != State.IDLE or memory.consent_asked or turn.intent in (CONSENT, "cancel")
            or (turn.escalation is not None and turn.escalation.hands_over)
            or kb_string("ui.offer_more") in turn.text):
        return turn
    facts = _volunteered(memory, ctx, turn)
    if not facts:
        return turn
    spoken = kb.string("ui.consent.joiner").join(
        _spoken_fact(kb, name, facts[name]) for name in SPOKEN_FACTS if name in facts)
    question = kb.string("ask.consent", facts=spoken)
    options = tuple(kb.string("ask.consent.options").split())
    memory = replace(memory, state=State.AWAITING_SLOT, pending_slot=CONSENT,
                     pending_intent=memory.last_intent, slots=facts, options=options,
                     values=("yes", "no"), prompt=question, retries=0,
                     expires_at=ctx.now + ctx.pending_for, consent_asked=True)
    return replace(turn, text=closing_question(turn.text, question), memory=memory,
                   options=options, values=("yes", "no"))


def closing_question(text: str, question: str) -> str:
    """`question` as the text's last line before the citation."""
    lines = text.split("\n")
    at = len(lines) - 1 if lines and lines[-1].startswith(CITATION_START) else len(lines)
    return "\n".join([*lines[:at], question, *lines[at:]])


CITATION_START = "依据："  # bot.render.citation_line


def _consent_answered(memory: Memory, value: str | None) -> Turn | None:
    keep, declined = value == "yes", value == "no"
    if not keep and not declined:
        return None  # another question: answered; the facts stay for this conversation only
    kb = knowledge.load()
    idle = _idle(memory)
    if keep:
        return Turn(kb.string("ui.consent.saved"), idle, CONSENT, learned=dict(memory.slots))
    return Turn(kb.string("ui.consent.declined"), idle, CONSENT)


# A bare number below this, given as the amount we asked for ("12"), is in 万: the question's
# own example reads "比如十二万", and nobody asks for a subsidy on twelve yuan.
WAN_BELOW = 1000
AGE_RANGE = (40, 120)  # a bare number given as the age we asked for


def _slot_from(slot: str, button_value: str | None, slots: dict[str, Any],
               text: str = "") -> Any:
    if button_value is not None:
        return [button_value] if slot == "merits" else button_value
    if slot == "amount_yuan" and not slots.get(slot):
        number = bare_number(text)
        if number is not None and number > 0:
            return round(number * 10_000 if number < WAN_BELOW else number)
    if slot == "age" and not slots.get(slot) and (age := _age_in(text)) is not None:
        return age
    if slot == "region" and slots.get("place_other"):
        return "other"
    return slots.get(slot)


AGE_READ = frozenset({"sanatorium.eligibility"})  # the rules that read the age (junxiu_core)


def _bare_age(u: Understanding) -> int | None:
    if u.slots.get("age") or any(u.slots.get(k) for k in ("amount_yuan", "date")):
        return None
    return _age_in(u.text)


def _age_in(text: str) -> int | None:
    """A bare number that can be an age: "79" to "您今年多大岁数了？" or after the answer."""
    number = bare_number(text)
    return int(number) if number is not None and AGE_RANGE[0] <= number <= AGE_RANGE[1] \
        else None


def _option_value(memory: Memory, text: str) -> str | None:
    bare = text.strip(" ,.!?，。！？")
    for label, value in zip(memory.options, memory.values, strict=False):
        if bare == label:
            return value
    if memory.pending_slot in (ALERT_STAFF, CONSENT) and memory.values and (
            _is(bare, "ui.words.yes") or _is(bare, "ui.words.keep")):
        return memory.values[0]  # "好的" to "要我通知值班的吗？" or to "要我记下来吗？"
    if memory.pending_slot == CONSENT and _is(bare, "ui.words.no"):
        return memory.values[1]
    return None


MORE_THAN_THE_PLACE = "beside_the_place"  # Understanding.reason: see beside_the_place
SAYS_MORE = 0.6  # how sure the understanding of the rest must be to answer it
ONLY_THE_PLACE = frozenset({"help", "smalltalk.greeting", "smalltalk.thanks",
                            "smalltalk.goodbye"})


@functools.cache
def _place_words() -> re.Pattern[str]:
    """What goes with a place in an answer to "where" (ui.words.with_place): 我在…, 俺是…的."""
    words = sorted(_words("ui.words.with_place"), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


REST_MIN_CHARS = 3  # characters said beside the place, at least, to be more than it


def beside_the_place(u: Understanding, today: date) -> Understanding:
    """A message answering our region question, understood without its place names: "明朝上海
    落雨伐" asks about the weather and "威海的 老头子刚才起床晕了一下" tells of a worry, while
    "威海的", "我在上海" or "上海的，你好" give only the place. Only when the whole message
    reads as small talk (it would be taken for the bare answer); the region is kept either
    way."""
    if u.intent not in CHATTER or not u.slots.get("region"):
        return u
    rest_text = without_places(u.text).lstrip(" ，,。：:的")
    if sum(is_han(ch) for ch in _place_words().sub("", rest_text)) < REST_MIN_CHARS:
        return u  # "我在上海": the place and the words that go with it
    rest = understand(rest_text, today)
    if (rest.reason not in ("matched", "emergency", "head") or rest.confidence < SAYS_MORE
            or rest.intent in ONLY_THE_PLACE):
        return u
    return replace(rest, text=u.text, said=u.said, slots={**rest.slots, **u.slots},
                   reason=MORE_THAN_THE_PLACE if rest.reason == "matched" else rest.reason)


def _is_new_question(u: Understanding) -> bool:
    return u.intent not in CHATTER and u.reason in ("matched", "prior")


def _reask(memory: Memory, u: Understanding, ctx: Context) -> Turn:
    if memory.retries + 1 >= MAX_RETRIES:
        # Still unsure after asking twice: a person takes over (and nothing is lost).
        turn = _answer("human_agent", memory.slots, u, ctx, _idle(memory))
        return replace(turn, escalation=Escalation("intent.unclear", Priority.NORMAL))
    memory = replace(memory, retries=memory.retries + 1)
    prompt = memory.prompt or ""
    if memory.state == State.AWAITING_CHOICE:
        prompt = spoken_choices(prompt, memory.options)
    text = knowledge.load().string("ui.reask") + prompt
    return Turn(text, memory, "reask", options=memory.options, values=memory.values)


def _with_facts(memory: Memory, u: Understanding, ctx: Context) -> Memory:
    """The facts still in the window, with what this message says winning over older ones."""
    fresh = memory.facts_until is not None and ctx.now < memory.facts_until
    facts = dict(memory.facts) if fresh else {}
    said = {k: v for k, v in jsonable(u.slots).items() if k in FACTS and v not in (None, [])}
    if "region" in said:
        facts.pop("place_other", None)
    if "place_other" in said:
        facts.pop("region", None)
    facts.update(said)
    return replace(memory, facts=facts, facts_until=ctx.now + ctx.pending_for,
                   consent_asked=memory.consent_asked and fresh)


def _answer(intent: str, slots: dict[str, Any], u: Understanding, ctx: Context,
            memory: Memory, *, detailed: bool = False, again: bool = False) -> Turn:
    """The rule's answer; `again` (再说一遍) says the last answer as it was."""
    slots = {**memory.facts, **slots}
    if (intent in REGIONAL_ANSWERS and slots.get("place_other") and not slots.get("region")
            and ctx.profile.region == NATIONAL):
        # "我在广州", then "疗养怎么安排": a place without rules here, said earlier in the
        # conversation, makes the question staff's (DB31/T 1044 5.11.2), with the national word
        slots = {**slots, "about": intent}
        intent = "policy.other"
    if intent == "bereavement" and u.death_recent and intent == u.intent:
        slots = {**slots, "death_reported": True}  # condolence and staff, beside the answer
    if u.topic and intent == u.intent and "about" not in slots:
        # what a complaint (or policy.other) is about, unless the conversation already says:
        # 医疗补助怎么算 → 其他地区 → "我在湖南长沙" is about the subsidy, not what 长沙 reads like
        slots["about"] = u.topic
    decision = answer(intent, slots, ctx.profile, ctx.today)
    offer = None if decision.intent in CHATTER else kb_string("ui.offer_more")
    if (not detailed and not again and intent == memory.last_intent and _follow_up(u)
            and intent in REGIONAL_ANSWERS and _same_question(slots, memory.last_slots)):
        # the same topic again with nothing new ("那要怎么申请", "多久能去一次"): the next layer,
        # never the same text twice
        detailed = True
    # "那要怎么申请": the procedure is often the first answer itself ("本人向军休所申请…"), so the
    # next layer comes with it
    how = detailed and not again and slots.get("aspect") == "how"
    lead = None
    if (intent in REGIONAL_ANSWERS and not again and decision.follow_up is None
            and _ASKS.search(u.text) and not any(u.slots.get(k) for k in COMPUTED_FROM)):
        # "一批多少人", "多久能去一次": the sentence asked about first, in whichever layer (a
        # figure computed from what the message says leads its own answer)
        lead = asked_sentence(u.text, decision.answer, [*decision.points, *decision.more],
                              detailed=detailed)
    text = render(decision, detailed=detailed, offer=offer, with_answer=how, lead=lead)
    follow_up: FollowUp | None = decision.follow_up
    if follow_up is not None:
        wait = ctx.offer_for if follow_up.slot == ALERT_STAFF else ctx.pending_for
        memory = Memory(State.AWAITING_SLOT, pending_intent=intent, pending_slot=follow_up.slot,
                        slots=jsonable(slots), options=follow_up.options,
                        values=follow_up.values, question=u.text, prompt=follow_up.question,
                        last_intent=intent,
                        last_slots=jsonable(slots), expires_at=ctx.now + wait,
                        facts=memory.facts, facts_until=memory.facts_until,
                        consent_asked=memory.consent_asked)
    else:
        memory = replace(_idle(memory), last_intent=intent, last_slots=jsonable(slots),
                         offered_more=bool(offer and offer in text), layer=int(detailed))
    return Turn(text, memory, intent, decision,
                options=follow_up.options if follow_up else (),
                values=follow_up.values if follow_up else (),
                escalation=decision.escalation)


def _sources(memory: Memory, u: Understanding, ctx: Context) -> Turn:
    """The third layer: what the cited articles say, in their own words; after that, there is
    nothing more in the documents, and a person can say more."""
    kb = knowledge.load()
    idle = replace(_idle(memory), layer=memory.layer + 1)
    if memory.layer >= 2 or memory.last_intent is None:
        return Turn(kb.string("ui.detail.all_said"), idle, "detail.all_said")
    slots = {**memory.facts, **memory.last_slots}
    decision = answer(memory.last_intent, slots, ctx.profile, ctx.today)
    text = sources_text(decision.citations, kb)
    if not text:
        return Turn(kb.string("ui.detail.all_said"), idle, "detail.all_said")
    return Turn(text, idle, memory.last_intent)


FOLLOW_UP_CHARS = 12  # intents.understand: a follow-up this short names no topic itself


def _follow_up(u: Understanding) -> bool:
    """A short message leaning on the last answer ("多久能去一次"), not the question again in
    full (asked twice, it is answered twice)."""
    if any(u.slots.get(k) for k in COMPUTED_FROM):
        return False  # "吉林退休自付十二万" again: the figure again, not the next layer
    return u.reason == "prior" or sum(ch.isalnum() for ch in u.text) <= FOLLOW_UP_CHARS


def _same_question(slots: dict[str, Any], last: dict[str, Any]) -> bool:
    """The same facts as the last answer's; "how to apply" is the same question asked further,
    any other part of the topic ("护照呢") a new one."""
    how = slots.get("aspect") == "how"

    def strip(d: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in jsonable(d).items() if not (how and k == "aspect")}
    return strip(slots) == strip(last)


def spoken_choices(question: str, options: tuple[str, ...]) -> str:
    """The choices in the text as well as on the buttons, for someone listening."""
    if not options:
        return question
    kb = knowledge.load()
    numbered = kb.string("ui.choices.joiner").join(
        kb.string("ui.choices.item", n=n, label=label)
        for n, label in zip(kb.string("ui.choices.numbers").split(), options, strict=False))
    return f"{question}{numbered}。"


def _idle(memory: Memory) -> Memory:
    return Memory(last_intent=memory.last_intent, last_slots=memory.last_slots,
                  facts=memory.facts, facts_until=memory.facts_until,
                  consent_asked=memory.consent_asked)
