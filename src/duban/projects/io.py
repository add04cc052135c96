"""`duban import projects` / `duban export projects`: the 项目库 layout of DESIGN §5.

序号, 项目名称, 建设单位, 所属单位, 行业, 项目阶段, 总投资（万元）, 年度计划投资（万元）,
已完成投资（万元）, 是否三早, 包保领导, 责任部门, 项目秘书, 计划开工, 计划竣工 — and, when present,
项目库, 建设性质 (新建/续建), 建设地点, 建设内容, 调度频次, 实际开工. Other columns are kept in
`Project.extra` and written back. An export adds 灯色, which an import reads past (the rules
decide it, not a file).

How cells are read (the forms offices type):
* money is 万元: a number cell, "1,200", "1200万", "1200万元"; "2.5亿" / "2.5亿元" is
  25,000 万元 (亿 is the only other unit accepted: "元" alone is refused, a figure in 元 read
  as 万元 would be 10,000 times too large);
* dates: the office forms of core.dates (2026-03-31, 2026/3/31, 2026年3月31日, 2026.3.31,
  Excel dates; "2026年3月" is the month's last day);
* 是否三早: 是/否 (also √/×, Y/N, 1/0); an empty cell is 否;
* 项目阶段: 谋划/在谈/签约/开工/竣工投产 (also 储备, 已签约, 在建, 已开工, 竣工, 投产);
* units (所属单位, 责任部门) by name inside the campaign, "上级/名称" where a name repeats; an
  unknown name is refused with the closest names;
* 项目库 by name: a pool the campaign does not have yet is created with the import.

All or nothing: the whole file is checked (each row also through services.validate, the
rule every write passes), any error refuses it with (row, column, message) and nothing is
written. A row matches an existing project by 序号, else by 项目名称; a file that matches
existing projects is a re-import, returned as a preview of the changed cells and written
only when applied. A column the file does not have changes nothing. A 项目阶段 that differs
from the project's is applied as a stage move on the workflow (audited, with its timeline
entry), never as a raw write; a move the workflow refuses (竣工投产 before 开工, back more
than one stage) is a row error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone

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
from duban.ledger.io import unit_labels
from duban.orgs import permissions
from duban.orgs.matching import UnitMatcher
from duban.orgs.models import Assignment, OrgUnit, OwnerRole
from duban.orgs.scoping import assignment_type
from duban.projects import services, workflow
from duban.projects.models import MAX_WAN, Cadence, Kind, Light, Pool, Project, Stage

LAYOUT = [
    Column("序号", aliases=("编号", "项目编号", "序列")),
    Column("项目名称", required=True, aliases=("项目", "名称", "项目全称")),
    Column("建设单位", aliases=("业主单位", "项目业主", "实施主体", "建设主体", "项目单位")),
    Column("所属单位", required=True, aliases=("所属地区", "属地", "所在地区", "县区", "属地单位", "所在县区")),
    Column("行业", aliases=("所属行业", "行业类别", "产业类别", "项目类别", "产业")),
    Column("项目阶段", aliases=("阶段", "项目状态", "推进阶段")),
    Column("总投资（万元）", aliases=("总投资", "计划总投资", "总投资额", "项目总投资")),
    Column("年度计划投资（万元）", aliases=("年度计划投资", "年度计划", "年计划投资", "本年计划投资", "年度投资计划")),
    Column("已完成投资（万元）", aliases=("已完成投资", "累计完成投资", "完成投资", "开工以来累计完成投资")),
    Column("是否三早", aliases=("三早", "三早项目")),
    Column("包保领导", aliases=("包保县级领导", "包保区领导", "包保市领导", "包保县领导", "责任领导")),
    Column("责任部门", aliases=("包保部门", "牵头部门", "责任单位")),
    Column("项目秘书", aliases=("秘书",)),
    Column("计划开工", aliases=("计划开工时间", "计划开工日期")),
    Column("计划竣工", aliases=("计划竣工时间", "计划竣工日期", "计划完工时间")),
    Column("项目库", aliases=("所属项目库", "库别")),
    Column("建设性质", aliases=("新建/续建", "新建续建", "性质")),
    Column("建设地点", aliases=("项目地点", "建设地址", "地点")),
    Column("建设内容", aliases=("建设规模及内容", "建设内容及规模", "主要建设内容")),
    Column("调度频次", aliases=("调度周期",)),
    Column("实际开工", aliases=("实际开工时间", "实际开工日期", "开工时间")),
    Column("灯色", aliases=("红黄绿灯",)),
]
HEADER = [c.name for c in LAYOUT]
REQUIRED_HEADER = HEADER[:15]  # DESIGN §5's columns; the rest are optional
EXPORT_ONLY = ("灯色",)
MAX_ERRORS = 2000
MAX_NEW_POOLS = services.MAX_POOLS

# column → the Project field it fills (department: the 责任部门 assignment; pool: by name)
FIELDS = {
    "序号": "seq", "项目名称": "name", "建设单位": "builder", "所属单位": "unit_id", "行业": "industry", "项目阶段": "stage",
    "总投资（万元）": "total_wan", "年度计划投资（万元）": "annual_plan_wan", "已完成投资（万元）": "done_total_wan",
    "是否三早": "sanzao", "包保领导": "leader_name", "责任部门": "department_id", "项目秘书": "secretary_name",
    "计划开工": "planned_start", "计划竣工": "planned_finish", "项目库": "pool", "建设性质": "kind", "建设地点": "location",
    "建设内容": "description", "调度频次": "cadence", "实际开工": "started_on",
}
COLUMN_OF = {f: c for c, f in FIELDS.items()} | {"unit": "所属单位", "department": "责任部门", "done_year_wan": "已完成投资（万元）",
                                                 "finished_on": "项目阶段", "in_statistics_on": "", "progress": ""}
TEXT_LIMITS = {"name": services.MAX_NAME, "builder": services.MAX_NAME, "industry": 60, "location": services.MAX_NAME,
               "description": services.MAX_TEXT, "leader_name": 60, "secretary_name": 60, "seq": 20}

STAGE_WORDS = {str(label): value for value, label in Stage.choices}
STAGE_WORDS.update({
    "储备": Stage.PLANNING, "前期": Stage.PLANNING, "谋划中": Stage.PLANNING, "洽谈": Stage.NEGOTIATING, "在谈中": Stage.NEGOTIATING,
    "已签约": Stage.SIGNED, "签约未开工": Stage.SIGNED, "在建": Stage.STARTED, "已开工": Stage.STARTED, "新开工": Stage.STARTED,
    "竣工": Stage.COMPLETED, "投产": Stage.COMPLETED, "已竣工": Stage.COMPLETED, "已投产": Stage.COMPLETED, "竣工投用": Stage.COMPLETED,
})
KIND_WORDS = {str(label): value for value, label in Kind.choices} | {"新开工": Kind.NEW, "新建项目": Kind.NEW, "续建项目": Kind.CONTINUED}
CADENCE_WORDS = {str(label): value for value, label in Cadence.choices}
CADENCE_WORDS.update({
    "日": Cadence.DAILY, "日报": Cadence.DAILY, "一日一调度": Cadence.DAILY, "周": Cadence.WEEKLY, "周报": Cadence.WEEKLY,
    "一周一调度": Cadence.WEEKLY, "旬": Cadence.XUN, "旬报": Cadence.XUN, "一旬一调度": Cadence.XUN, "月": Cadence.MONTHLY,
    "月报": Cadence.MONTHLY, "一月一调度": Cadence.MONTHLY,
})
YES = {"是", "√", "✓", "y", "yes", "1", "true", "三早", "是三早"}
NO = {"否", "×", "✗", "n", "no", "0", "false", "不是", "非"}
MONEY = re.compile(r"^([0-9][0-9,，]*(?:\.[0-9]+)?)(亿元|亿|万元|万)?$")
STAGE_LABEL = {value: str(label) for value, label in Stage.choices}
KIND_LABEL = {value: str(label) for value, label in Kind.choices}
CADENCE_LABEL = {value: str(label) for value, label in Cadence.choices}
LIGHT_LABEL = {value: str(label) for value, label in Light.choices}
# The cells a re-import compares, in file order (序号 and 项目名称 match, then change too).
COMPARED = [c for c in HEADER if c in FIELDS]


# What services.validate reads of a new project, at the model's defaults.
NEW_DEFAULTS = {f: Project._meta.get_field(f).get_default() for f in (
    "seq", "name", "builder", "industry", "location", "description", "leader_name", "secretary_name", "stage", "kind", "cadence",
    "total_wan", "annual_plan_wan", "done_total_wan", "done_year_wan", "progress", "planned_start", "planned_finish", "started_on",
    "finished_on", "in_statistics_on")}


class _Bad:
    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


def money_of(value: Any) -> Decimal | _Bad:
    """A money cell in 万元 (see the module's note: 万/万元 and 亿/亿元 text accepted)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, bool):
        return _Bad(f"应为金额（万元），而不是“{value}”")
    if isinstance(value, (int, float)):
        try:
            d = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        except InvalidOperation:
            return _Bad(f"应为金额（万元），而不是“{value}”")
    else:
        s = re.sub(r"\s+", "", str(value))
        m = MONEY.match(s)
        if m is None:
            hint = "；金额以万元计，可写“1200”“1200万元”或“2.5亿”" if "元" in s or s else ""
            return _Bad(f"应为金额（万元），而不是“{value}”{hint}")
        d = Decimal(m.group(1).replace(",", "").replace("，", ""))
        if m.group(2) in ("亿", "亿元"):
            d *= 10000
    if not d.is_finite() or d < 0 or d > MAX_WAN:
        return _Bad(f"金额须在 0 到 {MAX_WAN:,.0f} 万元之间，而不是“{text(value)}”")
    return d.quantize(Decimal("0.01"))


def _yes(value: Any) -> bool | _Bad:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    s = text(value).strip().lower()
    if s in YES:
        return True
    if s in NO or s in ("", "-", "—", "/"):
        return False
    return _Bad(f"应填“是”或“否”，而不是“{text(value)}”")


def _date(value: Any) -> dt.date | None | _Bad:
    if isinstance(value, str) and value.strip() in ("", "—", "-", "/", "无"):
        return None
    try:
        d = parse_date(value)
    except DateParseError as exc:
        return _Bad(str(exc))
    if d is not None and not dt.date(2000, 1, 1) <= d <= dt.date(2100, 12, 31):
        return _Bad(f"日期超出范围：{d.isoformat()}")
    return d


def _word(value: Any, words: dict[str, str], what: str, labels: dict[str, str]) -> str | _Bad:
    key = re.sub(r"\s+", "", text(value))
    hit = words.get(key)
    if hit is None:
        return _Bad(f"未知的{what}“{text(value)}”；可填：{'、'.join(labels.values())}")
    return hit


@dataclass
class Row:
    """One data row of the file, checked: the fields of the columns present."""

    row: int
    values: dict[str, Any] = field(default_factory=dict)  # field → value (department_id, pool: a name)
    extra: dict[str, Any] = field(default_factory=dict)
    project_id: int | None = None


@dataclass
class RowChange:
    row: int
    project_id: int
    seq: str
    name: str
    cells: dict[str, tuple[Any, Any]]  # column → (before, after) as people read them
    move: str = ""  # the stage move the import fires (a workflow transition's name)


@dataclass
class ImportPlan:
    campaign: Campaign
    rows: int
    new: list[services.ImportedProject] = field(default_factory=list)
    new_rows: list[tuple[int, str, str]] = field(default_factory=list)  # (row, 序号, 项目名称) for the preview
    changes: list[RowChange] = field(default_factory=list)
    updates: list[services.ProjectChange] = field(default_factory=list)
    new_pools: list[str] = field(default_factory=list)
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

    @property
    def moves(self) -> int:
        return sum(1 for c in self.changes if c.move)

    def summary(self) -> str:
        skipped = f"；{describe_skipped(self.skipped)}" if self.skipped else ""
        moved = f"（其中阶段变更 {self.moves} 个）" if self.moves else ""
        if self.applied:
            return f"导入完成：新建 {len(self.new)} 个项目，更新 {len(self.changes)} 个{moved}，未变 {self.unchanged} 个（共 {self.rows} 行）{skipped}"
        return (f"预览（未写入）：将新建 {len(self.new)} 个项目，更新 {len(self.changes)} 个{moved}"
                f"（{sum(len(c.cells) for c in self.changes)} 个单元格），未变 {self.unchanged} 个{skipped}；加 --apply 执行")


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


class _Checker:
    """Reads the cells of one row into field values, collecting (row, column, message)."""

    def __init__(self, campaign: Campaign, actor, checks_actor: bool):
        self.campaign = campaign
        self.actor, self.checks_actor = actor, checks_actor
        self.errors: list[tuple[int, int, CellError]] = []
        self.bad_rows: set[int] = set()  # rows with a cell error: not matched or validated further
        self.order = {name: i for i, name in enumerate(HEADER)}
        self.matcher = UnitMatcher(OrgUnit.objects.filter(path__startswith=campaign.unit.path))
        self.units: dict[str, int | str] = {}
        self.dates: dict[Any, Any] = {}

    def err(self, row: int, col: str, msg: str) -> None:
        self.bad_rows.add(row)
        if len(self.errors) < MAX_ERRORS * 2:
            self.errors.append((row, self.order.get(col, len(self.order)), CellError(row, col, msg)))

    def unit(self, name: str) -> int | str:
        hit = self.units.get(name)
        if hit is None:
            hit = self.units[name] = self.matcher.resolve(name)
            if isinstance(hit, str) and hit.startswith("未知单位") and OrgUnit.objects.filter(name=name).exists():
                hit = self.units[name] = f"“{name}”不在本活动（{self.campaign.unit.name}）的范围内"
        return hit

    def date(self, raw: Any) -> Any:
        key = (raw.__class__, raw)
        if key not in self.dates:
            self.dates[key] = _date(raw)
        return self.dates[key]

    def read(self, rownum: int, get, present: list[str]) -> dict[str, Any]:
        v: dict[str, Any] = {}
        for col in present:
            f = FIELDS[col]
            raw = get(col)
            if f in TEXT_LIMITS:
                s = text(raw)
                if len(s) > TEXT_LIMITS[f]:
                    self.err(rownum, col, f"超过 {TEXT_LIMITS[f]} 字")
                elif "\x00" in s:
                    self.err(rownum, col, "含有不可见的空字符")
                v[f] = s
            elif f in ("unit_id", "department_id"):
                if raw is None:
                    if f == "unit_id":
                        self.err(rownum, col, "不能为空")
                    v[f] = None
                    continue
                hit = self.unit(text(raw))
                if isinstance(hit, str):
                    self.err(rownum, col, hit)
                    hit = None
                v[f] = hit
            elif f in ("total_wan", "annual_plan_wan", "done_total_wan"):
                m = money_of(raw)
                if m.__class__ is _Bad:
                    self.err(rownum, col, m.message)
                    m = Decimal(0)
                v[f] = m
            elif f in ("planned_start", "planned_finish", "started_on"):
                d = self.date(raw)
                if d.__class__ is _Bad:
                    self.err(rownum, col, d.message)
                    d = None
                v[f] = d
            elif f == "sanzao":
                b = _yes(raw)
                if b.__class__ is _Bad:
                    self.err(rownum, col, b.message)
                    b = False
                v[f] = b
            elif f in ("stage", "kind", "cadence"):
                words, what, labels, default = {
                    "stage": (STAGE_WORDS, "项目阶段", STAGE_LABEL, Stage.PLANNING), "kind": (KIND_WORDS, "建设性质", KIND_LABEL, Kind.NEW),
                    "cadence": (CADENCE_WORDS, "调度频次", CADENCE_LABEL, Cadence.WEEKLY)}[f]
                w = default if raw is None else _word(raw, words, what, labels)
                if w.__class__ is _Bad:
                    self.err(rownum, col, w.message)
                    w = default
                v[f] = w
            elif f == "pool":
                s = text(raw)
                if len(s) > 60:
                    self.err(rownum, col, "超过 60 字")
                v[f] = s or None
        return v


def plan_import(*, source: Source, campaign: Campaign, actor, max_bytes: int | None = None, skip_checks: bool = False) -> ImportPlan:
    """Read and check the whole file; return what applying it would do. Writes nothing.

    Only the campaign's office runs its library (services.may_manage); the system (the
    CLI) passes `skip_checks=True`. Errors come in row order, each row's in column order."""
    checks_actor = permissions.checked(actor, skip_checks)
    if checks_actor and not services.may_manage(actor, campaign):
        raise PermissionDenied("只有本活动的推进办可以导入项目库")
    limit = max_bytes or settings.DUBAN_MAX_IMPORT_BYTES
    data = _read(source, limit)
    table = read_table(data, LAYOUT, max_bytes=limit, allow_csv=True)
    plan = ImportPlan(campaign=campaign, rows=len(table.rows), sha256=hashlib.sha256(data or b"").hexdigest(), skipped=table.skipped)
    check = _Checker(campaign, actor, checks_actor)
    present = [c for c in HEADER if c in table.columns and c in FIELDS]
    rows: list[Row] = []
    seqs: dict[str, int] = {}
    for rownum, cells in table.rows:
        def get(col: str, cells=cells) -> Any:
            return table.get(cells, col)

        v = check.read(rownum, get, present)
        if not v.get("name"):
            check.err(rownum, "项目名称", "不能为空")
        seq = v.get("seq", "")
        if seq:
            if seq in seqs:
                check.err(rownum, "序号", f"与第{seqs[seq]}行的序号重复")
            seqs.setdefault(seq, rownum)
        rows.append(Row(rownum, v, table.extra_values(cells) if table.extras else {}))
    _match(plan, [r for r in rows if r.row not in check.bad_rows], present, check)
    if check.errors:
        check.errors.sort(key=lambda e: (e[0], e[1]))
        raise ImportRejected([e for _, _, e in check.errors[:MAX_ERRORS]])
    return plan


def _current(campaign: Campaign) -> tuple[dict[int, Project], dict[int, int]]:
    """The campaign's projects by id, and each one's 责任部门 (unit id)."""
    projects = {p.pk: p for p in Project.objects.filter(campaign=campaign).select_related("campaign", "campaign__unit", "unit", "pool")}
    departments = dict(Assignment.objects.filter(content_type=assignment_type(Project), object_id__in=list(projects),
                                                 role=OwnerRole.DEPARTMENT).values_list("object_id", "unit_id")) if projects else {}
    return projects, departments


def _field_errors(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(COLUMN_OF.get(k, ""), m) for k, msgs in exc.message_dict.items() for m in msgs]
    return [("", m) for m in exc.messages]


def _match(plan: ImportPlan, rows: list[Row], present: list[str], check: _Checker) -> None:
    campaign = plan.campaign
    projects, departments = _current(campaign)
    by_seq = {p.seq: pk for pk, p in projects.items() if p.seq}
    by_name: dict[str, list[int]] = {}
    for pk, p in projects.items():
        by_name.setdefault(p.name, []).append(pk)
    pools = {p.name: p for p in Pool.objects.filter(campaign=campaign)}
    unit_ids = {r.values.get(f) for r in rows for f in ("unit_id", "department_id")} - {None}
    units = OrgUnit.objects.in_bulk(list(unit_ids))
    labels = _Labels(check.matcher)
    taken: dict[int, int] = {}
    today = timezone.localdate()
    for r in rows:
        v = r.values
        hit = by_seq.get(v["seq"]) if v.get("seq") else None
        if hit is None and v.get("name"):
            named = by_name.get(v["name"], [])
            if len(named) > 1:
                check.err(r.row, "项目名称", f"系统中有 {len(named)} 个同名项目“{v['name']}”，请填写序号以区分")
                continue
            hit = named[0] if named else None
            # a project found by its name but carrying another 序号 in the system is another one
            if hit is not None and v.get("seq") and projects[hit].seq and projects[hit].seq != v["seq"]:
                hit = None
        if hit is not None:
            if hit in taken:
                check.err(r.row, "序号" if v.get("seq") else "项目名称", f"与第{taken[hit]}行指向同一项目“{projects[hit].name}”")
                continue
            taken[hit] = r.row
            r.project_id = hit
        pool_name = v.get("pool")
        if pool_name and pool_name not in pools and pool_name not in plan.new_pools:
            plan.new_pools.append(pool_name)
        if r.project_id is None:
            _new(plan, r, units, pools, check)
        else:
            _changed(plan, r, present, projects[r.project_id], departments.get(r.project_id), units, pools, labels, check, today)
    if len(pools) + len(plan.new_pools) > MAX_NEW_POOLS:
        check.err(0, "项目库", f"项目库最多{MAX_NEW_POOLS}个（文件中另有{len(plan.new_pools)}个新的项目库：{'、'.join(plan.new_pools[:5])}…）")
    if by_seq:
        file_seqs = {r.values.get("seq"): r for r in rows if r.values.get("seq")}
        for r in rows:  # a 序号 taken by another project of the campaign
            s = r.values.get("seq")
            other = by_seq.get(s) if s else None
            if other is not None and r.project_id is not None and other != r.project_id:
                moved = projects[other].seq in file_seqs and file_seqs[projects[other].seq].project_id == other
                if not moved:
                    check.err(r.row, "序号", f"序号 {s} 已属于项目“{projects[other].name}”")
    plan.changes.sort(key=lambda c: c.row)


def _new(plan: ImportPlan, r: Row, units: dict[int, OrgUnit], pools: dict[str, Pool], check: _Checker) -> None:
    v = r.values
    unit = units.get(v.get("unit_id"))
    if unit is None:
        return  # its error is recorded
    # services.validate reads and normalises attributes only: a plain namespace with the
    # model's defaults, not a model instance (whose __init__ was half an import's time)
    pool = pools.get(v.get("pool") or "")
    p = SimpleNamespace(**{**NEW_DEFAULTS, **{k: val for k, val in v.items() if k not in ("unit_id", "department_id", "pool")}},
                        unit=unit, pool=pool, pool_id=pool.pk if pool else None)
    try:
        services.validate(plan.campaign, p)
    except ValidationError as exc:
        for col, msg in _field_errors(exc):
            check.err(r.row, col, msg)
        return
    fields = {k: getattr(p, k) for k in v if k not in ("unit_id", "department_id", "pool")}
    fields["unit_id"] = unit.pk
    plan.new.append(services.ImportedProject(row=r.row, fields=fields, department_id=v.get("department_id"), pool=v.get("pool"),
                                             extra=r.extra))
    plan.new_rows.append((r.row, p.seq, p.name))


def _changed(plan: ImportPlan, r: Row, present: list[str], cur: Project, department: int | None, units: dict[int, OrgUnit],
             pools: dict[str, Pool], labels: _Labels, check: _Checker, today: dt.date) -> None:
    v = r.values
    cells: dict[str, tuple[Any, Any]] = {}
    fields: dict[str, Any] = {}
    set_department, department_after, pool_after, move, move_date = False, department, None, "", None
    for col in COMPARED:
        if col not in present:
            continue
        f = FIELDS[col]
        after = v.get(f)
        if f == "department_id":
            if after != department:
                cells[col] = (labels.unit(department), labels.unit(after))
                set_department, department_after = True, after
            continue
        if f == "pool":
            before_name = cur.pool.name if cur.pool_id else None
            if after != before_name:
                cells[col] = (before_name or "", after or "")
                pool_after = after or ""
            continue
        if f == "stage":
            if after != cur.stage:
                cells[col] = (STAGE_LABEL[cur.stage], STAGE_LABEL[after])
                move = workflow.move_for(cur, after) or ""
                if not move:
                    check.err(r.row, col, f"不能从“{STAGE_LABEL[cur.stage]}”直接退回“{STAGE_LABEL[after]}”：导入只能退回上一阶段")
                    return
                t = workflow.TABLE.get(move)
                if cur.stage not in t.sources:
                    check.err(r.row, col, f"“{STAGE_LABEL[cur.stage]}”阶段的项目不能直接{t.label}（须先开工）")
                    return
                if check.checks_actor and not workflow.TABLE.side_allows(check.actor, cur, t):
                    check.err(r.row, col, f"只有{workflow.TABLE.sides[t.side].label}可以{t.label}")
                    return
            continue
        if f == "unit_id":
            if after is not None and after != cur.unit_id:
                cells[col] = (labels.unit(cur.unit_id), labels.unit(after))
                fields["unit_id"] = after
            continue
        before = getattr(cur, f)
        if f == "started_on" and move == "start":
            move_date = after  # the move sets it
            continue
        if before != after:
            cells[col] = (labels.show(f, before), labels.show(f, after))
            fields[f] = after
    if move in ("start", "complete") and move_date is None:
        move_date = (v.get("started_on") if move == "start" else None) or today
    if r.extra and {**cur.extra, **r.extra} != cur.extra:
        for k, val in r.extra.items():
            if cur.extra.get(k) != val:
                cells[k] = (cur.extra.get(k, ""), val)
        fields["extra"] = {**cur.extra, **r.extra}
    if not cells:
        plan.unchanged += 1
        return
    # the same checks as any write, on a copy with the changes (the stage by its move)
    probe = Project(**{f.attname: getattr(cur, f.attname) for f in Project._meta.concrete_fields})
    probe.campaign = cur.campaign
    for k, val in fields.items():
        setattr(probe, k, val)
    if "unit_id" in fields:
        probe.unit = units[fields["unit_id"]]
    probe.pool = pools.get(pool_after) if pool_after else (None if pool_after == "" else cur.pool)
    if move == "start":
        probe.stage, probe.started_on = Stage.STARTED, move_date
    try:
        services.validate(plan.campaign, probe)
    except ValidationError as exc:
        for col, msg in _field_errors(exc):
            check.err(r.row, col, msg)
        return
    plan.changes.append(RowChange(r.row, cur.pk, v.get("seq") or cur.seq, v.get("name") or cur.name, cells, move))
    plan.updates.append(services.ProjectChange(
        project_id=cur.pk, fields=fields, set_department=set_department, department_id=department_after, pool=pool_after,
        move=move, move_date=move_date, cells={k: (text(a), text(b)) for k, (a, b) in cells.items()}))


class _Labels:
    """Values as a person reads them in the preview: unit names, dates, labels, 是/否."""

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
        if f == "sanzao":
            return "是" if value else "否"
        if f == "kind":
            return KIND_LABEL.get(value, value)
        if f == "cadence":
            return CADENCE_LABEL.get(value, value)
        if isinstance(value, Decimal):
            return format(value.normalize(), "f") if value == value.to_integral() else str(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        return value


def apply_plan(*, actor, plan: ImportPlan, note: str = "导入项目库", skip_checks: bool = False) -> ImportPlan:
    """Write a checked plan through the bulk service (one transaction, one `project.import`
    audit row; each stage move is audited by the workflow as well)."""
    with user_action():
        services.projects_import(actor=actor, campaign=plan.campaign, new=plan.new, changes=plan.updates, new_pools=plan.new_pools,
                                 note=f"{note}（sha256 {plan.sha256[:12]}）", skip_checks=skip_checks)
    plan.applied = True
    return plan


def projects_import(*, actor, source: Source, campaign: Campaign, apply: bool = False, max_bytes: int | None = None,
                    skip_checks: bool = False) -> ImportPlan:
    """Check the file, then write it: new projects at once; a re-import only with apply=True."""
    plan = plan_import(source=source, campaign=campaign, actor=actor, max_bytes=max_bytes, skip_checks=skip_checks)
    if plan.changes and not apply:
        return plan
    return apply_plan(actor=actor, plan=plan, skip_checks=skip_checks)


def projects_import_cli(*, actor, source: Source, campaign_id: int | None = None, apply: bool = False, stdout=None,
                        skip_checks: bool = False) -> ImportPlan:
    """`duban import projects FILE [--campaign ID] [--apply]`: the preview's changed cells go to stdout."""
    campaign = resolve_campaign(campaign_id)
    plan = projects_import(actor=actor, source=source, campaign=campaign, apply=apply, skip_checks=skip_checks)
    if stdout is not None and not plan.applied:
        for c in plan.changes[:100]:
            cells = "；".join(f"{k}：{b or '（空）'} → {a or '（空）'}" for k, (b, a) in c.cells.items())
            stdout.write(f"第{c.row}行 {f'序号{c.seq} ' if c.seq else ''}{c.name}：{cells}")
        if len(plan.changes) > 100:
            stdout.write(f"……另有 {len(plan.changes) - 100} 行有变化")
    return plan


# --------------------------------------------------------------------------- export


def _money_cell(v: Decimal) -> float | int:
    return int(v) if v == v.to_integral() else float(v)


def export_rows(qs: QuerySet) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and rows for the projects of `qs` (by campaign, then id), in the import's
    layout, units named so a re-import resolves them to the same units."""
    cols = ("id", "seq", "name", "builder", "unit_id", "industry", "stage", "total_wan", "annual_plan_wan", "done_total_wan", "sanzao",
            "leader_name", "secretary_name", "planned_start", "planned_finish", "pool__name", "kind", "location", "description",
            "cadence", "started_on", "light", "extra")
    rows = list(qs.order_by("campaign_id", "id").values_list(*cols))
    departments: dict[int, int] = {}
    ids = [r[0] for r in rows]
    for i in range(0, len(ids), 5000):
        departments.update(Assignment.objects.filter(content_type=assignment_type(Project), object_id__in=ids[i:i + 5000],
                                                     role=OwnerRole.DEPARTMENT).values_list("object_id", "unit_id"))
    labels = unit_labels({pk: (name, parent) for pk, name, parent in OrgUnit.objects.values_list("id", "name", "parent_id")})
    keys: dict[str, None] = {}
    for r in rows:
        keys.update(dict.fromkeys(r[-1] or {}))
    extras = [k for k in keys if k not in HEADER]

    def out() -> Iterator[list[Any]]:
        for (pk, seq, name, builder, unit_id, industry, stage, total, plan, done, sanzao, leader, secretary, ps, pf, pool, kind,
             location, description, cadence, started, light, extra) in rows:
            row = [seq, name, builder, labels.get(unit_id, ""), industry, STAGE_LABEL.get(stage, stage), _money_cell(total),
                   _money_cell(plan), _money_cell(done), "是" if sanzao else "否", leader, labels.get(departments.get(pk), ""),
                   secretary, ps, pf, pool or "", KIND_LABEL.get(kind, kind), location, description, CADENCE_LABEL.get(cadence, cadence),
                   started, LIGHT_LABEL.get(light, light)]
            row.extend((extra or {}).get(k) for k in extras)
            yield row

    return HEADER + extras, out()


def projects_export(target: str | Path | IO[bytes], qs: QuerySet) -> int:
    check_export_size(qs.count())
    header, rows = export_rows(qs)
    return write_table(target, header, rows, sheet="项目库")


def projects_export_cli(*, out: str, campaign_id: int | None = None) -> int:
    """`duban export projects --out FILE.xlsx [--campaign ID]`: every project (the shell's administrator)."""
    qs = Project.objects.all()
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    return projects_export(out, qs)
