"""A round's summary as an xlsx workbook: who reported and who did not, every submitted
line, and the progress that moved since the last round — one sheet each, streamed by
XlsxWriter in constant memory (a city round has 11,160 units)."""

from __future__ import annotations

from typing import IO

import xlsxwriter
from django.utils import timezone

from duban.core.xlsx import fit_cell
from duban.rounds import queries
from duban.rounds.models import ChaseLevel, LineKind, Round


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _sheet(wb, name: str, header: list[str], rows, bold) -> None:
    ws = wb.add_worksheet(name)
    ws.write_row(0, 0, header, bold)
    ws.freeze_panes(1, 0)
    for n, row in enumerate(rows, start=1):
        if ws.write_row(n, 0, row):  # a cell over Excel's limit: write the row again with it cut
            ws.write_row(n, 0, [fit_cell(v) for v in row])


def summary_xlsx(target: IO[bytes], rnd: Round) -> None:
    """Write the round's summary workbook to `target`."""
    levels = {k: str(v) for k, v in ChaseLevel.choices}
    kinds = {k: str(v) for k, v in LineKind.choices}
    subs, lines = queries.summary_rows(rnd)
    s = queries.summary(rnd)
    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                      "strings_to_urls": False, "in_memory": False})
    bold = wb.add_format({"bold": True})
    _sheet(wb, "报送情况", ["单位", "状态", "报送情况", "报送时间", "催报层级", "退回理由"],
           ((sub.unit.name, sub.get_status_display(), sub.get_punctuality_display(), _when(sub.submitted_at),
             levels.get(sub.chase_level, ""), sub.return_reason) for sub in subs.iterator(chunk_size=2000)), bold)
    _sheet(wb, "报送内容", ["单位", "类别", "事项", "进度（%）", "本期工作", "本期完成投资（万元）", "存在问题", "下步计划", "无新进展"],
           ((ln.submission.unit.name, kinds.get(ln.kind, ln.kind), ln.title, ln.progress, ln.done,
             float(ln.invested_wan) if ln.invested_wan is not None else None, ln.problems, ln.next_steps, "是" if ln.unchanged else "")
            for ln in lines.iterator(chunk_size=2000)), bold)
    _sheet(wb, "进度变化", ["单位", "类别", "事项", "上期进度（%）", "本期进度（%）"],
           ((m["unit"], kinds.get(m["kind"], m["kind"]), m["title"], m["from"], m["to"]) for m in s["moved"]), bold)
    st = s["status"]
    _sheet(wb, "汇总", ["项目", "数值"], [
        ["调度", rnd.name], ["截止时间", _when(rnd.due_at)], ["补报截止", _when(rnd.lock_at)], ["应报单位", st["expected"]],
        ["已报单位", st["submitted"]], ["按时", st["on_time"]], ["迟报", st["late"]], ["未报", len(st["missing"])],
        ["本期完成投资（万元）", s["invested_wan"]], ["进度变化事项", s["moved_count"]], ["新增堵点", len(s["blockers"])],
        ["新逾期问题", s["newly_overdue"]], ["催报次数", len(s["chases"])],
    ], bold)
    wb.close()
