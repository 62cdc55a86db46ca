"""The staff roster: `junxiu cadres import FILE` (.csv/.xlsx), `cadres list`, `cadres show`.

Parsing is pure (a file and a date in, rows and rejections out); importing is one transaction,
so a file is either stored whole (minus its rejected rows) or not at all. Staff export the
roster from Excel or WPS on Chinese Windows, so CSV may be UTF-8 (with or without BOM) or GBK,
cells may be numbers or dates, and a title row may sit above the header.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import secrets
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

import knowledge
from bot.logs import mask
from bot.storage import repo
from bot.storage.models import Account, Cadre, Contact
from bot.tickets import link_account, normal_phone
from intents.slots import extract
from junxiu_core.model import REGIONS, Rank, Status

CHINA = ZoneInfo("Asia/Shanghai")
TELEGRAM = "telegram"
# No 0/O, 1/I/L: codes are read aloud over the phone and typed by elderly hands.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
INVITE_LENGTH = 6
MIN_AGE, MAX_AGE = 40, 120
HEADER_SEARCH_ROWS = 10  # a title row or two ("某某军休所干部花名册") may sit above the header

# Column → accepted headers, as the contract in DESIGN.md spells them.
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("电话", "phone"),
    "telegram_id": ("Telegram ID", "telegram_id"),
    "region": ("地区", "region"),
    "status": ("离休退休", "status"),
    "rank": ("职级", "rank"),
    "birth_date": ("出生日期", "birth_date"),
    "lives_alone": ("独居", "lives_alone"),
    "merits": ("立功受奖", "merits"),
    "last_contact": ("最近联系日期", "last_contact"),
}

# What staff read, kept in one place (the CLI is staff-facing; cadres never see these).
def _msg(key: str) -> str:
    """A staff-facing message template from knowledge/data/answers/roster.yaml."""
    return knowledge.load().string(f"staff.roster.{key}")


_BLANK = frozenset({"", "-", "--", "—", "——", "/", "无", "空", "null", "none", "n/a"})
_LIVES_ALONE = {
    **dict.fromkeys(("是", "是的", "y", "yes", "true", "1", "独居", "孤老", "空巢", "√", "✓",
                     "✔", "对"), True),
    **dict.fromkeys(("否", "不是", "n", "no", "false", "0", "非独居", "×", "✗", "✘", "x"),
                    False),
}
_STATUS = {"离": Status.LIXIU, "离休": Status.LIXIU, "离休干部": Status.LIXIU,
           "退": Status.TUIXIU, "退休": Status.TUIXIU, "退休干部": Status.TUIXIU}
_REGION_WORDS = {"全国": "national", "国家": "national"}
_SCIENTIFIC_RE = re.compile(r"^\d+(?:\.\d+)?e\+?\d+$", re.IGNORECASE)
_MOBILE_RE = re.compile(r"1[3-9]\d{9}")
_LANDLINE_RE = re.compile(r"0\d{9,11}|[2-9]\d{6,7}")  # with area code, or a local number
_LOST_ZERO_RE = re.compile(r"[2-9]\d{8,10}")
_PHONE_SPLIT_RE = re.compile(r"[/,，;；、|\n]|或")
_DATE_RE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")
_COMPACT_DATE_RE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")


class RosterError(Exception):
    """The file as a whole cannot be read (wrong type, no header, a required column missing)."""


@dataclass(frozen=True)
class RosterRow:
    """One valid row. None means "not in this file": the stored value is kept."""

    line: int
    name: str
    phone: str | None = None
    telegram_id: int | None = None
    region: str | None = None
    status: str | None = None
    rank: str | None = None
    birth_date: date | None = None
    lives_alone: bool | None = None
    merits: tuple[str, ...] = ()
    merits_text: str | None = None
    last_contact: date | None = None


@dataclass(frozen=True)
class Rejected:
    line: int
    reason: str
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ParsedRoster:
    rows: list[RosterRow]
    rejected: list[Rejected]


@dataclass(frozen=True)
class ImportReport:
    imported: int
    updated: int
    rejected: list[Rejected]


# --- reading the file --------------------------------------------------------------------------


def parse_roster(path: Path, today: date) -> ParsedRoster:
    """Read a roster file into valid rows and rejected ones (each with a reason for staff)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        table = _csv_rows(path)
    elif suffix == ".xlsx":
        table = _xlsx_rows(path)
    else:
        raise RosterError(_msg("bad_type").format(name=path.name))
    return parse_table(table, today)


