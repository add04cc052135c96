"""Reads of the ledger: the one filterset used by the list page, the API and the export;
counts, deadlines, "my items", and the rates (整改率, 按期率, overdue) by any grouping.

Every read starts from the scoping rule: `orgs.scoping.scope(user, …)`, the same
rows as `scope` written through `Problem.region` so PostgreSQL serves a subtree from the
(region, status, id) index at millions of rows (see `orgs.scoping.subtree_condition`).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, fields
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber, Substr, TruncMonth
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from duban.campaigns.models import Campaign, FocusArea
from duban.core import figcache, workcalendar
from duban.core.dates import today
from duban.core.lookups import in_literal
from duban.core.numbers import ratio
from duban.core.reminders import FIRST_FEW, ReminderLine, ReminderPart
from duban.core.validation import date_params, flag_param, parse_id, strip_nul, text_param
from duban.ledger.models import (
    OPEN_STATUSES,
    Kind,
    Problem,
    ProblemSourceTally,
    ProblemStatusTally,
    ProblemTally,
    Source,
    Status,
)
from duban.ledger.search import search_filter
from duban.orgs import permissions
from duban.orgs.models import PATH_STEP, OrgUnit
from duban.orgs.scoping import (
    EVERY_REGION,
    region_set,
    scope,
    scope_key,
    scope_regions,
    subtree_condition,
)

SORTS = {
    "-id": ("-id",),
    "id": ("id",),
    "seq": ("seq", "id"),
    "-seq": ("-seq", "-id"),
    "deadline": ("deadline", "id"),
    "-deadline": ("-deadline", "-id"),
    "-updated": ("-updated_at", "-id"),
    "status": ("status", "-id"),
}
SORT_LABELS = {"-id": _("最新登记"), "seq": _("序号"), "deadline": _("时限最近"), "-deadline": _("时限最远"), "-updated": _("最近更新"), "status": _("状态")}
SEARCH_COUNT_CAP = 1_000


def due_soon_days() -> int:
    """How many working days ahead a deadline is "即将到期" (holidays and 调休 counted)."""
    return int(getattr(settings, "DUBAN_DUE_SOON_DAYS", 0) or os.environ.get("DUBAN_DUE_SOON_DAYS") or 5)


def due_soon_until(on: dt.date) -> dt.date:
    """The last deadline that is still "due soon" on ``on``: ``due_soon_days`` working days on."""
    return workcalendar.add_workdays(on, due_soon_days())


def deadline_state(problem: Problem, on: dt.date | None = None) -> str:
    """overdue / due_soon / open / on_time / late / undated / "" (no deadline), in Asia/Shanghai.

    The same rule as the figures (ledger.tally, `_rate_aggregates`): signed off is on time
    only with a 完成时间 on or before the 整改时限; without one ("undated", old data: imports
    now require it) it counts as not on time, and the page says why.
    """
    on = on or today()
    if problem.deadline is None:
        return ""
    if problem.status == Status.SIGNED_OFF:
        if problem.completed_on is None:
            return "undated"
        return "on_time" if problem.completed_on <= problem.deadline else "late"
    if problem.deadline < on:
        return "overdue"
    if problem.deadline <= due_soon_until(on):
        return "due_soon"
    return "open"


DEADLINE_LABELS = {"overdue": (_("逾期"), "red"), "due_soon": (_("即将到期"), "orange"), "on_time": (_("按期完成"), "green"),
                   "late": (_("逾期完成"), "orange"), "open": ("", ""), "undated": (_("完成时间未填，不计按期"), "orange")}


def overdue_q(on: dt.date | None = None) -> Q:
    return Q(status__in=OPEN_STATUSES, deadline__lt=on or today())


def due_soon_q(on: dt.date | None = None) -> Q:
    on = on or today()
    return Q(status__in=OPEN_STATUSES, deadline__gte=on, deadline__lte=due_soon_until(on))


@dataclass
class ProblemFilter:
    campaign: int | None = None
    area: int | None = None
    unit: int | None = None  # a unit: its whole subtree
    status: str = ""
    overdue: bool = False
    due_soon: bool = False
    source: str = ""
    kind: str = ""
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    q: str = ""
    sort: str = "-id"

    @classmethod
    def from_params(cls, params) -> tuple[ProblemFilter, list[str]]:
        """From GET parameters (or any mapping); bad values are dropped and reported.

        Ids outside 1..2^63-1, impossible dates and unknown choices are reported, never
        passed on (the database would answer a 500); NUL characters are dropped.
        """
        f, errors = cls(), []
        for name in ("campaign", "area", "unit"):
            try:
                setattr(f, name, parse_id(strip_nul(str(params.get(name) or ""))))
            except ValueError:
                errors.append(f"{name} 应为有效的编号（1 到 9223372036854775807 之间的整数）")
        f.status = text_param(params, "status", max_length=40)
        if f.status and f.status not in Status.values:
            errors.append(f"未知状态“{f.status}”")
            f.status = ""
        f.source = text_param(params, "source", max_length=40)
        if f.source and f.source not in Source.values:
            errors.append(f"未知问题来源“{f.source}”")
            f.source = ""
        f.kind = text_param(params, "kind", max_length=40)
        if f.kind and f.kind not in Kind.values:
            errors.append(f"未知整改类型“{f.kind}”")
            f.kind = ""
        f.overdue = flag_param(params, "overdue")
        f.due_soon = flag_param(params, "due_soon")
        date_params(params, f, ("deadline_from", "deadline_to"), errors)
        f.q = text_param(params, "q")
        sort = params.get("sort") or "-id"
        f.sort = sort if sort in SORTS else "-id"
        return f, errors

    def as_params(self) -> dict[str, Any]:
        out = {}
        for fl in fields(self):
            v = getattr(self, fl.name)
            if v not in (None, "", False) and not (fl.name == "sort" and v == "-id"):
                out[fl.name] = "1" if v is True else (v.isoformat() if isinstance(v, dt.date) else v)
        return out


def visible_problems(user) -> QuerySet[Problem]:
    """All problems the user may see; `user=None` is the system (CLI, stats)."""
    qs = Problem.objects.all()
    return qs if user is None else scope(user, qs)


def _unit_path(f: ProblemFilter) -> str | None:
    """The path of the filter's unit, looked up once per filter object."""
    cached = f.__dict__.get("_unit_path")
    if cached is None or cached[0] != f.unit:
        cached = (f.unit, OrgUnit.objects.filter(pk=f.unit).values_list("path", flat=True).first())
        f.__dict__["_unit_path"] = cached
    return cached[1]


