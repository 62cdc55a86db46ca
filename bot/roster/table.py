"""The rules on a grid of cells, whatever file it came from: find the header (under title rows,
in one or two rows, by any of the names agencies use), read each row into a `RosterRow` or a
rejection, skip and name the rows that are no cadre (合计, 制表人, a section heading), and list
every column nobody reads. Pure: rows and a date in, a `ParsedRoster` out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.roster import cells, vocabulary
from bot.roster.cells import Bad, text
from bot.roster.model import ParsedRoster, Rejected, RosterError, RosterRow, Skipped, msg

HEADER_SEARCH_ROWS = 10  # title rows ("某某军休所干部花名册", 填报单位, 日期) may sit above it
PHONE_KEYS = ("phone", "landline")  # several columns of numbers are read together


def header_key(raw: Any) -> str:
    """'Telegram ID', 'telegram_id', ' ＴＥＬＥＧＲＡＭ　ＩＤ ', '姓名*', '离休/退休' and
    '出生年月（年.月）' compare by their words alone."""
    found = unicodedata.normalize("NFKC", "" if raw is None else str(raw)).casefold()
    found = re.sub(r"[(（【\[].*?[)）】\]]", "", found)
    return re.sub(r"[\s_\-*:：/／、.]", "", found)


_WORDS = vocabulary.load()
_HEADER_KEYS = {header_key(h): key for key, names in _WORDS.columns.items() for h in names}
_ROW_NUMBER_KEYS = frozenset(header_key(h) for h in _WORDS.row_number)
@dataclass(frozen=True)
class Header:
    columns: dict[str, list[int]]  # column → the indexes of its cells (phones: several)
    labels: list[str]  # the header text of every index, as written
    unknown: list[int]  # indexes of headers nobody reads
    line: int  # the last header line (data starts below)


def _match(cells_: Sequence[Any], *, strict: bool = True
           ) -> tuple[dict[str, list[int]], list[int]]:
    columns: dict[str, list[int]] = {}
    unknown: list[int] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(cells_):
        key = header_key(cell)
        if not key or key in _ROW_NUMBER_KEYS:
            continue
        column = _HEADER_KEYS.get(key)
        if column is None:
            unknown.append(i)
            continue
        if key in seen and strict:
            raise RosterError(msg("double_column", first=text(cells_[seen[key]]),
                                  second=text(cell)))
        seen[key] = i
        columns.setdefault(column, []).append(i)
    return columns, unknown


def _merge_rows(top: Sequence[Any], below: Sequence[Any]) -> list[Any] | None:
    """A two-row header ("联系方式" over "手机 | 座机"): each column named by its lower cell
    where that is a header, else by the upper. None if `below` is not such a row."""
    width = max(len(top), len(below))
    merged, sub = [], 0
    for i in range(width):
        upper = top[i] if i < len(top) else None
        lower = below[i] if i < len(below) else None
        if lower is not None and text(lower) and text(lower) != text(upper):
            if header_key(lower) not in _HEADER_KEYS:
                return None  # a value, not a heading: `below` is data
            merged.append(lower)
            sub += 1
        else:
            merged.append(upper)
    return merged if sub else None


def find_header(rows: Iterator[tuple[int, Sequence[Any]]]
                ) -> tuple[Header, tuple[int, Sequence[Any]] | None]:
    """The header, and the first row after it (already read, to be parsed as data)."""
    for _ in range(HEADER_SEARCH_ROWS):
        try:
            line, found = next(rows)
        except StopIteration:
            break
        columns, _ = _match(found, strict=False)
        if "name" not in columns:
            continue
        following = next(rows, None)
        if following is not None:
            merged = _merge_rows(found, following[1])
            if merged is not None:
                found, line, following = merged, following[0], None
        columns, unknown = _match(found)
        if len(columns["name"]) > 1:
            raise RosterError(msg("double_column", first=text(found[columns["name"][0]]),
                                  second=text(found[columns["name"][1]])))
        for key, indexes in columns.items():
            if key not in PHONE_KEYS and len(indexes) > 1:
                raise RosterError(msg("double_column", first=text(found[indexes[0]]),
                                      second=text(found[indexes[1]])))
        if not any(k in columns for k in (*PHONE_KEYS, "telegram_id")):
            raise RosterError(msg("no_contact_column"))
        return Header(columns, [text(c) for c in found], unknown, line), following
    raise RosterError(msg("no_header"))


# --- rows that are no cadre ------------------------------------------------------------------


def skipped_label(values: Sequence[Any], name_index: int) -> str | None:
    """What a row is if it is no cadre: a footer (合计, 制表人 …), a section heading or a
    filler spread over the row; None for a cadre's row (good or bad)."""
    filled = [cells.clean(v) for v in values if cells.clean(v)]
    if not filled:
        return None
    name = cells.clean(values[name_index]) if name_index < len(values) else ""
    leading = [cells.clean(v) for v in values[:name_index + 1] if cells.clean(v)]
    for cell in leading or filled[:1]:
        m = _WORDS.footer.match(cell)
        if m:
            return m.group(0)
    if len(set(filled)) == 1 and len(filled) > 1:
        return msg("skip_filler")  # one merged text across the row
    if len(filled) == 1 and filled[0] != name and not re.search(r"\d{5,}", filled[0]):
        return msg("skip_heading")  # "一、离休干部" in the 序号 column
    if len(filled) <= 2 and _WORDS.heading.match(name or filled[0]):
        return msg("skip_heading")
    return None


