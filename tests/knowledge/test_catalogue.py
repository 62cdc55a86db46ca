"""The intent catalogue is the one table of intent properties (knowledge/data/intents.yaml)."""

from knowledge import catalogue, intents_where

# shared/INTENTS.md: every id, and those handed to staff (escalate: true in ask --json).
INTENTS_MD = {
    "sanatorium.eligibility", "sanatorium.arrangements", "medical.subsidy", "medical.checkup",
    "medical.access", "nursing.allowance", "travel.abroad", "contact.lost", "party.membership",
    "social_org.parttime", "residence.change", "pension.allowances", "bereavement",
    "bereavement.news", "health.concern", "elderly_care", "visits", "culture.education",
    "honors", "complaint", "emergency", "policy.other", "human_agent", "checkin.reply",
    "smalltalk.greeting", "smalltalk.thanks", "smalltalk.goodbye", "help", "out_of_scope"}
HANDED_TO_STAFF_MD = {"emergency", "complaint", "bereavement.news", "human_agent",
                      "policy.other"}


def test_the_catalogue_holds_every_intent_of_the_contract() -> None:
    assert set(catalogue()) == INTENTS_MD


def test_the_intents_handed_to_staff_are_those_the_contract_names() -> None:
    assert {i for i, info in catalogue().items() if info.staff} == HANDED_TO_STAFF_MD


def test_an_emergency_is_urgent_and_interrupts_anything() -> None:
    info = catalogue()["emergency"]
    assert info.staff == "urgent" and info.interrupts and not info.clarify


def test_small_talk_is_never_cited_aloud_nor_offered_as_a_choice() -> None:
    assert intents_where(chatter=True) - {"checkin.reply"} <= intents_where(cited=False)
    assert not intents_where(chatter=True) & intents_where(clarify=True)
