"""Suggestion endpoints (/api/suggestions, signed in) and the public ones (/api/public, no account).

Every signed-in read goes through the scoping rule; names and phones come masked unless the
caller is the campaign office. Public endpoints take no credentials, are rate limited per
IP and reveal one item only to the holder of its tracking code.
"""

# No `from __future__ import annotations`: @paginate re-reads the view's parameter types
# in ninja's own namespace, where string annotations such as "Id | None" cannot resolve.

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import File, Query, Router, Schema
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status as Reply

from duban.campaigns.models import Campaign, FocusArea
from duban.campaigns.queries import campaigns_for, current_campaign
from duban.core.actors import PUBLIC
from duban.core.apischema import Pagination, TransitionOut, answers
from duban.core.ratelimit import client_ip, hit
from duban.core.validation import MAX_TEXT, Id, ModelText, Search, Text
from duban.core.workflow import TransitionError, error_text, http_status
from duban.core.xlsx import ImportRejected
from duban.intake import hooks, ledger_link, queries, services, workflow
from duban.intake.figures import figures
from duban.intake.io import suggestions_import
from duban.intake.models import Callback, Channel, Kind, Status, Suggestion, format_code
from duban.intake.privacy import can_see_contact, mask_name, mask_phone, text_shown
from duban.orgs.models import OrgUnit

router = Router(tags=["意见建议"])
public_router = Router(tags=["群众留言（无需登录）"])


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


class SuggestionOut(Schema):
    """What staff read: never the tracking code (the submitter's key to rating the reply)."""

    id: int
    campaign_id: int
    kind: str
    kind_label: str
    channel: str
    channel_label: str
    title: str
    body: str
    contact_name: str
    contact_phone: str
    place: str
    place_unit_id: int | None
    unit_id: int
    unit_name: str
    focus_area_id: int | None
    focus_area_name: str | None
    label: str
    status: str
    status_label: str
    submitted_at: dt.datetime
    due_date: dt.date | None
    routed_at: dt.datetime | None
    problem_id: int | None
    reply: str
    replied_at: dt.datetime | None
    rating: str
    rating_comment: str
    rated_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopen_count: int
    rating_source: str
    transferred_to: str
    extra: dict


class CallbackOut(Schema):
    id: int
    result: str
    result_label: str
    note: str
    caller: str
    called_at: dt.datetime


class SuggestionDetailOut(SuggestionOut):
    """One item: besides its fields, the workflow steps the caller may take now
    (`transitions`, names as the ledger's; `transition_details`, what each needs) and its
    phone callbacks."""

    transitions: list[str]
    transition_details: list[TransitionOut]
    callbacks: list[CallbackOut]


def _out(user, s: Suggestion, show: bool | None = None) -> dict:
    show = can_see_contact(user, s) if show is None else show
    return {
        "id": s.pk, "campaign_id": s.campaign_id, "kind": s.kind, "kind_label": s.get_kind_display(),
        "channel": s.channel, "channel_label": s.get_channel_display(), "title": text_shown(s.title, full=show), "body": text_shown(s.body, full=show),
        "contact_name": s.contact_name if show else mask_name(s.contact_name),
        "contact_phone": s.contact_phone if show else mask_phone(s.contact_phone),
        "place": s.place, "place_unit_id": s.place_unit_id, "unit_id": s.unit_id, "unit_name": s.unit.name,
        "focus_area_id": s.focus_area_id, "focus_area_name": s.focus_area.name if s.focus_area_id else None, "label": s.label,
        "status": s.status, "status_label": s.get_status_display(), "submitted_at": s.submitted_at, "due_date": s.due_date,
        "routed_at": s.routed_at, "problem_id": s.problem_id, "reply": s.reply, "replied_at": s.replied_at, "rating": s.rating,
        "rating_comment": s.rating_comment, "rated_at": s.rated_at, "closed_at": s.closed_at, "reopen_count": s.reopen_count,
        "rating_source": s.rating_source, "transferred_to": s.transferred_to, "extra": s.extra or {},
    }


def _detail(user, s: Suggestion) -> dict:
    steps = workflow.available(user, s)
    return {
        **_out(user, s), "transitions": [t.name for t in steps], "transition_details": [workflow.TABLE.describe(t) for t in steps],
        "callbacks": [{"id": c.pk, "result": c.result, "result_label": c.get_result_display(), "note": c.note, "caller": c.caller,
                       "called_at": c.called_at} for c in s.callbacks.all()],
    }


def _get(request, pk: int) -> Suggestion:
    s = queries.suggestion_get(request.user, pk)
    if s is None:
        raise HttpError(404, "未找到该意见建议或无权查看")
    return s


