"""One cell → one value, or a reason staff can act on. Pure: a cell and a date in.

Cells come as Excel or WPS leave them: numbers where text was meant (13800138000.0, 1941.3),
dates as dates or as serial numbers, full-width digits, padding, a note in brackets.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from bot.roster import vocabulary
from bot.roster.model import msg
from bot.tickets import normal_phone
from intents.slots import extract
from junxiu_core.model import REGIONS, Rank, Status

MIN_AGE, MAX_AGE = 40, 120
MONTH = "month"  # birth_precision of a year-month date

BLANK = frozenset({"", "-", "--", "—", "——", "/", "无", "空", "null", "none", "n/a"})
_SCIENTIFIC_RE = re.compile(r"^\d+(?:\.\d+)?e\+?\d+$", re.IGNORECASE)
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_LANDLINE_RE = re.compile(r"0\d{9,11}|[2-9]\d{6,7}")  # with area code, or a local number
_LOST_ZERO_RE = re.compile(r"[2-9]\d{8,10}")
_PHONE_SPLIT_RE = re.compile(r"[/,，;；、|\n]|或|(?<=\d)\s{2,}(?=[\d(（+])")
_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
# 1941.3, 1941.03, 1943年8月, 1938-12, 1938/12, 194112: a year and a month, no day.
_MONTH_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?")
_COMPACT_MONTH_RE = re.compile(r"(\d{4})(\d{2})")
_BRACKETS_RE = re.compile(r"[（(【\[].*?[)）】\]]")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Bad:
    reason: str


def text(value: Any) -> str:
    """A cell as text; whole floats lose their '.0' (Excel stores 13800138000 as a float)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def clean(value: Any) -> str:
    """Text with full-width digits and letters made ASCII and spaces trimmed."""
    return unicodedata.normalize("NFKC", text(value)).strip()


def blank(value: Any) -> bool:
    return clean(value).casefold() in BLANK


def without_note(raw: str) -> str:
    """"是（孤老）" → "是", "离休（红军）" → "离休": the note in brackets set aside."""
    return _BRACKETS_RE.sub("", raw).strip()


def name(value: Any) -> str | Bad:
    found = clean(value)
    if CJK_RE.search(found):
        found = re.sub(r"\s+", "", found)  # "张  三": spaces padding two-character names
    if found.casefold() in BLANK:
        return Bad(msg("name_missing"))
    if len(found) > 100:
        return Bad(msg("name_long", raw=found[:20] + "…"))
    return found


# --- phones ------------------------------------------------------------------------------------


def _one_phone(part: str, number_cell: bool) -> str | None:
    part = re.sub(r"\.0$", "", part.strip())
    international = part.startswith(("+86", "0086", "(+86)", "（+86）"))
    digits = normal_phone(part)
    if international:
        digits = re.sub(r"^(?:00)?86", "", digits)
        if not digits.startswith(("0", "1")):
            digits = "0" + digits  # +86 631 5201234: the trunk 0 is dropped abroad
    if number_cell and _LOST_ZERO_RE.fullmatch(digits):
        digits = "0" + digits  # a number cell drops the 0 of the area code (0631 → 631)
    if _MOBILE_RE.fullmatch(digits) or _LANDLINE_RE.fullmatch(digits):
        return digits
    return None


def phones(value: Any) -> tuple[str, ...] | Bad:
    """Every number in a cell ("13800138000/0631-5201234", "0631 5201234 13800138000"), in
    the order written. One that cannot be a number makes the cell bad."""
    raw = clean(value)
    if _SCIENTIFIC_RE.match(raw):
        return Bad(msg("phone_bad", raw=raw) + msg("excel_number"))
    number_cell = isinstance(value, int | float) and not isinstance(value, bool)
    found: list[str] = []
    for part in (p for p in _PHONE_SPLIT_RE.split(raw) if p.strip()):
        one = _one_phone(part, number_cell)
        if one is not None:
            found.append(one)
            continue
        # "13800138000 0631-5201234", "0631 5201235 13700137000": numbers apart by a space,
        # each perhaps written with spaces itself: the longest run of pieces that is one.
        pieces, i = part.split(), 0
        if len(pieces) < 2:
            return Bad(msg("phone_bad", raw=raw))
        while i < len(pieces):
            for j in range(len(pieces), i, -1):
                one = _one_phone("".join(pieces[i:j]), number_cell)
                if one is not None:
                    found.append(one)
                    i = j
                    break
            else:
                return Bad(msg("phone_bad", raw=raw))
    if not found:
        return Bad(msg("phone_bad", raw=raw))
    return tuple(dict.fromkeys(found))


