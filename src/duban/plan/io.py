"""`duban import tasks` / `duban export tasks`: the 任务分工表 layout of DESIGN §5.

序号, 方面, 重点任务, 具体措施, 牵头单位, 责任单位 (several, split on 、，, and ","), 完成时限,
进展情况 — and, when present, 分管领导, 计划开始, 工期（工作日）, 汇报频次, 进度. Other columns are
kept in `PlanItem.extra` and written back. An export adds 状态 and 灯色, which an import reads
past (the workflow and the lights decide them, not a file).

A 任务分工表 is flat: each row is one item, and its 方面 / 重点任务 / 具体措施 cells say where it
sits in the three levels. A row with only a 方面 (or a section row "一、优化营商环境", merged
across) is the aspect itself; a row with a 重点任务 and no 具体措施 is the task; a row with a
具体措施 is a measure under its task. A blank 方面 or 重点任务 cell means "the same as the row
above" (offices merge those cells; read_table fills a merge, and a merge lost on the way
arrives blank). An aspect or task that only appears as the heading of other rows is created
with the campaign's unit (the office) as its lead.

All or nothing, like the ledger's import: the whole file is checked, any error refuses it
with (row, column, message) and nothing is written. Items already in the plan are matched
by 序号, else by their path of titles (方面 / 重点任务 / 具体措施); a file that matches existing
items is a re-import, returned as a preview of the changed cells, written only when applied.
A column the file does not have changes nothing.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet

from duban.audit.services import user_action
from duban.campaigns.models import Campaign
from duban.core.dates import DateParseError, parse_date
from duban.core.xlsx import (
    CellError,
    Column,
    ImportRejected,
    SkippedRow,
    Source,
    check_export_size,
    describe_skipped,
    read_table,
    text,
    write_table,
)
from duban.orgs import permissions
from duban.orgs.matching import UnitMatcher
from duban.orgs.models import Assignment, OrgUnit, OwnerRole
from duban.orgs.scoping import assignment_type
from duban.plan import services
from duban.plan.models import Frequency, Level, Light, PlanItem, Status

TITLE_COLUMNS = ("方面", "重点任务", "具体措施")
LAYOUT = [
    Column("序号", aliases=("编号", "序列")),
    Column("方面", aliases=("工作方面", "主要方面", "任务方面", "领域", "聚焦领域", "类别", "板块")),
    Column("重点任务", aliases=("主要任务", "重点工作", "工作任务", "任务", "任务名称", "督办事项", "工作事项", "事项")),
    Column("具体措施", aliases=("措施", "工作措施", "主要措施", "具体举措", "工作举措", "推进措施", "具体工作")),
    Column("牵头单位", required=True, aliases=("牵头部门", "主责单位", "牵头责任单位")),
    Column("责任单位", aliases=("配合单位", "协办单位", "参与单位", "责任部门", "配合部门", "协同单位")),
    Column("完成时限", aliases=("时限", "完成时间", "时限要求", "办结时限", "截止时间", "时间节点")),
    Column("进展情况", aliases=("进展", "推进情况", "完成情况", "工作进展", "落实情况")),
    Column("分管领导", aliases=("责任领导", "牵头领导", "包保领导", "分管区领导", "分管县领导")),
    Column("计划开始", aliases=("开始时间", "计划开始时间", "开工时间")),
    Column("工期（工作日）", aliases=("工期", "工作日")),
    Column("汇报频次", aliases=("报送频次", "调度频次", "汇报周期")),
    Column("进度", aliases=("完成进度", "进度（%）", "完成比例", "完成百分比")),
    Column("状态", aliases=("办理状态",)),
    Column("灯色", aliases=("红黄绿灯",)),
]
HEADER = [c.name for c in LAYOUT]
EXPORT_ONLY = ("状态", "灯色")  # written by an export, never read back
SPLIT = re.compile(r"[、，,；;\n]+")
# "一、", "二.", "3、", "（一）", "第一部分" before a 方面 or 重点任务 title (not "1.": "1.5万吨…" is a title)
SECTION_NUMBER = re.compile(r"^\s*([一二三四五六七八九十百]+\s*[、.．]|\d+\s*[、．]|[（(][一二三四五六七八九十百\d]+[)）]|第[一二三四五六七八九十百]+(?:部分|方面))\s*")
NO_DATE = {"长期", "长期坚持", "持续推进", "常态化", "常态化推进", "长期推进", "持续", "每年", "按期", "—", "-", "/", "无"}
DATE_TAIL = re.compile(r"(?:以前|之前|前|止|底前)$")
FREQUENCY_WORDS = {str(label): value for value, label in Frequency.choices}
FREQUENCY_WORDS.update({
    "周": Frequency.WEEKLY, "每周一次": Frequency.WEEKLY, "周报": Frequency.WEEKLY, "一周一报": Frequency.WEEKLY,
    "旬": Frequency.XUN, "旬报": Frequency.XUN, "一旬一报": Frequency.XUN,
    "月": Frequency.MONTHLY, "每月一次": Frequency.MONTHLY, "月报": Frequency.MONTHLY, "一月一报": Frequency.MONTHLY,
    "节点": Frequency.MILESTONE, "按节点报送": Frequency.MILESTONE, "按时间节点": Frequency.MILESTONE,
})
FREQUENCY_LABEL = {value: str(label) for value, label in Frequency.choices}
DEFAULT_ASPECT = "未分方面"
MAX_ERRORS = 2000
SEQ_MAX = PlanItem._meta.get_field("seq").max_length
TITLE_MAX = services.MAX_TITLE
# The cells a re-import compares, in file order: (column, field).
COMPARED = [
    ("牵头单位", "lead_unit_id"), ("责任单位", "co_unit_ids"), ("完成时限", "deadline"), ("进展情况", "progress_note"),
    ("分管领导", "leader_name"), ("计划开始", "start_date"), ("工期（工作日）", "duration_days"), ("汇报频次", "frequency"),
    ("进度", "progress"),
]


@dataclass
class Node:
    """One item the file names: a row's own item (`row` set) or a heading above rows."""

    path: tuple[str, ...]
    row: int = 0  # the file's row number; 0 for a heading no row of its own describes
    first_row: int = 0  # where the file first names it (its place among its siblings)
    seq: str = ""
    values: dict[str, Any] = field(default_factory=dict)  # field → value, for the columns present
    extra: dict[str, Any] = field(default_factory=dict)
    has_children: bool = False
    item_id: int | None = None  # the plan's item it matches
    key: int = 0  # the import's number for a new item
    column: str = "重点任务"  # the title's column in the file

    @property
    def level(self) -> int:
        return len(self.path)


