"""`/api/projects`: the project library (项目调度) — list with the page's filters, detail,
create, update, stage moves, dispatch records, nodes, blockers (要素保障 → ledger) and the
figures.

Every endpoint reads through `queries` (the scoping rule: the project's unit, its 责任部门 and
the units of its 包保领导 and 项目秘书 see it, the offices over them too) and writes through
`services`. Errors as the rest of the API: 404 outside the user's scope, 403 not allowed,
409 illegal move or stale version, 422 bad input (core.workflow.http_status).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.responses import Status as Reply
from pydantic import BaseModel, Field

from duban.campaigns.http import api_campaign as _campaign
from duban.campaigns.models import Campaign
from duban.campaigns.queries import current_campaign
from duban.core.apischema import MAX_PAGE, TransitionOut, answers
from duban.core.validation import MAX_ID, Id, ModelText, Search, Text
from duban.core.workflow import TransitionError, error_text, http_status
from duban.orgs import permissions
from duban.orgs.matching import resolve_in
from duban.orgs.models import OrgUnit, OwnerRole
from duban.orgs.queries import unit_get
from duban.orgs.scoping import visible_units
from duban.projects import queries, services, workflow
from duban.projects.models import MAX_WAN, Cadence, Kind, Light, Pool, Project, Record, Stage
from duban.projects.periods import period_label

router = Router(tags=["项目调度"])

MAX_VERSION = (dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC) - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)) // dt.timedelta(microseconds=1)
UNIT_NAME = Search(241)  # "上级单位/单位名称"
WAN = float(MAX_WAN)
LIGHTS = Literal["", "red", "yellow", "green", "done", "red_yellow"]
STAGES = Literal["planning", "negotiating", "signed", "started", "completed"]
KINDS = Literal["new", "continued"]
CADENCES = Literal["daily", "weekly", "xun", "monthly"]
BLOCKER_KINDS = Literal["land", "power", "water", "finance", "approval", "labour", "demolition", "other"]
LABELS = {name: {k: str(v) for k, v in choices} for name, choices in (
    ("stage", Stage.choices), ("kind", Kind.choices), ("cadence", Cadence.choices), ("light", Light.choices))}
ROLE_LABELS = {k: str(v) for k, v in OwnerRole.choices}


# ------------------------------------------------------------------ shapes


class ProjectUnitRef(BaseModel):
    id: int
    name: str


class ProjectRow(BaseModel):
    id: int
    campaign_id: int
    pool_id: int | None
    pool: str | None
    seq: str
    name: str
    builder: str
    unit_id: int
    unit: str
    industry: str
    stage: str
    stage_label: str
    kind: str
    kind_label: str
    location: str
    total_wan: float
    annual_plan_wan: float
    done_total_wan: float  # since the start (开工以来累计)
    done_year_wan: float  # this year's
    year_rate: float | None  # 年度投资完成率: done_year ÷ annual plan
    total_rate: float | None  # 累计投资完成率: done_total ÷ total
    major: bool  # 亿元以上
    sanzao: bool
    leader_name: str
    leader_id: int | None
    secretary_name: str
    secretary_id: int | None
    planned_start: dt.date | None
    planned_finish: dt.date | None
    started_on: dt.date | None
    finished_on: dt.date | None
    in_statistics_on: dt.date | None
    cadence: str
    cadence_label: str
    progress: int
    progress_note: str
    last_record_on: dt.date | None
    light: str
    light_label: str
    light_reason: str
    updated_at: dt.datetime
    version: int  # send it back with PATCH or a stage move: a stale one answers 409


class ProjectPage(BaseModel):
    items: list[ProjectRow]
    count: int


class ProjectOwnerOut(BaseModel):
    role: str
    role_label: str
    unit_id: int
    unit: str


class ProjectBlockerOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    problem_id: int
    problem_seq: int
    description: str
    unit_id: int
    unit: str
    deadline: dt.date | None
    status: str  # the ledger problem's status: signed off there = solved here
    status_label: str
    open: bool
    created_at: dt.datetime


class ProjectPeriodOut(BaseModel):
    start: dt.date
    end: dt.date
    label: str
    recorded: bool  # this period's dispatch record is in


class ProjectSavingOut(BaseModel):
    steps: int
    allowed: int
    taken: int
    saved: int  # 容缺受理: working days saved over the approval steps done


class ProjectMayOut(BaseModel):
    edit: bool  # an office over the project's unit
    report: bool  # record dispatch, raise blockers (every owner)
    manage: bool  # the campaign office


class ProjectDetail(ProjectRow):
    description: str
    department: ProjectUnitRef | None
    owners: list[ProjectOwnerOut]
    blockers: list[ProjectBlockerOut]
    period: ProjectPeriodOut
    approval_saving: ProjectSavingOut
    extra: dict[str, Any]
    transitions: list[str]
    transition_details: list[TransitionOut]
    may: ProjectMayOut


class ProjectRecordOut(BaseModel):
    id: int
    cadence: str
    period_start: dt.date
    period_end: dt.date
    period_label: str
    progress: int
    invested_wan: float
    progress_note: str
    problems: str
    next_steps: str
    done_year_wan: float
    done_total_wan: float
    year_rate: float | None
    total_rate: float | None
    unit: str | None
    recorded_by_name: str
    recorded_at: dt.datetime
    blockers: list[int]


class ProjectRecordPage(BaseModel):
    items: list[ProjectRecordOut]
    count: int


class ProjectNodeOut(BaseModel):
    id: int
    kind: str
    kind_label: str
    title: str
    unit_id: int | None
    unit: str | None
    planned_on: dt.date | None
    done_on: dt.date | None
    accepted_on: dt.date | None
    allowed_days: int | None
    taken_days: int | None
    saved_days: int | None
    late: bool
    plan_item_id: int | None
    note: str


class ProjectNodePage(BaseModel):
    items: list[ProjectNodeOut]
    count: int


class ProjectTotalOut(BaseModel):
    name: str
    n: int
    started: int
    total_wan: float
    annual_plan_wan: float
    done_year_wan: float
    red: int
    annual_rate: float | None


class ProjectFiguresOut(BaseModel):
    campaign_id: int | None
    total: int
    started: int
    investment_total_wan: float
    investment_done_wan: float
    annual_plan_wan: float
    annual_done_wan: float
    start_rate: float  # 开工率: started ÷ planned to start by today
    annual_rate: float  # 投资完成率: this year's done ÷ annual plan
    major: int
    sanzao: int
    red: int
    yellow: int
    by_stage: dict[str, int]
    by_unit: list[ProjectTotalOut]
    by_industry: list[ProjectTotalOut]


# ------------------------------------------------------------------ rows


def _f(v) -> float:
    return float(v)


def _row(p: Project) -> dict[str, Any]:
    return {
        "id": p.pk, "campaign_id": p.campaign_id, "pool_id": p.pool_id, "pool": p.pool.name if p.pool_id else None, "seq": p.seq,
        "name": p.name, "builder": p.builder, "unit_id": p.unit_id, "unit": p.unit.name, "industry": p.industry,
        "stage": p.stage, "stage_label": LABELS["stage"][p.stage], "kind": p.kind, "kind_label": LABELS["kind"][p.kind],
        "location": p.location, "total_wan": _f(p.total_wan), "annual_plan_wan": _f(p.annual_plan_wan),
        "done_total_wan": _f(p.done_total_wan), "done_year_wan": _f(p.done_year_wan), "year_rate": p.year_rate,
        "total_rate": p.total_rate, "major": p.is_major, "sanzao": p.sanzao, "leader_name": p.leader_name, "leader_id": p.leader_id,
        "secretary_name": p.secretary_name, "secretary_id": p.secretary_id, "planned_start": p.planned_start,
        "planned_finish": p.planned_finish, "started_on": p.started_on, "finished_on": p.finished_on,
        "in_statistics_on": p.in_statistics_on, "cadence": p.cadence, "cadence_label": LABELS["cadence"][p.cadence],
        "progress": p.progress, "progress_note": p.progress_note, "last_record_on": p.last_record_on, "light": p.light,
        "light_label": LABELS["light"][p.light], "light_reason": p.light_reason, "updated_at": p.updated_at, "version": p.version,
    }


def _blocker(b) -> dict[str, Any]:
    from duban.ledger.models import OPEN_STATUSES

    pr = b.problem
    return {"id": b.pk, "kind": b.kind, "kind_label": b.get_kind_display(), "problem_id": pr.pk, "problem_seq": pr.seq,
            "description": pr.description, "unit_id": pr.unit_id, "unit": pr.unit.name, "deadline": pr.deadline, "status": pr.status,
            "status_label": pr.get_status_display(), "open": pr.status in OPEN_STATUSES, "created_at": b.created_at}


def _detail(user, p: Project) -> dict[str, Any]:
    page = queries.project_page(user, p)
    from duban.orgs.models import Assignment
    from duban.orgs.scoping import assignment_type

    owners = [{"role": a.role, "role_label": ROLE_LABELS.get(a.role, a.role), "unit_id": a.unit_id, "unit": a.unit.name}
              for a in Assignment.objects.filter(content_type=assignment_type(Project), object_id=p.pk).select_related("unit")
              .order_by("position", "id")]
    available = workflow.available(user, p)
    out = _row(p)
    start, end, label = page.period
    out.update(
        description=p.description,
        department={"id": page.department.pk, "name": page.department.name} if page.department else None,
        owners=owners, blockers=[_blocker(b) for b in page.blockers],
        period={"start": start, "end": end, "label": label, "recorded": page.has_current_record},
        approval_saving=page.approval_saving, extra=p.extra or {},
        transitions=[t.name for t in available], transition_details=[workflow.TABLE.describe(t) for t in available],
        may={"edit": services.may_register(user, p.unit), "report": permissions.may_report(user, p),
             "manage": services.may_manage(user, p.campaign)},
    )
    return out


def _record(r: Record, project: Project) -> dict[str, Any]:
    return {
        "id": r.pk, "cadence": r.cadence, "period_start": r.period_start, "period_end": r.period_end,
        "period_label": period_label(r.period_start, r.cadence), "progress": r.progress, "invested_wan": _f(r.invested_wan),
        "progress_note": r.progress_note, "problems": r.problems, "next_steps": r.next_steps, "done_year_wan": _f(r.done_year_wan),
        "done_total_wan": _f(r.done_total_wan),
        "year_rate": float(r.done_year_wan / project.annual_plan_wan) if project.annual_plan_wan else None,
        "total_rate": float(r.done_total_wan / project.total_wan) if project.total_wan else None,
        "unit": r.unit.name if r.unit_id else None, "recorded_by_name": r.recorded_by_name, "recorded_at": r.recorded_at,
        "blockers": [b.pk for b in r.blockers.all()],
    }


# ------------------------------------------------------------------ lookups


def _get(request, project_id: int) -> Project:
    p = queries.project_get(request.user, project_id)
    if p is None:
        raise HttpError(404, "未找到该项目或无权查看")
    return p


def _errors(exc: Exception) -> HttpError:
    return HttpError(http_status(exc), error_text(exc))


def _unit(request, unit_id: int | None) -> OrgUnit | None:
    if unit_id is None:
        return None
    unit = unit_get(request.user, unit_id)
    if unit is None:
        raise HttpError(404, f"未找到单位 {unit_id} 或无权查看")
    return unit


def _unit_named(request, text: str | None, unit_id: int | None, *, field: str) -> OrgUnit | None:
    """A unit by id or by name (not both), inside the user's scope."""
    if text and unit_id is not None:
        raise HttpError(422, f"{field}_id 和 {field} 只能给一个")
    if not text:
        return _unit(request, unit_id)
    resolved = resolve_in(visible_units(request.user), text)
    if isinstance(resolved, str):
        raise HttpError(422, resolved)
    return resolved