class FilterIn(Schema):
    """The inbox's filters, under the same names as the page and the export (`unit_id` and
    `campaign_id` are the older names of `unit` and `campaign`)."""

    campaign: Id | None = None
    status: Search(20) = ""
    channel: Search(20) = ""
    kind: Search(20) = ""
    unit: Id | None = None
    area: Id | None = None
    overdue: bool = False
    submitted_from: Search(40) = ""
    submitted_to: Search(40) = ""
    q: Search() = ""
    unit_id: Id | None = None
    campaign_id: Id | None = None


@router.get("", response=answers({200: list[SuggestionOut]}), summary="意见建议列表（本人可见范围，筛选同意见建议页；联系人脱敏）")
@paginate(Pagination)
def list_suggestions(request, filters: Query[FilterIn]):
    raw = {k: ("1" if v is True else "" if v is False or v is None else str(v)) for k, v in filters.dict().items()}
    f, errors = queries.SuggestionFilter.from_params(raw)
    if errors:
        raise HttpError(422, "；".join(errors))
    qs = queries.suggestion_list(request.user, f)
    office_campaigns: dict[int, bool] = {}

    class Rows:
        """Lazy rows for the paginator: masks per item after slicing."""

        def __init__(self, qs):
            self.qs = qs

        def __len__(self):
            return self.qs.count()

        def count(self):
            return self.qs.count()

        def __getitem__(self, sl):
            out = []
            for s in self.qs[sl]:
                if s.campaign_id not in office_campaigns:
                    office_campaigns[s.campaign_id] = can_see_contact(request.user, s)
                out.append(_out(request.user, s, office_campaigns[s.campaign_id]))
            return out

    return Rows(qs)


class CountsOut(Schema):
    by_channel: dict[str, int]
    by_kind: dict[str, int]
    by_status: dict[str, int]


@router.get("/counts", response=answers({200: CountsOut}), summary="按渠道、类别、状态计数")
def counts(request, campaign_id: Id | None = None):
    campaign = campaigns_for(request.user).filter(pk=campaign_id).first() if campaign_id else current_campaign(request.user)
    return {
        "by_channel": {label: n for _, label, n in queries.channel_counts(request.user, campaign=campaign)},
        "by_kind": {label: n for _, label, n in queries.kind_counts(request.user, campaign=campaign)},
        "by_status": {label: n for _, label, n in queries.status_counts(request.user, campaign=campaign)},
    }


@router.get("/figures", response=answers({200: dict}), summary="意见建议头条数据（与 duban stats 的 suggestions 部分相同）")
def suggestion_figures(request, campaign_id: Id | None = None):
    campaign = campaigns_for(request.user).filter(pk=campaign_id).first() if campaign_id else None
    return figures(user=request.user, campaign=campaign)


class SkippedOut(Schema):
    row: int  # as the file numbers it (1-based)
    reason: str  # 标题行, 填报信息行, 注释行…: the same words the import page shows


class ImportOut(Schema):
    created: int
    rows: int
    by_channel: dict[str, int]
    skipped: list[SkippedOut]  # rows of the file that were not data, so a script can show what was left out


class ImportErrorOut(Schema):
    detail: str
    errors: list[dict]


@router.post("/import", response=answers({201: ImportOut, 400: ImportErrorOut}, 403, 404), summary="批量导入（xlsx，整表校验，推进办）")
def import_suggestions(request, file: UploadedFile = File(...), campaign_id: Id | None = None):  # noqa: B008
    campaign = campaigns_for(request.user).filter(pk=campaign_id).first() if campaign_id else current_campaign(request.user)
    if campaign is None:
        raise HttpError(404, "没有可导入的活动")
    try:
        result = suggestions_import(actor=request.user, source=file, campaign=campaign, max_bytes=20 * 1024 * 1024)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权导入") from exc
    except ImportRejected as exc:
        return Reply(400, {"detail": "导入失败，未写入任何数据", "errors": [{"row": e.row, "column": e.column, "message": e.message} for e in exc.errors]})
    return Reply(201, {"created": result.created, "rows": result.rows, "by_channel": dict(result.by_channel),
                       "skipped": [{"row": r.row, "reason": r.reason} for r in result.skipped]})


@router.get("/{suggestion_id}", response=answers({200: SuggestionDetailOut}, 404), summary="意见建议详情（含当前可办理的流转和电话回访）")
def get_suggestion(request, suggestion_id: Id):
    return _detail(request.user, _get(request, suggestion_id))


