"""Every write to the project library: projects and their three-level owners, stage moves,
nodes, dispatch records, blockers (as ledger problems), files, light rules and the lights —
each in a transaction, each audited once.

Who may do what (orgs.permissions): an office over the project's unit registers and edits
projects (the campaign office over all of them) and names their owners; the lead side — the
project's unit or its 责任部门 — moves the stage (projects.workflow) and marks nodes done; every
owner, the 包保领导's and 项目秘书's units included, records dispatch, raises blockers and adds
files (`may_report`); the office of the campaign's unit sets the light rules and moves a
stage back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from duban.audit.services import audit_record, diff, snapshot
from duban.campaigns.models import Campaign
from duban.core import evidence_files as storage
from duban.core import figcache, workcalendar
from duban.core.actors import SystemActor, actor_name, actor_user
from duban.orgs import permissions
from duban.orgs.models import Assignment, OrgUnit, OwnerRole, Role
from duban.orgs.services import assignments_insert, owners_set
from duban.projects import lights, workflow
from duban.projects.models import (
    MAX_WAN,
    STAGE_ORDER,
    Blocker,
    BlockerKind,
    Cadence,
    Kind,
    LightRule,
    Node,
    NodeKind,
    Pool,
    Project,
    ProjectEvent,
    ProjectFile,
    Record,
    Stage,
)
from duban.projects.periods import period_label, period_of

MAX_NAME = 200
MAX_TEXT = 5000
MAX_NODES = 60
MAX_POOLS = 20
AUDITED = ("name", "seq", "builder", "unit", "industry", "kind", "location", "description", "total_wan", "annual_plan_wan",
           "done_total_wan", "done_year_wan", "sanzao", "leader_name", "secretary_name", "planned_start", "planned_finish",
           "in_statistics_on", "cadence", "pool", "stage", "progress")
EDITABLE = ("name", "seq", "builder", "unit", "industry", "kind", "location", "description", "total_wan", "annual_plan_wan",
            "done_total_wan", "done_year_wan", "sanzao", "leader_name", "secretary_name", "planned_start", "planned_finish",
            "in_statistics_on", "cadence", "pool", "extra")


# ------------------------------------------------------------------ rights


def may_manage(user, campaign: Campaign) -> bool:
    """Run the campaign's library (pools, light rules, imports, any project): its office."""
    return permissions.may_act_for(user, campaign.unit, Role.OFFICE)


def may_register(user, unit: OrgUnit) -> bool:
    """Register or edit a project of `unit`: an office over it."""
    return permissions.may_act_for(user, unit, Role.OFFICE)


def _require_manager(actor, campaign: Campaign, skip_checks: bool) -> None:
    permissions.require_for_unit(actor, campaign.unit, Role.OFFICE, message="只有本活动的推进办可以管理项目库", skip_checks=skip_checks)


def _require_register(actor, unit: OrgUnit, skip_checks: bool) -> None:
    permissions.require_for_unit(actor, unit, Role.OFFICE, message=f"只能登记本单位或下级单位的项目（{unit.name}）", skip_checks=skip_checks)


def _require_report(actor, project: Project, skip_checks: bool, what: str) -> None:
    if permissions.checked(actor, skip_checks) and not permissions.may_report(actor, project):
        raise PermissionDenied(f"只有该项目的包保单位（所属单位、责任部门、包保领导和项目秘书所在单位）可以{what}")


# ------------------------------------------------------------------ helpers


def _now() -> dt.datetime:
    return timezone.now()


def _event(project: Project, actor, action: str, *, note: str = "", before: str = "", after: str = "") -> ProjectEvent:
    return ProjectEvent.objects.create(project=project, action=action, at=_now(), actor=actor_user(actor), actor_name=actor_name(actor),
                                       from_stage=before, to_stage=after, note=note[:5000])


def _text(value: str | None, limit: int, label: str, *, required: bool = False) -> str:
    """Stripped text within `limit`; NUL refused (PostgreSQL cannot store it)."""
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError({label: f"{label}含有不可见的空字符，请删去后再提交"})
    if required and not value:
        raise ValidationError({label: f"{label}不能为空"})
    if len(value) > limit:
        raise ValidationError({label: f"{label}不能超过{limit}字"})
    return value


def money(value, label: str) -> Decimal:
    """万元 as an exact Decimal of two places, 0 ≤ value ≤ MAX_WAN."""
    if value is None or value == "":
        return Decimal(0)
    try:
        d = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise ValidationError({label: f"{label}须为数字（万元）：{value}"}) from None
    if not d.is_finite():
        raise ValidationError({label: f"{label}须为数字（万元）：{value}"})
    if d < 0:
        raise ValidationError({label: f"{label}不能为负数：{value}"})
    if d > MAX_WAN:
        raise ValidationError({label: f"{label}超出范围（最多{MAX_WAN:,.0f}万元），请核对单位：{value}"})
    return d.quantize(Decimal("0.01"))


def _check_date(d: dt.date | None, label: str) -> None:
    if d is not None and not (dt.date(2000, 1, 1) <= d <= dt.date(2100, 12, 31)):
        raise ValidationError({label: f"日期超出范围：{d}"})


def _check_unit(campaign: Campaign, unit: OrgUnit, label: str) -> None:
    if not unit.path.startswith(campaign.unit.path):
        raise ValidationError({label: f"“{unit.name}”不在本活动的范围内"})


def person_of(name: str, campaign: Campaign):
    """The account of a 包保领导 or 项目秘书 when one person of the campaign carries that full name."""
    name = (name or "").strip()
    if not name:
        return None
    users = list(get_user_model().objects.filter(first_name=name, memberships__unit__path__startswith=campaign.unit.path).distinct()[:2])
    return users[0] if len(users) == 1 else None