def is_mobile(number: str) -> bool:
    return bool(_MOBILE_RE.fullmatch(number))


def choose_phones(numbers: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The number matched on import (the first mobile, else the first number) and the one
    kept beside it (the next)."""
    if not numbers:
        return None, None
    main = next((n for n in numbers if is_mobile(n)), numbers[0])
    rest = [n for n in numbers if n != main]
    return main, rest[0] if rest else None


def telegram_id(value: Any) -> int | Bad:
    raw = clean(value)
    bad = Bad(msg("telegram_bad", raw=raw))
    if isinstance(value, bool):
        return bad
    if isinstance(value, float) and not value.is_integer():
        return bad
    if _SCIENTIFIC_RE.match(raw):
        return Bad(bad.reason + msg("excel_number"))
    digits = re.sub(r"\.0+$", "", raw)
    if not digits.isdigit() or not 0 < int(digits) < 10**15:
        return bad
    return int(digits)


# --- words -------------------------------------------------------------------------------------


def region(value: Any, today: date) -> str | Bad:
    raw = clean(value)
    if raw.casefold() in REGIONS:
        return raw.casefold()
    words = vocabulary.load().region_words
    if raw in words:
        return words[raw]
    slots = extract(raw, today)
    if "region" in slots:
        return str(slots["region"])
    if "place_other" in slots:
        return Bad(msg("region_other", raw=raw))
    return Bad(msg("region_bad", raw=raw))


def status(value: Any) -> str | Bad:
    raw = clean(value)
    word = re.sub(r"\s", "", without_note(raw))
    found = vocabulary.load().status.get(word)
    if found is None and word in {s.value for s in Status}:
        found = word
    return Status(found).value if found is not None else Bad(msg("status_bad", raw=raw))


def rank(value: Any, today: date) -> str | Bad:
    raw = clean(value)
    if raw in {r.value for r in Rank}:
        return raw
    slots = extract(raw, today)
    if "rank" in slots:
        return str(slots["rank"])
    if "military_rank" in slots:
        return Bad(msg("rank_military", raw=raw))
    return Bad(msg("rank_bad", raw=raw))


def lives_alone(value: Any) -> bool | Bad:
    """是 / 否 / √ / blank (no), 是（孤老）, and 居住情况 written out (与老伴同住, 独居)."""
    if isinstance(value, bool):
        return value
    raw = clean(value)
    if raw.casefold() in BLANK:
        return False
    words = vocabulary.load()
    word = (without_note(raw) or raw).casefold()
    if word in words.alone_yes:
        return True
    if word in words.alone_no:
        return False
    if words.alone.search(raw) and not words.alone_not.search(raw):
        return True
    if words.lives_with.search(raw):
        return False
    return Bad(msg("alone_bad", raw=raw))


def merits(value: Any, today: date) -> tuple[tuple[str, ...], str]:
    found = clean(value)
    codes = tuple(extract(found, today).get("merits", ()))
    return codes, found if len(found) <= 200 else found[:199] + "…"


# --- dates -------------------------------------------------------------------------------------


def _excel_serial(value: float) -> date | None:
    from openpyxl.utils.datetime import from_excel

    found = from_excel(value)
    return found.date() if isinstance(found, datetime) else None


def a_date(value: Any) -> date | None:
    """A date from an Excel date cell, an Excel serial number, or 1940-05-03 / 1940/5/3 /
    1940年5月3日 / 1940.5.3 / 19400503. None when it is none of these."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and 19_000_101 <= value <= 21_001_231:
            value = str(int(value))
        elif 1 <= value < 100_000:  # a date cell that lost its format: days since 1899-12-30
            return _excel_serial(value)
        else:
            return None
    raw = clean(value)
    m = _DATE_RE.fullmatch(raw) or _COMPACT_DATE_RE.fullmatch(raw)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def year_month(value: Any) -> date | None:
    """1941.3, 1941.03, 1943年8月, 1938-12, 194112 (and the number 1938.12 as Excel keeps it):
    the first of that month. None when it is not a year and a month."""
    if isinstance(value, bool | datetime | date):
        return None
    # The number 1941.3 → "1941.3" (1941.10 typed in a number cell is 1941.1, alas).
    raw = repr(value) if isinstance(value, float) and not value.is_integer() else clean(value)
    m = _MONTH_RE.fullmatch(raw) or _COMPACT_MONTH_RE.fullmatch(raw)
    if m is None:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    return date(year, month, 1) if 1 <= month <= 12 and 1850 < year < 2100 else None


def age_on(born: date, today: date) -> int:
    # As junxiu_core.CadreProfile.age_on, by hand: relativedelta would make a 29 February
    # birthday fall on 28 February in a common year.
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def birth_date(value: Any, today: date, *, month_only: bool = False
               ) -> tuple[date, str | None] | Bad:
    """The birth date and its precision (None: the day is known; "month": 1941.3).
    `month_only`: an Excel date cell formatted without the day (yyyy.mm)."""
    precision: str | None = MONTH if month_only else None
    number = isinstance(value, float) and not value.is_integer() and 1850 < value < 2100
    born = None if number else a_date(value)  # 1941.3 in a number cell is no serial date
    if born is None:
        born, precision = year_month(value), MONTH
    raw = text(value)
    if born is None:
        return Bad(msg("date_bad", column=msg("birth_date"), raw=raw))
    age = age_on(born, today)
    if not MIN_AGE <= age <= MAX_AGE:
        return Bad(msg("birth_implausible", raw=raw, age=age))
    return born, precision


def last_contact(value: Any, today: date) -> date | Bad:
    when = a_date(value)
    raw = text(value)
    if when is None:
        return Bad(msg("date_bad", column=msg("last_contact"), raw=raw))
    if when > today:
        return Bad(msg("contact_future", raw=raw))
    return when


# --- 身份证号 -----------------------------------------------------------------------------------


def mask_id(raw: str) -> str:
    """An ID number as staff may see it: the first 3 and last 4 characters."""
    found = re.sub(r"\s", "", clean(raw))
    return found[:3] + "*" * max(len(found) - 7, 4) + found[-4:] if len(found) > 7 else "****"


def id_birth_date(value: Any, today: date) -> date | Bad:
    """The birth date in a 身份证号 (18 characters, checksum checked; or the old 15 digits).
    Every reason names the number masked: it is never shown in full."""
    raw = re.sub(r"[\s-]", "", clean(value)).upper()
    if re.fullmatch(r"\d{17}[\dX]", raw):
        total = sum(int(d) * w for d, w in zip(raw[:17], _ID_WEIGHTS, strict=True))
        if _ID_CHECK[total % 11] != raw[17]:
            return Bad(msg("id_checksum", raw=mask_id(raw)))
        digits = raw[6:14]
    elif re.fullmatch(r"\d{15}", raw):
        digits = "19" + raw[6:12]
    else:
        return Bad(msg("id_bad", raw=mask_id(raw)))
    try:
        born = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return Bad(msg("id_bad", raw=mask_id(raw)))
    if not MIN_AGE <= age_on(born, today) <= MAX_AGE:
        return Bad(msg("id_implausible", raw=mask_id(raw), age=age_on(born, today)))
    return born
