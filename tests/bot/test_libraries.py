"""Issue 13 part 4: what libraries do for us now, held to the behaviour the hand-written code
had. Database retries (tenacity), months (dateutil), one 429 layer, one timer cadence for both
frameworks, and a log formatter that masks tracebacks wherever else the record goes."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.checkins import add_months
from bot.logs import MaskingFormatter
from bot.messages import Reply
from bot.telegram import intake
from bot.telegram.delivery import RetryLater, deliver
from bot.telegram.intake import retrying_db


def unavailable() -> OperationalError:
    return OperationalError("SELECT 1", {}, ConnectionRefusedError("the server is restarting"))


# -- database retries --------------------------------------------------------------------------


async def test_a_database_blip_is_retried_until_the_call_succeeds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []

    async def no_wait(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(intake.asyncio, "sleep", no_wait)
    attempts = []

    async def call() -> str:
        attempts.append(1)
        if len(attempts) < 4:
            raise unavailable()
        return "stored"

    assert await retrying_db(call, "storing update 1") == "stored"
    assert len(attempts) == 4
    assert slept == [0.2, 0.4, 0.8]  # backing off, doubling


async def test_an_error_that_is_not_the_database_being_away_is_raised_at_once() -> None:
    attempts = []

    async def call() -> None:
        attempts.append(1)
        raise IntegrityError("INSERT", {}, ValueError("duplicate"))

    with pytest.raises(IntegrityError):
        await retrying_db(call, "storing update 2")
    assert len(attempts) == 1


async def test_retrying_gives_up_before_sleeping_past_the_deadline(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(intake, "STORE_RETRY_SECONDS", 0.5)
    attempts = []

    async def call() -> None:
        attempts.append(1)
        raise unavailable()

    with pytest.raises(OperationalError):
        await retrying_db(call, "storing update 3")
    assert len(attempts) == 2  # 0.2 s, then 0.4 s more would pass 0.5 s: given up


# -- months ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("since", "months", "then"), [
    (datetime(2026, 1, 31, 9, tzinfo=UTC), 1, datetime(2026, 2, 28, 9, tzinfo=UTC)),
    (datetime(2027, 8, 31, 9, tzinfo=UTC), 6, datetime(2028, 2, 29, 9, tzinfo=UTC)),
    (datetime(2026, 7, 31, 9, tzinfo=UTC), 5, datetime(2026, 12, 31, 9, tzinfo=UTC)),
    (datetime(2026, 10, 15, 23, 59, tzinfo=UTC), 6, datetime(2027, 4, 15, 23, 59, tzinfo=UTC)),
])
def test_calendar_months_end_on_the_last_day_of_a_shorter_month(
        since: datetime, months: int, then: datetime) -> None:
    assert add_months(since, months) == then


def test_a_29_february_birthday_comes_on_1_march_in_a_common_year() -> None:
    """Age stays the birthday comparison (relativedelta would count it on 28 February)."""
    from datetime import date

    from bot.roster.cells import age_on
    from junxiu_core import CadreProfile

    born = date(1940, 2, 29)
    profile = CadreProfile(region="national", birth_date=born)
    assert profile.age_on(date(2027, 2, 28)) == age_on(born, date(2027, 2, 28)) == 86
    assert profile.age_on(date(2027, 3, 1)) == age_on(born, date(2027, 3, 1)) == 87


# -- one 429 layer -----------------------------------------------------------------------------


class Outbox:
    """The service's side of a delivery, as `deliver` uses it: what it marked, and the
    outbox's record of what this process is sending (a real `Sending`)."""

    def __init__(self) -> None:
        from types import SimpleNamespace

        from bot.outbox import Sending

        self.sent: list[int] = []
        self.failures: list[tuple[int, float | None]] = []
        self.outbox = SimpleNamespace(sending=Sending())

    async def delivered(self, delivery_id: int, message_id: int | None) -> None:
        self.sent.append(delivery_id)

    async def failed(self, delivery_id: int, error: str, *, retry_after: float | None = None,
                     permanent: bool = False) -> None:
        self.failures.append((delivery_id, retry_after))