def parse_table(table: Iterable[tuple[int, Sequence[Any]]], today: date) -> ParsedRoster:
    """The rules on (line number, cells) rows, whatever file they came from."""
    rows_iter = iter(table)
    columns, headers = _find_header(rows_iter)
    rows: list[RosterRow] = []
    rejected: list[Rejected] = []
    seen_phone: dict[str, int] = {}
    seen_telegram: dict[int, int] = {}
    for line, cells in rows_iter:
        values = {key: cells[i] if i < len(cells) else None for key, i in columns.items()}
        if all(_text(v) == "" for v in cells):
            continue  # blank rows between blocks of a hand-made sheet
        row, reasons = _read_row(line, values, columns, today)
        raw = {h: _text(cells[i]) if i < len(cells) else "" for i, h in enumerate(headers) if h}
        if row is not None:
            if row.phone and row.phone in seen_phone:
                reasons.append(_msg("dup_phone").format(other=seen_phone[row.phone]))
            if row.telegram_id and row.telegram_id in seen_telegram:
                reasons.append(_msg("dup_telegram").format(other=seen_telegram[row.telegram_id]))
        if reasons or row is None:
            rejected.append(Rejected(line, _line_reason(line, reasons), raw))
            continue
        if row.phone:
            seen_phone[row.phone] = line
        if row.telegram_id:
            seen_telegram[row.telegram_id] = line
        rows.append(row)
    return ParsedRoster(rows, rejected)


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError(_msg("unreadable").format(error=exc)) from exc
    text = _decode(data)
    if not text.strip():
        raise RosterError(_msg("empty"))
    first = text.split("\n", 1)[0]
    # Excel's "Unicode text" export is tab-separated; a European-locale CSV uses ';'.
    delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Record numbers, not physical lines: that is the row number staff see in Excel.
    return ((n, row) for n, row in enumerate(reader, start=1))


