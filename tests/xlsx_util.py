"""Build small xlsx files for import tests."""

from __future__ import annotations

from pathlib import Path

import xlsxwriter


def make_xlsx(path: Path, header: list, rows: list[list], *, merge_header: str | None = None, formula_at: tuple[int, int] | None = None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    if merge_header:
        ws.merge_range(merge_header, header[0])
        for i, h in enumerate(header[1:], start=2):
            ws.write(0, i, h)
    else:
        ws.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        ws.write_row(r, 0, row)
    if formula_at:
        ws.write_formula(formula_at[0], formula_at[1], "=1+1", None, 2)
    wb.close()
    return path
