"""A date the cadre names (date "YYYY-MM-DD") and whether it is a departure or a return
(date_kind "depart" | "return"), resolved against `today`."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from intents.slots.message import Msg
from intents.slots.numerals import small_int
from intents.slots.vocabulary import WORDS, alternation

_WORDS = WORDS["dates"]

_D = r"(?:\d{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_M = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
_WEEKDAY: dict[str, int] = _WORDS["weekdays"]  # 周一 … 星期天: Monday = 0
_RELATIVE_DAYS: dict[str, int] = _WORDS["relative_days"]  # 明天 = 1
_RELATIVE_YEARS: dict[str, int] = _WORDS["relative_years"]  # 明年 = 1
_DEPART_RETURN_VERB = alternation(_WORDS["travel_verbs"])
_NOT_A_DAY_AFTER = alternation(_WORDS["not_a_day_after"])  # 3号楼, 5号线
_DATE_RE = re.compile(
    rf"(?<!\d)(?P<iy>\d{{4}})[-/.](?P<im>\d{{1,2}})[-/.](?P<id>\d{{1,2}})(?!\d)"
    rf"|(?:(?P<y>\d{{4}})年|(?P<yw>{alternation(_RELATIVE_YEARS)}))?(?<![\d.])(?P<m>{_M})月份?(?P<d>{_D})(?:日|号)?(?!\d)"
    rf"|(?P<nm>下下个?月|下个?月)(?P<nd>{_D})(?:日|号)"
    rf"|(?:这个?月|本月)(?P<td>{_D})(?:日|号)"
    # 12/20 is a date; 12.5 only with 号/日 or a travel verb after it (else it is 12.5万).
    rf"|(?<![\d.])(?P<dm>\d{{1,2}})(?:/(?P<ds>\d{{1,2}})(?![\d/])|\.(?P<dd>\d{{1,2}})"
    rf"(?:日|号|(?=\s*(?:{_DEPART_RETURN_VERB}))))"
    rf"|(?<![\d月.〕\]第])(?P<od>{_D})(?:日|号)(?!{_NOT_A_DAY_AFTER})"
    rf"|(?P<rel>{alternation(_RELATIVE_DAYS)})"
    r"|(?:(?P<nw>下下|下|这|本)个?|(?<![每一两二三四五六七八九十几\d]))"
    rf"(?:周|星期|礼拜)(?P<wd>[{re.escape(''.join(_WEEKDAY))}])(?![次回遍趟])"
    r"|(?P<nn>\d{1,3}|[一二两三四五六七八九十]{1,3})天(?:后|以后|之后)"
)
# A bare 回 is a return only at the end of a clause (回国 and the like are in the data).
_RETURN_RE = re.compile(alternation(_WORDS["returning"]) + r"|回(?=\s*$|[了的吧,，。.])")
_DEPART_RE = re.compile(alternation(_WORDS["departing"]))


def _safe_date(year: int, month: int | None, day: int | None) -> date | None:
    if month is None or day is None:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_day(today: date, month_offset: int, day: int | None) -> date | None:
    month0 = today.month - 1 + month_offset
    return _safe_date(today.year + month0 // 12, month0 % 12 + 1, day)


def _resolve_date(m: re.Match[str], today: date) -> date | None:
    g = m.group
    if g("iy"):
        return _safe_date(int(g("iy")), int(g("im")), int(g("id")))
    if g("m"):
        month, day = small_int(g("m")), small_int(g("d"))
        if g("y") or g("yw"):
            year = int(g("y")) if g("y") else today.year + _RELATIVE_YEARS[g("yw")]
            return _safe_date(year, month, day)
        found = _safe_date(today.year, month, day)
        if found and found < today:  # a month/day already past this year means next year
            found = _safe_date(today.year + 1, month, day)
        return found
    if g("nm"):
        return _month_day(today, 2 if g("nm").startswith("下下") else 1, small_int(g("nd")))
    if g("td"):
        return _month_day(today, 0, small_int(g("td")))
    if g("dm"):
        month, day = int(g("dm")), int(g("ds") or g("dd"))
        found = _safe_date(today.year, month, day)
        if found and found < today:
            found = _safe_date(today.year + 1, month, day)
        return found
    if g("od"):
        day = small_int(g("od"))
        # 3号: this month unless already past, then next month (skipping months without it).
        for offset in range(3):
            found = _month_day(today, offset, day)
            if found and found >= today:
                return found
        return None
    if g("rel"):
        return today + timedelta(days=_RELATIVE_DAYS[g("rel")])
    if g("wd"):
        weekday = _WEEKDAY[g("wd")]
        which = g("nw")
        if which in ("下", "下下"):
            monday = today - timedelta(days=today.weekday()) + timedelta(weeks=len(which))
            return monday + timedelta(days=weekday)
        if which in ("这", "本"):
            return today - timedelta(days=today.weekday()) + timedelta(days=weekday)
        return today + timedelta(days=(weekday - today.weekday()) % 7)  # the coming one
    if g("nn"):
        days = small_int(g("nn"))
        return today + timedelta(days=days) if days is not None else None
    return None


def find(msg: Msg, today: date) -> dict[str, Any]:
    text = msg.text
    matches = list(_DATE_RE.finditer(text))
    for i, m in enumerate(matches):
        found = _resolve_date(m, today)
        if found is None:
            continue
        out: dict[str, Any] = {"date": found.isoformat()}
        # The verb belongs to this date: look after it up to the next date or clause end,
        # then before it back to the previous date or clause start.
        start, end = msg.clause(m.start())
        after_end = min(end, matches[i + 1].start()) if i + 1 < len(matches) else end
        before_start = max(start, matches[i - 1].end()) if i else start
        for lo, hi in ((m.end(), after_end), (before_start, m.start())):
            if _RETURN_RE.search(text, lo, hi):
                out["date_kind"] = "return"
                break
            if _DEPART_RE.search(text, lo, hi):
                out["date_kind"] = "depart"
                break
        if m.group("rel") and not _RELATIVE_DAYS[m.group("rel")] and "date_kind" not in out:
            continue  # 今天想问一下: "today" is a date only when someone leaves or returns
        return out
    return {}