@dataclass
class RowChange:
    row: int
    item_id: int
    seq: str
    title: str
    cells: dict[str, tuple[Any, Any]]  # column → (before, after) as people read them


@dataclass
class ImportPlan:
    campaign: Campaign
    rows: int
    new: list[services.ImportedItem] = field(default_factory=list)
    new_rows: list[tuple[int, Level, str]] = field(default_factory=list)  # (row, level, title) for the preview
    changes: list[RowChange] = field(default_factory=list)
    updates: list[services.ItemChange] = field(default_factory=list)
    unchanged: int = 0
    applied: bool = False
    sha256: str = ""
    skipped: list[SkippedRow] = field(default_factory=list)

    @property
    def created(self) -> int:
        return len(self.new) if self.applied else 0

    @property
    def updated(self) -> int:
        return len(self.changes) if self.applied else 0

    def summary(self) -> str:
        skipped = f"；{describe_skipped(self.skipped)}" if self.skipped else ""
        if self.applied:
            return f"导入完成：新建 {len(self.new)} 项，更新 {len(self.changes)} 项，未变 {self.unchanged} 项（共 {self.rows} 行）{skipped}"
        return (f"预览（未写入）：将新建 {len(self.new)} 项，更新 {len(self.changes)} 项"
                f"（{sum(len(c.cells) for c in self.changes)} 个单元格），未变 {self.unchanged} 项{skipped}；加 --apply 执行")


class _Bad:
    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


def _txt(value: Any) -> str:
    return value.strip() if value.__class__ is str else text(value)


def _unnumbered(title: str | None) -> str | None:
    if title is None:
        return None
    num = SECTION_NUMBER.match(title)
    return (title[num.end():].strip() or title) if num else title


