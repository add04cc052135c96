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
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from duban.audit.services import audit_bulk, user_action
from duban.campaigns.models import Campaign
from duban.core.dates import DateParseError, parse_date
from duban.core.xlsx import CellError, Column, ImportRejected, Source, read_table, text, write_table
from duban.ledger.models import Kind, Problem, ProblemEvent, Status
from duban.ledger.models import Source as ProblemSource
from duban.ledger.search import terms_text
from duban.ledger.services import NewProblem, problems_bulk_insert, problems_bulk_update
from duban.ledger.tally import key_of
from duban.orgs.matching import UnitMatcher
from duban.orgs.models import OrgUnit

ID_COLUMN = "系统编号"
LAYOUT = [
    Column("序号", required=True, aliases=("编号",)),
    Column("问题描述", required=True, aliases=("问题", "问题内容", "存在问题")),
    Column("聚焦领域", aliases=("领域", "方面", "问题类别")),
    Column("问题来源", aliases=("来源",)),
    Column("责任单位", required=True),
    Column("责任人"),
    Column("整改措施", aliases=("措施",)),
    Column("整改时限", aliases=("完成时限", "时限")),
    Column("整改类型"),
    Column("整改进展", aliases=("进展情况", "进展")),
    Column("状态", aliases=("整改状态",)),
    Column("完成时间", aliases=("完成日期",)),
    Column(ID_COLUMN, aliases=("ID", "id")),
]
HEADER = [c.name for c in LAYOUT if c.name != ID_COLUMN]

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

    @property
    def created(self) -> int:
        return len(self.new) if self.applied else 0

    @property
    def updated(self) -> int:
        return len(self.changes) if self.applied else 0

    def summary(self) -> str:
        if self.applied:
            return f"导入完成：新建 {len(self.new)} 条，更新 {len(self.changes)} 条，未变 {self.unchanged} 条（共 {self.rows} 行）"
        return (
            f"预览（未写入）：将新建 {len(self.new)} 条，更新 {len(self.changes)} 条"
            f"（{sum(len(c.cells) for c in self.changes)} 个单元格），未变 {self.unchanged} 条；加 --apply 执行"
        )


@dataclass
class _Row:
    rownum: int
    seq: int
    pid: int | None
    values: dict[str, Any]
    extra: dict[str, Any]


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


def _resolve_campaign(campaign_id: int | None) -> Campaign:
    qs = Campaign.objects.select_related("unit")
    c = qs.filter(pk=campaign_id).first() if campaign_id else qs.filter(is_active=True).order_by("-start_date", "-id").first()
    if c is None:
        raise ImportRejected([CellError(0, "", "找不到活动：请先建立活动，或用 --campaign 指定活动编号")])
    return c