def _solver(campaign: Campaign, text: str | None, unit_id: int | None) -> OrgUnit:
    """The unit that must solve a blocker: any unit of the campaign (自然资源局 for land),
    not only those the reporting person sees."""
    units = OrgUnit.objects.filter(path__startswith=campaign.unit.path)
    if text and unit_id is not None:
        raise HttpError(422, "unit_id 和 unit 只能给一个")
    if unit_id is not None:
        unit = units.filter(pk=unit_id).first()
        if unit is None:
            raise HttpError(422, f"单位 {unit_id} 不在本活动的范围内")
        return unit
    if not text:
        raise HttpError(422, "请给出责任单位：unit_id 或 unit（单位名称）")
    resolved = resolve_in(units, text)
    if isinstance(resolved, str):
        raise HttpError(422, resolved)
    return resolved


def _pool(campaign: Campaign, pool_id: int | None) -> Pool | None:
    if pool_id is None:
        return None
    pool = Pool.objects.filter(pk=pool_id, campaign=campaign).first()
    if pool is None:
        raise HttpError(422, "项目库不属于该活动")
    return pool


def _day(d: dt.date | None, field: str) -> dt.date | None:
    if d is not None and not (dt.date(2000, 1, 1) <= d <= dt.date(2100, 12, 31)):
        raise HttpError(422, f"{field}：日期应在 2000-01-01 到 2100-12-31 之间")
    return d


