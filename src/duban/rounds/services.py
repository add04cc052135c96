"""Every write of report rounds: cadences, opening a round to its expected units, a unit's
draft and submission (applied to its items through their own services), the office's
return, locking, chasing (催报) with escalation — each in a transaction, each audited once.

Who may do what (orgs.permissions): the office of the campaign's unit runs cadences and
rounds, returns submissions and chases; a unit's liaison or an office over it fills and
submits its form. Applying a submission calls the items' services as the submitting person,
so their own rules hold (a co unit reports a task's note but not its %).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from duban.audit.services import audit_record
from duban.campaigns.models import Campaign
from duban.core import evidence_files, figcache, workcalendar
from duban.core.actors import actor_name, actor_user
from duban.orgs import permissions
from duban.orgs.models import OrgUnit, Role
from duban.rounds import items as round_items
from duban.rounds.models import (
    Cadence,
    Chase,
    ChaseLevel,
    Kind,
    Line,
    LineKind,
    Punctuality,
    Round,
    RoundStatus,
    Rule,
    Scope,
    Submission,
    SubmissionStatus,
)

MAX_TEXT = 5000
MAX_FILES_PER_LINE = 5  # photos and documents one line may carry
MAX_NAME = 100
LAST_DAYS = 3  # daily reminders in the last N days before the due time
MAX_GRACE = dt.timedelta(days=14)


# ------------------------------------------------------------------ rights


def may_run(user, campaign: Campaign) -> bool:
    """Open rounds, set cadences, return submissions, chase: the campaign's office."""
    return permissions.may_act_for(user, campaign.unit, Role.OFFICE)


def _require_runner(actor, campaign: Campaign, skip_checks: bool) -> None:
    permissions.require_for_unit(actor, campaign.unit, Role.OFFICE, message="只有本活动的推进办可以组织调度报送", skip_checks=skip_checks)


def may_submit(user, submission: Submission) -> bool:
    """Fill and submit a unit's form: its liaison or an office over it."""
    return permissions.may_act_for(user, submission.unit, Role.OFFICE, Role.LIAISON)


# ------------------------------------------------------------------ helpers


def _now() -> dt.datetime:
    return timezone.now()


def _text(value: str | None, limit: int, label: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({label: f"{label}含有不可见的空字符，请删去后再提交"})
    if required and not value:
        raise ValidationError({label: f"{label}不能为空"})
    if len(value) > limit:
        raise ValidationError({label: f"{label}不能超过{limit}字"})
    return value


def _local(d: dt.date, t: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, t))


def punctuality_of(submitted_at: dt.datetime | None, rnd: Round) -> str:
    if submitted_at is None:
        return Punctuality.MISSING
    return Punctuality.ON_TIME if submitted_at <= rnd.due_at else Punctuality.LATE


# ------------------------------------------------------------------ opening a round