def people_of(names, campaign: Campaign) -> dict[str, object]:
    """person_of for many names in one query: name → the account, where exactly one person
    of the campaign carries that full name."""
    names = {(n or "").strip() for n in names} - {""}
    found: dict[str, list] = {}
    if names:
        for user in (get_user_model().objects.filter(first_name__in=names, memberships__unit__path__startswith=campaign.unit.path)
                     .distinct()):
            found.setdefault(user.first_name, []).append(user)
    return {n: us[0] for n, us in found.items() if len(us) == 1}


def _owner_pairs(project: Project, department: OrgUnit | None) -> list[tuple[OrgUnit, str]]:
    """The assignments of the three levels: 责任部门 (lead), and the units of the 包保领导 and
    the 项目秘书 when they have accounts (they see and record through their units)."""
    pairs: list[tuple[OrgUnit, str]] = []
    if department is not None and department.pk != project.unit_id:
        pairs.append((department, OwnerRole.DEPARTMENT))
    for user, role in ((project.leader, OwnerRole.LEADER), (project.secretary, OwnerRole.SECRETARY)):
        unit = permissions.home_unit(user) if user is not None else None
        if unit is not None and unit.pk != project.unit_id and unit.path.startswith(project.campaign.unit.path):
            pairs.append((unit, role))
    return pairs


def department_of(project: Project) -> OrgUnit | None:
    from duban.orgs.models import Assignment
    from duban.orgs.scoping import assignment_type

    a = (Assignment.objects.filter(content_type=assignment_type(Project), object_id=project.pk, role=OwnerRole.DEPARTMENT)
         .select_related("unit").first())
    return a.unit if a is not None else None


# ------------------------------------------------------------------ pools


@transaction.atomic
def pools_set(*, actor, campaign: Campaign, names: Sequence[str], skip_checks: bool = False) -> list[Pool]:
    """The campaign's pools in order (the office); a pool still holding projects may not go."""
    _require_manager(actor, campaign, skip_checks)
    clean = list(dict.fromkeys(_text(n, 60, "项目库", required=True) for n in names))
    if len(clean) > MAX_POOLS:
        raise ValidationError({"pools": f"项目库最多{MAX_POOLS}个"})
    current = {p.name: p for p in Pool.objects.filter(campaign=campaign)}
    gone = [p for n, p in current.items() if n not in clean]
    for p in gone:
        if p.projects.exists():
            raise ValidationError({"pools": f"“{p.name}”中还有项目，请先把项目移到其他项目库"})
    Pool.objects.filter(pk__in=[p.pk for p in gone]).delete()
    rows = []
    for i, n in enumerate(clean):
        p = current.get(n) or Pool(campaign=campaign, name=n)
        p.position = i
        p.save()
        rows.append(p)
    before, after = sorted(current), clean
    if before != after:
        audit_record(actor=actor, verb="project.pools", obj=campaign, changes={"项目库": [list(current), clean]})
    return rows


# ------------------------------------------------------------------ projects


@dataclass
class NewProject:
    name: str
    unit: OrgUnit
    seq: str = ""
    builder: str = ""
    industry: str = ""
    stage: str = Stage.PLANNING
    kind: str = Kind.NEW
    location: str = ""
    description: str = ""
    total_wan: Decimal | int | str = 0
    annual_plan_wan: Decimal | int | str = 0
    done_total_wan: Decimal | int | str = 0
    done_year_wan: Decimal | int | str = 0
    sanzao: bool = False
    leader_name: str = ""
    secretary_name: str = ""
    department: OrgUnit | None = None
    planned_start: dt.date | None = None
    planned_finish: dt.date | None = None
    started_on: dt.date | None = None
    finished_on: dt.date | None = None
    in_statistics_on: dt.date | None = None
    cadence: str = Cadence.WEEKLY
    pool: Pool | None = None
    progress: int = 0
    extra: dict = field(default_factory=dict)


def validate(campaign: Campaign, p: Project) -> None:
    """The checks every write of a project passes (form, API, import)."""
    p.name = _text(p.name, MAX_NAME, "项目名称", required=True)
    p.builder = _text(p.builder, MAX_NAME, "建设单位")
    p.industry = _text(p.industry, 60, "行业")
    p.location = _text(p.location, MAX_NAME, "建设地点")
    p.description = _text(p.description, MAX_TEXT, "建设内容")
    p.seq = _text(p.seq, 20, "序号")
    p.leader_name = _text(p.leader_name, 60, "包保领导")
    p.secretary_name = _text(p.secretary_name, 60, "项目秘书")
    if p.stage not in Stage.values:
        raise ValidationError({"stage": f"未知的项目阶段“{p.stage}”"})
    if p.kind not in Kind.values:
        raise ValidationError({"kind": f"未知的建设性质“{p.kind}”"})
    if p.cadence not in Cadence.values:
        raise ValidationError({"cadence": f"未知的调度频次“{p.cadence}”"})
    for name, label in (("total_wan", "总投资"), ("annual_plan_wan", "年度计划投资"), ("done_total_wan", "累计完成投资"),
                        ("done_year_wan", "年度完成投资")):
        setattr(p, name, money(getattr(p, name), label))
    if p.total_wan and p.done_total_wan > p.total_wan * 2:
        raise ValidationError({"done_total_wan": "累计完成投资超过总投资的两倍，请核对单位（万元）"})
    if p.done_year_wan > p.done_total_wan and p.done_total_wan:
        raise ValidationError({"done_year_wan": "年度完成投资不能大于累计完成投资"})
    if not (0 <= int(p.progress) <= 100):
        raise ValidationError({"progress": "形象进度须在0到100之间"})
    for name in ("planned_start", "planned_finish", "started_on", "finished_on", "in_statistics_on"):
        _check_date(getattr(p, name), name)
    if p.planned_start and p.planned_finish and p.planned_start > p.planned_finish:
        raise ValidationError({"planned_finish": "计划竣工不能早于计划开工"})
    if p.started_on and p.started_on > timezone.localdate():
        raise ValidationError({"started_on": "实际开工不能晚于今天"})
    _check_unit(campaign, p.unit, "unit")
    if p.pool_id is not None and p.pool.campaign_id != campaign.pk:
        raise ValidationError({"pool": "项目库不属于本活动"})


