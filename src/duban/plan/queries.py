"""Reads of the plan: scoped lists, lights counted, my unit's items, a leader's items, one
item's page, the overview per aspect and per unit, baselines compared with the plan.

Every list starts from `visible(user)`: the permission layer's scope (lead unit or a
co-responsible unit in one of the user's subtrees; EXISTS over assignments, no duplicates).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet, Value
from django.utils import timezone

from duban.core import workcalendar
from duban.core.reminders import FIRST_FEW, ReminderLine, ReminderPart
from duban.orgs import permissions
from duban.orgs.models import Assignment, OrgUnit, OwnerRole, Role
from duban.orgs.scoping import grants
from duban.plan import workflow
from duban.plan.models import (
    Baseline,
    BaselineEntry,
    Dependency,
    ItemEvent,
    Light,
    PlanItem,
    Status,
    headings_q,
)

LIGHT_ORDER = (Light.RED, Light.YELLOW, Light.GREEN, Light.NONE, Light.DONE)
OPEN_STATES = (Status.PENDING, Status.IN_PROGRESS, Status.SUBMITTED, Status.RETURNED)


def visible(user, campaign=None) -> QuerySet:
    qs = PlanItem.objects.all()
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return permissions.scope(user, qs)


def _item_type() -> ContentType:
    return ContentType.objects.get_for_model(PlanItem)


def co_owned_q(unit_ids) -> Q:
    """Items where one of `unit_ids` is a co-responsible unit (an EXISTS, no join)."""
    return Q(pk__in=Assignment.objects.filter(content_type=_item_type(), unit_id__in=unit_ids, role=OwnerRole.CO).values("object_id"))


def own_unit_ids(user) -> list[int]:
    """The units the user answers for (liaison or office), for "my unit's items"."""
    return [g.unit_id for g in grants(user) if g.role in (Role.LIAISON, Role.OFFICE)]


@dataclass
class Filters:
    light: str = ""
    status: str = ""
    unit: OrgUnit | None = None  # lead or co in that unit's subtree
    role: str = ""  # "lead" | "co" (with `unit` or the user's own units)
    leader: str = ""  # 分管领导 name
    q: str = ""
    level: int | None = None
    parent: int | None = None
    late_start: bool = False  # latest start passed and not started
    overdue: bool = False


def filtered(user, campaign, f: Filters) -> QuerySet:
    qs = visible(user, campaign)
    if f.light:
        qs = qs.filter(light=f.light)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.level:
        qs = qs.filter(level=f.level)
    if f.parent:
        qs = qs.filter(parent_id=f.parent)
    if f.leader:
        qs = qs.filter(leader_name=f.leader)
    if f.q:
        qs = qs.filter(Q(title__icontains=f.q) | Q(seq=f.q) | Q(description__icontains=f.q))
    today = timezone.localdate()
    if f.late_start:
        qs = qs.filter(latest_start__lt=today, started_on__isnull=True).exclude(status=Status.DONE)
    if f.overdue:
        qs = qs.filter(deadline__lt=today).exclude(status=Status.DONE)
    units = None
    if f.unit is not None:
        units = OrgUnit.objects.filter(path__startswith=f.unit.path).values("id")
    elif f.role:
        units = own_unit_ids(user)
    if units is not None:
        lead = Q(lead_unit__in=units)
        co = co_owned_q(units)
        qs = qs.filter(lead if f.role == "lead" else co if f.role == "co" else lead | co)
    return qs


def light_counts(qs: QuerySet) -> dict[str, int]:
    rows = dict(qs.order_by().values_list("light").annotate(n=Count("id")))
    return {k: rows.get(k, 0) for k in LIGHT_ORDER}


def red_yellow(user, campaign) -> QuerySet:
    """The office's warning list: red first, then yellow; the earliest deadline first."""
    from django.db.models import Case, IntegerField, Value, When

    rank = Case(When(light=Light.RED, then=Value(0)), default=Value(1), output_field=IntegerField())
    return (visible(user, campaign).filter(light__in=(Light.RED, Light.YELLOW))
            .annotate(rank=rank).order_by("rank", "deadline", "id").select_related("lead_unit"))