@transaction.atomic
def round_open(*, actor, campaign: Campaign, name: str, due_at: dt.datetime, kind: str = Kind.ROUTINE, scope: str = Scope.RESPONSIBLE,
               units: Sequence[OrgUnit] = (), lock_at: dt.datetime | None = None, instructions: str = "", cadence: Cadence | None = None,
               skip_checks: bool = False) -> Round:
    """Open a round: one pending submission per expected unit — every unit responsible for an
    open task, problem or project of the campaign, the named units, or (scope difficult) the
    units of overdue or returned problems. Late answers are taken until `lock_at` (default:
    48 hours after the due time)."""
    _require_runner(actor, campaign, skip_checks)
    name = _text(name, MAX_NAME, "名称", required=True)
    if kind not in Kind.values:
        raise ValidationError({"kind": f"未知的调度类型“{kind}”"})
    if scope not in Scope.values:
        raise ValidationError({"scope": f"未知的报送范围“{scope}”"})
    now = _now()
    if due_at <= now:
        raise ValidationError({"due_at": "截止时间须晚于现在"})
    lock_at = lock_at or due_at + dt.timedelta(hours=48)
    if not (due_at <= lock_at <= due_at + MAX_GRACE):
        raise ValidationError({"lock_at": "补报截止须在截止时间之后的14天内"})
    if scope == Scope.UNITS:
        if not units:
            raise ValidationError({"units": "请指定报送单位"})
        for u in units:
            if not u.path.startswith(campaign.unit.path):
                raise ValidationError({"units": f"“{u.name}”不在本活动的范围内"})
        unit_ids = sorted({u.pk for u in units})
    else:
        unit_ids = round_items.expected_unit_ids(campaign, difficult=scope == Scope.DIFFICULT)
    if not unit_ids:
        raise ValidationError({"scope": "没有需要报送的单位（本活动没有在办的事项、问题或项目）"})
    rnd = Round.objects.create(campaign=campaign, cadence=cadence, name=name, kind=kind, scope=scope,
                               instructions=_text(instructions, MAX_TEXT, "报送要求"), opened_at=now, due_at=due_at, lock_at=lock_at,
                               opened_by=actor_user(actor), opened_by_name=actor_name(actor), expected=len(unit_ids))
    regions = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "region_id"))
    Submission.objects.bulk_create([Submission(round=rnd, unit_id=u, region_id=regions.get(u), updated_at=now) for u in unit_ids],
                                   batch_size=2000)
    audit_record(actor=actor, verb="round.open", obj=rnd, changes={"调度": [None, name]},
                 note=f"应报单位{len(unit_ids)}个，截止{timezone.localtime(due_at):%Y-%m-%d %H:%M}")
    return rnd


# ------------------------------------------------------------------ a unit's form


@dataclass
class LineInput:
    """What the form or the API sends for one item."""

    kind: str
    object_id: int
    progress: int | None = None
    done: str = ""
    invested_wan: Any = None
    problems: str = ""
    next_steps: str = ""
    unchanged: bool = False
    files: tuple[tuple[str, bytes], ...] = ()  # (name, content) of photos and documents to attach


def _require_open(actor, sub: Submission, skip_checks: bool, version: int | None) -> dt.datetime:
    """The unit may still write this submission: its own, the version it read, before the lock,
    not yet submitted. The time now."""
    if permissions.checked(actor, skip_checks) and not may_submit(actor, sub):
        raise PermissionDenied("只能填报本单位的调度报送")
    if version is not None and sub.version != version:
        raise ValidationError({"version": "该报送在您打开后已被修改，请刷新后再保存"})
    now = _now()
    if sub.round.status == RoundStatus.LOCKED or now > sub.round.lock_at:
        raise ValidationError({"round": "本轮调度已截止，不能再报送"})
    if sub.status == SubmissionStatus.SUBMITTED:
        raise ValidationError({"status": "已报送；如需修改请联系推进办退回"})
    return now


def _attach(actor, sub: Submission, item, line: Line, uploads: Sequence[tuple[str, bytes]]) -> None:
    """Attachments go to the item at once, draft or not (a photo of the work is a fact of the
    item whether or not the form is submitted yet), through the item's service; the line
    names them."""
    if len(line.files) + len(uploads) > MAX_FILES_PER_LINE:
        raise ValidationError({"files": f"“{item.title[:20]}”最多{MAX_FILES_PER_LINE}个附件"})
    line.files = [*line.files, *(round_items.attach(actor, sub.unit, item, name, data) for name, data in uploads)]


@transaction.atomic
def submission_attach(*, actor, submission: Submission, kind: str, object_id: int, files: Sequence[tuple[str, bytes]],
                      skip_checks: bool = False) -> Line:
    """Attach photos or documents to one item of a unit's form without touching what it typed
    (the API's upload; the form sends them with the rest)."""
    sub = _lock_submission(submission)
    _require_open(actor, sub, skip_checks, None)
    items = {(i.kind, i.object_id): i for i in round_items.items_of(sub.round, sub.unit)}
    key = (kind, int(object_id))
    if key not in items:
        raise ValidationError({"object_id": "不是本单位本轮需要报送的事项"})
    uploads = _checked_files(items[key], files)
    line = sub.lines.filter(kind=kind, object_id=key[1]).first() or Line(submission=sub, kind=kind, object_id=key[1], title=items[key].title[:300])
    _attach(actor, sub, items[key], line, uploads)
    line.save()
    sub.status = SubmissionStatus.DRAFT if sub.status == SubmissionStatus.PENDING else sub.status
    sub.updated_at = _now()  # a new version: a form opened before this upload is stale
    sub.save(update_fields=["status", "updated_at"])
    return line


