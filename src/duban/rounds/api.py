"""`/api/rounds`: report rounds (调度报送) — list and open rounds, a round's status and
summary, its submissions, one unit's form with its prefill, a unit's submission (DESIGN §5:
POST /api/rounds/{id}/submissions), the office's return, 一键催报, punctuality with the ranking.

Reads go through `queries` (the office over the campaign's unit sees a round whole; a unit
asked in it sees its own submission only), writes through `services`. Errors as the rest of
the API: 404 outside the user's scope, 403 not allowed, 409 stale version or a state that
no longer allows it (already submitted, round locked), 422 bad input.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from ninja import File, Form, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status as Reply
from pydantic import BaseModel, Field

from duban.campaigns.http import api_campaign as _campaign
from duban.campaigns.models import Campaign
from duban.campaigns.queries import current_campaign
from duban.core import evidence_files
from duban.core.apischema import MAX_PAGE, answers
from duban.core.validation import MAX_ID, Id, ModelText, Search, Text
from duban.core.workflow import error_text, http_status
from duban.ledger.models import MAX_VERSION
from duban.orgs import permissions
from duban.orgs.matching import resolve_in
from duban.orgs.models import OrgUnit
from duban.orgs.scoping import visible_units
from duban.rounds import queries, services
from duban.rounds.models import (
    ChaseLevel,
    Kind,
    Line,
    LineKind,
    Punctuality,
    Round,
    RoundStatus,
    Scope,
    Submission,
    SubmissionStatus,
)

router = Router(tags=["调度报送"])

MAX_LINES = 2000  # one unit's items in one round: far beyond any real form
MAX_UNITS = 20_000  # a round to chosen units (a city has 11,160)
KINDS = Literal["routine", "key", "adhoc"]
SCOPES = Literal["responsible", "units", "difficult"]
LINE_KINDS = Literal["task", "problem", "project"]
SUB_STATES = Literal["", "pending", "draft", "submitted", "returned"]
PUNCTUALITIES = Literal["", "on_time", "late", "missing"]
LABELS = {name: {k: str(v) for k, v in choices} for name, choices in (
    ("kind", Kind.choices), ("scope", Scope.choices), ("status", RoundStatus.choices), ("sub_status", SubmissionStatus.choices),
    ("punctuality", Punctuality.choices), ("line_kind", LineKind.choices), ("level", ChaseLevel.choices))}
# A refusal because of the submission's or the round's state, or a stale version, is a conflict (409).
CONFLICT_FIELDS = {"version", "status", "round"}


# ------------------------------------------------------------------ shapes


class RoundRow(BaseModel):
    id: int
    campaign_id: int
    cadence_id: int | None
    name: str
    kind: str
    kind_label: str
    scope: str
    scope_label: str
    instructions: str
    opened_at: dt.datetime
    due_at: dt.datetime
    lock_at: dt.datetime
    status: str
    status_label: str
    expected: int
    opened_by_name: str


class RoundPage(BaseModel):
    items: list[RoundRow]
    count: int


class RoundStatusOut(BaseModel):
    """DESIGN §5 `duban rounds status`: `missing` names the units that have not submitted."""

    expected: int
    submitted: int
    on_time: int
    late: int
    missing: list[str]


class MovedOut(BaseModel):
    unit: str
    title: str
    kind: str
    from_progress: int
    to_progress: int


class BlockerOut(BaseModel):
    project_id: int
    project: str
    problem_id: int
    kind: str
    unit: str
    description: str


class ChaseOut(BaseModel):
    point: str
    level: int
    level_label: str
    units: int
    at: dt.datetime
    actor_name: str


class SummaryOut(BaseModel):
    """What changed since the previous round of the same cadence."""

    previous_id: int | None
    previous_name: str | None
    lines: int
    moved_count: int
    moved: list[MovedOut]  # the 50 largest moves
    invested_wan: float  # investment reported this period (projects)
    blockers: list[BlockerOut]
    newly_overdue: int
    chases: list[ChaseOut]


class MineOut(BaseModel):
    unit_id: int
    unit: str
    status: str
    status_label: str


class RoundMayOut(BaseModel):
    run: bool  # return submissions, 一键催报


class RoundDetail(RoundRow):
    whole: bool  # the caller sees every unit's submission (else only its own)
    progress: RoundStatusOut | None  # null for a unit that sees only its own
    summary: SummaryOut | None
    mine: list[MineOut]  # the submissions the caller answers for
    may: RoundMayOut


class SubmissionRow(BaseModel):
    id: int
    round_id: int
    unit_id: int
    unit: str
    status: str
    status_label: str
    punctuality: str
    punctuality_label: str
    submitted_at: dt.datetime | None
    summary: str
    return_reason: str
    chase_level: int
    lines: int
    updated_at: dt.datetime
    version: int  # send it back when saving: a stale one answers 409


class SubmissionPage(BaseModel):
    items: list[SubmissionRow]
    count: int


class FileOut(BaseModel):
    """An attachment of a line, stored on the item: `url` is the item's own download."""

    name: str
    size: int
    url: str


