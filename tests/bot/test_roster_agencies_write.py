"""Rosters as agencies really keep them (a 花名册 from Excel or WPS): title rows, 序号, the
headers they use (联系电话, 出生年月, 离休/退休, 原职级, 是否独居, 立功受奖情况, 所属军休所,
身份证号), year-month dates, 是（孤老）, a mobile and a landline in one cell, merged cells, a
two-row header, 合计 and 制表人 footers, columns nobody reads — in .xlsx and in .csv, GBK and
UTF-8. Every field read right, every odd row and column named, nothing dropped in silence."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.roster import ParsedRoster, RosterRow, Skipped, parse_roster, report_text
from bot.roster.cells import mask_id
from bot.roster.model import ImportReport
from bot.roster.table import Agencies

TODAY = date(2025, 6, 1)
NOW = datetime(2025, 6, 1, 2, 0, tzinfo=UTC)
# Valid 身份证号 (the checksum holds), born 1941-03-05, 1943-05-05, 1938-12-01.
ID_1941, ID_1943, ID_1938 = "371002194103051237", "371002194305051243", "37100219381201125X"
AGENCIES = Agencies({"威海市第一军休所": "wh1", "wh1": "wh1", "聊城市军休所": "lc", "lc": "lc"})

HANDMADE = f"""威海市军休干部花名册（2025年5月）,,,,,,,,,,,,
填报单位：威海市第一军休所,,,,,,,,,填报日期：2025年5月30日,,,
序号,姓名,性别,出生年月,离休/退休,原职级,联系电话,是否独居,立功受奖情况,所属军休所,身份证号,家庭住址,民族
一、离休干部,,,,,,,,,,,,
1,张建国,男,1941.3,离休,正师职,13800138000/0631-5201234,是（孤老）,二等功1次,威海市第一军休所,{ID_1941},环翠区文化路1号,汉
2,王德明,男,1938.12,离休,副军职,0631 5201235 13700137000,√,战时三等功,威海市第一军休所,,环翠区,回
二、退休干部,,,,,,,,,,,,
3,李红,女,,退休,副团职,13900139000,,无,聊城市军休所,{ID_1943},东昌府区,汉
4,赵卫东,男,1943年8月,退休,团职,0635-8123456,否,三等功,聊城市军休所,,,汉
合计,,,,,,4人,,,,,,
制表人：刘明,,,审核人：孙强,,,,,,,,,
"""


def write(path: Path, text: str, encoding: str) -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def by_name(parsed: ParsedRoster) -> dict[str, RosterRow]:
    return {r.name: r for r in parsed.rows}


# --- a hand-made CSV, in GBK and in UTF-8 --------------------------------------------------


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig", "utf-8", "gb18030"])
def test_a_handmade_roster_reads_every_field(tmp_path: Path, encoding: str) -> None:
    parsed = parse_roster(write(tmp_path / "花名册.csv", HANDMADE, encoding), TODAY, AGENCIES)

    assert parsed.rejected == []
    rows = by_name(parsed)
    assert rows["张建国"] == RosterRow(
        line=5, name="张建国", phone="13800138000", other_phone="06315201234",
        status="离休", rank="师级", birth_date=date(1941, 3, 1), birth_precision="month",
        lives_alone=True, merits=("merit_2",), merits_text="二等功1次", agency_key="wh1")
    assert rows["王德明"] == RosterRow(
        line=6, name="王德明", phone="13700137000", other_phone="06315201235",
        status="离休", rank="军级", birth_date=date(1938, 12, 1), birth_precision="month",
        lives_alone=True, merits=("merit_3_wartime",), merits_text="战时三等功",
        agency_key="wh1")
    # 出生年月 empty: the ID number's date, to the day; 是否独居 empty: no.
    assert rows["李红"] == RosterRow(
        line=8, name="李红", phone="13900139000", status="退休", rank="团级",
        birth_date=date(1943, 5, 5), lives_alone=False, agency_key="lc")
    assert rows["赵卫东"] == RosterRow(
        line=9, name="赵卫东", phone="06358123456", status="退休", rank="团级",
        birth_date=date(1943, 8, 1), birth_precision="month", lives_alone=False,
        merits=("merit_3",), merits_text="三等功", agency_key="lc")


def test_title_headings_and_footers_are_skipped_and_named(tmp_path: Path) -> None:
    parsed = parse_roster(write(tmp_path / "a.csv", HANDMADE, "gbk"), TODAY, AGENCIES)

    assert parsed.skipped == [Skipped(4, "分类标题"), Skipped(7, "分类标题"),
                              Skipped(10, "合计"), Skipped(11, "制表人")]


def test_every_column_not_understood_is_listed(tmp_path: Path) -> None:
    parsed = parse_roster(write(tmp_path / "a.csv", HANDMADE, "gbk"), TODAY, AGENCIES)

    assert parsed.unknown_columns == ["性别", "家庭住址", "民族"]


def test_the_report_names_skipped_rows_unread_columns_and_masks_every_number(
        tmp_path: Path) -> None:
    parsed = parse_roster(write(tmp_path / "a.csv", HANDMADE, "gbk"), TODAY, AGENCIES)

    text = report_text(ImportReport(4, 0, parsed.rejected, parsed.skipped,
                                    parsed.unknown_columns, parsed.notes))
    assert ("跳过的行（不是干部）：第4行（分类标题）、第7行（分类标题）、第10行（合计）、"
            "第11行（制表人）") in text
    assert "这些列没有导入（系统不认识）：性别、家庭住址、民族" in text


def test_a_column_without_a_header_is_listed_too(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "姓名,电话,\n张建国,13800138000,腿脚不便\n", "utf-8")

    assert parse_roster(path, TODAY).unknown_columns == ["第C列（没有表头）"]


def test_a_missing_lives_alone_column_is_said_not_assumed_in_silence(tmp_path: Path) -> None:
    parsed = parse_roster(write(tmp_path / "a.csv", "姓名,联系电话\n张建国,13800138000\n",
                                "utf-8"), TODAY)

    assert parsed.rows[0].lives_alone is None  # the stored value is kept
    assert any("是否独居" in note for note in parsed.notes)


# --- cells ---------------------------------------------------------------------------------


def one(tmp_path: Path, header: str, cell: str) -> ParsedRoster:
    return parse_roster(write(tmp_path / "one.csv", f"姓名,手机,{header}\n张建国,13800138000,"
                              f"\"{cell}\"\n", "utf-8"), TODAY, AGENCIES)


@pytest.mark.parametrize(("header", "field"), [
    ("联系电话", "phone"), ("手机", "phone"), ("电话号码", "phone"),
    ("出生年月", "birth_date"), ("出生日期", "birth_date"),
    ("离休/退休", "status"), ("离退休", "status"),
    ("原职级", "rank"), ("职级", "rank"), ("职务", "rank"),
    ("是否独居", "lives_alone"), ("独居", "lives_alone"), ("居住情况", "lives_alone"),
    ("立功受奖情况", "merits_text"), ("立功受奖", "merits_text"), ("奖励情况", "merits_text"),
    ("所属军休所", "agency_key"), ("所属单位", "agency_key"), ("军休所", "agency_key"),
])
def test_header_synonyms(tmp_path: Path, header: str, field: str) -> None:
    values = {"phone": "0631-5201234", "birth_date": "1941.3", "status": "离休", "rank": "正师",
              "lives_alone": "是", "merits_text": "二等功", "agency_key": "威海市第一军休所"}
    first = "" if field == "phone" else "手机,"
    number = "" if field == "phone" else "13800138000,"
    path = write(tmp_path / "s.csv", f"姓名,{first}{header}\n张建国,{number}{values[field]}\n",
                 "utf-8")
    [row] = parse_roster(path, TODAY, AGENCIES).rows
    assert getattr(row, field) not in (None, ())


@pytest.mark.parametrize(("cell", "born"), [
    ("1941.3", date(1941, 3, 1)), ("1941.03", date(1941, 3, 1)),
    ("1943年8月", date(1943, 8, 1)), ("1938.12", date(1938, 12, 1)),
    ("1938-12", date(1938, 12, 1)), ("1938/12", date(1938, 12, 1)),
    ("194112", date(1941, 12, 1)), ("1941年3月5日", date(1941, 3, 5)),
])
def test_year_month_dates(tmp_path: Path, cell: str, born: date) -> None:
    [row] = one(tmp_path, "出生年月", cell).rows
    assert row.birth_date == born
    assert row.birth_precision == (None if born.day == 5 else "month")


@pytest.mark.parametrize(("cell", "alone"), [
    ("是", True), ("否", False), ("√", True), ("", False), ("是（孤老）", True),
    ("否（与女儿同住）", False), ("独居", True), ("与老伴同住", False), ("子女同住", False),
])
def test_lives_alone_as_agencies_mark_it(tmp_path: Path, cell: str, alone: bool) -> None:
    [row] = one(tmp_path, "是否独居", cell).rows
    assert row.lives_alone is alone


@pytest.mark.parametrize(("cell", "phone", "other"), [
    ("13800138000/0631-5201234", "13800138000", "06315201234"),
    ("0631-5201234/13800138000", "13800138000", "06315201234"),  # the mobile is matched
    ("0631-5201234 13800138000", "13800138000", "06315201234"),
    ("13800138000，13900139000", "13800138000", "13900139000"),
    ("0631-5201234", "06315201234", None),
    ("138 0013 8000", "13800138000", None),
])
def test_two_numbers_in_one_cell_are_both_kept_the_mobile_for_matching(
        tmp_path: Path, cell: str, phone: str, other: str | None) -> None:
    path = write(tmp_path / "p.csv", f'姓名,联系电话\n张建国,"{cell}"\n', "utf-8")
    [row] = parse_roster(path, TODAY).rows
    assert (row.phone, row.other_phone) == (phone, other)


def test_a_mobile_column_and_a_landline_column_are_read_together(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", "姓名,固定电话,手机\n张建国,0631-5201234,13800138000\n",
                 "utf-8")
    [row] = parse_roster(path, TODAY).rows
    assert (row.phone, row.other_phone) == ("13800138000", "06315201234")


def test_the_birth_date_comes_from_the_id_number_when_the_column_is_empty(tmp_path: Path
                                                                          ) -> None:
    [row] = one(tmp_path, "身份证号", ID_1938).rows
    assert row.birth_date == date(1938, 12, 1) and row.birth_precision is None


def test_an_old_fifteen_digit_id_number_gives_its_birth_date(tmp_path: Path) -> None:
    [row] = one(tmp_path, "身份证号", "371002410305123").rows
    assert row.birth_date == date(1941, 3, 5)


def test_a_wrong_id_checksum_rejects_the_row_and_never_shows_the_number(tmp_path: Path
                                                                       ) -> None:
    wrong = ID_1941[:-1] + "8"
    parsed = one(tmp_path, "身份证号", wrong)

    [rejected] = parsed.rejected
    assert rejected.reason == f"第2行：身份证号校验位不对（{mask_id(wrong)}），请核对"
    assert wrong not in rejected.reason and wrong not in str(rejected.raw)
    assert mask_id(wrong) == "371***********1238"


def test_an_id_number_disagreeing_with_the_birth_column_is_noted(tmp_path: Path) -> None:
    path = write(tmp_path / "i.csv", f"姓名,手机,出生年月,身份证号\n张建国,13800138000,1950.1,"
                                     f"{ID_1941}\n", "utf-8")
    parsed = parse_roster(path, TODAY)

    assert parsed.rows[0].birth_date == date(1950, 1, 1)
    assert any("身份证号" in n and "第2行" in n for n in parsed.notes)


def test_an_agency_the_system_does_not_know_rejects_the_row(tmp_path: Path) -> None:
    [rejected] = one(tmp_path, "所属军休所", "青岛军休所").rejected
    assert "青岛军休所" in rejected.reason and "agencies add" in rejected.reason


def test_a_row_of_another_agency_than_the_one_given_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "姓名,手机,所属军休所\n张建国,13800138000,聊城市军休所\n"
                                     "李红,13900139000,\n", "utf-8")
    parsed = parse_roster(path, TODAY, Agencies(AGENCIES.by_name, "wh1"))

    assert [r.name for r in parsed.rows] == ["李红"] and parsed.rows[0].agency_key == "wh1"
    assert "--agency" in parsed.rejected[0].reason


# --- an .xlsx as WPS saves it ----------------------------------------------------------------


def handmade_xlsx(path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["威海市第一军休所离退休干部花名册"])
    ws.merge_cells("A1:I1")  # the title across the sheet
    ws.append(["序号", "姓名", "出生年月", "离休/退休", "职务", "联系方式", None, "是否独居",
               "所属军休所"])
    ws.append([None, None, None, None, None, "手机", "座机", None, None])
    for col in "ABCDEH I".replace(" ", ""):
        ws.merge_cells(f"{col}2:{col}3")  # one-row headings over the two header rows
    ws.merge_cells("F2:G2")  # 联系方式 over 手机 | 座机
    ws.append([1, "张建国", datetime(1941, 3, 1), "离休", "正师职", 13800138000, "0631-5201234",
               "是（孤老）", "威海市第一军休所"])
    ws["C4"].number_format = "yyyy.mm"  # a date shown without its day
    ws.append([2, "王德明", 1938.12, "离休", "副军职", 13700137000, None, "√", None])
    ws.append([3, "李红", 1941.1, "退休", "副团职", 13900139000, None, None, None])
    ws["C6"].number_format = "0.00"  # typed 1941.10, kept as the number 1941.1
    ws.merge_cells("I4:I6")  # one 所属军休所 down three rows
    ws.append(["合计", None, None, None, None, "3人"])
    ws.append(["制表人：刘明    审核人：孙强"])
    ws.merge_cells("A8:I8")
    wb.save(path)
    return path


def test_an_xlsx_with_merged_cells_and_a_two_row_header(tmp_path: Path) -> None:
    parsed = parse_roster(handmade_xlsx(tmp_path / "花名册.xlsx"), TODAY, AGENCIES)

    assert parsed.rejected == []
    rows = by_name(parsed)
    assert (rows["张建国"].phone, rows["张建国"].other_phone) == ("13800138000", "06315201234")
    assert (rows["张建国"].birth_date, rows["张建国"].birth_precision) == (date(1941, 3, 1),
                                                                         "month")
    assert rows["张建国"].lives_alone is True and rows["张建国"].rank == "师级"
    assert rows["王德明"].birth_date == date(1938, 12, 1)
    assert rows["李红"].birth_date == date(1941, 10, 1)  # the cell's format kept the 0
    assert {r.agency_key for r in parsed.rows} == {"wh1"}  # the merged cell, every row
    assert parsed.skipped == [Skipped(7, "合计"), Skipped(8, "制表人")]
    assert parsed.unknown_columns == []


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("JUNXIU_DATABASE_URL", url)
    main(["agencies", "add", "wh1", "--name", "威海市第一军休所", "--region", "weihai",
          "--staff-chat", "-1001"])
    main(["agencies", "add", "lc", "--name", "聊城市军休所", "--region", "liaocheng",
          "--staff-chat", "-1002"])
    return url


def test_dry_run_shows_what_would_change_and_stores_nothing(
        cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "a.csv", HANDMADE, "gbk")
    capsys.readouterr()

    assert main(["cadres", "import", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("试导入（没有保存任何内容）：将新增 4 人")
    assert "第5行 张建国：新增" in out
    assert "13800138000" not in out and ID_1941 not in out
    main(["cadres", "list"])
    assert capsys.readouterr().out == ""

    assert main(["cadres", "import", str(path)]) == 0
    assert "新增 4 人，更新 0 人，未导入 0 行" in capsys.readouterr().out
    changed = HANDMADE.replace("副团职", "正师职")
    assert main(["cadres", "import", str(write(tmp_path / "b.csv", changed, "gbk")),
                 "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "将新增 0 人，更新 1 人" in out and "第8行 李红：更新职级" in out


def test_reimporting_is_idempotent_and_matches_on_the_mobile(
        cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["cadres", "import", str(write(tmp_path / "a.csv", HANDMADE, "gbk"))])
    swapped = HANDMADE.replace("13800138000/0631-5201234", "0631-5201234/13800138000")
    capsys.readouterr()
    assert main(["cadres", "import", str(write(tmp_path / "b.csv", swapped, "utf-8"))]) == 0
    assert "新增 0 人，更新 0 人，未导入 0 行" in capsys.readouterr().out


def test_import_with_an_agency_puts_every_cadre_there(
        cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "a.csv", "姓名,手机,出生年月\n张建国,13800138000,1941.3\n", "utf-8")
    assert main(["cadres", "import", str(path), "--agency", "lc"]) == 0
    assert main(["cadres", "import", str(path), "--agency", "nowhere"]) == 2
    capsys.readouterr()
    main(["cadres", "show", "张建国"])
    out = capsys.readouterr().out
    assert "所属军休所：聊城市军休所" in out and "地区：聊城（按所属军休所）" in out


def test_cadres_show_prints_every_field_kept_with_phones_masked(
        cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["cadres", "import", str(write(tmp_path / "a.csv", HANDMADE, "gbk"))])
    capsys.readouterr()

    assert main(["cadres", "show", "张建国"]) == 0
    out = capsys.readouterr().out
    for line in ("姓名：张建国", "电话：138****8000 / 063****1234", "所属军休所：威海市第一军休所",
                 "地区：威海（按所属军休所）", "离休退休：离休", "职级：师级",
                 "出生日期：1941年3月（", "独居：是", "立功受奖：二等功1次", "最近联系：从未联系"):
        assert line in out, line
    assert "13800138000" not in out and "5201234" not in out.replace("****1234", "")

    for key in ("13800138000", "0631-5201234"):  # either number finds them
        assert main(["cadres", "show", key]) == 0
        assert "姓名：张建国" in capsys.readouterr().out


def test_cadres_show_lists_both_cadres_who_share_a_name(
        cli_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "a.csv", "姓名,手机\n李红,13900139000\n李红,13600136000\n", "utf-8")
    main(["cadres", "import", str(path)])
    capsys.readouterr()

    assert main(["cadres", "show", "李红"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("有 2 位干部符合“李红”")
    assert "139****9000" in out and "136****6000" in out


def test_without_agencies_the_agency_column_is_listed_not_fatal(tmp_path: Path) -> None:
    parsed = parse_roster(write(tmp_path / "a.csv", HANDMADE, "gbk"), TODAY)  # no agencies

    assert parsed.rejected == [] and len(parsed.rows) == 4
    assert {r.agency_key for r in parsed.rows} == {None}
    assert "所属军休所" in parsed.unknown_columns
    assert any("agencies add" in n for n in parsed.notes)
