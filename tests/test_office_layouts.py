"""Excel files as offices actually send them: titles, 填报 lines, two-level headers, merged
cells over grouped rows, spacer rows, notes, office synonyms, and .xls/.et/.ods files.

The layouts are written in every format by tests/office_layouts.py; a few real-shaped
files are checked in under tests/data/ (made by tests/data/make_office_files.py).
"""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from duban.core.actors import SystemActor
from duban.core.xlsx import Column, ImportRejected, read_table
from duban.intake.io import SUGGESTION_LAYOUT, suggestions_import
from duban.intake.models import Suggestion
from duban.ledger import io
from duban.ledger.models import Problem, Status
from duban.orgs.io import UNIT_LAYOUT, units_import
from duban.orgs.models import OrgUnit
from tests.office_layouts import (
    WRITERS,
    Sheet,
    ods_package,
    office_ledger,
    office_suggestions,
    office_units,
    write_xlsx,
)

DATA = Path(__file__).parent / "data"
FORMATS = sorted(WRITERS)


def _read(kind: str, sheet: Sheet, layout=io.LAYOUT):
    return read_table(WRITERS[kind](sheet), layout)


def _skipped(table) -> list[str]:
    return [str(s) for s in table.skipped]


@pytest.mark.parametrize("kind", FORMATS)
def test_an_office_ledger_reads_in_every_format(kind):
    t = _read(kind, office_ledger())
    assert t.format == kind
    assert _skipped(t) == ["第1行：标题行，已跳过", "第2行：填报信息行，已跳过", "第9行：注释行，已跳过", "第10行：填报信息行，已跳过"]
    assert [n for n, _ in t.rows] == [5, 6, 8]  # the file's own numbers, past the spacer row
    first, second, third = (c for _, c in t.rows)
    # office names: 问题清单, 领域, 责任领导, and under 整改情况: 整改举措, 完成时限, 整改进展
    assert t.get(first, "问题描述") == "冬季供暖温度不达标" and t.get(first, "责任人") == "王五"
    assert t.get(first, "整改措施") == "更换管网" and t.get(first, "整改时限") == dt.date(2022, 3, 31)
    assert t.get(first, "整改进展") == "已开工" and t.get(first, "状态") == "整改中"
    assert t.get(second, "聚焦领域") == "破解民生难题"  # the merged 领域 covers the second problem too
    assert t.get(third, "完成时间") == dt.date(2022, 3, 20)
    assert t.extras == ["备注"] and t.extra_values(first) == {"备注": "重点"}


def _plain(header, *rows, title: str | None = None, merges=()):
    return Sheet(([[title] + [None] * (len(header) - 1)] if title else []) + [header, *rows], list(merges))


HEADER = ["序号", "问题描述", "责任单位"]


@pytest.mark.parametrize("kind", FORMATS)
def test_a_merged_title_is_skipped_not_refused(kind):
    t = _read(kind, _plain(HEADER, [1, "供暖不达标", "一村"], title="临汾市问题整改台账", merges=[(0, 0, 0, 2)]))
    assert _skipped(t) == ["第1行：标题行，已跳过"] and [n for n, _ in t.rows] == [3]


@pytest.mark.parametrize("kind", FORMATS)
def test_the_filler_line_and_a_subtitle_are_skipped(kind):
    sheet = Sheet([["问题整改台账", None, None], ["（2022年第一季度）", None, None], ["填报单位：平安镇", None, "填报时间：2022-03-01"],
                   HEADER, [1, "供暖不达标", "一村"]])
    assert _skipped(_read(kind, sheet)) == ["第1行：标题行，已跳过", "第2行：表头前的说明行，已跳过", "第3行：填报信息行，已跳过"]


@pytest.mark.parametrize("kind", FORMATS)
def test_a_two_level_header_without_merges_below(kind):
    # 整改情况 merged over its columns; the one-level columns are written in the lower row only
    sheet = Sheet([[None, None, None, "整改情况", None], ["序号", "存在问题", "责任单位", "整改措施", "整改时限"],
                   [1, "供暖不达标", "一村", "换管网", "2022-03-31"]], [(0, 3, 0, 4)])
    t = _read(kind, sheet)
    assert t.columns == {"序号": 0, "问题描述": 1, "责任单位": 2, "整改措施": 3, "整改时限": 4}
    assert [n for n, _ in t.rows] == [3] and t.skipped == []


