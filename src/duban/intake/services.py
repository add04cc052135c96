"""Every write to suggestions: submit, route, reply, rate, close, link to the ledger; clue
verification (核查、查结、转办) and phone callbacks (电话回访).

Each function runs in a transaction and writes its audit row. Functions that take an
`actor` ask the permission layer (`orgs.permissions`) about it; a caller acting as the
system (a `duban.core.actors.SystemActor`: the CLI, the demo, a citizen on the public
pages) passes `skip_checks=True` where it calls. Views and the API only call these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from duban.audit.services import audit_bulk, audit_record, diff, snapshot
from duban.campaigns.models import Campaign, FocusArea
from duban.core import figcache, workcalendar
from duban.core.actors import PUBLIC, actor_user
from duban.core.contributions import hook_targets
from duban.core.workflow import TransitionError
from duban.intake import search, workflow
from duban.intake.models import (
    Channel,
    Kind,
    Photo,
    Rating,
    RatingSource,
    Status,
    Suggestion,
    new_tracking_code,
)
from duban.intake.privacy import mask_text
from duban.orgs import permissions
from duban.orgs.models import OrgUnit, Role

REPLY_DAYS = 15  # 答复时限: working days from submission (holidays and 调休 counted), as 12345 hotlines promise


def reply_due(submitted_at: dt.datetime) -> dt.date:
    """The reply deadline of a suggestion submitted at ``submitted_at`` (Asia/Shanghai day)."""
    return workcalendar.due_in_workdays(timezone.localtime(submitted_at).date(), REPLY_DAYS)
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"}
MAX_TITLE = 200
MAX_BODY = 5000
MIN_REPLY = 2
PHONE_RE = re.compile(r"^[0-9+\-\s()（）转]{5,30}$")
ROUTE_FIELDS = ("unit", "focus_area", "label", "status")
REPLY_FIELDS = ("reply", "status")

log = logging.getLogger(__name__)


def _arrived(items: Sequence[Suggestion]) -> None:
    """Work other apps do as suggestions arrive (the router's predictions, so pages only read
    them), through the "intake.arrived" hook they implement on their AppConfig: intake never
    imports them (triage builds on intake, never the reverse)."""
    for hook in hook_targets("intake.arrived"):
        try:
            with transaction.atomic():  # a savepoint: a failing hint never loses a submission
                hook(items)
        except Exception:  # noqa: BLE001 - the item is recorded either way; the hint can be made later
            log.exception("arrival hook %s failed", getattr(hook, "__qualname__", hook))


def may_register(user, campaign) -> bool:
    """登记来电/来信: the office, or a liaison of the person's own unit, while a campaign runs.
    The form's view refuses by this rule and the inbox offers the button by it."""
    unit = permissions.home_unit(user)
    return campaign is not None and unit is not None and (permissions.is_office(user) or permissions.may_act_for(user, unit, Role.LIAISON, Role.OFFICE))


def may_import(user, campaign) -> bool:
    """批量导入意见建议: the office of the campaign's unit."""
    return campaign is not None and permissions.may_act_for(user, campaign.unit, Role.OFFICE)


def ip_hash(ip: str) -> str:
    if not ip:
        return ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()[:16]


# ---------------------------------------------------------------------------- photos


@dataclass
class CheckedPhoto:
    data: bytes
    content_type: str
    ext: str
    name: str


def check_photo(upload) -> CheckedPhoto:
    """Read one upload, refuse it unless its *content* is an image of an allowed type."""
    name = getattr(upload, "name", "") or "photo"
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise ValidationError(f"照片“{name}”超过 {MAX_PHOTO_BYTES // 1048576} MB")
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationError(f"照片“{name}”超过 {MAX_PHOTO_BYTES // 1048576} MB")
    if not data:
        raise ValidationError(f"照片“{name}”是空文件")
    kind = filetype.guess(data[:8192])
    if kind is None or kind.mime not in PHOTO_TYPES:
        raise ValidationError(f"“{name}”不是照片（只接受 JPG、PNG、WebP、GIF 图片）")
    return CheckedPhoto(data=data, content_type=kind.mime, ext=PHOTO_TYPES[kind.mime], name=name[:200])