# ------------------------------------------------------------------ list, figures


class ProjectFilterIn(Schema):
    """queries.Filters as query parameters (one filter set for the page, the board, the API and the export)."""

    campaign: Id | None = None
    light: LIGHTS = ""
    stage: Literal["", "planning", "negotiating", "signed", "started", "completed"] = ""
    pool: Id | None = None
    unit: Id | None = None  # the project's unit or an owner unit in that subtree
    industry: Search(60) = ""
    leader: Id | None = None  # the 包保领导's account
    secretary: Id | None = None
    major: bool = False  # 亿元以上
    sanzao: bool = False
    blocked: bool = False  # with an open blocker
    q: Search() = ""


def filters_of(request, f: ProjectFilterIn) -> queries.Filters:
    return queries.Filters(light=f.light, stage=f.stage, pool=f.pool, unit=_unit(request, f.unit), industry=f.industry,
                           leader=f.leader, secretary=f.secretary, major=f.major, sanzao=f.sanzao, q=f.q, blocked=f.blocked)


@router.get("", response=answers({200: ProjectPage}, 404),
            summary="项目列表（本人可见范围；light=red_yellow 为红黄灯清单；按灯色、阶段、项目库、单位、行业、包保领导、项目秘书、亿元以上、三早、有未解决要素问题、关键词筛选；limit ≤ 500）")