def _decode(data: bytes) -> str:
    """UTF-8 (BOM or not), UTF-16 with BOM, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RosterError(_msg("unreadable").format(
            error="编码既不是 UTF-8 也不是 GBK，请在 Excel/WPS 里另存为 CSV UTF-8")) from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, tuple[Any, ...]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken or mislabelled file
        raise RosterError(_msg("unreadable").format(error=exc)) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = [(n, row) for n, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    finally:
        workbook.close()
    if not rows:
        raise RosterError(_msg("empty"))
    return iter(rows)


def _header_key(raw: Any) -> str:
    """'Telegram ID', 'telegram_id', ' ＴＥＬＥＧＲＡＭ　ＩＤ ' and '姓名*' all compare equal."""
    text = unicodedata.normalize("NFKC", "" if raw is None else str(raw)).casefold()
    return re.sub(r"[\s_\-*:：]", "", text)


_HEADER_KEYS = {_header_key(h): key for key, names in COLUMNS.items() for h in names}


def _find_header(rows: Iterator[tuple[int, Sequence[Any]]]) -> tuple[dict[str, int], list[str]]:
    for _ in range(HEADER_SEARCH_ROWS):
        try:
            _, cells = next(rows)
        except StopIteration:
            break
        columns: dict[str, int] = {}
        for i, cell in enumerate(cells):
            key = _HEADER_KEYS.get(_header_key(cell))
            if key is None:
                continue  # extra columns (序号, 备注 …) are fine
            if key in columns:
                raise RosterError(_msg("double_column").format(
                    first=_text(cells[columns[key]]), second=_text(cell)))
            columns[key] = i
        if "name" not in columns:
            continue
        if "phone" not in columns and "telegram_id" not in columns:
            raise RosterError(_msg("no_contact_column"))
        return columns, [_text(c) for c in cells]
    raise RosterError(_msg("no_header"))


# --- one row -----------------------------------------------------------------------------------


def _read_row(line: int, values: dict[str, Any], columns: dict[str, int], today: date
              ) -> tuple[RosterRow | None, list[str]]:
    reasons: list[str] = []
    fields: dict[str, Any] = {}

    def read(key: str, reader: Any) -> None:
        value = values.get(key)
        if key not in columns or _blank(value):
            return
        result = reader(value)
        if isinstance(result, _Bad):
            reasons.append(result.reason)
        else:
            fields[key] = result

    name = _name(values.get("name"))
    if isinstance(name, _Bad):
        reasons.append(name.reason)
    read("phone", _phone)
    read("telegram_id", _telegram_id)
    read("region", lambda v: _region(v, today))
    read("status", _status)
    read("rank", lambda v: _rank(v, today))
    read("birth_date", lambda v: _birth_date(v, today))
    read("last_contact", lambda v: _last_contact(v, today))
    if "lives_alone" in columns:  # a blank in a ✓ column means no
        alone = _lives_alone(values.get("lives_alone"))
        if isinstance(alone, _Bad):
            reasons.append(alone.reason)
        else:
            fields["lives_alone"] = alone
    read("merits", lambda v: _merits(v, today))
    if not reasons and not fields.get("phone") and not fields.get("telegram_id"):
        reasons.append(_msg("no_contact"))
    if reasons or isinstance(name, _Bad):
        return None, reasons
    merits = fields.pop("merits", None)
    if merits is not None:
        fields["merits"], fields["merits_text"] = merits
    return RosterRow(line=line, name=name, **fields), reasons


@dataclass(frozen=True)
class _Bad:
    reason: str


def _text(value: Any) -> str:
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


def _clean(value: Any) -> str:
    """Text with full-width digits and letters made ASCII and spaces trimmed."""
    return unicodedata.normalize("NFKC", _text(value)).strip()


def _blank(value: Any) -> bool:
    return _clean(value).casefold() in _BLANK


def _line_reason(line: int, reasons: list[str]) -> str:
    return _msg("line").format(line=line, reasons="；".join(reasons))


def _name(value: Any) -> str | _Bad:
    name = _clean(value)
    if _CJK_RE.search(name):
        name = re.sub(r"\s+", "", name)  # "张  三": spaces padding two-character names
    if name.casefold() in _BLANK:
        return _Bad(_msg("name_missing"))
    if len(name) > 100:
        return _Bad(_msg("name_long").format(raw=name[:20] + "…"))
    return name


def _phone(value: Any) -> str | _Bad:
    raw = _clean(value)
    if _SCIENTIFIC_RE.match(raw):
        return _Bad(_msg("phone_bad").format(raw=raw) + _msg("excel_number"))
    # Several numbers in one cell ("138…/0631-…"): the first one is the one to use.
    first = next((p.strip() for p in _PHONE_SPLIT_RE.split(raw) if p.strip()), "")
    first = re.sub(r"\.0$", "", first)
    international = first.startswith(("+86", "0086", "(+86)", "（+86）"))
    digits = normal_phone(first)
    if international:
        digits = re.sub(r"^(?:00)?86", "", digits)
        if not digits.startswith(("0", "1")):
            digits = "0" + digits  # +86 631 5201234: the trunk 0 is dropped abroad
    if isinstance(value, int | float) and _LOST_ZERO_RE.fullmatch(digits):
        digits = "0" + digits  # a number cell drops the 0 of the area code (0631 → 631)
    if _MOBILE_RE.fullmatch(digits) or _LANDLINE_RE.fullmatch(digits):
        return digits
    return _Bad(_msg("phone_bad").format(raw=raw))


def _telegram_id(value: Any) -> int | _Bad:
    raw = _clean(value)
    bad = _Bad(_msg("telegram_bad").format(raw=raw))
    if isinstance(value, bool):
        return bad
    if isinstance(value, float) and not value.is_integer():
        return bad
    if _SCIENTIFIC_RE.match(raw):
        return _Bad(bad.reason + _msg("excel_number"))
    digits = re.sub(r"\.0+$", "", raw)
    if not digits.isdigit() or not 0 < int(digits) < 10**15:
        return bad
    return int(digits)


def _region(value: Any, today: date) -> str | _Bad:
    raw = _clean(value)
    if raw.casefold() in REGIONS:
        return raw.casefold()
    if raw in _REGION_WORDS:
        return _REGION_WORDS[raw]
    slots = extract(raw, today)
    if "region" in slots:
        return str(slots["region"])
    if "place_other" in slots:
        return _Bad(_msg("region_other").format(raw=raw))
    return _Bad(_msg("region_bad").format(raw=raw))


def _status(value: Any) -> str | _Bad:
    raw = _clean(value)
    status = _STATUS.get(re.sub(r"\s", "", raw))
    if status is None and raw in {s.value for s in Status}:
        status = Status(raw)
    return status.value if status is not None else _Bad(_msg("status_bad").format(raw=raw))


def _rank(value: Any, today: date) -> str | _Bad:
    raw = _clean(value)
    if raw in {r.value for r in Rank}:
        return raw
    slots = extract(raw, today)
    if "rank" in slots:
        return str(slots["rank"])
    if "military_rank" in slots:
        return _Bad(_msg("rank_military").format(raw=raw))
    return _Bad(_msg("rank_bad").format(raw=raw))


def _date(value: Any) -> date | None:
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
            from openpyxl.utils.datetime import from_excel

            found = from_excel(value)
            return found.date() if isinstance(found, datetime) else None
        else:
            return None
    raw = _clean(value)
    m = _DATE_RE.fullmatch(raw) or _COMPACT_DATE_RE.fullmatch(raw)
    if m is None:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _age_on(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _birth_date(value: Any, today: date) -> date | _Bad:
    born = _date(value)
    raw = _text(value)
    if born is None:
        return _Bad(_msg("date_bad").format(column=_msg("birth_date"), raw=raw))
    age = _age_on(born, today)
    if not MIN_AGE <= age <= MAX_AGE:
        return _Bad(_msg("birth_implausible").format(raw=raw, age=age))
    return born


def _last_contact(value: Any, today: date) -> date | _Bad:
    when = _date(value)
    raw = _text(value)
    if when is None:
        return _Bad(_msg("date_bad").format(column=_msg("last_contact"), raw=raw))
    if when > today:
        return _Bad(_msg("contact_future").format(raw=raw))
    return when


def _lives_alone(value: Any) -> bool | _Bad:
    if isinstance(value, bool):
        return value
    raw = _clean(value)
    if raw.casefold() in _BLANK:
        return False
    found = _LIVES_ALONE.get(raw.casefold())
    return found if found is not None else _Bad(_msg("alone_bad").format(raw=raw))


def _merits(value: Any, today: date) -> tuple[tuple[str, ...], str]:
    text = _clean(value)
    codes = tuple(extract(text, today).get("merits", ()))
    return codes, text if len(text) <= 200 else text[:199] + "…"


# --- storing it --------------------------------------------------------------------------------


@dataclass
class _Batch:
    """What this import has done so far: which cadre each row landed on."""

    cadre_lines: dict[int, int] = field(default_factory=dict)  # cadre id → line
    imported: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)


async def import_roster(sessions: async_sessionmaker[AsyncSession], parsed: ParsedRoster,
                        now: datetime, *, actor: str = "cli") -> ImportReport:
    """Upsert every row in one transaction: if anything fails, nothing is stored.

    A row matches a cadre by phone, else by Telegram ID (the phone changed). Re-importing the
    same file changes nothing and counts nothing.
    """
    batch = _Batch()
    async with sessions() as s, s.begin():
        for row in parsed.rows:
            await _apply_row(s, row, now, batch)
        rejected = sorted([*parsed.rejected, *batch.rejected], key=lambda r: r.line)
        await repo.audit(s, actor, "roster.import", now, detail=(
            f"imported {batch.imported}, updated {batch.updated}, rejected {len(rejected)}"))
    return ImportReport(batch.imported, batch.updated, rejected)


async def _apply_row(s: AsyncSession, row: RosterRow, now: datetime, batch: _Batch) -> None:
    by_phone = await repo.cadre_by_phone(s, row.phone) if row.phone else None
    account = await _telegram_account(s, row.telegram_id) if row.telegram_id else None
    owner = await s.get(Cadre, account.cadre_id) if account is not None else None
    cadre = by_phone
    if cadre is None and owner is not None and owner.on_roster:
        cadre = owner  # known by Telegram ID: the phone number changed
    if cadre is not None and owner is not None and owner.on_roster and owner.id != cadre.id:
        batch.rejected.append(Rejected(row.line, _line_reason(row.line, [
            _msg("telegram_taken").format(name=owner.name or f"#{owner.id}")])))
        return
    if cadre is not None and cadre.id in batch.cadre_lines:
        batch.rejected.append(Rejected(row.line, _line_reason(row.line, [
            _msg("same_cadre").format(other=batch.cadre_lines[cadre.id])])))
        return

    new = cadre is None or not cadre.on_roster  # a provisional cadre with this phone joins
    if cadre is None:
        cadre = Cadre(on_roster=True, merits=[], lives_alone=False, voice_replies=False,
                      unreachable=False, invite_code=await _new_invite_code(s),
                      created_at=now, updated_at=now)
        s.add(cadre)
    elif cadre.invite_code is None:
        cadre.invite_code = await _new_invite_code(s)
    changed = _assign(cadre, row)
    cadre.on_roster = True
    await s.flush()
    batch.cadre_lines[cadre.id] = row.line

    if row.telegram_id is not None:
        if account is None:
            s.add(Account(transport=TELEGRAM, external_id=str(row.telegram_id),
                          chat_id=str(row.telegram_id), cadre_id=cadre.id, created_at=now))
            changed = True
        elif owner is not None and owner.id != cadre.id:
            await link_account(s, TELEGRAM, account.external_id, owner, cadre, now)
            changed = True

    if row.last_contact is not None:
        at = datetime.combine(row.last_contact, time(), CHINA).astimezone(UTC)
        if cadre.last_contact_at is None or at > cadre.last_contact_at:
            cadre.last_contact_at = at
            s.add(Contact(cadre_id=cadre.id, kind="import", at=at,
                          record={"source": "roster", "line": row.line}))
            changed = True

    if new:
        batch.imported += 1
    elif changed:
        cadre.updated_at = now
        batch.updated += 1


def _assign(cadre: Cadre, row: RosterRow) -> bool:
    """Copy the row's known fields onto the cadre; True if any value actually changed."""
    values: dict[str, Any] = {"name": row.name}
    for name in ("phone", "region", "status", "rank", "birth_date", "lives_alone"):
        value = getattr(row, name)
        if value is not None:
            values[name] = value
    if row.merits_text is not None:
        values["merits"], values["merits_text"] = list(row.merits), row.merits_text
    changed = False
    for name, value in values.items():
        if getattr(cadre, name) != value:
            setattr(cadre, name, value)
            changed = True
    return changed