async def test_a_short_429_is_waited_out_once_per_attempt_then_sent(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.telegram import delivery

    slept: list[float] = []

    async def no_wait(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(delivery.asyncio, "sleep", no_wait)
    tries = []

    async def send(reply: Reply) -> int:
        tries.append(1)
        if len(tries) < 3:
            raise RetryLater(2.0)
        return 99

    outbox = Outbox()
    assert await deliver(outbox, send, [Reply("1", "您好", delivery_id=7)]) == 1  # type: ignore[arg-type]
    assert outbox.sent == [7] and slept == [2.0, 2.0] and len(tries) == 3


async def test_a_long_429_goes_back_to_the_outbox_with_telegrams_delay() -> None:
    async def send(reply: Reply) -> int:
        raise RetryLater(40.0)

    outbox = Outbox()
    assert await deliver(outbox, send, [Reply("1", "您好", delivery_id=8)]) == 0  # type: ignore[arg-type]
    assert outbox.failures == [(8, 40.0)]


async def test_429s_on_every_attempt_leave_the_reply_for_telegrams_delay(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.telegram import delivery

    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(delivery.asyncio, "sleep", no_wait)

    async def send(reply: Reply) -> int:
        raise RetryLater(1.0)

    outbox = Outbox()
    assert await deliver(outbox, send, [Reply("1", "您好", delivery_id=9)]) == 0  # type: ignore[arg-type]
    assert outbox.failures == [(9, 1.0)]


def test_ptb_does_not_retry_a_429_itself() -> None:
    """The shared delivery waits out a 429 (both frameworks alike); PTB's limiter only paces."""
    from bot.settings import Settings
    from bot.telegram.ptb import build_application

    settings = Settings(_env_file=None, telegram_token="1234567:" + "A" * 35)
    app = build_application(settings, service=None)  # type: ignore[arg-type]
    assert app.bot.rate_limiter is not None
    assert app.bot.rate_limiter._max_retries == 0


# -- one cadence -------------------------------------------------------------------------------


def test_both_frameworks_run_their_timers_at_the_pumps_cadence() -> None:
    from bot.settings import Settings
    from bot.telegram import aiogram as aiogram_adapter
    from bot.telegram import ptb, pump

    settings = Settings(_env_file=None, telegram_token="1234567:" + "A" * 35)
    app = ptb.build_application(settings, service=None)  # type: ignore[arg-type]
    assert app.job_queue is not None
    ptb_jobs = sorted(job.trigger.interval.total_seconds() for job in app.job_queue.jobs())
    scheduler = aiogram_adapter.build_scheduler(None, None)  # type: ignore[arg-type]
    aiogram_jobs = sorted(job.trigger.interval.total_seconds() for job in scheduler.get_jobs())
    assert ptb_jobs == aiogram_jobs == sorted([pump.FLUSH_SECONDS, pump.ALERT_SECONDS])


# -- masking -----------------------------------------------------------------------------------


def test_a_traceback_masked_once_is_masked_for_every_handler() -> None:
    """The formatter caches the traceback on the record (exc_text): a second handler (a file,
    pytest's capture) reuses it, so it must be the masked one."""
    masked, plain = io.StringIO(), io.StringIO()
    first = logging.StreamHandler(masked)
    first.setFormatter(MaskingFormatter("%(message)s"))
    second = logging.StreamHandler(plain)
    second.setFormatter(logging.Formatter("%(message)s"))
    log = logging.getLogger("test.libraries.masking")
    log.addHandler(first)
    log.addHandler(second)
    log.propagate = False
    try:
        try:
            raise ValueError("Key (phone)=(13800138000) already exists.")
        except ValueError:
            log.exception("could not store the cadre")
    finally:
        log.removeHandler(first)
        log.removeHandler(second)
        log.propagate = True
    for printed in (masked.getvalue(), plain.getvalue()):
        assert "Traceback" in printed and "138****8000" in printed
        assert "13800138000" not in printed


def test_a_command_without_logging_set_up_still_masks_what_it_logs(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`junxiu checkins tick` and the other staff commands set up no logging: Python's
    last-resort handler prints their warnings, masked too."""
    from bot.logs import mask_last_resort

    mask_last_resort()
    record = logging.LogRecord("bot.telegram.delivery", logging.WARNING, __file__, 1,
                               "chat unreachable: %s", ("13800138000",), None)
    assert logging.lastResort is not None
    logging.lastResort.handle(record)
    err = capsys.readouterr().err
    assert err == "chat unreachable: 138****8000\n"