def list_projects(request, filters: Query[ProjectFilterIn], limit: int = 100, offset: int = 0):
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_ID))
    campaign = _campaign(request, filters.campaign, required=False)
    qs = queries.filtered(request.user, campaign, filters_of(request, filters))
    # the office's red/yellow list: red first, the largest investment first
    qs = qs.order_by(queries.LIGHT_RANK, "-total_wan", "id") if filters.light == "red_yellow" else qs.order_by("id")
    rows = qs.select_related("unit", "pool")[offset:offset + limit]
    return {"items": [_row(p) for p in rows], "count": qs.count()}


@router.get("/figures", response=answers({200: ProjectFiguresOut}, 404),
            summary="项目数字：总数、开工数、投资（万元）、开工率、投资完成率、按阶段；按单位和行业的合计（不填 campaign 为当前活动）")
def project_figures(request, campaign: Id | None = None):
    c = _campaign(request, campaign, required=False) or current_campaign(request.user)
    figures = queries.figures(user=request.user, campaign=c)
    totals = {"by_unit": [], "by_industry": []}
    if c is not None:
        totals = {"by_unit": queries.totals_by(request.user, c, "unit"), "by_industry": queries.totals_by(request.user, c, "industry")}
    return {"campaign_id": c.pk if c else None, **figures, **totals}


@router.get("/{project_id}", response=answers({200: ProjectDetail}, 404),
            summary="项目详情（三级包保、要素保障问题及其台账状态、本期调度、容缺受理节省、可执行的阶段操作）")
def get_project(request, project_id: Id):
    return _detail(request.user, _get(request, project_id))


# ------------------------------------------------------------------ create, update


