"""The check-in planner as rules: monthly pings after 30 days without contact, daily ones for
those living alone, quiet hours 21:00-08:00, one re-ping (24 h monthly, 3 h daily), then a staff
alert; no Telegram → straight to the phone list; 5-month warning, 6-month flag, each once."""

from datetime import UTC, datetime, timedelta

from bot.checkins import Action, CadreState, add_months, plan
from bot.settings import Settings
from bot.storage.models import CheckIn

SETTINGS = Settings(_env_file=None)
NOON = datetime(2026, 11, 22, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
NIGHT = datetime(2026, 11, 22, 14, 0, tzinfo=UTC)  # 22:00 in Shanghai


def state(*, last_contact: datetime | None, lives_alone: bool = False, reachable: bool = True,
          open_checkin: CheckIn | None = None, last_sent: datetime | None = None,
          flags: frozenset = frozenset()) -> CadreState:
    since = last_contact or datetime(2026, 1, 1, tzinfo=UTC)
    return CadreState(1, lives_alone, last_contact, since, reachable, open_checkin, last_sent,
                      flags)


def actions(s: CadreState, now: datetime = NOON) -> list[Action]:
    return [step.action for step in plan(s, now, SETTINGS)]


def test_no_contact_for_thirty_days_gets_a_monthly_ping() -> None:
    steps = plan(state(last_contact=NOON - timedelta(days=30)), NOON, SETTINGS)
    assert [(s.action, s.kind) for s in steps] == [(Action.PING, "monthly")]


def test_contact_within_thirty_days_needs_nothing() -> None:
    assert actions(state(last_contact=NOON - timedelta(days=29))) == []


def test_living_alone_gets_a_daily_ping_in_the_morning_not_before() -> None:
    alone = state(last_contact=NOON - timedelta(days=1), lives_alone=True)
    assert [(s.action, s.kind) for s in plan(alone, NOON, SETTINGS)] == [(Action.PING, "daily")]
    seven_am = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)  # 07:00 in Shanghai
    assert actions(alone, seven_am) == []


def test_living_alone_and_already_in_touch_today_needs_no_ping() -> None:
    assert actions(state(last_contact=NOON - timedelta(hours=1), lives_alone=True)) == []


def test_no_pings_in_quiet_hours() -> None:
    assert actions(state(last_contact=NOON - timedelta(days=40)), NIGHT) == []


def test_unanswered_monthly_ping_is_repinged_after_a_day_then_staff_are_alerted() -> None:
    sent = CheckIn(cadre_id=1, kind="monthly", status="sent", sent_at=NOON - timedelta(hours=24))
    old = NOON - timedelta(days=40)
    assert actions(state(last_contact=old, open_checkin=sent)) == [Action.REPING]
    sent.status, sent.repinged_at = "repinged", NOON - timedelta(hours=24)
    assert actions(state(last_contact=old, open_checkin=sent)) == [Action.ALERT_NO_ANSWER]


def test_daily_ping_waits_three_hours_for_an_answer() -> None:
    sent = CheckIn(cadre_id=1, kind="daily", status="sent", sent_at=NOON - timedelta(hours=2))
    s = state(last_contact=NOON - timedelta(days=1), lives_alone=True, open_checkin=sent)
    assert actions(s) == []
    sent.sent_at = NOON - timedelta(hours=3)
    assert actions(s) == [Action.REPING]


def test_any_contact_after_the_ping_answers_it() -> None:
    sent = CheckIn(cadre_id=1, kind="monthly", status="sent", sent_at=NOON - timedelta(hours=5))
    assert actions(state(last_contact=NOON - timedelta(hours=1), open_checkin=sent)) == [
        Action.ANSWERED]


def test_cadre_without_telegram_goes_straight_to_the_phone_list() -> None:
    assert actions(state(last_contact=NOON - timedelta(days=31), reachable=False)) == [
        Action.ALERT_UNREACHABLE]


def test_five_months_without_contact_warns_once() -> None:
    last = add_months(NOON, -5)
    assert Action.WARN_FIVE in actions(state(last_contact=last))
    warned = state(last_contact=last, flags=frozenset({("five_months", last)}))
    assert Action.WARN_FIVE not in actions(warned)


def test_six_months_without_contact_is_flagged_once_and_counts_the_sixth_month_itself() -> None:
    last = add_months(NOON, -6)  # exactly six months: jilin's 6个月（含）
    assert Action.FLAG_SIX in actions(state(last_contact=last))
    assert Action.WARN_FIVE not in actions(state(last_contact=last))
    flagged = state(last_contact=last, flags=frozenset({("six_months", last)}))
    assert Action.FLAG_SIX not in actions(flagged) and Action.WARN_FIVE not in actions(flagged)


def test_a_new_contact_starts_a_new_count() -> None:
    old = add_months(NOON, -7)
    recent = NOON - timedelta(days=3)
    assert Action.FLAG_SIX not in actions(state(last_contact=recent,
                                                flags=frozenset({("six_months", old)})))


def test_months_are_calendar_months() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 8, 15, tzinfo=UTC), 6) == datetime(2027, 2, 15, tzinfo=UTC)


# --- unreachable at once ---------------------------------------------------------------------


def unreachable(*, last_contact: datetime | None, status: str | None = None,
                sent: datetime | None = None, lives_alone: bool = False) -> CadreState:
    since = last_contact or datetime(2026, 11, 1, tzinfo=UTC)
    return CadreState(1, lives_alone, last_contact, since, False, None, sent, frozenset(),
                      last_checkin_status=status)


def test_a_cadre_who_cannot_be_reached_is_on_the_phone_list_at_the_first_pass() -> None:
    # In touch two days ago, so no check-in is due: staff hear of it now all the same.
    assert actions(unreachable(last_contact=NOON - timedelta(days=2))) == [
        Action.ALERT_UNREACHABLE]
    assert actions(unreachable(last_contact=None)) == [Action.ALERT_UNREACHABLE]


def test_at_night_too_since_the_alert_goes_to_staff_not_to_the_cadre() -> None:
    assert actions(unreachable(last_contact=None), NIGHT) == [Action.ALERT_UNREACHABLE]


def test_once_alerted_they_are_not_alerted_again_until_the_next_due_date() -> None:
    told = unreachable(last_contact=NOON - timedelta(days=2), status="unreachable",
                       sent=NOON - timedelta(hours=1))
    assert actions(told) == []
    a_month_on = NOON + timedelta(days=31)
    assert actions(told, a_month_on) == [Action.ALERT_UNREACHABLE]


def test_a_contact_after_the_alert_then_a_new_stretch_is_alerted_afresh() -> None:
    called = unreachable(last_contact=NOON - timedelta(hours=1), status="unreachable",
                         sent=NOON - timedelta(days=3))
    assert actions(called) == [Action.ALERT_UNREACHABLE]