def plan_import(
    *, source: Source, campaign: Campaign, units=None, max_bytes: int | None = None, visible_ids=None
) -> ImportPlan:
    """Read and check the whole file; return what applying it would do. Writes nothing.

    `units` restricts the 责任单位 names to a queryset (a user's visible units);
    `visible_ids(ids) -> set` restricts which existing problems a re-import may change.
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
    plan = ImportPlan(campaign=campaign, rows=len(table.rows), sha256=hashlib.sha256(data or b"").hexdigest())
    matcher = UnitMatcher(units)
    areas = {a.name: a.pk for a in campaign.focus_areas.all()}
    errors: list[CellError] = []
    parsed: list[_Row] = []
    seq_rows: dict[int, int] = {}
    idx = table.columns
    has_extras = bool(table.extras)
    positions = {c.name: idx.get(c.name) for c in LAYOUT}

    def get(cells: list[Any], name: str) -> Any:  # Table.get, inlined for 270,000-row files
        i = positions[name]
        if i is None or i >= len(cells):
            return None
        value = cells[i]
        if value.__class__ is str:
            value = value.strip()
            return value or None
        return value

    def txt(value: Any) -> str:
        return value if value.__class__ is str else text(value)

    def err(rownum, col, msg):
        if len(errors) < MAX_ERRORS:
            errors.append(CellError(rownum, col, msg))

    for rownum, cells in table.rows:
        seq_raw = get(cells, "序号")
        seq = _int(seq_raw) if seq_raw is not None else None
        if seq_raw is None:
            err(rownum, "序号", "不能为空")
        elif seq is None or seq < 1:
            err(rownum, "序号", f"序号应为正整数，而不是“{text(seq_raw)}”")
            seq = None
        elif seq in seq_rows:
            err(rownum, "序号", f"序号 {seq} 与第{seq_rows[seq]}行重复")
        else:
            seq_rows[seq] = rownum
        desc = get(cells, "问题描述")
        if desc is None:
            err(rownum, "问题描述", "不能为空")
        unit_text = get(cells, "责任单位")
        unit_id = None
        if unit_text is None:
            err(rownum, "责任单位", "不能为空")
        else:
            resolved = matcher.resolve(txt(unit_text))
            if isinstance(resolved, str):
                err(rownum, "责任单位", resolved)
            else:
                unit_id = resolved
        area_id = None
        area_text = get(cells, "聚焦领域")
        if area_text is not None:
            area_id = areas.get(txt(area_text))
            if area_id is None:
                err(rownum, "聚焦领域", f"未知聚焦领域“{text(area_text)}”；本活动的领域：{'、'.join(areas) or '（无）'}")
        src = ProblemSource.SELF_CHECK
        src_text = get(cells, "问题来源")
        if src_text is not None:
            src = SOURCE_BY_LABEL.get(txt(src_text))
            if src is None:
                err(rownum, "问题来源", f"未知问题来源“{text(src_text)}”；可用：{'、'.join(str(v) for v in SOURCE_LABEL.values())}")
        deadline = completed = None
        for col in ("整改时限", "完成时间"):
            raw = get(cells, col)
            if raw is None:
                continue
            if raw.__class__ is dt.date:
                value = raw
            elif raw.__class__ is dt.datetime:
                value = raw.date()
            else:
                try:
                    value = parse_date(raw)
                except DateParseError as exc:
                    err(rownum, col, str(exc))
                    continue
            if col == "整改时限":
                deadline = value
            else:
                completed = value
        kind_text = get(cells, "整改类型")
        if kind_text is None:
            kind = Kind.DEADLINE if deadline else Kind.LONG_TERM
        else:
            kind = KIND_BY_LABEL.get(txt(kind_text))
            if kind is None:
                err(rownum, "整改类型", f"未知整改类型“{text(kind_text)}”；可用：立行立改、限期整改、长期坚持")
            elif kind == Kind.DEADLINE and deadline is None:
                err(rownum, "整改时限", "限期整改的问题需要填写整改时限")
        status_text = get(cells, "状态")
        status = Status.PENDING
        if status_text is not None:
            status = FILE_STATUS.get(txt(status_text))
            if status is None:
                err(rownum, "状态", f"未知状态“{text(status_text)}”；可用：未整改、整改中、已完成")
        pid = None
        if ID_COLUMN in idx:
            raw_id = get(cells, ID_COLUMN)
            if raw_id is not None:
                pid = _int(raw_id)
                if pid is None:
                    err(rownum, ID_COLUMN, f"系统编号应为数字，而不是“{text(raw_id)}”")
        if seq is None or desc is None or unit_id is None:
            continue
        parsed.append(_Row(rownum, seq, pid, {
            "description": txt(desc), "focus_area_id": area_id, "source": src, "unit_id": unit_id,
            "owner": txt(get(cells, "责任人") or ""), "measures": txt(get(cells, "整改措施") or ""), "deadline": deadline,
            "kind": kind, "progress": txt(get(cells, "整改进展") or ""), "status": status, "completed_on": completed,
        }, table.extra_values(cells) if has_extras else {}))
    if errors:
        raise ImportRejected(errors)
    _match(plan, parsed, campaign, matcher, visible_ids)
    return plan


def _match(plan: ImportPlan, parsed: list[_Row], campaign: Campaign, matcher: UnitMatcher, visible_ids) -> None:
    existing_seq = dict(Problem.objects.filter(campaign=campaign).values_list("seq", "id"))
    errors: list[CellError] = []
    id_rows = [r for r in parsed if r.pid is not None]
    known_ids: set[int] = set()
    if id_rows:
        known_ids = set(Problem.objects.filter(campaign=campaign, pk__in=[r.pid for r in id_rows]).values_list("id", flat=True))
    targets: dict[int, _Row] = {}
    regions = dict(OrgUnit.objects.values_list("id", "region_id")) if len(parsed) > len(existing_seq) else {}
    if not regions:
        regions = dict(OrgUnit.objects.filter(pk__in={r.values["unit_id"] for r in parsed}).values_list("id", "region_id"))
    for r in parsed:
        if r.pid is not None:
            if r.pid not in known_ids:
                errors.append(CellError(r.rownum, ID_COLUMN, f"系统编号 {r.pid} 不属于本活动的台账"))
                continue
            other = existing_seq.get(r.seq)
            if other is not None and other != r.pid:
                errors.append(CellError(r.rownum, "序号", f"序号 {r.seq} 已被另一条问题使用（系统编号 {other}）"))
                continue
            targets[r.pid] = r
        elif r.seq in existing_seq:
            targets[existing_seq[r.seq]] = r
        else:
            plan.new.append(NewProblem(
                seq=r.seq, description=r.values["description"], unit_id=r.values["unit_id"],
                region_id=regions.get(r.values["unit_id"]), focus_area_id=r.values["focus_area_id"],
                source=r.values["source"], owner=r.values["owner"], measures=r.values["measures"], deadline=r.values["deadline"],
                kind=r.values["kind"], progress=r.values["progress"], status=r.values["status"],
                completed_on=r.values["completed_on"], extra=r.extra,
            ))
    if targets and visible_ids is not None:
        allowed = visible_ids(list(targets))
        for pid, r in targets.items():
            if pid not in allowed:
                errors.append(CellError(r.rownum, "序号", f"序号 {r.seq} 的问题不在您的管理范围内"))
    if errors:
        raise ImportRejected(errors)
    if not targets:
        return
    fields = [f for _, f in COMPARED] + ["id", "seq", "extra"]
    names = _unit_labels(matcher)
    areas = dict(campaign.focus_areas.values_list("id", "name"))
    ids = list(targets)
    for i in range(0, len(ids), 5000):
        for cur in Problem.objects.filter(pk__in=ids[i : i + 5000]).values(*fields):
            r = targets[cur["id"]]
            cells: dict[str, tuple[Any, Any]] = {}
            update: dict[str, Any] = {}
            for col, f in COMPARED:
                before, after = cur[f], r.values[f]
                if f == "status":
                    if STATUS_TO_FILE[before] == STATUS_TO_FILE[after]:
                        continue  # the file only knows 未整改/整改中/已完成
                elif f == "completed_on" and after is None:
                    continue
                if before != after:
                    cells[col] = (_show(f, before, names, areas), _show(f, after, names, areas))
                    update[f] = after
            if r.seq != cur["seq"]:
                cells["序号"] = (cur["seq"], r.seq)
                update["seq"] = r.seq
            if r.extra and {**cur["extra"], **r.extra} != cur["extra"]:
                for k, v in r.extra.items():
                    if cur["extra"].get(k) != v:
                        cells[k] = (cur["extra"].get(k), v)
                update["extra"] = {**cur["extra"], **r.extra}
            if cells:
                plan.changes.append(RowChange(r.rownum, cur["id"], r.seq, cells))
                plan.updates[cur["id"]] = update
            else:
                plan.unchanged += 1
    plan.changes.sort(key=lambda c: c.row)


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
        problems_bulk_insert(actor=actor, campaign=plan.campaign, rows=plan.new, note=f"{note}（sha256 {plan.sha256[:12]}）")
        if plan.updates:
            _apply_updates(actor, plan)
    plan.applied = True
    return plan


def _apply_updates(actor, plan: ImportPlan) -> None:
    now = timezone.now()
    regions = dict(OrgUnit.objects.values_list("id", "region_id"))
    problems = list(Problem.objects.select_for_update(of=("self",)).filter(pk__in=list(plan.updates)))
    changed_fields: set[str] = {"updated_at"}
    events = []
    before_keys = {p.pk: key_of(p) for p in problems}
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
        events.append(ProblemEvent(problem=p, at=now, actor=actor if getattr(actor, "pk", None) else None,
                                   actor_name=actor.get_username() if getattr(actor, "pk", None) else str(actor),
                                   action="import_update", from_status=before_status, to_status=p.status, note="重新导入台账更新"))
    names = [f[:-3] if f.endswith("_id") else f for f in changed_fields]
    problems_bulk_update(problems=problems, fields=names, before_keys=before_keys)
    ProblemEvent.objects.bulk_create(events, batch_size=2000)
    by_id = {c.problem_id: c for c in plan.changes}
    audit_bulk(actor=actor, verb="problem.import_update", objects=problems,
               changes_of=lambda p: {k: list(v) for k, v in by_id[p.pk].cells.items()}, note="重新导入台账")


def problems_import(*, actor, source: Source, campaign: Campaign, apply: bool = False, units=None, max_bytes: int | None = None, visible_ids=None) -> ImportPlan:
    """Check the file, then write it: a fresh ledger at once; a re-import only with apply=True."""
    plan = plan_import(source=source, campaign=campaign, units=units, max_bytes=max_bytes, visible_ids=visible_ids)
    if plan.changes and not apply:
        return plan
    return apply_plan(actor=actor, plan=plan)


def problems_import_cli(*, actor, source: Source, campaign_id: int | None = None, apply: bool = False, stdout=None) -> ImportPlan:
    campaign = _resolve_campaign(campaign_id)
    plan = problems_import(actor=actor, source=source, campaign=campaign, apply=apply)
    if stdout is not None and not plan.applied:
        for c in plan.changes[:100]:
            cells = "；".join(f"{k}：{b or '（空）'} → {a or '（空）'}" for k, (b, a) in c.cells.items())
            stdout.write(f"第{c.row}行 序号{c.seq}：{cells}")
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
    header, rows = export_rows(qs)
    return write_table(target, header, rows, sheet="问题整改台账")


def problems_export_cli(*, out: str, campaign_id: int | None = None) -> int:
    qs = Problem.objects.all()
    if campaign_id:
        qs = qs.filter(campaign_id=campaign_id)
    return problems_export(out, qs)