# --- one row -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Agencies:
    """The agencies a 所属军休所 cell may name, and the one `--agency` gave (if any)."""

    by_name: dict[str, str]  # normalised name or key → key
    given: str | None = None


def _agency(raw: Any, agencies: Agencies) -> str | Bad:
    from bot.agencies.store import name_key

    found = agencies.by_name.get(name_key(cells.clean(raw)))
    if found is None:
        return Bad(msg("agency_unknown", raw=cells.clean(raw)))
    if agencies.given is not None and found != agencies.given:
        return Bad(msg("agency_other", raw=cells.clean(raw)))
    return found


def read_row(line: int, values: dict[str, Any], header: Header, today: date,
             agencies: Agencies) -> tuple[RosterRow | None, list[str], list[str]]:
    """One row: the row (None if rejected), the reasons to reject it, notes for staff."""
    reasons: list[str] = []
    notes: list[str] = []
    fields: dict[str, Any] = {}

    def read(key: str, reader: Any) -> Any:
        value = values.get(key)
        if key not in header.columns or cells.blank(value):
            return None
        result = reader(value)
        if isinstance(result, Bad):
            reasons.append(result.reason)
            return None
        return result

    name = cells.name(values.get("name"))
    if isinstance(name, Bad):
        reasons.append(name.reason)
    numbers: list[str] = []
    for value in values.get("phones", ()):
        if not cells.blank(value):
            found = cells.phones(value)
            if isinstance(found, Bad):
                reasons.append(found.reason)
            else:
                numbers += found
    fields["phone"], fields["other_phone"] = cells.choose_phones(tuple(dict.fromkeys(numbers)))
    fields["telegram_id"] = read("telegram_id", cells.telegram_id)
    fields["region"] = read("region", lambda v: cells.region(v, today))
    fields["status"] = read("status", cells.status)
    fields["rank"] = read("rank", lambda v: cells.rank(v, today))
    born = read("birth_date", lambda v: cells.birth_date(
        v, today, month_only=bool(values.get("birth_month_only"))))
    from_id = read("id_number", lambda v: cells.id_birth_date(v, today))
    if born is not None:
        fields["birth_date"], fields["birth_precision"] = born
        if from_id is not None and (from_id.year, from_id.month) != (
                born[0].year, born[0].month):
            notes.append(msg("id_birth_differs", line=line))
    elif from_id is not None:
        fields["birth_date"] = from_id  # 出生年月 empty: the ID number's, to the day
    fields["last_contact"] = read("last_contact", lambda v: cells.last_contact(v, today))
    if "lives_alone" in header.columns:  # a blank in a ✓ column means no
        alone = cells.lives_alone(values.get("lives_alone"))
        if isinstance(alone, Bad):
            reasons.append(alone.reason)
        else:
            fields["lives_alone"] = alone
    merits = read("merits", lambda v: cells.merits(v, today))
    if merits is not None:
        fields["merits"], fields["merits_text"] = merits
    agency = read("agency", lambda v: _agency(v, agencies))
    fields["agency_key"] = agency if agency is not None else agencies.given
    if not reasons and not fields["phone"] and not fields["telegram_id"]:
        reasons.append(msg("no_contact"))
    if reasons or isinstance(name, Bad):
        return None, reasons, notes
    return RosterRow(line=line, name=name, **{k: v for k, v in fields.items()
                                               if v is not None}), reasons, notes