class LineOut(BaseModel):
    progress: int | None
    done: str
    invested_wan: Decimal | None
    problems: str
    next_steps: str
    unchanged: bool
    applied: bool
    files: list[FileOut] = []


class FormItemOut(BaseModel):
    """One item the unit answers for: `line` is what this submission says of it, `last` the
    unit's answer in its previous round (the prefill: an unchanged item takes one click)."""

    kind: str
    kind_label: str
    object_id: int
    title: str
    state: str
    deadline: dt.date | None
    current_progress: int | None
    lead: bool  # a co-responsible unit reports its part; the % is the lead unit's
    line: LineOut | None
    last: LineOut | None


class SubmissionForm(SubmissionRow):
    round_name: str
    due_at: dt.datetime
    lock_at: dt.datetime
    round_status: str
    may_submit: bool
    items: list[FormItemOut]


class RemindOut(BaseModel):
    units: int  # reminded now (0: everyone has submitted)
    level: int
    level_label: str
    point: str


class PunctualityRow(BaseModel):
    rank: int
    unit_id: int
    unit: str
    expected: int
    on_time: int
    late: int
    missing: int
    rate: float  # on time ÷ expected


class TrendPoint(BaseModel):
    round: str
    due: dt.date
    expected: int
    submitted: int
    on_time: int
    rate: float


class PunctualityPage(BaseModel):
    campaign_id: int | None
    items: list[PunctualityRow]
    count: int
    trend: list[TrendPoint]  # the on-time rate of each past round, oldest first


# ------------------------------------------------------------------ rows


ROUND_FIELDS = ("id", "campaign_id", "cadence_id", "name", "kind", "scope", "instructions", "opened_at", "due_at", "lock_at", "status",
                "expected", "opened_by_name")


def _round_row(r: Round) -> dict[str, Any]:
    out = {f: getattr(r, f) for f in ROUND_FIELDS}
    out.update(kind_label=LABELS["kind"].get(r.kind, r.kind), scope_label=LABELS["scope"].get(r.scope, r.scope),
               status_label=LABELS["status"].get(r.status, r.status))
    return out


def _sub_row(s: Submission, lines: int) -> dict[str, Any]:
    return {"id": s.pk, "round_id": s.round_id, "unit_id": s.unit_id, "unit": s.unit.name, "status": s.status,
            "status_label": LABELS["sub_status"].get(s.status, s.status), "punctuality": s.punctuality,
            "punctuality_label": LABELS["punctuality"].get(s.punctuality, s.punctuality), "submitted_at": s.submitted_at,
            "summary": s.summary, "return_reason": s.return_reason, "chase_level": s.chase_level, "lines": lines,
            "updated_at": s.updated_at, "version": s.version}


def _line(ln: Line | None) -> dict[str, Any] | None:
    if ln is None:
        return None
    return {"progress": ln.progress, "done": ln.done, "invested_wan": ln.invested_wan, "problems": ln.problems,
            "next_steps": ln.next_steps, "unchanged": ln.unchanged, "applied": ln.applied,
            "files": [{"name": f["name"], "size": f["size"], "url": f["url"]} for f in ln.file_links]}


