"""Every write to the plan: items, owners, milestones, dependencies, instructions, reports,
evidence, transitions, lights and baselines — each in a transaction, each audited once.

Who may do what (orgs.permissions): the office of the campaign's unit builds the plan
(items, owners, dates, milestones, dependencies, baselines, light thresholds) and records
leaders' instructions (批示; the item's leader may write one too); the lead unit moves the
item along its workflow (plan.workflow) and sets its progress; every owning unit, lead or
co-responsible, reports progress notes and evidence for its own part.

After a write, the derived columns (progress from children, 最迟开始 / 机动时间 / 关键链,
灯色) are refreshed: `plan_refresh` for a whole campaign (dates or links changed, the daily
task), `_refresh_item` for one item and its ancestors (progress changed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from duban.audit.services import audit_record, diff, snapshot
from duban.campaigns.models import Campaign
from duban.core import evidence_files as storage
from duban.core import workcalendar
from duban.core.actors import actor_name, actor_user
from duban.orgs import permissions
from duban.orgs.models import OrgUnit, OwnerRole, Role
from duban.orgs.services import assignments_insert, owners_set
from duban.plan import lights, scheduling, workflow
from duban.plan.models import (
    MAX_BASELINES,
    Baseline,
    BaselineEntry,
    Dependency,
    Frequency,
    ItemEvent,
    ItemEvidence,
    Level,
    Light,
    LightRule,
    Milestone,
    PlanItem,
    Status,
)

MAX_TITLE = 300
MAX_TEXT = 5000
MAX_CO_UNITS = 60
MAX_MILESTONES = 60
EDITABLE = ("title", "description", "seq", "lead_unit", "leader_name", "leader", "start_date", "deadline", "duration_days",
            "frequency", "weight", "progress_from_children", "parent", "position", "extra")
AUDITED = ("title", "description", "seq", "lead_unit", "leader_name", "start_date", "deadline", "duration_days",
           "frequency", "weight", "progress_from_children", "progress", "parent", "status")


# ------------------------------------------------------------------ rights


def may_plan(user, campaign: Campaign) -> bool:
    """Build and change the campaign's plan: the office of the campaign's unit."""
    return permissions.may_act_for(user, campaign.unit, Role.OFFICE)


def _require_planner(actor, campaign: Campaign, skip_checks: bool) -> None:
    permissions.require_for_unit(actor, campaign.unit, Role.OFFICE, message="只有本活动的推进办可以编排任务分工", skip_checks=skip_checks)


def may_instruct(user, item: PlanItem) -> bool:
    """Record a leader's instruction (批示): the office, or the item's own leader."""
    if item.leader_id is not None and getattr(user, "pk", None) == item.leader_id:
        return True
    return may_plan(user, item.campaign)


# ------------------------------------------------------------------ helpers


def _now() -> dt.datetime:
    return timezone.now()


def _event(item: PlanItem, actor, kind: str, *, action: str = "", note: str = "", unit: OrgUnit | None = None,
           before: str = "", progress: int | None = None, author: str = "", at: dt.datetime | None = None) -> ItemEvent:
    return ItemEvent.objects.create(
        item=item, kind=kind, action=action, at=at or _now(), actor=actor_user(actor), actor_name=actor_name(actor), unit=unit,
        author=author[:60], from_status=before, to_status=item.status if kind == ItemEvent.Kind.STEP else "", progress=progress,
        note=note,
    )


def _text(value: str, limit: int, label: str, *, required: bool = False) -> str:
    """Stripped text within `limit`; NUL refused with a message (PostgreSQL cannot store it)."""
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({label: f"{label}含有不可见的空字符，请删去后再提交"})
    if required and not value:
        raise ValidationError({label: f"{label}不能为空"})
    if len(value) > limit:
        raise ValidationError({label: f"{label}不能超过{limit}字"})
    return value


def _check_dates(start: dt.date | None, deadline: dt.date | None) -> None:
    if start and deadline and start > deadline:
        raise ValidationError({"deadline": "完成时限不能早于计划开始"})
    for d in (start, deadline):
        if d is not None and not (dt.date(2000, 1, 1) <= d <= dt.date(2100, 12, 31)):
            raise ValidationError({"deadline": f"日期超出范围：{d}"})


def _check_unit(campaign: Campaign, unit: OrgUnit, label: str) -> None:
    if not unit.path.startswith(campaign.unit.path):
        raise ValidationError({label: f"“{unit.name}”不在本活动的范围内"})


def _level_for(parent: PlanItem | None) -> int:
    if parent is None:
        return Level.ASPECT
    if parent.level >= Level.MEASURE:
        raise ValidationError({"parent": "任务分工最多三级（方面、重点任务、具体措施）"})
    return parent.level + 1


def _region_of(unit: OrgUnit):
    return unit.region_id


# ------------------------------------------------------------------ items


@dataclass
class NewItem:
    title: str
    lead_unit: OrgUnit
    co_units: Sequence[OrgUnit] = ()
    parent: PlanItem | None = None
    seq: str = ""
    description: str = ""
    leader_name: str = ""
    start_date: dt.date | None = None
    deadline: dt.date | None = None
    duration_days: int | None = None
    frequency: str = Frequency.WEEKLY
    weight: int = 1
    progress_from_children: bool = False
    progress: int = 0
    progress_note: str = ""
    extra: dict | None = None


def _validate_new(campaign: Campaign, new: NewItem) -> None:
    _text(new.title, MAX_TITLE, "事项", required=True)
    _text(new.description, MAX_TEXT, "说明")
    if len(new.leader_name or "") > 60:
        raise ValidationError({"leader_name": "分管领导不能超过60字"})
    if new.frequency not in Frequency.values:
        raise ValidationError({"frequency": f"未知的汇报频次“{new.frequency}”"})
    if not (1 <= int(new.weight) <= 100):
        raise ValidationError({"weight": "权重须在1到100之间"})
    if not (0 <= int(new.progress) <= 100):
        raise ValidationError({"progress": "进度须在0到100之间"})
    if new.duration_days is not None and not (1 <= new.duration_days <= 2000):
        raise ValidationError({"duration_days": "工期须在1到2000个工作日之间"})
    if len(new.co_units) > MAX_CO_UNITS:
        raise ValidationError({"co_units": f"责任单位最多{MAX_CO_UNITS}个"})
    _check_dates(new.start_date, new.deadline)
    _check_unit(campaign, new.lead_unit, "lead_unit")
    for u in new.co_units:
        _check_unit(campaign, u, "co_units")
    if new.parent is not None and new.parent.campaign_id != campaign.pk:
        raise ValidationError({"parent": "上级事项不属于本活动"})


def _co_pairs(lead: OrgUnit, co_units: Sequence[OrgUnit]) -> list[tuple[OrgUnit, str]]:
    return [(u, OwnerRole.CO) for u in dict.fromkeys(co_units) if u.pk != lead.pk]


@transaction.atomic
def item_create(*, actor, campaign: Campaign, new: NewItem, skip_checks: bool = False, refresh: bool = True) -> PlanItem:
    """Add one item to the plan (the office), with its co-responsible units."""
    _require_planner(actor, campaign, skip_checks)
    _validate_new(campaign, new)
    level = _level_for(new.parent)
    now = _now()
    position = (PlanItem.objects.filter(campaign=campaign, parent=new.parent).aggregate(m=Max("position"))["m"] or 0) + 1
    item = PlanItem.objects.create(
        campaign=campaign, parent=new.parent, level=level, seq=(new.seq or "").strip()[:20], position=position,
        title=new.title.strip(), description=(new.description or "").strip(), lead_unit=new.lead_unit,
        leader_name=(new.leader_name or "").strip(), start_date=new.start_date, deadline=new.deadline,
        duration_days=new.duration_days, frequency=new.frequency, weight=new.weight,
        progress_from_children=new.progress_from_children, progress=new.progress, progress_note=new.progress_note or "",
        region_id=_region_of(new.lead_unit), extra=new.extra or {}, created_at=now, updated_at=now,
    )
    item.leader = _leader_user(item.leader_name, campaign)
    if item.leader is not None:
        item.save(update_fields=["leader"])
    # A person is checked again there (office over each unit named); skip_checks=True is
    # for system actors only and raises for a person.
    owners_set(actor=actor, obj=item, owners=_co_pairs(new.lead_unit, new.co_units), skip_checks=skip_checks)
    audit_record(actor=actor, verb="planitem.create", obj=item, changes=diff({}, snapshot(item, AUDITED)))
    if refresh:
        _refresh_after_change(item)
    return item


def _leader_user(name: str, campaign: Campaign):
    """The account of the 分管领导 when one person of the campaign carries that full name."""
    from django.contrib.auth import get_user_model

    name = (name or "").strip()
    if not name:
        return None
    users = list(get_user_model().objects.filter(first_name=name, memberships__unit__path__startswith=campaign.unit.path).distinct()[:2])
    return users[0] if len(users) == 1 else None


@transaction.atomic
def item_update(*, actor, item: PlanItem, changes: dict, co_units: Sequence[OrgUnit] | None = None,
                version: int | None = None, skip_checks: bool = False) -> PlanItem:
    """Change an item's fields (the office). `version`: refuse a save from an outdated form."""
    item = PlanItem.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "lead_unit").get(pk=item.pk)
    _require_planner(actor, item.campaign, skip_checks)
    if version is not None and item.version != version:
        raise workflow.engine.StaleVersion("该事项在您打开后已被他人修改，请刷新后再保存")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: "不能修改该字段" for k in sorted(unknown)})
    before = snapshot(item, AUDITED)
    old_parent_id = item.parent_id
    for k, v in changes.items():
        setattr(item, k, v.strip() if isinstance(v, str) else v)
    new = NewItem(title=item.title, lead_unit=item.lead_unit, co_units=list(co_units or ()), parent=item.parent,
                  description=item.description, leader_name=item.leader_name, start_date=item.start_date,
                  deadline=item.deadline, duration_days=item.duration_days, frequency=item.frequency,
                  weight=item.weight, progress=item.progress)
    _validate_new(item.campaign, new)
    if "parent" in changes:
        _check_parent(item, item.parent)
        item.level = _level_for(item.parent)
    if "leader_name" in changes:
        item.leader = _leader_user(item.leader_name, item.campaign)
    item.region_id = _region_of(item.lead_unit)
    item.updated_at = _now()
    item.save()
    if co_units is not None:
        owners_set(actor=actor, obj=item, owners=_co_pairs(item.lead_unit, co_units), skip_checks=skip_checks)
    changed = diff(before, snapshot(item, AUDITED))
    if changed:
        audit_record(actor=actor, verb="planitem.update", obj=item, changes=changed)
        _event(item, actor, ItemEvent.Kind.CHANGE, note="；".join(f"{k}：{a or '—'} → {b or '—'}" for k, (a, b) in changed.items())[:2000])
    _refresh_after_change(item)
    if old_parent_id is not None and old_parent_id != item.parent_id:
        _refresh_item(PlanItem.objects.select_related("campaign").get(pk=old_parent_id))  # its weighted progress lost a child
    return item