def _checked_files(item, files: Sequence[tuple[str, bytes]]) -> tuple[tuple[str, bytes], ...]:
    """Every attachment of a line checked before anything is written (type by content, size)."""
    if len(files) > MAX_FILES_PER_LINE:
        raise ValidationError({"files": f"“{item.title[:20]}”最多{MAX_FILES_PER_LINE}个附件"})
    out = []
    for name, data in files:
        name = (name or "附件").replace("\x00", "").strip()[-200:] or "附件"
        try:
            evidence_files.check(data, name)
        except evidence_files.EvidenceRejected as exc:
            raise ValidationError({"files": f"“{item.title[:20]}”：{exc}"}) from exc
        out.append((name, data))
    return tuple(out)


def _lock_submission(submission: Submission) -> Submission:
    return (Submission.objects.select_for_update(of=("self",)).select_related("round", "round__campaign", "round__campaign__unit", "unit")
            .get(pk=submission.pk))


def _clean_line(item: round_items.Item, given: LineInput) -> dict[str, Any]:
    label = item.title[:20]
    progress = given.progress
    if progress is not None and not (0 <= int(progress) <= 100):
        raise ValidationError({"progress": f"“{label}”的进度须在0到100之间"})
    invested = None
    if given.invested_wan not in (None, ""):
        if item.kind != LineKind.PROJECT:
            raise ValidationError({"invested_wan": f"“{label}”不是项目，不填完成投资"})
        from duban.projects.services import money

        invested = money(given.invested_wan, f"“{label}”的本期完成投资")
    return {
        "progress": None if progress is None else int(progress), "invested_wan": invested,
        "done": _text(given.done, MAX_TEXT, f"“{label}”的本期工作"), "problems": _text(given.problems, MAX_TEXT, f"“{label}”的存在问题"),
        "next_steps": _text(given.next_steps, MAX_TEXT, f"“{label}”的下步计划"), "unchanged": bool(given.unchanged),
    }


@transaction.atomic
def submission_save(*, actor, submission: Submission, lines: Sequence[LineInput], summary: str = "", submit: bool = False,
                    version: int | None = None, skip_checks: bool = False) -> Submission:
    """Save a unit's form as a draft, or submit it. On submission each line is applied to its
    item through the item's own service (a line marked 无新进展 is recorded, not applied), and
    the time is kept for punctuality (a resubmission after a return keeps the first time)."""
    sub = _lock_submission(submission)
    rnd = sub.round
    now = _require_open(actor, sub, skip_checks, version)
    items = {(i.kind, i.object_id): i for i in round_items.items_of(rnd, sub.unit)}
    cleaned: dict[tuple[str, int], dict[str, Any]] = {}
    uploads: dict[tuple[str, int], tuple[tuple[str, bytes], ...]] = {}
    for given in lines:
        key = (given.kind, int(given.object_id))
        if key not in items:
            raise ValidationError({"lines": f"第{len(cleaned) + 1}项不是本单位本轮需要报送的事项"})
        cleaned[key] = _clean_line(items[key], given)
        if given.files:
            uploads[key] = _checked_files(items[key], given.files)
    if submit:
        missing = [i.title for k, i in items.items() if k not in cleaned or not (cleaned[k]["done"] or cleaned[k]["unchanged"])]
        if missing:
            raise ValidationError({"lines": f"还有{len(missing)}项未填写本期工作（或勾选“无新进展”）：{'、'.join(t[:20] for t in missing[:5])}"})
    sub.summary = _text(summary, MAX_TEXT, "总体情况")
    existing = {(ln.kind, ln.object_id): ln for ln in sub.lines.all()}
    for key, values in cleaned.items():
        line = existing.get(key) or Line(submission=sub, kind=key[0], object_id=key[1], title=items[key].title[:300])
        for k, v in values.items():
            setattr(line, k, v)
        _attach(actor, sub, items[key], line, uploads.get(key, ()))
        line.save()
        existing[key] = line
    verb = "round.draft"
    if submit:
        for key, line in existing.items():
            if key in items and not line.unchanged and not line.applied:
                round_items.apply(actor, rnd, sub.unit, items[key], line)
                line.applied = True
                line.save(update_fields=["applied"])
        sub.status = SubmissionStatus.SUBMITTED
        sub.submitted_at = sub.submitted_at or now
        sub.submitted_by = actor_user(actor)
        sub.punctuality = punctuality_of(sub.submitted_at, rnd)
        sub.return_reason = ""
        verb = "round.submit"
    elif sub.status == SubmissionStatus.PENDING:
        sub.status = SubmissionStatus.DRAFT
    sub.updated_at = now
    sub.save()
    audit_record(actor=actor, verb=verb, obj=sub, object_repr=f"{rnd.name}：{sub.unit.name}",
                 changes={"报送": [None, f"{len(cleaned)}项"]}, note=dict(Punctuality.choices)[sub.punctuality] if submit else "")
    return sub