def line_reason(line: int, reasons: list[str]) -> str:
    return msg("line", line=line, reasons="；".join(reasons))


def _raw(header: Header, row: Sequence[Any]) -> dict[str, str]:
    """The whole row as staff wrote it, for the rejected list (an ID number masked)."""
    ids = set(header.columns.get("id_number", ()))
    return {h: (cells.mask_id(text(row[i])) if i in ids and text(row[i]) else text(row[i]))
            if i < len(row) else "" for i, h in enumerate(header.labels) if h}


def parse_table(table: Iterable[tuple[int, Sequence[Any]]], today: date, *,
                agencies: Agencies | None = None,
                formats: dict[tuple[int, int], str] | None = None) -> ParsedRoster:
    """The rules on (line number, cells) rows. `formats`: Excel number formats by (line,
    column) for the cells where the format says more than the value (a date shown as
    yyyy.mm has no day)."""
    agencies = agencies or Agencies({})
    rows_iter = iter(table)
    header, first = find_header(rows_iter)
    notes: list[str] = []
    if "agency" in header.columns and not agencies.by_name:
        # A single-agency set-up (no `agencies add`): 所属军休所 names nothing to match, and
        # must not reject every row. It is listed with the columns not read, and said why.
        header.unknown.extend(header.columns.pop("agency"))
        header.unknown.sort()
        notes.append(msg("agency_column_unused"))
    name_index = header.columns["name"][0]
    phone_indexes = [i for key in PHONE_KEYS for i in header.columns.get(key, ())]
    phone_indexes.sort()
    rows: list[RosterRow] = []
    rejected: list[Rejected] = []
    skipped: list[Skipped] = []
    headless: set[int] = set()
    seen_phone: dict[str, int] = {}
    seen_telegram: dict[int, int] = {}
    for line, row in ([first] if first else []) + list(rows_iter):
        if all(text(v) == "" for v in row):
            continue  # blank rows between blocks of a hand-made sheet
        label = skipped_label(row, name_index)
        if label is not None:
            skipped.append(Skipped(line, label))
            continue
        values: dict[str, Any] = {key: row[ix[0]] if ix[0] < len(row) else None
                                  for key, ix in header.columns.items()}
        values["phones"] = [row[i] for i in phone_indexes if i < len(row)]
        birth = header.columns.get("birth_date", [None])[0]
        values["birth_month_only"] = birth is not None and (formats or {}).get(
            (line, birth)) == "month"
        headless.update(i for i in range(len(header.labels), len(row)) if text(row[i]))
        headless.update(i for i, h in enumerate(header.labels)
                        if not h and i < len(row) and text(row[i]))
        parsed, reasons, row_notes = read_row(line, values, header, today, agencies)
        notes += row_notes
        if parsed is not None:
            if parsed.phone and parsed.phone in seen_phone:
                reasons.append(msg("dup_phone", other=seen_phone[parsed.phone]))
            if parsed.telegram_id and parsed.telegram_id in seen_telegram:
                reasons.append(msg("dup_telegram", other=seen_telegram[parsed.telegram_id]))
        if reasons or parsed is None:
            rejected.append(Rejected(line, line_reason(line, reasons), _raw(header, row)))
            continue
        if parsed.phone:
            seen_phone[parsed.phone] = line
        if parsed.telegram_id:
            seen_telegram[parsed.telegram_id] = line
        rows.append(parsed)
    unknown = [header.labels[i] for i in header.unknown]
    unknown += [msg("headless_column", n=_column_letter(i)) for i in sorted(headless)]
    if "lives_alone" not in header.columns:
        notes.insert(0, msg("no_lives_alone_column"))
    return ParsedRoster(rows, rejected, skipped, unknown, notes)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