def _check_parent(item: PlanItem, parent: PlanItem | None) -> None:
    node = parent
    while node is not None:
        if node.pk == item.pk:
            raise ValidationError({"parent": "上级事项不能是它自己或它的下级"})
        node = node.parent
    if parent is not None and parent.campaign_id != item.campaign_id:
        raise ValidationError({"parent": "上级事项不属于本活动"})
    depth = _subtree_depth(item)
    if (parent.level if parent else 0) + depth > Level.MEASURE:
        raise ValidationError({"parent": "任务分工最多三级（方面、重点任务、具体措施）"})


def _subtree_depth(item: PlanItem) -> int:
    depth, level = 1, [item.pk]
    while True:
        level = list(PlanItem.objects.filter(parent_id__in=level).values_list("pk", flat=True))
        if not level:
            return depth
        depth += 1


@transaction.atomic
def item_delete(*, actor, item: PlanItem, skip_checks: bool = False) -> None:
    """Remove an item and its children from the plan (the office), audited."""
    _require_planner(actor, item.campaign, skip_checks)
    campaign = item.campaign
    audit_record(actor=actor, verb="planitem.delete", obj=item, changes={"事项": [str(item), None]},
                 note=f"连同下级事项{PlanItem.objects.filter(parent=item).count()}项")
    from django.contrib.contenttypes.models import ContentType

    from duban.orgs.models import Assignment

    ids = [item.pk]
    frontier = [item.pk]
    while frontier:
        frontier = list(PlanItem.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    Assignment.objects.filter(content_type=ContentType.objects.get_for_model(PlanItem), object_id__in=ids).delete()
    item.delete()
    plan_refresh(campaign=campaign)


# ------------------------------------------------------------------ reports, instructions, evidence


def _lock(item: PlanItem) -> PlanItem:
    return PlanItem.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "lead_unit").get(pk=item.pk)


