"""Logging that never shows a token or a phone number."""

from __future__ import annotations

import logging
import re

# Bot tokens appear in URLs that HTTP libraries log (…/bot123456:ABC…/sendMessage).
_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{20,}")
# Mainland mobile numbers, with or without +86.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)")


def mask(text: str) -> str:
    text = _TOKEN.sub("<token>", text)
    return _PHONE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)


class MaskingFilter(logging.Filter):
    """Rewrites every record's message with secrets masked, whoever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request, with the URL