@pytest.mark.parametrize("kind", FORMATS)
def test_a_two_level_header_whose_lower_names_are_extra_columns(kind):
    sheet = Sheet([["序号", "问题描述", "责任单位", "佐证情况", None], [None, None, None, "材料名称", "份数"],
                   [1, "供暖不达标", "一村", "照片", 3]], [(0, 3, 0, 4)])
    t = _read(kind, sheet)
    assert [n for n, _ in t.rows] == [3] and t.extras == ["材料名称", "份数"]


@pytest.mark.parametrize("kind", FORMATS)
def test_merged_cells_over_grouped_rows_fill_each_row(kind):
    header = ["序号", "方面", "问题描述", "责任单位", "责任人"]
    sheet = _plain(header, [1, "民生", "供暖", "一村", "王五"], [2, None, "道路", "一村", None], [3, None, "饮水", "二村", "李四"],
                   merges=[(1, 1, 3, 1), (1, 3, 2, 3), (1, 4, 2, 4)])
    t = _read(kind, sheet)
    assert [(t.get(c, "聚焦领域"), t.get(c, "责任单位"), t.get(c, "责任人")) for _, c in t.rows] == [
        ("民生", "一村", "王五"), ("民生", "一村", "王五"), ("民生", "二村", "李四")]


@pytest.mark.parametrize("kind", FORMATS)
def test_blank_rows_notes_totals_and_sections(kind):
    sheet = _plain(HEADER, ["一、民生方面", None, None], [1, "供暖", "一村"], [None] * 3, [None] * 3, ["（二）营商环境", None, None],
                   [2, "审批", "区财政局"], ["合  计", "2项", None], ["注：1. 序号按问题编排；", None, None], ["2. 责任单位写全称。", None, None],
                   merges=[(1, 0, 1, 2)])
    t = _read(kind, sheet)
    assert [n for n, _ in t.rows] == [3, 7]
    assert _skipped(t) == ["第2行：分组标题行，已跳过", "第6行：分组标题行，已跳过", "第8行：合计行，已跳过",
                           "第9行：注释行，已跳过", "第10行：注释行（续），已跳过"]


def test_a_data_row_that_starts_like_a_note_is_still_data():
    t = _read("xlsx", _plain(HEADER, [1, "注：群众反映路灯不亮", "一村"]))
    assert [n for n, _ in t.rows] == [2] and t.skipped == []


@pytest.mark.parametrize("cell, column", [
    ("整 改\n时限（年月日）*", "整改时限"), ("＊问题清单", "问题描述"), ("责任领导", "责任人"), ("整改举措", "整改措施"),
    ("完成时限", "整改时限"), ("存在问题", "问题描述"), ("序　号", "序号"), ("责任单位：", "责任单位"),
])
def test_office_synonyms_and_spelling_of_header_cells(cell, column):
    base = {"序号": "序号", "问题描述": "问题描述", "责任单位": "责任单位"}
    extra = [] if column in base else [cell]
    base.update({column: cell} if column in base else {})
    header = [*base.values(), *extra]
    t = _read("xlsx", _plain(header, [1, "供暖", "一村", "x"][: len(header)]))
    assert t.columns[column] == header.index(cell)


def test_a_row_of_column_numbers_under_the_header_is_skipped():
    t = _read("xlsx", _plain(HEADER, [1, 2, 3], [1, "供暖", "一村"]))
    assert _skipped(t) == ["第2行：列序号行，已跳过"] and [n for n, _ in t.rows] == [3]


def test_the_header_is_looked_for_in_the_first_rows_only():
    sheet = Sheet([[f"说明第{i}行"] for i in range(20)] + [HEADER, [1, "供暖", "一村"]])
    with pytest.raises(ImportRejected, match="在前 15 行中找不到表头：表头应包含 序号、问题描述、责任单位"):
        _read("xlsx", sheet)