def _owner_unit_of(actor, item: PlanItem, unit: OrgUnit | None) -> OrgUnit | None:
    """The owning unit the actor reports for: the one named, else the first owner they serve."""
    if unit is not None:
        return unit
    for u in permissions.owner_units(item):
        if permissions.may_act_for(actor, u, Role.OFFICE, Role.LIAISON):
            return u
    return None


@transaction.atomic
def item_report(*, actor, item: PlanItem, note: str, progress: int | None = None, unit: OrgUnit | None = None,
                files: Sequence[tuple[str, bytes]] = (), skip_checks: bool = False) -> ItemEvent:
    """A progress report (进展): any owning unit for its own part; the progress % only by the
    lead unit (it answers for the item), and not on an item whose progress comes from its children."""
    item = _lock(item)
    note = _text(note, MAX_TEXT, "进展情况", required=True)
    if permissions.checked(actor, skip_checks):
        if unit is not None and not permissions.may_report(actor, item, unit=unit):
            raise PermissionDenied("只能为本单位负责的部分填报进展")
        if not permissions.may_report(actor, item):
            raise PermissionDenied("无权填报该事项的进展")
        if progress is not None and not permissions.may_change(actor, item):
            raise PermissionDenied("进度百分比由牵头单位填报")
    if item.status == Status.DONE:
        raise ValidationError({"note": "已办结的事项不能再填报进展"})
    if progress is not None:
        if item.progress_from_children and item.children.exists():
            raise ValidationError({"progress": "该事项的进度由下级事项加权计算"})
        if not (0 <= int(progress) <= 100):
            raise ValidationError({"progress": "进度须在0到100之间"})
    who = _owner_unit_of(actor, item, unit)
    before = item.progress
    if progress is not None:
        item.progress = int(progress)
    if who is None or who.pk == item.lead_unit_id:
        item.progress_note = note
    if item.started_on is None and (progress or 0) > 0:
        item.started_on = timezone.localdate()
    for fname, data in files:
        _add_evidence(actor, item, fname, data, who)
    item.updated_at = _now()
    item.save()
    ev = _event(item, actor, ItemEvent.Kind.REPORT, action="report", note=note, unit=who, progress=progress)
    audit_record(actor=actor, verb="planitem.report", obj=item,
                 changes={"progress": [before, item.progress]} if progress is not None and before != item.progress else {},
                 note=f"{who.name if who else ''}：{note}"[:2000])
    _refresh_item(item)
    return ev


@transaction.atomic
def instruction_add(*, actor, item: PlanItem, author: str, text: str, given_on: dt.date | None = None,
                    skip_checks: bool = False) -> ItemEvent:
    """A leader's written instruction (领导批示) on the item's timeline."""
    item = _lock(item)
    if permissions.checked(actor, skip_checks) and not may_instruct(actor, item):
        raise PermissionDenied("只有推进办或该事项的分管领导可以录入领导批示")
    author = _text(author, 60, "批示领导", required=True)
    text = _text(text, MAX_TEXT, "批示内容", required=True)
    given_on = given_on or timezone.localdate()
    at = timezone.make_aware(dt.datetime.combine(given_on, dt.time(9, 0)))
    ev = _event(item, actor, ItemEvent.Kind.INSTRUCTION, action="instruction", note=text, author=author, at=min(at, _now()))
    audit_record(actor=actor, verb="planitem.instruction", obj=item, changes={"领导批示": [None, f"{author}：{text}"[:500]]})
    return ev


def _add_evidence(actor, item: PlanItem, name: str, data: bytes, unit: OrgUnit | None) -> ItemEvidence:
    sniffed = storage.check(data, name)
    key = storage.storage().save(data, sniffed.ext)
    try:
        ev = ItemEvidence.objects.create(item=item, unit=unit, name=(name or "file")[:200], key=key,
                                         content_type=sniffed.content_type, size=sniffed.size, sha256=sniffed.sha256,
                                         uploaded_by=actor_user(actor), uploaded_at=_now())
    except Exception:
        storage.storage().delete(key)
        raise
    audit_record(actor=actor, verb="planitem.evidence_add", obj=item, changes={"佐证材料": [None, ev.name]}, note=storage.describe(sniffed))
    return ev


@transaction.atomic
def evidence_add(*, actor, item: PlanItem, name: str, data: bytes, unit: OrgUnit | None = None, skip_checks: bool = False) -> ItemEvidence:
    item = _lock(item)
    if permissions.checked(actor, skip_checks) and not permissions.may_report(actor, item, unit=unit):
        raise PermissionDenied("无权为该事项上传佐证材料")
    if item.status == Status.DONE:
        raise ValidationError({"files": "已办结的事项不能再上传佐证材料"})
    return _add_evidence(actor, item, name, data, _owner_unit_of(actor, item, unit))


# ------------------------------------------------------------------ milestones and dependencies


@transaction.atomic
def milestones_set(*, actor, item: PlanItem, milestones: Sequence[tuple[str, dt.date, OrgUnit | None]], skip_checks: bool = False) -> list[Milestone]:
    """Replace an item's node dates (the office): [(title, due, responsible unit), …]; a node
    already done keeps its completion date when its title stays."""
    item = _lock(item)
    _require_planner(actor, item.campaign, skip_checks)
    if len(milestones) > MAX_MILESTONES:
        raise ValidationError({"milestones": f"节点最多{MAX_MILESTONES}个"})
    owners = {u.pk for u in permissions.owner_units(item)}
    done = {m.title: m.done_on for m in item.milestones.all()}
    rows = []
    for i, (title, due, unit) in enumerate(milestones):
        title = _text(title, 200, "节点", required=True)
        _check_dates(None, due)
        if unit is not None and unit.pk not in owners:
            raise ValidationError({"milestones": f"节点“{title}”的责任单位“{unit.name}”不是该事项的牵头或责任单位"})
        rows.append(Milestone(item=item, title=title, due=due, unit=unit, position=i, done_on=done.get(title)))
    before = [str(m) for m in item.milestones.all()]
    item.milestones.all().delete()
    created = Milestone.objects.bulk_create(rows)
    after = [str(m) for m in created]
    if before != after:
        audit_record(actor=actor, verb="planitem.milestones", obj=item, changes={"节点": [before, after]})
    item.updated_at = _now()
    item.save(update_fields=["updated_at"])
    return created