@transaction.atomic
def submission_return(*, actor, submission: Submission, reason: str, skip_checks: bool = False) -> Submission:
    """The office sends a submission back with a reason; the unit corrects and resubmits (its
    first submission time still counts for punctuality)."""
    sub = _lock_submission(submission)
    _require_runner(actor, sub.round.campaign, skip_checks)
    reason = _text(reason, 2000, "退回理由", required=True)
    if sub.status != SubmissionStatus.SUBMITTED:
        raise ValidationError({"status": "只有已报送的材料可以退回"})
    if sub.round.status == RoundStatus.LOCKED:
        raise ValidationError({"round": "本轮调度已截止"})
    sub.status, sub.return_reason, sub.updated_at = SubmissionStatus.RETURNED, reason, _now()
    # Lines already written to the items stay written; a correction is applied as a new report.
    sub.lines.update(applied=False)
    sub.save()
    audit_record(actor=actor, verb="round.return", obj=sub, object_repr=f"{sub.round.name}：{sub.unit.name}", changes={"状态": ["已报送", "已退回"]},
                 note=reason)
    return sub


@dataclass
class PastRound:
    """A round that has already run, as it ran: the round (unsaved), its submissions with
    their lines, its reminders — demo data, or rounds kept elsewhere before duban."""

    round: Round
    submissions: list[tuple[Submission, list[Line]]]
    chases: list[Chase]


def rounds_bulk_insert(*, actor, campaign: Campaign, past: Sequence[PastRound], note: str = "", skip_checks: bool = False) -> int:
    """Insert past rounds in a few INSERTs per table (a year of rounds of a city: hundreds of
    thousands of submissions), inside the caller's transaction; one audit row per round. The
    lines are recorded as reported, not replayed onto the items (their state is their own).
    Returns the number of submissions inserted."""
    _require_runner(actor, campaign, skip_checks)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("rounds_bulk_insert must run inside transaction.atomic()")
    rounds = [p.round for p in past]
    for rnd in rounds:
        rnd.campaign = campaign
        if rnd.due_at > _now() and rnd.status == RoundStatus.LOCKED:
            raise ValidationError({"due_at": "已截止的轮次截止时间不能晚于现在"})
    Round.objects.bulk_create(rounds, batch_size=1000)
    unit_ids = {s.unit_id for p in past for s, _ in p.submissions}
    regions = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("pk", "region_id"))
    subs = []
    for p in past:
        for s, _ in p.submissions:
            s.round_id, s.region_id = p.round.pk, regions.get(s.unit_id)
            subs.append(s)
    Submission.objects.bulk_create(subs, batch_size=5000)
    lines = []
    for p in past:
        for s, ls in p.submissions:
            for ln in ls:
                ln.submission_id = s.pk
                lines.append(ln)
    Line.objects.bulk_create(lines, batch_size=5000)
    chases = []
    for p in past:
        for c in p.chases:
            c.round_id = p.round.pk
            chases.append(c)
    Chase.objects.bulk_create(chases, batch_size=5000)
    for p in past:
        answered = sum(1 for s, _ in p.submissions if s.status == SubmissionStatus.SUBMITTED)
        audit_record(actor=actor, verb="round.open", obj=p.round, changes={"调度": [None, p.round.name]},
                     note=f"{note or '导入'}：应报单位{p.round.expected}个，已报{answered}个")
    return len(subs)


