"""Crafted xlsx files must be refused with a clear message and bounded memory.

Each hostile file is read in a subprocess under a 1 GB address-space limit, so a reader
that allocates by the file's claims (not its content) fails this test instead of taking
the test run down with it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import python_calamine

from duban.core import xlsx_guard

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<workbook xmlns="{MAIN_NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>序号</t></is></c></row>'


def _sheet(rows: str, dimension: str = "A1") -> str:
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{MAIN_NS}"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>'


def craft(path: Path, rows: str = HEADER_ROW, *, dimension: str = "A1", streamed: dict | None = None, parts: dict | None = None) -> Path:
    """A minimal xlsx written by hand. `streamed` maps a member to (head, chunk, times, tail):
    written piece by piece, so a member inflating to hundreds of MB costs no memory here."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", WORKBOOK)
        zf.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        for name, body in (parts or {}).items():
            zf.writestr(name, body)
        for name, (head, chunk, times, tail) in (streamed or {}).items():
            with zf.open(name, "w", force_zip64=True) as fh:
                fh.write(head.encode())
                block = chunk.encode() * 4096
                for _ in range(times // 4096):
                    fh.write(block)
                fh.write(chunk.encode() * (times % 4096))
                fh.write(tail.encode())
        if "xl/worksheets/sheet1.xml" not in (streamed or {}) and "xl/worksheets/sheet1.xml" not in (parts or {}):
            zf.writestr("xl/worksheets/sheet1.xml", _sheet(rows, dimension))
    return path


READER = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from duban.core.xlsx import Column, ImportRejected, read_table
try:
    table = read_table(sys.argv[1], [Column("序号")])
except ImportRejected as exc:
    print("REFUSED", exc)
else:
    print("READ", len(table.rows))
"""


def read_limited(path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DUBAN_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return subprocess.run([sys.executable, "-c", READER, str(path)], capture_output=True, text=True, env=env, timeout=300)


def _refused(path: Path, needle: str) -> str:
    proc = read_limited(path)
    assert proc.returncode == 0, f"the reader died (rc {proc.returncode}): {proc.stderr[-800:]}"
    assert proc.stdout.startswith("REFUSED"), proc.stdout
    assert needle in proc.stdout, proc.stdout
    return proc.stdout


def test_one_value_at_the_last_cell_of_the_sheet(tmp_path):
    f = craft(tmp_path / "far.xlsx", HEADER_ROW + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', dimension="A1:XFD1048576")
    assert f.stat().st_size < 6000
    out = _refused(f, "XFD")
    assert "列数过多" in out and "1000" in out


def test_a_far_cell_within_the_columns_limit(tmp_path):
    # row 200,001, column 201: a 40-million-cell block (about 1.6 GB in the reader)
    f = craft(tmp_path / "mid.xlsx", HEADER_ROW + '<row r="200001"><c r="GS200001"><v>1</v></c></row>')
    out = _refused(f, "表格范围过大")
    assert "GS200001" in out and "第200001行" in out


@pytest.mark.parametrize("rows", [
    # cells without a position: calamine places them after the previous one
    HEADER_ROW + '<row r="200001">' + "<c><v>1</v></c>" * 201 + "</row>",
    # prefixed tags (the reader matches local names)
    HEADER_ROW + f'<x:row xmlns:x="{MAIN_NS}" r="200001"><x:c r="GS200001"><x:v>1</x:v></x:c></x:row>',
    # lower-case reference, attributes in another order, a ">" inside a quoted value
    HEADER_ROW + '<row r="200001"><c s="0" foo="/>" r="gs200001"><v>1</v></c></row>',
])
def test_far_cells_written_unusually_are_found_too(tmp_path, rows):
    _refused(craft(tmp_path / "odd.xlsx", rows), "表格范围过大")


def test_one_long_shared_string_used_by_many_cells(tmp_path):
    # 100,000 cells × a 30,000-character string: 9 GB of text once every cell has its copy
    strings = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}"><si><t>{"长" * 30_000}</t></si></sst>'
    rows = "".join(f'<row r="{i}"><c r="A{i}" t="s"><v>0</v></c></row>' for i in range(1, 100_001))
    f = craft(tmp_path / "amp.xlsx", rows, parts={"xl/sharedStrings.xml": strings})
    assert f.stat().st_size < 1_000_000
    _refused(f, "文字总量过大")


def test_many_shared_strings(tmp_path):
    head = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'
    f = craft(tmp_path / "sst.xlsx", streamed={"xl/sharedStrings.xml": (head, "<si><t>a</t></si>", 40_000_000, "</sst>")})
    assert f.stat().st_size < 5_000_000
    _refused(f, "共享字符串")


def test_huge_inflated_sheet(tmp_path):
    head = _sheet("").split("</sheetData>")[0] + HEADER_ROW + '<row r="2"><c r="A2" t="inlineStr"><is><t>'
    f = craft(tmp_path / "bomb.xlsx", streamed={"xl/worksheets/sheet1.xml": (head, "a", 700_000_000, "</t></is></c></row></sheetData></worksheet>")})
    assert f.stat().st_size < 5_000_000
    _refused(f, "无法安全读取")


def test_ordinary_files_still_read(tmp_path):
    rows = HEADER_ROW + "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c><c r="AB{i}" t="s"><v>0</v></c></row>' for i in range(2, 500))
    strings = f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}"><si><t>甲</t></si></sst>'
    proc = read_limited(craft(tmp_path / "ok.xlsx", rows, parts={"xl/sharedStrings.xml": strings}))
    assert proc.stdout.strip() == "READ 498", proc.stdout + proc.stderr


@pytest.mark.parametrize("rows", [
    '<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>',
    '<row r="3"><c r="C3"><v>1</v></c><c><v>2</v></c></row><row><c s="1"/><c><v>3</v></c></row>',
    f'<x:row xmlns:x="{MAIN_NS}" r="4"><x:c r="b4"><x:v>1</x:v></x:c><x:c><x:v>2</x:v></x:c></x:row>',
    '<row r="2"><c r="B2"/><c r="D7"><v>1</v></c></row><row r="9"><c r="A9"><v>1</v></c></row>',
])
def test_the_bounds_never_undercount_what_calamine_builds(tmp_path, rows):
    data = craft(tmp_path / "b.xlsx", rows).read_bytes()
    facts = xlsx_guard.inspect(data, xlsx_guard.Limits(max_columns=25))  # under 26: always exact bounds
    sheet = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
    end_row, end_col = sheet.end
    assert facts.max_row >= end_row + 1 and facts.max_col >= end_col + 1, (facts, sheet.end)


def test_limits_come_from_settings(settings, tmp_path):
    settings.DUBAN_XLSX_LIMITS = {"max_cells": 100}
    rows = HEADER_ROW + "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(2, 200))
    with pytest.raises(xlsx_guard.UnsafeWorkbook, match="上限 100 个"):
        xlsx_guard.inspect(craft(tmp_path / "s.xlsx", rows).read_bytes())