def _date(value: Any) -> dt.date | None | _Bad:
    """A 完成时限 / 计划开始 cell: the forms core.dates reads, plus "2022年6月底前", and
    "长期坚持" for no date at all."""
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        if s in NO_DATE:
            return None
        value = DATE_TAIL.sub("", s) or s
    try:
        d = parse_date(value)
    except DateParseError as exc:
        return _Bad(str(exc))
    if d is not None and not dt.date(2000, 1, 1) <= d <= dt.date(2100, 12, 31):
        return _Bad(f"日期超出范围：{d.isoformat()}")
    return d


def _percent(value: Any) -> int | _Bad:
    """进度: 60, "60%", "60％", or a percent-formatted cell (0.6)."""
    v: Any = value
    if isinstance(v, str):
        v = v.strip().rstrip("%％").strip()
        try:
            v = float(v)
        except ValueError:
            return _Bad(f"进度应为 0 到 100 的数，而不是“{value}”")
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _Bad(f"进度应为 0 到 100 的数，而不是“{text(value)}”")
    if isinstance(v, float) and 0 < v < 1 and not isinstance(value, str):
        v = v * 100
    if not 0 <= v <= 100:
        return _Bad(f"进度应在 0 到 100 之间，而不是“{text(value)}”")
    return round(v)


def _days(value: Any) -> int | _Bad:
    v: Any = value
    if isinstance(v, str):
        v = v.strip().removesuffix("个工作日").removesuffix("工作日").removesuffix("天").strip()
    try:
        n = int(float(v)) if not isinstance(v, bool) else None
    except (TypeError, ValueError):
        n = None
    if n is None or float(v) != n or not 1 <= n <= 2000:
        return _Bad(f"工期应为 1 到 2000 的整数（工作日），而不是“{text(value)}”")
    return n


def resolve_campaign(campaign_id: int | None) -> Campaign:
    qs = Campaign.objects.select_related("unit")
    c = qs.filter(pk=campaign_id).first() if campaign_id else qs.filter(is_active=True).order_by("-start_date", "-id").first()
    if c is None:
        raise ImportRejected([CellError(0, "", "找不到活动：请先建立活动，或用 --campaign 指定活动编号")])
    return c


def _read(source: Source, limit: int) -> bytes:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise ImportRejected([CellError(0, "", f"找不到文件 {path}")])
        if path.stat().st_size > limit:
            raise ImportRejected([CellError(0, "", f"文件过大（{path.stat().st_size / 1048576:.1f} MB），上限 {limit // 1048576} MB")])
        return path.read_bytes()
    if isinstance(source, bytes):
        return source
    return source.read(limit + 1)