# ------------------------------------------------------------------ locking, cadences, chasing


def rounds_lock_due(*, now: dt.datetime | None = None) -> int:
    """Lock every open round past its grace time; its unanswered units count as missing."""
    now = now or _now()
    n = 0
    for rnd in Round.objects.filter(status=RoundStatus.OPEN, lock_at__lte=now):
        with transaction.atomic():
            Round.objects.filter(pk=rnd.pk).update(status=RoundStatus.LOCKED)
            n += 1
    if n:
        figcache.bump()  # unaudited: the open rounds of the figures change
    return n


def next_due(cadence: Cadence, after: dt.datetime) -> dt.datetime:
    """The first due time of `cadence` strictly after `after` (working days skip holidays)."""
    local = timezone.localtime(after)
    day = local.date()
    for _ in range(400):
        candidate = _local(day, cadence.due_time)
        if candidate > after and _is_due_day(cadence, day):
            return candidate
        day += dt.timedelta(days=1)
    raise ValueError("no due day within 400 days")


def _is_due_day(cadence: Cadence, day: dt.date) -> bool:
    if cadence.rule == Rule.WEEKLY:
        return day.weekday() == cadence.weekday
    if cadence.rule == Rule.XUN:
        import calendar

        return day.day in (10, 20, calendar.monthrange(day.year, day.month)[1])
    if cadence.rule == Rule.MONTHLY:
        return day.day == cadence.month_day
    if cadence.rule == Rule.WORKDAYS:
        if not workcalendar.is_workday(day):
            return False
        anchor = timezone.localtime(cadence.created_at).date() if cadence.created_at else day
        return workcalendar.workdays_between(anchor, day) % cadence.every_n == 0 and day > anchor
    return False


@transaction.atomic
def cadence_save(*, actor, campaign: Campaign, cadence: Cadence | None = None, name: str, kind: str, rule: str, due_time: dt.time,
                 weekday: int = 4, every_n: int = 5, month_day: int = 25, open_workdays: int = 4, grace_hours: int = 48,
                 scope: str = Scope.RESPONSIBLE, units: Sequence[OrgUnit] = (), active: bool = True, skip_checks: bool = False) -> Cadence:
    """Create or change a standing cadence (the office); the worker opens its rounds."""
    _require_runner(actor, campaign, skip_checks)
    for value, choices, label in ((kind, Kind, "调度类型"), (rule, Rule, "频次"), (scope, Scope, "报送范围")):
        if value not in choices.values:
            raise ValidationError({label: f"未知的{label}“{value}”"})
    checks = ((0 <= weekday <= 6, "weekday", "截止星期须在周一到周日之间"), (1 <= every_n <= 60, "every_n", "间隔须在1到60个工作日之间"),
              (1 <= month_day <= 28, "month_day", "每月截止日须在1到28日之间"), (0 <= open_workdays <= 20, "open_workdays", "提前开放须在0到20个工作日之间"),
              (0 <= grace_hours <= 24 * 14, "grace_hours", "补报宽限须在0到336小时之间"))
    for ok, field_name, message in checks:
        if not ok:
            raise ValidationError({field_name: message})
    if scope == Scope.UNITS and not units:
        raise ValidationError({"units": "请指定报送单位"})
    c = cadence or Cadence(campaign=campaign)
    c.name, c.kind, c.rule, c.due_time = _text(name, MAX_NAME, "名称", required=True), kind, rule, due_time
    c.weekday, c.every_n, c.month_day, c.open_workdays, c.grace_hours, c.scope, c.active = (
        weekday, every_n, month_day, open_workdays, grace_hours, scope, active)
    if c.created_at is None:
        c.created_at = _now()
    c.next_due_at = next_due(c, _now()) if active else None
    c.save()
    c.units.set(units)
    audit_record(actor=actor, verb="round.cadence", obj=c, changes={"调度安排": [None, c.name]},
                 note=f"下一轮截止{timezone.localtime(c.next_due_at):%Y-%m-%d %H:%M}" if c.next_due_at else "停用")
    return c


