"""The office's settings pages: the working-day calendar and the background work."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from duban.core.dates import today
from duban.core.models import Schedule
from duban.core.validation import id_or_none
from duban.office import queries, services
from duban.office.forms import DayForm, ScheduleForm, YearForm
from duban.orgs.scoping import is_office


def _office(request: HttpRequest) -> None:
    if not is_office(request.user):
        raise PermissionDenied(_("系统设置仅推进办可用"))


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    _office(request)
    year = id_or_none(request.GET.get("year")) or today().year
    if not 2000 <= year <= 2100:
        raise Http404
    form = DayForm(request.POST or None, prefix="day")
    year_form = YearForm(request.POST or None, prefix="year")
    if request.method == "POST":
        if "day-date" in request.POST and form.is_valid():
            d = form.cleaned_data["date"]
            services.calendar_day_change(actor=request.user, date=d, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"])
            messages.success(request, _("已修改 %(date)s") % {"date": f"{d:%Y-%m-%d}"})
            return redirect(reverse("office:calendar") + f"?year={d.year}")
        if "year-year" in request.POST and year_form.is_valid():
            y = year_form.cleaned_data["year"]
            services.calendar_year_mark(actor=request.user, year=y, official=year_form.cleaned_data["official"],
                                        source=year_form.cleaned_data["source"])
            messages.success(request, _("已更新 %(year)s 年的状态") % {"year": y})
            return redirect(reverse("office:calendar") + f"?year={y}")
    return render(request, "office/calendar.html", {
        "year": year, "status": queries.year_status(year), "years": queries.calendar_years(),
        "days": queries.calendar_days(year), "warnings": queries.calendar_warnings(),
        "form": form, "year_form": year_form, "tab": "calendar",
    }, status=400 if request.method == "POST" else 200)


@login_required
def background(request: HttpRequest) -> HttpResponse:
    _office(request)
    return render(request, "office/background.html", {
        "rows": queries.schedule_rows(), "counts": queries.queue_counts(), "failures": queries.recent_failures(),
        "tab": "background", "warnings": queries.calendar_warnings(),
    })


@login_required
def schedule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _office(request)
    schedule = Schedule.objects.filter(pk=pk).first()
    if schedule is None:
        raise Http404
    initial = {"rule": schedule.rule, "weekday": schedule.weekday, "at": schedule.at, "every_minutes": schedule.every_minutes,
               "enabled": schedule.enabled}
    form = ScheduleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        services.schedule_change(actor=request.user, schedule=schedule, rule=c["rule"], at=c["at"],
                                 weekday=c["weekday"] if c["weekday"] != "" else None, every_minutes=c["every_minutes"],
                                 enabled=c["enabled"])
        messages.success(request, _("已保存“%(name)s”") % {"name": schedule.name})
        return redirect("office:background")
    return render(request, "office/schedule_edit.html", {"schedule": schedule, "form": form, "tab": "background"},
                  status=400 if request.method == "POST" else 200)
