"""The rounds' pages: the office's rounds and a unit's submissions, opening a round, the
round's page (every unit's status, 一键催报, returns, the summary and its xlsx), the unit's
form (one row per item, prefilled from the last round), cadences and punctuality.

Views are thin: reads through `queries` (scoped), writes through `services`, rights only
through services.may_run / may_submit (orgs.permissions underneath).
"""

from __future__ import annotations

import datetime as dt
import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from duban.campaigns.http import chosen_campaign as _campaign
from duban.campaigns.queries import campaigns_for
from duban.core.numbers import ratio
from duban.core.validation import date_or_none, id_or_none, text_param
from duban.rounds import export, queries, services
from duban.rounds.forms import (
    WEEKDAYS,
    CadenceForm,
    ReturnForm,
    RoundForm,
    cadence_initial,
    missing_rows,
    rows_from_post,
    rows_initial,
)
from duban.rounds.models import Cadence, ChaseLevel, Round, RoundStatus, SubmissionStatus

PER_PAGE = 50
UNITS_PER_PAGE = 100  # a city round has 11,160 units: its page shows them a hundred at a time


def _errors(exc: ValidationError) -> str:
    return "；".join(exc.messages)


def _round_or_404(request, pk: int) -> Round:
    rnd = queries.visible_rounds(request.user).select_related("campaign", "campaign__unit", "cadence").filter(pk=pk).first()
    if rnd is None:
        raise Http404(_("未找到该调度或无权查看"))
    return rnd


def _require_runner(request, campaign) -> None:
    if not services.may_run(request.user, campaign):
        raise PermissionDenied(_("只有本活动的推进办可以组织调度报送"))


# ------------------------------------------------------------------ lists


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """The office's rounds with their counts; the unit's submissions waiting and recent."""
    campaign = _campaign(request)
    if campaign is None:
        return render(request, "rounds/index.html", {"campaign": None})
    runs = queries.run_rounds(request.user, campaign)
    page = Paginator(runs, PER_PAGE).get_page(request.GET.get("page"))
    waiting = list(queries.waiting_submissions(request.user, campaign)[:PER_PAGE])
    shown = {s.pk for s in waiting}
    recent = [s for s in queries.my_submissions(request.user, campaign)[:PER_PAGE] if s.pk not in shown][:20]
    for r in page.object_list:
        r.rate = ratio(r.n_on_time, r.expected)
    may_run = services.may_run(request.user, campaign)
    return render(request, "rounds/index.html", {
        "campaign": campaign, "page": page if page.paginator.count else None, "waiting": waiting, "recent": recent,
        "may_run": may_run, "show_cadences": may_run or bool(page.paginator.count), "now": timezone.now(),
    })