def test_a_missing_column_names_its_synonyms():
    with pytest.raises(ImportRejected) as exc:
        _read("xlsx", _plain(["序号", "问题清单"], [1, "供暖"]))
    assert "第1行“责任单位”列：缺少必需的列“责任单位”（或：整改责任单位、责任部门" in str(exc.value.errors[0])


def test_two_groups_sharing_a_lower_name_keep_both_as_extras():
    sheet = Sheet([["序号", "问题描述", "责任单位", "第一季度", None, "第二季度", None],
                   [None, None, None, "进度", "备注", "进度", "备注"],
                   [1, "供暖", "一村", "30%", "a", "60%", "b"]], [(0, 0, 1, 0), (0, 1, 1, 1), (0, 2, 1, 2), (0, 3, 0, 4), (0, 5, 0, 6)])
    t = _read("xlsx", sheet)
    assert t.extra_values(t.rows[0][1]) == {"第一季度/进度": "30%", "第一季度/备注": "a", "第二季度/进度": "60%", "第二季度/备注": "b"}


# ------------------------------------------------------------------------ what a file is


@pytest.mark.parametrize("data, needle", [
    (b"<html><body><table><tr><td>\xe5\xba\x8f\xe5\x8f\xb7</td></tr></table></body></html>", "这是网页（HTML/XML）格式的表格"),
    ("序号,问题描述\n1,供暖\n".encode("gb18030"), "这是文本（CSV）文件"),
    (b"%PDF-1.4 ...", "这是 PDF 文件"),
    (b"\x00\x01\x02garbage" * 10, "不是有效的 Excel 文件（支持 .xlsx、.xls、.et（WPS）、.ods）"),
])
def test_files_that_are_no_workbook_say_what_they_are(data, needle):
    with pytest.raises(ImportRejected) as exc:
        read_table(data, io.LAYOUT)
    assert needle in str(exc.value)


def test_an_xlsb_is_refused_clearly():
    import zipfile
    from io import BytesIO

    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.bin", b"\0")
    with pytest.raises(ImportRejected, match="这是 .xlsb"):
        read_table(buf.getvalue(), io.LAYOUT)


def test_an_et_file_is_read_by_its_bytes_whatever_its_name(tmp_path):
    xls = read_table(DATA / "ledger_office.et", io.LAYOUT)
    assert xls.format == "xls" and len(xls.rows) == 3
    inner_xlsx = tmp_path / "wps.et"  # newer WPS versions may save an .et that is an xlsx inside
    write_xlsx(office_ledger(), inner_xlsx)
    assert read_table(inner_xlsx, io.LAYOUT).format == "xlsx"


def test_an_ods_with_repeated_cells_reads_them_all():
    cell = '<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>'
    rows = ("<table:table-row>" + "".join(cell.format(h) for h in HEADER) + "</table:table-row>"
            '<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="float" office:value="7"/>'
            '<table:table-cell office:value-type="string" table:number-columns-repeated="2"><text:p>一村</text:p></table:table-cell></table:table-row>')
    t = read_table(ods_package(f'<table:table table:name="a">{rows}</table:table>'), [Column("序号"), Column("问题描述"), Column("责任单位")])
    assert [(n, c) for n, c in t.rows] == [(2, [7.0, "一村", "一村"]), (3, [7.0, "一村", "一村"])]


# ------------------------------------------------------------------------ the importers

@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ledger_office.xls", "ledger_office.et", "ledger_office.ods"])
def test_the_checked_in_office_ledgers_import(campaign, tree, name):
    plan = io.problems_import(actor=SystemActor("t"), skip_checks=True, source=DATA / name, campaign=campaign)
    assert plan.applied and plan.created == 3
    ps = {p.seq: p for p in Problem.objects.select_related("unit", "focus_area")}
    assert ps[1].description == "冬季供暖温度不达标" and ps[1].owner == "王五" and ps[1].measures == "更换管网"
    assert ps[1].deadline == dt.date(2022, 3, 31) and ps[1].status == Status.IN_PROGRESS and ps[1].extra == {"备注": "重点"}
    assert ps[2].focus_area.name == "破解民生难题" and ps[2].unit == tree["village_a2"]
    assert ps[3].status == Status.SIGNED_OFF and ps[3].completed_on == dt.date(2022, 3, 20)
    assert [str(s) for s in plan.skipped][0] == "第1行：标题行，已跳过"
    assert "已跳过 4 行（第1行 标题行、第2行 填报信息行、第9行 注释行、第10行 填报信息行）" in plan.summary()