class ProjectIn(Schema):
    """Units by id (`unit_id`, `department_id`) or by name (`unit`, `department`: "平安镇",
    or "洮北区/平安镇" where the name repeats). Money in 万元."""

    campaign_id: Id | None = None
    name: ModelText(Project, "name")
    unit_id: Id | None = None
    unit: UNIT_NAME = ""
    department_id: Id | None = None  # 责任部门
    department: UNIT_NAME = ""
    seq: ModelText(Project, "seq") = ""
    builder: ModelText(Project, "builder") = ""
    industry: ModelText(Project, "industry") = ""
    stage: STAGES = "planning"
    kind: KINDS = "new"
    location: ModelText(Project, "location") = ""
    description: Text(services.MAX_TEXT) = ""
    total_wan: float = Field(0, ge=0, le=WAN)
    annual_plan_wan: float = Field(0, ge=0, le=WAN)
    done_total_wan: float = Field(0, ge=0, le=WAN)
    done_year_wan: float = Field(0, ge=0, le=WAN)
    sanzao: bool = False
    leader_name: ModelText(Project, "leader_name") = ""
    secretary_name: ModelText(Project, "secretary_name") = ""
    planned_start: dt.date | None = None
    planned_finish: dt.date | None = None
    started_on: dt.date | None = None
    in_statistics_on: dt.date | None = None
    cadence: CADENCES = "weekly"
    pool_id: Id | None = None
    progress: int = Field(0, ge=0, le=100)


@router.post("", response=answers({201: ProjectDetail}, 403, 404, body=True), summary="登记项目（所属单位的上级推进办）")
def create_project(request, payload: ProjectIn):
    campaign = _campaign(request, payload.campaign_id, required=True)
    unit = _unit_named(request, payload.unit, payload.unit_id, field="unit")
    if unit is None:
        raise HttpError(422, "请给出所属单位：unit_id 或 unit（单位名称）")
    if not services.may_register(request.user, unit):
        raise HttpError(403, f"只能登记本单位或下级单位的项目（{unit.name}）")
    new = services.NewProject(
        name=payload.name, unit=unit, seq=payload.seq, builder=payload.builder, industry=payload.industry, stage=payload.stage,
        kind=payload.kind, location=payload.location, description=payload.description, total_wan=str(payload.total_wan),
        annual_plan_wan=str(payload.annual_plan_wan), done_total_wan=str(payload.done_total_wan), done_year_wan=str(payload.done_year_wan),
        sanzao=payload.sanzao, leader_name=payload.leader_name, secretary_name=payload.secretary_name,
        department=_unit_named(request, payload.department, payload.department_id, field="department"),
        planned_start=_day(payload.planned_start, "planned_start"), planned_finish=_day(payload.planned_finish, "planned_finish"),
        started_on=_day(payload.started_on, "started_on"), in_statistics_on=_day(payload.in_statistics_on, "in_statistics_on"),
        cadence=payload.cadence, pool=_pool(campaign, payload.pool_id), progress=payload.progress,
    )
    try:
        p = services.project_create(actor=request.user, campaign=campaign, new=new)
    except (PermissionDenied, ValidationError, TransitionError) as exc:
        raise _errors(exc) from exc
    return Reply(201, _detail(request.user, _get(request, p.pk)))


class ProjectPatch(Schema):
    """Only the fields sent change; null clears the dates, the pool and the 责任部门 — other
    fields cannot be empty (422). The stage moves only by POST …/stage. `version` is the one
    the client read: when another save came in between, 409."""

    version: int | None = Field(None, ge=0, le=MAX_VERSION)
    name: ModelText(Project, "name") = None
    unit_id: Id = None
    unit: UNIT_NAME = None
    department_id: Id | None = None
    department: UNIT_NAME | None = None
    seq: ModelText(Project, "seq") = None
    builder: ModelText(Project, "builder") = None
    industry: ModelText(Project, "industry") = None
    kind: KINDS = None
    location: ModelText(Project, "location") = None
    description: Text(services.MAX_TEXT) = None
    total_wan: float = Field(None, ge=0, le=WAN)
    annual_plan_wan: float = Field(None, ge=0, le=WAN)
    done_total_wan: float = Field(None, ge=0, le=WAN)
    done_year_wan: float = Field(None, ge=0, le=WAN)
    sanzao: bool = None
    leader_name: ModelText(Project, "leader_name") = None
    secretary_name: ModelText(Project, "secretary_name") = None
    planned_start: dt.date | None = None
    planned_finish: dt.date | None = None
    in_statistics_on: dt.date | None = None
    cadence: CADENCES = None
    pool_id: Id | None = None