def apply_filter(qs: QuerySet[Problem], f: ProblemFilter, *, with_status: bool = True) -> QuerySet[Problem]:
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    if f.area:
        qs = qs.filter(focus_area_id=f.area)
    if f.unit:
        path = _unit_path(f)
        qs = qs.filter(subtree_condition("unit", path, region_field="region")) if path else qs.none()
    if with_status and f.status:
        qs = qs.filter(status=f.status)
    if f.overdue:
        qs = qs.filter(overdue_q())
    if f.due_soon:
        qs = qs.filter(due_soon_q())
    if f.source:
        qs = qs.filter(source=f.source)
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.deadline_from:
        qs = qs.filter(deadline__gte=f.deadline_from)
    if f.deadline_to:
        qs = qs.filter(deadline__lte=f.deadline_to)
    if f.q:
        qs = search_filter(qs, f.q)
    return qs


def problem_list(user, f: ProblemFilter) -> QuerySet[Problem]:
    qs = apply_filter(visible_problems(user), f)
    f.__dict__["_listed_for"] = (user, f.as_params())
    return qs.select_related("unit", "focus_area").order_by(*SORTS[f.sort])


def status_counts(user, f: ProblemFilter) -> dict[str, int]:
    """Counts per status for the filter without its status (the tabs of the list).

    Where the filter and the user's scope are whole regions, every status is read from the
    roll-ups (ledger.tally, exact by construction and by tests): from ProblemStatusTally
    (a few rows per region and area: the province office's tabs were a sum over 190,000
    rows of ProblemSourceTally, 30–60 ms, and before that a 0.8 s scan of 2.7M problems),
    from ProblemSourceTally with a 问题来源 / 整改类型 filter. Otherwise 已销号 (~92% of a
    ledger) comes from ProblemTally where it can and the open statuses are counted.
    """
    by_status = _status_tallies(user, f)
    if by_status is not None:
        counts = {s: 0 for s in Status.values}
        counts.update({s: int(n or 0) for s, n in by_status.order_by().values_list("status").annotate(n=Sum("n"))})
        counts["all"] = sum(counts[s] for s in Status.values)
        return counts
    if f.source or f.kind or not f.area:
        by_source = _tallies(user, f, by_source=True)
        if by_source is not None:  # every status from ProblemSourceTally (a status column of its own)
            counts = {s: 0 for s in Status.values}
            counts.update({s: int(n or 0) for s, n in by_source.order_by().values_list("status").annotate(n=Sum("n"))})
            counts["all"] = sum(counts[s] for s in Status.values)
            return counts
    qs = apply_filter(visible_problems(user), f, with_status=False)
    signed_off = _signed_off_from_tallies(user, f)
    if signed_off is not None:
        qs = qs.filter(status__in=OPEN_STATUSES)
    rows = qs.order_by().values_list("status").annotate(n=Count("*"))  # COUNT(*): index-only on (status, deadline, campaign)
    counts = {s: 0 for s in Status.values}
    counts.update({s: n for s, n in rows})
    if signed_off is not None:
        counts[Status.SIGNED_OFF] = signed_off
    counts["all"] = sum(counts[s] for s in Status.values)
    return counts


