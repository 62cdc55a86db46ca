"""Reading a roster file into rows of cells. Staff export the roster from Excel or WPS on
Chinese Windows, so CSV may be UTF-8 (with or without BOM), UTF-16 or GBK, and a sheet may
have merged cells (a title across the top, one 所属军休所 down many rows), number formats that
say more than the value (1941.10 in a two-decimal cell, a date shown as yyyy.mm), and a second
sheet of notes.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from bot.roster.model import RosterError, msg

MONTH = "month"


@dataclass(frozen=True)
class Grid:
    rows: list[tuple[int, list[Any]]]  # (the row number staff see, its cells)
    formats: dict[tuple[int, int], str] = field(default_factory=dict)  # (line, column) → "month"


def read_grid(path: Path) -> Grid:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return Grid(_csv_rows(path))
    if suffix == ".xlsx":
        return _xlsx_grid(path)
    raise RosterError(msg("bad_type", name=path.name))


def _csv_rows(path: Path) -> list[tuple[int, list[Any]]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError(msg("unreadable", error=exc)) from exc
    text = decode(data)
    if not text.strip():
        raise RosterError(msg("empty"))
    first = next((line for line in text.splitlines() if line.strip()), "")
    # Excel's "Unicode text" export is tab-separated; a European-locale CSV uses ';'.
    delimiter = max(",\t;", key=first.count) if any(c in first for c in ",\t;") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # Record numbers, not physical lines: that is the row number staff see in Excel.
    return [(n, list(row)) for n, row in enumerate(reader, start=1)]


def decode(data: bytes) -> str:
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
        raise RosterError(msg("unreadable", error=msg("bad_encoding"))) from exc


_DECIMALS_RE = re.compile(r"^0\.(0+)$")


def _value(cell: Any) -> tuple[Any, str | None]:
    """A cell's value as the sheet shows it, and "month" for a date shown without its day."""
    value, shown = cell.value, (cell.number_format or "General")
    if isinstance(value, datetime | date):
        plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", shown).lower()
        if "y" in plain and "m" in plain and "d" not in plain:
            return value, MONTH
        return value, None
    if isinstance(value, float) and not value.is_integer():
        decimals = _DECIMALS_RE.match(shown)
        if decimals:  # 1941.10 in a "0.00" cell: the value alone says 1941.1
            return f"{value:.{len(decimals.group(1))}f}", None
    return value, None


def _xlsx_grid(path: Path) -> Grid:
    from openpyxl import load_workbook

    try:
        # Not read-only: merged ranges and number formats are only known to the full reader.
        workbook = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken or mislabelled file
        raise RosterError(msg("unreadable", error=exc)) from exc
    try:
        sheet = workbook.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        formats: dict[tuple[int, int], str] = {}
        for n, row in enumerate(sheet.iter_rows(), start=1):
            values = []
            for i, cell in enumerate(row):
                value, shown = _value(cell)
                values.append(value)
                if shown is not None:
                    formats[(n, i)] = shown
            rows.append((n, values))
        # A merged range shows its value in every cell it covers: give each one that value.
        for merged in sheet.merged_cells.ranges:
            top = rows[merged.min_row - 1][1][merged.min_col - 1] \
                if merged.min_row - 1 < len(rows) else None
            for r in range(merged.min_row, merged.max_row + 1):
                if r - 1 >= len(rows):
                    break
                cells = rows[r - 1][1]
                for c in range(merged.min_col, merged.max_col + 1):
                    if c - 1 < len(cells):
                        cells[c - 1] = top
    finally:
        workbook.close()
    if not rows:
        raise RosterError(msg("empty"))
    return Grid(rows, formats)
