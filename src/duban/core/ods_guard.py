"""Check an .ods (OpenDocument spreadsheet: LibreOffice, WPS "另存为 ods") before
python-calamine reads it, so memory follows the file's real content.

calamine reads every table of content.xml when it opens the file and materialises
repetition: a cell with `table:number-columns-repeated="16384"` inside a row with
`table:number-rows-repeated="1048576"` is that many cells, each a copy of the value, and
`<text:s text:c="1000000000"/>` is a billion spaces. Empty repeated cells are only built
when another cell follows them in the row, and empty rows only between rows with content.
We stream content.xml once with expat, counting what calamine would build by those rules
(erring on the side of more), and refuse beyond `Limits`. calamine reports no merged
cells for ods, so the same pass collects the first table's merged ranges.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from duban.core.xlsx_guard import (
    Limits,
    SheetFacts,
    UnsafeWorkbook,
    _check_directory,
    _inflate,
    _no_dtd,
    _parse,
    _pieces,
    _read_part,
    _xml_head_ok,
    col_letters,
    current_limits,
)

_COUNT = re.compile(r"\+?[0-9]{1,15}")
_VALUE_ATTRS = ("office:value", "office:string-value", "office:date-value", "office:time-value", "office:boolean-value", "table:formula")
_WHAT = "表格内容（content.xml）"


@dataclass
class OdsFacts(SheetFacts):
    sheets: int = 0
    dense_cells: int = 0
    merged_ranges: list = field(default_factory=list)


def _count(value: str | None) -> int:
    if value is None:
        return 1
    if not _COUNT.fullmatch(value):
        raise UnsafeWorkbook(f"{_WHAT}中的重复次数“{value[:20]}”无效，文件可能已损坏；请另存为 .xlsx 后再导入")
    return int(value)


def inspect_ods(data: bytes, limits: Limits | None = None) -> OdsFacts:
    """Check `data` (an ods) against `limits`; UnsafeWorkbook with a message for people when
    reading it would cost more than they allow. Returns the first table's facts."""
    limits = limits or current_limits()
    _check_directory(data, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnsafeWorkbook("不是有效的 ods 文件（压缩包损坏）") from exc
    by_name: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        if info.filename in by_name:
            raise UnsafeWorkbook(f"压缩包内有重名的文件“{info.filename}”，无法安全读取")
        by_name[info.filename] = info
    content = by_name.get("content.xml")
    if content is None:
        raise UnsafeWorkbook("不是有效的 ods 文件（缺少 content.xml）")
    for name in ("META-INF/manifest.xml", "mimetype"):
        if name in by_name:
            _read_part(data, by_name[name], limits.max_part_bytes, "文件清单")
    facts = OdsFacts()
    state = _State(facts, limits)

    def pieces():
        first = True
        for piece in _pieces(_inflate(data, content, limits.max_sheet_bytes, _WHAT), _WHAT):
            if first:
                _xml_head_ok(piece, _WHAT)
                first = False
            _no_dtd(piece, _WHAT)
            yield piece

    _parse(pieces(), _WHAT, start=state.start, end=state.end, text=state.text)
    return facts


class _State:
    """calamine's ods rules (read_table / read_row / get_range), counted instead of built."""

    def __init__(self, facts: OdsFacts, limits: Limits):
        self.facts, self.limits = facts, limits
        self.table = -1
        self.built = 0  # cells calamine pushes before building the ranges (all tables)
        self.in_cell = 0  # depth inside a table-cell
        self.cell_text = 0
        self.cell_valued = False

    # -- tables and rows
    def _new_table(self) -> None:
        self.table += 1
        self.facts.sheets += 1
        self.row = 0  # rows so far, repeats included
        self.last_row = 0  # rows up to the last one with content
        self.max_col = 0

    def _end_table(self) -> None:
        if self.table < 0:
            return
        block = self.last_row * self.max_col  # from A1, as python-calamine hands it over
        self.facts.dense_cells += block
        if self.table == 0:
            self.facts.max_row, self.facts.max_col = self.last_row, self.max_col
            if self.max_col > self.limits.max_columns:
                raise UnsafeWorkbook(
                    f"列数过多：第{self.max_col}列（{col_letters(self.max_col)}列）还有内容，上限 {self.limits.max_columns} 列；"
                    "请删除表格右侧多余的列后再导入"
                )
        self._check_cells()

    def _check_cells(self) -> None:
        n = max(self.facts.dense_cells, self.built)
        if n > self.limits.max_cells:
            raise UnsafeWorkbook(
                f"表格范围过大：读取要占 {n:,} 个单元格（重复的行列按重复次数计），上限 {self.limits.max_cells:,} 个；"
                "请删除表格下方和右侧多余的内容（或分成几个文件）后再导入"
            )

    def _check_text(self) -> None:
        if self.facts.text_bytes > self.limits.max_text_bytes:
            raise UnsafeWorkbook(
                f"表格中的文字总量过大（超过 {self.limits.max_text_bytes >> 20} MB，重复的单元格按重复次数计），无法安全读取；请分成几个文件导入"
            )

    # -- expat callbacks
    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if self.in_cell:
            self.in_cell += 1
            if local == "s":  # <text:s text:c="n"/>: n spaces
                self.cell_text += _count(attrs.get("text:c"))
            elif local == "p":
                self.cell_text += 1
            return
        if local == "table":
            if self._open:
                self._end_table()
            self._new_table()
            self._open = True
        elif local == "table-row" and self.table >= 0:
            self.row_repeats = _count(attrs.get("table:number-rows-repeated"))
            self.cells = 0  # cells pushed in this row
            self.pending = 0  # empty cells waiting for a following cell
            self.row_text = 0
            self.row_end = 0  # cells up to the last one with content
        elif local in ("table-cell", "covered-table-cell") and self.table >= 0:
            self.in_cell = 1
            self.cell_repeats = _count(attrs.get("table:number-columns-repeated"))
            self.cells += self.pending  # calamine pushes the waiting empties now
            self.pending = 0
            self.cell_col = self.cells
            self.cell_valued = any(a in attrs for a in _VALUE_ATTRS) or "office:value-type" in attrs
            self.cell_text = sum(len(attrs.get(a, "")) for a in _VALUE_ATTRS) * 3
            if self.table == 0 and "table:formula" in attrs and len(self.facts.formulas) < 5:
                self.facts.formulas.append(f"{col_letters(self.cell_col + 1)}{self.row + 1}")
            spans = (_count(attrs.get("table:number-rows-spanned")), _count(attrs.get("table:number-columns-spanned")))
            if self.table == 0 and spans != (1, 1) and spans[0] >= 1 and spans[1] >= 1:
                self.facts.merged += 1
                if self.facts.merged > self.limits.max_merged:
                    raise UnsafeWorkbook(f"合并单元格过多（超过 {self.limits.max_merged} 个），请取消合并后再导入")
                r0, c0 = self.row, self.cell_col
                self.facts.merged_ranges.append(((r0, c0), (r0 + spans[0] - 1, c0 + spans[1] - 1)))

    def text(self, data: str) -> None:
        if self.in_cell:
            self.cell_text += len(data.encode())

    def end(self, name: str) -> None:
        local = name.rpartition(":")[2]
        if self.in_cell:
            self.in_cell -= 1
            if self.in_cell:
                return
            r = self.cell_repeats
            if self.cell_valued or self.cell_text:
                self.cells += r
                self.row_end = self.cells
                self.row_text += self.cell_text * r
            else:
                self.pending = r
            if self.cells > self.limits.max_cells:
                self.built += self.cells
                self._check_cells()
            return
        if local == "table-row" and self.table >= 0:
            self.built += self.cells
            self.row += self.row_repeats
            if self.row_end:
                self.last_row = self.row
                self.max_col = max(self.max_col, self.row_end)
                self.facts.text_bytes += self.row_text * self.row_repeats
                self._check_text()
            if self.last_row * self.max_col > self.limits.max_cells or self.built > self.limits.max_cells:
                self.facts.dense_cells += self.last_row * self.max_col
                self._check_cells()
        elif local == "table" and self._open:
            self._end_table()
            self._open = False

    _open = False