@pytest.mark.django_db
def test_errors_in_an_office_ledger_count_the_files_own_rows(campaign, tree, tmp_path):
    sheet = office_ledger()
    sheet.rows[7][4] = "平安真"  # the third problem, on the file's row 8
    path = tmp_path / "bad.xls"
    WRITERS["xls"](sheet, path)
    with pytest.raises(ImportRejected) as exc:
        io.problems_import(actor=SystemActor("t"), skip_checks=True, source=path, campaign=campaign)
    assert [str(e) for e in exc.value.errors] == ["第8行“责任单位”列：未知单位“平安真”；最接近的单位：平安镇"]
    assert Problem.objects.count() == 0


@pytest.mark.django_db
def test_the_cli_reports_the_skipped_rows(campaign, tree):
    out = StringIO()
    call_command("import_ledger", "problems", str(DATA / "ledger_office.xls"), stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[:4] == ["第1行：标题行，已跳过", "第2行：填报信息行，已跳过", "第9行：注释行，已跳过", "第10行：填报信息行，已跳过"]
    assert lines[-1].startswith("导入完成：新建 3 条")


@pytest.mark.django_db
def test_the_preview_page_lists_the_skipped_rows(campaign, tree, users, client_for):
    c = client_for(users["office"])
    with open(DATA / "ledger_office.ods", "rb") as fh:
        page = c.post("/ledger/import/", {"file": fh, "campaign": campaign.pk}).content.decode()
    assert "检查通过" in page and "跳过了 4 行（不是数据）" in page
    assert "第1行：标题行，已跳过" in page and "第9行：注释行，已跳过" in page


@pytest.mark.django_db
def test_units_from_an_office_xls(tree):
    t = read_table(DATA / "units_office.xls", UNIT_LAYOUT)
    assert [str(s) for s in t.skipped] == ["第1行：标题行，已跳过", "第3行：列序号行，已跳过", "第4行：分组标题行，已跳过", "第7行：合计行，已跳过"]
    result = units_import(actor=SystemActor("t"), skip_checks=True, source=DATA / "units_office.xls")
    assert result.created == 2 and OrgUnit.objects.get(name="七村").parent == tree["town_a"]
    assert "已跳过 4 行" in result.summary()


@pytest.mark.django_db
def test_suggestions_from_an_office_ods(campaign, tree):
    t = read_table(DATA / "suggestions_office.ods", SUGGESTION_LAYOUT)
    assert [str(s) for s in t.skipped] == ["第1行：标题行，已跳过", "第2行：填报信息行，已跳过", "第7行：注释行，已跳过"]
    result = suggestions_import(actor=SystemActor("t"), skip_checks=True, source=DATA / "suggestions_office.ods", campaign=campaign)
    assert result.created == 2 and Suggestion.objects.get(title="路灯不亮").contact_name == "王大爷"
    assert "已跳过 3 行" in result.summary()


@pytest.mark.parametrize("kind", FORMATS)
def test_office_units_and_suggestions_sheets_read_in_every_format(kind):
    units = _read(kind, office_units(), UNIT_LAYOUT)
    assert [n for n, _ in units.rows] == [5, 6] and len(units.skipped) == 4
    sugg = _read(kind, office_suggestions(), SUGGESTION_LAYOUT)
    assert [n for n, _ in sugg.rows] == [4, 5] and [s.row for s in sugg.skipped] == [1, 2, 7]
    assert sugg.get(sugg.rows[0][1], "提交时间") == dt.date(2022, 2, 20) and sugg.extras == ["序号"]