@contextmanager
def _no_gc():
    """The cyclic garbage collector paused while a file's rows are read and written: they
    make tens of thousands of short lists and tuples (no cycles), and the collections they
    set off scan the whole process — half the time of a 5,000-item import. Memory stays
    bounded by the file (reference counting still frees everything)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def plan_import(*, source: Source, campaign: Campaign, actor, max_bytes: int | None = None, skip_checks: bool = False) -> ImportPlan:
    """Read and check the whole file; return what applying it would do. Writes nothing.

    Only the campaign's office builds its plan (services.may_plan); the system (the CLI)
    passes `skip_checks=True`. Errors are reported in row order, each row's in column order,
    the first MAX_ERRORS of them."""
    with _no_gc():
        return _plan_import(source=source, campaign=campaign, actor=actor, max_bytes=max_bytes, skip_checks=skip_checks)


def _plan_import(*, source: Source, campaign: Campaign, actor, max_bytes: int | None = None, skip_checks: bool = False) -> ImportPlan:
    if permissions.checked(actor, skip_checks) and not services.may_plan(actor, campaign):
        raise PermissionDenied("只有本活动的推进办可以导入任务分工表")
    limit = max_bytes or settings.DUBAN_MAX_IMPORT_BYTES
    data = _read(source, limit)
    table = read_table(data, LAYOUT, max_bytes=limit, allow_csv=True, keep_sections=True)
    plan = ImportPlan(campaign=campaign, rows=len(table.rows), sha256=hashlib.sha256(data or b"").hexdigest(), skipped=table.skipped)
    errors: list[tuple[int, int, CellError]] = []
    order = {name: i for i, name in enumerate(HEADER)}

    def err(row: int, col: str, msg: str) -> None:
        if len(errors) < MAX_ERRORS * 4:
            errors.append((row, order.get(col, len(order)), CellError(row, col, msg)))

    if not any(c in table.columns for c in TITLE_COLUMNS):
        raise ImportRejected([CellError(0, "重点任务", "缺少列“重点任务”（或“方面”“具体措施”）：每行须说明是哪一项任务或措施")])
    present = set(table.columns)
    scope_units = OrgUnit.objects.filter(path__startswith=campaign.unit.path)
    matcher = UnitMatcher(scope_units)
    unit_cache: dict[str, int | str] = {}

    def unit(name: str) -> int | str:
        hit = unit_cache.get(name)
        if hit is None:
            hit = unit_cache[name] = matcher.resolve(name)
            if isinstance(hit, str) and hit.startswith("未知单位") and OrgUnit.objects.filter(name=name).exists():
                hit = unit_cache[name] = f"“{name}”不在本活动（{campaign.unit.name}）的范围内"
        return hit

    nodes: dict[tuple[str, ...], Node] = {}
    seqs: dict[str, int] = {}
    prev: list[str | None] = [None, None]
    date_cache: dict[Any, Any] = {}

    def dated(raw: Any) -> Any:
        key = (raw.__class__, raw)
        if key not in date_cache:
            date_cache[key] = _date(raw)
        return date_cache[key]

    get = table.get
    titled = [c for c in TITLE_COLUMNS if c in present]
    for rownum, cells in table.rows:
        a, t, m = (get(cells, c) for c in TITLE_COLUMNS)
        a, t, m = (_txt(v) or None if v is not None else None for v in (a, t, m))
        seq_raw = get(cells, "序号")
        # "一、优化营商环境" and "优化营商环境" name the same aspect, "（一）压缩审批时限" the same task
        a, t = (_unnumbered(x) for x in (a, t))
        # A title merged across the title columns repeats in each: it names one item.
        if m is not None and m in (a, t):
            m = None
        if t is not None and t == a:
            t = None
        filled = {v for v in (_txt(c) for c in cells if c is not None) if v}
        own = [x for x in (a, t, m) if x]
        lone = next(iter(filled)) if len(filled) == 1 else ""
        across = len(titled) > 1 and all(_txt(get(cells, c) or "") == lone for c in titled)
        if lone and ((own and (a is not None or across)) or (not own and SECTION_NUMBER.match(lone))):
            # only a 方面, or a section row ("一、优化营商环境", merged across the table or
            # typed in its first cell): the aspect itself
            title = lone
            num = SECTION_NUMBER.match(title)
            seq_raw = num.group(1).strip("、.．()（） ") if num else None
            a, t, m = (title[num.end():].strip() if num else title) or title, None, None
            cells = []  # its other cells repeat the title (a merge): no unit, no date
        elif not own:
            err(rownum, titled[0], "没有填写" + "、".join(titled) + "：每行须是一个方面、一项重点任务或一条具体措施")
            continue
        if a is None:
            a = prev[0]
        if t is None and m is not None and a == prev[0]:
            t = prev[1]
        if a is None:
            a = DEFAULT_ASPECT
        named = [(c, x) for c, x in zip(TITLE_COLUMNS, (a, t, m), strict=True) if x]
        path = tuple(x for _, x in named)
        prev = [a, t]
        too_long = [(c, x) for c, x in named if len(x) > TITLE_MAX]
        for col, _x in too_long:
            err(rownum, col, f"超过 {TITLE_MAX} 字")
        if too_long:
            continue
        for depth in range(1, len(path)):
            head = nodes.get(path[:depth])
            if head is None:
                head = nodes[path[:depth]] = Node(path[:depth], first_row=rownum, column=named[depth - 1][0])
            head.has_children = True
        node = nodes.get(path)
        if node is not None and node.row:
            err(rownum, node.column, f"“{path[-1]}”与第{node.row}行重复（同一上级下的事项名称须不同）")
            continue
        if node is None:
            node = nodes[path] = Node(path, first_row=rownum, column=named[-1][0])
        node.row = rownum
        # 序号
        if seq_raw is not None:
            seq = _txt(seq_raw)
            if len(seq) > SEQ_MAX:
                err(rownum, "序号", f"序号“{seq}”超过 {SEQ_MAX} 个字符")
            elif seq in seqs:
                err(rownum, "序号", f"序号 {seq} 与第{seqs[seq]}行重复（序号须在全表唯一；分级编号可写成 1.1、1.2）")
            else:
                seqs[seq] = rownum
                node.seq = seq
        v = node.values
        # 牵头单位: a heading row may leave it blank (then the office leads it)
        lead = get(cells, "牵头单位")
        if lead is None:
            v["lead_unit_id"] = None
        else:
            r = unit(_txt(lead))
            if isinstance(r, str):
                err(rownum, "牵头单位", r)
            v["lead_unit_id"] = r
        if "责任单位" in present:
            co = get(cells, "责任单位")
            ids: list[int] = []
            for name in SPLIT.split(_txt(co)) if co is not None else ():
                name = name.strip()
                if not name:
                    continue
                r = unit(name)
                if isinstance(r, str):
                    err(rownum, "责任单位", r)
                elif r not in ids:
                    ids.append(r)
            if len(ids) > services.MAX_CO_UNITS:
                err(rownum, "责任单位", f"责任单位最多 {services.MAX_CO_UNITS} 个")
            v["co_unit_ids"] = ids
        for col, f in (("完成时限", "deadline"), ("计划开始", "start_date")):
            if col in present:
                d = dated(get(cells, col))
                if d.__class__ is _Bad:
                    err(rownum, col, d.message)
                    d = None
                v[f] = d
        if v.get("start_date") and v.get("deadline") and v["start_date"] > v["deadline"]:
            err(rownum, "完成时限", f"完成时限 {v['deadline'].isoformat()} 早于计划开始 {v['start_date'].isoformat()}")
        if "进展情况" in present:
            note = get(cells, "进展情况")
            v["progress_note"] = _txt(note) if note is not None else ""
            if len(v["progress_note"]) > services.MAX_TEXT:
                err(rownum, "进展情况", f"超过 {services.MAX_TEXT} 字")
        if "分管领导" in present:
            name = get(cells, "分管领导")
            v["leader_name"] = _txt(name) if name is not None else ""
            if len(v["leader_name"]) > 60:
                err(rownum, "分管领导", "超过 60 字")
        if "工期（工作日）" in present:
            raw = get(cells, "工期（工作日）")
            n = _days(raw) if raw is not None else None
            if n.__class__ is _Bad:
                err(rownum, "工期（工作日）", n.message)
                n = None
            v["duration_days"] = n
        if "汇报频次" in present:
            raw = get(cells, "汇报频次")
            if raw is None:
                v["frequency"] = Frequency.WEEKLY
            else:
                f_ = FREQUENCY_WORDS.get(_txt(raw).replace(" ", ""))
                if f_ is None:
                    err(rownum, "汇报频次", f"未知汇报频次“{_txt(raw)}”；可用：{'、'.join(FREQUENCY_LABEL.values())}")
                v["frequency"] = f_ or Frequency.WEEKLY
        if "进度" in present:
            raw = get(cells, "进度")
            p = _percent(raw) if raw is not None else 0
            if p.__class__ is _Bad:
                err(rownum, "进度", p.message)
                p = 0
            v["progress"] = p
        if table.extras:
            node.extra = table.extra_values(cells)
    # A row that names nothing of its own below (a leaf) needs its lead unit.
    for node in nodes.values():
        if node.row and not node.has_children and "lead_unit_id" in node.values and node.values["lead_unit_id"] is None:
            err(node.row, "牵头单位", "不能为空")
    if errors:
        errors.sort(key=lambda e: (e[0], e[1]))
        raise ImportRejected([e for _, _, e in errors[:MAX_ERRORS]])
    _match(plan, nodes, present, campaign, matcher)
    return plan


def _existing(campaign: Campaign) -> tuple[dict[int, dict[str, Any]], dict[tuple[str, ...], int], dict[str, int]]:
    """The plan's items (the fields a re-import compares), by id, by path of titles, by 序号."""
    fields = ("id", "parent_id", "level", "seq", "title", "lead_unit_id", "deadline", "progress_note", "leader_name", "start_date",
              "duration_days", "frequency", "progress", "progress_from_children", "extra")
    items = {r["id"]: r for r in PlanItem.objects.filter(campaign=campaign).values(*fields)}
    for r in items.values():
        r["co_unit_ids"] = []
    for object_id, unit_id in (Assignment.objects.filter(content_type=assignment_type(PlanItem), object_id__in=list(items), role=OwnerRole.CO)
                               .order_by("position", "id").values_list("object_id", "unit_id")) if items else ():
        if object_id in items:
            items[object_id]["co_unit_ids"].append(unit_id)

    def path(r: dict[str, Any]) -> tuple[str, ...]:
        out, cur, hops = [], r, 0
        while cur is not None and hops < 5:
            out.append(cur["title"])
            cur, hops = items.get(cur["parent_id"]), hops + 1
        return tuple(reversed(out))

    by_path = {}
    for r in items.values():
        by_path.setdefault(path(r), r["id"])
    by_seq = {r["seq"]: r["id"] for r in items.values() if r["seq"]}
    return items, by_path, by_seq


