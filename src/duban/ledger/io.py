"""`duban import problems` / `duban export problems`: the 问题整改台账 layout of DESIGN §5.

序号, 问题描述, 聚焦领域, 问题来源, 责任单位, 责任人, 整改措施, 整改时限, 整改类型, 整改进展,
状态, 完成时间 — then any extra columns (kept in `Problem.extra` and written back), then
系统编号 (the problem id, written by export so a re-imported file matches exactly).

Import is all or nothing: the whole file is checked first and any error refuses it with
(row, column, message), writing nothing. New rows go through the bulk path
(`services.problems_bulk_insert`: COPY on PostgreSQL, executemany on SQLite) in one
transaction. Rows that match an existing problem (by 系统编号, else by 序号 within the
campaign) are a re-import: `plan_import` returns the changed cells as a diff preview and
nothing is written until it is applied (`apply=True`, the CLI's --apply, the upload page's
"apply" button).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from itertools import repeat
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from duban.audit.services import audit_bulk, user_action
from duban.campaigns.models import Campaign
from duban.core.actors import actor_name, actor_user
from duban.core.dates import DateParseError, parse_date, today
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
from duban.ledger import workflow
from duban.ledger.models import Kind, Problem, ProblemEvent, Status
from duban.ledger.models import Source as ProblemSource
from duban.ledger.search import terms_text
from duban.ledger.services import NewProblem, problems_bulk_insert, problems_bulk_update
from duban.ledger.tally import key_of
from duban.orgs import permissions
from duban.orgs.matching import UnitMatcher
from duban.orgs.models import OrgUnit, Role

ID_COLUMN = "系统编号"
# The columns and the other names offices give them (docs/ledger.md lists the same):
# a header cell matches ignoring spaces, line breaks, stars and notes in brackets.
LAYOUT = [
    Column("序号", required=True, aliases=("编号", "问题序号", "问题编号")),
    Column("问题描述", required=True, aliases=(
        "问题清单", "存在问题", "问题", "问题内容", "具体问题", "问题表现", "主要问题", "问题描述及表现", "反映问题")),
    Column("聚焦领域", aliases=("领域", "方面", "所属领域", "问题领域", "问题类别", "类别")),
    Column("问题来源", aliases=("来源", "问题渠道")),
    Column("责任单位", required=True, aliases=("整改责任单位", "责任部门", "整改单位", "牵头单位", "责任主体")),
    Column("责任人", aliases=("责任领导", "整改责任人", "具体责任人", "负责人", "包案领导")),
    Column("整改措施", aliases=("整改举措", "措施", "具体措施", "整改目标及措施", "整改措施及目标")),
    Column("整改时限", aliases=("完成时限", "时限", "整改期限", "时限要求", "计划完成时间")),
    Column("整改类型", aliases=("整改方式",)),
    Column("整改进展", aliases=("进展情况", "进展", "整改情况", "整改落实情况", "完成情况", "推进情况")),
    Column("状态", aliases=("整改状态", "完成状态")),
    Column("完成时间", aliases=("完成日期", "实际完成时间", "整改完成时间", "销号时间")),
    Column(ID_COLUMN, aliases=("ID", "id")),
]
HEADER = [c.name for c in LAYOUT if c.name != ID_COLUMN]
# Columns offices often add to a 台账: kept as they are (`Problem.extra`), and named in
# English on the English pages.
EXTRA_COLUMN_LABELS = (gettext_noop("方面"), gettext_noop("重点任务"), gettext_noop("具体措施"), gettext_noop("备注"), gettext_noop("牵头单位"))

# File states (DESIGN §5) and, for convenience, the workflow labels themselves.
FILE_STATUS = {
    "未整改": Status.PENDING, "待整改": Status.PENDING, "待认领": Status.PENDING,
    "整改中": Status.IN_PROGRESS, "正在整改": Status.IN_PROGRESS, "申请销号": Status.SUBMITTED, "已退回": Status.RETURNED,
    "退回": Status.RETURNED, "已完成": Status.SIGNED_OFF, "已整改": Status.SIGNED_OFF, "已销号": Status.SIGNED_OFF, "完成": Status.SIGNED_OFF,
}
STATUS_TO_FILE = {
    Status.PENDING: "未整改", Status.IN_PROGRESS: "整改中", Status.SUBMITTED: "整改中",
    Status.RETURNED: "整改中", Status.SIGNED_OFF: "已完成",
}
KIND_BY_LABEL = {str(label): value for value, label in Kind.choices}
SOURCE_BY_LABEL = {str(label): value for value, label in ProblemSource.choices}
SOURCE_BY_LABEL.update({"群众反映": ProblemSource.OPINION, "意见建议": ProblemSource.OPINION, "督查": ProblemSource.INSPECTION, "巡察发现": ProblemSource.INSPECTION})
KIND_LABEL = dict(Kind.choices)
SOURCE_LABEL = dict(ProblemSource.choices)
MAX_ERRORS = 2000
SEQ_MAX = 2_147_483_647  # Problem.seq is a PositiveIntegerField (a 4-byte integer in PostgreSQL)
ID_MAX = 9_223_372_036_854_775_807  # a BigAutoField
OWNER_MAX = Problem._meta.get_field("owner").max_length
# Status changes a re-import may make as workflow steps, by (status before, status in the file):
# the file's 整改中 on a 待认领 problem is 认领; its 已完成 on a submitted one is 销号.
OVERRIDE_NOTE = "推进办更正（导入台账，状态不按流程）"
FILE_TRANSITIONS = {(Status.PENDING, "整改中"): "claim", (Status.SUBMITTED, "已完成"): "sign_off"}
# The cells a re-import compares, in file order: (column, field).
COMPARED = [
    ("问题描述", "description"), ("聚焦领域", "focus_area_id"), ("问题来源", "source"), ("责任单位", "unit_id"),
    ("责任人", "owner"), ("整改措施", "measures"), ("整改时限", "deadline"), ("整改类型", "kind"),
    ("整改进展", "progress"), ("状态", "status"), ("完成时间", "completed_on"),
]


@dataclass
class RowChange:
    row: int
    problem_id: int
    seq: int
    cells: dict[str, tuple[Any, Any]]  # column → (before, after) as people read them
    override: bool = False  # a status change outside the workflow, by the supervising office


@dataclass
class ImportPlan:
    campaign: Campaign
    rows: int
    new: list[NewProblem] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    updates: dict[int, dict[str, Any]] = field(default_factory=dict)  # problem id → field values
    unchanged: int = 0
    applied: bool = False
    sha256: str = ""
    override: bool = False  # the importer asked for the office override (推进办更正)
    skipped: list[SkippedRow] = field(default_factory=list)  # title, 填报, note… rows of the file, with why

    @property
    def created(self) -> int:
        return len(self.new) if self.applied else 0

    @property
    def updated(self) -> int:
        return len(self.changes) if self.applied else 0

    @property
    def overridden(self) -> int:
        return sum(1 for c in self.changes if c.override)

    def summary(self) -> str:
        extra = f"（其中推进办更正状态 {self.overridden} 条）" if self.overridden else ""
        skipped = f"；{describe_skipped(self.skipped)}" if self.skipped else ""
        if self.applied:
            return f"导入完成：新建 {len(self.new)} 条，更新 {len(self.changes)} 条{extra}，未变 {self.unchanged} 条（共 {self.rows} 行）{skipped}"
        return (
            f"预览（未写入）：将新建 {len(self.new)} 条，更新 {len(self.changes)} 条{extra}"
            f"（{sum(len(c.cells) for c in self.changes)} 个单元格），未变 {self.unchanged} 条{skipped}；加 --apply 执行"
        )


class _Rows:
    """The checked rows of a file, column by column (index i is the file's i-th data row)."""

    FIELDS = ("description", "focus_area_id", "source", "unit_id", "owner", "measures", "deadline", "kind", "progress", "status", "completed_on")

    def __init__(self, n: int):
        self.n = n
        self.present: set[str] = set()  # the file's columns: an absent one leaves its field as it is
        self.rownums: list[int] = []
        self.seqs: list[Any] = []
        self.pids: list[int | None] = [None] * n
        self.extras: list[dict[str, Any]] = []
        self.cols: dict[str, list[Any]] = {}

    def values(self, i: int) -> dict[str, Any]:
        return {f: self.cols[f][i] for f in self.FIELDS}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


class _Rights:
    """What the importer may do to each row, by the one permission layer (orgs.scoping)
    and the workflow's own rules (ledger.workflow), remembered per unit.

    A person must be office (推进办) over every unit a row touches: a new row's unit, an
    existing problem's unit and the unit it moves to. Signing off — a new row as 已完成,
    a 销号 step, an office override, changing a signed-off problem's 完成时间 or any
    problem's 整改时限 — takes the supervising side of the workflow (office over the
    supervising unit, never a member of the responsible unit). The system (the CLI, with
    `skip_checks=True`) is the administrator: it skips the person checks, not the workflow.
    """

    def __init__(self, actor, campaign: Campaign, matcher: UnitMatcher, *, skip_checks: bool = False):
        self.user = actor if permissions.checked(actor, skip_checks) else None
        self.campaign = campaign
        self.matcher = matcher
        self._units: dict[int, OrgUnit] = {campaign.unit_id: campaign.unit}
        self._office: dict[int, bool] = {}
        self._supervises: dict[tuple[int, int | None], bool] = {}

    def load(self, unit_ids) -> None:
        missing = {u for u in unit_ids if u is not None and u not in self._units}
        if missing:
            self._units.update(OrgUnit.objects.only("id", "name", "path", "depth", "parent_id").in_bulk(missing))

    def label(self, unit_id: int) -> str:
        ref = self.matcher.by_id.get(unit_id)
        if ref is not None:
            return self.matcher.label(ref)
        self.load([unit_id])
        unit = self._units.get(unit_id)
        return unit.name if unit else str(unit_id)

    def office(self, unit_id: int) -> bool:
        if self.user is None:
            return True
        hit = self._office.get(unit_id)
        if hit is None:
            self.load([unit_id])
            unit = self._units.get(unit_id)
            hit = self._office[unit_id] = unit is not None and permissions.may_act_for(self.user, unit, Role.OFFICE)
        return hit

    def problem(self, unit_id: int, supervisor_id: int | None, status: str) -> Problem:
        """An unsaved Problem carrying what the workflow's rules look at."""
        self.load([unit_id, supervisor_id])
        p = Problem(campaign=self.campaign, unit=self._units[unit_id], status=status)
        if supervisor_id is not None:
            p.supervisor = self._units[supervisor_id]
        return p

    def supervises(self, unit_id: int, supervisor_id: int | None = None) -> bool:
        if self.user is None:
            return True
        key = (unit_id, supervisor_id)
        hit = self._supervises.get(key)
        if hit is None:
            hit = self._supervises[key] = workflow.is_supervisor(self.user, self.problem(unit_id, supervisor_id, Status.PENDING))
        return hit

    def step(self, name: str, *, status: str, unit_id: int, supervisor_id: int | None) -> str | None:
        """Why this workflow step may not be taken here, or None when it may."""
        t = workflow.get(name)
        if self.user is None:
            return None if status in t.sources else f"“{Status(status).label}”状态的问题不能{t.label}"
        try:
            workflow.check(self.user, self.problem(unit_id, supervisor_id, status), name)
        except workflow.TransitionError as exc:
            return str(exc)
        return None


def _resolve_campaign(campaign_id: int | None) -> Campaign:
    qs = Campaign.objects.select_related("unit")
    c = qs.filter(pk=campaign_id).first() if campaign_id else qs.filter(is_active=True).order_by("-start_date", "-id").first()
    if c is None:
        raise ImportRejected([CellError(0, "", "找不到活动：请先建立活动，或用 --campaign 指定活动编号")])
    return c


def _txt(value: Any) -> str:
    return value if value.__class__ is str else text(value)


# Where each column's checks come in a row's error list (the order of the checks).
_ERROR_ORDER = {"序号": 0, "问题描述": 1, "责任单位": 2, "聚焦领域": 3, "问题来源": 4, "责任人": 5, "整改时限": 6, "完成时间": 7, "整改类型": 8,
                "状态": 10, ID_COLUMN: 11}


def plan_import(
    *, source: Source, campaign: Campaign, actor, override: bool = False, units=None, max_bytes: int | None = None,
    visible_ids=None, skip_checks: bool = False,
) -> ImportPlan:
    """Read and check the whole file; return what applying it would do. Writes nothing.

    `actor` is the importer: a person is checked row by row (see `_Rights`); the system
    (a SystemActor such as the CLI's) only with `skip_checks=True`. `override` asks for the office override: status
    changes outside the workflow, allowed only where the importer supervises the row.
    `units` restricts the 责任单位 names to a queryset (a user's visible units);
    `visible_ids(ids) -> set` restricts which existing problems a re-import may change.

    The checks run column by column with a cache per column (a unit name, a date string, an
    area is looked at once, not once per row); errors are then put back in row order, each
    row's in the order of the checks, and the first MAX_ERRORS reported.
    """
    limit = max_bytes or settings.DUBAN_MAX_IMPORT_BYTES
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise ImportRejected([CellError(0, "", f"找不到文件 {path}")])
        if path.stat().st_size > limit:
            raise ImportRejected([CellError(0, "", f"文件过大（{path.stat().st_size / 1048576:.1f} MB），上限 {limit // 1048576} MB")])
        data = path.read_bytes()
    elif isinstance(source, bytes):
        data = source
    else:
        data = source.read(limit + 1)
    table = read_table(data, LAYOUT, max_bytes=limit)
    plan = ImportPlan(campaign=campaign, rows=len(table.rows), sha256=hashlib.sha256(data or b"").hexdigest(), override=override,
                      skipped=table.skipped)
    matcher = UnitMatcher(units)
    rights = _Rights(actor, campaign, matcher, skip_checks=skip_checks)
    areas = {a.name: a.pk for a in campaign.focus_areas.all()}
    rows = _Rows(len(table.rows))
    rows.present = set(table.columns)
    rows.rownums = [r for r, _ in table.rows]
    rownums = rows.rownums
    errors: list[tuple[int, int, CellError]] = []
    counts: Counter[str] = Counter()

    def err(i: int, col: str, msg: str, order: int | None = None) -> None:
        if counts[col] < MAX_ERRORS:  # a column's later errors can never be among the first MAX_ERRORS
            counts[col] += 1
            errors.append((rownums[i], _ERROR_ORDER[col] if order is None else order, CellError(rownums[i], col, msg)))

    def column(name: str) -> list[Any]:
        """The column's cells, strings stripped and blanks as None (Table.get, for all rows at once)."""
        i = table.columns.get(name)
        if i is None:
            return [None] * rows.n
        out = []
        append = out.append
        for _, cells in table.rows:
            v = cells[i] if i < len(cells) else None
            if v.__class__ is str:
                v = v.strip() or None
            append(v)
        return out

    # 序号: positive, unique in the file.
    seq_rows: dict[int, int] = {}
    seqs = []
    for i, raw in enumerate(column("序号")):
        if raw is None:
            err(i, "序号", "不能为空")
            seqs.append(None)
            continue
        seq = int(raw) if raw.__class__ is float and raw.is_integer() else _int(raw)
        if seq is None or seq < 1:
            err(i, "序号", f"序号应为正整数，而不是“{text(raw)}”")
            seq = None
        elif seq > SEQ_MAX:
            err(i, "序号", f"序号 {seq} 太大，应为 1 到 {SEQ_MAX} 之间的整数")
            seq = None
        elif seq in seq_rows:
            err(i, "序号", f"序号 {seq} 与第{seq_rows[seq]}行重复")
        else:
            seq_rows[seq] = rownums[i]
        seqs.append(seq)
    rows.seqs = seqs

    descriptions = column("问题描述")
    for i, v in enumerate(descriptions):
        if v is None:
            err(i, "问题描述", "不能为空")
        elif v.__class__ is not str:
            descriptions[i] = text(v)

    def mapped(name: str, lookup, message, default=None, required: bool = False) -> list[Any]:
        """Map a column through `lookup(text) -> value | None | _Bad` once per distinct cell."""
        cache: dict[Any, Any] = {}
        out = []
        append = out.append
        for i, raw in enumerate(column(name)):
            if raw is None:
                if required:
                    err(i, name, "不能为空")
                append(default)
                continue
            hit = cache.get(raw, cache)
            if hit is cache:
                hit = cache[raw] = lookup(_txt(raw))
            if hit is None or hit.__class__ is _Bad:
                err(i, name, message(raw) if hit is None else hit.message)
                append(None)
            else:
                append(hit)
        return out

    def resolve_unit(name: str):
        r = matcher.resolve(name)
        return _Bad(r) if isinstance(r, str) else r

    unit_ids = mapped("责任单位", resolve_unit, None, required=True)
    area_names = "、".join(areas) or "（无）"
    area_ids = mapped("聚焦领域", areas.get, lambda raw: f"未知聚焦领域“{text(raw)}”；本活动的领域：{area_names}")
    source_names = "、".join(str(v) for v in SOURCE_LABEL.values())
    sources = mapped("问题来源", SOURCE_BY_LABEL.get, lambda raw: f"未知问题来源“{text(raw)}”；可用：{source_names}", default=ProblemSource.SELF_CHECK)

    def dates(name: str) -> list[Any]:
        cache: dict[Any, Any] = {}
        out = []
        for i, raw in enumerate(column(name)):
            if raw is None:
                out.append(None)
                continue
            if raw.__class__ is dt.date:
                out.append(raw)
                continue
            if raw.__class__ is dt.datetime:
                out.append(raw.date())
                continue
            hit = cache.get(raw, cache)
            if hit is cache:
                try:
                    hit = cache[raw] = parse_date(raw)
                except DateParseError as exc:
                    hit = cache[raw] = _Bad(str(exc))
            if hit.__class__ is _Bad:
                err(i, name, hit.message)
                out.append(None)
            else:
                out.append(hit)
        return out

    deadlines = dates("整改时限")
    completed = dates("完成时间")
    kinds = []
    for i, raw in enumerate(column("整改类型")):
        if raw is None:
            kinds.append(Kind.DEADLINE if deadlines[i] else Kind.LONG_TERM)
            continue
        kind = KIND_BY_LABEL.get(_txt(raw))
        if kind is None:
            err(i, "整改类型", f"未知整改类型“{text(raw)}”；可用：立行立改、限期整改、长期坚持")
        elif kind == Kind.DEADLINE and deadlines[i] is None:
            err(i, "整改时限", "限期整改的问题需要填写整改时限", order=9)
        kinds.append(kind)
    statuses = mapped("状态", FILE_STATUS.get, lambda raw: f"未知状态“{text(raw)}”；可用：未整改、整改中、已完成", default=Status.PENDING)
    # One rule for 按期: a signed-off problem is on time when its 完成时间 is on or before its
    # 整改时限, so 已完成 needs the date (an unknown date would count as late in the figures).
    completed_raw = column("完成时间")
    now = today()
    for i, status in enumerate(statuses):
        if status == Status.SIGNED_OFF and completed_raw[i] is None:
            err(i, "完成时间", "状态为“已完成”时需要填写完成时间（用于计算按期完成率）")
        elif completed[i] is not None and completed[i] > now:
            err(i, "完成时间", f"完成时间 {completed[i].isoformat()} 晚于今天")
    for i, raw in enumerate(column("责任人")):
        if raw is not None and len(_txt(raw)) > OWNER_MAX:
            err(i, "责任人", f"超过 {OWNER_MAX} 字")
    if rights.user is not None:
        _check_units(rights, unit_ids, err)
    if ID_COLUMN in table.columns:
        for i, raw in enumerate(column(ID_COLUMN)):
            if raw is not None:
                pid = _int(raw)
                if pid is None or not 1 <= pid <= ID_MAX:
                    err(i, ID_COLUMN, f"系统编号应为导出时生成的正整数，而不是“{text(raw)}”")
                    pid = None
                rows.pids[i] = pid
    if errors:
        errors.sort(key=lambda e: (e[0], e[1]))
        raise ImportRejected([e for _, _, e in errors[:MAX_ERRORS]])

    def plain(name: str) -> list[str]:
        return [v if v.__class__ is str else text(v or "") for v in column(name)]

    rows.cols = {
        "description": descriptions, "focus_area_id": area_ids, "source": sources, "unit_id": unit_ids,
        "owner": plain("责任人"), "measures": plain("整改措施"), "deadline": deadlines, "kind": kinds,
        "progress": plain("整改进展"), "status": statuses, "completed_on": completed,
    }
    rows.extras = [table.extra_values(cells) for _, cells in table.rows] if table.extras else [{} for _ in range(rows.n)]
    _match(plan, rows, campaign, matcher, visible_ids, rights)
    return plan


def _check_units(rights: _Rights, unit_ids: list[Any], err) -> None:
    """Every row's 责任单位 must be a unit the person is office over."""
    distinct = set(unit_ids) - {None}
    rights.load(distinct)
    allowed = {u: rights.office(u) for u in distinct}
    for i, u in enumerate(unit_ids):
        if u is not None and not allowed[u]:
            err(i, "责任单位", f"您不是“{rights.label(u)}”或其上级单位的推进办，不能导入该单位的问题")


_NEW_PROBLEM_ARGS = ("seq", "description", "unit_id", "region_id", "focus_area_id", "source", "owner", "supervisor_id", "measures",
                     "deadline", "kind", "progress", "status", "completed_on", "extra")
if tuple(f.name for f in dataclass_fields(NewProblem))[: len(_NEW_PROBLEM_ARGS)] == _NEW_PROBLEM_ARGS:
    _new_problem = NewProblem  # positional: the fastest way to make 270,000 of them
else:  # pragma: no cover - NewProblem's fields were reordered: stay correct
    def _new_problem(*args):
        return NewProblem(**dict(zip(_NEW_PROBLEM_ARGS, args, strict=True)))


class _Bad:
    """A cached lookup that failed, with its message."""

    __slots__ = ("message",)

    def __init__(self, message: str):
        self.message = message


def _match(plan: ImportPlan, rows: _Rows, campaign: Campaign, matcher: UnitMatcher, visible_ids, rights: _Rights) -> None:
    existing_seq = dict(Problem.objects.filter(campaign=campaign).values_list("seq", "id"))
    errors: list[CellError] = []
    pids = rows.pids
    id_rows = [i for i in range(rows.n) if pids[i] is not None]
    known_ids: set[int] = set()
    if id_rows:
        known_ids = set(Problem.objects.filter(campaign=campaign, pk__in=[pids[i] for i in id_rows]).values_list("id", flat=True))
    targets: dict[int, int] = {}  # problem id → row index
    unit_ids = rows.cols["unit_id"]
    if rows.n > len(existing_seq):
        regions = dict(OrgUnit.objects.values_list("id", "region_id"))
    else:
        regions = dict(OrgUnit.objects.filter(pk__in=set(unit_ids)).values_list("id", "region_id"))
    new: list[int] = []
    seqs = rows.seqs
    if not id_rows and not existing_seq:
        new = list(range(rows.n))  # a fresh ledger: every row is new
    else:
        for i in range(rows.n):
            pid, seq = pids[i], seqs[i]
            if pid is not None:
                if pid not in known_ids:
                    errors.append(CellError(rows.rownums[i], ID_COLUMN, f"系统编号 {pid} 不属于本活动的台账"))
                    continue
                other = existing_seq.get(seq)
                if other is not None and other != pid:
                    errors.append(CellError(rows.rownums[i], "序号", f"序号 {seq} 已被另一条问题使用（系统编号 {other}）"))
                    continue
                targets[pid] = i
            elif seq in existing_seq:
                targets[existing_seq[seq]] = i
            else:
                new.append(i)
    c = rows.cols
    get_region = regions.get
    if len(new) == rows.n:
        plan.new = list(map(
            _new_problem, seqs, c["description"], unit_ids, map(get_region, unit_ids), c["focus_area_id"], c["source"], c["owner"],
            repeat(None), c["measures"], c["deadline"], c["kind"], c["progress"], c["status"], c["completed_on"], rows.extras,
        ))
    else:
        plan.new = [
            _new_problem(seqs[i], c["description"][i], unit_ids[i], get_region(unit_ids[i]), c["focus_area_id"][i], c["source"][i],
                       c["owner"][i], None, c["measures"][i], c["deadline"][i], c["kind"][i], c["progress"][i], c["status"][i],
                       c["completed_on"][i], rows.extras[i])
            for i in new
        ]
    if rights.user is not None:
        for i in new:  # a new row arriving past the responsible unit's own steps
            if c["status"][i] in (Status.SUBMITTED, Status.RETURNED, Status.SIGNED_OFF) and not rights.supervises(unit_ids[i]):
                errors.append(CellError(rows.rownums[i], "状态", f"“{_status_label(c['status'][i])}”只能由督办单位（推进办）导入，"
                                        f"且不能是责任单位“{rights.label(unit_ids[i])}”本身"))
    if targets and visible_ids is not None:
        allowed = visible_ids(list(targets))
        for pid, i in targets.items():
            if pid not in allowed:
                errors.append(CellError(rows.rownums[i], "序号", f"序号 {seqs[i]} 的问题不在您的管理范围内"))
    if errors:
        raise ImportRejected(errors)
    if not targets:
        return
    fields = [f for _, f in COMPARED] + ["id", "seq", "extra", "supervisor_id"]
    names = _unit_labels(matcher)
    areas = dict(campaign.focus_areas.values_list("id", "name"))
    ids = list(targets)
    for start in range(0, len(ids), 5000):
        batch = list(Problem.objects.filter(pk__in=ids[start : start + 5000]).values(*fields))
        if rights.user is not None:
            rights.load({cur["unit_id"] for cur in batch} | {cur["supervisor_id"] for cur in batch})
        for cur in batch:
            i = targets[cur["id"]]
            values, extra, seq = rows.values(i), rows.extras[i], seqs[i]
            cells: dict[str, tuple[Any, Any]] = {}
            update: dict[str, Any] = {}
            row_errors = _row_changes(cur, values, rows.present, rights, plan.override, cells, update)
            if row_errors:
                errors += [CellError(rows.rownums[i], col, msg) for col, msg in row_errors]
                continue
            cells = {col: (_show(f, cells[col][0], names, areas), _show(f, cells[col][1], names, areas)) for col, f in COMPARED if col in cells}
            override = update.pop("_override", False)
            if seq != cur["seq"]:
                cells["序号"] = (cur["seq"], seq)
                update["seq"] = seq
            if extra and {**cur["extra"], **extra} != cur["extra"]:
                for k, v in extra.items():
                    if cur["extra"].get(k) != v:
                        cells[k] = (cur["extra"].get(k), v)
                update["extra"] = {**cur["extra"], **extra}
            if cells:
                plan.changes.append(RowChange(rows.rownums[i], cur["id"], seq, cells, override=override))
                plan.updates[cur["id"]] = update
            else:
                plan.unchanged += 1
    if errors:
        errors.sort(key=lambda e: e.row)
        raise ImportRejected(errors[:MAX_ERRORS])
    plan.changes.sort(key=lambda c: c.row)


def status_words() -> list[dict[str, Any]]:
    """How the 状态 words of a file map to the ledger's states, for the import page: per
    state, the words read as it (the DESIGN §5 word first) and the word an export writes."""
    out = []
    for status, label in Status.choices:
        written = _status_label(status)
        read = sorted((w for w, s in FILE_STATUS.items() if s == status), key=lambda w: w != written)
        out.append({"status": status, "label": label, "read": read, "written": written})
    return out


def _status_label(status: str) -> str:
    return STATUS_TO_FILE[status] if status in (Status.PENDING, Status.SIGNED_OFF) else str(Status(status).label)


def _row_changes(cur: dict[str, Any], values: dict[str, Any], present: set[str], rights: _Rights, override: bool,
                 cells: dict[str, tuple[Any, Any]], update: dict[str, Any]) -> list[tuple[str, str]]:
    """Fill `cells` (column → (before, after)) and `update` (field → value) for one matched
    problem; return (column, message) for what this importer may not change."""
    errors: list[tuple[str, str]] = []
    unit_id, sup_id, status = cur["unit_id"], cur["supervisor_id"], cur["status"]
    if not rights.office(unit_id):
        return [("序号", f"序号 {cur['seq']} 的问题属于“{rights.label(unit_id)}”，不在您推进办管理的范围内")]
    for col, f in COMPARED:
        if col not in present or f in ("status", "completed_on"):
            continue
        before, after = cur[f], values[f]
        if before == after:
            continue
        if f == "deadline" and not rights.supervises(unit_id, sup_id):
            # moving a deadline is approving an extension: the supervising side's step
            errors.append((col, "整改时限的变更须由督办单位（推进办）同意延期，且不能是责任单位本身；请在系统中申请延期"))
            continue
        cells[col] = (before, after)
        update[f] = after
    final = status
    if "状态" in present and STATUS_TO_FILE[status] != STATUS_TO_FILE[values["status"]]:
        label_after = STATUS_TO_FILE[values["status"]]
        step = FILE_TRANSITIONS.get((status, label_after))
        why = rights.step(step, status=status, unit_id=unit_id, supervisor_id=sup_id) if step else None
        if step and why is None:
            final = workflow.get(step).target
        elif override and rights.supervises(unit_id, sup_id):
            final = values["status"]
            update["_override"] = True
        else:
            how = "请在系统中办理，或由督办单位（推进办）勾选“推进办更正”后导入"
            errors.append(("状态", f"状态不能从“{STATUS_TO_FILE[status]}”改为“{label_after}”：{why or '台账流程中没有这一步（认领→申请销号并附佐证→销号）'}；{how}"))
        if final != status:
            cells["状态"] = (status, final)
            update["status"] = final
    if final == Status.SIGNED_OFF:
        after = values["completed_on"]
        if "完成时间" in present and after is not None and after != cur["completed_on"]:
            if status == Status.SIGNED_OFF and not rights.supervises(unit_id, sup_id):
                errors.append(("完成时间", "已销号问题的完成时间只能由督办单位（推进办）修改，且不能是责任单位本身"))
            else:
                cells["完成时间"] = (cur["completed_on"], after)
                update["completed_on"] = after
    elif cur["completed_on"] is not None and status == Status.SIGNED_OFF:
        cells["完成时间"] = (cur["completed_on"], None)  # reopened by the override: no longer completed
        update["completed_on"] = None
    return errors


def unit_labels(units: dict[int, tuple[str, int | None]]) -> dict[int, str]:
    """The shortest name that UnitMatcher resolves to each unit: "一村", else "平安镇/一村",
    else "洮北区/平安镇/一村". `units` maps id → (name, parent_id)."""
    def chain(pk: int, n: int) -> tuple[str, ...]:
        names: list[str] = []
        cur: int | None = pk
        while cur is not None and len(names) < n:
            name, parent = units[cur]
            names.append(name)
            cur = parent if parent in units else None
        return tuple(reversed(names))

    labels: dict[int, str] = {}
    pending = list(units)
    for depth in (1, 2, 3, 4):
        keys = {pk: chain(pk, depth) for pk in pending}
        counts = Counter(keys.values())
        rest = []
        for pk in pending:
            if counts[keys[pk]] == 1 or depth == 4:
                labels[pk] = "/".join(keys[pk])
            else:
                rest.append(pk)
        pending = rest
    return labels


def _unit_labels(matcher: UnitMatcher) -> dict[int, str]:
    return unit_labels({pk: (ref.name, ref.parent_id) for pk, ref in matcher.by_id.items()})


def _show(f: str, value: Any, units: dict[int, str], areas: dict[int, str]) -> Any:
    if value is None or value == "":
        return ""
    if f == "unit_id":
        return units.get(value, value)
    if f == "focus_area_id":
        return areas.get(value, value)
    if f == "status":
        return STATUS_TO_FILE.get(value, value)
    if f == "kind":
        return str(KIND_LABEL.get(value, value))
    if f == "source":
        return str(SOURCE_LABEL.get(value, value))
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def apply_plan(*, actor, plan: ImportPlan, note: str = "导入问题整改台账") -> ImportPlan:
    """Write a checked plan: new rows by the bulk path, changed rows one audit row each."""
    with user_action(), transaction.atomic():
        with bulk_load_indexes(len(plan.new)):
            problems_bulk_insert(actor=actor, campaign=plan.campaign, rows=plan.new, note=f"{note}（sha256 {plan.sha256[:12]}）")
        if plan.updates:
            _apply_updates(actor, plan)
    plan.applied = True
    return plan


# A load rebuilds the ledger's secondary indexes when it brings at least this many rows and
# more rows than the table already holds (a first import, a new county's ledger).
BULK_INDEX_MIN_ROWS = 20_000


def _secondary_indexes(cur, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the plain indexes of `table`: not the primary key, not
    those behind unique constraints (they keep checking the rows as they arrive)."""
    if connection.vendor == "postgresql":
        cur.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.schemaname = current_schema() AND i.tablename = %s "
            "AND NOT x.indisunique AND NOT x.indisprimary ORDER BY i.indexname",
            [table],
        )
    else:
        cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s AND sql IS NOT NULL "
            "AND upper(sql) NOT LIKE 'CREATE UNIQUE%%' ORDER BY name",
            [table],
        )
    return list(cur.fetchall())


@contextmanager
def bulk_load_indexes(new_rows: int):
    """Around a bulk insert inside the import's transaction.

    When the load is big (≥ BULK_INDEX_MIN_ROWS) and larger than the table, the plain
    secondary indexes (PostgreSQL: also the GIN search index) are dropped before the rows
    go in and built again from the finished table afterwards: one sort per index instead
    of 270,000 random B-tree/GIN insertions. On PostgreSQL the foreign keys are dropped and
    added back the same way: adding one checks all rows with one join instead of one
    trigger query per row and key (≈4 s for 270,000 rows). DDL is transactional on both
    databases, so the import stays all or nothing (a bad reference fails the re-added key
    and rolls everything back) and indexes and keys are complete at commit; the price is
    that other sessions wait on the table until the import commits (DROP INDEX takes an
    exclusive lock), which is why it is kept to loads that at least double the table.
    A big load is followed by ANALYZE, so the planner sees the new rows at once
    (PostgreSQL's autovacuum may be late or off; SQLite has no statistics until asked).
    """
    table = Problem._meta.db_table
    if new_rows < BULK_INDEX_MIN_ROWS or connection.vendor not in ("postgresql", "sqlite"):
        yield
        return
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT %s) t", [new_rows])  # noqa: S608 - our table
        existing = cur.fetchone()[0]
        indexes = _secondary_indexes(cur, table) if existing < new_rows else []
        keys: list[tuple[str, str]] = []
        if indexes and pg:
            cur.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname", [table])
            keys = list(cur.fetchall())
            for name, _ddl in keys:
                cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ddl in indexes:
            cur.execute(f'DROP INDEX "{name}"')
    yield
    with connection.cursor() as cur:
        if indexes and pg:
            cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, ddl in indexes:
            cur.execute(ddl)
        for name, ddl in keys:
            cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}')
        if new_rows * 10 >= existing:
            cur.execute(f"ANALYZE {table}")  # SQLite keeps no statistics until asked, either


def _apply_updates(actor, plan: ImportPlan) -> None:
    now = timezone.now()
    regions = dict(OrgUnit.objects.values_list("id", "region_id"))
    problems = list(Problem.objects.select_for_update(of=("self",)).filter(pk__in=list(plan.updates)))
    changed_fields: set[str] = {"updated_at"}
    events = []
    before_keys = {p.pk: key_of(p) for p in problems}
    overridden = {c.problem_id for c in plan.changes if c.override}
    for p in problems:
        upd = plan.updates[p.pk]
        before_status = p.status
        for f, v in upd.items():
            setattr(p, f, v)
            changed_fields.add(f)
        if "unit_id" in upd:
            p.region_id = regions.get(p.unit_id)
            changed_fields.add("region_id")
        if "description" in upd:
            p.search_terms = terms_text(p.description)
            changed_fields.add("search_terms")
        if "status" in upd and p.status == Status.SIGNED_OFF and p.completed_on is None:
            p.completed_on = now.date()
            changed_fields.add("completed_on")
        p.updated_at = now
        override = p.pk in overridden
        events.append(ProblemEvent(problem=p, at=now, actor=actor_user(actor),
                                   actor_name=actor_name(actor),
                                   action="import_override" if override else "import_update", from_status=before_status,
                                   to_status=p.status, note=OVERRIDE_NOTE if override else "重新导入台账更新"))
    names = [f[:-3] if f.endswith("_id") else f for f in changed_fields]
    problems_bulk_update(problems=problems, fields=names, before_keys=before_keys)
    ProblemEvent.objects.bulk_create(events, batch_size=2000)
    by_id = {c.problem_id: c for c in plan.changes}

    def changes_of(p):
        return {k: list(v) for k, v in by_id[p.pk].cells.items()}

    plain = [p for p in problems if p.pk not in overridden]
    if plain:
        audit_bulk(actor=actor, verb="problem.import_update", objects=plain, changes_of=changes_of, note="重新导入台账")
    if overridden:
        # an override is audited as one: its own verb, so the trail can list every such change
        audit_bulk(actor=actor, verb="problem.import_override", objects=[p for p in problems if p.pk in overridden],
                   changes_of=changes_of, note=OVERRIDE_NOTE)


def problems_import(
    *, actor, source: Source, campaign: Campaign, apply: bool = False, override: bool = False, units=None, max_bytes: int | None = None,
    visible_ids=None, skip_checks: bool = False,
) -> ImportPlan:
    """Check the file, then write it: a fresh ledger at once; a re-import only with apply=True."""
    plan = plan_import(source=source, campaign=campaign, actor=actor, override=override, units=units, max_bytes=max_bytes, visible_ids=visible_ids,
                       skip_checks=skip_checks)
    if plan.changes and not apply:
        return plan
    return apply_plan(actor=actor, plan=plan)


def problems_import_cli(
    *, actor, source: Source, campaign_id: int | None = None, apply: bool = False, override: bool = False, stdout=None,
    skip_checks: bool = False,
) -> ImportPlan:
    campaign = _resolve_campaign(campaign_id)
    plan = problems_import(actor=actor, source=source, campaign=campaign, apply=apply, override=override, skip_checks=skip_checks)
    if stdout is not None and not plan.applied:
        for c in plan.changes[:100]:
            cells = "；".join(f"{k}：{b or '（空）'} → {a or '（空）'}" for k, (b, a) in c.cells.items())
            stdout.write(f"第{c.row}行 序号{c.seq}{'（推进办更正）' if c.override else ''}：{cells}")
        if len(plan.changes) > 100:
            stdout.write(f"……另有 {len(plan.changes) - 100} 行有变化")
    return plan


# --------------------------------------------------------------------------- export

def export_rows(qs, *, extras: list[str] | None = None) -> tuple[list[str], Iterator[list[Any]]]:
    """Header and a row generator for problems in `qs` (streamed from the database)."""
    labels = unit_labels({pk: (name, parent) for pk, name, parent in OrgUnit.objects.values_list("id", "name", "parent_id")})
    from duban.campaigns.models import FocusArea

    areas = dict(FocusArea.objects.values_list("id", "name"))
    if extras is None:
        keys: dict[str, None] = {}
        for extra in qs.exclude(extra={}).values_list("extra", flat=True).iterator(chunk_size=5000):
            keys.update(dict.fromkeys(extra))
        extras = list(keys)
    header = HEADER + extras + [ID_COLUMN]
    cols = ("id", "seq", "description", "focus_area_id", "source", "unit_id", "owner", "measures", "deadline", "kind", "progress", "status", "completed_on", "extra")
    kinds = {k: str(v) for k, v in KIND_LABEL.items()}
    sources = {k: str(v) for k, v in SOURCE_LABEL.items()}

    def rows():
        for (pid, seq, desc, area, src, unit, owner, measures, deadline, kind, progress, status, completed, extra) in qs.order_by("seq").values_list(*cols).iterator(chunk_size=5000):
            row = [seq, desc, areas.get(area, ""), sources.get(src, src), labels.get(unit, ""), owner, measures, deadline,
                   kinds.get(kind, kind), progress, STATUS_TO_FILE[status], completed]
            if extras:
                row.extend(extra.get(k) for k in extras)
            row.append(pid)
            yield row

    return header, rows()


def problems_export(target: str | Path | IO[bytes], qs) -> int:
    check_export_size(qs.count())
    header, rows = export_rows(qs)
    return write_table(target, header, rows, sheet="问题整改台账")


def problems_export_cli(*, out: str, campaign_id: int | None = None) -> int:
    qs = Problem.objects.all()
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    return problems_export(out, qs)
