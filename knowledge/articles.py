"""Split a seed document into addressable articles and clauses.

Seeds are text extracted from PDFs, so they arrive messy: lines wrap mid-sentence, blank lines
and page breaks fall anywhere, and the extractor puts spaces between digits and Chinese
("6 个月（含）"). This module rebuilds clean paragraphs and files them under the references people
cite:

* scheme "articles" (办法, 细则): "第二十条" for each article and "第十一条（三）" for each
  enumerated clause of one. Chapter headings (第一章 总则) and the notice before 第一条 are dropped.
* scheme "numbered" (standards such as DB31/T 1044): "5", "5.11", "5.11.2" … A section holds its
  own text plus everything nested under it, so "5.11" includes 5.11.1 and 5.11.2.

A reference's own marker is not repeated in its text (the caller prints "第二十条" next to it);
markers of nested clauses stay, since they are part of what the reader sees.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

_CN_NUMERAL = "零〇一二两三四五六七八九十百"
_CN_DIGITS = dict(
    zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True)
)

_ARTICLE = re.compile(rf"第([{_CN_NUMERAL}]+)条(\s*)(.*)")
_CHAPTER = re.compile(rf"第[{_CN_NUMERAL}]+[编章节](?:\s|$)")
_CLAUSE = re.compile(rf"[（(]([{_CN_NUMERAL}]+)[）)]\s*(.*)")
_SECTION = re.compile(r"(\d+(?:\.\d+)*)(?:\s+(.*))?")
# Lines that start a paragraph of their own in a standard: list items a) b), notes (注：) and
# entries of the normative-reference list ("GB/T 17242 投诉处理指南").
_OWN_LINE = re.compile(r"[a-z][)）]|注\s*[:：]|[A-Z]{2,}(?:/[A-Z]+)?\s+\d")
_TABLE = re.compile(r"表\s*\d+(?:\s|$)")
_PAGE_FURNITURE = re.compile(r"[-—–－\s]*\d+[-—–－\s]*|第\s*\d+\s*页.*")

# "Wide" = CJK ideographs, CJK and full-width punctuation, Chinese quotes and dashes.
_WIDE = "[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u2014\u2018-\u201f\u2026]"
_GAP = re.compile(rf"(?<={_WIDE})\s+(?={_WIDE}|\d)|(?<=\d)\s+(?={_WIDE})")
_ASCII_COMMA = re.compile(rf"(?<={_WIDE}),\s*(?={_WIDE})")
_CODE_BEFORE = re.compile(r"[A-Z][A-Z/]*\s+[\d.:\-—]+$")  # "GB/T 18883" keeps its space
_TERMINAL = "。！？；：”"  # a short line ending like this closes its paragraph


def parse_articles(text: str, scheme: str) -> dict[str, str]:
    """Map each article/clause reference of a seed text to its clean text, in document order."""
    lines = [s for s in (raw.strip() for raw in text.splitlines()) if s]
    repeats = Counter(lines)
    # Page furniture: bare page numbers, and short lines repeated on every page (running heads).
    lines = [
        s
        for s in lines
        if not _PAGE_FURNITURE.fullmatch(s) and not (repeats[s] >= 3 and _width(s) <= 40)
    ]
    if scheme == "articles":
        return _by_article(lines)
    if scheme == "numbered":
        return _by_section(lines)
    raise ValueError(f"unknown article scheme {scheme!r} (expected 'articles' or 'numbered')")


# --- text clean-up -------------------------------------------------------------------------


def _width(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


def _join(lines: list[str]) -> str:
    """Join wrapped lines; only a break between two Latin letters/digits was a real space."""
    out = lines[0]
    for line in lines[1:]:
        seam = out[-1] + line[0]
        out += (" " if seam.isascii() and seam.isalnum() else "") + line
    return _tidy(out)


def _tidy(text: str) -> str:
    """Drop the spaces extraction put between Chinese and digits; keep those in codes/words."""

    def gap(m: re.Match[str]) -> str:
        # "GB/T 18883 的要求": the number belongs to a standard code, keep it apart
        return " " if _CODE_BEFORE.search(text, max(0, m.start() - 24), m.start()) else ""

    text = _GAP.sub(gap, text)
    text = _ASCII_COMMA.sub("，", text)
    return re.sub(r"\s{2,}", " ", text)


def _cn_int(numeral: str) -> int:
    """二十一 -> 21, 一百零三 -> 103 (enough for article and clause numbers)."""
    total, digit = 0, 0
    for ch in numeral:
        if ch == "百":
            total, digit = total + (digit or 1) * 100, 0
        elif ch == "十":
            total, digit = total + (digit or 1) * 10, 0
        else:
            digit = _CN_DIGITS[ch]
    return total + digit


# --- paragraphs ------------------------------------------------------------------------------


@dataclass
class _Para:
    """One paragraph: the reference it opens (if any) and its raw lines."""

    key: str | None
    marker: str  # "5.11.1 " or "（三）": shown when the paragraph is quoted inside its parent
    lines: list[str] = field(default_factory=list)
    table: bool = False  # table rows keep their line breaks and spacing

    def text(self) -> str:
        if self.table:
            return "\n".join(re.sub(r"\s+", " ", s) for s in self.lines)
        return _join(self.lines) if self.lines else ""


class _Paragraphs:
    """Collects lines into paragraphs. A wrapped line runs (nearly) to the page edge, so a
    clearly shorter line that ends a sentence also ends its paragraph."""

    def __init__(self, body: list[str]) -> None:
        wrapped = [_width(s) for s in body if s[-1] not in _TERMINAL]
        # The page edge is where most wrapped lines stop. Too few wrapped lines means the text
        # was not hard-wrapped at all: then every sentence end closes a paragraph.
        edge = statistics.quantiles(wrapped, n=10)[-1] if len(wrapped) >= 5 else float("inf")
        self.short = 0.9 * edge
        self.items: list[_Para] = []
        self.open = False

    def start(
        self,
        line: str,
        key: str | None = None,
        marker: str = "",
        text: str | None = None,
        *,
        table: bool = False,
    ) -> None:
        """Open a paragraph at `line`, whose own text is `text` (the line minus its marker)."""
        text = line if text is None else text
        self.items.append(_Para(key, marker, [text] if text else [], table))
        self.open = True
        self._check_end(line)

    def add(self, line: str) -> None:
        if not self.items:
            return
        if not self.open:
            self.start(line)
            return
        self.items[-1].lines.append(line)
        self._check_end(line)

    def close(self) -> None:
        self.open = False

    def _check_end(self, line: str) -> None:
        if self.items[-1].table or not line:
            return
        ends = line[-1] in _TERMINAL and _width(line) < self.short
        # a much shorter line without clause punctuation is a title or a defined term
        title = _width(line) < self.short * 0.6 and not re.search("[，、；。]", line)
        if ends or title:
            self.open = False


# --- scheme "articles": 第X条 with clauses （一） --------------------------------------------


def _by_article(lines: list[str]) -> dict[str, str]:
    paras = _Paragraphs(lines[_first(lines, lambda s: _ARTICLE.match(s) is not None) :])
    last, clause, in_article = 0, 0, False
    for line in lines:
        m = _ARTICLE.match(line)
        if m and _next_article(_cn_int(m[1]), last, spaced=bool(m[2])):
            last, clause, in_article = _cn_int(m[1]), 0, True
            paras.start(line, f"第{m[1]}条", "", m[3])
        elif _CHAPTER.match(line) and _width(line) <= 40:
            paras.close()  # a chapter title belongs to no article
            in_article = False
        elif not in_article:
            continue  # the notice before 第一条, or the rest of a chapter title
        elif (c := _CLAUSE.match(line)) and _cn_int(c[1]) == clause + 1:
            clause += 1
            paras.start(line, f"（{c[1]}）", f"（{c[1]}）", c[2])
        else:
            paras.add(line)

    result: dict[str, str] = {}
    article = ""
    for para in paras.items:
        text = para.text()
        if para.key and para.key.startswith("第"):
            article = para.key
            result[article] = text
            continue
        result[article] += "\n" + para.marker + text
        if para.key:  # a clause is also addressable on its own: 第十一条（三）
            result[article + para.key] = text
    return result


def _next_article(number: int, last: int, *, spaced: bool) -> bool:
    # The next number always counts. A later one counts only when set off by a space as
    # headings are, so a gap in the seed shows up instead of swallowing the rest; a line that
    # merely starts with "第五条规定…" (a reference that wrapped) never does.
    return number == last + 1 or (number > last and spaced)


# --- scheme "numbered": 5 / 5.11 / 5.11.2 --------------------------------------------------


def _by_section(lines: list[str]) -> dict[str, str]:
    paras = _Paragraphs(lines[_first(lines, lambda s: s.startswith("1 ")) :])
    heads: list[tuple[str, int, int]] = []  # (key, depth, index of its paragraph)
    last: tuple[int, ...] = ()
    in_table = term = False
    for line in lines:
        m = _SECTION.fullmatch(line)
        number = tuple(int(n) for n in m[1].split(".")) if m else ()
        if m and _next_section(number, last, m[2] or ""):
            last, in_table = number, False
            heads.append((m[1], len(number), len(paras.items)))
            paras.start(line, m[1], m[1] + " ", m[2] or "")
        elif not last:
            continue  # cover, foreword (前言) and title before "1 范围"
        elif _TABLE.match(line) or in_table:
            if not in_table:
                paras.start(line, table=True)
                in_table = True
            else:
                paras.add(line)
        elif _OWN_LINE.match(line):
            paras.start(line)
        elif term:
            paras.add(line)  # a bare "3.1" is followed by the term it defines: its own line
            paras.close()
        else:
            paras.add(line)
        term = bool(m and number == last and not m[2])

    result: dict[str, str] = {}
    texts = [(p.marker, p.text()) for p in paras.items]
    for i, (key, depth, start) in enumerate(heads):
        end = next((s for _, d, s in heads[i + 1 :] if d <= depth), len(texts))
        own = texts[start][1]
        nested = [marker + text for marker, text in texts[start + 1 : end]]
        result[key] = "\n".join(t for t in [own, *nested] if t)
    return result


def _next_section(number: tuple[int, ...], last: tuple[int, ...], rest: str) -> bool:
    """Does this line-initial number continue the outline after `last`?

    Numbers at a line start are often just wrapped running text ("50 人的", "10 天内"), so a
    top-level number must be exactly the next chapter with a short title, and a deeper one must
    sit under the current parent with a higher number than its previous sibling.
    """
    if len(number) == 1:
        is_title = 0 < _width(rest) <= 30 and not re.search("[，。；：,]", rest)
        return number[0] == (last[0] + 1 if last else 1) and is_title
    parent, n = number[:-1], number[-1]
    if parent != last[: len(parent)]:
        return False
    previous = last[len(parent)] if len(last) > len(parent) else 0
    return n > previous


def _first(lines: list[str], is_heading: Callable[[str], bool]) -> int:
    """Index of the first heading line: paragraph widths are measured from there on."""
    return next((i for i, s in enumerate(lines) if is_heading(s)), 0)