def mine(user, campaign=None) -> dict[str, QuerySet]:
    """My unit's items: as lead unit (it answers for them) and as a co-responsible unit."""
    own = own_unit_ids(user)
    base = visible(user, campaign).select_related("lead_unit")
    if not own:
        return {"lead": base.none(), "co": base.none()}
    return {"lead": base.filter(lead_unit__in=own).order_by("deadline", "id"),
            "co": base.filter(co_owned_q(own)).exclude(lead_unit__in=own).order_by("deadline", "id")}


def leader_items(user, campaign=None) -> QuerySet:
    """The items whose 分管领导 is this person (by account, or by the full name on the plan)."""
    name = (getattr(user, "first_name", "") or "").strip()
    cond = Q(leader_id=user.pk) | (Q(leader_name=name) if name else Q(pk__in=[]))
    return visible(user, campaign).filter(cond).select_related("lead_unit").order_by("deadline", "id")


def waiting(user, campaign=None) -> QuerySet:
    """Items where a workflow step waits on this user (签收, 申请办结; the office's 办结, 延期)."""
    return workflow.waiting(user, visible(user, campaign)).select_related("lead_unit").order_by("deadline", "id")


def co_units_of(items) -> dict[int, list[OrgUnit]]:
    """{item id: [co-responsible units in plan order]} for a page of items: one query."""
    ids = [i.pk for i in items]
    out: dict[int, list[OrgUnit]] = {i: [] for i in ids}
    for a in Assignment.objects.filter(content_type=_item_type(), object_id__in=ids, role=OwnerRole.CO).select_related("unit"):
        out[a.object_id].append(a.unit)
    return out


# ------------------------------------------------------------------ one item


@dataclass
class ItemPage:
    item: PlanItem
    co_units: list[OrgUnit]
    ancestors: list[PlanItem]
    children: list[PlanItem]
    milestones: list
    timeline: list[ItemEvent]
    instructions: list[ItemEvent]
    evidence: list
    predecessors: list[PlanItem]
    successors: list[PlanItem]
    transitions: list
    drift: list[dict[str, Any]] = field(default_factory=list)
    may_report: bool = False
    may_set_progress: bool = False
    may_plan: bool = False
    may_instruct: bool = False
    late_start: bool = False


def item_page(user, item: PlanItem) -> ItemPage:
    from duban.plan import services

    ancestors, node = [], item.parent
    while node is not None:
        ancestors.insert(0, node)
        node = node.parent
    events = list(item.events.select_related("unit", "actor").order_by("at", "id"))
    today = timezone.localdate()
    return ItemPage(
        item=item,
        co_units=co_units_of([item])[item.pk],
        ancestors=ancestors,
        children=list(item.children.select_related("lead_unit").order_by("position", "id")),
        milestones=list(item.milestones.select_related("unit")),
        timeline=[e for e in events if e.kind != ItemEvent.Kind.INSTRUCTION],
        instructions=[e for e in events if e.kind == ItemEvent.Kind.INSTRUCTION],
        evidence=list(item.evidence.select_related("unit")),
        predecessors=[d.predecessor for d in Dependency.objects.filter(successor=item).select_related("predecessor")],
        successors=[d.successor for d in Dependency.objects.filter(predecessor=item).select_related("successor")],
        transitions=workflow.available(user, item),
        drift=drift_of(item),
        may_report=permissions.may_report(user, item) and item.status != Status.DONE,
        may_set_progress=permissions.may_change(user, item) and item.status != Status.DONE,
        may_plan=services.may_plan(user, item.campaign),
        may_instruct=services.may_instruct(user, item),
        late_start=bool(item.latest_start and item.latest_start < today and item.started_on is None and item.status != Status.DONE),
    )


# ------------------------------------------------------------------ baselines


def drift_text(days: int, number: int) -> str:
    if days > 0:
        return f"较基线{number}推迟{days}个工作日"
    if days < 0:
        return f"较基线{number}提前{-days}个工作日"
    return f"与基线{number}一致"


