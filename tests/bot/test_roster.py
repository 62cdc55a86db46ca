"""The staff roster: reading .csv/.xlsx exports from Excel and WPS, and importing them into the
database idempotently and all-or-nothing (`junxiu cadres import FILE`)."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import bot.cli.cadres as cadres_cli
import bot.roster.store as roster_store
from bot.roster import (
    INVITE_ALPHABET,
    ImportReport,
    ParsedRoster,
    Rejected,
    RosterError,
    RosterRow,
    find_cadres,
    import_roster,
    list_cadres,
    parse_roster,
    report_text,
    run_import,
    show_cadre,
)
from bot.settings import Settings
from bot.storage.db import make_engine, make_sessions, upgrade
from bot.storage.models import Account, AuditEntry, Cadre, Contact, Conversation, Message

TODAY = date(2025, 6, 1)
NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
LATER = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
SAMPLE = Path(__file__).parent / "data" / "roster_sample.csv"
EN_HEADER = ("name,phone,telegram_id,region,status,rank,birth_date,lives_alone,merits,"
             "last_contact")


def write(tmp_path: Path, text: str, *, name: str = "roster.csv", encoding: str = "utf-8"
          ) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def one_row(tmp_path: Path, **cells: str) -> ParsedRoster:
    """A file with the English header and one row: name and phone filled unless given."""
    values = {"name": "张建国", "phone": "13800138000"} | cells
    columns = EN_HEADER.split(",")
    line = ",".join(f'"{values.get(c, "")}"' for c in columns)
    return parse_roster(write(tmp_path, f"{EN_HEADER}\n{line}\n"), TODAY)


def only_row(parsed: ParsedRoster) -> RosterRow:
    assert parsed.rejected == []
    assert len(parsed.rows) == 1
    return parsed.rows[0]


def only_reason(parsed: ParsedRoster) -> str:
    assert parsed.rows == []
    assert len(parsed.rejected) == 1
    return parsed.rejected[0].reason


def csv_file(tmp_path: Path, *lines: str, name: str = "roster.csv") -> Path:
    return write(tmp_path, "\n".join([EN_HEADER, *lines]) + "\n", name=name)


# --- reading files -----------------------------------------------------------------------------


def test_sample_with_chinese_headers_and_bom_reads_every_field() -> None:
    parsed = parse_roster(SAMPLE, TODAY)

    assert [r.name for r in parsed.rows] == ["张建国", "李红", "王德明", "赵卫东", "孙立"]
    first = parsed.rows[0]
    assert first == RosterRow(
        line=2, name="张建国", phone="13800138000", telegram_id=123456789, region="weihai",
        status="离休", rank="师级", birth_date=date(1930, 5, 3), lives_alone=True,
        merits=("merit_2", "model_cadre_city"), merits_text="二等功、市级先进军休干部",
        last_contact=date(2025, 5, 20))
    assert [r.region for r in parsed.rows] == [
        "weihai", "weihai", "jilin", "shanghai", "liaocheng"]


def test_sample_rejects_the_row_with_a_short_phone_with_its_line_and_value() -> None:
    parsed = parse_roster(SAMPLE, TODAY)

    assert [r.reason for r in parsed.rejected] == ["第7行：电话号码不对（13800）"]
    assert parsed.rejected[0].raw["姓名"] == "周明"
    assert parsed.rejected[0].raw["备注"] == ""  # the whole row, extra columns too


def test_gbk_csv_from_chinese_windows_is_detected(tmp_path: Path) -> None:
    text = SAMPLE.read_text("utf-8-sig")
    path = write(tmp_path, text, encoding="gbk")

    assert parse_roster(path, TODAY) == parse_roster(SAMPLE, TODAY)


def test_gb18030_and_plain_utf8_read_the_same(tmp_path: Path) -> None:
    text = SAMPLE.read_text("utf-8-sig")

    expected = parse_roster(SAMPLE, TODAY)
    assert parse_roster(write(tmp_path, text, name="a.csv", encoding="gb18030"), TODAY) == expected
    assert parse_roster(write(tmp_path, text, name="b.csv", encoding="utf-8"), TODAY) == expected


def test_english_headers(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "Zhang Jianguo,13800138000,42,weihai,离休,师级,1930-05-03,Y,"
                              "三等功,2025-05-20")

    row = only_row(parse_roster(path, TODAY))
    assert (row.name, row.phone, row.telegram_id, row.region, row.status, row.rank) == (
        "Zhang Jianguo", "13800138000", 42, "weihai", "离休", "师级")
    assert (row.birth_date, row.lives_alone, row.merits, row.last_contact) == (
        date(1930, 5, 3), True, ("merit_3",), date(2025, 5, 20))


def test_headers_tolerate_spaces_full_width_letters_and_case(tmp_path: Path) -> None:
    path = write(tmp_path, " ＮＡＭＥ ,Phone,TELEGRAM ID,　地区　\n张建国,13800138000,42,威海\n")

    row = only_row(parse_roster(path, TODAY))
    assert (row.name, row.phone, row.telegram_id, row.region) == (
        "张建国", "13800138000", 42, "weihai")


def test_columns_not_in_the_file_stay_unknown(tmp_path: Path) -> None:
    row = only_row(parse_roster(write(tmp_path, "姓名,电话\n张建国,13800138000\n"), TODAY))

    assert (row.region, row.status, row.rank, row.birth_date, row.lives_alone,
            row.merits_text, row.last_contact) == (None,) * 7


def test_a_title_row_above_the_header_is_skipped_and_lines_count_from_the_top(
        tmp_path: Path) -> None:
    path = write(tmp_path, "威海市军休所干部花名册,,\n姓名,电话,地区\n张建国,13800138000,威海\n"
                           ",,\n李红,138,威海\n")

    parsed = parse_roster(path, TODAY)
    assert [r.line for r in parsed.rows] == [3]
    assert [r.reason for r in parsed.rejected] == ["第5行：电话号码不对（138）"]


def test_a_file_without_a_name_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="姓名"):
        parse_roster(write(tmp_path, "电话,地区\n13800138000,威海\n"), TODAY)


def test_a_file_without_phone_or_telegram_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match=r"电话.*Telegram ID"):
        parse_roster(write(tmp_path, "姓名,地区\n张建国,威海\n"), TODAY)


def test_a_telegram_column_alone_is_enough(tmp_path: Path) -> None:
    row = only_row(parse_roster(write(tmp_path, "姓名,Telegram ID\n张建国,42\n"), TODAY))

    assert (row.phone, row.telegram_id) == (None, 42)


def test_a_column_given_twice_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match="电话"):
        parse_roster(write(tmp_path, "姓名,电话,电话\n张建国,13800138000,13800138000\n"), TODAY)
    with pytest.raises(RosterError, match="出生"):
        parse_roster(write(tmp_path, "姓名,电话,出生日期,出生年月\n张建国,13800138000,,\n"),
                     TODAY)


def test_old_xls_and_other_types_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterError, match=r"\.xlsx"):
        parse_roster(write(tmp_path, "x", name="roster.xls"), TODAY)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RosterError):
        parse_roster(write(tmp_path, ""), TODAY)


def test_xlsx_with_number_and_date_cells(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "电话", "Telegram ID", "地区", "出生日期", "独居", "最近联系日期"])
    sheet.append(["张建国", 13800138000.0, 123456789.0, "威海", datetime(1930, 5, 3), 1,
                  datetime(2025, 5, 20)])
    sheet.append(["李红", 13900139000, 987654321, "吉林", 19420715, "否", 45658])  # serial
    sheet.append(["王德明", 1.38e10 + 0.5, None, "上海", datetime(1945, 10, 1), None, None])
    sheet.append(["赵卫东", 6315201234, None, "威海", None, "√", None])  # the 0 of 0631 lost
    other = workbook.create_sheet("说明")
    other.append(["姓名", "电话"])
    other.append(["不该读到", 13700137000])
    workbook.active = 1  # saved with the notes sheet open: the roster is still the first
    path = tmp_path / "roster.xlsx"
    workbook.save(path)

    parsed = parse_roster(path, TODAY)
    first, second, third = parsed.rows
    assert (first.phone, first.telegram_id, first.birth_date, first.lives_alone,
            first.last_contact) == ("13800138000", 123456789, date(1930, 5, 3), True,
                                    date(2025, 5, 20))
    assert (second.phone, second.telegram_id, second.birth_date, second.lives_alone,
            second.last_contact) == ("13900139000", 987654321, date(1942, 7, 15), False,
                                     date(2025, 1, 1))
    assert third.phone == "06315201234"
    assert [r.line for r in parsed.rejected] == [4]
    assert parsed.rejected[0].reason.startswith("第4行：电话号码不对")


# --- field rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(("cell", "phone"), [
    ("13800138000", "13800138000"),
    ("138-0013-8000", "13800138000"),
    ("138 0013 8000", "13800138000"),
    ("+86 138 0013 8000", "13800138000"),
    ("+86-13800138000", "13800138000"),
    ("0086 13800138000", "13800138000"),
    ("13800138000.0", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    ("13800138000/0631-5201234", "13800138000"),
    ("0631-5201234", "06315201234"),
    ("(0631)5201234", "06315201234"),
    ("021-62345678", "02162345678"),
    ("+86 631 5201234", "06315201234"),
    ("5201234", "5201234"),
])
def test_phone_is_kept_as_digits_without_country_code(tmp_path: Path, cell: str, phone: str
                                                      ) -> None:
    assert only_row(one_row(tmp_path, phone=cell)).phone == phone


@pytest.mark.parametrize("cell", ["13800", "12345678901", "138001380001", "电话坏了",
                                  "1380013800x"])
def test_a_phone_that_is_neither_mobile_nor_landline_rejects_the_row(tmp_path: Path, cell: str
                                                                     ) -> None:
    assert only_reason(one_row(tmp_path, phone=cell)) == f"第2行：电话号码不对（{cell}）"


def test_a_phone_in_scientific_notation_says_excel_changed_it(tmp_path: Path) -> None:
    reason = only_reason(one_row(tmp_path, phone="1.38001E+10"))

    assert reason.startswith("第2行：电话号码不对（1.38001E+10）")
    assert "科学计数法" in reason


@pytest.mark.parametrize(("cell", "expected"), [
    ("123456789", 123456789), ("123456789.0", 123456789), (" 42 ", 42), ("", None)])
def test_telegram_id_is_a_positive_integer_or_empty(tmp_path: Path, cell: str,
                                                    expected: int | None) -> None:
    assert only_row(one_row(tmp_path, telegram_id=cell)).telegram_id == expected


@pytest.mark.parametrize("cell", ["@zhangjianguo", "-42", "0", "12.5"])
def test_a_telegram_id_that_is_not_a_number_rejects_the_row(tmp_path: Path, cell: str) -> None:
    assert only_reason(one_row(tmp_path, telegram_id=cell)) == (
        f"第2行：Telegram ID 应是一串数字（{cell}）")


@pytest.mark.parametrize(("cell", "region"), [
    ("weihai", "weihai"), ("Liaocheng", "liaocheng"), ("national", "national"),
    ("全国", "national"), ("威海", "weihai"), ("乳山市", "weihai"), ("吉林省长春市", "jilin"),
    ("上海市浦东新区", "shanghai"), ("聊城阳谷县", "liaocheng"),
    ("山东省聊城市东昌府区", "liaocheng"), ("", None),
])
def test_region_is_a_code_or_a_place_name(tmp_path: Path, cell: str, region: str | None
                                          ) -> None:
    assert only_row(one_row(tmp_path, region=cell)).region == region


def test_an_unknown_region_rejects_the_row(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, region="火星")) == (
        "第2行：地区认不出来（火星），请填威海、聊城、吉林、上海或全国")


def test_a_place_outside_our_regions_rejects_the_row_and_says_so(tmp_path: Path) -> None:
    reason = only_reason(one_row(tmp_path, region="北京"))

    assert reason.startswith("第2行：地区“北京”不在本系统的服务范围")


@pytest.mark.parametrize(("cell", "status"), [
    ("离休", "离休"), ("退休", "退休"), ("离", "离休"), ("退", "退休"), ("离休干部", "离休"),
    ("退休干部", "退休"), ("", None)])
def test_status_is_lixiu_or_tuixiu(tmp_path: Path, cell: str, status: str | None) -> None:
    assert only_row(one_row(tmp_path, status=cell)).status == status


def test_an_unknown_status_rejects_the_row(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, status="在职")) == (
        "第2行：离休退休一栏看不懂（在职），请填“离休”或“退休”")


@pytest.mark.parametrize(("cell", "rank"), [
    ("师级", "师级"), ("正师", "师级"), ("副团职", "团级"), ("正团职", "团级"), ("副师级", "师级"),
    ("副军职", "军级"), ("营职", "营级"), ("连级", "连级"), ("排级", "排级"), ("", None)])
def test_rank_is_read_as_a_post_grade(tmp_path: Path, cell: str, rank: str | None) -> None:
    assert only_row(one_row(tmp_path, rank=cell)).rank == rank


def test_a_military_rank_in_the_rank_column_is_explained(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, rank="大校")) == (
        "第2行：职级要填职务等级（如师级、团级），“大校”是军衔")


def test_an_unknown_rank_rejects_the_row(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, rank="处级")).startswith("第2行：职级看不懂（处级）")


@pytest.mark.parametrize("cell", [
    "1940-05-03", "1940/5/3", "1940年5月3日", "19400503", "1940.5.3", "1940-05-03 00:00:00",
    "１９４０年５月３日"])
def test_birth_date_formats(tmp_path: Path, cell: str) -> None:
    assert only_row(one_row(tmp_path, birth_date=cell)).birth_date == date(1940, 5, 3)


def test_a_birth_date_that_is_no_date_rejects_the_row(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, birth_date="解放前")) == (
        "第2行：出生日期看不懂（解放前），请写成 1940-05-03 这样的年月日"
        "（出生年月也可以只写 1940.5）")


@pytest.mark.parametrize(("cell", "age"), [("2000-01-01", 25), ("1900-01-01", 125),
                                           ("2030-01-01", -5)])
def test_a_birth_date_giving_an_implausible_age_rejects_the_row(tmp_path: Path, cell: str,
                                                                age: int) -> None:
    assert only_reason(one_row(tmp_path, birth_date=cell)) == (
        f"第2行：出生日期不对（{cell}），按今天算是{age}岁")


def test_ages_forty_and_a_hundred_and_twenty_are_plausible(tmp_path: Path) -> None:
    assert only_row(one_row(tmp_path, birth_date="1985-06-01")).birth_date == date(1985, 6, 1)
    assert only_row(one_row(tmp_path, birth_date="1905-06-01")).birth_date == date(1905, 6, 1)


def test_an_impossible_date_rejects_the_row(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, birth_date="1940-02-30")).startswith(
        "第2行：出生日期看不懂（1940-02-30）")


@pytest.mark.parametrize(("cell", "alone"), [
    ("是", True), ("否", False), ("Y", True), ("n", False), ("1", True), ("0", False),
    ("独居", True), ("孤老", True), ("√", True), ("", False), ("空", False)])
def test_lives_alone_marks(tmp_path: Path, cell: str, alone: bool) -> None:
    assert only_row(one_row(tmp_path, lives_alone=cell)).lives_alone is alone


def test_an_unclear_lives_alone_mark_rejects_the_row(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, lives_alone="有时")) == (
        "第2行：独居一栏看不懂（有时），请填“是”或“否”")


def test_merits_become_honour_codes_and_keep_the_text(tmp_path: Path) -> None:
    row = only_row(one_row(tmp_path, merits="二等功、市级先进军休干部"))

    assert (row.merits, row.merits_text) == (("merit_2", "model_cadre_city"),
                                             "二等功、市级先进军休干部")


def test_merits_text_without_a_known_honour_is_kept_without_codes(tmp_path: Path) -> None:
    row = only_row(one_row(tmp_path, merits="军区通报表扬"))

    assert (row.merits, row.merits_text) == ((), "军区通报表扬")


def test_last_contact_is_a_date_not_in_the_future(tmp_path: Path) -> None:
    assert only_row(one_row(tmp_path, last_contact="2025/5/20")).last_contact == date(2025, 5, 20)
    assert only_row(one_row(tmp_path, last_contact="2025-06-01")).last_contact == TODAY
    assert only_reason(one_row(tmp_path, last_contact="2025-06-02")) == (
        "第2行：最近联系日期在今天之后（2025-06-02）")


def test_a_row_without_a_name_is_rejected(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, name=" ")) == "第2行：没有填姓名"


def test_a_row_without_phone_or_telegram_id_is_rejected(tmp_path: Path) -> None:
    assert only_reason(one_row(tmp_path, phone="")) == "第2行：电话和 Telegram ID 至少要填一个"


def test_every_problem_of_a_row_is_named_at_once(tmp_path: Path) -> None:
    reason = only_reason(one_row(tmp_path, phone="138", region="火星", status="在职"))

    assert reason.startswith("第2行：电话号码不对（138）；地区认不出来（火星）")
    assert "离休退休一栏看不懂（在职）" in reason


def test_padding_spaces_inside_a_chinese_name_are_dropped(tmp_path: Path) -> None:
    assert only_row(one_row(tmp_path, name="李  红")).name == "李红"


def test_a_repeated_phone_rejects_the_later_row(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "张建国,13800138000,,,,,,,,", "李红,13900139000,,,,,,,,",
                    "张建国,138-0013-8000,,,,,,,,")

    parsed = parse_roster(path, TODAY)
    assert [r.line for r in parsed.rows] == [2, 3]
    assert [r.reason for r in parsed.rejected] == ["第4行：电话与第2行重复"]


def test_a_repeated_telegram_id_rejects_the_later_row(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "张建国,13800138000,42,,,,,,,", "李红,13900139000,42.0,,,,,,,")

    parsed = parse_roster(path, TODAY)
    assert [r.line for r in parsed.rows] == [2]
    assert [r.reason for r in parsed.rejected] == ["第3行：Telegram ID 与第2行重复"]


def test_a_rejected_row_does_not_make_a_later_one_a_duplicate(tmp_path: Path) -> None:
    path = csv_file(tmp_path, "张建国,13800138000,,火星,,,,,,", "张建国,13800138000,,威海,,,,,,")

    parsed = parse_roster(path, TODAY)
    assert [r.line for r in parsed.rows] == [3]


# --- importing ---------------------------------------------------------------------------------


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = f"sqlite+aiosqlite:///{tmp_path}/t.sqlite3"
    await upgrade(url)
    engine = make_engine(url)
    yield make_sessions(engine)
    await engine.dispose()


async def all_of(sessions: async_sessionmaker[AsyncSession], model: type) -> list:
    async with sessions() as s:
        return list((await s.scalars(select(model).order_by(model.id))).all())


async def count(sessions: async_sessionmaker[AsyncSession], model: type) -> int:
    async with sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


def rows(*given: RosterRow) -> ParsedRoster:
    return ParsedRoster(list(given), [])


ZHANG = RosterRow(line=2, name="张建国", phone="13800138000", telegram_id=123456789,
                  region="weihai", status="离休", rank="师级", birth_date=date(1930, 5, 3),
                  lives_alone=True, merits=("merit_2",), merits_text="二等功",
                  last_contact=date(2025, 5, 20))
LI = RosterRow(line=3, name="李红", phone="13900139000", region="jilin")


async def test_import_creates_roster_cadres_with_invite_codes(db) -> None:
    report = await import_roster(db, parse_roster(SAMPLE, TODAY), NOW)

    assert (report.imported, report.updated) == (5, 0)
    assert [r.line for r in report.rejected] == [7]
    cadres = await all_of(db, Cadre)
    assert [c.name for c in cadres] == ["张建国", "李红", "王德明", "赵卫东", "孙立"]
    assert all(c.on_roster for c in cadres)
    codes = [c.invite_code for c in cadres]
    assert len(set(codes)) == 5
    assert all(6 <= len(code) <= 8 and set(code) <= set(INVITE_ALPHABET) for code in codes)
    zhang = cadres[0]
    assert (zhang.phone, zhang.region, zhang.status, zhang.rank, zhang.birth_date,
            zhang.lives_alone, zhang.merits, zhang.merits_text) == (
        "13800138000", "weihai", "离休", "师级", date(1930, 5, 3), True,
        ["merit_2", "model_cadre_city"], "二等功、市级先进军休干部")


async def test_import_creates_a_telegram_account_for_each_telegram_id(db) -> None:
    await import_roster(db, parse_roster(SAMPLE, TODAY), NOW)

    accounts = await all_of(db, Account)
    cadres = {c.id: c.name for c in await all_of(db, Cadre)}
    assert [(a.transport, a.external_id, a.chat_id, cadres[a.cadre_id]) for a in accounts] == [
        ("telegram", "123456789", "123456789", "张建国"),
        ("telegram", "987654321", "987654321", "王德明"),
        ("telegram", "555000111", "555000111", "孙立")]


async def test_reimporting_the_same_file_changes_and_counts_nothing(db) -> None:
    parsed = parse_roster(SAMPLE, TODAY)
    await import_roster(db, parsed, NOW)
    before = [(c.id, c.invite_code, c.updated_at, c.last_contact_at)
              for c in await all_of(db, Cadre)]

    report = await import_roster(db, parse_roster(SAMPLE, TODAY), LATER)

    assert (report.imported, report.updated, len(report.rejected)) == (0, 0, 1)
    assert [(c.id, c.invite_code, c.updated_at, c.last_contact_at)
            for c in await all_of(db, Cadre)] == before
    assert await count(db, Account) == 3
    assert await count(db, Contact) == 3


async def test_a_changed_row_counts_as_one_update(db) -> None:
    await import_roster(db, rows(ZHANG, LI), NOW)

    report = await import_roster(db, rows(ZHANG, replace(LI, rank="团级")), LATER)

    assert (report.imported, report.updated) == (0, 1)
    li = (await all_of(db, Cadre))[1]
    assert (li.rank, li.updated_at) == ("团级", LATER)


async def test_empty_cells_keep_what_is_stored(db) -> None:
    await import_roster(db, rows(ZHANG), NOW)

    report = await import_roster(db, rows(RosterRow(line=2, name="张建国",
                                                    phone="13800138000")), LATER)

    assert report.updated == 0
    zhang = (await all_of(db, Cadre))[0]
    assert (zhang.region, zhang.rank, zhang.merits, zhang.lives_alone) == (
        "weihai", "师级", ["merit_2"], True)


async def test_a_cadre_is_found_by_telegram_id_when_the_phone_changed(db) -> None:
    await import_roster(db, rows(ZHANG), NOW)
    moved = replace(ZHANG, phone="13700137000")

    report = await import_roster(db, rows(moved), LATER)

    assert (report.imported, report.updated) == (0, 1)
    cadres = await all_of(db, Cadre)
    assert [(c.name, c.phone) for c in cadres] == [("张建国", "13700137000")]
    assert await count(db, Account) == 1


async def test_a_new_telegram_id_for_a_known_phone_adds_the_account(db) -> None:
    await import_roster(db, rows(LI), NOW)

    report = await import_roster(db, rows(replace(LI, telegram_id=77)),
                                 LATER)

    assert (report.imported, report.updated) == (0, 1)
    (account,) = await all_of(db, Account)
    assert (account.external_id, account.cadre_id) == ("77", (await all_of(db, Cadre))[0].id)


async def provisional(sessions: async_sessionmaker[AsyncSession], telegram_id: int, *,
                      phone: str | None = None, region: str | None = None) -> int:
    """A cadre who wrote to the bot before staff imported the roster, as the service makes."""
    async with sessions() as s, s.begin():
        cadre = Cadre(on_roster=False, merits=[], phone=phone, region=region,
                      created_at=NOW, updated_at=NOW)
        s.add(cadre)
        await s.flush()
        s.add(Account(transport="telegram", external_id=str(telegram_id),
                      chat_id=str(telegram_id), cadre_id=cadre.id, created_at=NOW))
        s.add(Message(cadre_id=cadre.id, transport="telegram", direction="in", text="你好",
                      created_at=NOW))
        s.add(Conversation(cadre_id=cadre.id, updated_at=NOW))
        return cadre.id


async def test_a_provisional_telegram_cadre_is_repointed_to_the_roster_cadre(db) -> None:
    old = await provisional(db, 123456789, region="shanghai")

    report = await import_roster(db, rows(replace(ZHANG, region=None)), NOW)

    assert (report.imported, report.updated) == (1, 0)
    cadres = await all_of(db, Cadre)
    new = next(c for c in cadres if c.on_roster)
    assert new.id != old
    (account,) = await all_of(db, Account)
    assert account.cadre_id == new.id
    assert [m.cadre_id for m in await all_of(db, Message)] == [new.id]
    async with db() as s:
        assert await s.get(Conversation, old) is None
    assert new.region == "shanghai"  # what the cadre told the bot fills the gap


async def test_a_provisional_cadre_with_the_roster_phone_joins_the_roster(db) -> None:
    old = await provisional(db, 5, phone="13900139000")

    report = await import_roster(db, rows(LI), NOW)

    assert (report.imported, report.updated) == (1, 0)
    (cadre,) = await all_of(db, Cadre)
    assert (cadre.id, cadre.on_roster, cadre.name, cadre.region) == (old, True, "李红", "jilin")
    assert cadre.invite_code


async def test_a_telegram_id_of_another_roster_cadre_is_rejected(db) -> None:
    await import_roster(db, rows(ZHANG, LI), NOW)
    clash = replace(LI, telegram_id=ZHANG.telegram_id)

    report = await import_roster(db, rows(clash), LATER)

    assert (report.imported, report.updated) == (0, 0)
    assert [r.reason for r in report.rejected] == [
        "第3行：Telegram ID 已属于名册上的另一位干部（张建国）"]


async def test_two_rows_reaching_the_same_stored_cadre_reject_the_second(db) -> None:
    await import_roster(db, rows(ZHANG), NOW)
    by_phone = RosterRow(line=2, name="张建国", phone="13800138000")
    by_telegram = RosterRow(line=5, name="张建国", phone="13600136000",
                            telegram_id=ZHANG.telegram_id)

    report = await import_roster(db, rows(by_phone, by_telegram), LATER)

    assert [r.reason for r in report.rejected] == [
        "第5行：与第2行是同一位干部（电话或 Telegram ID 相同）"]
    assert [c.phone for c in await all_of(db, Cadre)] == ["13800138000"]


async def test_last_contact_is_shanghai_midnight_and_recorded_once(db) -> None:
    await import_roster(db, rows(ZHANG), NOW)

    zhang = (await all_of(db, Cadre))[0]
    assert zhang.last_contact_at == datetime(2025, 5, 19, 16, 0, tzinfo=UTC)
    (contact,) = await all_of(db, Contact)
    assert (contact.cadre_id, contact.kind, contact.at) == (
        zhang.id, "import", datetime(2025, 5, 19, 16, 0, tzinfo=UTC))


async def test_an_older_last_contact_does_not_move_it_back(db) -> None:
    await import_roster(db, rows(ZHANG), NOW)

    older = replace(ZHANG, last_contact=date(2025, 1, 1))
    report = await import_roster(db, rows(older), LATER)

    assert report.updated == 0
    assert (await all_of(db, Cadre))[0].last_contact_at == datetime(2025, 5, 19, 16,
                                                                     tzinfo=UTC)
    assert await count(db, Contact) == 1


async def test_a_later_last_contact_moves_it_on_and_counts_as_update(db) -> None:
    await import_roster(db, rows(ZHANG), NOW)

    newer = replace(ZHANG, last_contact=date(2025, 5, 30))
    report = await import_roster(db, rows(newer), LATER)

    assert report.updated == 1
    assert await count(db, Contact) == 2


async def test_each_import_leaves_one_audit_entry(db) -> None:
    await import_roster(db, parse_roster(SAMPLE, TODAY), NOW, actor="staff:7")

    (entry,) = [e for e in await all_of(db, AuditEntry) if e.action == "roster.import"]
    assert (entry.actor, entry.detail) == ("staff:7", "imported 5, updated 0, rejected 1")


async def test_a_failure_midway_stores_nothing(db, monkeypatch: pytest.MonkeyPatch) -> None:
    real = roster_store._new_invite_code
    calls = 0

    async def failing(s):
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return await real(s)

    monkeypatch.setattr(roster_store, "_new_invite_code", failing)

    with pytest.raises(RuntimeError):
        await import_roster(db, parse_roster(SAMPLE, TODAY), NOW)

    for model in (Cadre, Account, Contact, AuditEntry):
        assert await count(db, model) == 0


async def test_a_failure_at_the_audit_keeps_the_earlier_state(db, monkeypatch) -> None:
    await import_roster(db, rows(LI), NOW)

    async def broken(*args, **kwargs):
        raise RuntimeError("audit failed")

    monkeypatch.setattr(roster_store.repo, "audit", broken)
    with pytest.raises(RuntimeError):
        await import_roster(db, rows(ZHANG, replace(LI, rank="团级")), LATER)

    assert [(c.name, c.rank) for c in await all_of(db, Cadre)] == [("李红", None)]
    assert await count(db, Account) == 0


# --- report, run, look-ups ---------------------------------------------------------------------


def test_report_text_gives_counts_and_each_rejected_row() -> None:
    report = ImportReport(imported=3, updated=1, rejected=[
        Rejected(5, "第5行：电话号码不对（13800）"), Rejected(9, "第9行：没有填姓名")])

    text = report_text(report)

    assert text.splitlines()[0] == "名册导入：新增 3 人，更新 1 人，未导入 2 行。"
    assert "  第5行：电话号码不对（13800）" in text.splitlines()
    assert "  第9行：没有填姓名" in text.splitlines()


def test_report_text_masks_phone_numbers(tmp_path: Path) -> None:
    parsed = one_row(tmp_path, telegram_id="13800138000 张")
    text = report_text(ImportReport(0, 0, parsed.rejected))

    assert "13800138000" not in text
    assert "138****8000" in text


def test_report_text_without_rejections_is_one_line() -> None:
    assert report_text(ImportReport(2, 0, [])) == "名册导入：新增 2 人，更新 0 人，未导入 0 行。"


async def test_run_import_migrates_imports_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/run/t.sqlite3"

    first = await run_import(url, SAMPLE, TODAY, NOW)
    again = await run_import(url, SAMPLE, TODAY, LATER)

    assert (first.imported, first.updated, len(first.rejected)) == (5, 0, 1)
    assert (again.imported, again.updated, len(again.rejected)) == (0, 0, 1)


async def test_run_import_of_an_unreadable_file_touches_no_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/none/t.sqlite3"

    with pytest.raises(RosterError):
        await run_import(url, write(tmp_path, "电话\n13800138000\n"), TODAY, NOW)

    assert not (tmp_path / "none").exists()


async def test_list_cadres_gives_the_roster_with_accounts(db) -> None:
    await provisional(db, 5)
    await import_roster(db, rows(ZHANG, LI), NOW)

    listed = await list_cadres(db)
    assert [(c.name, c.on_roster) for c in listed] == [
        ("张建国", True), ("李红", True), (None, False)]
    assert [a.external_id for a in listed[0].accounts] == ["123456789"]
    assert [c.name for c in await list_cadres(db, roster_only=True)] == ["张建国", "李红"]


async def test_show_cadre_by_id_phone_name_or_invite_code(db) -> None:
    await import_roster(db, rows(ZHANG, LI), NOW)
    li = (await all_of(db, Cadre))[1]

    for key in (str(li.id), "13900139000", "139-0013-9000", "李红", "李 红", li.invite_code):
        found = await show_cadre(db, key)
        assert found is not None and found.id == li.id, key
    assert await show_cadre(db, "王德明") is None


async def test_a_name_shared_by_two_cadres_shows_none_but_finds_both(db) -> None:
    twin = RosterRow(line=4, name="李红", phone="13600136000")
    await import_roster(db, rows(LI, twin), NOW)

    assert await show_cadre(db, "李红") is None
    assert len(await find_cadres(db, "李红")) == 2


# --- the command -------------------------------------------------------------------------------


def cli_settings(tmp_path: Path) -> Settings:
    return Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")


def test_cmd_cadres_import_list_and_show(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    settings = cli_settings(tmp_path)

    assert cadres_cli.cmd_import(argparse.Namespace(file=str(SAMPLE)), settings) == 1
    out = capsys.readouterr().out
    assert "新增 5 人" in out and "第7行：电话号码不对（13800）" in out

    assert cadres_cli.cmd_list(argparse.Namespace(all=False), settings) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 5
    assert "138****8000" in listed[0] and "13800138000" not in listed[0]

    assert cadres_cli.cmd_show(argparse.Namespace(key="张建国"), settings) == 0
    shown = capsys.readouterr().out
    assert "电话：138****8000" in shown and "二等功、市级先进军休干部" in shown
    assert "13800138000" not in shown

    assert cadres_cli.cmd_show(argparse.Namespace(key="查无此人"), settings) == 1


def test_cmd_cadres_import_of_a_bad_file_exits_2(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code = cadres_cli.cmd_import(argparse.Namespace(file=str(write(tmp_path, "地区\n威海\n"))),
                                 cli_settings(tmp_path))

    assert code == 2
    assert "姓名" in capsys.readouterr().err


def test_cadres_subcommands_parse_and_dispatch(tmp_path: Path) -> None:
    parser = argparse.ArgumentParser()
    cadres_cli.add_parsers(parser.add_subparsers(dest="command", required=True))

    assert parser.parse_args(["cadres", "list", "--all"]).all is True
    assert parser.parse_args(["cadres", "show", "李红"]).key == "李红"
    args = parser.parse_args(["cadres", "import", str(SAMPLE)])
    assert args.func(args, cli_settings(tmp_path)) == 1
