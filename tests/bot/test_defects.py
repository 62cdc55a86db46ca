"""Regression tests for defects found in review (issue 13 (c), (d), (e))."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

from bot.logs import MaskingFormatter
from bot.storage.db import make_engine
from bot.telegram.convert import incoming_from_callback
from intents.model import shaping_code


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
    names = {p.name for p in shaping_code()}
    assert {"normalise.py", "segment.py", "pinyin.py", "slots.py", "emergency.py"} <= names


def test_a_button_press_is_stamped_by_the_given_clock_not_the_wall_clock() -> None:
    at = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    user = SimpleNamespace(id=7, first_name="张")
    msg = incoming_from_callback(user, None, "pick:jilin", 1, at)
    assert msg.at == at
