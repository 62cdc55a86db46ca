"""A rendered reply as it is said aloud: numbers, dates, amounts, document and section numbers
in words; the citation without its 《》; words from bot/data/pronunciation.yaml. Pure functions.

    to_spoken("您自付120000元，依据：《细则》第5.4.5条")  (one reply, lines kept)
    to_pinyin("军休干部")  -> "jun1 xiu1 gan4 bu4"   (for engines that read tone-numbered pinyin)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from bot.render import speakable
from junxiu_core.numbers import spoken_number

DATA = Path(__file__).resolve().parents[1] / "data" / "pronunciation.yaml"
CITATION_PREFIX = "依据"

_DIGIT_WORDS = "零一二三四五六七八九"
_PHONE_DIGIT_WORDS = "零幺二三四五六七八九"  # 1 is 幺 in numbers said digit by digit
_SENTENCE_END = "。！？；，：…"


@dataclass(frozen=True)
class Lexicon:
    """bot/data/pronunciation.yaml, ready to apply."""

    say: Mapping[str, str]
    digits_after: tuple[str, ...]
    digits_before: tuple[str, ...]
    liang_before: str
    pinyin: Mapping[str, str]

    @classmethod
    def from_mapping(cls, raw: Mapping) -> Lexicon:
        say = {str(k): "" if v is None else str(v) for k, v in (raw.get("say") or {}).items()}
        pinyin = {str(k): str(v) for k, v in (raw.get("pinyin") or {}).items()}
        return cls(
            say=dict(sorted(say.items(), key=lambda kv: -len(kv[0]))),
            digits_after=tuple(raw.get("digits_after") or ()),
            digits_before=tuple(raw.get("digits_before") or ()),
            liang_before=str(raw.get("liang_before") or ""),
            pinyin=pinyin,
        )


@cache
def lexicon(path: Path = DATA) -> Lexicon:
    with open(path, encoding="utf-8") as f:
        return Lexicon.from_mapping(yaml.safe_load(f) or {})


# --- numbers ---------------------------------------------------------------------------------

def digits(number: str, *, phone: bool = False) -> str:
    """"2025" -> 二零二五; phone=True says 1 as 幺: "120" -> 幺二零."""
    words = _PHONE_DIGIT_WORDS if phone else _DIGIT_WORDS
    return "".join(words[int(d)] for d in number if d.isdigit())


def _integer(number: str) -> str:
    if len(number) > 1 and number.startswith("0") or len(number) > 12:
        return digits(number)  # 007, account numbers: one by one
    return spoken_number(int(number))


def _decimal(number: str) -> str:
    whole, _, frac = number.partition(".")
    return _integer(whole) + ("点" + digits(frac) if frac else "")


def _section(number: str) -> str:
    """5.4.5 -> 五点四点五; 5.10.1 -> 五点十点一."""
    return "点".join(_integer(part) for part in number.split("."))


def _phone(number: str) -> str:
    """Digit by digit with 幺; an 11-digit mobile grouped 3-4-4, other groups kept."""
    number = re.sub(r"^\+?86[- ]?", "", number)
    bare = re.sub(r"\D", "", number)
    if len(bare) == 11 and bare.startswith("1"):
        groups = [bare[:3], bare[3:7], bare[7:]]
    else:
        groups = [g for g in re.split(r"[- ]+", number) if g]
    return "，".join(digits(g, phone=True) for g in groups)


# --- rules, applied in this order -----------------------------------------------------------

_URL = re.compile(r"https?://\S+|www\.\S+")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
# 〔2023〕24号, [2023]24号, （2023）24号; 〔2023〕alone is a year.
_DOC_NUMBER = re.compile(r"[〔\[［(（]\s*((?:19|20)\d{2})\s*[〕\]］)）]\s*(?:第?\s*(\d+)\s*号)?")
_ISO_DATE = re.compile(r"(?<![\d.])((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?![\d.])")
_MOBILE = re.compile(r"(?<![\d.])(?:\+?86[- ]?)?1[3-9]\d{9}(?![\d.])")
_LONG_DIGITS = re.compile(r"(?<![\d.])0\d{2,3}-\d{7,8}(?![\d.])")  # 0431-88886666
_YEAR = re.compile(r"(?<![\d.])((?:19|20)\d{2})(?=\s*(?:年|到\s*(?:19|20)\d{2}\s*年))")
_SECTION = re.compile(r"(?<![\d.])(\d+(?:\.\d+){2,})(?![\d.])")
_SECTION_OR_DECIMAL = re.compile(r"(?<![\d.])(\d+(?:\.\d+)+)(?![\d.])")
_TIME = re.compile(r"(?<![\d.:])([01]?\d|2[0-3])[:：]([0-5]\d)(?![\d.:])")
_RATIO = re.compile(r"(?<![\d.:])(\d+)\s*[:：]\s*(\d+)(?![\d.:])")
_RANGE = re.compile(r"(?<=\d)\s*[-–—]\s*(?=\d)")
_DECIMAL = re.compile(r"(?<![\d.])(\d+\.\d+)(?![\d.])")
_INTEGER = re.compile(r"\d+")
_TIME_WORDS = ("上午", "下午", "早上", "晚上", "中午", "凌晨", "每天", "早", "晚")


def _doc_number(m: re.Match) -> str:
    year = digits(m.group(1)) + "年"
    return year + (f"第{_integer(m.group(2))}号" if m.group(2) else "")


def _iso_date(m: re.Match) -> str:
    year, month, day = m.groups()
    return f"{digits(year)}年{_integer(month)}月{_integer(day)}日"


def _is_time(m: re.Match) -> bool:
    """8:30 is a time after 上午 etc. or with round minutes; 1:5 and 1:10 are ratios."""
    before = m.string[max(0, m.start() - 2):m.start()]
    return m.group(2) in ("00", "30") or any(before.endswith(w) for w in _TIME_WORDS)


def _time_or_ratio(m: re.Match) -> str:
    if _is_time(m):
        hour, minute = int(m.group(1)), int(m.group(2))
        if minute == 0:
            return f"{spoken_number(hour)}点"
        if minute == 30:
            return f"{spoken_number(hour)}点半"
        return f"{spoken_number(hour)}点" + ("零" if minute < 10 else "") + \
            f"{spoken_number(minute)}分"
    return f"{_integer(m.group(1))}比{_integer(m.group(2))}"


def _context_digits(lex: Lexicon) -> Callable[[str], str]:
    """Numbers after 拨打/电话/编号… or before 急救/报警… are said digit by digit."""
    after = "|".join(map(re.escape, sorted(lex.digits_after, key=len, reverse=True)))
    before = "|".join(map(re.escape, sorted(lex.digits_before, key=len, reverse=True)))
    patterns = []
    if after:
        patterns.append(re.compile(rf"({after})(\s*[：:]?\s*)(\d[\d\- ]*\d|\d)"))
    if before:
        patterns.append(re.compile(rf"(?<![\d.])()()(\d+)(?=\s*(?:{before}))"))

    def apply(text: str) -> str:
        for pattern in patterns:
            text = pattern.sub(lambda m: m.group(1) + m.group(2).strip() + _phone(m.group(3)),
                               text)
        return text

    return apply


def _integers(text: str, lex: Lexicon) -> str:
    def one(m: re.Match) -> str:
        number = m.group(0)
        before = text[m.start() - 1] if m.start() else ""
        after = text[m.end():m.end() + 2]
        if (number == "2" and before != "第" and lex.liang_before
                and any(after.startswith(w) for w in _measure_words(lex.liang_before))):
            return "两"
        return _integer(number)

    return _INTEGER.sub(one, text)


@cache
def _measure_words(raw: str) -> tuple[str, ...]:
    """The liang_before string split into words: 周岁 and 小时 are two characters."""
    two = [w for w in ("周岁", "小时") if w in raw]
    rest = raw
    for w in two:
        rest = rest.replace(w, "")
    return (*two, *rest)


def _say(text: str, lex: Lexicon) -> str:
    if not lex.say:
        return text
    pattern = re.compile("|".join(map(re.escape, lex.say)))
    return pattern.sub(lambda m: lex.say[m.group(0)], text)


def spoken_line(line: str, lex: Lexicon | None = None) -> str:
    """One line of a reply as it is said (see to_spoken)."""
    lex = lex or lexicon()
    citation = line.startswith(CITATION_PREFIX)
    if citation:
        line = line.replace("《", "").replace("》", "")
    line = _URL.sub("链接", line)
    line = speakable(line)  # markup, emoji, 70% -> 百分之70, ≤ -> 不超过
    line = _THOUSANDS.sub("", line)
    line = _DOC_NUMBER.sub(_doc_number, line)
    line = _ISO_DATE.sub(_iso_date, line)
    line = _MOBILE.sub(lambda m: _phone(m.group(0)), line)
    line = _LONG_DIGITS.sub(lambda m: _phone(m.group(0)), line)
    line = _context_digits(lex)(line)
    line = _say(line, lex)
    line = _YEAR.sub(lambda m: digits(m.group(1)), line)
    # In a citation every dotted number is a section (规范5.5 -> 五点五); elsewhere only 5.4.5.
    line = (_SECTION_OR_DECIMAL if citation else _SECTION).sub(lambda m: _section(m.group(1)),
                                                               line)
    line = _TIME.sub(lambda m: _time_or_ratio(m), line)
    line = _RATIO.sub(lambda m: _time_or_ratio(m), line)
    line = _RANGE.sub("到", line)
    line = _DECIMAL.sub(lambda m: _decimal(m.group(1)), line)
    line = _integers(line, lex)
    return re.sub(r"\s+", " ", line).strip()


def to_spoken(text: str, lex: Lexicon | None = None) -> str:
    """A rendered reply (lines of text, the citation last) as text that reads aloud well.

    Every line ends in punctuation so that an engine pauses between lines; blank lines go.
    """
    lines = [spoken_line(line, lex) for line in text.splitlines()]
    out = []
    for line in lines:
        if not line:
            continue
        if line[-1] not in _SENTENCE_END:
            line += "。"
        out.append(line)
    return "\n".join(out)


# --- pinyin, for engines that read it --------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u9fff]")
_NUMERAL = "零一二三四五六七八九十百千万亿点第两幺"
_DIGIT_CHARS = "零一二三四五六七八九点幺"


def _numeral_yi(chars: str, syllables: list[str]) -> list[str]:
    """pypinyin's sandhi says 十一条 as shí yì tiáo; in numbers 一 keeps its first tone."""
    out = list(syllables)
    for i, ch in enumerate(chars):
        if ch != "一" or not out[i].startswith("yi"):
            continue
        before = chars[i - 1] if i else ""
        after = chars[i + 1] if i + 1 < len(chars) else ""
        if (before and before in _NUMERAL) or (after and after in _DIGIT_CHARS):
            out[i] = "yi1"
    return out