@transaction.atomic
def milestone_done(*, actor, milestone: Milestone, done_on: dt.date | None = None, skip_checks: bool = False) -> Milestone:
    """Mark a node reached: its responsible unit (or the lead unit, or the office)."""
    item = _lock(milestone.item)
    if permissions.checked(actor, skip_checks):
        ok = (milestone.unit is not None and permissions.may_report(actor, item, unit=milestone.unit)) \
            or permissions.may_change(actor, item) or may_plan(actor, item.campaign)
        if not ok:
            raise PermissionDenied("只有该节点的责任单位可以确认完成")
    milestone.done_on = done_on or timezone.localdate()
    milestone.save(update_fields=["done_on"])
    _event(item, actor, ItemEvent.Kind.REPORT, action="milestone", note=f"节点“{milestone.title}”完成", unit=milestone.unit)
    audit_record(actor=actor, verb="planitem.milestone_done", obj=item, changes={"节点": [None, str(milestone)]})
    return milestone


def _edges(campaign: Campaign) -> list[tuple[int, int]]:
    return list(Dependency.objects.filter(successor__campaign=campaign).values_list("predecessor_id", "successor_id"))


@transaction.atomic
def dependency_add(*, actor, predecessor: PlanItem, successor: PlanItem, skip_checks: bool = False) -> Dependency:
    """Finish-to-start link (the office); a link that closes a circle is refused."""
    _require_planner(actor, successor.campaign, skip_checks)
    if predecessor.campaign_id != successor.campaign_id:
        raise ValidationError({"predecessor": "前置事项须属于同一活动"})
    if scheduling.would_cycle(_edges(successor.campaign), (predecessor.pk, successor.pk)):
        raise ValidationError({"predecessor": f"“{predecessor}”已直接或间接依赖“{successor}”，不能形成循环"})
    dep, created = Dependency.objects.get_or_create(predecessor=predecessor, successor=successor)
    if created:
        audit_record(actor=actor, verb="planitem.dependency_add", obj=successor, changes={"前置事项": [None, str(predecessor)]})
        _refresh_chain(successor)
    return dep


@transaction.atomic
def dependency_remove(*, actor, predecessor: PlanItem, successor: PlanItem, skip_checks: bool = False) -> bool:
    _require_planner(actor, successor.campaign, skip_checks)
    n, _ = Dependency.objects.filter(predecessor=predecessor, successor=successor).delete()
    if n:
        audit_record(actor=actor, verb="planitem.dependency_remove", obj=successor, changes={"前置事项": [str(predecessor), None]})
        _refresh_chain(predecessor)  # the chain may have split in two
        _refresh_chain(successor)
    return bool(n)


# ------------------------------------------------------------------ the workflow


TRANSITION_FIELDS = ("status", "deadline", "finished_on", "extension_to", "progress")


def transition_recorded(ctx, verb: str) -> None:
    """The engine's audit hook: the timeline entry and ONE audit row."""
    item = ctx.obj
    _event(item, ctx.actor, ItemEvent.Kind.STEP, action=ctx.transition.name, before=ctx.before_status, note=ctx.note)
    audit_record(actor=ctx.actor, verb=verb, obj=item, changes=diff(ctx.extra["before"], snapshot(item, TRANSITION_FIELDS)), note=ctx.reason)


def transition_saved(ctx) -> None:
    item = ctx.obj
    item.updated_at = _now()
    item.save()
    if ctx.transition.name == "approve_extension":
        _refresh_after_change(item)
    else:
        _refresh_item(item)


@transaction.atomic
def item_transition(*, actor, item: PlanItem, name: str, reason: str = "", date: dt.date | None = None,
                    files: Sequence[tuple[str, bytes]] = (), version: int | None = None, skip_checks: bool = False) -> PlanItem:
    """Fire transition `name` of the plan's table (plan.workflow.TABLE on the one engine)."""

    def attach(ctx) -> None:
        ctx.extra["before"] = snapshot(ctx.obj, TRANSITION_FIELDS)
        for fname, data in files:
            _add_evidence(actor, ctx.obj, fname, data, ctx.obj.lead_unit)

    return workflow.TABLE.fire(actor=actor, obj=item, name=name, check_side=permissions.checked(actor, skip_checks),
                               reason=reason, date=date, version=version, before=attach)


# ------------------------------------------------------------------ lights, schedule, progress


def thresholds(campaign: Campaign) -> lights.Thresholds:
    rule = LightRule.objects.filter(campaign=campaign).first()
    if rule is None:
        return lights.DEFAULT
    return lights.Thresholds(rule.due_soon_days, rule.behind_yellow, rule.behind_red)


@transaction.atomic
def light_rule_set(*, actor, campaign: Campaign, due_soon_days: int, behind_yellow: int, behind_red: int,
                   skip_checks: bool = False) -> LightRule:
    _require_planner(actor, campaign, skip_checks)
    if not (0 <= due_soon_days <= 60):
        raise ValidationError({"due_soon_days": "临期预警须在0到60个工作日之间"})
    if not (1 <= behind_yellow < behind_red <= 100):
        raise ValidationError({"behind_red": "须 1 ≤ 黄灯落后点数 < 红灯落后点数 ≤ 100"})
    rule, _ = LightRule.objects.get_or_create(campaign=campaign)
    before = (rule.due_soon_days, rule.behind_yellow, rule.behind_red)
    rule.due_soon_days, rule.behind_yellow, rule.behind_red = due_soon_days, behind_yellow, behind_red
    rule.save()
    audit_record(actor=actor, verb="plan.light_rule", obj=campaign,
                 changes={"红黄灯规则": [list(before), [due_soon_days, behind_yellow, behind_red]]})
    plan_refresh(campaign=campaign)
    return rule


DERIVED = ("progress", "light", "behind", "latest_start", "slack_days", "critical")


def plan_refresh(*, campaign: Campaign, today: dt.date | None = None) -> int:
    """Recompute every item's derived columns (weighted progress, backward schedule, light);
    writes only the rows that changed and returns how many."""
    return _rederive(campaign, PlanItem.objects.filter(campaign=campaign), _edges(campaign), today or timezone.localdate())


def _rederive(campaign: Campaign, rows, edges: list[tuple[int, int]], today: dt.date, *, progress: bool = True) -> int:
    """Derive the columns of the items in `rows` (a queryset) and write those that changed."""
    items = [_Row(*r) for r in rows.values_list(*_Row.__slots__)]
    before = {i.pk: tuple(getattr(i, f) for f in DERIVED) for i in items}
    _derive(campaign, items, edges, today, progress=progress)
    changed = [i for i in items if tuple(getattr(i, f) for f in DERIVED) != before[i.pk]]
    _write_derived(changed)
    return len(changed)