# ---------------------------------------------------------------------------- submit


def _clean_text(value: str, field: str, label: str, max_len: int, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: f"{label}不能为空"})
    if len(value) > max_len:
        raise ValidationError({field: f"{label}不能超过 {max_len} 字"})
    return value


def title_from_body(body: str) -> str:
    first = re.split(r"[。！？!?\n]", body.strip(), maxsplit=1)[0]
    return (first[:40] + "…") if len(first) > 40 else first


@transaction.atomic
def suggestion_submit(
    *,
    actor,
    campaign: Campaign,
    body: str,
    title: str = "",
    kind: str = Kind.SUGGESTION,
    channel: str = Channel.WEB,
    contact_name: str = "",
    contact_phone: str = "",
    place: str = "",
    place_unit: OrgUnit | None = None,
    unit: OrgUnit | None = None,
    photos: Sequence = (),
    submitted_at: dt.datetime | None = None,
    source_ip: str = "",
    skip_checks: bool = False,
) -> Suggestion:
    """Record one suggestion from any channel; returns it with its tracking code.

    `unit` is where it starts (the campaign's lead unit unless an operator of a unit
    records it for that unit); the office routes it from there.
    """
    body = _clean_text(body, "body", "留言详情", MAX_BODY)
    title = _clean_text(title, "title", "留言主题", MAX_TITLE, required=False) or title_from_body(body)
    if kind not in Kind.values:
        raise ValidationError({"kind": f"未知类别“{kind}”"})
    if channel not in Channel.values:
        raise ValidationError({"channel": f"未知渠道“{channel}”"})
    contact_name = _clean_text(contact_name, "contact_name", "联系人", 60, required=False)
    contact_phone = _clean_text(contact_phone, "contact_phone", "联系电话", 40, required=False)
    if contact_phone and not PHONE_RE.match(contact_phone):
        raise ValidationError({"contact_phone": "联系电话格式不正确"})
    place = _clean_text(place, "place", "地点", 200, required=False)
    unit = unit or campaign.unit
    if not unit.path.startswith(campaign.unit.path):
        raise ValidationError({"unit": "办理单位不在本活动范围内"})
    if place_unit is not None and not place_unit.path.startswith(campaign.unit.path):
        raise ValidationError({"place_unit": "所属单位不在本活动范围内"})
    permissions.require_for_unit(actor, unit, Role.OFFICE, Role.LIAISON, message="只有推进办或本单位联络员可以登记", skip_checks=skip_checks)
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": f"最多上传 {MAX_PHOTOS} 张照片"})
    checked = [p if isinstance(p, CheckedPhoto) else check_photo(p) for p in photos]
    submitted_at = submitted_at or timezone.now()
    code = new_tracking_code()
    while Suggestion.objects.filter(tracking_code=code).exists():  # pragma: no cover - 1 in 10**17
        code = new_tracking_code()
    s = Suggestion.objects.create(
        campaign=campaign,
        unit=unit,
        region_id=unit.region_id,
        tracking_code=code,
        kind=kind,
        channel=channel,
        title=title,
        body=body,
        contact_name=contact_name,
        contact_phone=contact_phone,
        place=place,
        place_unit=place_unit,
        submitted_at=submitted_at,
        due_date=reply_due(submitted_at),
        created_by=actor_user(actor),
        source_hash=ip_hash(source_ip),
    )
    for p in checked:
        photo = Photo(suggestion=s, content_type=p.content_type, size=len(p.data), original_name=p.name)
        photo.file.save(f"{new_tracking_code()[:10].lower()}.{p.ext}", ContentFile(p.data), save=False)
        photo.save()
    # The trail is read by everyone who sees the item: a number typed into the title stays masked there.
    audit_record(
        actor=actor,
        verb="suggestion.submit",
        obj=s,
        changes={"kind": [None, s.get_kind_display()], "channel": [None, s.get_channel_display()], "title": [None, mask_text(s.title)], "照片": [None, len(checked)]},
    )
    _arrived([s])
    return s