async def _telegram_account(s: AsyncSession, telegram_id: int) -> Account | None:
    stmt = select(Account).where(Account.transport == TELEGRAM,
                                 Account.external_id == str(telegram_id))
    return (await s.scalars(stmt)).one_or_none()


async def _new_invite_code(s: AsyncSession) -> str:
    """A short code for /start CODE, unique among all cadres (this batch is flushed first)."""
    while True:
        code = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(INVITE_LENGTH))
        if await repo.cadre_by_invite(s, code) is None:
            return code


# --- reports and look-ups ----------------------------------------------------------------------


def report_text(report: ImportReport) -> str:
    """The CLI summary: counts, then each rejected row and why. Mobile numbers are masked."""
    lines = [_msg("summary").format(imported=report.imported, updated=report.updated,
                                    rejected=len(report.rejected))]
    if report.rejected:
        lines.append(_msg("rejected_head"))
        lines.extend(f"  {r.reason}" for r in report.rejected)
    return mask("\n".join(lines))


async def run_import(database_url: str, path: Path, today: date, now: datetime
                     ) -> ImportReport:
    """Parse the file (a RosterError leaves the database untouched), migrate, import."""
    from bot.storage.db import make_engine, make_sessions, upgrade

    parsed = parse_roster(path, today)
    await upgrade(database_url)
    engine = make_engine(database_url)
    try:
        return await import_roster(make_sessions(engine), parsed, now)
    finally:
        await engine.dispose()


