"""A rendered reply as it is said aloud: numbers, dates, amounts, document and section numbers
in words; the citation without its 《》; words from bot/data/pronunciation.yaml. Pure functions.

    to_spoken("您自付120000元。\\n依据：《细则》5.4.5")
        -> "您自付十二万元。\\n依据：细则五点四点五。"
    to_pinyin("军休干部，您好。") -> "jun1 xiu1 gan4 bu4，nin2 hao3。"  (for espeak-ng)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path

import yaml

from bot.render import speakable
from junxiu_core.numbers import spoken_number

DATA = Path(__file__).resolve().parents[1] / "data" / "pronunciation.yaml"
CITATION_PREFIX = "依据"

_DIGIT_WORDS = "零一二三四五六七八九"
_PHONE_DIGIT_WORDS = "零幺二三四五六七八九"  # 1 is 幺 in numbers said digit by digit
_CLAUSE_END = "。！？；，：…、"


def _alternation(words: object) -> str:
    return "|".join(map(re.escape, sorted(map(str, words or ()), key=len, reverse=True)))


class Lexicon:
    """bot/data/pronunciation.yaml (or any mapping of the same shape), ready to apply."""

    def __init__(self, raw: Mapping) -> None:
        say = raw.get("say") or {}
        self.say: dict[str, str] = {str(k): "" if v is None else str(v) for k, v in say.items()}
        self.pinyin: dict[str, str] = {str(k): str(v)
                                       for k, v in (raw.get("pinyin") or {}).items()}
        self.liang_before: tuple[str, ...] = tuple(map(str, raw.get("liang_before") or ()))
        self._say = re.compile(_alternation(self.say)) if self.say else None
        self._pinyin_terms = sorted(self.pinyin, key=len, reverse=True)
        after = _alternation(raw.get("digits_after"))
        before = _alternation(raw.get("digits_before"))
        self._digits_after = re.compile(rf"({after})([：:]?)\s*(\d[\d\- ]*\d|\d)") if after \
            else None
        self._digits_before = re.compile(rf"(?<![\d.])(\d+)(?=\s*(?:{before}))") if before \
            else None

    def apply_say(self, text: str) -> str:
        return self._say.sub(lambda m: self.say[m.group(0)], text) if self._say else text

    def apply_digits(self, text: str) -> str:
        """Numbers after 拨打/电话/编号… or before 急救/报警… are said digit by digit."""
        if self._digits_after:
            text = self._digits_after.sub(
                lambda m: m.group(1) + m.group(2) + _phone(m.group(3)), text)
        if self._digits_before:
            text = self._digits_before.sub(lambda m: _phone(m.group(1)), text)
        return text

    def pinyin_term_at(self, text: str, i: int) -> str | None:
        return next((t for t in self._pinyin_terms if text.startswith(t, i)), None)


@cache
def lexicon(path: Path = DATA) -> Lexicon:
    with open(path, encoding="utf-8") as f:
        return Lexicon(yaml.safe_load(f) or {})


# --- numbers ---------------------------------------------------------------------------------

def digits(number: str, *, phone: bool = False) -> str:
    """"2025" -> 二零二五; phone=True says 1 as 幺: "120" -> 幺二零."""
    words = _PHONE_DIGIT_WORDS if phone else _DIGIT_WORDS
    return "".join(words[int(d)] for d in number if d.isdigit())


def _integer(number: str) -> str:
    if (len(number) > 1 and number.startswith("0")) or len(number) > 12:
        return digits(number)  # 007, account numbers: one by one
    return spoken_number(int(number))


def _decimal(number: str) -> str:
    whole, _, fraction = number.partition(".")
    return _integer(whole) + "点" + digits(fraction)


def _section(number: str) -> str:
    """5.4.5 -> 五点四点五; 5.10.1 -> 五点十点一."""
    return "点".join(_integer(part) for part in number.split("."))


def _phone(number: str) -> str:
    """Digit by digit with 幺; an 11-digit mobile grouped 3-4-4, other groups as written."""
    number = re.sub(r"^\+?86[- ]?(?=1\d{10})", "", number.strip())
    bare = re.sub(r"\D", "", number)
    if len(bare) == 11 and bare.startswith("1"):
        groups = [bare[:3], bare[3:7], bare[7:]]
    else:
        groups = [g for g in re.split(r"[- ]+", number) if g]
    return "，".join(digits(g, phone=True) for g in groups)


# --- rules, in the order they are applied ----------------------------------------------------

_URL = re.compile(r"https?://\S+|www\.\S+")
# 〔2023〕24号, [2023]24号, （2023）24号; 〔2023〕 alone is a year.
_DOC_NUMBER = re.compile(r"[〔\[［(（]\s*((?:19|20)\d{2})\s*[〕\]］)）]\s*(?:第?\s*(\d+)\s*号)?")
_THOUSANDS = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
_ISO_DATE = re.compile(r"(?<![\d.])((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?![\d.])")
_MOBILE = re.compile(r"(?<![\d.])(?:\+?86[- ]?)?1[3-9]\d{9}(?![\d.])")
_LANDLINE = re.compile(r"(?<![\d.])0\d{2,3}-\d{7,8}(?![\d.])")  # 0431-88886666
_RANGE = re.compile(r"(?<=\d)\s*[-–—]\s*(?=\d)")
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?=\s*(?:年|到\s*(?:19|20)\d{2}\s*年))")
_SECTION = re.compile(r"(?<![\d.])(\d+(?:\.\d+){2,})(?![\d.])")
_SECTION_OR_DECIMAL = re.compile(r"(?<![\d.])(\d+(?:\.\d+)+)(?![\d.])")
_CLOCK = re.compile(r"(?<![\d.:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d.:])")
_RATIO = re.compile(r"(?<![\d.:])(\d+)\s*[:：]\s*(\d+)(?![\d.:])")
_DECIMAL = re.compile(r"(?<![\d.])(\d+\.\d+)(?![\d.])")
_INTEGER = re.compile(r"\d+")
_TIME_WORDS = ("上午", "下午", "早上", "晚上", "中午", "凌晨", "每天", "早", "晚")


def _doc_number(m: re.Match) -> str:
    year = digits(m.group(1)) + "年"
    return year + (f"第{_integer(m.group(2))}号" if m.group(2) else "")


def _iso_date(m: re.Match) -> str:
    year, month, day = m.groups()
    return f"{digits(year)}年{_integer(month)}月{_integer(day)}日"


def _clock_or_ratio(m: re.Match) -> str:
    """8:30 is a time with round minutes or after 上午 etc.; 1:5 and 1:10 are ratios."""
    before = m.string[max(0, m.start() - 2):m.start()]
    left, right = m.group(1), m.group(2)
    is_time = len(right) == 2 and (right in ("00", "30") or before.endswith(_TIME_WORDS))
    if not is_time:
        return f"{_integer(left)}比{_integer(right)}"
    hour, minute = spoken_number(int(left)), int(right)
    if minute == 0:
        return f"{hour}点"
    if minute == 30:
        return f"{hour}点半"
    return f"{hour}点{'零' if minute < 10 else ''}{spoken_number(minute)}分"


def _integers(text: str, lex: Lexicon) -> str:
    def one(m: re.Match) -> str:
        number = m.group(0)
        before = m.string[m.start() - 1] if m.start() else ""
        if number == "2" and before != "第" and m.string.startswith(lex.liang_before, m.end()):
            return "两"  # 2个月 -> 两个月, 2万 -> 两万; 第2 and 2月 keep 二
        return _integer(number)

    return _INTEGER.sub(one, text)


def spoken_line(line: str, lex: Lexicon | None = None) -> str:
    """One line of a reply as it is said (see to_spoken)."""
    lex = lex or lexicon()
    citation = line.startswith(CITATION_PREFIX)
    if citation:
        line = line.replace("《", "").replace("》", "")
    line = _URL.sub("链接", line)
    line = _DOC_NUMBER.sub(_doc_number, line)
    line = speakable(line)  # markup, emoji, 70% -> 百分之70, ≤ -> 不超过, ～ -> 到
    line = _THOUSANDS.sub("", line)
    line = _ISO_DATE.sub(_iso_date, line)
    line = _MOBILE.sub(lambda m: _phone(m.group(0)), line)
    line = _LANDLINE.sub(lambda m: _phone(m.group(0)), line)
    line = lex.apply_digits(line)
    line = lex.apply_say(line)
    line = _RANGE.sub("到", line)
    line = _YEAR.sub(lambda m: digits(m.group(1)), line)
    # In a citation every dotted number is a section (规范5.5 -> 五点五); elsewhere only 5.4.5.
    section = _SECTION_OR_DECIMAL if citation else _SECTION
    line = section.sub(lambda m: _section(m.group(1)), line)
    line = _CLOCK.sub(_clock_or_ratio, line)
    line = _RATIO.sub(_clock_or_ratio, line)
    line = _DECIMAL.sub(lambda m: _decimal(m.group(1)), line)
    line = _integers(line, lex)
    return re.sub(r"\s+", " ", line).strip()


def to_spoken(text: str, lex: Lexicon | None = None) -> str:
    """A rendered reply (lines of text, the citation last) as text that reads aloud well: no
    digits left, every line ending in punctuation so that an engine pauses there."""
    out = []
    for raw in text.splitlines():
        line = spoken_line(raw, lex)
        if line:
            out.append(line if line[-1] in _CLAUSE_END else line + "。")
    return "\n".join(out)


# --- pinyin, for engines that read it --------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff]")
_NUMERAL_BEFORE = set("零一二三四五六七八九十百千万亿点第两幺")
_NUMERAL_AFTER = set("零一二三四五六七八九点幺")


_LEADING_YI = {"万": "yi2", "亿": "yi4", "千": "yi4", "百": "yi4"}  # 一万 yí wàn, 一千 yì qiān


def _numeral_yi(chars: str, syllables: list[str]) -> list[str]:
    """一 in numbers, which pypinyin's sandhi gets wrong: 十一条 is shí yī tiáo, 一千 yì qiān."""
    out = list(syllables)
    for i, ch in enumerate(chars):
        if ch != "一":
            continue
        before = chars[i - 1] if i else ""
        after = chars[i + 1] if i + 1 < len(chars) else ""
        if after in _LEADING_YI and (before in "万亿" or before not in _NUMERAL_BEFORE):
            out[i] = _LEADING_YI[after]  # 一万, 四万一千
        elif before in _NUMERAL_BEFORE or after in _NUMERAL_AFTER:
            out[i] = "yi1"
    return out