def _form(user, sub: Submission) -> dict[str, Any]:
    rows = queries.form(sub)
    out = _sub_row(sub, sum(1 for f in rows if f.line is not None))
    out.update(round_name=sub.round.name, due_at=sub.round.due_at, lock_at=sub.round.lock_at, round_status=sub.round.status,
               may_submit=services.may_submit(user, sub),
               items=[{"kind": f.item.kind, "kind_label": LABELS["line_kind"].get(f.item.kind, f.item.kind), "object_id": f.item.object_id,
                       "title": f.item.title, "state": f.item.status, "deadline": f.item.deadline, "current_progress": f.item.progress,
                       "lead": f.item.lead, "line": _line(f.line), "last": _line(f.last)} for f in rows])
    return out


def _chase(c) -> dict[str, Any]:
    return {"point": c.point, "level": c.level, "level_label": LABELS["level"].get(c.level, str(c.level)), "units": c.units, "at": c.at,
            "actor_name": c.actor_name}


def _summary(rnd: Round) -> dict[str, Any]:
    s = queries.summary(rnd)
    prev = s["previous"]
    return {
        "previous_id": prev.pk if prev else None, "previous_name": prev.name if prev else None, "lines": s["lines"],
        "moved_count": s["moved_count"],
        "moved": [{"unit": m["unit"], "title": m["title"], "kind": m["kind"], "from_progress": m["from"], "to_progress": m["to"]}
                  for m in s["moved"][:50]],
        "invested_wan": s["invested_wan"],
        "blockers": [{"project_id": b.project_id, "project": b.project.name, "problem_id": b.problem_id, "kind": b.kind,
                      "unit": b.problem.unit.name, "description": b.problem.description[:300]} for b in s["blockers"]],
        "newly_overdue": s["newly_overdue"], "chases": [_chase(c) for c in s["chases"]],
    }


def _sees_whole(user, rnd: Round) -> bool:
    return permissions.scope(user, Round.objects.filter(pk=rnd.pk)).exists()


def _detail(user, rnd: Round) -> dict[str, Any]:
    whole = _sees_whole(user, rnd)
    mine = (queries.visible_submissions(user, rnd).filter(permissions.todo_units_q(user) or Q(pk__in=[]))
            .select_related("unit").order_by("unit__path")[:50])
    out = _round_row(rnd)
    out.update(whole=whole, progress=queries.round_status(rnd) if whole else None, summary=_summary(rnd) if whole else None,
               mine=[{"unit_id": s.unit_id, "unit": s.unit.name, "status": s.status, "status_label": LABELS["sub_status"][s.status]}
                     for s in mine],
               may={"run": services.may_run(user, rnd.campaign)})
    return out


# ------------------------------------------------------------------ lookups


def _errors(exc: Exception) -> HttpError:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") and CONFLICT_FIELDS & set(exc.error_dict):
        return HttpError(409, error_text(exc))
    return HttpError(http_status(exc), error_text(exc))


def _get(request, round_id: int) -> Round:
    rnd = queries.visible_rounds(request.user).select_related("campaign", "campaign__unit").filter(pk=round_id).first()
    if rnd is None:
        raise HttpError(404, "未找到该调度轮次或无权查看")
    return rnd


def _submission(request, rnd: Round, unit_id: int) -> Submission:
    sub = (queries.visible_submissions(request.user, rnd).select_related("unit", "round", "round__campaign", "round__campaign__unit")
           .filter(unit_id=unit_id).first())
    if sub is None:
        raise HttpError(404, "未找到该单位在本轮的报送或无权查看")
    return sub


def _require_runner(request, campaign: Campaign) -> None:
    if not services.may_run(request.user, campaign):
        raise HttpError(403, "只有本活动的推进办可以组织调度报送")


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    """A time as sent; without an offset it is read as Beijing time (the server's zone)."""
    from django.utils import timezone

    if not (dt.datetime(2000, 1, 1) <= value.replace(tzinfo=None) <= dt.datetime(2100, 12, 31)):
        raise HttpError(422, f"{field}：时间应在 2000 年到 2100 年之间")
    return value if timezone.is_aware(value) else timezone.make_aware(value)


