"""Reading and writing Excel ledgers: header matching, cell errors, formula and type checks.

Reading uses python-calamine (fast, Rust); writing uses XlsxWriter in constant-memory
mode so a 270,000-row export streams. Every importer builds on `read_table` and raises
`ImportRejected` with row/column messages, so a bad file writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import python_calamine
import xlsxwriter

from duban.core.xlsx_guard import SheetFacts, UnsafeWorkbook, inspect

XLSX_MAGIC = b"PK\x03\x04"
Source = str | Path | bytes | IO[bytes]


@dataclass(frozen=True)
class Column:
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


def _read_first_sheet(data: bytes) -> tuple[list[list[Any]], list, SheetFacts]:
    """The first sheet's cells (from A1) and merged ranges, once `xlsx_guard` has checked
    that reading them stays within the limits (calamine allocates the sheet's whole block)."""
    if not data.startswith(XLSX_MAGIC):
        raise ImportRejected([CellError(0, "", "不是有效的 xlsx 文件（文件内容不是 Excel 工作簿）")])
    try:
        facts = inspect(data)
    except UnsafeWorkbook as exc:
        raise ImportRejected([CellError(0, "", str(exc))]) from exc
    try:
        wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = wb.get_sheet_by_index(0)
        raw = sheet.to_python(skip_empty_area=False)
        merged = sheet.merged_cell_ranges or []
    except Exception as exc:  # calamine raises several error types for broken files
        raise ImportRejected([CellError(0, "", f"无法读取 Excel 文件：{exc}")]) from exc
    return raw, merged, facts


def read_table(
    source: Source,
    layout: Sequence[Column],
    *,
    max_bytes: int | None = None,
    allow_formulas: bool = False,
) -> Table:
    """Open the first sheet, match the header to `layout`, and return the data rows.

    Refuses (ImportRejected) a non-xlsx file, an over-limit file, a missing required
    column, duplicate or merged header cells and (unless allowed) formula cells.
    """
    data = _read_bytes(source, max_bytes)
    raw, merged, facts = _read_first_sheet(data)

    header_idx = next((i for i, r in enumerate(raw) if any(str(c).strip() for c in r if c is not None)), None)
    if header_idx is None:
        raise ImportRejected([CellError(0, "", "工作表是空的")])
    errors: list[CellError] = []
    for (r0, c0), (r1, c1) in merged:
        if r0 <= header_idx <= r1:
            errors.append(CellError(header_idx + 1, "", f"表头有合并单元格 {col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}，请取消合并，每列一个表头"))
    header = [str(c).strip() if c is not None else "" for c in raw[header_idx]]
    while header and not header[-1]:
        header.pop()
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if name and name in seen:
            errors.append(CellError(header_idx + 1, name, f"表头重复（{col_letter(seen[name])}列和{col_letter(i)}列）"))
        seen.setdefault(name, i)
    columns: dict[str, int] = {}
    for col in layout:
        for candidate in (col.name, *col.aliases):
            if candidate in seen:
                columns[col.name] = seen[candidate]
                break
        else:
            if col.required:
                errors.append(CellError(header_idx + 1, col.name, f"缺少必需的列“{col.name}”；表头应包含：{'、'.join(c.name for c in layout if c.required)}"))
    if not allow_formulas:
        cells = facts.formulas
        if cells:
            errors.append(CellError(0, "", f"文件含有公式（{'、'.join(cells)}），请粘贴为数值后再导入"))
    if errors:
        raise ImportRejected(errors)
    known = set(columns.values())
    extras = [name for i, name in enumerate(header) if name and i not in known]
    table = Table(header=header, columns=columns, extras=extras)
    width = len(header)
    for i in range(header_idx + 1, len(raw)):
        cells = raw[i][:width]
        if _blank(cells):
            continue
        table.rows.append((i + 1, cells))
    return table


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


def write_table(target: str | Path | IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]], *, sheet: str = "Sheet1") -> int:
    """Stream rows into an xlsx file in constant memory; returns the number of data rows.

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