def _match(plan: ImportPlan, nodes: dict[tuple[str, ...], Node], present: set[str], campaign: Campaign, matcher: UnitMatcher) -> None:
    items, by_path, by_seq = _existing(campaign)
    errors: list[CellError] = []
    taken: dict[int, Node] = {}
    labels = _Labels(matcher)
    office = campaign.unit_id
    key = 0
    ordered = sorted(nodes.values(), key=lambda n: (n.level, n.first_row))
    for node in ordered:
        # by 序号, else by the path of titles (then a new 序号 in the file replaces the item's)
        hit = by_seq.get(node.seq) if node.seq else None
        if hit is None:
            hit = by_path.get(node.path)
        if hit is not None and hit in taken:
            other = taken[hit]
            errors.append(CellError(node.row or node.first_row, node.column if not node.seq else "序号",
                                    f"与第{other.row or other.first_row}行指向同一事项“{items[hit]['title']}”"))
            continue
        if hit is not None:
            taken[hit] = node
            node.item_id = hit
            if items[hit]["level"] != node.level:
                errors.append(CellError(node.row, "序号", f"序号 {node.seq} 在系统中是{Level(items[hit]['level']).label}"
                                        f"“{items[hit]['title']}”，文件中是{Level(node.level).label}；层级不能通过导入改变"))
        else:
            key += 1
            node.key = key
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.row)[:MAX_ERRORS])
    for node in ordered:
        parent = nodes.get(node.path[:-1]) if node.level > 1 else None
        v = node.values
        if node.item_id is None:
            lead = v.get("lead_unit_id") or office
            plan.new.append(services.ImportedItem(
                key=node.key, title=node.path[-1], lead_unit_id=lead,
                parent_id=parent.item_id if parent is not None and parent.item_id is not None else None,
                parent_key=parent.key if parent is not None and parent.item_id is None else None,
                seq=node.seq, co_unit_ids=v.get("co_unit_ids", ()), leader_name=v.get("leader_name", ""),
                start_date=v.get("start_date"), deadline=v.get("deadline"), duration_days=v.get("duration_days"),
                frequency=v.get("frequency", Frequency.WEEKLY), progress=0 if node.has_children else v.get("progress", 0),
                progress_note=v.get("progress_note", ""), progress_from_children=node.has_children, extra=node.extra or {},
            ))
            plan.new_rows.append((node.row or node.first_row, Level(node.level), node.path[-1]))
            continue
        if not node.row:
            continue  # a heading matched by its title: nothing of it is in the file to compare
        cur = items[node.item_id]
        cells: dict[str, tuple[Any, Any]] = {}
        fields: dict[str, Any] = {}
        if cur["title"] != node.path[-1]:
            cells[node.column] = (cur["title"], node.path[-1])
            fields["title"] = node.path[-1]
        if node.seq and node.seq != cur["seq"]:
            cells["序号"] = (cur["seq"], node.seq)
            fields["seq"] = node.seq
        if parent is not None:
            if parent.item_id is None:
                cells["上级事项"] = (_title(items, cur["parent_id"]), parent.path[-1])
                fields["parent_key"] = parent.key
            elif parent.item_id != cur["parent_id"]:
                cells["上级事项"] = (_title(items, cur["parent_id"]), parent.path[-1])
                fields["parent_id"] = parent.item_id
        co = None
        for col, f in COMPARED:
            if col not in present or f not in v:
                continue
            after = v[f]
            if f == "lead_unit_id" and after is None:
                continue  # a heading's blank 牵头单位 keeps its lead
            if f == "progress" and cur["progress_from_children"] and node.has_children:
                continue  # derived from the children
            before = cur[f]
            if before == after or (f == "co_unit_ids" and [u for u in after if u != (v.get("lead_unit_id") or cur["lead_unit_id"])] == before):
                continue
            cells[col] = (labels.show(f, before), labels.show(f, after))
            if f == "co_unit_ids":
                co = after
            else:
                fields[f] = after
        if node.extra and {**cur["extra"], **node.extra} != cur["extra"]:
            for k, val in node.extra.items():
                if cur["extra"].get(k) != val:
                    cells[k] = (cur["extra"].get(k, ""), val)
            fields["extra"] = {**cur["extra"], **node.extra}
        if cells:
            plan.changes.append(RowChange(node.row, node.item_id, node.seq or cur["seq"], node.path[-1], cells))
            plan.updates.append(services.ItemChange(item_id=node.item_id, fields=fields, co_unit_ids=co,
                                                    cells={k: (text(a), text(b)) for k, (a, b) in cells.items()}))
        else:
            plan.unchanged += 1
    plan.changes.sort(key=lambda c: c.row)
    plan.new_rows.sort()


