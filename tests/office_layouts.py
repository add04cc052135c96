"""Sheets laid out the way offices lay them out, written as .xlsx (XlsxWriter), .xls (xlwt)
and .ods (content.xml by hand): the same rows and merged ranges in each format.

The layouts are modelled on the templates attached to public notices (问题整改台账,
任务分工表, 意见建议收集表): a merged title, a 填报单位/填报时间 line, a header of one or
two levels, merged cells over grouped rows, blank spacer rows and a trailing note.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import xlsxwriter


@dataclass
class Sheet:
    rows: list[list[Any]]
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # (first row, first col, last row, last col), 0-based

    def covered(self) -> set[tuple[int, int]]:
        out = set()
        for r0, c0, r1, c1 in self.merges:
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        out.add((r, c))
        return out


def write_xlsx(sheet: Sheet, path: Path | None = None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("台账")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    covered = sheet.covered()
    starts = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in sheet.merges}
    for r, row in enumerate(sheet.rows):
        for c, v in enumerate(row):
            if (r, c) in covered:
                continue
            fmt = date if isinstance(v, dt.date) else None
            if (r, c) in starts:
                r1, c1 = starts[(r, c)]
                ws.merge_range(r, c, r1, c1, "", fmt)
                if isinstance(v, dt.date):
                    ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), fmt)
                elif v not in (None, ""):
                    ws.write(r, c, v, fmt)
            elif isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), date)
            elif v not in (None, ""):
                ws.write(r, c, v)
    wb.close()
    data = buf.getvalue()
    if path:
        path.write_bytes(data)
    return data


def write_xls(sheet: Sheet, path: Path | None = None) -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("台账")
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    covered = sheet.covered()
    starts = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in sheet.merges}
    for r, row in enumerate(sheet.rows):
        for c, v in enumerate(row):
            if (r, c) in covered:
                continue
            style = date if isinstance(v, dt.date) else xlwt.Style.default_style
            value = "" if v is None else v
            if (r, c) in starts:
                r1, c1 = starts[(r, c)]
                ws.write_merge(r, r1, c, c1, value, style)
            elif value != "":
                ws.write(r, c, value, style)
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path:
        path.write_bytes(data)
    return data


ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)


def ods_cell(v: Any, extra: str = "") -> str:
    if v is None or v == "":
        return f"<table:table-cell{extra}/>"
    if isinstance(v, bool):
        return f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(v).lower()}"{extra}/>'
    if isinstance(v, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{v}"{extra}><text:p>{v}</text:p></table:table-cell>'
    if isinstance(v, dt.date):
        return f'<table:table-cell office:value-type="date" office:date-value="{v.isoformat()}"{extra}><text:p>{v}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"{extra}><text:p>{escape(str(v))}</text:p></table:table-cell>'


def ods_package(table_xml: str, path: Path | None = None) -> bytes:
    content = f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}><office:body><office:spreadsheet>{table_xml}</office:spreadsheet></office:body></office:document-content>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", MANIFEST)
        zf.writestr("content.xml", content)
    data = buf.getvalue()
    if path:
        path.write_bytes(data)
    return data


def write_ods(sheet: Sheet, path: Path | None = None) -> bytes:
    covered = sheet.covered()
    starts = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in sheet.merges}
    width = max(len(r) for r in sheet.rows)
    rows = []
    for r, row in enumerate(sheet.rows):
        cells = []
        for c in range(width):
            v = row[c] if c < len(row) else None
            if (r, c) in covered:
                cells.append("<table:covered-table-cell/>")
            elif (r, c) in starts:
                r1, c1 = starts[(r, c)]
                span = f' table:number-rows-spanned="{r1 - r + 1}" table:number-columns-spanned="{c1 - c + 1}"'
                cells.append(ods_cell(v, span))
            else:
                cells.append(ods_cell(v))
        rows.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
    return ods_package('<table:table table:name="台账">' + "".join(rows) + "</table:table>", path)


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "ods": write_ods}


# ------------------------------------------------------------------------------ layouts

LEDGER_COLS = 12  # A–L


def office_ledger() -> Sheet:
    """A 问题整改台账 as a city office sends it: merged title, 填报 line, two-level header
    (整改情况 over 整改措施 / 整改时限 / 整改进展), 聚焦领域 merged over grouped rows, a blank
    spacer row, office synonyms (问题清单, 责任领导, 完成时限, 整改举措) and a trailing note."""
    t = "临汾市“我为群众办实事”问题整改台账"
    rows: list[list[Any]] = [
        [t] + [None] * 11,
        ["填报单位：平安镇人民政府（盖章）", None, None, None, None, None, None, None, "填报时间：2022年3月1日", None, None, None],
        ["序号", "领域", "问题清单", "问题来源", "责任单位", "责任领导", "整改情况", None, None, "整改状态", "完成时间", "备注"],
        [None, None, None, None, None, None, "整改举措", "完成时限", "整改进展", None, None, None],
        [1, "破解民生难题", "冬季供暖温度不达标", "意见征集", "一村", "王五", "更换管网", dt.date(2022, 3, 31), "已开工", "整改中", None, "重点"],
        [2, None, "老旧小区改造慢", "意见征集", "平安镇/二村", "李四", "纳入计划", dt.date(2022, 5, 1), "", "未整改", None, None],
        [None] * 12,
        [3, "优化营商环境", "审批环节多", "自查", "区财政局", "赵六", "精简流程", dt.date(2022, 3, 31), "已完成", "已完成", dt.date(2022, 3, 20), None],
        ["注：1. 整改状态填写未整改、整改中、已完成；2. 完成时间填写实际销号日期。"] + [None] * 11,
        ["填报人：张三", None, None, "审核人：李四", None, None, "联系电话：0357-1234567", None, None, None, None, None],
    ]
    merges = [
        (0, 0, 0, 11),  # title
        (1, 0, 1, 7),  # 填报单位
        (1, 8, 1, 11),  # 填报时间
        *[(2, c, 3, c) for c in (0, 1, 2, 3, 4, 5, 9, 10, 11)],  # one-level columns span both header rows
        (2, 6, 2, 8),  # 整改情况 over three sub-columns
        (4, 1, 5, 1),  # one 领域 for two problems
        (8, 0, 8, 11),  # the note
    ]
    return Sheet(rows, merges)


def office_units() -> Sheet:
    """A 单位 list with a title, a column-number row and a section row per town."""
    rows = [
        ["平安镇村（社区）名单", None, None, None],
        ["单位全称", "所属上级", "类型", "统一社会信用代码"],
        [1, 2, 3, 4],
        ["一、平安镇", None, None, None],
        ["六村", "平安镇", "村", None],
        ["七村", "平安镇", "村", None],
        ["合计", "2个", None, None],
    ]
    return Sheet(rows, [(0, 0, 0, 3), (3, 0, 3, 3)])


def office_suggestions() -> Sheet:
    """A 意见建议收集表 from a symposium, with the 收集单位 line and a signature."""
    rows = [
        ["“我为群众办实事”意见建议收集表", None, None, None, None, None],
        ["收集单位：平安镇", None, None, "收集日期：2022年3月1日", None, None],
        ["序号", "意见标题", "具体内容", "收集渠道", "反映时间", "反映人"],
        [1, "路灯不亮", "村口路灯坏了三个月", "座谈会", dt.date(2022, 2, 20), "王大爷"],
        [2, "垃圾清运", "垃圾清运不及时", "意见箱", dt.date(2022, 2, 21), None],
        [None] * 6,
        ["说明：本表由各村汇总后报镇推进办。", None, None, None, None, None],
    ]
    return Sheet(rows, [(0, 0, 0, 5), (6, 0, 6, 5)])