def drift_of(item: PlanItem) -> list[dict[str, Any]]:
    """The item's deadline against each baseline that holds it, in working days."""
    cal = workcalendar.calendar()
    out = []
    for e in BaselineEntry.objects.filter(item=item).select_related("baseline").order_by("baseline__number"):
        if e.deadline and item.deadline:
            days = cal.workdays_between(e.deadline, item.deadline)
            out.append({"baseline": e.baseline, "deadline": e.deadline, "days": days, "text": drift_text(days, e.baseline.number)})
        else:
            out.append({"baseline": e.baseline, "deadline": e.deadline, "days": None,
                        "text": f"基线{e.baseline.number}时无完成时限" if not e.deadline else "现无完成时限"})
    return out


def baselines(campaign) -> list[Baseline]:
    return list(Baseline.objects.filter(campaign=campaign).order_by("number"))


def compare(user, campaign, baseline: Baseline, qs: QuerySet | None = None) -> list[dict[str, Any]]:
    """Plan, baseline and actual side by side for the items the user sees, with drift."""
    cal = workcalendar.calendar()
    items = list((qs if qs is not None else visible(user, campaign)).select_related("lead_unit").order_by("position", "id"))
    entries = {e.item_id: e for e in BaselineEntry.objects.filter(baseline=baseline, item_id__in=[i.pk for i in items])}
    rows = []
    for i in items:
        e = entries.get(i.pk)
        days = cal.workdays_between(e.deadline, i.deadline) if e and e.deadline and i.deadline else None
        rows.append({
            "item": i, "base_start": e.start_date if e else None, "base_deadline": e.deadline if e else None,
            "base_progress": e.progress if e else None, "in_baseline": e is not None, "days": days,
            "text": drift_text(days, baseline.number) if days is not None else ("基线后新增" if e is None else "—"),
        })
    return rows


# ------------------------------------------------------------------ overview and figures


def overview(user, campaign) -> dict[str, Any]:
    """Counts by light per aspect (top-level item; its whole subtree) and per lead unit."""
    qs = visible(user, campaign)
    rows = list(qs.values_list("id", "parent_id", "level", "light", "lead_unit_id"))
    parent = {i: p for i, p, _l, _g, _u in rows}
    titles = dict(PlanItem.objects.filter(campaign=campaign, level=1).values_list("id", "title"))

    def root(i: int) -> int:
        seen = 0
        while parent.get(i) is not None and seen < 5:
            i, seen = parent[i], seen + 1
        return i

    by_aspect: dict[int, dict[str, int]] = {}
    by_unit: dict[int, dict[str, int]] = {}
    parents = {p for _i, p, _l, _g, _u in rows if p is not None}
    for i, _p, level, light, unit_id in rows:
        if level == 1 and i in parents:
            continue  # an aspect over items is a heading: its items are counted under it
        r = root(i) if level > 1 else 0  # a flat plan's top-level item: under no aspect
        by_aspect.setdefault(r, dict.fromkeys(LIGHT_ORDER, 0))[light] += 1
        by_unit.setdefault(unit_id, dict.fromkeys(LIGHT_ORDER, 0))[light] += 1
    units = dict(OrgUnit.objects.filter(pk__in=list(by_unit)).values_list("id", "name"))
    return {
        "aspects": [{"id": r, "title": titles.get(r, "（未分方面）"), "counts": c} for r, c in by_aspect.items()],
        "units": sorted(({"id": u, "name": units.get(u, ""), "counts": c} for u, c in by_unit.items()),
                        key=lambda x: (-x["counts"][Light.RED], -x["counts"][Light.YELLOW], x["name"])),
        "total": light_counts(qs.exclude(headings_q())),
    }


def _figures(*, user=None, campaign=None) -> dict[str, Any]:
    return figures(user=user, campaign=campaign)