def _title(items: dict[int, dict[str, Any]], pk: int | None) -> str:
    return items[pk]["title"] if pk in items else ""


class _Labels:
    """Values as a person reads them in the preview: unit names, dates, frequency labels."""

    def __init__(self, matcher: UnitMatcher):
        self.matcher = matcher

    def unit(self, pk: int | None) -> str:
        ref = self.matcher.by_id.get(pk) if pk is not None else None
        if ref is None:
            return ""
        return self.matcher.label(ref) if len(self.matcher.by_name.get(ref.name, ())) > 1 else ref.name

    def show(self, f: str, value: Any) -> Any:
        if value is None or value == "":
            return ""
        if f == "lead_unit_id":
            return self.unit(value)
        if f == "co_unit_ids":
            return "、".join(self.unit(u) for u in value)
        if f == "frequency":
            return FREQUENCY_LABEL.get(value, value)
        if f == "progress":
            return f"{value}%"
        if isinstance(value, dt.date):
            return value.isoformat()
        return value


def apply_plan(*, actor, plan: ImportPlan, note: str = "导入任务分工表", skip_checks: bool = False) -> ImportPlan:
    """Write a checked plan through the plan's bulk service (one transaction, one audit row)."""
    with user_action(), _no_gc():
        services.items_import(actor=actor, campaign=plan.campaign, new=plan.new, changes=plan.updates,
                              note=f"{note}（sha256 {plan.sha256[:12]}）", skip_checks=skip_checks)
    plan.applied = True
    return plan


