"""Jinja filters and globals: local times, masked phones, labels for codes, percentages."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from bot.settings import Settings
from bot.web import texts


def install(env: jinja2.Environment, settings: Settings) -> None:
    zone = ZoneInfo(settings.timezone)

    def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return moment.astimezone(zone).strftime(fmt) if moment else "-"

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value * 100:.1f}%"

    def minutes(value: float | None) -> str:
        if value is None:
            return "-"
        return texts.t("unit.minutes", n=f"{value:.0f}") if value < 120 else \
            texts.t("unit.hours", n=f"{value / 60:.1f}")

    env.filters.update(local=local, mask=texts.mask_phone, reason=texts.reason,
                       status=texts.status, priority=texts.priority,
                       priority_key=texts.priority_key, region=texts.region, pct=pct,
                       minutes=minutes)
    env.globals.update(t=_t)
    env.autoescape = True


def _t(key: str, **params: Any) -> str:
    return texts.t(key, **params)