def _han_pinyin(chars: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin  # 0.4 s to import: only when pinyin is wanted

    syllables = lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True,
                            tone_sandhi=True)
    return _numeral_yi(chars, syllables) if len(syllables) == len(chars) else syllables


def to_pinyin(text: str, lex: Lexicon | None = None) -> str:
    """Spoken Chinese (to_spoken's output) as tone-numbered pinyin, syllables separated by
    spaces, punctuation and line breaks kept. Terms in the lexicon's pinyin table win; the rest
    is read by pypinyin with tone sandhi (一, 不, third tones)."""
    lex = lex or lexicon()
    words: list[str] = []  # syllables or other text, in order
    han: list[str] = []  # Chinese characters waiting for pypinyin
    other: list[str] = []  # anything else waiting

    def flush() -> None:
        if han:
            words.extend(_han_pinyin("".join(han)))
            han.clear()
        if other:
            words.append("".join(other))
            other.clear()

    i = 0
    while i < len(text):
        term = lex.pinyin_term_at(text, i)
        if term is not None:
            flush()
            words.append(lex.pinyin[term])
            i += len(term)
            continue
        if _HAN.match(text[i]):
            if other:
                flush()
            han.append(text[i])
        else:
            if han:
                flush()
            other.append(text[i])
        i += 1
    flush()
    spoken = ""
    for word in words:
        if spoken and spoken[-1].isalnum() and word[0].isalnum():
            spoken += " "
        spoken += word
    return re.sub(r"[ \t]*\n[ \t]*", "\n", spoken).strip()
