"""Reads for the office's settings pages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Subquery
from django_tasks_db.models import DBTaskResult

from duban.core import schedules, workcalendar
from duban.core.dates import today
from duban.core.models import CalendarDay, Schedule, ScheduleRun


@dataclass
class YearStatus:
    year: int
    official: bool
    source: str
    holidays: int
    workdays: int


def year_status(year: int) -> YearStatus:
    y = workcalendar.calendar().year(year)
    return YearStatus(year, y.official, y.source, len(y.holidays), len(y.workdays))


def calendar_years(on: dt.date | None = None) -> list[YearStatus]:
    """This year and next (the one the November notice is for), plus any year with data."""
    on = on or today()
    years = {on.year, on.year + 1}
    years |= {d.year for d in CalendarDay.objects.dates("date", "year")}
    return [year_status(y) for y in sorted(years)]


def calendar_warnings(on: dt.date | None = None) -> list[int]:
    """Years that deadlines are being counted in (this year, and next from November on) without
    official data: the office's warning."""
    on = on or today()
    years = [on.year] + ([on.year + 1] if on.month >= 11 else [])
    return workcalendar.missing_years(years)


def calendar_days(year: int) -> list[CalendarDay]:
    return list(CalendarDay.objects.filter(date__year=year).order_by("date"))


def schedule_rows() -> list[dict]:
    """Each schedule with its rule in words, its last run and that run's task result (3 queries)."""
    last = ScheduleRun.objects.filter(schedule=OuterRef("pk")).order_by("-due_at").values("pk")[:1]
    rows = list(Schedule.objects.annotate(last_run_id=Subquery(last)).order_by("key"))
    runs = ScheduleRun.objects.in_bulk([s.last_run_id for s in rows if s.last_run_id])
    ids = [r.task_result_id for r in runs.values() if r.task_result_id]
    results = {str(r.id): r for r in DBTaskResult.objects.filter(id__in=ids)} if ids else {}
    out = []
    for s in rows:
        run = runs.get(s.last_run_id)
        out.append({"s": s, "rule": schedules.describe(s), "run": run, "result": results.get(run.task_result_id) if run else None})
    return out


def queue_counts() -> dict[str, int]:
    return dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())


def recent_failures(limit: int = 20) -> list[DBTaskResult]:
    return list(DBTaskResult.objects.filter(status="FAILED").order_by("-finished_at")[:limit])