@transaction.atomic
def suggestions_bulk_create(*, actor, rows: Sequence[Suggestion], note: str = "", batch_size: int = 2000, audit: bool = True) -> list[Suggestion]:
    """Insert many prepared (unsaved) suggestions in a few statements; one audit row each."""
    region_of = dict(OrgUnit.objects.filter(pk__in={r.unit_id for r in rows}).values_list("id", "region_id"))
    due_by_day: dict[dt.date, dt.date] = {}  # imports bring thousands of rows from a few hundred days
    for r in rows:
        r.region_id = region_of.get(r.unit_id)
        if r.due_date is None and r.submitted_at is not None:
            day = timezone.localtime(r.submitted_at).date()
            if day not in due_by_day:
                due_by_day[day] = workcalendar.due_in_workdays(day, REPLY_DAYS)
            r.due_date = due_by_day[day]
        if r.created_by_id is None and actor_user(actor) is not None:
            r.created_by = actor
        r.fill_search_terms()
    created = Suggestion.objects.bulk_create(rows, batch_size=batch_size)
    if created and created[0].pk is None:  # backends without RETURNING: reload the ids
        codes = [r.tracking_code for r in created]
        created = list(Suggestion.objects.filter(tracking_code__in=codes))
    if created:  # one transaction: the new ids are one run, indexed in one statement
        search.INDEX.index_new(min(r.pk for r in created), max(r.pk for r in created))
    _arrived(created)
    figcache.bump()  # also when not audited (the demo's bulk rows)
    if audit:
        audit_bulk(
            actor=actor,
            verb="suggestion.submit",
            objects=created,
            changes_of=lambda s: {"channel": [None, s.get_channel_display()], "title": [None, mask_text(s.title)]},
            note=note,
        )
    return created


# ---------------------------------------------------------------------------- the workflow
# Every status change goes through the one table (intake/workflow.py on core.workflow):
# these functions only gather the input and fire.

AUDIT_FIELDS = {
    "route": ROUTE_FIELDS, "reroute": ROUTE_FIELDS, "reply": REPLY_FIELDS,
    "link": ("status", "problem_id", "unit"), "relink": ("status", "problem_id", "unit"),
    "rate": ("status", "rating"), "rate_unsatisfied": ("status", "rating"),
    "callback": ("status", "rating"), "callback_unsatisfied": ("status", "rating"),
    "transfer": ("status", "transferred_to"),
}


def _fire(*, actor, suggestion: Suggestion, name: str, reason: str = "", data: dict | None = None, verb: str = "",
          version: int | None = None, skip_checks: bool = False) -> Suggestion:
    def before(ctx) -> None:
        ctx.extra["before"] = snapshot(ctx.obj, AUDIT_FIELDS.get(ctx.transition.name, ("status",)))

    return workflow.TABLE.fire(actor=actor, obj=suggestion, name=name, check_side=permissions.checked(actor, skip_checks), reason=reason, data=data,
                               verb=verb, version=version, before=before)


def transition_recorded(ctx, verb: str) -> None:
    """The engine's audit hook for suggestions: ONE audit row per step (the item's timeline)."""
    fields = AUDIT_FIELDS.get(ctx.transition.name, ("status",))
    audit_record(actor=ctx.actor, verb=verb, obj=ctx.obj, changes=diff(ctx.extra["before"], snapshot(ctx.obj, fields)), note=ctx.note)