@login_required
def round_new(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    if campaign is None:
        raise Http404(_("没有可用的活动"))
    _require_runner(request, campaign)
    status = 200
    if request.method == "POST":
        form = RoundForm(request.POST, user=request.user, campaign=campaign)
        if form.is_valid():
            d = form.cleaned_data
            try:
                rnd = services.round_open(actor=request.user, campaign=campaign, name=d["name"], kind=d["kind"], due_at=d["due_at"],
                                          lock_at=d["lock_at"], scope=d["scope"], units=d["units"], instructions=d["instructions"])
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已发起调度“%(name)s”，应报单位%(n)s个") % {"name": rnd.name, "n": rnd.expected})
                return redirect("rounds:round", pk=rnd.pk)
        status = 400
    else:
        due = timezone.localtime(timezone.now()).replace(hour=17, minute=0, second=0, microsecond=0)
        due += dt.timedelta(days=(4 - due.weekday()) % 7 or 7)  # next Friday 17:00
        form = RoundForm(user=request.user, campaign=campaign, initial={"due_at": due})
    return render(request, "rounds/round_form.html", {"campaign": campaign, "form": form}, status=status)


def _form_errors(form, exc: ValidationError) -> None:
    """A service's refusal on the form: on its field when the form has one, else on top."""
    if hasattr(exc, "error_dict"):
        for key, errs in exc.error_dict.items():
            form.add_error(key if key in form.fields else None, [e for err in errs for e in err.messages])
    else:
        form.add_error(None, exc.messages)


# ------------------------------------------------------------------ one round


STATUS_FILTERS = {"pending": Q(status__in=(SubmissionStatus.PENDING, SubmissionStatus.DRAFT)), "submitted": Q(status=SubmissionStatus.SUBMITTED),
                  "returned": Q(status=SubmissionStatus.RETURNED), "late": Q(punctuality="late"), "on_time": Q(punctuality="on_time")}


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round_or_404(request, pk)
    whole = queries.runs_whole(request.user, rnd)
    show = text_param(request.GET, "show", max_length=20)
    rows = queries.round_rows(request.user, rnd)
    if show in STATUS_FILTERS:
        rows = rows.filter(STATUS_FILTERS[show])
    page = Paginator(rows, UNITS_PER_PAGE).get_page(request.GET.get("page"))
    ctx = {"r": rnd, "whole": whole, "page": page, "show": show, "may_run": services.may_run(request.user, rnd.campaign),
           "counts": queries.with_counts(Round.objects.filter(pk=rnd.pk)).get(), "now": timezone.now(),
           "tabs": [("", _("全部")), ("pending", _("未报送")), ("submitted", _("已报送")), ("late", _("迟报")), ("returned", _("已退回"))],
           "levels": {k: str(v) for k, v in ChaseLevel.choices}}
    if whole:
        ctx["summary"] = queries.summary(rnd)
    return render(request, "rounds/round.html", ctx)


@login_required
@require_POST
def round_chase(request: HttpRequest, pk: int) -> HttpResponse:
    """一键催报: remind every unit that has not submitted, now (escalated past the due time)."""
    rnd = _round_or_404(request, pk)
    _require_runner(request, rnd.campaign)
    if rnd.status == RoundStatus.LOCKED:
        messages.error(request, _("本轮调度已截止，不再催报"))
        return redirect("rounds:round", pk=pk)
    chases = services.round_chase(rnd=rnd, actor=request.user, force=True)
    sent = chases[-1].units if chases else 0
    if sent:
        messages.success(request, _("已向%(n)s个未报送单位发出催报") % {"n": sent})
    else:
        messages.info(request, _("所有单位均已报送，无需催报"))
    return redirect("rounds:round", pk=pk)


@login_required
def summary_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = _round_or_404(request, pk)
    if not queries.runs_whole(request.user, rnd):
        raise PermissionDenied(_("只有组织本轮调度的单位可以下载汇总"))
    fh = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
    export.summary_xlsx(fh, rnd)
    fh.seek(0)
    return FileResponse(fh, as_attachment=True, filename=f"{rnd.name}-汇总.xlsx")


@login_required
@require_POST
def submission_return(request: HttpRequest, pk: int) -> HttpResponse:
    sub = queries.submission_get(request.user, pk)
    if sub is None:
        raise Http404(_("未找到该报送或无权查看"))
    _require_runner(request, sub.round.campaign)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "；".join(e for errs in form.errors.values() for e in errs))
        return redirect("rounds:submission", pk=pk)
    try:
        services.submission_return(actor=request.user, submission=sub, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("已退回%(unit)s的报送") % {"unit": sub.unit.name})
    if request.POST.get("next") == "round":
        return redirect("rounds:round", pk=sub.round_id)
    return redirect("rounds:submission", pk=pk)


# ------------------------------------------------------------------ the unit's form


def _closed_reason(sub, now) -> str:
    rnd = sub.round
    if rnd.status == RoundStatus.LOCKED or now > rnd.lock_at:
        return _("本轮调度已于%(t)s截止，不能再报送") % {"t": timezone.localtime(rnd.lock_at).strftime("%Y-%m-%d %H:%M")}
    if sub.status == SubmissionStatus.SUBMITTED:
        return _("已于%(t)s报送；如需修改请联系推进办退回") % {"t": timezone.localtime(sub.submitted_at).strftime("%Y-%m-%d %H:%M")}
    return ""


@login_required
def submission(request: HttpRequest, pk: int) -> HttpResponse:
    """THE FORM: one row per item; 保存草稿 or 报送; read-only once locked or submitted."""
    sub = queries.submission_get(request.user, pk)
    if sub is None:
        raise Http404(_("未找到该报送或无权查看"))
    now = timezone.now()
    may_fill = services.may_submit(request.user, sub)
    closed = _closed_reason(sub, now)
    lines = queries.form(sub)
    status, top_errors = 200, []
    summary_text = sub.summary
    if request.method == "POST":
        if not may_fill:
            raise PermissionDenied(_("只能填报本单位的调度报送"))
        submit = request.POST.get("action") == "submit"
        rows, inputs = rows_from_post(lines, request.POST, request.FILES)
        summary_text = (request.POST.get("summary") or "")[: services.MAX_TEXT + 1]
        if closed:
            top_errors.append(closed)
        elif any(r.errors for r in rows):
            top_errors.append(_("有%(n)s项填写有误，请按每项下方的提示修改") % {"n": sum(1 for r in rows if r.errors)})
        else:
            if submit:
                for r in missing_rows(rows):
                    r.errors.append(_("请填写本期工作，或勾选“无新进展”"))
            if any(r.errors for r in rows):
                top_errors.append(_("还有%(n)s项未填写本期工作（或勾选“无新进展”），没有报送") % {"n": sum(1 for r in rows if r.errors)})
            else:
                try:
                    services.submission_save(actor=request.user, submission=sub, lines=inputs, summary=summary_text, submit=submit,
                                             version=id_or_none(request.POST.get("version")))
                except ValidationError as exc:
                    top_errors.append(_errors(exc))
                    if hasattr(exc, "error_dict") and "version" in exc.error_dict:
                        status = 409
                else:
                    if submit:
                        messages.success(request, _("已报送，谢谢！"))
                    else:
                        messages.success(request, _("草稿已保存"))
                    return redirect("rounds:submission", pk=pk)
        status = status if status != 200 else 400
        sub = queries.submission_get(request.user, pk) if status == 409 else sub
    else:
        rows = rows_initial(lines)
    editable = may_fill and not closed
    return render(request, "rounds/submission.html", {
        "s": sub, "r": sub.round, "rows": rows, "editable": editable, "closed": closed, "top_errors": top_errors,
        "summary_text": summary_text, "may_run": services.may_run(request.user, sub.round.campaign),
        "return_form": ReturnForm(), "now": now, "n_projects": sum(1 for r in rows if r.is_project),
    }, status=status)


