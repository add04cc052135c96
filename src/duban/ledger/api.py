"""`/api/problems`: list, detail, create, update, transitions, notes, evidence and rates.

Every endpoint reads through `queries` (the scoping rule) and writes through `services`.
Errors: 404 outside the user's scope, 403 not allowed, 409 illegal transition, 422 bad input.
"""


import datetime as dt
import json
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import F
from django.http import FileResponse, HttpResponse
from ninja import File, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.responses import Status as Reply
from pydantic import BaseModel, Field

from duban.campaigns.models import Campaign, FocusArea
from duban.campaigns.queries import campaigns_for, current_campaign
from duban.core import evidence_files as storage
from duban.core.apischema import MAX_PAGE, TransitionOut, answers
from duban.core.dates import today
from duban.core.validation import MAX_ID, Id, ModelText, Search, Text
from duban.ledger import queries, services, workflow
from duban.ledger.models import MAX_VERSION, Kind, Problem, Source, Status, version_of
from duban.orgs.matching import resolve_in
from duban.orgs.queries import unit_get
from duban.orgs.scoping import visible_units

router = Router(tags=["整改台账"])


class ProblemRow(BaseModel):
    """One problem's fields; list rows are built from `.values()` dicts.

    A plain pydantic model, not a ninja Schema: Schema wraps every object in a getter
    that costs a Python call per field, which made the 50-row list 2× slower than a
    hand-written view (bench/bench_api.py).
    """

    id: int
    campaign_id: int
    seq: int
    description: str
    focus_area_id: int | None
    focus_area: str | None
    source: str
    source_label: str
    unit_id: int
    unit: str
    owner: str
    supervisor_id: int | None
    measures: str
    deadline: dt.date | None
    original_deadline: dt.date | None
    kind: str
    kind_label: str
    progress: str
    status: str
    status_label: str
    completed_on: dt.date | None
    extension_to: dt.date | None
    deadline_state: str
    extra: dict[str, Any]
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int  # send it back with PATCH: a stale one answers 409 with what changed


class ProblemOut(Schema, ProblemRow):
    """ProblemRow's fields, resolved from a Problem instance (detail, create, update)."""

    @staticmethod
    def resolve_focus_area(obj: Problem) -> str | None:
        return obj.focus_area.name if obj.focus_area_id else None

    @staticmethod
    def resolve_unit(obj: Problem) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_source_label(obj: Problem) -> str:
        return obj.get_source_display()

    @staticmethod
    def resolve_kind_label(obj: Problem) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_status_label(obj: Problem) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_deadline_state(obj: Problem) -> str:
        return queries.deadline_state(obj)


class EventOut(Schema):
    at: dt.datetime
    actor_name: str
    action: str
    action_label: str  # the action in words (认领, 销号…), as the page shows it
    from_status: str
    to_status: str
    note: str


class EvidenceOut(Schema):
    id: int
    name: str
    content_type: str
    size: int
    uploaded_at: dt.datetime


class ProblemDetailOut(ProblemOut):
    timeline: list[EventOut]
    evidence: list[EvidenceOut]
    transitions: list[str]
    transition_details: list[TransitionOut]  # what each allowed step needs (core.workflow)

    @staticmethod
    def resolve_timeline(obj: Problem) -> list:
        return list(queries.timeline(obj))

    @staticmethod
    def resolve_evidence(obj: Problem) -> list:
        return list(queries.evidence_list(obj))

    @staticmethod
    def resolve_transitions(obj: Problem, context) -> list[str]:
        return [t.name for t in workflow.available(context["request"].user, obj)]

    @staticmethod
    def resolve_transition_details(obj: Problem, context) -> list[dict]:
        return [workflow.TABLE.describe(t) for t in workflow.available(context["request"].user, obj)]


# Lengths come from the model fields the values are written to (core.validation).
UNIT_NAME = Search(241)  # "上级单位/单位名称": two names of up to 120 characters