class SuggestionIn(Schema):
    body: Text(MAX_TEXT)  # the service says "不能超过 5000 字" below this cap
    title: ModelText(Suggestion, "title") = ""
    kind: ModelText(Suggestion, "kind") = Kind.ISSUE
    channel: ModelText(Suggestion, "channel") = Channel.HOTLINE
    contact_name: ModelText(Suggestion, "contact_name") = ""
    contact_phone: ModelText(Suggestion, "contact_phone") = ""
    place: ModelText(Suggestion, "place") = ""
    place_unit_id: Id | None = None
    submitted_at: dt.datetime | None = None
    campaign_id: Id | None = None


class SuggestionCreated(SuggestionOut):
    tracking_code: str  # once, for the operator to read back to the caller


@router.post("", response=answers({201: SuggestionCreated}, 403, 404, body=True),
             summary="登记一条意见建议（热线、来信、来访、座谈会等）；只在此时返回查询码，供告知来电人")
def create_suggestion(request, payload: SuggestionIn):
    campaign = campaigns_for(request.user).filter(pk=payload.campaign_id).first() if payload.campaign_id else current_campaign(request.user)
    if campaign is None:
        raise HttpError(404, "没有可登记的活动")
    from duban.orgs.scoping import home_unit, is_office

    unit = campaign.unit if is_office(request.user) else home_unit(request.user)
    place_unit = OrgUnit.objects.filter(pk=payload.place_unit_id).first() if payload.place_unit_id else None
    try:
        s = services.suggestion_submit(
            actor=request.user, campaign=campaign, body=payload.body, title=payload.title, kind=payload.kind, channel=payload.channel,
            contact_name=payload.contact_name, contact_phone=payload.contact_phone, place=payload.place, place_unit=place_unit,
            unit=unit, submitted_at=payload.submitted_at,
        )
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权登记") from exc
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from exc
    return Reply(201, {**_out(request.user, queries.suggestion_get(request.user, s.pk) or s), "tracking_code": s.tracking_code})


class RouteIn(Schema):
    unit_id: Id | None = None
    focus_area_id: Id | None = None
    label: ModelText(Suggestion, "label") | None = None


@router.post("/{suggestion_id}/route", response=answers({200: SuggestionOut}, 403, 404, body=True), summary="分拣：确认或更正办理单位、聚焦领域、分类标签（推进办）")
def route(request, suggestion_id: Id, payload: RouteIn):
    s = _get(request, suggestion_id)
    unit = OrgUnit.objects.filter(pk=payload.unit_id).first() if payload.unit_id else None
    if payload.unit_id and unit is None:
        raise HttpError(422, f"未知单位 {payload.unit_id}")
    area = FocusArea.objects.filter(pk=payload.focus_area_id).first() if payload.focus_area_id else None
    if payload.focus_area_id and area is None:
        raise HttpError(422, f"未知聚焦领域 {payload.focus_area_id}")
    try:
        s = services.suggestion_route_confirm(actor=request.user, suggestion=s, unit=unit, focus_area=area, label=payload.label)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权分拣") from exc
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from exc
    return _out(request.user, _get(request, s.pk))


class ReplyIn(Schema):
    text: Text(MAX_TEXT)


class ReplyOut(Schema):
    suggestion: SuggestionOut
    flags: list[dict]


@router.post("/{suggestion_id}/reply", response=answers({200: ReplyOut}, 403, 404, 409, body=True), summary="答复（推进办或办理单位）；返回答复检查提示")
def reply(request, suggestion_id: Id, payload: ReplyIn):
    s = _get(request, suggestion_id)
    flags = hooks.reply_flags(s, payload.text) if payload.text.strip() else []
    try:
        s = services.suggestion_reply(actor=request.user, suggestion=s, text=payload.text, flags=[f["message"] for f in flags])
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权答复") from exc
    except TransitionError as exc:
        raise HttpError(409, str(exc)) from exc
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from exc
    return {"suggestion": _out(request.user, _get(request, s.pk)), "flags": flags}


@router.post("/{suggestion_id}/close", response=answers({200: SuggestionOut}, 403, 404, 409), summary="办结（推进办）")
def close(request, suggestion_id: Id):
    s = _get(request, suggestion_id)
    try:
        s = services.suggestion_close(actor=request.user, suggestion=s)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权办结") from exc
    except TransitionError as exc:
        raise HttpError(409, str(exc)) from exc
    return _out(request.user, _get(request, s.pk))


class StepIn(Schema):
    reason: Text(5000) = ""
    transferred_to: ModelText(Suggestion, "transferred_to") = ""
    version: Id | None = None  # the item's version as read (optional): a changed item answers 409