def _status_tallies(user, f: ProblemFilter):
    """ProblemStatusTally rows for the filter's campaign and area and (scope ∩ subtree)
    regions, or None where they cannot answer exactly (text, deadline, source or type
    filters; a scope or subtree below a region)."""
    if f.q or f.deadline_from or f.deadline_to or f.overdue or f.due_soon or f.source or f.kind:
        return None
    regions = _filter_regions(user, f)
    if regions is False:
        return None
    qs = ProblemStatusTally.objects.all()
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    if f.area:
        qs = qs.filter(area_id=f.area)
    if regions is not EVERY_REGION:
        qs = qs.filter(region_id__in=sorted(regions))
    return qs


def _tallies(user, f: ProblemFilter, *, by_source: bool = False):
    """Roll-up rows for the filter's campaign, area or source and type, and (scope ∩
    subtree) regions: ProblemTally's, or ProblemSourceTally's for a 问题来源 / 整改类型
    filter; None where the roll-ups cannot answer exactly (text, deadline filters; an area
    with a source or type; a scope or subtree below a region)."""
    if f.q or f.deadline_from or f.deadline_to or f.overdue or f.due_soon or (f.area and (f.source or f.kind)):
        return None
    regions = _filter_regions(user, f)
    if regions is False:
        return None
    if f.source or f.kind or by_source:  # (ProblemSourceTally has no area: by_source only without one)
        qs = ProblemSourceTally.objects.all()
        if f.source:
            qs = qs.filter(source=f.source)
        if f.kind:
            qs = qs.filter(kind=f.kind)
    else:
        qs = ProblemTally.objects.all()
        if f.area:
            qs = qs.filter(area_id=f.area)
    if f.campaign:
        qs = qs.filter(campaign_id=f.campaign)
    if regions is not EVERY_REGION:
        qs = qs.filter(region_id__in=sorted(regions))
    return qs