def tasks_import(*, actor, source: Source, campaign: Campaign, apply: bool = False, max_bytes: int | None = None,
                 skip_checks: bool = False) -> ImportPlan:
    """Check the file, then write it: a fresh plan at once; a re-import only with apply=True."""
    plan = plan_import(source=source, campaign=campaign, actor=actor, max_bytes=max_bytes, skip_checks=skip_checks)
    if plan.changes and not apply:
        return plan
    return apply_plan(actor=actor, plan=plan, skip_checks=skip_checks)


def tasks_import_cli(*, actor, source: Source, campaign_id: int | None = None, apply: bool = False, stdout=None,
                     skip_checks: bool = False) -> ImportPlan:
    """`duban import tasks FILE [--campaign ID] [--apply]`: the preview's changed cells go to stdout."""
    campaign = resolve_campaign(campaign_id)
    plan = tasks_import(actor=actor, source=source, campaign=campaign, apply=apply, skip_checks=skip_checks)
    if stdout is not None and not plan.applied:
        for c in plan.changes[:100]:
            cells = "；".join(f"{k}：{b or '（空）'} → {a or '（空）'}" for k, (b, a) in c.cells.items())
            stdout.write(f"第{c.row}行 {f'序号{c.seq} ' if c.seq else ''}{c.title}：{cells}")
        if len(plan.changes) > 100:
            stdout.write(f"……另有 {len(plan.changes) - 100} 行有变化")
    return plan