async def list_cadres(sessions: async_sessionmaker[AsyncSession], *, roster_only: bool = False
                      ) -> list[Cadre]:
    """Every cadre (roster first) with their accounts loaded."""
    stmt = select(Cadre).options(selectinload(Cadre.accounts))
    if roster_only:
        stmt = stmt.where(Cadre.on_roster.is_(True))
    async with sessions() as s:
        return list((await s.scalars(stmt.order_by(Cadre.on_roster.desc(), Cadre.id))).all())


async def find_cadres(sessions: async_sessionmaker[AsyncSession], key: str) -> list[Cadre]:
    """Cadres a staff member may mean by `key`: an id, a phone, an invite code or a name."""
    key = unicodedata.normalize("NFKC", key).strip()
    if not key:
        return []
    base = select(Cadre).options(selectinload(Cadre.accounts))
    phone = _phone(key)
    attempts = []
    if key.isdigit() and len(key) <= 6:
        attempts.append(base.where(Cadre.id == int(key)))
    if isinstance(phone, str):
        attempts.append(base.where(Cadre.phone == phone))
    attempts.append(base.where(Cadre.invite_code == key.upper()))
    name = re.sub(r"\s+", "", key) if _CJK_RE.search(key) else key
    attempts.append(base.where(Cadre.name == name))
    async with sessions() as s:
        for stmt in attempts:
            found = list((await s.scalars(stmt.order_by(Cadre.id))).all())
            if found:
                return found
    return []


