"""Crafted .xls and .ods files must be refused with a clear message and bounded memory.

As in test_xlsx_limits, each hostile file is read in a subprocess under a 1 GB
address-space limit, so a reader that allocates by the file's claims (not its content)
fails the test instead of taking the test run down.
"""

from __future__ import annotations

import io
import struct

import pytest
import python_calamine

from duban.core import ods_guard, xls_guard
from tests.office_layouts import Sheet, ods_package, write_xls
from tests.test_xlsx_limits import read_limited

xlwt = pytest.importorskip("xlwt")

READ_RAW = """
import resource, sys, io
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
import python_calamine
sheet = python_calamine.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0)
print("READ", len(sheet.to_python(skip_empty_area=False)))
"""


def _refused(path, needle: str) -> str:
    proc = read_limited(path)
    assert proc.returncode == 0, f"the reader died (rc {proc.returncode}): {proc.stderr[-800:]}"
    assert proc.stdout.startswith("REFUSED"), proc.stdout
    assert needle in proc.stdout, proc.stdout
    return proc.stdout


def _calamine_alone_fails(path) -> bool:
    """The premise: python-calamine on its own cannot read this file within 1 GB."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DUBAN_"))}
    proc = subprocess.run([sys.executable, "-c", READ_RAW, str(path)], capture_output=True, text=True, env=env, timeout=300)
    return not proc.stdout.startswith("READ")


def _xls(tmp_path, name: str, fill) -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("a")
    ws.write(0, 0, "序号")
    fill(ws)
    path = tmp_path / name
    wb.save(str(path))
    return path


def _patch(path, marker: bytes, offset: int, fmt: str, *values) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(marker)
    struct.pack_into(fmt, data, at + offset, *values)
    path.write_bytes(bytes(data))


# ----------------------------------------------------------------------------------- xls


def test_xls_one_value_far_away(tmp_path):
    # 65,536 rows × 256 columns: 16.7 million cells from one value
    path = _xls(tmp_path, "far.xls", lambda ws: ws.write(65535, 255, 1))
    assert path.stat().st_size < 10_000
    _refused(path, "表格范围过大")


def test_xls_dimensions_that_claim_billions_of_cells(tmp_path):
    path = _xls(tmp_path, "dim.xls", lambda ws: ws.write(1, 0, 1))
    _patch(path, b"\x00\x02\x0e\x00", 4, "<IIHH", 0, 0xFFFFFFF0, 0, 0xFF)  # DIMENSIONS: rows 0…4 billion
    assert _calamine_alone_fails(path)
    _refused(path, "表格范围过大")


def test_xls_one_long_shared_string_used_by_many_cells(tmp_path):
    long = "长" * 30_000  # 90 KB; 30,000 cells × 90 KB is 2.7 GB once every cell has its copy

    def fill(ws):
        for r in range(1, 30_001):
            ws.write(r, 0, long)

    path = _xls(tmp_path, "amp.xls", fill)
    assert path.stat().st_size < 1_200_000
    assert _calamine_alone_fails(path)
    _refused(path, "文字总量过大")


def test_xls_shared_string_table_that_claims_billions_of_strings(tmp_path):
    path = _xls(tmp_path, "sst.xls", lambda ws: ws.write(1, 0, "一村"))
    data = path.read_bytes()
    at = data.index(b"\xfc\x00")  # the SST record: its unique count is at body offset 4
    _patch(path, data[at : at + 4], 8, "<i", 0x7FFFFFFF)
    _refused(path, "共享字符串表声明了 2147483647 条")


def test_xls_merged_cells_record_longer_than_itself(tmp_path):
    path = _xls(tmp_path, "merge.xls", lambda ws: ws.write_merge(1, 2, 0, 1, "一村"))
    data = path.read_bytes()
    at = data.index(b"\xe5\x00\x0a\x00")  # MERGEDCELLS with one range
    _patch(path, data[at : at + 4], 4, "<H", 500)
    _refused(path, "xls 文件结构损坏")


def test_xls_formulas_are_refused_before_reading(tmp_path):
    path = _xls(tmp_path, "f.xls", lambda ws: ws.write(1, 0, xlwt.Formula("1+1")))
    _refused(path, "文件含有公式（A2）")


def test_ordinary_xls_files_still_read(tmp_path):
    def fill(ws):
        for r in range(1, 500):
            ws.write(r, 0, r)
            ws.write(r, 27, "甲")

    proc = read_limited(_xls(tmp_path, "ok.xls", fill))
    assert proc.stdout.strip() == "READ 499", proc.stdout + proc.stderr


@pytest.mark.parametrize("cells", [
    [(1, 0, 1), (3, 2, "a")],
    [(5, 7, "a"), (2, 1, 1.5), (9, 0, "b")],
    [(0, 3, "x")],
])
def test_xls_bounds_never_undercount_what_calamine_builds(tmp_path, cells):
    def fill(ws):
        for r, c, v in cells:
            ws.write(r, c, v)

    data = _xls(tmp_path, "b.xls", fill).read_bytes()
    facts = xls_guard.inspect_xls(data)
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    end_row, end_col = sheet.end
    assert facts.max_row >= end_row + 1 and facts.max_col >= end_col + 1, (facts, sheet.end)


def test_xls_merged_ranges_are_what_calamine_reports(tmp_path):
    data = write_xls(Sheet([["a", None, None], ["b", "c", None]], [(0, 0, 0, 2), (1, 1, 2, 1)]))
    facts = xls_guard.inspect_xls(data)
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    assert sorted(facts.merged_ranges) == sorted(sheet.merged_cell_ranges)


# ----------------------------------------------------------------------------------- ods

HEAD = '<table:table-row><table:table-cell office:value-type="string"><text:p>序号</text:p></table:table-cell></table:table-row>'


def _ods(tmp_path, name: str, rows: str):
    path = tmp_path / name
    ods_package(f'<table:table table:name="a">{HEAD}{rows}</table:table>', path)
    return path


def test_ods_repeated_rows_of_repeated_values(tmp_path):
    # one row written once, repeated a million times with 100 copies of its value
    row = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="float" office:value="1" '
           'table:number-columns-repeated="100"/></table:table-row>')
    path = _ods(tmp_path, "rep.ods", row)
    assert path.stat().st_size < 2_000
    assert _calamine_alone_fails(path)
    _refused(path, "表格范围过大")


def test_ods_a_billion_spaces_in_one_cell(tmp_path):
    row = '<table:table-row><table:table-cell office:value-type="string"><text:p><text:s text:c="2000000000"/></text:p></table:table-cell></table:table-row>'
    path = _ods(tmp_path, "spaces.ods", row)
    assert _calamine_alone_fails(path)
    _refused(path, "文字总量过大")


def test_ods_a_value_after_a_million_empty_rows(tmp_path):
    rows = ('<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>'
            '<table:table-row><table:table-cell table:number-columns-repeated="20" office:value-type="float" office:value="1"/></table:table-row>')
    _refused(_ods(tmp_path, "far.ods", rows), "表格范围过大")


def test_ods_a_value_after_many_empty_columns(tmp_path):
    rows = '<table:table-row><table:table-cell table:number-columns-repeated="5000"/><table:table-cell office:value="1" office:value-type="float"/></table:table-row>'
    _refused(_ods(tmp_path, "wide.ods", rows), "列数过多")


def test_ods_a_repeat_count_that_is_no_number(tmp_path):
    rows = '<table:table-row table:number-rows-repeated="1e9"><table:table-cell office:value="1" office:value-type="float"/></table:table-row>'
    _refused(_ods(tmp_path, "nan.ods", rows), "重复次数“1e9”无效")


def test_ods_trailing_empty_rows_as_libreoffice_writes_them_still_read(tmp_path):
    rows = ("".join(f'<table:table-row><table:table-cell office:value-type="float" office:value="{i}"/>'
                    '<table:table-cell table:number-columns-repeated="1023"/></table:table-row>' for i in range(2, 500))
            + '<table:table-row table:number-rows-repeated="1048076"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>')
    proc = read_limited(_ods(tmp_path, "ok.ods", rows))
    assert proc.stdout.strip() == "READ 498", proc.stdout + proc.stderr


@pytest.mark.parametrize("rows", [
    '<table:table-row table:number-rows-repeated="3"><table:table-cell/></table:table-row><table:table-row><table:table-cell/><table:table-cell office:value="1" office:value-type="float"/></table:table-row>',
    '<table:table-row><table:table-cell table:number-columns-repeated="4"/><table:table-cell office:value-type="string"><text:p>a</text:p></table:table-cell><table:table-cell/></table:table-row>',
    '<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="string" table:number-columns-repeated="3"><text:p>a</text:p></table:table-cell></table:table-row>',
    '<table:table-row><table:covered-table-cell table:number-columns-repeated="2"/><table:table-cell office:value="2" office:value-type="float"/></table:table-row>',
])
def test_ods_bounds_never_undercount_what_calamine_builds(tmp_path, rows):
    data = _ods(tmp_path, "b.ods", rows).read_bytes()
    facts = ods_guard.inspect_ods(data)
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    end_row, end_col = sheet.end
    assert facts.max_row >= end_row + 1 and facts.max_col >= end_col + 1, (facts, sheet.end)
    assert len(sheet.to_python(skip_empty_area=False)) == end_row + 1


def test_limits_from_settings_apply_to_xls_and_ods(settings, tmp_path):
    settings.DUBAN_XLSX_LIMITS = {"max_cells": 100}
    xls = _xls(tmp_path, "s.xls", lambda ws: [ws.write(r, 0, r) for r in range(1, 200)])
    with pytest.raises(xls_guard.UnsafeWorkbook, match="上限 100 个"):
        xls_guard.inspect_xls(xls.read_bytes())
    rows = '<table:table-row table:number-rows-repeated="200"><table:table-cell office:value="1" office:value-type="float"/></table:table-row>'
    with pytest.raises(ods_guard.UnsafeWorkbook, match="上限 100 个"):
        ods_guard.inspect_ods(_ods(tmp_path, "s.ods", rows).read_bytes())