def _filter_regions(user, f: ProblemFilter) -> set[int] | None | bool:
    """The regions of (scope ∩ the filter's subtree): a set, EVERY_REGION, or False where
    that is not whole regions (an empty set: a unit that does not exist)."""
    regions = scope_regions(user)
    if regions is False:
        return False
    if f.unit:
        path = _unit_path(f)
        if not path:
            return set()
        wanted = region_set(path)
        if wanted is False:
            return False
        if wanted is not EVERY_REGION:
            regions = wanted if regions is EVERY_REGION else regions & wanted
    return regions


def _tally_sum(qs, *, done: bool) -> int:
    from duban.ledger.tally import DONE_STATES

    if done:
        qs = qs.filter(state__in=DONE_STATES)
    return int(qs.aggregate(n=Sum("n"))["n"] or 0)


def _signed_off_from_tallies(user, f: ProblemFilter) -> int | None:
    """The 已销号 count for the filter (without its status) from ProblemTally, or None."""
    if f.overdue or f.due_soon:
        return 0  # only open problems are overdue or due soon
    qs = _tallies(user, f)
    return None if qs is None else _tally_sum(qs, done=True)


def problem_count(user, f: ProblemFilter) -> int:
    """How many rows `problem_list(user, f)` has: from the roll-ups where they answer exactly
    (no status or 已销号 over whole regions: the office's landing page counts 3M rows in a
    few milliseconds), else by counting."""
    by_status = _status_tallies(user, f)
    if by_status is not None:  # any status, with or without an area
        return int((by_status.filter(status=f.status) if f.status else by_status).aggregate(n=Sum("n"))["n"] or 0)
    if f.source or f.kind:
        qs = _tallies(user, f)
        if qs is not None:  # ProblemSourceTally has every status
            return int((qs.filter(status=f.status) if f.status else qs).aggregate(n=Sum("n"))["n"] or 0)
    elif not f.status or f.status == Status.SIGNED_OFF:
        qs = _tallies(user, f)
        if qs is not None:
            return _tally_sum(qs, done=bool(f.status))
    return apply_filter(visible_problems(user), f).count()


class _CountedPaginator(Paginator):
    """A paginator whose count comes from `problem_count`; with `ids_first`, a page is read
    as its ids (an index-only scan of (region, id, campaign)) and then those rows by key."""

    def __init__(self, object_list, per_page, count, *, ids_first: bool = False):
        super().__init__(object_list, per_page)
        self._count = count
        self._ids_first = ids_first

    @cached_property
    def count(self) -> int:
        return self._count()

    def page(self, number):
        if not self._ids_first:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("id", flat=True)[bottom:top])
        return self._get_page(list(self.object_list.filter(pk__in=ids)), number, self)


def _single_region(user, f: ProblemFilter) -> bool:
    """Whether all of the filter's rows lie in one region (a county subtree or scope)."""
    if f.unit:
        path = _unit_path(f)
        wanted = region_set(path) if path else False
        if isinstance(wanted, set) and len(wanted) == 1:
            return True
    regions = scope_regions(user)
    return isinstance(regions, set) and len(regions) == 1


class CappedPaginator(Paginator):
    """Counts at most `cap` + 1 rows (text search over millions of rows): "10000+" beyond that."""

    cap = SEARCH_COUNT_CAP

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


def paginate(qs: QuerySet, f: ProblemFilter, page: Any, per_page: int = 50) -> Paginator:
    if f.q:
        return CappedPaginator(qs, per_page).get_page(page)
    listed = f.__dict__.get("_listed_for")  # set by problem_list: count the same rows via problem_count
    if listed is not None and listed[1] == f.as_params():
        # A county without a status, newest first: PostgreSQL would walk the primary key
        # backwards expecting the county's rows to be spread evenly (seconds when they are
        # old rows); reading the page's ids first is an index-only scan.
        ids_first = not f.status and f.sort in ("-id", "id") and _single_region(listed[0], f)
        return _CountedPaginator(qs, per_page, lambda: problem_count(listed[0], f), ids_first=ids_first).get_page(page)
    return Paginator(qs, per_page).get_page(page)