# ------------------------------------------------------------------ rounds


class RoundFilterIn(Schema):
    campaign: Id | None = None
    status: Literal["", "open", "locked"] = ""
    kind: Literal["", "routine", "key", "adhoc"] = ""
    q: Search() = ""


@router.get("", response=answers({200: RoundPage}, 404), summary="调度轮次列表（推进办看本活动全部；单位看问到本单位的；最近截止的在前；limit ≤ 500）")
def list_rounds(request, filters: Query[RoundFilterIn], limit: int = 100, offset: int = 0):
    campaign = _campaign(request, filters.campaign, required=False)
    qs = queries.visible_rounds(request.user, campaign)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_ID))
    rows = list(qs.order_by("-due_at", "-id")[offset:offset + limit])
    return {"items": [_round_row(r) for r in rows], "count": qs.count()}


class RoundIn(Schema):
    """Who is asked: `scope` responsible (every unit answering for an open task, problem or
    project), difficult (units of overdue or returned problems), or units (`unit_ids` and/or
    `units` by name). `due_at` and `lock_at` without an offset are Beijing time."""

    campaign_id: Id | None = None
    name: ModelText(Round, "name")
    kind: KINDS = "routine"
    scope: SCOPES = "responsible"
    due_at: dt.datetime
    lock_at: dt.datetime | None = None  # late answers are taken until then (default: 48 hours after due_at)
    unit_ids: list[Id] = Field(default_factory=list, max_length=MAX_UNITS)
    units: list[Search(241)] = Field(default_factory=list, max_length=MAX_UNITS)
    instructions: Text(services.MAX_TEXT) = ""


def _chosen_units(request, payload: RoundIn) -> list[OrgUnit]:
    found = {u.pk: u for u in visible_units(request.user).filter(pk__in=payload.unit_ids)}
    unknown = [i for i in payload.unit_ids if i not in found]
    if unknown:
        raise HttpError(404, f"未找到单位 {unknown[0]} 或无权查看")
    out = [found[i] for i in payload.unit_ids]
    for name in payload.units:
        if name.strip():
            resolved = resolve_in(visible_units(request.user), name)
            if isinstance(resolved, str):
                raise HttpError(422, resolved)
            out.append(resolved)
    return out


@router.post("", response=answers({201: RoundDetail}, 403, 404, body=True),
             summary="发起调度（推进办）：应报单位为本活动所有有在办事项的责任单位、疑难问题的责任单位或指定单位")
def open_round(request, payload: RoundIn):
    campaign = _campaign(request, payload.campaign_id, required=True)
    _require_runner(request, campaign)
    units = _chosen_units(request, payload)
    if units and payload.scope != Scope.UNITS:
        raise HttpError(422, "指定了报送单位时 scope 应为 units")
    try:
        rnd = services.round_open(actor=request.user, campaign=campaign, name=payload.name, due_at=_aware(payload.due_at, "due_at"),
                                  kind=payload.kind, scope=payload.scope, units=units,
                                  lock_at=_aware(payload.lock_at, "lock_at") if payload.lock_at else None,
                                  instructions=payload.instructions)
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc
    return Reply(201, _detail(request.user, _get(request, rnd.pk)))


class PunctualityIn(Schema):
    campaign: Id | None = None
    since: dt.date | None = None  # rounds due on or after
    until: dt.date | None = None
    unit: Id | None = None  # a unit's own trend (default: everyone's)


@router.get("/punctuality", response=answers({200: PunctualityPage}, 404),
            summary="按时报送率排名：每个单位应报、按时、迟报、未报与按时率（按时÷应报），及各轮按时率走势（不填 campaign 为当前活动）")