@transaction.atomic
def project_create(*, actor, campaign: Campaign, new: NewProject, skip_checks: bool = False) -> Project:
    """Register one project (an office over its unit) with its three-level owners."""
    _require_register(actor, new.unit, skip_checks)
    now = _now()
    p = Project(
        campaign=campaign, pool=new.pool, seq=new.seq, name=new.name, builder=new.builder, unit=new.unit, industry=new.industry,
        stage=new.stage, kind=new.kind, location=new.location, description=new.description, total_wan=new.total_wan,
        annual_plan_wan=new.annual_plan_wan, done_total_wan=new.done_total_wan, done_year_wan=new.done_year_wan,
        year_of=timezone.localdate().year, sanzao=bool(new.sanzao), leader_name=new.leader_name, secretary_name=new.secretary_name,
        planned_start=new.planned_start, planned_finish=new.planned_finish, started_on=new.started_on, finished_on=new.finished_on,
        in_statistics_on=new.in_statistics_on, cadence=new.cadence, progress=new.progress, region_id=new.unit.region_id,
        extra=new.extra or {}, created_at=now, updated_at=now,
    )
    validate(campaign, p)
    if new.department is not None:
        _check_unit(campaign, new.department, "department")
    if p.seq and Project.objects.filter(campaign=campaign, seq=p.seq).exists():
        raise ValidationError({"seq": f"序号 {p.seq} 已存在"})
    p.leader, p.secretary = person_of(p.leader_name, campaign), person_of(p.secretary_name, campaign)
    _derive_light(p)
    p.save()
    owners_set(actor=actor, obj=p, owners=_owner_pairs(p, new.department), skip_checks=skip_checks)
    audit_record(actor=actor, verb="project.create", obj=p, changes=diff({}, snapshot(p, AUDITED)))
    _event(p, actor, "create", note="登记项目", after=p.stage)
    return p


def _lock(project: Project) -> Project:
    return Project.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "unit", "pool").get(pk=project.pk)


@transaction.atomic
def project_update(*, actor, project: Project, changes: dict, department: OrgUnit | None = None, set_department: bool = False,
                   version: int | None = None, skip_checks: bool = False) -> Project:
    """Change a project's fields (an office over its unit — the old one and, when it moves, the
    new one). `version`: refuse a save from an outdated form. The stage moves only through
    `project_transition`."""
    p = _lock(project)
    _require_register(actor, p.unit, skip_checks)
    if version is not None and p.version != version:
        raise workflow.engine.StaleVersion("该项目在您打开后已被他人修改，请刷新后再保存")
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({k: "不能修改该字段" for k in sorted(unknown)})
    before = snapshot(p, AUDITED)
    old_department = department_of(p)
    for k, v in changes.items():
        setattr(p, k, v.strip() if isinstance(v, str) else v)
    if "unit" in changes:
        _require_register(actor, p.unit, skip_checks)
        p.region_id = p.unit.region_id
    validate(p.campaign, p)
    if "seq" in changes and p.seq and Project.objects.filter(campaign=p.campaign, seq=p.seq).exclude(pk=p.pk).exists():
        raise ValidationError({"seq": f"序号 {p.seq} 已存在"})
    if "leader_name" in changes:
        p.leader = person_of(p.leader_name, p.campaign)
    if "secretary_name" in changes:
        p.secretary = person_of(p.secretary_name, p.campaign)
    _derive_light(p)
    p.updated_at = _now()
    p.save()
    new_department = department if set_department else old_department
    if new_department is not None:
        _check_unit(p.campaign, new_department, "department")
    if set_department or {"leader_name", "secretary_name", "unit"} & set(changes):
        owners_set(actor=actor, obj=p, owners=_owner_pairs(p, new_department), skip_checks=skip_checks)
    changed = diff(before, snapshot(p, AUDITED))
    if changed:
        audit_record(actor=actor, verb="project.update", obj=p, changes=changed)
        _event(p, actor, "update", note="；".join(f"{k}：{a or '—'} → {b or '—'}" for k, (a, b) in changed.items())[:2000])
    return p


@transaction.atomic
def project_delete(*, actor, project: Project, skip_checks: bool = False) -> None:
    """Remove a project (the campaign office). Its blockers stay in the ledger as problems."""
    p = _lock(project)
    _require_manager(actor, p.campaign, skip_checks)
    from duban.orgs.models import Assignment
    from duban.orgs.scoping import assignment_type

    audit_record(actor=actor, verb="project.delete", obj=p, changes={"项目": [p.name, None]},
                 note=f"要素保障问题{p.blockers.count()}个保留在问题台账中")
    Assignment.objects.filter(content_type=assignment_type(Project), object_id=p.pk).delete()
    Blocker.objects.filter(project=p).delete()
    p.delete()


# ------------------------------------------------------------------ stage moves (projects.workflow)

TRANSITION_FIELDS = ("stage", "started_on", "finished_on", "progress")


def transition_recorded(ctx, verb: str) -> None:
    """The engine's audit hook: the timeline entry and ONE audit row."""
    p = ctx.obj
    labels = dict(Stage.choices)
    note = ctx.note or f"{labels[ctx.before_status]} → {labels[p.stage]}"
    _event(p, ctx.actor, ctx.transition.name, note=note, before=ctx.before_status, after=p.stage)
    audit_record(actor=ctx.actor, verb=verb, obj=p, changes=diff(ctx.extra["before"], snapshot(p, TRANSITION_FIELDS)), note=ctx.reason)