def _han_pinyin(chars: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin  # 0.4 s to import: only when pinyin is wanted

    syllables = lazy_pinyin(chars, style=Style.TONE3, neutral_tone_with_five=True,
                            tone_sandhi=True, errors=lambda s: list(s))
    return _numeral_yi(chars, syllables) if len(syllables) == len(chars) else syllables


def to_pinyin(text: str, lex: Lexicon | None = None) -> str:
    """Spoken Chinese (to_spoken's output) as tone-numbered pinyin, one syllable per character,
    punctuation and line breaks kept: "军休干部，您好。" -> "jun1 xiu1 gan4 bu4，nin2 hao3。"

    Terms in the lexicon's pinyin table win; everything else is read by pypinyin, with tone
    sandhi (一, 不, third tones)."""
    lex = lex or lexicon()
    terms = sorted(lex.pinyin, key=len, reverse=True)
    out: list[str] = []
    run: list[str] = []  # Chinese characters waiting for pypinyin

    def flush() -> None:
        if run:
            out.extend(_han_pinyin("".join(run)))
            run.clear()

    i = 0
    while i < len(text):
        term = next((t for t in terms if text.startswith(t, i)), None)
        if term is not None:
            flush()
            out.append(lex.pinyin[term])
            i += len(term)
            continue
        ch = text[i]
        if _HAN.match(ch):
            run.append(ch)
        else:
            flush()
            out.append(ch)
        i += 1
    flush()
    # Syllables are separated by spaces; punctuation and line breaks stick to what precedes.
    spoken = ""
    for piece in out:
        if _HAN.match(piece) or re.match(r"[a-z]", piece):
            spoken += (" " if spoken and not spoken[-1].isspace() and
                       spoken[-1] not in "\n" else "") + piece
        elif piece.isspace():
            spoken += piece if piece == "\n" else " "
        else:
            spoken += piece
    return re.sub(r"[ ]*\n[ ]*", "\n", re.sub(r" {2,}", " ", spoken)).strip()