def problem_get(user, pk: int) -> Problem | None:
    return (
        visible_problems(user)
        .select_related("campaign", "campaign__unit", "unit", "supervisor", "focus_area")
        .filter(pk=pk)
        .first()
    )


def timeline(problem: Problem):
    return problem.events.select_related("actor").order_by("at", "id")


def evidence_list(problem: Problem):
    return problem.evidence.select_related("uploaded_by").order_by("uploaded_at", "id")


def my_items(user) -> dict[str, QuerySet[Problem]]:
    """A unit's to-do list: its open problems by deadline; and, for an office, what awaits review."""
    base = visible_problems(user).select_related("unit", "focus_area")
    mine = permissions.todo_units_q(user)
    todo = base.filter(status__in=(Status.PENDING, Status.IN_PROGRESS, Status.RETURNED)).filter(mine) if mine is not None else base.none()
    reviewing = permissions.reviewing_q(user, Problem)
    # The two kinds of waiting item, written exactly as the partial index problem_review_unit_idx
    # is: the list is an ordered walk of that index (a union of ids had to be sorted whole,
    # 1.1 s for the province office with 36,800 submitted problems).
    # The status as a literal (core.lookups): SQLite proves a partial index's condition only
    # from literals (the count took 86 ms with `status = ?`, 0.5 ms with the literal).
    waiting = in_literal("status", [Status.SUBMITTED]) | Q(extension_to__isnull=False)
    review = base.filter(waiting).filter(reviewing) if reviewing is not None else base.none()
    return {"todo": todo.order_by(F("deadline").asc(nulls_last=True), "id"), "review": review.order_by("updated_at", "id")}


# ------------------------------------------------------------------------------- rates

def _rate_aggregates(on: dt.date) -> dict[str, Any]:
    return {
        "total": Count("id"),
        "rectified": Count("id", filter=Q(status=Status.SIGNED_OFF)),
        "overdue": Count("id", filter=overdue_q(on)),
        "with_deadline_done": Count("id", filter=Q(status=Status.SIGNED_OFF, deadline__isnull=False)),
        "on_time": Count("id", filter=Q(status=Status.SIGNED_OFF, completed_on__lte=F("deadline"))),
    }


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: int(row.get(k) or 0) for k in ("total", "rectified", "overdue", "on_time", "with_deadline_done")}
    out["rate"] = round(ratio(out["rectified"], out["total"]), 4)
    out["on_time_rate"] = round(ratio(out["on_time"], out["with_deadline_done"]), 4)
    return out


GROUPINGS = {"area": _("聚焦领域"), "unit": _("单位"), "source": _("问题来源"), "month": _("登记月份")}