@transaction.atomic
def suggestion_transition(*, actor, suggestion: Suggestion, name: str, reason: str = "", transferred_to: str = "",
                          version: int | None = None, skip_checks: bool = False) -> Suggestion:
    """Fire one of the plain steps (核查、查结、转办、办结) by name: the page's buttons and the API."""
    t = workflow.TABLE.get(name)  # an unknown name: TransitionError
    if name not in workflow.BUTTONS:  # 答复、评价、回访、分拣 take more than a reason: their own forms
        raise ValidationError({"name": f"“{t.label}”请在对应的表单中办理"})
    # Lengths past the guards' limits are left to the guards, which say them in Chinese.
    data = {"to": _clean_text(transferred_to, "transferred_to", "转办单位", MAX_BODY, required=False)} if name == "transfer" else {}
    return _fire(actor=actor, suggestion=suggestion, name=name, reason=_clean_text(reason, "reason", "说明", MAX_BODY, required=False),
                 data=data, version=version, skip_checks=skip_checks)


def _locked_status(suggestion: Suggestion) -> str:
    """The status as it is now, the row locked until the caller's transaction ends: which of
    two steps applies (route or reroute) is decided on the state the step will find."""
    return Suggestion.objects.select_for_update().filter(pk=suggestion.pk).values_list("status", flat=True).get()


@transaction.atomic
def suggestion_route(
    *,
    actor,
    suggestion: Suggestion,
    unit: OrgUnit | None = None,
    focus_area: FocusArea | None = None,
    label: str | None = None,
    note: str = "",
    skip_checks: bool = False,
) -> Suggestion:
    """Confirm or correct where a suggestion goes: its handling unit, focus area and label.

    A new or reopened item becomes 办理中 (route); a sorted one keeps its status (reroute).
    The office of the item's campaign decides.
    """
    name = "route" if _locked_status(suggestion) in workflow.UNSORTED else "reroute"
    return _fire(actor=actor, suggestion=suggestion, name=name, reason=note,
                 data={"unit": unit, "focus_area": focus_area, "label": label}, skip_checks=skip_checks)


@transaction.atomic
def suggestion_route_confirm(
    *, actor, suggestion: Suggestion, unit: OrgUnit | None = None, focus_area: FocusArea | None = None, label: str | None = None,
    skip_checks: bool = False,
) -> Suggestion:
    """The office's one-click confirm or correction of a routing (分拣); the apps that learn
    from it (the router) hear of it through the "intake.routed" hook, in the same transaction."""
    s = suggestion_route(actor=actor, suggestion=suggestion, unit=unit, focus_area=focus_area, label=label, note="分拣",
                         skip_checks=skip_checks)
    for routed in hook_targets("intake.routed"):
        routed(actor=actor, suggestion=s, unit=unit, focus_area=focus_area, label=label)
    return s


@transaction.atomic
def suggestion_link_problem(
    *, actor, suggestion: Suggestion, problem_id: int, created: bool = False, unit: OrgUnit | None = None, skip_checks: bool = False
) -> Suggestion:
    """Record that the suggestion became (created=True) or joined a ledger problem."""
    name = "link" if _locked_status(suggestion) in workflow.UNSORTED else "relink"
    verb = "to_problem" if created else "join_problem"
    return _fire(actor=actor, suggestion=suggestion, name=name, data={"problem_id": problem_id, "unit": unit}, verb=verb,
                 skip_checks=skip_checks)


# ---------------------------------------------------------------------------- replies


@transaction.atomic
def suggestion_reply(*, actor, suggestion: Suggestion, text: str, flags: Sequence[str] = (), skip_checks: bool = False) -> Suggestion:
    """The office or the handling unit answers; the submitter sees it by the code and rates it."""
    return _fire(actor=actor, suggestion=suggestion, name="reply", data={"text": (text or "").strip(), "flags": list(flags)},
                 skip_checks=skip_checks)