NULLABLE = ("planned_start", "planned_finish", "in_statistics_on", "pool_id", "department_id", "department")
MONEY_FIELDS = ("total_wan", "annual_plan_wan", "done_total_wan", "done_year_wan")


@router.patch("/{project_id}", response=answers({200: ProjectDetail}, 403, 404, 409, body=True),
              summary="修改项目（所属单位的上级推进办；带上读到的 version，过期则 409；阶段用 POST …/stage）")
def update_project(request, project_id: Id, payload: ProjectPatch):
    p = _get(request, project_id)
    if not services.may_register(request.user, p.unit):
        raise HttpError(403, f"只能修改本单位或下级单位的项目（{p.unit.name}）")
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    empty = sorted(k for k, v in data.items() if v is None and k not in NULLABLE)
    if empty:
        raise HttpError(422, "；".join(f"{k}：不能为空" for k in empty))
    set_department, department = False, None
    if "department" in data or "department_id" in data:
        set_department = True
        department = _unit_named(request, data.pop("department", None), data.pop("department_id", None), field="department")
    if "unit" in data:
        if "unit_id" in data:
            raise HttpError(422, "unit_id 和 unit 只能给一个")
        data["unit_id"] = _unit_named(request, data.pop("unit"), None, field="unit").pk
    changes: dict[str, Any] = {}
    for k, v in data.items():
        if k == "unit_id":
            changes["unit"] = _unit(request, v)
        elif k == "pool_id":
            changes["pool"] = _pool(p.campaign, v)
        elif k in MONEY_FIELDS:
            changes[k] = str(v)
        elif k in ("planned_start", "planned_finish", "in_statistics_on"):
            changes[k] = _day(v, k)
        else:
            changes[k] = v
    try:
        services.project_update(actor=request.user, project=p, changes=changes, department=department, set_department=set_department,
                                version=version)
    except (PermissionDenied, ValidationError, TransitionError) as exc:
        raise _errors(exc) from exc
    return _detail(request.user, _get(request, project_id))


# ------------------------------------------------------------------ stage, records, nodes, blockers


class ProjectStageIn(Schema):
    """Either the target `stage` (the board's drop: forward any number of stages, back one)
    or a `transition` by name (negotiate, sign, start, complete, step_back)."""

    stage: Literal["", "planning", "negotiating", "signed", "started", "completed"] = ""
    transition: Literal["", "negotiate", "sign", "start", "complete", "step_back"] = ""
    date: dt.date | None = None  # 开工 / 竣工投产: the day it happened (default today)
    reason: Text(workflow.MAX_REASON) = ""
    version: int | None = Field(None, ge=0, le=MAX_VERSION)


@router.post("/{project_id}/stage", response=answers({200: ProjectDetail}, 403, 404, 409, body=True),
             summary="阶段变更：stage 为目标阶段（可跨阶段前进、退回一个阶段），或 transition 为操作名；退回须写理由（推进办）")
def project_stage(request, project_id: Id, payload: ProjectStageIn):
    p = _get(request, project_id)
    if bool(payload.stage) == bool(payload.transition):
        raise HttpError(422, "请给出 stage（目标阶段）或 transition（操作名）之一")
    date = _day(payload.date, "date")
    try:
        if payload.stage:
            services.project_move(actor=request.user, project=p, stage=payload.stage, reason=payload.reason, date=date,
                                  version=payload.version)
        else:
            if payload.transition in ("start", "complete") and date is None:
                date = timezone.localdate()
            services.project_transition(actor=request.user, project=p, name=payload.transition, reason=payload.reason, date=date,
                                        version=payload.version)
    except (PermissionDenied, ValidationError, TransitionError) as exc:
        raise _errors(exc) from exc
    return _detail(request.user, _get(request, project_id))


@router.get("/{project_id}/records", response=answers({200: ProjectRecordPage}, 404),
            summary="调度记录（最新在前；含年度累计、开工以来累计及完成率）")