def cadences_open_due(*, now: dt.datetime | None = None, actor=None) -> list[Round]:
    """Open the rounds whose opening time has come (`open_workdays` working days before their
    due time). Idempotent: a cadence moves to its next due time as it opens one."""
    from duban.core.actors import WORKER

    now = now or _now()
    opened = []
    for c in Cadence.objects.filter(active=True, next_due_at__isnull=False, campaign__is_active=True).select_related("campaign", "campaign__unit"):
        due = c.next_due_at
        opens = _local(workcalendar.add_workdays(timezone.localtime(due).date(), -c.open_workdays), dt.time(9, 0))
        if now < opens:
            continue
        with transaction.atomic():
            locked = Cadence.objects.select_for_update().get(pk=c.pk)
            if locked.next_due_at != due:
                continue  # another worker opened it
            locked.next_due_at = next_due(locked, due)
            locked.save(update_fields=["next_due_at"])
            if due <= now:
                continue  # missed while the worker was down: the next one opens on time
            try:
                rnd = round_open(actor=actor or WORKER, campaign=c.campaign, name=f"{c.name}（{timezone.localtime(due):%m月%d日}）",
                                 due_at=due, kind=c.kind, scope=c.scope, units=list(c.units.all()),
                                 lock_at=due + dt.timedelta(hours=c.grace_hours), cadence=c, skip_checks=True)
            except ValidationError:
                continue  # nothing to report this time
            opened.append(rnd)
    return opened


def chase_points(rnd: Round, now: dt.datetime) -> list[tuple[str, int]]:
    """The reminder points of `rnd` reached by `now` (point, level): opening, halfway, a day
    before, daily in the last days (level 1, the unit); at the due time the unit's head
    (level 2); a working day later the 分管领导 (level 3)."""
    points: list[tuple[str, int]] = [("opening", ChaseLevel.LIAISON)]
    if now >= rnd.opened_at + (rnd.due_at - rnd.opened_at) / 2:
        points.append(("halfway", ChaseLevel.LIAISON))
    if now >= rnd.due_at - dt.timedelta(days=1):
        points.append(("day_before", ChaseLevel.LIAISON))
    due_day = timezone.localtime(rnd.due_at).date()
    today = timezone.localtime(now).date()
    for back in range(LAST_DAYS, 0, -1):
        day = due_day - dt.timedelta(days=back)
        if day <= today and _local(day, dt.time(10, 0)) <= now and _local(day, dt.time(10, 0)) >= rnd.opened_at:
            points.append((f"daily:{day.isoformat()}", ChaseLevel.LIAISON))
    if now >= rnd.due_at:
        points.append(("overdue", ChaseLevel.HEAD))
        escalate = _local(workcalendar.add_workdays(due_day, 1), dt.time(10, 0))
        if now >= escalate:
            points.append(("escalated", ChaseLevel.LEADER))
    return points


def _heads(unit_ids: Iterable[int], parent: bool) -> list:
    """The unit's head (its members with role leader) or, `parent`, its 分管领导 (the leaders
    of the unit above it)."""
    from django.contrib.auth import get_user_model

    from duban.orgs.models import Membership

    ids = list(unit_ids)
    if parent:
        ids = list(OrgUnit.objects.filter(pk__in=ids, parent__isnull=False).values_list("parent_id", flat=True))
    users = Membership.objects.filter(unit_id__in=ids, role=Role.LEADER).values("user_id")
    return list(get_user_model().objects.filter(pk__in=users, is_active=True))


