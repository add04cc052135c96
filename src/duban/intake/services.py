"""Every write to suggestions: submit, route, reply, rate, close, link to the ledger.

Each function runs in a transaction and writes its audit row. Functions that take an
`actor` check the actor's role when the actor is a user (a string actor such as
"命令行" or "演示数据" is a trusted caller). Views and the API only call these.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from duban.audit.services import audit_bulk, audit_record, diff, snapshot
from duban.campaigns.models import Campaign, FocusArea
from duban.core import figcache, workcalendar
from duban.intake.models import Channel, Kind, Photo, Rating, Status, Suggestion, new_tracking_code
from duban.intake.privacy import mask_text
from duban.orgs.models import OrgUnit, Role
from duban.orgs.scoping import can, home_unit, is_office

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

# Work other apps do as suggestions arrive (the router's predictions, so pages only read
# them). Apps that build on intake register here from their AppConfig.ready(): intake
# never imports them (triage builds on intake, never the reverse).
_arrival_hooks: list[Callable[[Sequence[Suggestion]], object]] = []


def on_arrival(hook: Callable[[Sequence[Suggestion]], object]) -> None:
    """Run `hook(suggestions)` after suggestions are recorded, in the same transaction."""
    if hook not in _arrival_hooks:
        _arrival_hooks.append(hook)


def _arrived(items: Sequence[Suggestion]) -> None:
    for hook in _arrival_hooks:
        try:
            with transaction.atomic():  # a savepoint: a failing hint never loses a submission
                hook(items)
        except Exception:  # noqa: BLE001 - the item is recorded either way; the hint can be made later
            log.exception("arrival hook %s failed", getattr(hook, "__qualname__", hook))


def _is_user(actor) -> bool:
    return getattr(actor, "pk", None) is not None and hasattr(actor, "is_authenticated")


def require_role(actor, unit: OrgUnit, *roles: str, message: str = "无权办理该事项") -> None:
    if _is_user(actor) and not can(actor, unit, *roles):
        raise PermissionDenied(message)


def may_register(user, campaign) -> bool:
    """登记来电/来信: the office, or a liaison of the person's own unit, while a campaign runs.
    The form's view refuses by this rule and the inbox offers the button by it."""
    unit = home_unit(user)
    return campaign is not None and unit is not None and (is_office(user) or can(user, unit, Role.LIAISON, Role.OFFICE))


def may_import(user, campaign) -> bool:
    """批量导入意见建议: the office of the campaign's unit."""
    return campaign is not None and can(user, campaign.unit, Role.OFFICE)


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
    require_role(actor, unit, Role.OFFICE, Role.LIAISON, message="只有推进办或本单位联络员可以登记")
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
        created_by=actor if _is_user(actor) else None,
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
        if _is_user(actor) and r.created_by_id is None:
            r.created_by = actor
    created = Suggestion.objects.bulk_create(rows, batch_size=batch_size)
    if created and created[0].pk is None:  # backends without RETURNING: reload the ids
        codes = [r.tracking_code for r in created]
        created = list(Suggestion.objects.filter(tracking_code__in=codes))
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


# ---------------------------------------------------------------------------- triage


@transaction.atomic
def suggestion_route(
    *,
    actor,
    suggestion: Suggestion,
    unit: OrgUnit | None = None,
    focus_area: FocusArea | None = None,
    label: str | None = None,
    note: str = "",
) -> Suggestion:
    """Confirm or correct where a suggestion goes: its handling unit, focus area and label.

    A new or reopened item becomes 办理中; the office of the item's campaign decides.
    """
    s = Suggestion.objects.select_for_update().select_related("campaign__unit", "unit").get(pk=suggestion.pk)
    require_role(actor, s.campaign.unit, Role.OFFICE, message="只有推进办可以分拣")
    before = snapshot(s, ROUTE_FIELDS)
    if unit is not None:
        if not unit.path.startswith(s.campaign.unit.path):
            raise ValidationError({"unit": f"“{unit.name}”不在本活动范围内"})
        s.unit = unit
        s.region_id = unit.region_id
    if focus_area is not None:
        if focus_area.campaign_id != s.campaign_id:
            raise ValidationError({"focus_area": "聚焦领域不属于本活动"})
        s.focus_area = focus_area
    if label is not None:
        s.label = label.strip()[:60]
    if s.status in (Status.NEW, Status.REOPENED):
        s.status = Status.ASSIGNED
    s.routed_at = timezone.now()
    s.save()
    audit_record(actor=actor, verb="suggestion.route", obj=s, changes=diff(before, snapshot(s, ROUTE_FIELDS)), note=note)
    return s


