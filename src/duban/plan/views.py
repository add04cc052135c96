"""The plan's pages: the plan as a tree (filters, light tabs), my unit's items, a leader's
items, the office's red and yellow list, one item (timeline, instructions, evidence,
milestones, workflow buttons, reports), the item form and the light thresholds.

Views are thin: they read through `queries` (scoped), write through `services` and decide
rights only through orgs.permissions, services.may_plan and services.may_instruct.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.campaigns.http import chosen_campaign as _campaign
from duban.core import evidence_files as storage
from duban.core.dates import today
from duban.core.workflow import StaleVersion, TransitionError
from duban.orgs import permissions
from duban.orgs.scoping import home_unit, visible_units
from duban.plan import queries, services, workflow
from duban.plan.forms import (
    InstructionForm,
    ItemForm,
    LightRuleForm,
    MilestoneFormSet,
    PlanTransitionForm,
    ReportForm,
    filters_from,
    item_initial,
    milestone_rows,
    milestones_initial,
)
from duban.plan.models import Level, Light, Status

PER_PAGE = 50
LIST_CAP = 200  # rows of each block of 我的任务 and a leader's page


def _item_or_404(request, pk: int):
    item = queries.item_get(request.user, pk)
    if item is None:
        raise Http404(_("未找到该事项或无权查看"))
    return item


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _files(request) -> list[tuple[str, bytes]]:
    out = []
    for f in request.FILES.getlist("files"):
        if f.size > storage.max_bytes():
            raise storage.EvidenceRejected(_("文件“%(name)s”过大，上限 %(mb)s MB") % {"name": f.name, "mb": storage.max_bytes() // 1048576})
        out.append((f.name, f.read()))
    return out


# ------------------------------------------------------------------ lists


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    f, shown = filters_from(request.GET, request.user)
    light = f.light
    f.light = ""
    counts = queries.light_counts(queries.filtered(request.user, campaign, f)) if campaign else {}
    f.light = light
    qs = queries.in_tree_order(queries.filtered(request.user, campaign, f)) if campaign else queries.visible(request.user).none()
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    home = home_unit(request.user)
    params = {k: v for k, v in request.GET.items() if k not in ("light", "page")}
    ctx = {
        "campaign": campaign, "page": page, "co": queries.co_units_of(page.object_list), "f": shown, "params": params,
        "tabs": [(k, Light(k).label, counts.get(k, 0)) for k in queries.LIGHT_ORDER], "total": sum(counts.values()),
        "statuses": Status.choices, "levels": Level.choices,
        "units": visible_units(request.user).filter(depth__lte=(home.depth + 1 if home else 1)).order_by("path")[:300],
        "leaders": queries.leader_names(request.user, campaign) if campaign else [],
        "may_plan": bool(campaign and services.may_plan(request.user, campaign)), "today": today(),
    }
    template = "plan/_table.html" if request.headers.get("HX-Request") else "plan/item_list.html"
    return render(request, template, ctx)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    mine = queries.mine(request.user, campaign)
    return render(request, "plan/mine.html", {
        "campaign": campaign, "lead": mine["lead"][:LIST_CAP], "co_items": mine["co"][:LIST_CAP],
        "waiting": queries.waiting(request.user, campaign)[:LIST_CAP], "today": today(),
    })


@login_required
def leader(request: HttpRequest) -> HttpResponse:
    """A leader's items: one's own (分管领导 by account or name), or a named leader's."""
    campaign = _campaign(request)
    name = (request.GET.get("name") or "").replace("\x00", "").strip()[:60]
    if name:
        items = queries.filtered(request.user, campaign, queries.Filters(leader=name)).select_related("lead_unit").order_by("deadline", "id")
    else:
        items = queries.leader_items(request.user, campaign)
    rows = list(items[:LIST_CAP])
    return render(request, "plan/leader.html", {
        "campaign": campaign, "rows": rows, "co": queries.co_units_of(rows), "name": name, "counts": queries.light_counts(items),
        "leaders": queries.leader_names(request.user, campaign) if campaign else [], "today": today(),
    })


@login_required
def warnings(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    qs = queries.red_yellow(request.user, campaign) if campaign else queries.visible(request.user).none()
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "plan/warnings.html", {
        "campaign": campaign, "page": page, "co": queries.co_units_of(page.object_list), "today": today(),
        "counts": queries.light_counts(queries.visible(request.user, campaign)) if campaign else {},
    })


# ------------------------------------------------------------------ one item


def _item_page(request, item, *, status: int = 200, report_form=None, instruction_form=None) -> HttpResponse:
    page = queries.item_page(request.user, item)
    done_ok = page.may_plan or page.may_set_progress
    doneable = {m.pk for m in page.milestones if m.done_on is None and item.status != Status.DONE
                and (done_ok or (m.unit is not None and permissions.may_report(request.user, item, unit=m.unit)))}
    return render(request, "plan/item_detail.html", {
        "p": page, "i": item, "why": queries.light_why(item), "doneable": doneable, "today": today(),
        "report_form": report_form or ReportForm(), "instruction_form": instruction_form or InstructionForm(),
        "progress_locked": item.progress_from_children and bool(page.children),
        "step_labels": {name: t.label for name, t in workflow.TRANSITIONS.items()},
    }, status=status)


@login_required
def item_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _item_page(request, _item_or_404(request, pk))