async def show_cadre(sessions: async_sessionmaker[AsyncSession], key: str) -> Cadre | None:
    """The one cadre `key` names (id, phone, invite code or name); None if none or several."""
    found = await find_cadres(sessions, key)
    return found[0] if len(found) == 1 else None


def cadre_line(cadre: Cadre, today: date) -> str:
    """One line of `junxiu cadres list`; the phone masked (lists get pasted around)."""
    age = f"{_age_on(cadre.birth_date, today)}岁" if cadre.birth_date else "-"
    telegram = "已绑定" if any(a.transport == TELEGRAM for a in cadre.accounts) else "未绑定"
    roster = (cadre.invite_code or "-") if cadre.on_roster else "未在名册"
    return mask(f"#{cadre.id}\t{cadre.name or '-'}\t{cadre.region or '-'}\t{cadre.status or '-'}"
                f"\t{cadre.rank or '-'}\t{age}\t{'独居' if cadre.lives_alone else ''}"
                f"\t{cadre.phone or '-'}\tTelegram {telegram}\t{roster}")


def cadre_detail(cadre: Cadre, today: date) -> str:
    """`junxiu cadres show`: everything staff keep about one cadre."""
    def when(value: datetime | None) -> str:
        return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if value else "-"

    age = f"（{_age_on(cadre.birth_date, today)}岁）" if cadre.birth_date else ""
    accounts = ", ".join(f"{a.transport}:{a.external_id}" for a in cadre.accounts) or "-"
    rows = [
        ("编号", f"#{cadre.id}"), ("姓名", cadre.name or "-"), ("电话", cadre.phone or "-"),
        ("地区", cadre.region or "-"), ("离休退休", cadre.status or "-"),
        ("职级", cadre.rank or "-"),
        ("出生日期", f"{cadre.birth_date.isoformat()}{age}" if cadre.birth_date else "-"),
        ("独居", "是" if cadre.lives_alone else "否"),
        ("立功受奖", f"{cadre.merits_text or '-'}  [{', '.join(cadre.merits or [])}]"),
        ("在名册", "是" if cadre.on_roster else "否"), ("邀请码", cadre.invite_code or "-"),
        ("账号", accounts), ("最近联系", when(cadre.last_contact_at)),
        ("联系不上", "是" if cadre.unreachable else "否"),
    ]
    return "\n".join(f"{label}：{value}" for label, value in rows)