@router.post("/{suggestion_id}/transitions/{name}", response=answers({200: SuggestionDetailOut}, 403, 404, 409, body=True),
             summary="流转：verify 开始核查 / conclude 查结（reason 必填）/ transfer 转办（transferred_to 必填）/ close 办结；可办理的见详情的 transitions")
def suggestion_transition(request, suggestion_id: Id, name: Search(40), payload: StepIn):
    s = _get(request, suggestion_id)
    try:
        services.suggestion_transition(actor=request.user, suggestion=s, name=name, reason=payload.reason,
                                       transferred_to=payload.transferred_to, version=payload.version)
    except (PermissionDenied, TransitionError, ValidationError) as exc:
        raise HttpError(http_status(exc), error_text(exc)) from exc
    return _detail(request.user, _get(request, suggestion_id))


class CallbackIn(Schema):
    result: ModelText(Callback, "result")
    note: Text(1000) = ""
    caller: ModelText(Callback, "caller") = ""
    called_at: dt.datetime | None = None


class CallbackCreated(Schema):
    suggestion: SuggestionDetailOut
    callback: CallbackOut


@router.post("/{suggestion_id}/callbacks", response=answers({201: CallbackCreated}, 403, 404, 409, body=True),
             summary="电话回访（推进办）：result 为 satisfied 满意 / basic 基本满意 / unsatisfied 不满意（不满意将重新办理），计入满意率")
def add_callback(request, suggestion_id: Id, payload: CallbackIn):
    s = _get(request, suggestion_id)
    try:
        s = services.suggestion_callback(actor=request.user, suggestion=s, result=payload.result, note=payload.note,
                                         caller=payload.caller, called_at=payload.called_at)
    except (PermissionDenied, TransitionError, ValidationError) as exc:
        raise HttpError(http_status(exc), error_text(exc)) from exc
    detail = _detail(request.user, _get(request, suggestion_id))
    return Reply(201, {"suggestion": detail, "callback": detail["callbacks"][-1]})


class ToProblemIn(Schema):
    unit_id: Id | None = None
    focus_area_id: Id | None = None
    description: Text() = ""
    deadline: dt.date | None = None


class ProblemLinkOut(Schema):
    suggestion: SuggestionOut
    problem_id: int


@router.post("/{suggestion_id}/to-problem", response=answers({201: ProblemLinkOut}, 403, 404, body=True), summary="转为整改台账问题（推进办）")
def to_problem(request, suggestion_id: Id, payload: ToProblemIn):
    s = _get(request, suggestion_id)
    unit = OrgUnit.objects.filter(pk=payload.unit_id).first() if payload.unit_id else None
    area = FocusArea.objects.filter(pk=payload.focus_area_id, campaign=s.campaign).first() if payload.focus_area_id else None
    try:
        problem = ledger_link.to_problem(actor=request.user, suggestion=s, unit=unit, focus_area=area, description=payload.description, deadline=payload.deadline)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权转为问题") from exc
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from exc
    return Reply(201, {"suggestion": _out(request.user, _get(request, s.pk)), "problem_id": problem.pk})


class JoinIn(Schema):
    problem_id: Id


@router.post("/{suggestion_id}/join-problem", response=answers({200: ProblemLinkOut}, 403, 404, body=True), summary="并入已有问题（推进办）")
def join_problem(request, suggestion_id: Id, payload: JoinIn):
    s = _get(request, suggestion_id)
    try:
        problem = ledger_link.join_problem(actor=request.user, suggestion=s, problem_id=payload.problem_id)
    except PermissionDenied as exc:
        raise HttpError(403, str(exc) or "无权操作") from exc
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from exc
    return {"suggestion": _out(request.user, _get(request, s.pk)), "problem_id": problem.pk}


# ---------------------------------------------------------------------------- public


def _limit(request, scope: str) -> None:
    from duban.intake.public_views import limits

    limit, window = limits()[scope]
    if not hit(f"intake-{scope}:{client_ip(request)}", limit, window):
        raise HttpError(429, "操作过于频繁，请稍后再试")


class PublicIn(Schema):
    body: Text(MAX_TEXT)  # the service says "不能超过 5000 字" below this cap
    title: ModelText(Suggestion, "title") = ""
    kind: ModelText(Suggestion, "kind") = Kind.SUGGESTION
    contact_name: ModelText(Suggestion, "contact_name") = ""
    contact_phone: ModelText(Suggestion, "contact_phone") = ""
    place: ModelText(Suggestion, "place") = ""
    place_unit_id: Id | None = None
    campaign_id: Id | None = None
    website: Text(200) = ""  # the honeypot: leave empty