def round_chase(*, rnd: Round, now: dt.datetime | None = None, actor=None, force: bool = False, skip_checks: bool = False) -> list[Chase]:
    """Send the reminders of every point reached and not yet sent, only to the units that
    have not submitted: one message per point (so one digest per robot group, deliveries being
    kept per group address), logged as a Chase. `force`: the office's 一键催报 now."""
    from duban.core.actors import WORKER
    from duban.notify.services import notify_send

    now = now or _now()
    actor = actor or WORKER
    if permissions.checked(actor, skip_checks):
        _require_runner(actor, rnd.campaign, skip_checks)
    if rnd.status == RoundStatus.LOCKED:
        return []
    done_points = set(Chase.objects.filter(round=rnd).values_list("point", "level"))
    points = [p for p in chase_points(rnd, now) if p not in done_points]
    if force:
        points = [(f"manual:{now:%Y%m%d%H%M%S}", ChaseLevel.HEAD if now >= rnd.due_at else ChaseLevel.LIAISON)]
    if not points:
        return []
    # Only the newest point is sent: a worker that was down does not fire three at once.
    point, level = points[-1]
    waiting = list(Submission.objects.filter(round=rnd).exclude(status=SubmissionStatus.SUBMITTED).select_related("unit").order_by("unit__path"))
    chases = []
    with transaction.atomic():
        for p, lv in points[:-1]:  # the older points are logged as passed
            chases.append(Chase.objects.create(round=rnd, point=p, level=lv, units=0, at=now, actor_name="（已过，未单独发送）"))
        if not waiting:
            chases.append(Chase.objects.create(round=rnd, point=point, level=level, units=0, at=now, actor_name=actor_name(actor)))
            return chases
        units = [s.unit for s in waiting]
        due = timezone.localtime(rnd.due_at)
        names = "、".join(u.name for u in units[:30]) + (f"等{len(units)}个单位" if len(units) > 30 else "")
        late = now >= rnd.due_at
        subject = f"【逾期未报】{rnd.name}" if late else f"【催报】{rnd.name}：请于{due:%m月%d日%H:%M}前报送"
        body = (f"{rnd.name}截止时间为{due:%Y-%m-%d %H:%M}，以下单位尚未报送：{names}。"
                + ("已逾期，请立即报送。" if late else "请登录督办平台在“调度报送”中填报。"))
        recipients_units = units if level == ChaseLevel.LIAISON else []
        people = _heads([u.pk for u in units], parent=level == ChaseLevel.LEADER) if level != ChaseLevel.LIAISON else []
        message = notify_send(units=recipients_units, users=people, subject=subject, body=body, kind="round",
                              dedup_key=f"round:{rnd.pk}:{point}:{level}")
        Submission.objects.filter(pk__in=[s.pk for s in waiting], chase_level__lt=level).update(chase_level=level)
        chases.append(Chase.objects.create(round=rnd, point=point, level=level, units=len(units), message=message, at=now,
                                           actor_name=actor_name(actor)))
        audit_record(actor=actor, verb="round.chase", obj=rnd, changes={"催报": [None, f"{len(units)}个单位"]},
                     note=f"{dict(ChaseLevel.choices)[level]}：{point}")
    return chases


def rounds_tick(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's round: open scheduled rounds, chase, lock (every 5 minutes)."""
    now = now or _now()
    opened = cadences_open_due(now=now)
    chased = 0
    for rnd in Round.objects.filter(status=RoundStatus.OPEN, opened_at__lte=now):
        chased += len(round_chase(rnd=rnd, now=now, skip_checks=True))
    locked = rounds_lock_due(now=now)
    return {"opened": len(opened), "chased": chased, "locked": locked}


def total_investment(lines: Iterable[Line]) -> Decimal:
    return sum((ln.invested_wan or Decimal(0) for ln in lines), Decimal(0))
