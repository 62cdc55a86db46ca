"""Regression tests for defects found in review (issue 13 (c), (d), (e))."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import intents
from bot.logs import MaskingFormatter
from bot.settings import Settings
from bot.storage.db import make_engine
from bot.telegram.convert import incoming_from_callback
from bot.tickets import sla_due
from intents.model import shaping_code
from junxiu_core import Priority


def test_a_phone_number_in_a_traceback_is_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(MaskingFormatter("%(message)s"))
    log = logging.getLogger("test.defects")
    log.addHandler(handler)
    try:
        raise ValueError("INSERT failed for phone 13800138000")
    except ValueError:
        log.exception("could not store the cadre")
    finally:
        log.removeHandler(handler)
    printed = stream.getvalue()
    assert "13800138000" not in printed and "138****8000" in printed
    assert "Traceback" in printed


def test_the_engine_hides_statement_parameters_in_errors() -> None:
    engine = make_engine("sqlite+aiosqlite:///:memory:")
    assert engine.sync_engine.hide_parameters


def test_the_model_cache_key_covers_normalising_segmenting_and_pinyin() -> None:
    package = Path(intents.__file__).resolve().parent
    names = {p.relative_to(package).as_posix() for p in shaping_code()}
    assert {"normalise.py", "segment.py", "pinyin.py", "emergency.py", "slots/__init__.py",
            "slots/amount.py"} <= names


def test_a_button_press_is_stamped_by_the_given_clock_not_the_wall_clock() -> None:
    at = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    user = SimpleNamespace(id=7, first_name="张")
    msg = incoming_from_callback(user, None, "pick:jilin", 1, at)
    assert msg.at == at


def test_a_ticket_opened_on_1_october_falls_due_after_the_national_day_holiday() -> None:

    settings = Settings(_env_file=None, sla_working_days=2, timezone="Asia/Shanghai")
    opened = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)  # 10:00 in Beijing, 国庆 day one
    due = sla_due(Priority.NORMAL, opened, settings)
    assert due == datetime(2026, 10, 9, 2, 0, tzinfo=UTC)  # 8 Oct is the first working day


def test_working_days_are_counted_in_local_time_not_utc() -> None:

    settings = Settings(_env_file=None, sla_working_days=1, timezone="Asia/Shanghai")
    # Friday 20:00 UTC is already Saturday 04:00 in Beijing: one working day is Monday.
    due = sla_due(Priority.NORMAL, datetime(2026, 11, 27, 20, 0, tzinfo=UTC), settings)
    assert due.astimezone(UTC).date() == datetime(2026, 11, 29, tzinfo=UTC).date()