class ProblemIn(Schema):
    """The responsible unit by id (`unit_id`) or by name (`unit`: "一村", or "平安镇/一村"
    where the name repeats); the supervising unit likewise (`supervisor_id` / `supervisor`)."""

    description: ModelText(Problem, "description")
    unit_id: Id | None = None
    unit: UNIT_NAME = ""
    campaign_id: Id | None = None
    focus_area_id: Id | None = None
    source: ModelText(Problem, "source") = Source.SELF_CHECK
    owner: ModelText(Problem, "owner") = ""
    supervisor_id: Id | None = None
    supervisor: UNIT_NAME = ""
    measures: ModelText(Problem, "measures") = ""
    deadline: dt.date | None = None
    kind: ModelText(Problem, "kind") = Kind.DEADLINE


class ProblemPatch(Schema):
    """Only the fields sent change; null clears focus area, supervisor and deadline — the
    other fields cannot be empty, so null is refused for them (422) rather than stored.
    `version` is the one the client read: when another save came in between, 409 and
    nothing saved."""

    version: int | None = Field(None, ge=0, le=MAX_VERSION)
    description: ModelText(Problem, "description") = None
    unit_id: Id = None
    unit: UNIT_NAME = None  # by name, instead of unit_id
    focus_area_id: Id | None = None
    source: ModelText(Problem, "source") = None
    owner: ModelText(Problem, "owner") = None
    supervisor_id: Id | None = None
    supervisor: UNIT_NAME = None  # by name, instead of supervisor_id
    measures: ModelText(Problem, "measures") = None
    deadline: dt.date | None = None
    kind: ModelText(Problem, "kind") = None


class TransitionIn(Schema):
    reason: Text() = ""
    date: dt.date | None = None


class NoteIn(Schema):
    note: Text()


class FilterIn(Schema):
    campaign: Id | None = None
    area: Id | None = None
    unit: Id | None = None
    status: Search(20) = ""
    overdue: bool = False
    due_soon: bool = False
    source: Search(20) = ""
    kind: Search(20) = ""
    deadline_from: Search(40) = ""
    deadline_to: Search(40) = ""
    q: Search() = ""
    sort: Search(20) = "-id"


def _filter(params: FilterIn) -> queries.ProblemFilter:
    raw = {k: ("1" if v is True else "" if v is False or v is None else str(v)) for k, v in params.dict().items()}
    f, errors = queries.ProblemFilter.from_params(raw)
    if errors:
        raise HttpError(422, "；".join(errors))
    return f


def _get(request, problem_id: int) -> Problem:
    problem = queries.problem_get(request.user, problem_id)
    if problem is None:
        raise HttpError(404, "未找到该问题或无权查看")
    return problem


def _errors(exc: Exception) -> HttpError:
    if isinstance(exc, PermissionDenied):
        return HttpError(403, str(exc) or "无权操作")
    if isinstance(exc, workflow.TransitionError):
        return HttpError(409, str(exc))
    if isinstance(exc, ValidationError):
        return HttpError(422, "；".join(exc.messages))
    if isinstance(exc, storage.EvidenceRejected):
        return HttpError(422, str(exc))
    raise exc


def _unit(request, unit_id: int | None):
    if unit_id is None:
        return None
    unit = unit_get(request.user, unit_id)
    if unit is None:
        raise HttpError(404, f"未找到单位 {unit_id} 或无权查看")
    return unit


def _unit_named(request, text: str | None, unit_id: int | None, *, field: str):
    """A unit given by id or by name (not both), inside the user's scope: 404 for an id
    not found, 422 with the closest names for a name not found or not unique."""
    if text and unit_id is not None:
        raise HttpError(422, f"{field}_id 和 {field} 只能给一个")
    if not text:
        return _unit(request, unit_id)
    resolved = resolve_in(visible_units(request.user), text)
    if isinstance(resolved, str):
        raise HttpError(422, resolved)
    return resolved


def _area(campaign: Campaign, area_id: int | None) -> FocusArea | None:
    if area_id is None:
        return None
    area = FocusArea.objects.filter(pk=area_id, campaign=campaign).first()
    if area is None:
        raise HttpError(422, "聚焦领域不属于该活动")
    return area


def _detail(request, problem: Problem) -> Problem:
    return problem