def punctuality(request, filters: Query[PunctualityIn], limit: int = 100, offset: int = 0):
    c = _campaign(request, filters.campaign, required=False) or current_campaign(request.user)
    if c is None:
        return {"campaign_id": None, "items": [], "count": 0, "trend": []}
    unit = None
    if filters.unit is not None:
        unit = visible_units(request.user).filter(pk=filters.unit).first()
        if unit is None:
            raise HttpError(404, f"未找到单位 {filters.unit} 或无权查看")
    # The ranking over everyone for whoever sees the campaign's unit; a unit its own subtree.
    whole = permissions.scope(request.user, Round.objects.filter(campaign=c)).exists() or not Round.objects.filter(campaign=c).exists()
    unit_ids = None if whole else visible_units(request.user).values("pk")
    rows = queries.punctuality_by_unit(c, since=filters.since, until=filters.until, unit_ids=unit_ids)
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_ID))
    trend = queries.punctuality_trend(c, unit=unit) if (whole or unit is not None) else []
    return {"campaign_id": c.pk, "items": rows[offset:offset + limit], "count": len(rows), "trend": trend}


@router.get("/{round_id}", response=answers({200: RoundDetail}, 404),
            summary="调度轮次：报送情况（应报、已报、按时、迟报、未报单位）与本轮汇总（进度变化、本期投资、新增堵点、新逾期、催报记录）")
def get_round(request, round_id: Id):
    return _detail(request.user, _get(request, round_id))


@router.post("/{round_id}/remind", response=answers({200: RemindOut}, 403, 404, 409),
             summary="一键催报（推进办）：只提醒尚未报送的单位；截止后提醒单位负责人")
def remind(request, round_id: Id):
    rnd = _get(request, round_id)
    _require_runner(request, rnd.campaign)
    if rnd.status == RoundStatus.LOCKED:
        raise HttpError(409, "本轮调度已截止，不再催报")
    chases = services.round_chase(rnd=rnd, actor=request.user, force=True)
    last = chases[-1]
    return {"units": last.units, "level": last.level, "level_label": LABELS["level"].get(last.level, ""), "point": last.point}


# ------------------------------------------------------------------ submissions


class SubmissionFilterIn(Schema):
    status: SUB_STATES = ""
    punctuality: PUNCTUALITIES = ""
    q: Search() = ""  # unit name


@router.get("/{round_id}/submissions", response=answers({200: SubmissionPage}, 404),
            summary="本轮的报送（推进办看全部；单位只看本单位的）；按状态、按时情况、单位名称筛选；limit ≤ 500")
def list_submissions(request, round_id: Id, filters: Query[SubmissionFilterIn], limit: int = 100, offset: int = 0):
    rnd = _get(request, round_id)
    qs = queries.visible_submissions(request.user, rnd)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.punctuality:
        qs = qs.filter(punctuality=filters.punctuality)
    if filters.q:
        qs = qs.filter(unit__name__icontains=filters.q)
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_ID))
    subs = list(qs.select_related("unit").annotate(n_lines=Count("lines")).order_by("unit__path", "id")[offset:offset + limit])
    return {"items": [_sub_row(s, s.n_lines) for s in subs], "count": qs.count()}


class LineIn(Schema):
    kind: LINE_KINDS
    object_id: Id
    progress: int | None = Field(None, ge=0, le=100)  # only the lead unit's % is applied
    done: Text(services.MAX_TEXT) = ""  # 本期工作
    invested_wan: Decimal | None = Field(None, ge=0, le=Decimal("9999999999999.99"), decimal_places=2)  # projects only
    problems: Text(services.MAX_TEXT) = ""
    next_steps: Text(services.MAX_TEXT) = ""
    unchanged: bool = False  # 无新进展: recorded, not applied to the item


class SubmissionIn(Schema):
    """A unit's report: `unit_id` (or `unit` by name) may be left out when the caller answers
    for one unit only in this round. `submit` false saves a draft; true submits (every item
    needs its 本期工作 or 无新进展). `version` is the one read: another save in between, 409."""

    unit_id: Id | None = None
    unit: Search(241) = ""
    lines: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)
    summary: Text(services.MAX_TEXT) = ""
    submit: bool = False
    version: int | None = Field(None, ge=0, le=MAX_VERSION)