def figures(*, user=None, campaign=None) -> dict[str, Any]:
    """The `tasks` section of the headline figures (DESIGN §5): work items, aspects aside."""
    qs = PlanItem.objects.all() if user is None else visible(user)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    qs = qs.exclude(headings_q())  # an aspect (方面) over work items is a heading, not one
    today = timezone.localdate()
    row = qs.aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(status=Status.DONE)),
        overdue=Count("id", filter=Q(deadline__lt=today) & ~Q(status=Status.DONE)),
        red=Count("id", filter=Q(light=Light.RED)),
        yellow=Count("id", filter=Q(light=Light.YELLOW)),
        green=Count("id", filter=Q(light=Light.GREEN)),
    )
    row["done_rate"] = round(row["done"] / row["total"], 3) if row["total"] else 0.0
    return row


def reminder_items(campaign=None, today: dt.date | None = None) -> QuerySet:
    """Open work items due in 7 or 3 working days, or overdue (reminded every working day);
    aspects are headings, reminded through their items."""
    today = today or timezone.localdate()
    cal = workcalendar.calendar()
    in7, in3 = cal.add_workdays(today, 7), cal.add_workdays(today, 3)
    qs = PlanItem.objects.filter(status__in=OPEN_STATES).exclude(headings_q()).filter(Q(deadline__lt=today) | Q(deadline__in=[in7, in3]))
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs.select_related("lead_unit", "campaign")


def _short(text: str, n: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def _item_path(pk: int) -> str:
    """The item's page when the plan's pages are installed (plan/urls.py), else no link."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("plan:item", args=[pk])
    except NoReverseMatch:
        return ""


def due_reminder_parts(on: dt.date) -> list[ReminderPart]:
    """Per owning unit — the lead unit and every co-responsible unit — its open items due in
    exactly 7 or 3 working days, and its overdue ones (every working day until done),
    soonest first. Two queries whatever the number of units: the items, their co units."""
    from django.utils.translation import gettext as _

    cal = workcalendar.calendar()
    items = list(reminder_items(today=on).filter(campaign__is_active=True)  # a closed campaign reminds nobody
                 .order_by("deadline", "id").values("pk", "seq", "title", "deadline", "lead_unit_id"))
    if not items:
        return []
    co: dict[int, list[int]] = {}
    for item_id, unit_id in Assignment.objects.filter(content_type=_item_type(), object_id__in=[i["pk"] for i in items],
                                                      role=OwnerRole.CO).values_list("object_id", "unit_id"):
        co.setdefault(item_id, []).append(unit_id)
    by_unit: dict[int, dict[str, Any]] = {}
    for i in items:
        late = i["deadline"] < on
        if late:
            when = _("逾期 %(n)s 个工作日") % {"n": max(1, cal.workdays_between(i["deadline"], on))}
        else:
            when = _("%(d)s 到期，还有 %(n)s 个工作日") % {"d": f"{i['deadline']:%m-%d}", "n": cal.workdays_between(on, i["deadline"])}
        for unit_id, lead in ((i["lead_unit_id"], True), *((u, False) for u in co.get(i["pk"], ()) if u != i["lead_unit_id"])):
            e = by_unit.setdefault(unit_id, {"late": 0, "soon": 0, "lines": []})
            e["late" if late else "soon"] += 1
            if len(e["lines"]) < FIRST_FEW:
                role = _("牵头") if lead else _("配合")
                text = f"{i['seq']} {_short(i['title'])}（{role}，{when}）".strip()
                e["lines"].append(ReminderLine(text, _item_path(i["pk"])))
    parts = []
    for unit_id, e in by_unit.items():
        bits = ([_("逾期 %(n)s 项") % {"n": e["late"]}] if e["late"] else []) + (
            [_("即将到期 %(n)s 项") % {"n": e["soon"]}] if e["soon"] else [])
        parts.append(ReminderPart(unit_id=unit_id, heading=_("督办事项：") + _("，").join(bits), count=e["late"] + e["soon"],
                                  lines=e["lines"]))
    return parts


# ------------------------------------------------------------------ pages (plan.views)


def item_get(user, pk: int) -> PlanItem | None:
    """One item the user sees (None: absent or out of scope, the page answers 404)."""
    return visible(user).select_related("campaign", "campaign__unit", "lead_unit", "parent").filter(pk=pk).first()


def evidence_get(user, pk: int):
    """One evidence file whose item the user sees (the download checks scope this way)."""
    from duban.plan.models import ItemEvidence

    return ItemEvidence.objects.filter(pk=pk, item__in=visible(user).values("pk")).first()


def milestone_get(user, pk: int):
    from duban.plan.models import Milestone

    return Milestone.objects.select_related("item", "unit").filter(pk=pk, item__in=visible(user).values("pk")).first()


def item_form_data(item: PlanItem) -> tuple[list[OrgUnit], list[PlanItem], list]:
    """What the item form shows besides the item's fields: co units, predecessors, milestones."""
    preds = [d.predecessor for d in Dependency.objects.filter(successor=item).select_related("predecessor")]
    return co_units_of([item])[item.pk], preds, list(item.milestones.select_related("unit"))


def in_tree_order(qs: QuerySet) -> QuerySet:
    """Items in the plan's own order, each under its parent (three levels at most): the
    aspect's position, then the task's, then the measure's; ids break ties."""
    from django.db.models import Case, F, IntegerField, When
    from django.db.models.functions import Coalesce

    zero = Value(0)
    return qs.select_related("lead_unit").annotate(
        k1=Coalesce(F("parent__parent__position"), F("parent__position"), F("position")),
        r1=Coalesce(F("parent__parent_id"), F("parent_id"), F("id")),
        k2=Case(When(level=3, then=F("parent__position")), When(level=2, then=F("position")), default=zero, output_field=IntegerField()),
        r2=Case(When(level=3, then=F("parent_id")), When(level=2, then=F("id")), default=zero, output_field=IntegerField()),
        k3=Case(When(level=3, then=F("position")), default=zero, output_field=IntegerField()),
    ).order_by("k1", "r1", "k2", "r2", "k3", "id")


def leader_names(user, campaign) -> list[str]:
    """The 分管领导 named on the items the user sees, for the leader filter."""
    return sorted(set(visible(user, campaign).exclude(leader_name="").values_list("leader_name", flat=True).distinct()[:500]))


def parents_for(campaign, exclude: PlanItem | None = None) -> QuerySet:
    """The items that may hold another (方面 and 重点任务), for the item form's parent choice."""
    qs = PlanItem.objects.filter(campaign=campaign, level__lt=3)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk).exclude(parent=exclude)
    return in_tree_order(qs)


