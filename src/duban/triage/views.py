"""Triage pages: one-click routing, the reply check fragment, hot issues, the router models."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tasks import TaskResultStatus

from duban.campaigns.models import FocusArea
from duban.campaigns.queries import current_campaign
from duban.core.background import start
from duban.core.redirects import redirect_back
from duban.core.validation import id_or_none, strip_nul
from duban.intake import queries as intake_queries
from duban.orgs.models import OrgUnit
from duban.triage import queries, services, tasks
from duban.triage.models import HotIssueRun, RouterModel, Target


@login_required
@require_POST
def route(request: HttpRequest, pk: int) -> HttpResponse:
    s = intake_queries.suggestion_get(request.user, pk)
    if s is None:
        raise Http404("未找到该意见建议或无权查看")
    # Who may route is the service's answer (a PermissionDenied: 403), asked before the input.
    p = request.POST
    unit_id, area_id = id_or_none(p.get("unit")), id_or_none(p.get("focus_area"))
    unit = OrgUnit.objects.filter(path__subtree=s.campaign.unit.path, pk=unit_id).first() if unit_id else None
    area = FocusArea.objects.filter(pk=area_id, campaign=s.campaign).first() if area_id else None
    label = strip_nul(p["label"]).strip() if "label" in p else None
    unit_text = strip_nul(p.get("unit_text", "")).strip()
    try:
        s = services.route_confirm(actor=request.user, suggestion=s, unit=unit, focus_area=area, label=label, unit_text=unit_text)
    except ValidationError as exc:
        if request.headers.get("HX-Request"):
            return HttpResponse(f'<span class="badge red">{"；".join(exc.messages)}</span>', status=422)
        messages.error(request, "；".join(exc.messages))
        return redirect("intake:detail", pk=pk)
    if request.headers.get("HX-Request"):
        return render(request, "triage/_routed.html", {"s": s})
    messages.success(request, f"已分拣：{s.unit.name}" + (f" · {s.focus_area.name}" if s.focus_area_id else ""))
    return redirect_back(request, "intake:inbox", use_referer=True)


@login_required
@require_POST
def reply_check(request: HttpRequest, pk: int) -> HttpResponse:
    s = intake_queries.suggestion_get(request.user, pk)
    if s is None:
        raise Http404("未找到该意见建议或无权查看")
    text = request.POST.get("reply", "")
    flags = queries.reply_flags(s, text) if text.strip() else []
    return render(request, "triage/_reply_flags.html", {"flags": flags, "empty": not text.strip()})


@login_required
def hot(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request.user)
    if not queries.may_see_hot(request.user, campaign):
        raise PermissionDenied("热点问题仅推进办和领导可见")
    runs = list(queries.hot_runs(request.user, campaign)[:20])
    run = None
    if request.GET.get("run", "").isdigit():
        run = next((r for r in runs if r.pk == int(request.GET["run"])), None)
    run = run or (runs[0] if runs else None)
    issues = queries.hot_issues(request.user, run, campaign=campaign) if run else []
    return render(request, "triage/hot.html", {"campaign": campaign, "runs": runs, "run": run, "issues": issues, "office": queries.may_analyse(request.user, campaign)})


@login_required
def hot_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """One hot issue's messages: the fragment an opened issue of the hot page fetches, or a page of its own."""
    campaign = current_campaign(request.user)
    if not queries.may_see_hot(request.user, campaign):
        raise PermissionDenied("热点问题仅推进办和领导可见")
    h = queries.hot_issue_get(request.user, pk, campaign=campaign)
    if h is None:
        raise Http404("未找到该热点问题或无权查看")
    template = "triage/_hot_messages.html" if request.headers.get("HX-Request") else "triage/hot_issue.html"
    return render(request, template, {"h": h, "run": h.run})


@login_required
@require_POST
def hot_run(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request.user)
    if not queries.may_analyse(request.user, campaign):
        raise PermissionDenied("只有推进办可以运行热点分析")
    # Clustering a campaign's messages takes seconds to minutes: the worker does it.
    result = start(tasks.hot_issues_run, campaign.pk, request.user.pk)
    if result is None:
        messages.info(request, _("热点分析已在后台开始，完成后刷新本页即可看到结果。"))
        return redirect("triage:hot")
    if result.status != TaskResultStatus.SUCCESSFUL:
        messages.error(request, _("热点分析没有完成，请到“后台任务”页查看原因。"))
        return redirect("triage:hot")
    run = HotIssueRun.objects.get(pk=result.return_value)
    messages.success(request, f"热点分析完成：{run.n_messages} 条留言，{run.n_issues} 个热点，用时 {run.seconds} 秒")
    return redirect(reverse("triage:hot") + f"?run={run.pk}")


@login_required
def models(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request.user)
    if not queries.may_see_models(request.user, campaign):
        raise PermissionDenied("分拣模型仅推进办和领导可见")
    rows = list(queries.models_for(request.user, campaign)[:50])
    return render(request, "triage/models.html", {"campaign": campaign, "rows": rows, "targets": Target.choices,
                  "figs": queries.router_figures(campaign), "office": queries.may_analyse(request.user, campaign)})


@login_required
@require_POST
def train(request: HttpRequest) -> HttpResponse:
    campaign = current_campaign(request.user)
    if not queries.may_analyse(request.user, campaign):
        raise PermissionDenied("只有推进办可以训练分拣模型")
    target = strip_nul(request.POST.get("target", Target.AREA))[:20]
    if target not in Target.values:
        messages.error(request, f"未知预测对象“{target}”")
        return redirect("triage:models")
    result = start(tasks.router_train, campaign.pk, target, request.user.pk)
    if result is None:
        messages.info(request, _("模型训练已在后台开始，完成后刷新本页即可看到新版本。"))
    elif result.status != TaskResultStatus.SUCCESSFUL:
        messages.error(request, _("训练没有完成，请到“后台任务”页查看原因。"))
    elif "error" in result.return_value:
        messages.error(request, result.return_value["error"])
    else:
        m = RouterModel.objects.get(pk=result.return_value["model"])
        f1 = m.metrics.get("macro_f1")
        messages.success(request, f"已训练{m.get_target_display()}模型 {m.version}：{m.n_train} 条样本" + (f"，交叉验证 macro-F1 {f1:.3f}" if isinstance(f1, (int, float)) else ""))
    return redirect("triage:models")

