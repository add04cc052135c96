"""The battle map (挂图作战), the backward schedule (倒排工期) and the baselines (基线).

Thin views: reads through plan.queries / plan.battlemap (scoped to what the user sees),
writes through plan.services (which check that the actor is the campaign's office).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.campaigns.http import chosen_campaign as _campaign
from duban.core.dates import today
from duban.core.validation import id_or_none, strip_nul
from duban.orgs.scoping import home_unit, visible_units
from duban.plan import battlemap, queries, services
from duban.plan.models import (
    MAX_BASELINES,
    Baseline,
    BaselineEntry,
    Dependency,
    Light,
    PlanItem,
    headings_q,
)

PAGE_SIZE = 100


def _units(user):
    """The units of the filter: the user's own level and the one below (as the ledger's list)."""
    home = home_unit(user)
    return visible_units(user).filter(depth__lte=(home.depth + 1 if home else 1)).order_by("path")[:300]


def _messages_of(exc: Exception) -> str:
    return "；".join(getattr(exc, "messages", None) or [str(exc)])


# ------------------------------------------------------------------ the map


@login_required
def battle_map(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    q = battlemap.MapQuery.from_params(request.GET, request.user, campaign)
    baselines = queries.baselines(campaign) if campaign else []
    shown = None
    if q.baseline == battlemap.LATEST:
        shown = baselines[-1] if baselines else None
    elif q.baseline:
        shown = next((b for b in baselines if b.number == q.baseline), None)
    params = request.GET.copy()
    params.pop("campaign", None)
    if campaign is not None:
        params["campaign"] = str(campaign.pk)
    return render(request, "plan/map.html", {
        "campaign": campaign, "q": q, "groups": battlemap.group_labels(), "lights": Light.choices,
        "units": _units(request.user), "baselines": baselines, "shown": shown,
        "overview": queries.overview(request.user, campaign) if campaign else None,
        "light_order": queries.LIGHT_ORDER, "light_labels": dict(Light.choices), "colours": battlemap.LIGHT_COLOURS,
        "data_url": reverse("plan:map_data") + "?" + params.urlencode(), "today": today(), "chart_labels": _chart_labels(),
    })


def _chart_labels() -> dict[str, str]:
    """The words the chart writes (tooltip, axis), translated here once."""
    return {
        "start": _("计划开始"), "latest": _("最迟开始"), "deadline": _("完成时限"), "actual": _("实际"), "progress": _("进度"),
        "slack": _("机动时间"), "days": _("个工作日"), "critical": _("关键链"), "late": _("已过最迟开始仍未开始"),
        "unit": _("牵头单位"), "leader": _("分管领导"), "status": _("状态"), "milestones": _("节点"), "done": _("已完成"),
        "open": _("未完成"), "baseline": _("基线"), "links": _("前置关系"), "today": _("今天"), "items": _("项"),
        "groups": _("分组"), "now": _("至今"), "none": "—", "file": _("挂图作战"), "baseline_n": _("基线%(n)s") % {"n": "{n}"},
    }


@login_required
def map_data(request: HttpRequest) -> JsonResponse:
    campaign = _campaign(request)
    if campaign is None:
        return JsonResponse({"rows": [], "links": [], "count": 0, "today": today().isoformat(), "baseline": None,
                             "lights": [], "range": None, "group": "aspect", "group_label": ""})
    q = battlemap.MapQuery.from_params(request.GET, request.user, campaign)
    return JsonResponse(battlemap.map_data(request.user, campaign, q), json_dumps_params={"ensure_ascii": False})


# ------------------------------------------------------------------ the backward schedule


@login_required
def schedule(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    late = request.GET.get("late") == "1"
    critical = request.GET.get("critical") == "1"
    ctx = {"campaign": campaign, "late": late, "critical": critical, "page": None, "may_plan": False}
    if campaign is not None:
        base = queries.visible(request.user, campaign).exclude(headings_q())
        qs = queries.filtered(request.user, campaign, queries.Filters(late_start=late)).exclude(headings_q())
        if critical:
            qs = qs.filter(critical=True)
        qs = qs.select_related("lead_unit").order_by(F("latest_start").asc(nulls_last=True), "deadline", "id")
        page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
        on_page = [i.pk for i in page.object_list]
        preds: dict[int, list[PlanItem]] = {i: [] for i in on_page}
        for d in Dependency.objects.filter(successor_id__in=on_page, predecessor__in=base.values("id")).select_related("predecessor"):
            preds[d.successor_id].append(d.predecessor)
        t = today()
        rows = [{"item": i, "preds": preds[i.pk],
                 "late_start": bool(i.latest_start and i.latest_start < t and i.started_on is None and i.is_open)}
                for i in page.object_list]
        counts = base.aggregate(
            total=_count(), critical_n=_count(critical=True),
            late_n=_count(latest_start__lt=t, started_on__isnull=True, status__in=queries.OPEN_STATES))
        ctx.update(page=page, rows=rows, counts=counts, may_plan=services.may_plan(request.user, campaign))
    return render(request, "plan/schedule.html", ctx)


def _count(**cond) -> Count:
    return Count("id", filter=Q(**cond)) if cond else Count("id")


def _item_by_ref(campaign, ref: str) -> PlanItem:
    """An item of the campaign by its 序号 (as the table shows it) or by "#id"."""
    ref = strip_nul(ref or "").strip()
    qs = PlanItem.objects.filter(campaign=campaign)
    found = None
    pk = id_or_none(ref[1:]) if ref.startswith("#") else None
    if pk is not None:
        found = qs.filter(pk=pk).first()
    elif ref:
        found = qs.filter(seq=ref[:20]).first()
    if found is None:
        raise ValidationError(_("未找到序号为“%(ref)s”的事项") % {"ref": ref[:20]})
    return found


def _back_to_schedule(request, campaign) -> HttpResponse:
    url = reverse("plan:schedule")
    return redirect(f"{url}?campaign={campaign.pk}" if campaign else url)


@login_required
@require_POST
def dependency_add(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    if campaign is None or not services.may_plan(request.user, campaign):
        raise PermissionDenied(_("只有本活动的推进办可以设置前置事项"))
    try:
        pred = _item_by_ref(campaign, request.POST.get("predecessor", ""))
        succ = _item_by_ref(campaign, request.POST.get("successor", ""))
        services.dependency_add(actor=request.user, predecessor=pred, successor=succ)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("已设置：%(a)s 完成后 %(b)s 才能开始") % {"a": pred, "b": succ})
    return _back_to_schedule(request, campaign)


@login_required
@require_POST
def dependency_remove(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    if campaign is None or not services.may_plan(request.user, campaign):
        raise PermissionDenied(_("只有本活动的推进办可以设置前置事项"))
    items = PlanItem.objects.filter(campaign=campaign)
    pred = items.filter(pk=id_or_none(request.POST.get("predecessor"))).first()
    succ = items.filter(pk=id_or_none(request.POST.get("successor"))).first()
    if pred is None or succ is None:
        messages.error(request, _("未找到该前置关系"))
    elif services.dependency_remove(actor=request.user, predecessor=pred, successor=succ):
        messages.success(request, _("已取消前置关系：%(a)s → %(b)s") % {"a": pred, "b": succ})
    return _back_to_schedule(request, campaign)


# ------------------------------------------------------------------ baselines


@login_required
def baselines(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    ctx = {"campaign": campaign, "baselines": [], "chosen": None, "page": None, "rows": [], "may_plan": False,
           "max_baselines": MAX_BASELINES, "changed": False}
    if campaign is not None:
        found = list(Baseline.objects.filter(campaign=campaign).select_related("taken_by").order_by("number"))
        number = id_or_none(request.GET.get("baseline"))
        chosen = next((b for b in found if b.number == number), found[-1] if found else None)
        ctx.update(baselines=found, chosen=chosen, may_plan=services.may_plan(request.user, campaign))
        if chosen is not None:
            visible = queries.visible(request.user, campaign).exclude(headings_q())
            changed = request.GET.get("changed") == "1"
            if changed:  # only what moved: a deadline other than the baseline's, or added since
                same = BaselineEntry.objects.filter(baseline=chosen, item=OuterRef("pk"), deadline=OuterRef("deadline"))
                visible = visible.exclude(Exists(same))
            ctx["changed"] = changed
            page = Paginator(visible.order_by("deadline", "id").values_list("id", flat=True), PAGE_SIZE).get_page(request.GET.get("page"))
            rows = queries.compare(request.user, campaign, chosen, qs=visible.filter(pk__in=list(page.object_list)))
            order = {pk: n for n, pk in enumerate(page.object_list)}
            ctx.update(page=page, rows=sorted(rows, key=lambda r: order[r["item"].pk]))
    return render(request, "plan/baselines.html", ctx)


@login_required
@require_POST
def baseline_freeze(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    if campaign is None or not services.may_plan(request.user, campaign):
        raise PermissionDenied(_("只有本活动的推进办可以冻结基线"))
    try:
        b = services.baseline_freeze(actor=request.user, campaign=campaign, name=request.POST.get("name", "")[:200])
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect(f"{reverse('plan:baselines')}?campaign={campaign.pk}")
    messages.success(request, _("已冻结基线%(n)s“%(name)s”，共%(items)s项") % {"n": b.number, "name": b.name, "items": b.items})
    return redirect(f"{reverse('plan:baselines')}?campaign={campaign.pk}&baseline={b.number}")