@transaction.atomic
def suggestion_link_problem(*, actor, suggestion: Suggestion, problem_id: int, created: bool = False, unit: OrgUnit | None = None) -> Suggestion:
    """Record that the suggestion became (created=True) or joined a ledger problem."""
    s = Suggestion.objects.select_for_update().select_related("campaign__unit").get(pk=suggestion.pk)
    require_role(actor, s.campaign.unit, Role.OFFICE, message="只有推进办可以转为问题")
    before = snapshot(s, ("status", "problem_id", "unit"))
    s.problem_id = problem_id
    if unit is not None:
        s.unit = unit
        s.region_id = unit.region_id
    if s.status in (Status.NEW, Status.REOPENED):
        s.status = Status.ASSIGNED
    s.routed_at = s.routed_at or timezone.now()
    s.save()
    verb = "suggestion.to_problem" if created else "suggestion.join_problem"
    audit_record(actor=actor, verb=verb, obj=s, changes=diff(before, snapshot(s, ("status", "problem_id", "unit"))))
    return s


# ---------------------------------------------------------------------------- replies


@transaction.atomic
def suggestion_reply(*, actor, suggestion: Suggestion, text: str, flags: Sequence[str] = ()) -> Suggestion:
    """The office or the handling unit answers; the submitter sees it by the code and rates it."""
    s = Suggestion.objects.select_for_update().select_related("unit").get(pk=suggestion.pk)
    require_role(actor, s.unit, Role.OFFICE, Role.LIAISON, message="只有推进办或办理单位可以答复")
    text = (text or "").strip()
    if len(text) < MIN_REPLY:
        raise ValidationError({"reply": "答复内容不能为空"})
    if len(text) > MAX_BODY:
        raise ValidationError({"reply": f"答复不能超过 {MAX_BODY} 字"})
    if s.status == Status.CLOSED:
        raise ValidationError("该事项已办结，不能再答复")
    before = snapshot(s, REPLY_FIELDS)
    s.reply = text
    s.replied_at = timezone.now()
    s.replied_by = actor if _is_user(actor) else None
    s.status = Status.REPLIED
    s.rating, s.rating_comment, s.rated_at = "", "", None
    s.save()
    audit_record(actor=actor, verb="suggestion.reply", obj=s, changes=diff(before, snapshot(s, REPLY_FIELDS)), note="；".join(flags))
    return s


@transaction.atomic
def suggestion_rate(*, suggestion: Suggestion, rating: str, comment: str = "", actor="群众") -> Suggestion:
    """The submitter's rating (by tracking code): 不满意 reopens the item for the office."""
    s = Suggestion.objects.select_for_update().get(pk=suggestion.pk)
    if rating not in Rating.values:
        raise ValidationError({"rating": "请选择满意、基本满意或不满意"})
    if s.status != Status.REPLIED:
        raise ValidationError("收到答复后才能评价")
    comment = _clean_text(comment, "comment", "评价意见", 1000, required=False)
    before = snapshot(s, ("status", "rating"))
    now = timezone.now()
    s.rating, s.rating_comment, s.rated_at = rating, comment, now
    if rating == Rating.UNSATISFIED:
        s.status = Status.REOPENED
        s.reopen_count += 1
    else:
        s.status = Status.CLOSED
        s.closed_at = now
    s.save()
    audit_record(actor=actor, verb="suggestion.rate", obj=s, changes=diff(before, snapshot(s, ("status", "rating"))), note=comment)
    return s


@transaction.atomic
def suggestion_close(*, actor, suggestion: Suggestion, note: str = "") -> Suggestion:
    """The office closes an item (answered and not rated in time, or settled another way)."""
    s = Suggestion.objects.select_for_update().select_related("campaign__unit").get(pk=suggestion.pk)
    require_role(actor, s.campaign.unit, Role.OFFICE, message="只有推进办可以办结")
    if s.status == Status.CLOSED:
        return s
    before = snapshot(s, ("status",))
    s.status = Status.CLOSED
    s.closed_at = timezone.now()
    s.save()
    audit_record(actor=actor, verb="suggestion.close", obj=s, changes=diff(before, snapshot(s, ("status",))), note=note)
    return s
