"""The working-day calendar and the schedules in the admin, read-only like every domain table:
changes go through the office's settings pages or `duban calendar`, which clear the cache and
leave an audit entry."""

from django.contrib import admin

from duban.core.admin_readonly import ReadOnlyAdmin
from duban.core.models import CalendarDay, CalendarYear, Schedule, ScheduleRun


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ("year", "official", "source", "updated_by", "updated_at")


@admin.register(CalendarDay)
class CalendarDayAdmin(ReadOnlyAdmin):
    list_display = ("date", "kind", "name", "updated_by")
    list_filter = ("kind",)
    date_hierarchy = "date"


@admin.register(Schedule)
class ScheduleAdmin(ReadOnlyAdmin):
    list_display = ("key", "name", "rule", "weekday", "at", "every_minutes", "enabled", "next_run_at", "last_run_at")


@admin.register(ScheduleRun)
class ScheduleRunAdmin(ReadOnlyAdmin):
    list_display = ("schedule", "due_at", "started_at", "worker", "skipped", "task_result_id")
    list_filter = ("schedule",)