def light_why(item: PlanItem) -> list[str]:
    """Why the item has its light, in words: 已逾期N个工作日, 落后序时进度N个百分点,
    距完成时限N个工作日 (the same reading plan.lights gave the stored light)."""
    from django.utils.translation import gettext as _

    from duban.plan import lights, services

    if item.status == Status.DONE or item.deadline is None:
        return []
    today = timezone.localdate()
    cal = workcalendar.calendar()
    rule = services.thresholds(item.campaign)
    r = lights.reading(item, campaign_start=item.campaign.start_date, today=today, rule=rule, cal=cal)
    out = []
    if today > item.deadline:
        out.append(_("已逾期%(n)s个工作日") % {"n": max(1, -(r.days_left or 0))})
    if r.behind >= rule.behind_yellow:
        out.append(_("落后序时进度%(n)s个百分点（序时进度%(e)s%%，实际%(p)s%%）") % {"n": r.behind, "e": r.expected, "p": item.progress})
    if today <= item.deadline and r.days_left is not None and r.days_left <= rule.due_soon_days:
        out.append(_("距完成时限%(n)s个工作日") % {"n": r.days_left})
    return out


def home_card(*, user, campaign, figures: dict[str, Any] | None = None, **_rest: Any) -> dict[str, Any] | None:
    """The home page's card of the plan: its work items by light (none when the person sees
    no plan), from the headline figures' `tasks` section (counted once per page)."""
    if campaign is None:
        return None
    row = (figures or {}).get("tasks") or _figures(user=user, campaign=campaign)
    if not row["total"]:
        return None
    return {"tasks": row, "campaign": campaign}
