"""Logging that never shows a token or a phone number."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

# Bot tokens appear in URLs that HTTP libraries log (…/bot123456:ABC…/sendMessage), with the
# colon percent-encoded in file URLs (httpx: …/file/bot123456%3AABC…/voice/file_1.oga).
_TOKEN = re.compile(r"\d{5,}(?::|%3[Aa])[A-Za-z0-9_-]{20,}")
# Mainland mobile numbers, with or without +86, written together or grouped with spaces or
# dashes (138 0013 8000, as Telegram sends a shared contact). A number right after a JSON
# escape that ends in a digit (logged SQL parameters: "\u7ed913800138000") counts too.
_PHONE = re.compile(r"(?:(?<!\d)|(?<=\\u[0-9a-fA-F]{4}))(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d){8}"
                    r"(?!\d)")


# Landlines with their area code (0631-5201234, (021)62345678, 06315201234) and 身份证号
# (18 characters, or the old 15 digits).
_LANDLINE = re.compile(r"(?<![\dA-Za-z_])[(（]?0\d{2,3}[)）]?[- ]?\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|\d{15})(?![\dXx])")


def mask_phone(number: str) -> str:
    """The one rule for every kind of number, mobile or landline: the first three digits and
    the last four, the rest as ****; a short local number keeps only its last four."""
    digits = re.sub(r"\D", "", number)
    if len(digits) < 5:
        return "****"
    return (digits[:3] if len(digits) >= 10 else "") + "****" + digits[-4:]


def mask(text: str) -> str:
    """Tokens, phone numbers of every kind and ID numbers masked in free text."""
    text = _TOKEN.sub("<token>", text)
    text = _ID_NUMBER.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 7)
                          + m.group(0)[-4:], text)
    text = _PHONE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)
    return _LANDLINE.sub(lambda m: mask_phone(m.group(0)), text)


class MaskingFilter(logging.Filter):
    """Rewrites every record's message with secrets masked, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class MaskingFormatter(logging.Formatter):
    """Masks the whole formatted record, traceback included: a phone number in a failed SQL
    statement's parameters or an exception's message never reaches the log. The traceback is
    masked as it is formatted, so the copy the record keeps (`exc_text`, which every later
    handler prints instead of formatting it again) is the masked one too."""

    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))

    def formatException(self, ei: Any) -> str:  # logging's camelCase names
        return mask(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return mask(super().formatStack(stack_info))


class _Stderr(logging.StreamHandler):
    """Whatever sys.stderr is when a record comes (as logging's own last resort)."""

    def __init__(self, level: int) -> None:
        logging.Handler.__init__(self, level)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr


def mask_last_resort() -> None:
    """The staff commands set up no logging: Python prints their warnings through its last
    resort handler. Make that one mask too, printing as it did (the message alone)."""
    handler = _Stderr(logging.WARNING)
    handler.setFormatter(MaskingFormatter("%(message)s"))
    logging.lastResort = handler


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    handler.addFilter(_still_running)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request, with the URL


def _still_running(record: logging.LogRecord) -> bool:
    """The outbox pass runs every second and may take longer (a voice note said, a 429 waited
    out): the pass that is skipped meanwhile is expected, not a warning each second."""
    return "maximum number of running instances reached" not in record.getMessage()
