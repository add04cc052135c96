"""`/api/tasks`: the campaign plan's items (督办事项) — list, detail, create, update,
transitions, progress reports, leaders' instructions, evidence, and the overview by light.

Every endpoint reads through `queries` (the scoping rule: the lead unit and each
co-responsible unit see the item, the office over them too) and writes through `services`.
Errors as the rest of the API: 404 outside the user's scope, 403 not allowed, 409 illegal
transition or stale version, 422 bad input (core.workflow.http_status).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, F, IntegerField, Value, When
from django.http import HttpResponse
from ninja import File, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status as Reply
from pydantic import BaseModel, Field

from duban.campaigns.http import api_campaign as _campaign
from duban.campaigns.models import Campaign
from duban.campaigns.queries import current_campaign
from duban.core import evidence_files as storage
from duban.core.apischema import MAX_PAGE, TransitionOut, answers
from duban.core.validation import MAX_ID, Id, ModelText, Search, Text
from duban.core.workflow import TransitionError, error_text, http_status
from duban.orgs.matching import resolve_in
from duban.orgs.models import OrgUnit
from duban.orgs.queries import unit_get
from duban.orgs.scoping import visible_units
from duban.plan import queries, services, workflow
from duban.plan.models import Frequency, Level, Light, PlanItem, Status

router = Router(tags=["任务分工"])

# The last microsecond a datetime holds, as a version (core.workflow.updated_at_version).
MAX_VERSION = (dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
UNIT_NAME = Search(241)  # "上级单位/单位名称": two names of up to 120 characters
MAX_UNITS = services.MAX_CO_UNITS
LIGHTS = Literal["", "red", "yellow", "green", "done", "none", "red_yellow"]  # red_yellow: the office's warning list
STATES = Literal["", "pending", "in_progress", "submitted", "returned", "done"]
FREQUENCIES = Literal["weekly", "xun", "monthly", "milestone"]


# ------------------------------------------------------------------ shapes


class TaskUnitRef(BaseModel):
    id: int
    name: str


class TaskRow(BaseModel):
    """One item's fields; list rows are built from `.values()` dicts (plain pydantic, as
    ledger's ProblemRow: a ninja Schema's per-field getters cost a call per field)."""

    id: int
    campaign_id: int
    parent_id: int | None
    level: int
    level_label: str
    seq: str
    title: str
    lead_unit_id: int
    lead_unit: str
    co_units: list[TaskUnitRef]
    leader_name: str
    start_date: dt.date | None
    deadline: dt.date | None
    original_deadline: dt.date | None
    duration_days: int | None
    frequency: str
    frequency_label: str
    weight: int
    progress: int
    progress_from_children: bool
    progress_note: str
    status: str
    status_label: str
    light: str
    light_label: str
    behind: int  # points behind 序时进度
    latest_start: dt.date | None  # 倒排工期: the latest day it may start
    slack_days: int | None
    critical: bool
    started_on: dt.date | None
    finished_on: dt.date | None
    extension_to: dt.date | None
    updated_at: dt.datetime
    version: int  # send it back with PATCH or a transition: a stale one answers 409


class TaskPage(BaseModel):
    items: list[TaskRow]
    count: int


class TaskMilestoneOut(BaseModel):
    id: int
    title: str
    due: dt.date
    unit_id: int | None
    unit: str | None
    done_on: dt.date | None


class TaskEventOut(BaseModel):
    at: dt.datetime
    kind: str
    kind_label: str
    action: str
    actor_name: str
    unit: str | None
    author: str  # 批示领导, for an instruction
    from_status: str
    to_status: str
    progress: int | None
    note: str


class TaskEvidenceOut(BaseModel):
    id: int
    name: str
    content_type: str
    size: int
    unit: str | None
    uploaded_at: dt.datetime


class TaskDriftOut(BaseModel):
    baseline: int
    baseline_name: str
    deadline: dt.date | None
    days: int | None  # working days later (+) or earlier (-) than the baseline
    text: str  # "较基线2推迟4个工作日"


class TaskMayOut(BaseModel):
    report: bool
    set_progress: bool
    plan: bool
    instruct: bool


class TaskDetail(TaskRow):
    description: str
    return_reason: str
    extension_reason: str
    ancestors: list[TaskUnitRef]  # the items above, as {id, name: title}
    children: list[int]
    predecessors: list[int]
    successors: list[int]
    milestones: list[TaskMilestoneOut]
    instructions: list[TaskEventOut]
    timeline: list[TaskEventOut]
    evidence: list[TaskEvidenceOut]
    drift: list[TaskDriftOut]
    late_start: bool  # its latest start has passed and it has not started
    transitions: list[str]
    transition_details: list[TransitionOut]
    may: TaskMayOut


class TaskLightCounts(BaseModel):
    red: int
    yellow: int
    green: int
    none: int
    done: int


class TaskAspectCounts(BaseModel):
    id: int
    title: str
    counts: TaskLightCounts


class TaskUnitCounts(BaseModel):
    id: int
    name: str
    counts: TaskLightCounts


class TaskOverviewOut(BaseModel):
    campaign_id: int | None
    total: TaskLightCounts
    aspects: list[TaskAspectCounts]
    units: list[TaskUnitCounts]


# ------------------------------------------------------------------ rows


ROW_FIELDS = (
    "id", "campaign_id", "parent_id", "level", "seq", "title", "lead_unit_id", "leader_name", "start_date", "deadline",
    "original_deadline", "duration_days", "frequency", "weight", "progress", "progress_from_children", "progress_note", "status",
    "light", "behind", "latest_start", "slack_days", "critical", "started_on", "finished_on", "extension_to", "updated_at",
)
LABELS = {name: {k: str(v) for k, v in choices} for name, choices in (
    ("level", Level.choices), ("frequency", Frequency.choices), ("status", Status.choices), ("light", Light.choices))}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _label_row(r: dict[str, Any], co: list[OrgUnit]) -> dict[str, Any]:
    for name, names in LABELS.items():
        r[f"{name}_label"] = names.get(r[name], str(r[name]))
    r["co_units"] = [{"id": u.pk, "name": u.name} for u in co]
    r["version"] = (r["updated_at"] - _EPOCH) // dt.timedelta(microseconds=1)
    return r


def _rows(qs, window: slice) -> list[dict[str, Any]]:
    rows = list(qs.values(*ROW_FIELDS, lead_unit_name=F("lead_unit__name"))[window])
    co = queries.co_units_of([_Pk(r["id"]) for r in rows])
    for r in rows:
        r["lead_unit"] = r.pop("lead_unit_name")
        _label_row(r, co.get(r["id"], []))
    return rows


class _Pk:
    """What co_units_of reads of an item: its pk (a list row is a dict)."""

    __slots__ = ("pk",)

    def __init__(self, pk: int):
        self.pk = pk


def _row_of(item: PlanItem, co: list[OrgUnit]) -> dict[str, Any]:
    r = {f: getattr(item, f) for f in ROW_FIELDS}
    r["lead_unit"] = item.lead_unit.name
    return _label_row(r, co)


def _event(e) -> dict[str, Any]:
    return {"at": e.at, "kind": e.kind, "kind_label": e.get_kind_display(), "action": e.action, "actor_name": e.actor_name,
            "unit": e.unit.name if e.unit_id else None, "author": e.author, "from_status": e.from_status,
            "to_status": e.to_status, "progress": e.progress, "note": e.note}


def _detail(user, item: PlanItem) -> dict[str, Any]:
    page = queries.item_page(user, item)
    out = _row_of(item, page.co_units)
    out.update(
        description=item.description, return_reason=item.return_reason, extension_reason=item.extension_reason,
        ancestors=[{"id": a.pk, "name": a.title} for a in page.ancestors],
        children=[c.pk for c in page.children],
        predecessors=[p.pk for p in page.predecessors], successors=[s.pk for s in page.successors],
        milestones=[{"id": m.pk, "title": m.title, "due": m.due, "unit_id": m.unit_id, "unit": m.unit.name if m.unit_id else None,
                     "done_on": m.done_on} for m in page.milestones],
        instructions=[_event(e) for e in page.instructions],
        timeline=[_event(e) for e in page.timeline],
        evidence=[{"id": e.pk, "name": e.name, "content_type": e.content_type, "size": e.size,
                   "unit": e.unit.name if e.unit_id else None, "uploaded_at": e.uploaded_at} for e in page.evidence],
        drift=[{"baseline": d["baseline"].number, "baseline_name": d["baseline"].name, "deadline": d["deadline"],
                "days": d["days"], "text": d["text"]} for d in page.drift],
        late_start=page.late_start,
        transitions=[t.name for t in page.transitions],
        transition_details=[workflow.TABLE.describe(t) for t in page.transitions],
        may={"report": page.may_report, "set_progress": page.may_set_progress, "plan": page.may_plan, "instruct": page.may_instruct},
    )
    return out


# ------------------------------------------------------------------ lookups


def _get(request, item_id: int) -> PlanItem:
    item = (queries.visible(request.user).select_related("campaign", "campaign__unit", "lead_unit", "parent")
            .filter(pk=item_id).first())
    if item is None:
        raise HttpError(404, "未找到该督办事项或无权查看")
    return item


def _errors(exc: Exception) -> HttpError:
    if isinstance(exc, storage.EvidenceRejected):
        return HttpError(422, str(exc))
    return HttpError(http_status(exc), error_text(exc))


def _unit(request, unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = unit_get(request.user, unit_id)
    if unit is None:
        raise HttpError(404, f"未找到单位 {unit_id} 或无权查看")
    return unit


def _unit_named(request, text: str | None, unit_id: int | None, *, field: str) -> OrgUnit | None:
    """A unit by id or by name (not both), inside the user's scope: 404 for an id not
    found, 422 with the closest names for a name not found or not unique."""
    if text and unit_id is not None:
        raise HttpError(422, f"{field}_id 和 {field} 只能给一个")
    if not text:
        return _unit(request, unit_id)
    resolved = resolve_in(visible_units(request.user), text)
    if isinstance(resolved, str):
        raise HttpError(422, resolved)
    return resolved


def _units(request, ids: list[int] | None, names: list[str] | None) -> list[OrgUnit] | None:
    """The co-responsible units, by ids and/or names, in the order given; None: neither given."""
    if ids is None and names is None:
        return None
    out = [_unit(request, i) for i in ids or ()]
    out += [_unit_named(request, n, None, field="co_units") for n in names or () if n.strip()]
    if len(out) > MAX_UNITS:
        raise HttpError(422, f"责任单位最多{MAX_UNITS}个")
    return [u for u in out if u is not None]


def _require_planner(request, campaign: Campaign) -> None:
    if not services.may_plan(request.user, campaign):
        raise HttpError(403, "只有本活动的推进办可以编排任务分工")


def _parent(campaign: Campaign, parent_id: int | None) -> PlanItem | None:
    if parent_id is None:
        return None
    parent = PlanItem.objects.filter(pk=parent_id, campaign=campaign).first()
    if parent is None:
        raise HttpError(422, "上级事项不属于该活动")
    return parent


def _day(d: dt.date | None, field: str) -> dt.date | None:
    if d is not None and not (dt.date(2000, 1, 1) <= d <= dt.date(2100, 12, 31)):
        raise HttpError(422, f"{field}：日期应在 2000-01-01 到 2100-12-31 之间")
    return d


# ------------------------------------------------------------------ list, overview


class TaskFilterIn(Schema):
    campaign: Id | None = None
    light: LIGHTS = ""
    status: STATES = ""
    unit: Id | None = None  # lead or co-responsible in that unit's subtree
    role: Literal["", "lead", "co"] = ""  # with `unit`, or the caller's own units
    leader: Search(60) = ""  # 分管领导 by name
    level: int | None = Field(None, ge=1, le=3)
    parent: Id | None = None
    overdue: bool = False
    late_start: bool = False
    q: Search() = ""
    sort: Literal["plan", "deadline", "light", "-updated"] = "plan"


SORTS = {
    "plan": ("id",),
    "deadline": (F("deadline").asc(nulls_last=True), "id"),
    "-updated": ("-updated_at", "-id"),
}
LIGHT_RANK = Case(*(When(light=v, then=Value(i)) for i, v in enumerate(queries.LIGHT_ORDER)), default=Value(9), output_field=IntegerField())


@router.get("", response=answers({200: TaskPage}, 404), summary="督办事项列表（本人可见范围；light=red_yellow 为红黄灯清单；按灯色、状态、单位、分管领导、逾期、过最迟开始、关键词筛选；limit ≤ 500）")
def list_tasks(request, filters: Query[TaskFilterIn], limit: int = 100, offset: int = 0):
    campaign = _campaign(request, filters.campaign, required=False)
    warning = filters.light == "red_yellow"
    f = queries.Filters(light="" if warning else filters.light, status=filters.status, unit=_unit(request, filters.unit), role=filters.role,
                        leader=filters.leader, q=filters.q, level=filters.level, parent=filters.parent,
                        late_start=filters.late_start, overdue=filters.overdue)
    qs = queries.filtered(request.user, campaign, f)
    if warning:
        qs = qs.filter(light__in=(Light.RED, Light.YELLOW))
    if filters.sort == "light" or (warning and filters.sort == "plan"):  # 红黄灯清单: red first, the earliest deadline first
        qs = qs.annotate(light_rank=LIGHT_RANK).order_by("light_rank", F("deadline").asc(nulls_last=True), "id")
    else:
        qs = qs.order_by(*SORTS[filters.sort])
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_ID))
    body = {"items": _rows(qs, slice(offset, offset + limit)), "count": qs.count()}
    # The rows have exactly TaskRow's types (tests validate the body against TaskPage);
    # written directly rather than re-validated by ninja, as ledger's list.
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False), content_type="application/json")


@router.get("/overview", response=answers({200: TaskOverviewOut}, 404), summary="红黄绿灯概览：按方面、按牵头单位计数（不填 campaign 为当前活动）")
def task_overview(request, campaign: Id | None = None):
    c = _campaign(request, campaign, required=False) or current_campaign(request.user)
    if c is None:
        return {"campaign_id": None, "total": dict.fromkeys(queries.LIGHT_ORDER, 0), "aspects": [], "units": []}
    return {"campaign_id": c.pk, **queries.overview(request.user, c)}


@router.get("/{item_id}", response=answers({200: TaskDetail}, 404), summary="督办事项详情（责任单位、节点、领导批示、动态、佐证、较基线偏差、可执行的操作）")
def get_task(request, item_id: Id):
    return _detail(request.user, _get(request, item_id))


# ------------------------------------------------------------------ create, update


class TaskMilestoneIn(Schema):
    title: Text(200)
    due: dt.date
    unit_id: Id | None = None  # the lead or one of the co-responsible units


class TaskIn(Schema):
    """Units by id (`lead_unit_id`, `co_unit_ids`) or by name (`lead_unit`, `co_units`:
    "平安镇", or "洮北区/平安镇" where the name repeats)."""

    campaign_id: Id | None = None
    parent_id: Id | None = None  # none: an aspect (方面); under an aspect a key task; under that a measure
    title: ModelText(PlanItem, "title")
    seq: ModelText(PlanItem, "seq") = ""
    description: Text(services.MAX_TEXT) = ""
    lead_unit_id: Id | None = None
    lead_unit: UNIT_NAME = ""
    co_unit_ids: list[Id] = Field(default_factory=list, max_length=MAX_UNITS)
    co_units: list[UNIT_NAME] = Field(default_factory=list, max_length=MAX_UNITS)
    leader_name: ModelText(PlanItem, "leader_name") = ""
    start_date: dt.date | None = None
    deadline: dt.date | None = None
    duration_days: int | None = Field(None, ge=1, le=2000)
    frequency: FREQUENCIES = "weekly"
    weight: int = Field(1, ge=1, le=100)
    progress: int = Field(0, ge=0, le=100)
    progress_from_children: bool = False
    milestones: list[TaskMilestoneIn] = Field(default_factory=list, max_length=services.MAX_MILESTONES)


def _milestones(request, rows: list[TaskMilestoneIn]) -> list[tuple[str, dt.date, OrgUnit | None]]:
    return [(m.title, _day(m.due, "milestones.due"), _unit(request, m.unit_id)) for m in rows]


@router.post("", response=answers({201: TaskDetail}, 403, 404, body=True), summary="新增督办事项（推进办）")
def create_task(request, payload: TaskIn):
    campaign = _campaign(request, payload.campaign_id, required=True)
    _require_planner(request, campaign)  # before the units are looked up: a refusal is a 403, not "unit not found"
    lead = _unit_named(request, payload.lead_unit, payload.lead_unit_id, field="lead_unit")
    if lead is None:
        raise HttpError(422, "请给出牵头单位：lead_unit_id 或 lead_unit（单位名称）")
    co = _units(request, payload.co_unit_ids, payload.co_units) or []
    new = services.NewItem(
        title=payload.title, lead_unit=lead, co_units=co, parent=_parent(campaign, payload.parent_id), seq=payload.seq,
        description=payload.description, leader_name=payload.leader_name, start_date=_day(payload.start_date, "start_date"),
        deadline=_day(payload.deadline, "deadline"), duration_days=payload.duration_days, frequency=payload.frequency,
        weight=payload.weight, progress_from_children=payload.progress_from_children, progress=payload.progress,
    )
    stones = _milestones(request, payload.milestones)
    try:
        item = services.item_create(actor=request.user, campaign=campaign, new=new)
        if stones:
            services.milestones_set(actor=request.user, item=item, milestones=stones)
    except (PermissionDenied, ValidationError, TransitionError) as exc:
        raise _errors(exc) from exc
    return Reply(201, _detail(request.user, _get(request, item.pk)))


class TaskPatch(Schema):
    """Only the fields sent change; null clears the dates, the duration and the parent (the
    item becomes an aspect) — the other fields cannot be empty, so null is refused (422).
    `co_unit_ids`/`co_units` replace the co-responsible units; `milestones` the node dates.
    `version` is the one the client read: when another save came in between, 409."""

    version: int | None = Field(None, ge=0, le=MAX_VERSION)
    parent_id: Id | None = None
    title: ModelText(PlanItem, "title") = None
    seq: ModelText(PlanItem, "seq") = None
    description: Text(services.MAX_TEXT) = None
    lead_unit_id: Id = None
    lead_unit: UNIT_NAME = None
    co_unit_ids: list[Id] | None = Field(None, max_length=MAX_UNITS)
    co_units: list[UNIT_NAME] | None = Field(None, max_length=MAX_UNITS)
    leader_name: ModelText(PlanItem, "leader_name") = None
    start_date: dt.date | None = None
    deadline: dt.date | None = None
    duration_days: int | None = Field(None, ge=1, le=2000)
    frequency: FREQUENCIES = None
    weight: int = Field(None, ge=1, le=100)
    progress_from_children: bool = None
    milestones: list[TaskMilestoneIn] | None = Field(None, max_length=services.MAX_MILESTONES)


NULLABLE = ("parent_id", "start_date", "deadline", "duration_days")


@router.patch("/{item_id}", response=answers({200: TaskDetail}, 403, 404, 409, body=True),
              summary="修改督办事项（推进办；带上读到的 version，过期则 409）")
def update_task(request, item_id: Id, payload: TaskPatch):
    item = _get(request, item_id)
    _require_planner(request, item.campaign)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    co = _units(request, data.pop("co_unit_ids", None), data.pop("co_units", None))
    stones = payload.milestones if data.pop("milestones", None) is not None else None
    if "lead_unit" in data:
        if "lead_unit_id" in data:
            raise HttpError(422, "lead_unit_id 和 lead_unit 只能给一个")
        data["lead_unit_id"] = getattr(_unit_named(request, data.pop("lead_unit"), None, field="lead_unit"), "pk", None)
    empty = sorted(k for k, v in data.items() if v is None and k not in NULLABLE)
    if empty:
        raise HttpError(422, "；".join(f"{k}：不能为空" for k in empty))
    changes: dict[str, Any] = {}
    for k, v in data.items():
        if k == "lead_unit_id":
            changes["lead_unit"] = _unit(request, v)
        elif k == "parent_id":
            changes["parent"] = _parent(item.campaign, v)
        elif k in ("start_date", "deadline"):
            changes[k] = _day(v, k)
        else:
            changes[k] = v
    if co is None and ("lead_unit" in changes):
        co = list(queries.co_units_of([item])[item.pk])  # keep them (the new lead leaves their list)
    try:
        if changes or co is not None:
            item = services.item_update(actor=request.user, item=item, changes=changes, co_units=co, version=version)
            version = None
        if stones is not None:
            if version is not None and item.version != version:
                raise workflow.engine.StaleVersion("该事项在您打开后已被他人修改，请刷新后再保存")
            services.milestones_set(actor=request.user, item=item, milestones=_milestones(request, stones))
    except (PermissionDenied, ValidationError, TransitionError) as exc:
        raise _errors(exc) from exc
    return _detail(request.user, _get(request, item_id))


# ------------------------------------------------------------------ workflow, reports, instructions, evidence


class TaskTransitionIn(Schema):
    name: Search(40)
    reason: Text(workflow.MAX_REASON) = ""
    date: dt.date | None = None  # 申请延期: the new deadline asked for
    version: int | None = Field(None, ge=0, le=MAX_VERSION)


@router.post("/{item_id}/transitions", response=answers({200: TaskDetail}, 403, 404, 409, body=True),
             summary="流转：accept 签收 / submit 申请办结（先上传佐证）/ finish 办结 / return 退回 / request_extension 申请延期 / "
                     "approve_extension 同意延期 / refuse_extension 不同意延期 / reopen 重新办理；可执行的见详情的 transitions")
def task_transition(request, item_id: Id, payload: TaskTransitionIn):
    item = _get(request, item_id)
    try:
        services.item_transition(actor=request.user, item=item, name=payload.name, reason=payload.reason.strip(),
                                 date=_day(payload.date, "date"), version=payload.version)
    except (PermissionDenied, ValidationError, TransitionError) as exc:
        raise _errors(exc) from exc
    return _detail(request.user, _get(request, item_id))


class TaskReportIn(Schema):
    note: Text(services.MAX_TEXT)
    progress: int | None = Field(None, ge=0, le=100)  # only the lead unit sets the %
    unit_id: Id | None = None  # the owning unit reported for (a co-responsible unit's own part)


@router.post("/{item_id}/reports", response=answers({201: TaskEventOut}, 403, 404, body=True), summary="填报进展（牵头或责任单位；进度%由牵头单位填报）")
def task_report(request, item_id: Id, payload: TaskReportIn):
    item = _get(request, item_id)
    try:
        ev = services.item_report(actor=request.user, item=item, note=payload.note, progress=payload.progress,
                                  unit=_unit(request, payload.unit_id))
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc
    return Reply(201, _event(ev))


class TaskInstructionIn(Schema):
    author: ModelText(PlanItem, "leader_name")  # 批示领导
    text: Text(services.MAX_TEXT)
    given_on: dt.date | None = None  # the day it was given (default today)


@router.post("/{item_id}/instructions", response=answers({201: TaskEventOut}, 403, 404, body=True), summary="录入领导批示（推进办或该事项的分管领导）")
def task_instruction(request, item_id: Id, payload: TaskInstructionIn):
    item = _get(request, item_id)
    try:
        ev = services.instruction_add(actor=request.user, item=item, author=payload.author, text=payload.text,
                                      given_on=_day(payload.given_on, "given_on"))
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc
    return Reply(201, _event(ev))


@router.post("/{item_id}/evidence", response=answers({201: TaskEvidenceOut}, 400, 403, 404), summary="上传佐证材料（图片、PDF、Office 文档）")
def task_evidence(request, item_id: Id, file: File[UploadedFile], unit_id: Id | None = None):
    item = _get(request, item_id)
    if file.size and file.size > storage.max_bytes():
        raise HttpError(422, f"文件过大，上限 {storage.max_bytes() // 1048576} MB")
    try:
        ev = services.evidence_add(actor=request.user, item=item, name=file.name or "file", data=file.read(),
                                   unit=_unit(request, unit_id))
    except (PermissionDenied, ValidationError, storage.EvidenceRejected) as exc:
        raise _errors(exc) from exc
    return Reply(201, {"id": ev.pk, "name": ev.name, "content_type": ev.content_type, "size": ev.size,
                       "unit": ev.unit.name if ev.unit_id else None, "uploaded_at": ev.uploaded_at})