class PublicCreated(Schema):
    tracking_code: str
    code_display: str
    status_url: str


class PublicStep(Schema):
    name: str
    at: dt.datetime | None
    text: str


class PublicStatus(Schema):
    code_display: str
    kind_label: str
    title: str
    status: str
    status_label: str
    submitted_at: dt.datetime
    unit_name: str | None
    reply: str
    replied_at: dt.datetime | None
    rating: str
    rating_label: str
    can_rate: bool
    steps: list[PublicStep]


def _public_status(s: Suggestion) -> dict:
    steps = queries.public_steps(s)
    return {
        "code_display": format_code(s.tracking_code), "kind_label": s.get_kind_display(), "title": s.title, "status": s.status,
        "status_label": s.get_status_display(), "submitted_at": s.submitted_at, "unit_name": s.unit.name if s.routed_at else None,
        "reply": s.reply, "replied_at": s.replied_at, "rating": s.rating, "rating_label": s.get_rating_display() if s.rating else "",
        "can_rate": s.status == Status.REPLIED, "steps": steps,
    }


class PublicThanks(Schema):
    detail: str


@public_router.post("/suggestions", auth=None, response=answers({201: PublicCreated, 200: PublicThanks}, 400, 404, public=True), summary="群众提交意见建议（无需登录，按 IP 限流）")
def public_submit(request, payload: PublicIn):
    _limit(request, "submit")
    if payload.website:
        return Reply(200, {"detail": "感谢您的留言"})
    campaigns = Campaign.objects.filter(is_active=True).select_related("unit")
    campaign = campaigns.filter(pk=payload.campaign_id).first() if payload.campaign_id else campaigns.order_by("-start_date", "-id").first()
    if campaign is None:
        raise HttpError(404, "目前没有正在征集意见的活动")
    place_unit = OrgUnit.objects.filter(pk=payload.place_unit_id, parent=campaign.unit).first() if payload.place_unit_id else None
    if payload.kind not in Kind.values:
        raise HttpError(422, f"未知类别“{payload.kind}”")
    try:
        s = services.suggestion_submit(
            # the public door: a citizen (no account) submits to the campaign's own unit
            actor=PUBLIC, skip_checks=True, campaign=campaign, body=payload.body, title=payload.title, kind=payload.kind, channel=Channel.WEB,
            contact_name=payload.contact_name, contact_phone=payload.contact_phone, place=payload.place, place_unit=place_unit,
            source_ip=client_ip(request),
        )
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from exc
    return Reply(201, {"tracking_code": s.tracking_code, "code_display": s.code_display, "status_url": f"/s/t/{s.tracking_code}/"})


@public_router.get("/suggestions/{code}", auth=None, response=answers({200: PublicStatus}, 404, public=True), summary="凭查询码查看办理进度和答复")
def public_status(request, code: Search(40)):
    _limit(request, "lookup")
    s = queries.by_code(code)
    if s is None:
        raise HttpError(404, "没有找到这个查询码")
    return _public_status(s)


class RatingIn(Schema):
    rating: ModelText(Suggestion, "rating")
    comment: Text(1000) = ""


@public_router.post("/suggestions/{code}/rating", auth=None, response=answers({200: PublicStatus}, 400, 404, public=True), summary="评价答复：满意 satisfied / 基本满意 basic / 不满意 unsatisfied（不满意将重新办理）")
def public_rate(request, code: Search(40), payload: RatingIn):
    _limit(request, "rate")
    s = queries.by_code(code)
    if s is None:
        raise HttpError(404, "没有找到这个查询码")
    try:
        s = services.suggestion_rate(suggestion=s, rating=payload.rating, comment=payload.comment)
    except ValidationError as exc:
        raise HttpError(422, _errors(exc)) from exc
    return _public_status(queries.by_code(s.tracking_code))


class PublicUnit(Schema):
    id: int
    name: str


@public_router.get("/units", auth=None, response=answers({200: list[PublicUnit]}, public=True), summary="留言时可选的乡镇和部门")
def public_units(request, campaign_id: Id | None = None):
    _limit(request, "lookup")
    from duban.intake.public_views import unit_choices

    campaigns = Campaign.objects.filter(is_active=True).select_related("unit")
    campaign = campaigns.filter(pk=campaign_id).first() if campaign_id else campaigns.order_by("-start_date", "-id").first()
    return [{"id": u.pk, "name": u.name} for u in unit_choices(campaign)] if campaign else []