@login_required
@require_POST
def item_transition(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    item = _item_or_404(request, pk)
    form = PlanTransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return _item_page(request, item, status=400)
    d = form.cleaned_data
    try:
        services.item_transition(actor=request.user, item=item, name=name, reason=d["reason"], date=d["date"], files=_files(request),
                                 version=d.get("version"))
    except PermissionDenied as exc:  # the wrong side (TransitionForbidden): 403 with the page and the reason
        messages.error(request, str(exc) or _("无权执行该操作"))
        return _item_page(request, item, status=403)
    except StaleVersion as exc:
        messages.error(request, str(exc))
        return _item_page(request, queries.item_get(request.user, pk), status=409)
    except (TransitionError, storage.EvidenceRejected) as exc:
        messages.error(request, str(exc))
        return _item_page(request, item, status=400)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return _item_page(request, item, status=400)
    messages.success(request, _("已%(label)s") % {"label": workflow.TABLE.get(name).label})
    return redirect("plan:item", pk=pk)


@login_required
@require_POST
def item_report(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(request, pk)
    if not permissions.may_report(request.user, item):
        raise PermissionDenied(_("无权填报该事项的进展"))
    form = ReportForm(request.POST)
    if not form.is_valid():
        return _item_page(request, item, status=400, report_form=form)
    try:
        services.item_report(actor=request.user, item=item, note=form.cleaned_data["note"], progress=form.cleaned_data["progress"],
                             files=_files(request))
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return _item_page(request, item, status=403, report_form=form)
    except storage.EvidenceRejected as exc:
        form.add_error(None, str(exc))
        return _item_page(request, item, status=400, report_form=form)
    except ValidationError as exc:
        form.add_error(None, _errors(exc))
        return _item_page(request, item, status=400, report_form=form)
    messages.success(request, _("已填报进展"))
    return redirect("plan:item", pk=pk)


@login_required
@require_POST
def item_instruction(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(request, pk)
    if not services.may_instruct(request.user, item):
        raise PermissionDenied(_("只有推进办或该事项的分管领导可以录入领导批示"))
    form = InstructionForm(request.POST)
    if not form.is_valid():
        return _item_page(request, item, status=400, instruction_form=form)
    d = form.cleaned_data
    try:
        services.instruction_add(actor=request.user, item=item, author=d["author"], text=d["text"], given_on=d["given_on"])
    except ValidationError as exc:
        form.add_error(None, _errors(exc))
        return _item_page(request, item, status=400, instruction_form=form)
    messages.success(request, _("已录入领导批示"))
    return redirect("plan:item", pk=pk)


@login_required
@require_POST
def milestone_done(request: HttpRequest, pk: int) -> HttpResponse:
    m = queries.milestone_get(request.user, pk)
    if m is None:
        raise Http404(_("未找到该节点或无权查看"))
    try:
        services.milestone_done(actor=request.user, milestone=m)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return _item_page(request, queries.item_get(request.user, m.item_id), status=403)
    messages.success(request, _("节点“%(t)s”已完成") % {"t": m.title})
    return redirect("plan:item", pk=m.item_id)


@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    ev = queries.evidence_get(request.user, pk)
    if ev is None:
        raise Http404(_("未找到该材料或无权查看"))
    inline = ev.content_type.startswith("image/") or ev.content_type == "application/pdf"
    return FileResponse(storage.storage().open(ev.key), as_attachment=not inline, filename=ev.name, content_type=ev.content_type)


# ------------------------------------------------------------------ the office's forms


def _save_item(request, campaign, item=None) -> HttpResponse:
    if not services.may_plan(request.user, campaign):
        raise PermissionDenied(_("只有本活动的推进办可以编排任务分工"))
    initial, stones_initial = {}, None
    if item is not None:
        co, preds, stones_now = queries.item_form_data(item)
        initial, stones_initial = item_initial(item, co, preds), milestones_initial(stones_now)
    form = ItemForm(request.POST or None, initial=initial, user=request.user, campaign=campaign, item=item)
    stones = MilestoneFormSet(request.POST or None, prefix="ms", initial=stones_initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid() and stones.is_valid():
            d = form.cleaned_data
            rows = milestone_rows(stones, [d["lead_unit"], *d["co_units"]])
            if rows is not None:
                try:
                    saved = services.item_save(actor=request.user, campaign=campaign, item=item, new=form.new_item(), milestones=rows,
                                               predecessors=d["predecessors"], version=d.get("version") if item else None)
                except StaleVersion as exc:
                    form.add_error(None, str(exc))
                    status = 409
                except PermissionDenied as exc:
                    form.add_error(None, str(exc))
                    status = 403
                except ValidationError as exc:
                    for field, errs in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                        form.add_error(field if field in form.fields else None, errs)
                else:
                    messages.success(request, _("已保存"))
                    return redirect("plan:item", pk=saved.pk)
    return render(request, "plan/item_form.html", {"form": form, "stones": stones, "i": item, "campaign": campaign}, status=status)


@login_required
def item_new(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    if campaign is None:
        raise PermissionDenied(_("没有可用的活动"))
    return _save_item(request, campaign)


@login_required
def item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_or_404(request, pk)
    return _save_item(request, item.campaign, item)


@login_required
def light_rule(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    if campaign is None or not services.may_plan(request.user, campaign):
        raise PermissionDenied(_("只有本活动的推进办可以设置红黄灯规则"))
    rule = services.thresholds(campaign)
    form = LightRuleForm(request.POST or None, initial={"due_soon_days": rule.due_soon_days, "behind_yellow": rule.behind_yellow,
                                                         "behind_red": rule.behind_red})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.light_rule_set(actor=request.user, campaign=campaign, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("已保存红黄灯规则，各事项灯色已重新计算"))
                return redirect("plan:warnings")
    return render(request, "plan/light_rule.html", {"form": form, "campaign": campaign}, status=status)