def _answering(request, rnd: Round, payload: SubmissionIn) -> Submission:
    if payload.unit_id is not None and payload.unit.strip():
        raise HttpError(422, "unit_id 和 unit 只能给一个")
    if payload.unit.strip():
        resolved = resolve_in(visible_units(request.user), payload.unit)
        if isinstance(resolved, str):
            raise HttpError(422, resolved)
        return _submission(request, rnd, resolved.pk)
    if payload.unit_id is not None:
        return _submission(request, rnd, payload.unit_id)
    own = permissions.todo_units_q(request.user)
    mine = list(queries.visible_submissions(request.user, rnd).filter(own or Q(pk__in=[])).values_list("unit_id", flat=True)[:2])
    if len(mine) != 1:
        raise HttpError(422, "请给出报送单位：unit_id 或 unit（单位名称）")
    return _submission(request, rnd, mine[0])


@router.post("/{round_id}/submissions", response=answers({200: SubmissionRow}, 403, 404, 409, body=True),
             summary="单位报送本轮调度：本单位每个在办事项的进度、本期工作、完成投资、存在问题、下步计划（submit=false 存草稿）")
def submit(request, round_id: Id, payload: SubmissionIn):
    rnd = _get(request, round_id)
    sub = _answering(request, rnd, payload)
    lines = [services.LineInput(kind=ln.kind, object_id=ln.object_id, progress=ln.progress, done=ln.done, invested_wan=ln.invested_wan,
                                problems=ln.problems, next_steps=ln.next_steps, unchanged=ln.unchanged) for ln in payload.lines]
    try:
        sub = services.submission_save(actor=request.user, submission=sub, lines=lines, summary=payload.summary, submit=payload.submit,
                                       version=payload.version)
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc
    return _sub_row(sub, sub.lines.count())


@router.get("/{round_id}/submissions/{unit_id}", response=answers({200: SubmissionForm}, 404),
            summary="一个单位本轮的报送表：本单位的全部在办事项，各带本次填写与上一轮的内容（预填）")
def get_submission(request, round_id: Id, unit_id: Id):
    rnd = _get(request, round_id)
    return _form(request.user, _submission(request, rnd, unit_id))


class ReturnIn(Schema):
    reason: Text(2000)


@router.post("/{round_id}/submissions/{unit_id}/return", response=answers({200: SubmissionRow}, 403, 404, 409, body=True),
             summary="退回报送（推进办，须写理由）；单位修改后重新报送，按时情况仍按首次报送时间计")
def return_submission(request, round_id: Id, unit_id: Id, payload: ReturnIn):
    rnd = _get(request, round_id)
    sub = _submission(request, rnd, unit_id)
    _require_runner(request, rnd.campaign)
    try:
        sub = services.submission_return(actor=request.user, submission=sub, reason=payload.reason)
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc
    return _sub_row(sub, sub.lines.count())



@router.post("/{round_id}/submissions/{unit_id}/files", response=answers({201: FileOut}, 403, 404, 409, body=True),
             summary="为报送中的一个事项上传附件（照片、PDF、Office 文档；multipart，kind 与 object_id 指明事项）：附件存入该事项本身（问题佐证、事项佐证材料、项目资料），每项最多5个")
def attach_file(request, round_id: Id, unit_id: Id, kind: Form[Literal["task", "problem", "project"]], object_id: Form[Id],
                file: File[UploadedFile]):
    rnd = _get(request, round_id)
    sub = _submission(request, rnd, unit_id)
    if file.size and file.size > evidence_files.max_bytes():
        raise HttpError(422, f"文件过大，上限 {evidence_files.max_bytes() // 1048576} MB")
    try:
        line = services.submission_attach(actor=request.user, submission=sub, kind=kind, object_id=object_id,
                                          files=[(file.name or "附件", file.read())])
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc
    f = line.file_links[-1]
    return Reply(201, {"name": f["name"], "size": f["size"], "url": f["url"]})