def transition_saved(ctx) -> None:
    p = ctx.obj
    _derive_light(p)
    p.updated_at = _now()
    p.save()


@transaction.atomic
def project_transition(*, actor, project: Project, name: str, reason: str = "", date: dt.date | None = None,
                       version: int | None = None, skip_checks: bool = False) -> Project:
    """Fire stage move `name` (projects.workflow.TABLE on the one engine)."""

    def snap(ctx) -> None:
        ctx.extra["before"] = snapshot(ctx.obj, TRANSITION_FIELDS)

    return workflow.TABLE.fire(actor=actor, obj=project, name=name, check_side=permissions.checked(actor, skip_checks),
                               reason=reason, date=date, version=version, before=snap)


def project_move(*, actor, project: Project, stage: str, reason: str = "", date: dt.date | None = None,
                 version: int | None = None, skip_checks: bool = False) -> Project:
    """The board's drop: the move that brings the project to `stage` (one step back at most)."""
    if stage not in Stage.values:
        raise ValidationError({"stage": f"未知的项目阶段“{stage}”"})
    name = workflow.move_for(project, stage)
    if name is None:
        labels = dict(Stage.choices)
        if stage == project.stage:
            raise workflow.engine.TransitionError(f"项目已在“{labels[stage]}”阶段")
        raise workflow.engine.TransitionError(f"不能从“{labels[project.stage]}”直接退回“{labels[stage]}”，请逐级退回")
    if name in ("start", "complete") and date is None:
        date = timezone.localdate()
    return project_transition(actor=actor, project=project, name=name, reason=reason, date=date, version=version, skip_checks=skip_checks)


# ------------------------------------------------------------------ nodes


@dataclass
class NewNode:
    title: str
    kind: str = NodeKind.OTHER
    unit: OrgUnit | None = None
    planned_on: dt.date | None = None
    done_on: dt.date | None = None
    accepted_on: dt.date | None = None
    allowed_days: int | None = None
    plan_item_id: int | None = None
    note: str = ""


def _taken_days(accepted: dt.date | None, done: dt.date | None) -> int | None:
    """Working days from 受理 to 办结, counted as the law counts a time limit: from the day
    after 受理 up to and including 办结 (core.workcalendar.workdays_between)."""
    if accepted is None or done is None:
        return None
    if done < accepted:
        raise ValidationError({"done_on": "办结时间不能早于受理时间"})
    return workcalendar.workdays_between(accepted, done)


def _node_from(project: Project, new: NewNode, position: int) -> Node:
    title = _text(new.title, 200, "节点", required=True)
    if new.kind not in NodeKind.values:
        raise ValidationError({"kind": f"未知的节点类型“{new.kind}”"})
    for d, label in ((new.planned_on, "planned_on"), (new.done_on, "done_on"), (new.accepted_on, "accepted_on")):
        _check_date(d, label)
    if new.done_on and new.done_on > timezone.localdate():
        raise ValidationError({"done_on": f"节点“{title}”的完成时间不能晚于今天"})
    if new.allowed_days is not None and not (1 <= int(new.allowed_days) <= 2000):
        raise ValidationError({"allowed_days": "时限须在1到2000个工作日之间"})
    if new.unit is not None:
        _check_unit(project.campaign, new.unit, "unit")
    return Node(project=project, kind=new.kind, title=title, unit=new.unit, planned_on=new.planned_on, done_on=new.done_on,
                accepted_on=new.accepted_on, allowed_days=new.allowed_days, taken_days=_taken_days(new.accepted_on, new.done_on),
                plan_item_id=new.plan_item_id, position=position, note=_text(new.note, 500, "备注"))


@transaction.atomic
def nodes_set(*, actor, project: Project, nodes: Sequence[NewNode], skip_checks: bool = False) -> list[Node]:
    """Replace a project's nodes (an office over its unit). A node kept by title keeps its files."""
    p = _lock(project)
    _require_register(actor, p.unit, skip_checks)
    if len(nodes) > MAX_NODES:
        raise ValidationError({"nodes": f"节点最多{MAX_NODES}个"})
    rows = [_node_from(p, n, i) for i, n in enumerate(nodes)]
    if len({r.title for r in rows}) != len(rows):
        raise ValidationError({"nodes": "节点名称不能重复"})
    current = {n.title: n for n in p.nodes.all()}
    before = [f"{n.title}（{n.planned_on or '—'}）" for n in current.values()]
    kept = []
    for r in rows:
        old = current.pop(r.title, None)
        if old is not None:
            r.pk = old.pk
            if r.done_on is None:  # an edit of the plan dates does not undo what was done
                r.done_on, r.accepted_on, r.taken_days = old.done_on, r.accepted_on or old.accepted_on, old.taken_days
        kept.append(r)
    Node.objects.filter(pk__in=[n.pk for n in current.values()]).delete()
    for r in kept:
        r.save()
    after = [f"{n.title}（{n.planned_on or '—'}）" for n in kept]
    if before != after:
        audit_record(actor=actor, verb="project.nodes", obj=p, changes={"节点": [before, after]})
    return kept