# --------------------------------------------------------------------------- export


def _unit_names(ids: set[int]) -> dict[int, str]:
    """Each unit's name, or "上级/名称" where another unit has the same name (so a re-import
    resolves it to the same unit)."""
    rows = {pk: (name, parent) for pk, name, parent in OrgUnit.objects.filter(pk__in=ids).values_list("id", "name", "parent_id")}
    shared = set(OrgUnit.objects.filter(name__in={n for n, _ in rows.values()}).values("name").annotate(n=Count("id"))
                 .filter(n__gt=1).values_list("name", flat=True))
    parents = dict(OrgUnit.objects.filter(pk__in={p for n, p in rows.values() if n in shared and p}).values_list("id", "name"))
    return {pk: f"{parents[p]}/{n}" if n in shared and p in parents else n for pk, (n, p) in rows.items()}


def export_rows(qs: QuerySet) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows for the items of `qs`, in plan order (each aspect, its tasks, their
    measures), every row carrying its 方面 / 重点任务 / 具体措施 titles so a re-import puts
    it back in the same place. The items' headings are named even where `qs` leaves them out."""
    cols = ("id", "parent_id", "level", "position", "seq", "title", "lead_unit_id", "deadline", "progress_note", "leader_name",
            "start_date", "duration_days", "frequency", "progress", "status", "light", "extra", "campaign_id")
    items = {r[0]: r for r in qs.values_list(*cols)}
    heads = {pk: (parent, title, position) for pk, parent, title, position in
             PlanItem.objects.filter(campaign_id__in={r[-1] for r in items.values()}).values_list("id", "parent_id", "title", "position")}
    heads.update({pk: (r[1], r[5], r[3]) for pk, r in items.items()})

    def chain(pk: int) -> list[int]:
        out, cur, hops = [], pk, 0
        while cur is not None and cur in heads and hops < 5:
            out.append(cur)
            cur, hops = heads[cur][0], hops + 1
        return list(reversed(out))

    chains = {pk: chain(pk) for pk in items}
    order = sorted(items, key=lambda pk: [(heads[c][2], c) for c in chains[pk]])
    co: dict[int, list[int]] = {}
    for object_id, unit_id in Assignment.objects.filter(content_type=assignment_type(PlanItem), object_id__in=list(items), role=OwnerRole.CO) \
            .order_by("position", "id").values_list("object_id", "unit_id"):
        co.setdefault(object_id, []).append(unit_id)
    names = _unit_names({r[6] for r in items.values()} | {u for us in co.values() for u in us})
    keys: dict[str, None] = {}
    for r in items.values():
        keys.update(dict.fromkeys(r[16] or {}))
    extras = [k for k in keys if k not in HEADER]
    statuses = {k: str(v) for k, v in Status.choices}
    light_labels = {k: str(v) for k, v in Light.choices}

    def rows() -> Iterator[list[Any]]:
        for pk in order:
            (_, _, level, _, seq, title, lead, deadline, note, leader, start, days, freq, progress, status, light, extra, _c) = items[pk]
            titles = [heads[c][1] for c in chains[pk]][:3] + ["", "", ""]
            row = [seq, titles[0], titles[1], titles[2], names.get(lead, ""), "、".join(names.get(u, "") for u in co.get(pk, ())),
                   deadline, note, leader, start, days, FREQUENCY_LABEL.get(freq, freq), progress, statuses.get(status, status),
                   light_labels.get(light, light)]
            row.extend((extra or {}).get(k) for k in extras)
            yield row

    return HEADER + extras, rows()


def tasks_export(target: str | Path | IO[bytes], qs: QuerySet) -> int:
    check_export_size(qs.count())
    header, rows = export_rows(qs)
    return write_table(target, header, rows, sheet="任务分工表")


def tasks_export_cli(*, out: str, campaign_id: int | None = None) -> int:
    """`duban export tasks --out FILE.xlsx [--campaign ID]`: every item (the shell's administrator)."""
    qs = PlanItem.objects.all()
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    return tasks_export(out, qs)