ROW_FIELDS = (
    "id", "campaign_id", "seq", "description", "focus_area_id", "source", "unit_id", "owner", "supervisor_id",
    "measures", "deadline", "original_deadline", "kind", "progress", "status", "completed_on", "extension_to", "extra",
    "created_at", "updated_at",
)


class ProblemRows:
    """The filtered queryset as dict rows shaped like ProblemRow: count() and slicing."""

    def __init__(self, qs, count):
        self.qs, self._count = qs, count

    def count(self) -> int:
        return self._count()

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        rows = list(self.qs.values(*ROW_FIELDS, focus_area_name=F("focus_area__name"), unit_name=F("unit__name"))[window])
        labels = {name: {k: str(v) for k, v in choices} for name, choices in (("source", Source.choices), ("kind", Kind.choices), ("status", Status.choices))}
        on = today()
        for r in rows:
            r["focus_area"], r["unit"] = r.pop("focus_area_name"), r.pop("unit_name")
            for name, names in labels.items():
                r[f"{name}_label"] = names.get(r[name], r[name])
            r["deadline_state"] = queries.deadline_state(SimpleNamespace(**r), on)
            r["version"] = version_of(r["updated_at"])
        return rows


class ProblemPage(BaseModel):
    items: list[ProblemRow]
    count: int


@router.get("", response=answers({200: ProblemPage}), summary="问题列表（本人可见范围，可筛选、搜索、排序；limit ≤ 500）")
def list_problems(request, filters: Query[FilterIn], limit: int = 100, offset: int = 0):
    f = _filter(filters)
    # The count comes from the roll-ups where they answer exactly (an office's unfiltered
    # list counts millions of rows in milliseconds), else by counting the same filter.
    rows = ProblemRows(queries.problem_list(request.user, f), lambda: queries.problem_count(request.user, f))
    # Paging out of range is clamped, not refused (limit 1…500); the offset also stops at
    # 2^63-1, beyond which the database cannot hold it (a 500 before).
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, min(offset, MAX_ID))
    body = {"items": rows[offset : offset + limit], "count": rows.count()}
    # The rows come from .values() with exactly ProblemRow's types (tests validate the body
    # against ProblemPage); letting ninja re-validate and re-dump them cost a third of the
    # request (bench/bench_api.py), so the JSON is written directly.
    return HttpResponse(json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False), content_type="application/json")


class RateOut(Schema):
    key: int | str | None
    label: str
    total: int
    rectified: int
    rate: float
    overdue: int
    on_time: int
    with_deadline_done: int
    on_time_rate: float


@router.get("/rates", response=answers({200: list[RateOut]}), summary="整改率、按期率、逾期：按聚焦领域/单位/来源/月份")
def problem_rates(request, by: Search(20) = "area", campaign: Id | None = None):
    if by not in queries.GROUPINGS:
        raise HttpError(422, f"by 应为 {'/'.join(queries.GROUPINGS)}")
    c = campaigns_for(request.user).filter(pk=campaign).first() if campaign else None
    return queries.rates(request.user, campaign=c, by=by)


@router.get("/{problem_id}", response=answers({200: ProblemDetailOut}, 404), summary="问题详情（含整改动态、佐证材料、可执行的操作）")
def get_problem(request, problem_id: Id):
    return _detail(request, _get(request, problem_id))


@router.post("", response=answers({201: ProblemOut}, 403, 404, body=True), summary="登记问题")
def create_problem(request, payload: ProblemIn):
    campaign = campaigns_for(request.user).filter(pk=payload.campaign_id).first() if payload.campaign_id else current_campaign(request.user)
    if campaign is None:
        raise HttpError(422, "没有可用的活动")
    unit = _unit_named(request, payload.unit, payload.unit_id, field="unit")
    if unit is None:
        raise HttpError(422, "请给出责任单位：unit_id 或 unit（单位名称）")
    supervisor = _unit_named(request, payload.supervisor, payload.supervisor_id, field="supervisor")
    try:
        p = services.problem_create(
            actor=request.user, campaign=campaign, description=payload.description, unit=unit,
            focus_area=_area(campaign, payload.focus_area_id), source=payload.source, owner=payload.owner,
            supervisor=supervisor, measures=payload.measures, deadline=payload.deadline, kind=payload.kind,
        )
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc
    return Reply(201, queries.problem_get(request.user, p.pk))