@transaction.atomic
def node_done(*, actor, node: Node, done_on: dt.date, accepted_on: dt.date | None = None, note: str = "",
              skip_checks: bool = False) -> Node:
    """Mark a node done (the lead side or the node's own unit), with the 受理 date of an
    approval step so its working days are counted."""
    node = Node.objects.select_for_update(of=("self",)).select_related("project", "project__campaign", "project__unit", "unit").get(pk=node.pk)
    p = node.project
    if permissions.checked(actor, skip_checks):
        own_unit = node.unit is not None and permissions.may_act_for(actor, node.unit, Role.OFFICE, Role.LIAISON)
        if not (permissions.may_change(actor, p) or own_unit):
            raise PermissionDenied("只有项目所属单位、责任部门或该节点的责任单位可以确认节点完成")
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "完成时间不能晚于今天"})
    _check_date(done_on, "done_on")
    accepted = accepted_on or node.accepted_on
    before = (node.done_on, node.taken_days)
    node.done_on, node.accepted_on = done_on, accepted
    node.taken_days = _taken_days(accepted, done_on)
    node.note = _text(note, 500, "备注") or node.note
    node.save()
    words = f"节点“{node.title}”{done_on:%Y-%m-%d}完成"
    if node.taken_days is not None:
        words += f"，用时{node.taken_days}个工作日" + (f"（时限{node.allowed_days}个工作日）" if node.allowed_days else "")
    audit_record(actor=actor, verb="project.node_done", obj=p, changes={node.title: [str(before[0] or "—"), str(done_on)]}, note=words)
    _event(p, actor, "node_done", note=words)
    return node


# ------------------------------------------------------------------ dispatch records


@dataclass
class NewBlocker:
    kind: str
    description: str
    unit: OrgUnit
    deadline: dt.date


@transaction.atomic
def record_save(*, actor, project: Project, day: dt.date, progress: int, progress_note: str, invested_wan=0,
                problems: str = "", next_steps: str = "", blockers: Sequence[NewBlocker] = (), cadence: str | None = None,
                version: int | None = None, skip_checks: bool = False) -> Record:
    """The dispatch record of the period holding `day` (the project's cadence): made, or
    corrected when that period has one. The project's progress and completed investment (this
    year's and since the start) move by the record's amount — exactly, by the difference when
    a record is corrected. Blockers raised with it become ledger problems. `version`: refuse
    a save from a form opened before the project last changed (another record, a move)."""
    p = _lock(project)
    _require_report(actor, p, skip_checks, "填报调度记录")
    if version is not None and p.version != version:
        raise workflow.engine.StaleVersion("该项目在您打开后已有新的填报或修改，请刷新后再保存")
    _check_date(day, "day")
    cadence = cadence or p.cadence
    if cadence not in Cadence.values:
        raise ValidationError({"cadence": f"未知的调度频次“{cadence}”"})
    if period_of(day, cadence)[0] > timezone.localdate():
        raise ValidationError({"day": "不能填报未来的调度期"})
    if not (0 <= int(progress) <= 100):
        raise ValidationError({"progress": "形象进度须在0到100之间"})
    note = _text(progress_note, MAX_TEXT, "进展情况", required=True)
    invested = money(invested_wan, "本期完成投资")
    start, end = period_of(day, cadence)
    record = Record.objects.filter(project=p, period_start=start).first()
    old = record.invested_wan if record is not None else Decimal(0)
    delta = invested - old
    if p.year_of != start.year and start.year > p.year_of:
        p.year_of, p.done_year_wan = start.year, Decimal(0)  # a new year's first record starts the year's sum
    if start.year == p.year_of:
        p.done_year_wan = max(Decimal(0), p.done_year_wan + delta)
    p.done_total_wan = max(Decimal(0), p.done_total_wan + delta)
    if p.done_total_wan > MAX_WAN:
        raise ValidationError({"invested_wan": "累计完成投资超出范围"})
    latest = not Record.objects.filter(project=p, period_start__gt=start).exists()
    if latest:
        p.progress, p.progress_note, p.last_record_on = int(progress), note, max(p.last_record_on or day, day)
    fields = dict(cadence=cadence, period_end=end, progress=int(progress), invested_wan=invested, progress_note=note,
                  problems=_text(problems, MAX_TEXT, "存在问题"), next_steps=_text(next_steps, MAX_TEXT, "下步计划"),
                  done_year_wan=p.done_year_wan, done_total_wan=p.done_total_wan, unit=_reporting_unit(actor, p),
                  recorded_by=actor_user(actor), recorded_by_name=actor_name(actor), recorded_at=_now())
    if record is None:
        record = Record.objects.create(project=p, period_start=start, **fields)
        verb, action = "project.record", "record"
    else:
        for k, v in fields.items():
            setattr(record, k, v)
        record.save()
        verb, action = "project.record_update", "record_update"
    label = period_label(start, cadence)
    audit_record(actor=actor, verb=verb, obj=p, changes={"调度期": [None, label], "形象进度": [None, int(progress)], "本期完成投资": [str(old), str(invested)]})
    _event(p, actor, action, note=f"{label}：{note}"[:2000])
    for b in blockers:
        _blocker_create(actor, p, b, record)
    _derive_light(p)
    p.updated_at = _now()
    p.save()
    return record


def _reporting_unit(actor, p: Project) -> OrgUnit | None:
    for u in permissions.owner_units(p):
        if permissions.may_act_for(actor, u, Role.OFFICE, Role.LIAISON):
            return u
    return None


# ------------------------------------------------------------------ blockers (要素保障 → ledger)