def _derive(campaign: Campaign, items: list[_Row], edges: list[tuple[int, int]], today: dt.date, *, progress: bool = True) -> None:
    """Set the derived columns of `items` (the whole plan, or with progress=False one chain of
    linked items, whose parents' weighted progress is not theirs to recompute) in place."""
    cal = _MemoCalendar(workcalendar.calendar())
    rule = thresholds(campaign)
    by_id = {i.pk: i for i in items}
    children: dict[int, list[_Row]] = {}
    for i in items:
        if i.parent_id in by_id:
            children.setdefault(i.parent_id, []).append(i)
    # Weighted progress, deepest level first.
    for i in sorted(items, key=lambda x: -x.level) if progress else ():
        kids = children.get(i.pk)
        if i.progress_from_children and kids and i.status != Status.DONE:
            total = sum(k.weight for k in kids)
            i.progress = round(sum(k.progress * k.weight for k in kids) / total) if total else 0
    try:
        plan = scheduling.schedule(
            [scheduling.Step(i.pk, i.deadline, i.duration_days, i.start_date, i.started_on, i.finished_on) for i in items],
            edges, today=today, cal=cal)
    except scheduling.CycleError:
        plan = {}
    for i in items:
        s = plan.get(i.pk)
        i.latest_start = s.latest_start if s else None
        i.slack_days = max(-32000, min(32000, s.slack)) if s and s.slack is not None else None
        i.critical = bool(s and s.critical)
        r = lights.reading(i, campaign_start=campaign.start_date, today=today, rule=rule, cal=cal)
        i.light, i.behind = r.light, min(100, r.behind)


class _Row:
    """What plan_refresh reads of an item: a plain record (5,000 model instances cost
    half a second to build)."""

    __slots__ = ("pk", "parent_id", "level", "status", "start_date", "deadline", "duration_days", "progress",
                 "progress_from_children", "weight", "started_on", "finished_on", "light", "behind", "latest_start",
                 "slack_days", "critical")

    def __init__(self, *values):
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


def _refresh_chain(item: PlanItem) -> int:
    """The backward schedule and lights of the chain of items linked to `item` (its connected
    part of the dependency graph): a date that moves shifts only its chain, not the plan."""
    edges = _edges(item.campaign)
    links: dict[int, list[int]] = {}
    for a, b in edges:
        links.setdefault(a, []).append(b)
        links.setdefault(b, []).append(a)
    chain, stack = {item.pk}, [item.pk]
    while stack:
        for other in links.get(stack.pop(), ()):
            if other not in chain:
                chain.add(other)
                stack.append(other)
    return _rederive(item.campaign, PlanItem.objects.filter(pk__in=chain), [(a, b) for a, b in edges if a in chain],
                     timezone.localdate(), progress=False)


def _refresh_after_change(item: PlanItem) -> None:
    """After one item's dates or place changed: the whole plan when it is linked to others
    (the backward schedule moves along the chain), else its own schedule, light and ancestors."""
    linked = Dependency.objects.filter(Q(predecessor=item) | Q(successor=item)).exists()
    if linked:
        _refresh_chain(item)
        _refresh_item(item)
        return
    today = timezone.localdate()
    s = scheduling.schedule([scheduling.Step(item.pk, item.deadline, item.duration_days, item.start_date, item.started_on,
                                             item.finished_on)], [], today=today, cal=workcalendar.calendar())[item.pk]
    item.latest_start, item.critical = s.latest_start, bool(s.critical)
    item.slack_days = max(-32000, min(32000, s.slack)) if s.slack is not None else None
    PlanItem.objects.filter(pk=item.pk).update(latest_start=item.latest_start, slack_days=item.slack_days, critical=item.critical)
    _refresh_item(item)


class _MemoCalendar:
    """The working-day calendar with its answers remembered for one refresh: a plan's items
    share a few hundred deadlines and start dates, and each answer counts holidays."""

    def __init__(self, cal):
        self._cal = cal
        self._memo: dict = {}

    def _remember(self, name: str, *args):
        key = (name, *args)
        hit = self._memo.get(key, self._memo)
        if hit is self._memo:
            hit = self._memo[key] = getattr(self._cal, name)(*args)
        return hit

    def workdays_between(self, a: dt.date, b: dt.date) -> int:
        return self._remember("workdays_between", a, b)

    def is_workday(self, d: dt.date) -> bool:
        return self._remember("is_workday", d)

    def add_workdays(self, d: dt.date, n: int) -> dt.date:
        return self._remember("add_workdays", d, n)

    def __getattr__(self, name: str):
        return getattr(self._cal, name)


# Above this many changed rows the derived columns go through a temporary table and one
# UPDATE … FROM (SQLite ≥ 3.33, PostgreSQL): bulk_update's CASE WHEN per row and field took
# 7 s for a 5,000-item plan; the join takes a few tens of milliseconds.
DERIVED_JOIN_MIN = 200


