"""What a round asks a unit about: its open plan tasks (as lead or co unit), ledger problems
and key projects (as the project's unit or its 责任部门) — read here, written back through
each item's own service when the unit submits.

The one place rounds touch the other apps: who is expected, which items are a unit's, how
a line is prefilled from the last submission, and how it is applied.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from duban.orgs.models import Assignment, OrgUnit, OwnerRole
from duban.orgs.scoping import assignment_type
from duban.rounds.models import Line, LineKind, Round, Scope, SubmissionStatus


@dataclass(frozen=True)
class Item:
    kind: str
    object_id: int
    title: str
    status: str  # the item's own state label
    deadline: dt.date | None
    progress: int | None  # the item's current progress (tasks, projects)
    lead: bool  # the unit answers for it (a co unit reports its part only)


def _open_tasks(campaign):
    from duban.plan.models import PlanItem, Status, headings_q

    return PlanItem.objects.filter(campaign=campaign).exclude(status=Status.DONE).exclude(headings_q())


def _open_problems(campaign, difficult: bool):
    from duban.ledger.models import OPEN_STATUSES, Problem, Status

    qs = Problem.objects.filter(campaign=campaign, status__in=OPEN_STATUSES)
    if difficult:  # 疑难问题: past their time limit, or sent back by the office
        qs = qs.filter(Q(deadline__lt=timezone.localdate()) | Q(status=Status.RETURNED))
    return qs


def _open_projects(campaign):
    from duban.projects.models import Project, Stage

    return Project.objects.filter(campaign=campaign).exclude(stage=Stage.COMPLETED)


def expected_unit_ids(campaign, *, difficult: bool = False) -> list[int]:
    """Every unit answering for an open item of the campaign (or, `difficult`, for a difficult problem)."""
    from duban.plan.models import PlanItem
    from duban.projects.models import Project

    ids = set(_open_problems(campaign, difficult).order_by().values_list("unit_id", flat=True).distinct())
    if not difficult:
        tasks = _open_tasks(campaign)
        ids |= set(tasks.order_by().values_list("lead_unit_id", flat=True).distinct())
        ids |= set(Assignment.objects.filter(content_type=assignment_type(PlanItem), object_id__in=tasks.values("pk"),
                                             role=OwnerRole.CO).values_list("unit_id", flat=True).distinct())
        projects = _open_projects(campaign)
        ids |= set(projects.order_by().values_list("unit_id", flat=True).distinct())
        ids |= set(Assignment.objects.filter(content_type=assignment_type(Project), object_id__in=projects.values("pk"),
                                             role=OwnerRole.DEPARTMENT).values_list("unit_id", flat=True).distinct())
    return sorted(ids)


def items_of(rnd: Round, unit: OrgUnit) -> list[Item]:
    """The unit's open items the round asks about, tasks, then problems, then projects."""
    from duban.plan.models import PlanItem
    from duban.projects.models import Project

    campaign = rnd.campaign
    out: list[Item] = []
    difficult = rnd.scope == Scope.DIFFICULT
    if not difficult:
        co = Assignment.objects.filter(content_type=assignment_type(PlanItem), unit=unit, role=OwnerRole.CO).values("object_id")
        for t in _open_tasks(campaign).filter(Q(lead_unit=unit) | Q(pk__in=co)).order_by("position", "id"):
            out.append(Item(LineKind.TASK, t.pk, f"{t.seq} {t.title}".strip(), t.get_status_display(), t.deadline, t.progress,
                            t.lead_unit_id == unit.pk))
    for p in _open_problems(campaign, difficult).filter(unit=unit).order_by("deadline", "id"):
        out.append(Item(LineKind.PROBLEM, p.pk, f"{p.seq}. {p.description[:120]}", p.get_status_display(), p.deadline, None, True))
    if not difficult:
        dept = Assignment.objects.filter(content_type=assignment_type(Project), unit=unit, role=OwnerRole.DEPARTMENT).values("object_id")
        for pr in _open_projects(campaign).filter(Q(unit=unit) | Q(pk__in=dept)).order_by("id"):
            out.append(Item(LineKind.PROJECT, pr.pk, pr.name, pr.get_stage_display(), pr.planned_finish, pr.progress, True))
    return out


def last_lines(rnd: Round, unit: OrgUnit) -> dict[tuple[str, int], Line]:
    """The unit's lines of its latest submitted earlier round (the form's prefill: an item with
    nothing new takes one click)."""
    from duban.rounds.models import Submission

    prev = (Submission.objects.filter(unit=unit, round__campaign=rnd.campaign, round__due_at__lt=rnd.due_at,
                                      status=SubmissionStatus.SUBMITTED).order_by("-round__due_at").first())
    if prev is None:
        return {}
    return {(ln.kind, ln.object_id): ln for ln in prev.lines.all()}


def apply(actor, rnd: Round, unit: OrgUnit, item: Item, line: Line) -> None:
    """Write one submitted line to its item through the item's own service, as the person."""
    note = line.done
    if line.problems:
        note += f"\n存在问题：{line.problems}"
    if line.next_steps:
        note += f"\n下步计划：{line.next_steps}"
    note = f"【{rnd.name}】{note}"[:5000]
    if item.kind == LineKind.TASK:
        from duban.plan.models import PlanItem
        from duban.plan.services import item_report

        task = PlanItem.objects.get(pk=item.object_id)
        item_report(actor=actor, item=task, note=note, progress=line.progress if item.lead else None, unit=unit)
    elif item.kind == LineKind.PROBLEM:
        from duban.ledger.models import Problem
        from duban.ledger.services import problem_note

        problem_note(actor=actor, problem=Problem.objects.get(pk=item.object_id), note=note)
    elif item.kind == LineKind.PROJECT:
        from duban.projects.models import Project
        from duban.projects.services import record_save

        project = Project.objects.get(pk=item.object_id)
        record_save(actor=actor, project=project, day=min(timezone.localtime(rnd.due_at).date(), timezone.localdate()),
                    progress=line.progress if line.progress is not None else project.progress,
                    progress_note=f"【{rnd.name}】{line.done}"[:5000],
                    invested_wan=line.invested_wan or Decimal(0), problems=line.problems, next_steps=line.next_steps)


def attach(actor, unit: OrgUnit, item: Item, name: str, data: bytes) -> dict:
    """Store one attachment of a line on its item through the item's own service (checked,
    sniffed and audited there); what the line keeps of it."""
    if item.kind == LineKind.TASK:
        from duban.plan.models import PlanItem
        from duban.plan.services import evidence_add

        stored = evidence_add(actor=actor, item=PlanItem.objects.get(pk=item.object_id), name=name, data=data, unit=unit)
    elif item.kind == LineKind.PROBLEM:
        from duban.ledger.models import Problem
        from duban.ledger.services import problem_add_evidence

        stored = problem_add_evidence(actor=actor, problem=Problem.objects.get(pk=item.object_id), name=name, data=data)
    else:
        from duban.projects.models import Project
        from duban.projects.services import file_add

        stored = file_add(actor=actor, project=Project.objects.get(pk=item.object_id), name=name, data=data)
    return {"kind": item.kind, "id": stored.pk, "name": name[:200], "size": len(data)}