def _blocker_create(actor, p: Project, new: NewBlocker, record: Record | None) -> Blocker:
    from duban.ledger.models import Kind as ProblemKind
    from duban.ledger.models import Source
    from duban.ledger.services import problem_create

    if new.kind not in BlockerKind.values:
        raise ValidationError({"kind": f"未知的要素类型“{new.kind}”"})
    text = _text(new.description, 2000, "问题描述", required=True)
    _check_unit(p.campaign, new.unit, "unit")
    if new.deadline is None:
        raise ValidationError({"deadline": "要素保障问题须有解决时限"})
    if new.deadline < timezone.localdate():
        raise ValidationError({"deadline": "解决时限不能早于今天"})
    _check_date(new.deadline, "deadline")
    kind_label = BlockerKind(new.kind).label
    # The owners of a project raise blockers for any unit that must solve them (自然资源局 for
    # land): the right was checked above (may_report on the project), so the ledger registers
    # the problem as the project desk, naming the person, instead of asking whether that
    # person runs the solving unit.
    desk = SystemActor(f"项目调度（{actor_name(actor)}）")
    problem = problem_create(actor=desk, campaign=p.campaign, description=f"【{p.name}】{kind_label}：{text}", unit=new.unit,
                             source=Source.PROJECT, deadline=new.deadline, kind=ProblemKind.DEADLINE,
                             extra={"项目": p.name, "要素类型": str(kind_label)}, skip_checks=True)
    blocker = Blocker.objects.create(project=p, problem=problem, kind=new.kind, record=record, created_at=_now())
    audit_record(actor=actor, verb="project.blocker", obj=p, changes={"要素保障": [None, f"{kind_label}：{text[:60]}"]},
                 note=f"问题台账第{problem.seq}号，责任单位{new.unit.name}，时限{new.deadline:%Y-%m-%d}")
    _event(p, actor, "blocker", note=f"提出要素保障问题（{kind_label}）：{text}；交{new.unit.name}于{new.deadline:%Y-%m-%d}前解决")
    return blocker


@transaction.atomic
def blocker_add(*, actor, project: Project, new: NewBlocker, skip_checks: bool = False) -> Blocker:
    """Raise a blocker (要素保障 / 马上办): a ledger problem for the unit that must solve it."""
    p = _lock(project)
    _require_report(actor, p, skip_checks, "提出要素保障问题")
    blocker = _blocker_create(actor, p, new, None)
    _derive_light(p)
    p.updated_at = _now()
    p.save()
    return blocker


# ------------------------------------------------------------------ files


@transaction.atomic
def file_add(*, actor, project: Project, name: str, data: bytes, node: Node | None = None, skip_checks: bool = False) -> ProjectFile:
    """A photo or document of the project (or of one node), by any of its owners."""
    p = _lock(project)
    _require_report(actor, p, skip_checks, "上传项目资料")
    if node is not None and node.project_id != p.pk:
        raise ValidationError({"node": "节点不属于该项目"})
    sniffed = storage.check(data, name)
    key = storage.storage().save(data, sniffed.ext)
    try:
        f = ProjectFile.objects.create(project=p, node=node, name=(name or "file")[:200], key=key, content_type=sniffed.content_type,
                                       size=sniffed.size, sha256=sniffed.sha256, uploaded_by=actor_user(actor), uploaded_at=_now())
    except Exception:
        storage.storage().delete(key)
        raise
    audit_record(actor=actor, verb="project.file", obj=p, changes={"项目资料": [None, f.name]}, note=storage.describe(sniffed))
    return f


def file_for_download(user, file_id: int) -> ProjectFile | None:
    """The file when the user may see its project (the permission layer), else None."""
    f = ProjectFile.objects.select_related("project").filter(pk=file_id).first()
    if f is None or not permissions.may_see(user, f.project):
        return None
    return f


# ------------------------------------------------------------------ lights


def rule_of(campaign: Campaign) -> lights.Rule:
    return lights.Rule.of(LightRule.objects.filter(campaign=campaign).first())


def _blocker_overdue_days(project_ids: Sequence[int], today: dt.date) -> dict[int, int]:
    """Per project, how many working days its most overdue open blocker is past its limit."""
    from duban.ledger.models import OPEN_STATUSES

    rows = (Blocker.objects.filter(project_id__in=project_ids, problem__status__in=OPEN_STATUSES, problem__deadline__lt=today)
            .values_list("project_id", "problem__deadline"))
    oldest: dict[int, dt.date] = {}
    for pid, deadline in rows:
        if pid not in oldest or deadline < oldest[pid]:
            oldest[pid] = deadline
    return {pid: max(1, workcalendar.workdays_between(d, today)) for pid, d in oldest.items()}


def _facts(p: Project, overdue: int) -> lights.Facts:
    return lights.Facts(p.stage, p.planned_start, p.planned_finish, p.started_on, p.in_statistics_on, p.progress, overdue)


def _derive_light(p: Project, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    overdue = _blocker_overdue_days([p.pk], today).get(p.pk, 0) if p.pk else 0
    p.light, p.light_reason = lights.light_of(_facts(p, overdue), rule_of(p.campaign), today)


@transaction.atomic
def light_rule_set(*, actor, campaign: Campaign, start_yellow_months: int, start_red_months: int, behind_yellow: int,
                   behind_red: int, statistics_months: int, blocker_red_days: int, skip_checks: bool = False) -> LightRule:
    """The office's light rules for the campaign's projects; every light is re-derived."""
    _require_manager(actor, campaign, skip_checks)
    if not (0 <= start_yellow_months < start_red_months <= 36):
        raise ValidationError({"start_red_months": "须 0 ≤ 黄灯月数 < 红灯月数 ≤ 36"})
    if not (1 <= behind_yellow < behind_red <= 100):
        raise ValidationError({"behind_red": "须 1 ≤ 黄灯落后点数 < 红灯落后点数 ≤ 100"})
    if not (1 <= statistics_months <= 12):
        raise ValidationError({"statistics_months": "须在1到12个月之间"})
    if not (1 <= blocker_red_days <= 250):
        raise ValidationError({"blocker_red_days": "须在1到250个工作日之间"})
    rule, _ = LightRule.objects.get_or_create(campaign=campaign)
    names = ("start_yellow_months", "start_red_months", "behind_yellow", "behind_red", "statistics_months", "blocker_red_days")
    before = [getattr(rule, n) for n in names]
    values = [start_yellow_months, start_red_months, behind_yellow, behind_red, statistics_months, blocker_red_days]
    for n, v in zip(names, values, strict=True):
        setattr(rule, n, int(v))
    rule.save()
    audit_record(actor=actor, verb="project.light_rule", obj=campaign, changes={"项目亮灯规则": [before, values]})
    projects_refresh(campaign=campaign)
    return rule


LIGHT_FIELDS = ("pk", "stage", "planned_start", "planned_finish", "started_on", "in_statistics_on", "progress", "light", "light_reason")


def projects_refresh(*, campaign: Campaign, today: dt.date | None = None) -> int:
    """Re-derive every project's light of the campaign; writes only those that changed."""
    today = today or timezone.localdate()
    rule = rule_of(campaign)
    changed: list[Project] = []
    batch = 2000
    qs = Project.objects.filter(campaign=campaign).order_by("pk").values_list(*LIGHT_FIELDS)
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last)[:batch])
        if not rows:
            break
        last = rows[-1][0]
        overdue = _blocker_overdue_days([r[0] for r in rows], today)
        for pk, stage, ps, pf, so, ins, prog, light, reason in rows:
            new = lights.light_of(lights.Facts(stage, ps, pf, so, ins, prog, overdue.get(pk, 0)), rule, today)
            if new != (light, reason):
                changed.append(Project(pk=pk, light=new[0], light_reason=new[1]))
    if changed:
        with transaction.atomic():
            Project.objects.bulk_update(changed, ["light", "light_reason"], batch_size=500)
            figcache.bump()  # unaudited: the red/yellow counts of the figures change
    return len(changed)