def rates(user, *, campaign: Campaign | None = None, by: str = "area", under: OrgUnit | None = None, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Rows of {key, label, total, rectified, rate, overdue, on_time, on_time_rate} grouped `by`.

    `by="unit"` groups by the child subtrees of `under` (default: the user's top unit),
    so each row is a town or department with everything below it. Kept until the next
    write (core.figcache): a grouping of a city's ledger is a scan of every row.
    """
    on = on or today()
    if by == "unit" and under is None:
        from duban.orgs.scoping import home_unit

        under = home_unit(user) if user is not None else OrgUnit.objects.filter(depth=0).first()
        if under is None:
            return []
    parts = (scope_key(user), campaign.pk if campaign is not None else None, by, under.pk if under is not None else None, on)
    return figcache.cached("rates", parts, lambda: _rates(user, campaign, by, under, on))


def _rates(user, campaign, by, under, on) -> list[dict[str, Any]]:
    if by in ("area", "unit"):
        rows = _rates_from_tallies(user, campaign, by, under, on)
    else:
        rows = _rates_from_source_tallies(user, campaign, by, on)
    return rows if rows is not None else _rates_counted(user, campaign, by, under, on)


def _rates_from_source_tallies(user, campaign, by, on) -> list[dict[str, Any]] | None:
    """Rates by source or by registration month from ProblemSourceTally (a scan of the
    ledger otherwise: 1 s and 6 s cold at 270,600 rows on SQLite), in `_rates_counted`'s
    shape and order; None where the user's scope is not whole regions."""
    from duban.ledger.tally import NO_DATE, source_figures

    regions = scope_regions(user)
    if regions is False:
        return None
    data = source_figures(by, campaign_ids=[campaign.pk] if campaign is not None else None,
                          region_ids=None if regions is EVERY_REGION else sorted(regions), on=on)
    rows: list[dict[str, Any]] = []
    if by == "source":
        labels = dict(Source.choices)
        for key, r in data.items():
            if r["total"]:
                rows.append({"key": key, "label": str(labels.get(key, key)), **_finish(r)})
        rows.sort(key=lambda r: (-r["total"], r["key"]))
        return rows
    for m in sorted(data):
        r = data[m]
        if r["total"]:
            known = m != NO_DATE
            rows.append({"key": m.strftime("%Y-%m") if known else "", "label": m.strftime("%Y年%m月") if known else "—", **_finish(r)})
    return rows


def _rates_from_tallies(user, campaign, by, under, on) -> list[dict[str, Any]] | None:
    """Rates by area, or by the regions below a top unit, from the maintained roll-ups
    (ledger.tally: a few thousand rows instead of every problem), where the user's scope is
    whole regions; None where they cannot answer exactly (a town's view, a county's towns)."""
    from duban.ledger.tally import tally_figures

    regions = scope_regions(user)
    if regions is False or (by == "unit" and under.depth != 0):
        return None
    data = tally_figures(
        campaign_ids=[campaign.pk] if campaign is not None else None,
        region_ids=None if regions is EVERY_REGION else sorted(regions), on=on, due_soon_days=due_soon_days(),
    )
    rows: list[dict[str, Any]] = []
    if by == "area":
        found = {a["id"]: a for a in FocusArea.objects.filter(pk__in=list(data["by_area"])).values("id", "name", "position")}
        for area_id, r in data["by_area"].items():
            if r["total"]:
                a = found.get(area_id)
                rows.append({"key": a["id"] if a else None, "label": a["name"] if a else "未分类", "_pos": a["position"] if a else None, **_finish(r)})
        rows.sort(key=lambda r: (r["_pos"] is None, r["_pos"] or 0, r["key"] or 0))
        for r in rows:
            del r["_pos"]
        return rows
    children = {u.pk: u for u in OrgUnit.objects.filter(parent=under)}
    for region_id, r in data["by_region"].items():
        if not r["total"]:
            continue
        if region_id in children:
            rows.append({"key": region_id, "label": children[region_id].name, **_finish(r)})
        elif region_id == under.pk:
            rows.append({"key": under.pk, "label": f"{under.name}（本级）", **_finish(r)})
        # (regions of other trees are not below `under`: not its rows)
    rows.sort(key=lambda r: (-r["rate"], -r["total"]))
    return rows


def _rates_counted(user, campaign, by, under, on) -> list[dict[str, Any]]:
    qs = visible_problems(user)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    agg = _rate_aggregates(on)
    rows: list[dict[str, Any]] = []
    if by == "area":
        data = qs.order_by().values("focus_area_id", "focus_area__name", "focus_area__position").annotate(**agg)
        for r in sorted(data, key=lambda r: (r["focus_area__position"] is None, r["focus_area__position"] or 0)):
            rows.append({"key": r["focus_area_id"], "label": r["focus_area__name"] or "未分类", **_finish(r)})
    elif by == "source":
        labels = dict(Source.choices)
        for r in qs.order_by().values("source").annotate(**agg):
            rows.append({"key": r["source"], "label": str(labels.get(r["source"], r["source"])), **_finish(r)})
        rows.sort(key=lambda r: (-r["total"], r["key"]))  # ties in a fixed order, as from the roll-ups
    elif by == "month":
        for r in qs.order_by().annotate(m=TruncMonth("created_at")).values("m").annotate(**agg).order_by("m"):
            rows.append({"key": r["m"].strftime("%Y-%m") if r["m"] else "", "label": r["m"].strftime("%Y年%m月") if r["m"] else "—", **_finish(r)})
    elif by == "unit":
        width = len(under.path) + PATH_STEP + 1
        qs = qs.filter(unit__path__subtree=under.path)
        data = qs.order_by().annotate(branch=Substr("unit__path", 1, width)).values("branch").annotate(**agg)
        names = {u.path: u for u in OrgUnit.objects.filter(parent=under)}
        for r in data:
            unit = names.get(r["branch"])
            rows.append({"key": unit.pk if unit else under.pk, "label": unit.name if unit else f"{under.name}（本级）", **_finish(r)})
        rows.sort(key=lambda r: (-r["rate"], -r["total"]))
    else:
        raise ValueError(f"unknown grouping {by!r}")
    return rows


def totals(user, *, campaign: Campaign | None = None, on: dt.date | None = None) -> dict[str, Any]:
    on = on or today()
    parts = (scope_key(user), campaign.pk if campaign is not None else None, on, due_soon_days())
    return figcache.cached("totals", parts, lambda: _totals(user, campaign, on))


def _totals(user, campaign, on) -> dict[str, Any]:
    regions = scope_regions(user)
    if regions is not False:  # whole regions: from the roll-ups (see _rates_from_tallies)
        from duban.ledger.tally import tally_figures

        t = tally_figures(campaign_ids=[campaign.pk] if campaign is not None else None,
                          region_ids=None if regions is EVERY_REGION else sorted(regions), on=on, due_soon_days=due_soon_days())["total"]
        return {**_finish(t), "due_soon": t["due_soon"]}
    return _totals_counted(user, campaign, on)


def _totals_counted(user, campaign, on) -> dict[str, Any]:
    qs = visible_problems(user)
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    row = qs.order_by().aggregate(**_rate_aggregates(on), due_soon=Count("id", filter=due_soon_q(on)))
    out = _finish(row)
    out["due_soon"] = int(row.get("due_soon") or 0)
    return out


def _field_label(name: str) -> str:
    try:
        return str(Problem._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 - audit keys that are not fields ("佐证材料", import columns)
        return name


def changes_since(problem: Problem, version: int) -> dict[str, dict[str, Any]]:
    """What was changed on the problem after `version` (Problem.version), from the audit
    trail: {field: {"label", "before", "after", "by", "at"}}, oldest before, newest after.

    Ledger services record a write's audit row before they stamp updated_at, so the rows
    after a version's time are exactly the later writes.
    """
    from duban.audit.queries import history_for
    from duban.ledger.models import version_time

    out: dict[str, dict[str, Any]] = {}
    later = history_for(problem).filter(at__gt=version_time(version)).exclude(verb="problem.create")
    for ev in later.order_by("at", "id"):
        for name, change in (ev.changes or {}).items():
            if not (isinstance(change, list) and len(change) == 2):
                continue
            item = out.setdefault(name, {"label": _field_label(name), "before": change[0]})
            # The person's name where the account has one (the trail stores the username).
            item.update(after=change[1], by=(ev.actor.get_full_name() if ev.actor else "") or ev.actor_name, at=ev.at)
    return out


# ------------------------------------------------------------------------------- reminders

REMIND_WORKDAYS = 3  # the daily reminder: what is due within this many working days, and overdue
WAITING_ON_UNIT = (Status.PENDING, Status.IN_PROGRESS, Status.RETURNED)  # SUBMITTED waits on the office


def _short(text: str, n: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n] + "…"


def due_reminder_parts(on: dt.date) -> list[ReminderPart]:
    """Per responsible unit: its problems overdue or due within 3 working days (holidays and
    调休 counted) that still wait on it, soonest first. One grouped count and one ranked read
    of the first few per unit, whatever the number of units."""
    until = workcalendar.add_workdays(on, REMIND_WORKDAYS)
    qs = Problem.objects.filter(status__in=WAITING_ON_UNIT, deadline__lte=until).order_by()
    counts = {
        r["unit_id"]: r
        for r in qs.values("unit_id").annotate(n=Count("id"), late=Count("id", filter=Q(deadline__lt=on)))
    }
    if not counts:
        return []
    rank = Window(RowNumber(), partition_by=[F("unit_id")], order_by=[F("deadline").asc(), F("id").asc()])
    first = qs.annotate(rank=rank).filter(rank__lte=FIRST_FEW).values("pk", "unit_id", "seq", "description", "deadline")
    lines: dict[int, list[ReminderLine]] = {}
    for r in sorted(first, key=lambda r: (r["deadline"], r["pk"])):
        late = (on - r["deadline"]).days
        when = _("逾期 %(n)s 天") % {"n": late} if late > 0 else (_("今天到期") if late == 0 else _("%(d)s 到期") % {"d": f"{r['deadline']:%m-%d}"})
        text = f"{r['seq']}. {_short(r['description'])}（{when}）"
        lines.setdefault(r["unit_id"], []).append(ReminderLine(text, reverse("ledger:problem_detail", args=[r["pk"]])))
    parts = []
    for unit_id, c in counts.items():
        soon = c["n"] - c["late"]
        bits = ([_("逾期 %(n)s 条") % {"n": c["late"]}] if c["late"] else []) + (
            [_("%(days)s 个工作日内到期 %(n)s 条") % {"days": REMIND_WORKDAYS, "n": soon}] if soon else [])
        parts.append(ReminderPart(unit_id=unit_id, heading=_("整改问题：") + _("，").join(bits), count=c["n"],
                                  lines=lines.get(unit_id, []), more_path=reverse("ledger:my_items")))
    return parts


def review_reminder_parts(on: dt.date) -> list[ReminderPart]:
    """Per supervising unit (the problem's 督办单位, else its campaign's lead unit): what waits
    on its review — 申请销号 and extension requests — oldest first. Read from the status index
    and the small partial extension index, as the office's to-do list is."""
    waiting = Problem.objects.filter(status=Status.SUBMITTED).order_by().values("pk").union(
        Problem.objects.filter(extension_to__isnull=False).order_by().values("pk")
    )
    rows = (Problem.objects.filter(pk__in=waiting)
            .values("pk", "seq", "description", "status", "extension_to", "supervisor_id", "campaign__unit_id")
            .order_by("updated_at", "pk"))
    by_unit: dict[int, dict[str, Any]] = {}
    for r in rows.iterator(chunk_size=2000):
        unit_id = r["supervisor_id"] or r["campaign__unit_id"]
        entry = by_unit.setdefault(unit_id, {"signoff": 0, "extend": 0, "lines": []})
        what = _("申请销号") if r["status"] == Status.SUBMITTED else _("申请延期至 %(d)s") % {"d": f"{r['extension_to']:%Y-%m-%d}"}
        entry["signoff" if r["status"] == Status.SUBMITTED else "extend"] += 1
        if len(entry["lines"]) < FIRST_FEW:
            entry["lines"].append(ReminderLine(f"{r['seq']}. {_short(r['description'])}（{what}）",
                                               reverse("ledger:problem_detail", args=[r["pk"]])))
    parts = []
    for unit_id, e in by_unit.items():
        bits = ([_("申请销号 %(n)s 条") % {"n": e["signoff"]}] if e["signoff"] else []) + (
            [_("申请延期 %(n)s 条") % {"n": e["extend"]}] if e["extend"] else [])
        parts.append(ReminderPart(unit_id=unit_id, heading=_("待审核：") + _("，").join(bits),
                                  count=e["signoff"] + e["extend"], lines=e["lines"], more_path=reverse("ledger:my_items")))
    return parts