def _write_derived(items: Sequence[_Row]) -> None:
    if len(items) < DERIVED_JOIN_MIN or connection.vendor not in ("sqlite", "postgresql"):
        PlanItem.objects.bulk_update([PlanItem(pk=i.pk, **{f: getattr(i, f) for f in DERIVED}) for i in items], DERIVED, batch_size=500)
        return
    table = PlanItem._meta.db_table
    date = connection.ops.adapt_datefield_value
    rows = [(i.pk, i.progress, i.light, i.behind, date(i.latest_start), i.slack_days, bool(i.critical)) for i in items]
    sets = ", ".join(f"{f} = d.{f}" for f in DERIVED)
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE plan_derived (id bigint PRIMARY KEY, progress integer, light varchar(10), behind integer, "
                    "latest_start date, slack_days integer, critical boolean)")
        # (an error rolls the transaction back, the temporary table with it: DDL is transactional on both)
        if connection.vendor == "postgresql":
            with cur.cursor.copy("COPY plan_derived FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
        else:
            cur.executemany("INSERT INTO plan_derived VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
        cur.execute(f"UPDATE {table} SET {sets} FROM plan_derived d WHERE {table}.id = d.id")  # noqa: S608 - our names
        cur.execute("DROP TABLE plan_derived")


def _refresh_item(item: PlanItem) -> None:
    """After one item's progress or status moved: its light and its ancestors' (progress
    from children); the schedule does not depend on either."""
    today = timezone.localdate()
    cal = workcalendar.calendar()
    rule = thresholds(item.campaign)
    node: PlanItem | None = item
    while node is not None:
        if node.progress_from_children and node.status != Status.DONE:
            kids = list(PlanItem.objects.filter(parent=node).values_list("progress", "weight"))
            total = sum(w for _, w in kids)
            node.progress = round(sum(p * w for p, w in kids) / total) if total else node.progress
        r = lights.reading(node, campaign_start=item.campaign.start_date, today=today, rule=rule, cal=cal)
        node.light, node.behind = r.light, min(100, r.behind)
        PlanItem.objects.filter(pk=node.pk).update(progress=node.progress, light=node.light, behind=node.behind)
        node = PlanItem.objects.filter(pk=node.parent_id).first() if node.parent_id else None


def plans_refresh_all(today: dt.date | None = None) -> int:
    """Every active campaign's plan (the daily task: lights move with the calendar)."""
    n = 0
    for campaign in Campaign.objects.filter(is_active=True, plan_items__isnull=False).distinct():
        n += plan_refresh(campaign=campaign, today=today)
    return n


# ------------------------------------------------------------------ import (任务分工表)


@dataclass
class ImportedItem:
    """One new item of an imported 任务分工表. `key` is the import's own number for it, so a
    child names its parent among the new items (`parent_key`) or among the plan's (`parent_id`)."""

    key: int
    title: str
    lead_unit_id: int
    parent_id: int | None = None
    parent_key: int | None = None
    seq: str = ""
    co_unit_ids: Sequence[int] = ()
    leader_name: str = ""
    start_date: dt.date | None = None
    deadline: dt.date | None = None
    duration_days: int | None = None
    frequency: str = Frequency.WEEKLY
    progress: int = 0
    progress_note: str = ""
    progress_from_children: bool = False
    extra: dict | None = None


@dataclass
class ItemChange:
    """A re-imported row's changes to an existing item: model fields (attnames: `lead_unit_id`,
    `parent_id`; `parent_key` for a new parent), the co-responsible units when the file says
    them (None: unchanged), and the changed cells as people read them (for the timeline)."""

    item_id: int
    fields: dict
    co_unit_ids: Sequence[int] | None = None
    cells: dict | None = None


IMPORT_FIELDS = ("title", "seq", "lead_unit_id", "leader_name", "start_date", "deadline", "duration_days", "frequency",
                 "progress", "progress_note", "extra", "parent_id")


@transaction.atomic
def items_import(*, actor, campaign: Campaign, new: Sequence[ImportedItem] = (), changes: Sequence[ItemChange] = (),
                 note: str = "", skip_checks: bool = False) -> tuple[int, int]:
    """Write a checked 任务分工表 in bulk (the office): new items level by level, their
    co-responsible units as Assignment rows, changed items in one bulk update; one audit row
    for the whole import (with its counts), one timeline entry per changed item, then the
    derived columns once (`plan_refresh`; for a plan only added to, its derivation runs
    before the write, so new rows go in complete). The caller (plan.io) has checked every cell with row/column messages;
    what is checked again here is what a caller could get wrong: scope, sizes, levels.
    Returns (created, updated)."""
    from duban.orgs.models import Assignment
    from duban.orgs.scoping import assignment_type

    _require_planner(actor, campaign, skip_checks)
    unit_ids = {n.lead_unit_id for n in new} | {u for n in new for u in n.co_unit_ids}
    unit_ids |= {c.fields["lead_unit_id"] for c in changes if "lead_unit_id" in c.fields}
    unit_ids |= {u for c in changes for u in (c.co_unit_ids or ())}
    units = {pk: (path, region) for pk, path, region in OrgUnit.objects.filter(pk__in=unit_ids).values_list("id", "path", "region_id")}
    for pk in unit_ids:
        if pk not in units or not units[pk][0].startswith(campaign.unit.path):
            raise ValidationError({"lead_unit": f"单位（编号{pk}）不在本活动的范围内"})
    frequencies = set(Frequency.values)  # (a list built at each call of .values)
    for n in new:
        _text(n.title, MAX_TITLE, "事项", required=True)
        if len(n.co_unit_ids) > MAX_CO_UNITS:
            raise ValidationError({"co_units": f"责任单位最多{MAX_CO_UNITS}个"})
        if n.frequency not in frequencies or not 0 <= n.progress <= 100:
            raise ValidationError({"frequency": "汇报频次或进度有误"})
        _check_dates(n.start_date, n.deadline)
    existing = dict(PlanItem.objects.filter(campaign=campaign).values_list("id", "level"))
    now = _now()
    leaders: dict[str, object] = {}

    def leader(name: str):
        if name not in leaders:
            leaders[name] = _leader_user(name, campaign)
        return leaders[name]

    # New items, parents before children: each level's bulk insert gives the ids the next needs.
    by_key = {n.key: n for n in new}
    levels: dict[int, int] = {}

    def level_of(n: ImportedItem) -> int:
        if n.key not in levels:
            if n.parent_key is not None:
                lv = level_of(by_key[n.parent_key]) + 1
            elif n.parent_id is not None:
                if n.parent_id not in existing:
                    raise ValidationError({"parent": "上级事项不属于本活动"})
                lv = existing[n.parent_id] + 1
            else:
                lv = Level.ASPECT
            if lv > Level.MEASURE:
                raise ValidationError({"parent": "任务分工最多三级（方面、重点任务、具体措施）"})
            levels[n.key] = lv
        return levels[n.key]

    positions: dict[int | None, int] = {}
    for parent_id, m in PlanItem.objects.filter(campaign=campaign).values_list("parent_id").annotate(m=Max("position")):
        positions[parent_id] = m or 0
    ids: dict[int, int] = {}
    rows_by_level: dict[int, list[ImportedItem]] = {}
    for n in new:
        rows_by_level.setdefault(level_of(n), []).append(n)
    # A plan only added to (a first import, new rows): the refresh's derivation runs once, over
    # the whole plan, before the write; the new rows go in with their lights and schedule, and
    # only existing rows whose derived columns move (a heading's weighted progress) are written.
    derived: dict[int, _Row] = {}
    settled: list[_Row] | None = None
    if new and not changes:
        plan_rows = [_Row(*r) for r in PlanItem.objects.filter(campaign=campaign).values_list(*_Row.__slots__)]
        before = {i.pk: tuple(getattr(i, f) for f in DERIVED) for i in plan_rows}
        for n in new:  # ids to come: the import's keys, negative
            derived[n.key] = _Row(-n.key, -n.parent_key if n.parent_key is not None else n.parent_id, levels[n.key], Status.PENDING,
                                  n.start_date, n.deadline, n.duration_days, n.progress, n.progress_from_children, 1, None, None,
                                  Light.NONE, 0, None, None, False)
        _derive(campaign, plan_rows + list(derived.values()), _edges(campaign), timezone.localdate())
        settled = [i for i in plan_rows if tuple(getattr(i, f) for f in DERIVED) != before[i.pk]]
    for lv in sorted(rows_by_level):
        rows = []
        for n in rows_by_level[lv]:
            parent_id = ids[n.parent_key] if n.parent_key is not None else n.parent_id
            positions[parent_id] = positions.get(parent_id, 0) + 1
            name = (n.leader_name or "").strip()[:60]
            who = leader(name)
            rows.append({
                "campaign_id": campaign.pk, "parent_id": parent_id, "level": lv, "seq": (n.seq or "").strip()[:20],
                "position": positions[parent_id], "title": n.title.strip(), "lead_unit_id": n.lead_unit_id, "leader_name": name,
                "leader_id": who.pk if who is not None else None, "start_date": n.start_date, "deadline": n.deadline,
                "duration_days": n.duration_days, "frequency": n.frequency, "progress": n.progress, "progress_note": n.progress_note or "",
                "progress_from_children": n.progress_from_children, "region_id": units[n.lead_unit_id][1], "extra": n.extra or {},
                "created_at": now, "updated_at": now,
            })
            if n.key in derived:
                rows[-1].update({f: getattr(derived[n.key], f) for f in DERIVED})
        for n, pk in zip(rows_by_level[lv], _insert_items(campaign, lv, rows, now), strict=True):
            ids[n.key] = pk
    ctype = assignment_type(PlanItem)
    assignments = [(ctype.pk, ids[n.key], u, OwnerRole.CO, i)
                   for n in new for i, u in enumerate(u for u in dict.fromkeys(n.co_unit_ids) if u != n.lead_unit_id)]
    # Changed items: one bulk update of the fields that changed anywhere.
    updated: list[PlanItem] = []
    if changes:
        by_id = {c.item_id: c for c in changes}
        items = PlanItem.objects.select_for_update(of=("self",)).filter(campaign=campaign, pk__in=list(by_id))
        fields: set[str] = {"updated_at"}
        events = []
        for item in items:
            c = by_id[item.pk]
            for f, v in c.fields.items():
                if f == "parent_key":
                    item.parent_id, f = ids[v], "parent_id"
                elif f not in IMPORT_FIELDS:
                    raise ValidationError({f: "不能修改该字段"})
                else:
                    setattr(item, f, v)
                fields.add(f)
            if "lead_unit_id" in c.fields:
                item.region_id = units[item.lead_unit_id][1]
                fields.add("region_id")
            if "leader_name" in c.fields:
                item.leader = leader(item.leader_name)
                fields.add("leader_id")
            _check_dates(item.start_date, item.deadline)
            item.updated_at = now
            updated.append(item)
            if c.cells:
                text = "；".join(f"{k}：{a or '—'} → {b or '—'}" for k, (a, b) in c.cells.items())
                events.append(ItemEvent(item=item, kind=ItemEvent.Kind.CHANGE, action="import", at=now, actor=actor_user(actor),
                                        actor_name=actor_name(actor), note=f"导入任务分工表：{text}"[:2000]))
        if len(updated) != len(by_id):
            raise ValidationError({"item": "要更新的事项不属于本活动"})
        names = sorted(f[:-3] if f in ("lead_unit_id", "parent_id", "leader_id") else f for f in fields)
        PlanItem.objects.bulk_update(updated, names, batch_size=500)
        ItemEvent.objects.bulk_create(events, batch_size=1000)
        recast = [c for c in changes if c.co_unit_ids is not None]
        if recast:
            lead = {i.pk: i.lead_unit_id for i in updated}
            Assignment.objects.filter(content_type=ctype, object_id__in=[c.item_id for c in recast], role=OwnerRole.CO).delete()
            assignments += [(ctype.pk, c.item_id, u, OwnerRole.CO, i)
                            for c in recast for i, u in enumerate(u for u in dict.fromkeys(c.co_unit_ids) if u != lead[c.item_id])]
    assignments_insert(assignments)
    audit_record(actor=actor, verb="plan.import", obj=campaign,
                 changes={"任务分工表": [None, f"新建{len(new)}项，更新{len(updated)}项"]},
                 note=(note or "导入任务分工表")[:2000])
    if settled is None:
        plan_refresh(campaign=campaign)
    else:
        _write_derived(settled)
    return len(new), len(updated)


def _insert_items(campaign: Campaign, level: int, rows: list[dict], now: dt.datetime) -> list[int]:
    """Insert new items of one level, given as {attname: value} (unset fields take their
    defaults), by COPY on PostgreSQL and executemany on SQLite — model instances and the ORM's
    bulk_create (28 rows a statement on SQLite) took most of a 5,000-item import — and return
    their ids in order, found again by (parent, position), which the import makes unique."""
    import json

    fields = [f for f in PlanItem._meta.concrete_fields if not f.primary_key]
    pg = connection.vendor == "postgresql"
    dump = json.JSONEncoder(ensure_ascii=False, default=str).encode
    ops = connection.ops

    def conv(f):
        kind = f.get_internal_type()
        if kind == "JSONField":
            return dump
        if kind == "DateTimeField" and not pg:
            stamp = ops.adapt_datetimefield_value(now)
            return lambda v: stamp if v is now else ops.adapt_datetimefield_value(v)
        if kind == "DateField" and not pg:
            return ops.adapt_datefield_value
        return None

    spec = [(f.attname, f.get_default(), conv(f)) for f in fields]
    values = ([r.get(a, d) if c is None else c(r.get(a, d)) for a, d, c in spec] for r in rows)
    table, columns = PlanItem._meta.db_table, ", ".join(f.column for f in fields)
    with connection.cursor() as cur:
        if pg:
            with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for v in values:
                    copy.write_row(v)
        else:
            cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", values)  # noqa: S608
    found = {(p, pos): pk for pk, p, pos in PlanItem.objects.filter(campaign=campaign, created_at=now, level=level)
             .values_list("id", "parent_id", "position")}
    return [found[(r["parent_id"], r["position"])] for r in rows]


BULK_AUDIT_BATCH = 1000


def items_bulk_insert(*, actor, campaign: Campaign, items: Sequence[PlanItem], co_units: Sequence[Sequence[int]] = (),
                      note: str = "", today: dt.date | None = None, skip_checks: bool = False) -> int:
    """Insert many new items fast (a generated plan: the city demo), inside the caller's
    transaction, through the import's writer (`_insert_items`, `orgs.services.assignments_insert`):
    `items` unsaved with their states, parents before children and unique positions under
    each parent; `co_units[i]` the co-responsible unit ids of items[i]. One audit row per
    BULK_AUDIT_BATCH items; the derived columns refreshed once."""
    from duban.orgs.scoping import assignment_type

    _require_planner(actor, campaign, skip_checks)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("items_bulk_insert must run inside transaction.atomic()")
    now = _now()
    attnames = [f.attname for f in PlanItem._meta.concrete_fields if not f.primary_key]
    for level in sorted({i.level for i in items}):
        batch = [i for i in items if i.level == level]
        rows = []
        for i in batch:
            i.campaign, i.created_at, i.updated_at = campaign, now, now
            i.parent_id = i.parent.pk if i.parent is not None else None
            rows.append({a: getattr(i, a) for a in attnames})
        for i, pk in zip(batch, _insert_items(campaign, level, rows, now), strict=True):
            i.pk = pk
    ctype = assignment_type(PlanItem).pk
    assignments_insert([(ctype, item.pk, u, OwnerRole.CO, k)
                         for item, units in zip(items, co_units, strict=False)
                         for k, u in enumerate(u for u in dict.fromkeys(units) if u != item.lead_unit_id)])
    for start in range(0, len(items), BULK_AUDIT_BATCH):
        ids = [i.pk for i in items[start : start + BULK_AUDIT_BATCH]]
        audit_record(actor=actor, verb="planitem.bulk_create", object_type="plan.planitem", object_id=f"{min(ids)}-{max(ids)}",
                     object_repr=f"{campaign.name}：督办事项 {len(ids)} 项", unit=campaign.unit,
                     changes={"count": len(ids), "ids": [min(ids), max(ids)]}, note=note)
    plan_refresh(campaign=campaign, today=today)
    return len(items)


# ------------------------------------------------------------------ baselines


@transaction.atomic
def baseline_freeze(*, actor, campaign: Campaign, name: str, skip_checks: bool = False) -> Baseline:
    """Freeze the plan's dates now as a named baseline (at most MAX_BASELINES per campaign)."""
    _require_planner(actor, campaign, skip_checks)
    name = _text(name, 100, "基线名称", required=True)
    # Lock the campaign row so two freezes cannot take the same number.
    Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
    count = Baseline.objects.filter(campaign=campaign).count()
    if count >= MAX_BASELINES:
        raise ValidationError({"name": f"每个活动最多保存{MAX_BASELINES}个基线"})
    number = (Baseline.objects.filter(campaign=campaign).aggregate(m=Max("number"))["m"] or 0) + 1
    items = list(PlanItem.objects.filter(campaign=campaign).values_list("pk", "start_date", "deadline", "progress"))
    stones: dict[int, list] = {}
    for item_id, title, due in Milestone.objects.filter(item__campaign=campaign).values_list("item_id", "title", "due"):
        stones.setdefault(item_id, []).append([title, due.isoformat()])
    baseline = Baseline.objects.create(campaign=campaign, number=number, name=name, taken_at=_now(), taken_by=actor_user(actor),
                                       items=len(items))
    BaselineEntry.objects.bulk_create(
        [BaselineEntry(baseline=baseline, item_id=pk, start_date=s, deadline=d, progress=p, milestones=stones.get(pk, []))
         for pk, s, d, p in items], batch_size=1000)
    audit_record(actor=actor, verb="plan.baseline", obj=campaign, changes={"基线": [None, str(baseline)]}, note=f"{len(items)}项")
    return baseline


# ------------------------------------------------------------------ the item form


FORM_FIELDS = ("title", "description", "seq", "leader_name", "start_date", "deadline", "duration_days", "frequency", "weight",
               "progress_from_children")


@transaction.atomic
def item_save(*, actor, campaign: Campaign, new: NewItem, item: PlanItem | None = None,
              milestones: Sequence[tuple[str, dt.date, OrgUnit | None]] | None = None,
              predecessors: Sequence[PlanItem] | None = None, version: int | None = None, skip_checks: bool = False) -> PlanItem:
    """The office's item form in one transaction: the item (new, or its changed fields, owners
    and parent), its node dates and its predecessors; a form loaded before someone else's
    save (`version`) is refused."""
    if item is None:
        item = item_create(actor=actor, campaign=campaign, new=new, skip_checks=skip_checks)
    else:
        changes = {k: getattr(new, k) for k in FORM_FIELDS if getattr(item, k) != getattr(new, k)}
        if new.lead_unit.pk != item.lead_unit_id:
            changes["lead_unit"] = new.lead_unit
        if (new.parent.pk if new.parent else None) != item.parent_id:
            changes["parent"] = new.parent
        item = item_update(actor=actor, item=item, changes=changes, co_units=new.co_units, version=version, skip_checks=skip_checks)
    if milestones is not None:
        milestones_set(actor=actor, item=item, milestones=milestones, skip_checks=skip_checks)
    if predecessors is not None:
        current = {d.predecessor_id: d.predecessor for d in Dependency.objects.filter(successor=item).select_related("predecessor")}
        wanted = {p.pk: p for p in predecessors}
        for pk, pred in current.items():
            if pk not in wanted:
                dependency_remove(actor=actor, predecessor=pred, successor=item, skip_checks=skip_checks)
        for pk, pred in wanted.items():
            if pk not in current:
                dependency_add(actor=actor, predecessor=pred, successor=item, skip_checks=skip_checks)
    item.refresh_from_db()
    return item


__all__ = [
    "ImportedItem", "ItemChange", "NewItem", "baseline_freeze", "dependency_add", "dependency_remove", "evidence_add", "instruction_add", "item_create",
    "item_delete", "item_report", "item_save", "items_bulk_insert", "items_import", "item_transition", "item_update", "light_rule_set", "may_instruct", "may_plan",
    "milestone_done", "milestones_set", "plan_refresh", "plans_refresh_all",
]