# --- `junxiu cadres …` -------------------------------------------------------------------------


def cmd_cadres_import(args: argparse.Namespace) -> int:
    """Exit 0: all rows stored; 1: some rows rejected (listed); 2: the file was not read."""
    import asyncio

    from bot.settings import Settings

    now = datetime.now(UTC)
    try:
        report = asyncio.run(run_import(Settings().database_url, Path(args.file),
                                        now.astimezone(CHINA).date(), now))
    except RosterError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(report_text(report))
    return 1 if report.rejected else 0


def cmd_cadres_list(args: argparse.Namespace) -> int:
    import asyncio

    cadres = asyncio.run(_with_sessions(
        lambda sessions: list_cadres(sessions, roster_only=not getattr(args, "all", False))))
    today = datetime.now(CHINA).date()
    for cadre in cadres:
        print(cadre_line(cadre, today))
    return 0


def cmd_cadres_show(args: argparse.Namespace) -> int:
    import asyncio

    found = asyncio.run(_with_sessions(lambda sessions: find_cadres(sessions, args.key)))
    today = datetime.now(CHINA).date()
    if not found:
        print(f"没有找到：{args.key}", file=sys.stderr)
        return 1
    if len(found) > 1:
        print(f"有 {len(found)} 位干部符合“{args.key}”，请用编号查看：", file=sys.stderr)
        for cadre in found:
            print(cadre_line(cadre, today))
        return 1
    print(cadre_detail(found[0], today))
    return 0


async def _with_sessions(use: Any) -> Any:
    from bot.settings import Settings
    from bot.storage.db import make_engine, make_sessions, upgrade

    url = Settings().database_url
    await upgrade(url)
    engine = make_engine(url)
    try:
        return await use(make_sessions(engine))
    finally:
        await engine.dispose()


def cmd_cadres(args: argparse.Namespace) -> int:
    """`junxiu cadres import FILE | list [--all] | show KEY`."""
    from bot.agencies.cli import cmd_cadres_move
    from bot.privacy import cmd_export, cmd_forget

    commands = {"import": cmd_cadres_import, "list": cmd_cadres_list, "show": cmd_cadres_show,
                "export": cmd_export, "forget": cmd_forget, "move": cmd_cadres_move}
    return commands[args.cadres_command](args)


def add_parsers(sub: Any) -> None:
    """The `cadres` subcommands, for bot.cli.build_parser (as bot.desk.add_parsers)."""
    cadres = sub.add_parser("cadres", help="the cadre roster: import, list, show")
    cadres_sub = cadres.add_subparsers(dest="cadres_command", required=True)
    imp = cadres_sub.add_parser(
        "import", help="import the roster from .csv/.xlsx (exit 1 if rows were rejected)")
    imp.add_argument("file", help="姓名, 电话, Telegram ID, 地区, 离休退休, 职级, 出生日期, 独居, "
                                  "立功受奖, 最近联系日期 (or the English names)")
    listing = cadres_sub.add_parser("list", help="roster cadres, phones masked")
    listing.add_argument("--all", action="store_true",
                         help="also those who wrote to the bot but are not on the roster")
    show = cadres_sub.add_parser("show", help="one cadre by id, phone, invite code or name")
    show.add_argument("key")
    export = cadres_sub.add_parser("export", help="everything stored about one cadre, as JSON")
    export.add_argument("id", type=int)
    forget = cadres_sub.add_parser("forget", help="erase one cadre's personal data")
    forget.add_argument("id", type=int)
    forget.add_argument("--yes", action="store_true", help="do it (otherwise only say what)")
    from bot.agencies.cli import add_move_parser

    add_move_parser(cadres_sub)
    cadres.set_defaults(func=cmd_cadres)