def list_records(request, project_id: Id, limit: int = 100, offset: int = 0):
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_ID))
    p = _get(request, project_id)
    qs = p.records.select_related("unit").prefetch_related("blockers").order_by("-period_start")
    return {"items": [_record(r, p) for r in qs[offset:offset + limit]], "count": qs.count()}


class ProjectBlockerIn(Schema):
    """要素保障: the unit that must solve it (any unit of the campaign) by id or name, and a time limit."""

    kind: BLOCKER_KINDS
    description: Text(2000)
    unit_id: Id | None = None
    unit: UNIT_NAME = ""
    deadline: dt.date


class ProjectRecordIn(Schema):
    day: dt.date | None = None  # a day of the period recorded (default today)
    progress: int = Field(ge=0, le=100)  # 形象进度 %
    progress_note: Text(services.MAX_TEXT)
    invested_wan: float = Field(0, ge=0, le=WAN)  # completed this period
    problems: Text(services.MAX_TEXT) = ""
    next_steps: Text(services.MAX_TEXT) = ""
    cadence: CADENCES | None = None  # default: the project's
    blockers: list[ProjectBlockerIn] = Field(default_factory=list, max_length=20)


@router.post("/{project_id}/records", response=answers({201: ProjectRecordOut}, 403, 404, body=True),
             summary="填报本期调度记录（项目的包保单位；同一调度期再次填报为更正；可同时提出要素保障问题，进入问题台账）")
def create_record(request, project_id: Id, payload: ProjectRecordIn):
    p = _get(request, project_id)
    blockers = [services.NewBlocker(kind=b.kind, description=b.description, unit=_solver(p.campaign, b.unit, b.unit_id),
                                    deadline=_day(b.deadline, "deadline")) for b in payload.blockers]
    try:
        r = services.record_save(actor=request.user, project=p, day=_day(payload.day, "day") or timezone.localdate(), progress=payload.progress,
                                 progress_note=payload.progress_note, invested_wan=str(payload.invested_wan), problems=payload.problems,
                                 next_steps=payload.next_steps, blockers=blockers, cadence=payload.cadence)
    except (PermissionDenied, ValidationError, TransitionError) as exc:
        raise _errors(exc) from exc
    r = Record.objects.select_related("unit").prefetch_related("blockers").get(pk=r.pk)
    return Reply(201, _record(r, _get(request, project_id)))


@router.get("/{project_id}/nodes", response=answers({200: ProjectNodePage}, 404),
            summary="项目节点（立项…投产；审批环节的时限与实际用时，容缺受理节省的工作日）")
def list_nodes(request, project_id: Id):
    p = _get(request, project_id)
    today = timezone.localdate()
    items = [{"id": n.pk, "kind": n.kind, "kind_label": n.get_kind_display(), "title": n.title, "unit_id": n.unit_id,
              "unit": n.unit.name if n.unit_id else None, "planned_on": n.planned_on, "done_on": n.done_on, "accepted_on": n.accepted_on,
              "allowed_days": n.allowed_days, "taken_days": n.taken_days, "saved_days": n.saved_days, "late": n.is_late(today),
              "plan_item_id": n.plan_item_id, "note": n.note} for n in p.nodes.select_related("unit")]
    return {"items": items, "count": len(items)}


@router.post("/{project_id}/blockers", response=answers({201: ProjectBlockerOut}, 403, 404, body=True),
             summary="提出要素保障问题（用地、用电、用水、融资、审批、用工、拆迁…）：成为问题台账中的问题，有责任单位和时限")
def create_blocker(request, project_id: Id, payload: ProjectBlockerIn):
    p = _get(request, project_id)
    new = services.NewBlocker(kind=payload.kind, description=payload.description, unit=_solver(p.campaign, payload.unit, payload.unit_id),
                              deadline=_day(payload.deadline, "deadline"))
    try:
        b = services.blocker_add(actor=request.user, project=p, new=new)
    except (PermissionDenied, ValidationError, TransitionError) as exc:
        raise _errors(exc) from exc
    b = type(b).objects.select_related("problem", "problem__unit").get(pk=b.pk)
    return Reply(201, _blocker(b))

