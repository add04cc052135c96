"""Bulk writes of the project library: many projects (with their three-level owners) and
many dispatch records at once — a city's or a province's generated library (the demo), where
one service call per row would take minutes.

Inside the caller's transaction (all or nothing); one audit row per BATCH rows recording the
id range, as the ledger's and the plan's bulk paths do. The caller gives rows whose money
already adds up (a record's running totals, a project's completed investment = its records'
sum plus what it had before): these paths check that instead of recomputing it, so a
generated library is as exact as one built record by record through `record_save`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from duban.audit.services import audit_record
from duban.campaigns.models import Campaign
from duban.orgs import permissions
from duban.orgs.models import Assignment, OwnerRole, Role
from duban.orgs.scoping import assignment_type
from duban.projects.models import Project, Record

BATCH = 1000


def _require_atomic(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what} must run inside transaction.atomic()")


def projects_bulk_insert(*, actor, campaign: Campaign, projects: Sequence[Project],
                         owners: Sequence[Sequence[tuple[int, str]]] = (), note: str = "", skip_checks: bool = False) -> int:
    """Insert many new projects (unsaved, campaign set by this call) and their owner units:
    `owners[i]` the (unit id, OwnerRole) pairs of projects[i] — 责任部门, the 包保领导's and
    the 项目秘书's units. The lights are derived once at the end. Returns the count."""
    permissions.require_for_unit(actor, campaign.unit, Role.OFFICE, message="只有本活动的推进办可以批量登记项目", skip_checks=skip_checks)
    _require_atomic("projects_bulk_insert")
    if not projects:
        return 0
    now = timezone.now()
    for p in projects:
        p.campaign = campaign
        p.created_at = p.created_at or now
        p.updated_at = p.updated_at or now
        if p.done_year_wan > p.done_total_wan:
            raise ValueError(f"{p.name}: 年度完成投资大于累计完成投资")
    Project.objects.bulk_create(projects, batch_size=BATCH)
    ctype = assignment_type(Project)
    roles = set(OwnerRole.values)
    rows = []
    for p, pairs in zip(projects, owners, strict=False):
        for k, (unit_id, role) in enumerate(dict.fromkeys(pairs)):
            if role not in roles:
                raise ValueError(f"unknown owner role {role!r}")
            if unit_id != p.unit_id or role != OwnerRole.DEPARTMENT:
                rows.append(Assignment(content_type=ctype, object_id=p.pk, unit_id=unit_id, role=role, position=k))
    Assignment.objects.bulk_create(rows, batch_size=BATCH)
    for start in range(0, len(projects), BATCH):
        ids = [p.pk for p in projects[start : start + BATCH]]
        audit_record(actor=actor, verb="project.bulk_create", object_type="projects.project", object_id=f"{min(ids)}-{max(ids)}",
                     object_repr=f"{campaign.name}：项目 {len(ids)} 个", unit=campaign.unit,
                     changes={"count": len(ids), "ids": [min(ids), max(ids)]}, note=note)
    from duban.projects.services import projects_refresh

    projects_refresh(campaign=campaign)
    return len(projects)


def records_bulk_insert(*, actor, campaign: Campaign, records: Sequence[Record], note: str = "") -> int:
    """Insert many dispatch records of the campaign's projects, oldest first per project.
    Each record's running totals must follow from the one before (as `record_save` keeps
    them), and each project's completed investment must end at its last record's totals."""
    _require_atomic("records_bulk_insert")
    if not records:
        return 0
    last: dict[int, Record] = {}
    for r in records:
        prev = last.get(r.project_id)
        if prev is not None:
            if r.period_start <= prev.period_start:
                raise ValueError(f"project {r.project_id}: records out of order")
            if r.done_total_wan != prev.done_total_wan + r.invested_wan:
                raise ValueError(f"project {r.project_id}: running total does not add up at {r.period_start}")
        last[r.project_id] = r
    ends = dict(Project.objects.filter(campaign=campaign, pk__in=list(last)).values_list("pk", "done_total_wan"))
    if len(ends) != len(last):
        raise ValueError("records of projects outside the campaign")
    for pid, r in last.items():
        if Decimal(ends[pid]) != r.done_total_wan:
            raise ValueError(f"project {pid}: completed investment {ends[pid]} is not its last record's {r.done_total_wan}")
    Record.objects.bulk_create(records, batch_size=BATCH)
    for start in range(0, len(records), BATCH * 10):
        chunk = records[start : start + BATCH * 10]
        audit_record(actor=actor, verb="project.bulk_record", object_type="projects.record", object_id=f"{chunk[0].pk}-{chunk[-1].pk}",
                     object_repr=f"{campaign.name}：调度记录 {len(chunk)} 条", unit=campaign.unit, changes={"count": len(chunk)}, note=note)
    return len(records)