def projects_refresh_all(today: dt.date | None = None) -> int:
    """Every campaign holding projects (the daily task)."""
    total = 0
    for campaign in Campaign.objects.filter(pk__in=Project.objects.values("campaign_id")):
        total += projects_refresh(campaign=campaign, today=today)
    return total


def stage_index(stage: str) -> int:
    return STAGE_ORDER.index(stage)


# ------------------------------------------------------------------ import (projects.io)


@dataclass
class ImportedProject:
    """A new project of an import: its checked fields ({attname: value}, services.validate
    passed), its 责任部门 and its pool by name."""

    row: int
    fields: dict
    department_id: int | None = None
    pool: str | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class ProjectChange:
    """A re-imported project's changes: fields ({attname: value}), the 责任部门 when
    `set_department`, the pool by name (None: unchanged, "": none), a stage move (a workflow
    transition's name, with its date) and the cells as the preview showed them."""

    project_id: int
    fields: dict
    set_department: bool = False
    department_id: int | None = None
    pool: str | None = None
    move: str = ""
    move_date: dt.date | None = None
    cells: dict = field(default_factory=dict)


IMPORT_FIELDS = {"seq", "name", "builder", "unit_id", "industry", "total_wan", "annual_plan_wan", "done_total_wan", "sanzao", "leader_name",
                 "secretary_name", "planned_start", "planned_finish", "kind", "location", "description", "cadence", "started_on", "extra"}
OWNER_ROLES = (OwnerRole.DEPARTMENT, OwnerRole.LEADER, OwnerRole.SECRETARY)


