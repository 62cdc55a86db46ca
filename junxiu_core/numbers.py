"""Numbers and dates as people say them, for answers that are read aloud, and bounds read as
the documents write them."""

from __future__ import annotations

from datetime import date

_DIGITS = "零一二三四五六七八九"
_SMALL_UNITS = ("", "十", "百", "千")


def _below_ten_thousand(n: int, *, leading: bool) -> str:
    """0 < n < 10000 in words; 零 marks a gap, 两 is said for a leading 2 before 千 or 百."""
    out: list[str] = []
    gap = False
    for power in (3, 2, 1, 0):
        digit = n // 10**power % 10
        if digit == 0:
            gap = bool(out)
            continue
        if gap:
            out.append("零")
            gap = False
        if power == 1 and digit == 1 and not out and leading:
            out.append("十")  # 十五, not 一十五
            continue
        word = "两" if digit == 2 and power >= 2 and not out else _DIGITS[digit]
        out.append(word + _SMALL_UNITS[power])
    return "".join(out)


def spoken_number(n: int) -> str:
    """45000 -> 四万五千; 100000 -> 十万; 52500 -> 五万两千五百; 20000 -> 两万."""
    if n == 0:
        return "零"
    if n < 0:
        return "负" + spoken_number(-n)
    parts: list[str] = []
    pending_zero = False
    for unit, size in (("亿", 10**8), ("万", 10**4), ("", 1)):
        chunk = n // size if unit == "亿" else n // size % 10**4
        if chunk == 0:
            pending_zero = bool(parts)
            continue
        if parts and (pending_zero or chunk < 1000):
            parts.append("零")
        words = _below_ten_thousand(chunk, leading=not parts)
        if unit and words == "二":
            words = "两"  # 两万, never 二万
        parts.append(words + unit)
        pending_zero = False
    return "".join(parts)


def spoken_yuan(amount: float) -> str:
    """An amount in yuan as it is said: 45000 -> 四万五千元; 0.5 yuan rounds to whole yuan."""
    return spoken_number(round(amount)) + "元"


def spoken_date(d: date, today: date | None = None) -> str:
    """12月15日, with the year only when it is not the current one."""
    if today is not None and d.year != today.year:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.month}月{d.day}日"


# Chinese legislative drafting fixes how a bound reads (RULES.md, "How numbers read"):
# 以上、以下、以内 include the number itself, 超过、不满 exclude it.


def reaches(value: float, bound: float, *, inclusive: bool) -> bool:
    """'6个月以上' (inclusive: 6 counts) or '超过5万元' (exclusive: 50,000 does not)."""
    return value >= bound if inclusive else value > bound


def within(value: float, bound: float, *, inclusive: bool) -> bool:
    """'80周岁以下' (inclusive: 80 is within) or '不满80周岁' (exclusive: 80 is not)."""
    return value <= bound if inclusive else value < bound