@transaction.atomic
def suggestion_rate(*, suggestion: Suggestion, rating: str, comment: str = "", actor=PUBLIC) -> Suggestion:
    """The submitter's rating (by tracking code): 不满意 reopens the item for the office."""
    if rating not in Rating.values:
        raise ValidationError({"rating": "请选择满意、基本满意或不满意"})
    comment = _clean_text(comment, "comment", "评价意见", 1000, required=False)
    data = {"rating": rating, "comment": comment, "at": timezone.now(), "source": RatingSource.WEB}
    try:
        # The citizen reached the item by its code: no account, so no side to check.
        return workflow.TABLE.fire(actor=actor, obj=suggestion, name=workflow.rating_step(rating, callback=False), check_side=False,
                                   data=data, before=lambda ctx: ctx.extra.update(before=snapshot(ctx.obj, ("status", "rating"))))
    except TransitionError:
        # A citizen reads a form error, not a workflow term.
        raise ValidationError("收到答复后才能评价") from None


@transaction.atomic
def suggestion_callback(
    *,
    actor,
    suggestion: Suggestion,
    result: str,
    note: str = "",
    caller: str = "",
    called_at: dt.datetime | None = None,
    skip_checks: bool = False,
) -> Suggestion:
    """The office's phone callback (电话回访) for a citizen without web access: recorded on
    the item (who called, when, the result, a note), it rates the reply exactly as the
    tracking page does — the same figures — and 不满意 reopens the item."""

    if result not in Rating.values:
        raise ValidationError({"result": "回访结果请选择满意、基本满意或不满意"})
    note = _clean_text(note, "note", "回访记录", workflow.MAX_CALLBACK_NOTE, required=False)
    caller = _clean_text(caller, "caller", "回访人", workflow.MAX_CALLER, required=False)
    if not caller and actor_user(actor) is not None:
        caller = (actor.get_full_name() or actor.get_username())[: workflow.MAX_CALLER]
    if not caller:
        raise ValidationError({"caller": "请填写回访人"})
    data = {"rating": result, "comment": note, "caller": caller, "at": called_at or timezone.now(), "source": RatingSource.CALLBACK}
    return _fire(actor=actor, suggestion=suggestion, name=workflow.rating_step(result, callback=True), data=data,
                 skip_checks=skip_checks)


@transaction.atomic
def suggestion_close(*, actor, suggestion: Suggestion, note: str = "", skip_checks: bool = False) -> Suggestion:
    """The office closes an item (answered and not rated in time, or settled another way)."""
    s = Suggestion.objects.select_related("campaign__unit").get(pk=suggestion.pk)
    if s.status == Status.CLOSED:
        permissions.require_for_unit(actor, s.campaign.unit, Role.OFFICE, message="只有推进办可以办结", skip_checks=skip_checks)
        return s  # closing twice is not an error: the office's second click changes nothing
    return _fire(actor=actor, suggestion=s, name="close", reason=note, skip_checks=skip_checks)


@transaction.atomic
def suggestion_verify(*, actor, suggestion: Suggestion, note: str = "", skip_checks: bool = False) -> Suggestion:
    """A clue goes under verification (核查中)."""
    return _fire(actor=actor, suggestion=suggestion, name="verify", reason=note, skip_checks=skip_checks)


@transaction.atomic
def suggestion_conclude(*, actor, suggestion: Suggestion, result: str, skip_checks: bool = False) -> Suggestion:
    """A verified clue is concluded here (查结) with the result of the check."""
    return _fire(actor=actor, suggestion=suggestion, name="conclude", reason=_clean_text(result, "reason", "核查结果", MAX_BODY, required=False),
                 skip_checks=skip_checks)


@transaction.atomic
def suggestion_transfer(*, actor, suggestion: Suggestion, to: str, note: str = "", skip_checks: bool = False) -> Suggestion:
    """A clue that is not ours is handed to the authority it belongs to (转办, 非管移送)."""
    return suggestion_transition(actor=actor, suggestion=suggestion, name="transfer", reason=note, transferred_to=to,
                                 skip_checks=skip_checks)