@transaction.atomic
def projects_import(*, actor, campaign: Campaign, new: Sequence[ImportedProject], changes: Sequence[ProjectChange] = (),
                    new_pools: Sequence[str] = (), note: str = "", skip_checks: bool = False) -> tuple[int, int]:
    """Write an import (projects.io checked it): the new pools, the new projects with their
    three-level owners and lights in bulk (COPY on PostgreSQL, executemany on SQLite), the
    changed fields in one bulk update, then each stage move through the workflow (audited
    by it). One `project.import` audit row. Returns (created, updated)."""
    from duban.orgs.scoping import assignment_type

    _require_manager(actor, campaign, skip_checks)
    now, today = _now(), timezone.localdate()
    pools = {p.name: p.pk for p in Pool.objects.filter(campaign=campaign)}
    position = len(pools)
    for name in new_pools:
        if name not in pools:
            pools[name] = Pool.objects.create(campaign=campaign, name=_text(name, 60, "项目库", required=True), position=position).pk
            position += 1
    if len(pools) > MAX_POOLS:
        raise ValidationError({"pools": f"项目库最多{MAX_POOLS}个"})
    people = people_of({n.fields.get(k, "") for n in new for k in ("leader_name", "secretary_name")}
                       | {c.fields[k] for c in changes for k in ("leader_name", "secretary_name") if k in c.fields}, campaign)
    homes: dict[int, OrgUnit | None] = {}

    def person(name: str):
        return people.get((name or "").strip())

    def home(user) -> OrgUnit | None:
        if user is None:
            return None
        if user.pk not in homes:
            homes[user.pk] = permissions.home_unit(user)
        return homes[user.pk]

    def pairs(unit_id: int, department_id: int | None, leader, secretary) -> list[tuple[int, str]]:
        out: list[tuple[int, str]] = []
        if department_id is not None and department_id != unit_id:
            out.append((department_id, OwnerRole.DEPARTMENT))
        for user, role in ((leader, OwnerRole.LEADER), (secretary, OwnerRole.SECRETARY)):
            u = home(user)
            if u is not None and u.pk != unit_id and u.path.startswith(campaign.unit.path) and (u.pk, role) not in out:
                out.append((u.pk, role))
        return out

    rule = rule_of(campaign)
    ctype = assignment_type(Project)
    unit_rows = dict(OrgUnit.objects.filter(pk__in={n.fields["unit_id"] for n in new} | {
        c.fields["unit_id"] for c in changes if "unit_id" in c.fields}).values_list("id", "region_id"))
    # New projects: one insert; their ids found again in insertion order.
    rows, owners = [], []
    for n in new:
        f = {k: v for k, v in n.fields.items() if k in IMPORT_FIELDS}
        leader, secretary = person(f.get("leader_name", "")), person(f.get("secretary_name", ""))
        stage = n.fields.get("stage", Stage.PLANNING)
        light, reason = lights.light_of(lights.Facts(stage, f.get("planned_start"), f.get("planned_finish"), f.get("started_on"), None, 0),
                                        rule, today)
        rows.append({**f, "campaign_id": campaign.pk, "stage": stage, "pool_id": pools.get(n.pool) if n.pool else None,
                     "leader_id": getattr(leader, "pk", None), "secretary_id": getattr(secretary, "pk", None), "year_of": today.year,
                     "region_id": unit_rows[f["unit_id"]], "light": light, "light_reason": reason, "extra": n.extra or {},
                     "created_at": now, "updated_at": now})
        owners.append(pairs(f["unit_id"], n.department_id, leader, secretary))
    ids: list[int] = []
    if rows:
        _insert_rows(Project, rows, now)
        # ids follow insertion order (one statement, one sequence) and `now` is this import's own
        ids = list(Project.objects.filter(campaign=campaign, created_at=now).order_by("pk").values_list("pk", flat=True))
        if len(ids) != len(rows):
            raise RuntimeError("import: the new projects were not found again")
    assignments = [(ctype.pk, pk, u, role, i) for pk, ps in zip(ids, owners, strict=True) for i, (u, role) in enumerate(ps)]
    events = [{"project_id": pk, "action": "import", "at": now, "actor_id": getattr(actor_user(actor), "pk", None), "actor_name": actor_name(actor),
               "from_stage": "", "to_stage": r["stage"], "note": "导入项目库：登记项目"} for pk, r in zip(ids, rows, strict=True)]
    # Changed projects: one bulk update of the fields that changed anywhere.
    updated: list[Project] = []
    moves: list[ProjectChange] = []
    if changes:
        by_id = {c.project_id: c for c in changes}
        current = {p.pk: p for p in Project.objects.select_for_update(of=("self",)).select_related("campaign", "campaign__unit", "unit", "pool")
                   .filter(campaign=campaign, pk__in=list(by_id))}
        if len(current) != len(by_id):
            raise ValidationError({"project": "要更新的项目不属于本活动"})
        departments = dict(Assignment.objects.filter(content_type=ctype, object_id__in=list(by_id), role=OwnerRole.DEPARTMENT)
                           .values_list("object_id", "unit_id"))
        overdue = _blocker_overdue_days(list(by_id), today)  # a blocker past its limit weighs on the light
        names: set[str] = {"updated_at"}
        recast: dict[int, list[tuple[int, str]]] = {}
        for pk, c in by_id.items():
            p = current[pk]
            for k, v in c.fields.items():
                if k not in IMPORT_FIELDS:
                    raise ValidationError({k: "不能修改该字段"})
                setattr(p, k, v)
                names.add(k)
            if "unit_id" in c.fields:
                p.region_id = unit_rows[p.unit_id]
                names.add("region_id")
            if c.pool is not None:
                p.pool_id = pools.get(c.pool) if c.pool else None
                names.add("pool_id")
            if "leader_name" in c.fields:
                p.leader = person(p.leader_name)
                names.add("leader_id")
            if "secretary_name" in c.fields:
                p.secretary = person(p.secretary_name)
                names.add("secretary_id")
            if c.set_department or {"leader_name", "secretary_name", "unit_id"} & set(c.fields):
                dept = c.department_id if c.set_department else departments.get(pk)
                recast[pk] = pairs(p.unit_id, dept, p.leader, p.secretary)
            p.light, p.light_reason = lights.light_of(_facts(p, overdue.get(pk, 0)), rule, today)
            names.update(("light", "light_reason"))
            p.updated_at = now
            updated.append(p)
            if c.cells:
                text = "；".join(f"{k}：{a or '—'} → {b or '—'}" for k, (a, b) in c.cells.items())
                events.append({"project_id": pk, "action": "import", "at": now, "actor_id": getattr(actor_user(actor), "pk", None),
                               "actor_name": actor_name(actor), "from_stage": "", "to_stage": "", "note": f"导入项目库：{text}"[:2000]})
            if c.move:
                moves.append(c)
        Project.objects.bulk_update(updated, sorted(n[:-3] if n.endswith("_id") else n for n in names), batch_size=500)
        if recast:
            Assignment.objects.filter(content_type=ctype, object_id__in=list(recast), role__in=OWNER_ROLES).delete()
            assignments += [(ctype.pk, pk, u, role, i) for pk, ps in recast.items() for i, (u, role) in enumerate(ps)]
    assignments_insert(assignments)
    _insert_rows(ProjectEvent, events, now)
    for c in moves:
        project_transition(actor=actor, project=current[c.project_id], name=c.move, reason="导入项目库", date=c.move_date,
                           skip_checks=skip_checks)
    audit_record(actor=actor, verb="project.import", obj=campaign,
                 changes={"项目库": [None, f"新建{len(new)}个项目，更新{len(updated)}个，阶段变更{len(moves)}个"]},
                 note=(note or "导入项目库")[:2000])
    return len(new), len(updated)


def _insert_rows(model, rows: list[dict], now: dt.datetime) -> None:
    """Insert rows given as {attname: value} (unset fields take their defaults) by COPY on
    PostgreSQL and executemany on SQLite — as plan's import does: model instances and
    bulk_create took most of an import's time. The caller finds the ids again."""
    import json

    from django.db import connection

    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
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
        if kind == "DecimalField" and not pg:
            return lambda v: None if v is None else str(v)
        return None

    spec = [(f.attname, f.get_default(), conv(f)) for f in fields]
    values = ([r.get(a, d) if c is None else c(r.get(a, d)) for a, d, c in spec] for r in rows)
    table, columns = model._meta.db_table, ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cur:
        if pg:
            with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for v in values:
                    copy.write_row(v)
        else:
            cur.executemany(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})", values)  # noqa: S608
