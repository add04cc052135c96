"""Reading and writing Excel ledgers: one shared reader for every importer, cell errors,
formula and type checks.

Reading takes the file by its bytes, not its name: .xlsx, .xls (Excel 97–2003; WPS .et
files are usually the same inside, or an .xlsx) and .ods, each checked by its guard
(`xlsx_guard`, `xls_guard`, `ods_guard`) before python-calamine (fast, Rust) builds
anything. `read_table` then finds the header by the columns an importer declares
(`Column` with its synonyms), wherever the office put it (`sheet_layout`), and returns the
data rows numbered as the file numbers them, with the rows it skipped and why. Writing
uses XlsxWriter in constant-memory mode so a 270,000-row export streams. Every importer
raises `ImportRejected` with row/column messages, so a bad file writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import python_calamine
import xlsxwriter

from duban.core.ods_guard import inspect_ods
from duban.core.sheet_layout import HEADER_SEARCH_ROWS, SkippedRow, TooManyMerges, describe_skipped, locate
from duban.core.xls_guard import OLE_MAGIC, inspect_xls
from duban.core.xlsx_guard import SheetFacts, UnsafeWorkbook, _check_directory, current_limits, inspect

XLSX_MAGIC = b"PK\x03\x04"
Source = str | Path | bytes | IO[bytes]
FORMATS = ".xlsx、.xls、.et（WPS）、.ods"
SAVE_AS = "请在 Excel 或 WPS 中打开后“另存为” .xlsx 再导入"

__all__ = [
    "CellError", "Column", "ExportTooLarge", "ImportRejected", "SkippedRow", "Source", "Table", "describe_skipped", "read_table", "check_export_size", "sniff", "write_table",
]


@dataclass(frozen=True)
class Column:
    """A column an importer reads: its name and the other names offices give it.

    Header cells are compared without spaces, line breaks, stars or notes in brackets, and
    full-width folded, so "整 改\n时限（年月日）*" finds 整改时限."""

    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class CellError:
    row: int  # the row number Excel shows (1-based); 0 for the file as a whole
    column: str  # header name, "" for a whole row or the file
    message: str

    def __str__(self) -> str:
        where = "文件" if self.row == 0 else f"第{self.row}行"
        if self.column:
            where += f"“{self.column}”列"
        return f"{where}：{self.message}"


class ImportRejected(Exception):
    """The whole file is refused; nothing was written."""

    def __init__(self, errors: Sequence[CellError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(e) for e in self.errors[:20]))


@dataclass
class Table:
    header: list[str]
    columns: dict[str, int]  # known column name → index
    extras: list[str]  # header names the layout does not know; kept, not dropped
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)  # (excel row number, cells)
    skipped: list[SkippedRow] = field(default_factory=list)  # title, 填报, note… rows, with why
    format: str = "xlsx"

    def get(self, cells: list[Any], name: str) -> Any:
        idx = self.columns.get(name)
        if idx is None or idx >= len(cells):
            return None
        value = cells[idx]
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    def extra_values(self, cells: list[Any]) -> dict[str, Any]:
        out = {}
        for name in self.extras:
            idx = self.header.index(name)
            if idx < len(cells) and cells[idx] not in (None, ""):
                out[name] = jsonable(cells[idx])
        return out


def jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    return value


def col_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _read_bytes(source: Source, max_bytes: int | None) -> bytes:
    if isinstance(source, bytes):
        data = source
    elif isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise ImportRejected([CellError(0, "", f"找不到文件 {path}")])
        if max_bytes and path.stat().st_size > max_bytes:
            raise ImportRejected([CellError(0, "", f"文件过大（{path.stat().st_size // 1048576} MB），上限 {max_bytes // 1048576} MB")])
        data = path.read_bytes()
    else:
        data = source.read(max_bytes + 1 if max_bytes else -1)
    if max_bytes and len(data) > max_bytes:
        raise ImportRejected([CellError(0, "", f"文件过大，上限 {max_bytes // 1048576} MB")])
    return data


def _refuse(message: str) -> ImportRejected:
    return ImportRejected([CellError(0, "", message)])


def sniff(data: bytes) -> str:
    """"xlsx", "xls" or "ods" by the file's bytes (offices rename files freely: an .et from WPS
    is usually an xls or an xlsx inside, an ".xls" from a web system is often a web page);
    ImportRejected with what the file really is otherwise."""
    if data.startswith(XLSX_MAGIC):
        try:
            _check_directory(data, current_limits())
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (UnsafeWorkbook, zipfile.BadZipFile, ValueError, OSError) as exc:
            raise _refuse(f"不是有效的 Excel 文件（压缩包损坏）；{SAVE_AS}") from exc
        if "xl/workbook.bin" in names:
            raise _refuse(f"这是 .xlsb（Excel 二进制工作簿），暂不支持；{SAVE_AS}")
        if "content.xml" in names and "xl/workbook.xml" not in names:
            return "ods"
        if "word/document.xml" in names or "ppt/presentation.xml" in names:
            raise _refuse("这是 Word 或 PowerPoint 文件，不是表格；请上传 Excel 表格")
        return "xlsx"
    if data.startswith(OLE_MAGIC):
        return "xls"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"<") and any(tag in head for tag in (b"<html", b"<table", b"<!doctype", b"<?xml", b"<meta")):
        raise _refuse(f"这是网页（HTML/XML）格式的表格，只是扩展名为 .xls；{SAVE_AS}")
    if head.startswith(b"%pdf"):
        raise _refuse("这是 PDF 文件，不是表格；请上传 Excel 表格")
    if data and b"\0" not in data[:4096]:
        for enc in ("utf-8", "gb18030"):
            try:
                data[:4096].decode(enc)
            except UnicodeDecodeError:
                continue
            raise _refuse(f"这是文本（CSV）文件，不是 Excel 工作簿；{SAVE_AS}")
    raise _refuse(f"不是有效的 Excel 文件（支持 {FORMATS}）；{SAVE_AS}")


def _read_first_sheet(data: bytes) -> tuple[list[list[Any]], list, SheetFacts, str]:
    """The first sheet's cells (from A1), merged ranges and format, once the format's guard has
    checked that reading them stays within the limits (calamine allocates whole blocks)."""
    kind = sniff(data)
    try:
        facts = {"xlsx": inspect, "xls": inspect_xls, "ods": inspect_ods}[kind](data)
    except UnsafeWorkbook as exc:
        raise _refuse(str(exc)) from exc
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = wb.get_sheet_by_index(0)
        raw = sheet.to_python(skip_empty_area=False)
        # calamine reports no merged cells for ods: the guard collected them
        merged = getattr(facts, "merged_ranges", None) if kind == "ods" else sheet.merged_cell_ranges
    except BaseException as exc:  # noqa: BLE001 - calamine raises several error types, and a Rust panic arrives as BaseException
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit, MemoryError)):
            raise
        raise _refuse(f"无法读取文件（文件可能已损坏）；{SAVE_AS}") from exc
    return raw, list(merged or []), facts, kind


def _is_text(data: bytes) -> bool:
    """No workbook signature and text in UTF-8 or GB18030 (what `sniff` calls a CSV file)."""
    if data.startswith((XLSX_MAGIC, OLE_MAGIC)) or not data or b"\0" in data[:4096]:
        return False
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<", b"%pdf")):
        return False
    return _decode_csv(data[:4096], probe=True) is not None


def _decode_csv(data: bytes, *, probe: bool = False) -> str | None:
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError as exc:
            if probe and enc == "utf-8-sig" and exc.start >= len(data) - 3:
                return ""  # a multi-byte character cut by the probe's end
    return None


MAX_CSV_BYTES = 20 * 1024 * 1024  # decoded whole: a plan or ledger that big belongs in an .xlsx


def read_csv_grid(data: bytes) -> list[list[Any]]:
    """A CSV file (UTF-8 or GB18030, as Excel and WPS save it) as a sheet's cells, within the
    same cell and column limits as a workbook (csv's own field limit bounds one cell)."""
    if len(data) > MAX_CSV_BYTES:
        raise _refuse(f"CSV 文件过大（上限 {MAX_CSV_BYTES // 1048576} MB）；{SAVE_AS}")
    text_ = _decode_csv(data)
    if text_ is None:
        raise _refuse("无法识别文本文件的编码；请用 UTF-8 或 GB18030 保存的 CSV，或 Excel 表格")
    limits = current_limits()
    rows: list[list[Any]] = []
    cells = 0
    try:
        for row in csv.reader(io.StringIO(text_, newline="")):
            if len(row) > limits.max_columns:
                raise _refuse(f"第{len(rows) + 1}行超过 {limits.max_columns} 列，无法安全读取")
            cells += max(len(row), 1)
            if cells > limits.max_cells:
                raise _refuse(f"表格超过 {limits.max_cells:,} 个单元格，无法安全读取；请分成几个文件导入")
            rows.append([c if c.strip() else None for c in row])
    except csv.Error as exc:
        raise _refuse(f"CSV 格式有误（第{len(rows) + 1}行）；{SAVE_AS}") from exc
    return rows


def read_table(
    source: Source,
    layout: Sequence[Column],
    *,
    max_bytes: int | None = None,
    allow_formulas: bool = False,
    allow_csv: bool = False,
    keep_sections: bool = False,
) -> Table:
    """Open the first sheet, find the header that names `layout`'s columns, and return the
    data rows (merged cells filled in) and the rows skipped (title, 填报, notes…) with why.

    Refuses (ImportRejected) a file that is no workbook, an over-limit file, a missing
    required column, a duplicate header and (unless allowed) formula cells. `allow_csv`:
    a CSV file is read as a sheet without merged cells (otherwise refused as not a workbook).
    `keep_sections`: section rows ("一、党风廉政方面") come back as data rows (sheet_layout.locate).
    """
    data = _read_bytes(source, max_bytes)
    if allow_csv and _is_text(data):
        raw, merged, facts, kind = read_csv_grid(data), [], SheetFacts(), "csv"
    else:
        raw, merged, facts, kind = _read_first_sheet(data)
    if not any(any(c not in (None, "") for c in r) for r in raw):
        raise _refuse("工作表是空的")
    width = max((len(r) for r in raw), default=0)
    try:
        found = locate(raw, merged, layout, width=width, budget=max(current_limits().max_cells, width * len(raw)),
                       keep_sections=keep_sections)
    except TooManyMerges as exc:
        raise _refuse("合并单元格相互重叠，无法读取；请取消合并后再导入") from exc
    required = [c.name for c in layout if c.required]
    if found is None:
        raise _refuse(
            f"在前 {HEADER_SEARCH_ROWS} 行中找不到表头：表头应包含 {'、'.join(required)}"
            f"（也可用同义的列名，见使用说明）"
        )
    head = found.found
    header_row = head.last + 1
    errors: list[CellError] = []
    header = _qualified(head.names, head.groups)
    while header and not header[-1]:
        header.pop()
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name and name in seen:
            errors.append(CellError(header_row, name, f"表头重复（{col_letter(seen[name])}列和{col_letter(i)}列）"))
        seen.setdefault(name, i)
    for col in layout:
        if col.required and col.name not in head.columns:
            also = f"（或：{'、'.join(col.aliases)}）" if col.aliases else ""
            errors.append(CellError(header_row, col.name, f"缺少必需的列“{col.name}”{also}；表头应包含：{'、'.join(required)}"))
    if facts.formulas and not allow_formulas:
        errors.append(CellError(0, "", f"文件含有公式（{'、'.join(facts.formulas)}），请粘贴为数值后再导入"))
    if errors:
        raise ImportRejected(errors)
    columns = {name: idx for name, idx in head.columns.items() if idx < len(header)}
    known = set(columns.values())
    extras = [name for i, name in enumerate(header) if name and i not in known]
    width = len(header)
    rows = [(n, cells[:width]) for n, cells in found.rows]
    return Table(header=header, columns=columns, extras=extras, rows=rows, skipped=found.skipped, format=kind)


def _qualified(names: list[str], groups: list[str]) -> list[str]:
    """Leaf names, with the group in front where two groups share a leaf ("整改情况/备注")."""
    counts: dict[str, int] = {}
    for n in names:
        if n:
            counts[n] = counts.get(n, 0) + 1
    return [f"{g}/{n}" if n and g and counts[n] > 1 else n for n, g in zip(names, groups, strict=True)]


def _blank(cells: list[Any]) -> bool:
    """True when no cell holds anything; stops at the first filled cell (usually the first)."""
    for c in cells:
        if c is None:
            continue
        if c.__class__ is not str or (c and not c.isspace()):
            return False
    return True


def require(table: Table, cells: list[Any], rownum: int, name: str, errors: list[CellError]) -> Any:
    """The cell's value, or an error "必填" recorded for that row and column."""
    value = table.get(cells, name)
    if value is None:
        errors.append(CellError(rownum, name, "不能为空"))
    return value


def text(value: Any) -> str:
    """A cell as text: integers without ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value).strip()


CELL_MAX_CHARS = 32_767  # Excel's limit for one cell
TRUNCATED_MARK = "…（全文见系统）"


def fit_cell(value: Any) -> Any:
    """A value Excel can hold: text beyond the cell limit is cut, with a visible mark."""
    if isinstance(value, str) and len(value) > CELL_MAX_CHARS:
        return value[: CELL_MAX_CHARS - len(TRUNCATED_MARK)] + TRUNCATED_MARK
    return value


SHEET_MAX_DATA_ROWS = 1_048_575  # Excel holds 1,048,576 rows per sheet; one is the header


class ExportTooLarge(Exception):
    """More rows than one Excel sheet holds: refused rather than cut off silently."""

    def __init__(self, rows: int | None = None):
        self.rows = rows
        counted = f"共 {rows:,} 行，" if rows else ""
        super().__init__(
            f"{counted}超过 Excel 单个工作表的上限（{SHEET_MAX_DATA_ROWS:,} 行），没有导出；"
            "请按单位、聚焦领域或状态筛选后分批导出"
        )


def check_export_size(rows: int) -> None:
    """Refuse before writing anything when `rows` will not fit in one sheet."""
    if rows > SHEET_MAX_DATA_ROWS:
        raise ExportTooLarge(rows)


def write_table(target: str | Path | IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1") -> int:
    """Stream rows into an xlsx file in constant memory; returns the number of data rows.

    Past one sheet's capacity it raises ExportTooLarge (a file target is removed): callers that
    know the count refuse earlier with `check_export_size`.

    XlsxWriter's write_row stops at the first cell it cannot write (text over 32,767
    characters returns -2) and leaves the rest of the row empty; such a row is written
    again with the long text cut (`fit_cell`), so every cell is there."""
    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False, "default_date_format": "yyyy-mm-dd", "in_memory": False})
    ws = wb.add_worksheet(sheet)
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, [fit_cell(h) for h in header], bold)
    ws.freeze_panes(1, 0)
    n = 0
    for n, row in enumerate(rows, start=1):
        if n > SHEET_MAX_DATA_ROWS:
            wb.close()
            if isinstance(target, (str, Path)):
                Path(target).unlink(missing_ok=True)
            raise ExportTooLarge()
        if ws.write_row(n, 0, row):
            ws.write_row(n, 0, [fit_cell(v) for v in row])
    wb.close()
    return n


def write_errors(target: str | Path | IO[bytes], errors: Sequence[CellError]) -> None:
    """The downloadable error report: one row per error."""
    write_table(target, ["行", "列", "错误"], ((e.row or "", e.column, e.message) for e in errors), sheet="错误")


def iter_chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]