class ChangeOut(Schema):
    label: str
    before: Any = None
    after: Any = None
    by: str = ""
    at: str


class ConflictOut(Schema):
    detail: str
    version: int
    changed: dict[str, ChangeOut]


@router.patch("/{problem_id}", response=answers({200: ProblemOut, 409: ConflictOut}, 403, 404, body=True),
              summary="修改问题（带上读到的 version；过期则 409 并列出他人改动的字段）")
def update_problem(request, problem_id: Id, payload: ProblemPatch):
    problem = _get(request, problem_id)
    data = payload.dict(exclude_unset=True)
    version = data.pop("version", None)
    for name in ("unit", "supervisor"):
        if name in data:  # by name: the same as giving its id
            if f"{name}_id" in data:
                raise HttpError(422, f"{name}_id 和 {name} 只能给一个")
            text = data.pop(name)
            if text is None:
                data[f"{name}_id"] = None
            else:
                unit = _unit_named(request, text, None, field=name)
                data[f"{name}_id"] = unit.pk if unit is not None else None
    fields: dict[str, Any] = {}
    for k, v in data.items():
        if k == "unit_id":
            fields["unit"] = _unit(request, v)
        elif k == "supervisor_id":
            fields["supervisor"] = _unit(request, v)
        elif k == "focus_area_id":
            fields["focus_area"] = _area(problem.campaign, v)
        else:
            fields[k] = v
    try:
        services.problem_update(actor=request.user, problem=problem, version=version, **fields)
    except services.EditConflict as exc:
        changed = {k: {**c, "at": c["at"].isoformat()} for k, c in exc.changed.items()}
        return Reply(409, {"detail": str(exc), "version": exc.problem.version, "changed": changed})
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc
    return queries.problem_get(request.user, problem_id)


@router.post("/{problem_id}/transitions/{name}", response=answers({200: ProblemDetailOut}, 403, 404, 409, body=True), summary="流转：claim/submit/sign_off/return/request_extension/approve_extension/refuse_extension/reopen")
def transition(request, problem_id: Id, name: Search(40), payload: TransitionIn):
    problem = _get(request, problem_id)
    try:
        services.problem_transition(actor=request.user, problem=problem, name=name, reason=payload.reason, date=payload.date)
    except (PermissionDenied, ValidationError, workflow.TransitionError) as exc:
        raise _errors(exc) from exc
    return _detail(request, _get(request, problem_id))


@router.post("/{problem_id}/notes", response=answers({201: EventOut}, 403, 404, body=True), summary="填写整改进展")
def add_note(request, problem_id: Id, payload: NoteIn):
    problem = _get(request, problem_id)
    try:
        return Reply(201, services.problem_note(actor=request.user, problem=problem, note=payload.note))
    except (PermissionDenied, ValidationError) as exc:
        raise _errors(exc) from exc


@router.post("/{problem_id}/evidence", response=answers({201: EvidenceOut}, 400, 403, 404), summary="上传佐证材料（图片、PDF、Office 文档）")
def upload_evidence(request, problem_id: Id, file: File[UploadedFile]):
    problem = _get(request, problem_id)
    if file.size and file.size > storage.max_bytes():
        raise HttpError(422, f"文件过大，上限 {storage.max_bytes() // 1048576} MB")
    try:
        return Reply(201, services.problem_add_evidence(actor=request.user, problem=problem, name=file.name, data=file.read()))
    except (PermissionDenied, ValidationError, storage.EvidenceRejected) as exc:
        raise _errors(exc) from exc


@router.get("/{problem_id}/evidence/{evidence_id}", summary="下载佐证材料", response=answers({200: None}, 404))
def download_evidence(request, problem_id: Id, evidence_id: Id):
    ev = services.evidence_for_download(request.user, evidence_id)
    if ev is None or ev.problem_id != problem_id:
        raise HttpError(404, "未找到该材料或无权查看")
    return FileResponse(storage.storage().open(ev.key), as_attachment=True, filename=ev.name, content_type=ev.content_type)