# ------------------------------------------------------------------ cadences


@login_required
def cadences(request: HttpRequest) -> HttpResponse:
    campaign = _campaign(request)
    if campaign is None:
        raise Http404(_("没有可用的活动"))
    may_run = services.may_run(request.user, campaign)
    if not may_run and not queries.run_rounds(request.user, campaign).exists():
        raise PermissionDenied(_("只有本活动的推进办和领导可以查看调度安排"))
    rows = Cadence.objects.filter(campaign=campaign).prefetch_related("units").order_by("-active", "next_due_at", "id")
    return render(request, "rounds/cadences.html", {"campaign": campaign, "rows": rows, "may_run": may_run,
                                                    "weekdays": {k: str(v) for k, v in WEEKDAYS}})


def _cadence_or_404(request, pk: int) -> Cadence:
    c = Cadence.objects.select_related("campaign", "campaign__unit").filter(pk=pk, campaign__in=campaigns_for(request.user)).first()
    if c is None:
        raise Http404(_("未找到该调度安排"))
    return c


def _cadence_values(d: dict) -> dict:
    return {k: d[k] for k in ("name", "kind", "rule", "due_time", "weekday", "every_n", "month_day", "open_workdays", "grace_hours",
                              "scope", "units", "active")}


@login_required
def cadence_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    cadence = _cadence_or_404(request, pk) if pk is not None else None
    campaign = cadence.campaign if cadence else _campaign(request)
    if campaign is None:
        raise Http404(_("没有可用的活动"))
    _require_runner(request, campaign)
    status = 200
    if request.method == "POST":
        form = CadenceForm(request.POST, user=request.user, campaign=campaign)
        if form.is_valid():
            try:
                c = services.cadence_save(actor=request.user, campaign=campaign, cadence=cadence, **_cadence_values(form.cleaned_data))
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("已保存调度安排“%(name)s”") % {"name": c.name})
                return redirect("rounds:cadences")
        status = 400
    else:
        form = CadenceForm(user=request.user, campaign=campaign, initial=cadence_initial(cadence) if cadence else None)
    return render(request, "rounds/cadence_form.html", {"campaign": campaign, "form": form, "c": cadence}, status=status)


@login_required
@require_POST
def cadence_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    c = _cadence_or_404(request, pk)
    _require_runner(request, c.campaign)
    values = cadence_initial(c)
    values["units"] = list(c.units.all())
    values["active"] = not c.active
    try:
        services.cadence_save(actor=request.user, campaign=c.campaign, cadence=c, **_cadence_values(values))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, (_("已启用“%(name)s”") if values["active"] else _("已停用“%(name)s”")) % {"name": c.name})
    return redirect("rounds:cadences")


# ------------------------------------------------------------------ punctuality


PERIODS = (("4w", _("近4周"), 28), ("13w", _("近13周"), 91), ("52w", _("近一年"), 365), ("all", _("全部"), None))


@login_required
def punctuality(request: HttpRequest) -> HttpResponse:
    """The on-time rate by unit with its rank over a period, and the trend by round."""
    campaign = _campaign(request)
    if campaign is None:
        raise Http404(_("没有可用的活动"))
    whole = services.may_run(request.user, campaign) or queries.run_rounds(request.user, campaign).exists()
    own = queries.own_unit_ids(request.user)
    if not whole and not own:
        raise PermissionDenied(_("只有参加调度的单位可以查看报送情况"))
    period = text_param(request.GET, "period", max_length=4) or "13w"
    since, until = date_or_none(request.GET.get("since")), date_or_none(request.GET.get("until"))
    if since or until:
        period = ""
    else:
        days = next((d for key, _label, d in PERIODS if key == period), 91)
        since = timezone.localdate() - dt.timedelta(days=days) if days else None
    ranking = queries.punctuality_by_unit(campaign, since=since, until=until)
    total = len(ranking)
    if not whole:  # a unit sees its own place in the whole ranking
        ranking = [r for r in ranking if r["unit_id"] in set(own)]
    unit = None
    if not whole:
        from duban.orgs.models import OrgUnit

        unit = OrgUnit.objects.filter(pk__in=own).order_by("path").first()
    trend = queries.punctuality_trend(campaign, unit=unit)
    return render(request, "rounds/punctuality.html", {
        "campaign": campaign, "ranking": ranking[:500], "total": total, "whole": whole, "trend": trend, "unit": unit,
        "periods": [(k, label) for k, label, _d in PERIODS], "period": period, "since": since, "until": until,
    })
