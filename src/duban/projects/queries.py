"""Reads of the project library: scoped lists and filters, lights and stages counted, the
three owners' lists, what is due this period, one project's page, the figures (开工率,
投资完成率, by stage, unit and industry) and the reminders' digests.

Every list starts from `visible(user)`: the permission layer's scope (the project's unit or
an assigned owner unit — 责任部门, the 包保领导's or 项目秘书's — in one of the user's subtrees).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.utils import timezone

from duban.core import figcache
from duban.core.reminders import FIRST_FEW, ReminderLine, ReminderPart
from duban.orgs import permissions
from duban.orgs.models import Assignment, OrgUnit, OwnerRole, Role
from duban.orgs.scoping import assignment_type, grants, scope_key
from duban.projects.models import (
    STAGE_ORDER,
    STARTED_STAGES,
    Blocker,
    Light,
    Node,
    Pool,
    Project,
    ProjectEvent,
    ProjectFile,
    Record,
    Stage,
)
from duban.projects.periods import period_label, period_of

LIGHT_ORDER = (Light.RED, Light.YELLOW, Light.GREEN, Light.DONE)
# Red first: "-light" would sort the words (yellow > red), not the severity.
LIGHT_RANK = Case(*(When(light=v, then=Value(i)) for i, v in enumerate(LIGHT_ORDER)), default=Value(9), output_field=IntegerField())


def visible(user, campaign=None) -> QuerySet:
    qs = Project.objects.all()
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return permissions.scope(user, qs)


def own_unit_ids(user) -> list[int]:
    """The units the user answers for (liaison or office)."""
    return [g.unit_id for g in grants(user) if g.role in (Role.LIAISON, Role.OFFICE)]


def role_q(role: str, unit_ids) -> Q:
    """Projects where one of `unit_ids` holds `role` (an assignment; an EXISTS, no join)."""
    return Q(pk__in=Assignment.objects.filter(content_type=assignment_type(Project), unit_id__in=unit_ids, role=role).values("object_id"))


@dataclass
class Filters:
    """One filter set for the list page, the board, the API and the export."""

    light: str = ""  # a Light, or "red_yellow"
    stage: str = ""
    pool: int | None = None
    unit: OrgUnit | None = None  # the project's unit or an owner unit in that subtree
    industry: str = ""
    leader: int | None = None  # the 包保领导's account
    secretary: int | None = None
    major: bool = False  # 亿元以上
    sanzao: bool = False
    q: str = ""
    blocked: bool = False  # has an open blocker


UNIT_IDS_INLINE = 5000  # a unit filter's matches read once and inlined, up to this many


def _in_subtree(qs: QuerySet, unit: OrgUnit) -> QuerySet:
    """`qs` narrowed to projects of `unit`'s subtree, as their unit or an owner unit. The
    condition (a path match OR'd with the owners' subquery over a city's 11,000 units) cost
    ~15 ms a query, and the board asks it six times (five columns and the counts): the ids
    are read once and inlined, unless there are more than UNIT_IDS_INLINE of them."""
    cond = Q(unit__path__startswith=unit.path) | Q(pk__in=Assignment.objects.filter(
        content_type=assignment_type(Project), unit__path__startswith=unit.path).values("object_id"))
    ids = list(qs.filter(cond).order_by().values_list("pk", flat=True)[: UNIT_IDS_INLINE + 1])
    return qs.filter(pk__in=ids) if len(ids) <= UNIT_IDS_INLINE else qs.filter(cond)


def filtered(user, campaign, f: Filters) -> QuerySet:
    qs = visible(user, campaign)
    if f.light == "red_yellow":
        qs = qs.filter(light__in=(Light.RED, Light.YELLOW))
    elif f.light:
        qs = qs.filter(light=f.light)
    if f.stage:
        qs = qs.filter(stage=f.stage)
    if f.pool:
        qs = qs.filter(pool_id=f.pool)
    if f.industry:
        qs = qs.filter(industry=f.industry)
    if f.leader:
        qs = qs.filter(leader_id=f.leader)
    if f.secretary:
        qs = qs.filter(secretary_id=f.secretary)
    if f.major:
        qs = qs.filter(total_wan__gte=10000)
    if f.sanzao:
        qs = qs.filter(sanzao=True)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(builder__icontains=f.q) | Q(seq=f.q))
    if f.blocked:
        qs = qs.filter(Exists(open_blockers(OuterRef("pk"))))
    if f.unit is not None:  # last: the other filters first narrow the ids it reads
        qs = _in_subtree(qs, f.unit)
    return qs


def open_blockers(project_ref) -> QuerySet:
    from duban.ledger.models import OPEN_STATUSES

    return Blocker.objects.filter(project=project_ref, problem__status__in=OPEN_STATUSES)


def with_open_blockers(qs: QuerySet) -> QuerySet:
    """Each project with `n_open_blockers` (a count per shown row, not a stored column: the
    ledger signs blockers off and the project shows it at once)."""
    from duban.ledger.models import OPEN_STATUSES

    return qs.annotate(n_open_blockers=Count("blockers", filter=Q(blockers__problem__status__in=OPEN_STATUSES)))


def open_blocker_counts(project_ids) -> dict[int, int]:
    """Open blockers per project, for the rows a page shows: one grouped query over those
    ids (a Count annotation on the list would GROUP BY every column of every row sorted)."""
    from duban.ledger.models import OPEN_STATUSES

    return dict(Blocker.objects.filter(project_id__in=list(project_ids), problem__status__in=OPEN_STATUSES)
                .order_by().values_list("project_id").annotate(n=Count("id")))


def with_open_blocker_counts(projects: list[Project]) -> list[Project]:
    """`n_open_blockers` set on each of `projects` (as `with_open_blockers` annotates), in one query."""
    counts = open_blocker_counts(p.pk for p in projects)
    for p in projects:
        p.n_open_blockers = counts.get(p.pk, 0)
    return projects


def board_columns(qs: QuerySet, cap: int) -> dict[str, list[Project]]:
    """The board's cards: the first `cap` of each stage, largest investment first, with their
    unit and open blockers. One LIMIT query per stage walks the (campaign, stage, -total_wan,
    id) index and stops at `cap` rows; a window over the whole set (one query) sorts every
    visible project first and was slower on SQLite at 2,000."""
    # Only what a card shows: a province's board builds 200 of them per request.
    fields = ("id", "name", "stage", "light", "light_reason", "total_wan", "updated_at", "unit__name")
    columns = {s: list(qs.filter(stage=s).select_related("unit").only(*fields).order_by("-total_wan", "id")[:cap]) for s in STAGE_ORDER}
    with_open_blocker_counts([p for cards in columns.values() for p in cards])
    return columns


def light_counts(qs: QuerySet) -> dict[str, int]:
    counts = dict(qs.order_by().values_list("light").annotate(n=Count("id")))
    return {light: counts.get(light, 0) for light in LIGHT_ORDER}


def stage_counts(qs: QuerySet) -> dict[str, int]:
    counts = dict(qs.order_by().values_list("stage").annotate(n=Count("id")))
    return {s: counts.get(s, 0) for s in STAGE_ORDER}


def red_yellow(user, campaign) -> QuerySet:
    """The office's red/yellow list: red first, then yellow, largest investment first."""
    return visible(user, campaign).filter(light__in=(Light.RED, Light.YELLOW)).order_by(LIGHT_RANK, "-total_wan", "id")


def mine(user, campaign=None) -> dict[str, QuerySet]:
    """A person's own projects by level: as 包保领导, as 项目秘书 (their accounts), and their
    units' as 所属单位 or 责任部门."""
    qs = visible(user, campaign)
    units = own_unit_ids(user)
    return {
        "leader": qs.filter(leader_id=user.pk),
        "secretary": qs.filter(secretary_id=user.pk),
        "department": qs.filter(role_q(OwnerRole.DEPARTMENT, units)) if units else qs.none(),
        "unit": qs.filter(unit_id__in=units) if units else qs.none(),
    }


def due_this_period(qs: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Projects not completed whose current period (by their cadence) has no record yet."""
    today = today or timezone.localdate()
    cond = Q()
    for cadence in ("daily", "weekly", "xun", "monthly"):
        start, _end = period_of(today, cadence)
        cond |= Q(cadence=cadence) & ~Q(pk__in=Record.objects.filter(period_start=start, cadence=cadence).values("project_id"))
    return qs.exclude(stage=Stage.COMPLETED).filter(cond)


def current_period(project: Project, today: dt.date | None = None) -> tuple[dt.date, dt.date, str]:
    start, end = period_of(today or timezone.localdate(), project.cadence)
    return start, end, period_label(start, project.cadence)


# ------------------------------------------------------------------ one project


@dataclass
class ProjectPage:
    project: Project
    department: OrgUnit | None
    owners: list[tuple[str, str]]  # (role label, unit name)
    nodes: list[Node]
    records: list[Record]
    blockers: list[Blocker]
    events: list[ProjectEvent]
    files: list[ProjectFile]
    approval_saving: dict[str, int]  # allowed, taken, saved working days over done approval steps
    period: tuple[dt.date, dt.date, str]
    has_current_record: bool


def project_get(user, pk: int) -> Project | None:
    p = Project.objects.select_related("campaign", "campaign__unit", "unit", "pool", "leader", "secretary").filter(pk=pk).first()
    if p is None or not permissions.may_see(user, p):
        return None
    return p


def project_page(user, project: Project) -> ProjectPage:
    labels = dict(OwnerRole.choices)
    assignments = list(Assignment.objects.filter(content_type=assignment_type(Project), object_id=project.pk).select_related("unit"))
    department = next((a.unit for a in assignments if a.role == OwnerRole.DEPARTMENT), None)
    owners = [(str(labels[a.role]), a.unit.name) for a in assignments]
    nodes = list(project.nodes.select_related("unit", "plan_item"))
    done = [n for n in nodes if n.is_approval and n.allowed_days and n.taken_days is not None]
    saving = {"allowed": sum(n.allowed_days for n in done), "taken": sum(n.taken_days for n in done)}
    saving["saved"] = saving["allowed"] - saving["taken"]
    saving["steps"] = len(done)
    period = current_period(project)
    records = list(project.records.select_related("unit").order_by("-period_start")[:200])
    return ProjectPage(
        project=project, department=department, owners=owners, nodes=nodes, records=records,
        blockers=list(project.blockers.select_related("problem", "problem__unit").order_by("created_at")),
        events=list(project.events.order_by("-at", "-id")[:100]), files=list(project.files.all()), approval_saving=saving,
        period=period, has_current_record=any(r.period_start == period[0] for r in records),
    )


def record_history(project: Project) -> list[dict[str, Any]]:
    """The records oldest first, for the chart: period, progress, this period's and the
    cumulative investment, and the rates against the annual plan and the total."""
    rows = []
    for r in project.records.order_by("period_start"):
        rows.append({
            "period": period_label(r.period_start, r.cadence), "start": r.period_start.isoformat(), "progress": r.progress,
            "invested_wan": float(r.invested_wan), "done_year_wan": float(r.done_year_wan), "done_total_wan": float(r.done_total_wan),
            "year_rate": float(r.done_year_wan / project.annual_plan_wan) if project.annual_plan_wan else None,
            "total_rate": float(r.done_total_wan / project.total_wan) if project.total_wan else None,
        })
    return rows


def pools(campaign) -> list[Pool]:
    return list(Pool.objects.filter(campaign=campaign))


def industries(user, campaign) -> list[str]:
    return sorted(i for i in visible(user, campaign).order_by().values_list("industry", flat=True).distinct() if i)


# ------------------------------------------------------------------ figures


def _money(v) -> float:
    return float(v or Decimal(0))


def figures(*, user=None, campaign=None, today: dt.date | None = None) -> dict[str, Any]:
    """The `projects` section of the headline figures (DESIGN §5), money in 万元, plus 开工率
    (started ÷ planned to start by today) and 投资完成率 (this year's completed ÷ annual plan).

    Kept until the next write (core.figcache: every audited write of projects.* bumps the data
    version, and so does the unaudited light refresh), so exact; the scope, the campaign and
    the day (开工率 counts what was due by today) are the key."""
    today = today or timezone.localdate()
    parts = (scope_key(user), campaign.pk if campaign is not None else None, today)
    return figcache.cached("projects", parts, lambda: _figures_now(user, campaign, today))


def _figures_now(user, campaign, today: dt.date) -> dict[str, Any]:
    qs = Project.objects.all() if user is None else visible(user)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    # By stage in the same scan: one aggregate, not a second GROUP BY query.
    per_stage = {f"stage_{i}": Count("id", filter=Q(stage=s)) for i, s in enumerate(STAGE_ORDER)}
    row = qs.aggregate(
        **per_stage,
        total=Count("id"),
        started=Count("id", filter=Q(stage__in=STARTED_STAGES)),
        due_to_start=Count("id", filter=Q(planned_start__lte=today) | Q(stage__in=STARTED_STAGES)),
        started_of_due=Count("id", filter=Q(stage__in=STARTED_STAGES) & (Q(planned_start__lte=today) | Q(planned_start__isnull=True))),
        major=Count("id", filter=Q(total_wan__gte=10000)),
        sanzao=Count("id", filter=Q(sanzao=True)),
        red=Count("id", filter=Q(light=Light.RED)),
        yellow=Count("id", filter=Q(light=Light.YELLOW)),
        total_wan=Sum("total_wan"), annual_plan_wan=Sum("annual_plan_wan"), done_total_wan=Sum("done_total_wan"),
        done_year_wan=Sum("done_year_wan"),
    )
    by_stage = {s: row[f"stage_{i}"] for i, s in enumerate(STAGE_ORDER)}
    plan, done_year = _money(row["annual_plan_wan"]), _money(row["done_year_wan"])
    total, done_total = _money(row["total_wan"]), _money(row["done_total_wan"])
    return {
        "total": row["total"], "started": row["started"],
        "investment_total_wan": round(total, 2), "investment_done_wan": round(done_total, 2),
        "annual_plan_wan": round(plan, 2), "annual_done_wan": round(done_year, 2),
        "start_rate": round(row["started_of_due"] / row["due_to_start"], 3) if row["due_to_start"] else 0.0,
        "annual_rate": round(done_year / plan, 3) if plan else 0.0,
        "major": row["major"], "sanzao": row["sanzao"], "red": row["red"], "yellow": row["yellow"],
        "by_stage": by_stage,
    }


def totals_by(user, campaign, field: str) -> list[dict[str, Any]]:
    """Counts and money per `unit` or `industry` (the figures page's tables); kept until the
    next write like `figures`."""
    parts = (scope_key(user), campaign.pk, field)
    return figcache.cached("projects_by", parts, lambda: _totals_by_now(user, campaign, field))


def _totals_by_now(user, campaign, field: str) -> list[dict[str, Any]]:
    qs = visible(user, campaign).order_by()
    key = {"unit": "unit__name", "industry": "industry", "pool": "pool__name"}[field]
    rows = (qs.values(key).annotate(n=Count("id"), started=Count("id", filter=Q(stage__in=STARTED_STAGES)),
                                    total_wan=Sum("total_wan"), annual_plan_wan=Sum("annual_plan_wan"),
                                    done_year_wan=Sum("done_year_wan"), red=Count("id", filter=Q(light=Light.RED)))
            .order_by("-total_wan"))
    out = []
    for r in rows:
        plan = _money(r["annual_plan_wan"])
        out.append({"name": r[key] or "—", "n": r["n"], "started": r["started"], "total_wan": _money(r["total_wan"]),
                    "annual_plan_wan": plan, "done_year_wan": _money(r["done_year_wan"]), "red": r["red"],
                    "annual_rate": _money(r["done_year_wan"]) / plan if plan else None})
    return out


# ------------------------------------------------------------------ reminders


def _project_path(pk: int) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("projects:project", args=[pk])
    except NoReverseMatch:
        return ""


def light_reminder_parts(on: dt.date) -> list[ReminderPart]:
    """Per owning unit — the project's unit, its 责任部门 and the units of its 包保领导 and
    项目秘书 — its red and yellow projects with why, red first. Two queries."""
    from django.utils.translation import gettext as _

    rows = list(Project.objects.filter(light__in=(Light.RED, Light.YELLOW), campaign__is_active=True)
                .order_by(LIGHT_RANK, "-total_wan", "id").values("pk", "name", "light", "light_reason", "unit_id"))
    if not rows:
        return []
    owners: dict[int, list[int]] = {}
    for pid, unit_id in Assignment.objects.filter(content_type=assignment_type(Project),
                                                  object_id__in=[r["pk"] for r in rows]).values_list("object_id", "unit_id"):
        owners.setdefault(pid, []).append(unit_id)
    by_unit: dict[int, dict[str, Any]] = {}
    for r in rows:
        for unit_id in dict.fromkeys([r["unit_id"], *owners.get(r["pk"], ())]):
            e = by_unit.setdefault(unit_id, {"red": 0, "yellow": 0, "lines": []})
            e[r["light"]] += 1
            if len(e["lines"]) < FIRST_FEW:
                light = _("红灯") if r["light"] == Light.RED else _("黄灯")
                e["lines"].append(ReminderLine(f"{r['name'][:30]}（{light}：{r['light_reason']}）", _project_path(r["pk"])))
    parts = []
    for unit_id, e in by_unit.items():
        bits = ([_("红灯 %(n)s 个") % {"n": e["red"]}] if e["red"] else []) + ([_("黄灯 %(n)s 个") % {"n": e["yellow"]}] if e["yellow"] else [])
        parts.append(ReminderPart(unit_id=unit_id, heading=_("重点项目：") + _("，").join(bits), count=e["red"] + e["yellow"], lines=e["lines"]))
    return parts


def record_due_parts(on: dt.date) -> list[ReminderPart]:
    """Per unit of a 项目秘书 (else the project's unit): the projects whose dispatch record of
    this period is still missing."""
    from django.utils.translation import gettext as _

    rows = list(due_this_period(Project.objects.filter(campaign__is_active=True), on).order_by("id").values("pk", "name", "cadence", "unit_id"))
    if not rows:
        return []
    secretary_unit = dict(Assignment.objects.filter(content_type=assignment_type(Project), role=OwnerRole.SECRETARY,
                                                    object_id__in=[r["pk"] for r in rows]).values_list("object_id", "unit_id"))
    by_unit: dict[int, dict[str, Any]] = {}
    for r in rows:
        unit_id = secretary_unit.get(r["pk"], r["unit_id"])
        e = by_unit.setdefault(unit_id, {"n": 0, "lines": []})
        e["n"] += 1
        if len(e["lines"]) < FIRST_FEW:
            start, _end = period_of(on, r["cadence"])
            e["lines"].append(ReminderLine(f"{r['name'][:30]}（{period_label(start, r['cadence'])}）", _project_path(r["pk"])))
    return [ReminderPart(unit_id=u, heading=_("项目调度：本期待填报 %(n)s 个") % {"n": e["n"]}, count=e["n"], lines=e["lines"])
            for u, e in by_unit.items()]


def home_card(*, user, campaign, figures: dict[str, Any] | None = None, **_rest: Any) -> dict[str, Any] | None:
    """The home page's project card: counts by light and stage, money, 开工率."""
    if campaign is None:
        return None
    row = (figures or {}).get("projects") or _figures(user=user, campaign=campaign)
    if not row["total"]:
        return None
    return {"projects": row, "campaign": campaign}


_figures = figures  # home_card's parameter of the same name hides the function


def openable_problems(user, blockers: list[Blocker]) -> set[int]:
    """The blockers' ledger problems this user may open: a 项目秘书 of a town names a bureau as
    the responsible unit, and the bureau's problem is not the town's to read (one query)."""
    from duban.ledger.queries import visible_problems

    ids = [b.problem_id for b in blockers]
    return set(visible_problems(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
